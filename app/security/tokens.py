"""Opaque random tokens for sessions and API access; only their sha256 is ever stored."""

from __future__ import annotations

import hashlib
import secrets

SESSION_COOKIE = 'tavern_session'
API_TOKEN_PREFIX = 'tvn_'


def new_token(prefix: str = '') -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
