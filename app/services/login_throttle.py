"""Counts failed logins per account and per address and locks both out for a while past the limit.

The account key is the handle as typed, whether or not it exists, so the limit never reveals which handles exist.
"""

from __future__ import annotations

from ..config import Settings
from ..errors import RateLimitedError
from ..infra.key_value import KeyValueStore


class LoginThrottle:
    def __init__(self, kv: KeyValueStore, settings: Settings) -> None:
        self.kv = kv
        self.per_account = settings.login_attempts_per_account
        self.per_address = settings.login_attempts_per_address
        self.window = settings.login_lockout_seconds

    async def check(self, handle: str, address: str) -> None:
        """Raise if either the account or the address has used up its failed attempts."""
        for key, limit in self._keys(handle, address):
            count = int(await self.kv.get(key) or 0)
            if count >= limit:
                retry_after = await self.kv.ttl(key) or self.window
                raise RateLimitedError('error.auth.rate_limited', 'Too many failed login attempts. '
                                       f'Try again in {max(1, (retry_after + 59) // 60)} minutes.', retry_after)

    async def record_failure(self, handle: str, address: str) -> None:
        for key, _limit in self._keys(handle, address):
            await self.kv.incr(key, self.window)

    async def reset_account(self, handle: str) -> None:
        await self.kv.delete(f'login-fail:account:{handle.strip().lower()}')

    def _keys(self, handle: str, address: str) -> list[tuple[str, int]]:
        keys = [(f'login-fail:account:{handle.strip().lower()}', self.per_account)]
        if address:
            keys.append((f'login-fail:address:{address}', self.per_address))
        return keys
