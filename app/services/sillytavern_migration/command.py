"""`tavern import-sillytavern PATH [--user HANDLE]`: migrate a SillyTavern folder or zip on the server into one
account, printing a line per item and then the report (counts per kind, each failure with its reason, and what was
not migrated).

Without `--user` the data goes to the server's administrator when there is exactly one; otherwise the account must
be named. A path that holds no SillyTavern data stops the command with exit code 2; items that fail do not (their
reasons are in the report), so the exit code is 0 once the folder was read.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ...config import Settings
from ...db.models import User
from ...errors import InvalidInputError, NotFoundError
from ...i18n import translate
from ..accounts import AccountService, normalize_handle
from .report import MigrationReport, Reason

USERS_PAGE = 100


def import_sillytavern(settings: Settings, path: Path, handle: str | None) -> int:
    """Run the command; returns the exit code."""
    from ...db import migrate
    from ..container import build_services

    settings.ensure_data_dir()
    if settings.is_sqlite:
        migrate.upgrade(settings.effective_database_url)
    migrate.check_up_to_date(settings.effective_database_url)

    async def run() -> MigrationReport:
        services = build_services(settings)
        try:
            owner = await _owner(services.accounts, handle)
            print(translate('migration.cli.start', settings.default_locale, path=str(path), handle=owner.handle))
            return await services.migration.migrate_path(owner, path, _progress)
        finally:
            await services.close()

    report = asyncio.run(run())
    _print_report(report, settings.default_locale)
    return 0


async def _owner(accounts: AccountService, handle: str | None) -> User:
    users = await _all_users(accounts)
    if handle:
        wanted = normalize_handle(handle)
        match = next((user for user in users if user.handle == wanted), None)
        if match is None:
            raise NotFoundError('error.migration.user_not_found', f'There is no account "{wanted}".', handle=wanted)
        return match
    admins = [user for user in users if user.is_admin]
    if len(admins) != 1:
        raise InvalidInputError('error.migration.user_required',
                                f'Name the account to import into with --user HANDLE (this server has '
                                f'{len(admins)} administrators).', count=len(admins))
    return admins[0]


async def _all_users(accounts: AccountService) -> list[User]:
    users: list[User] = []
    while page := await accounts.list_users(offset=len(users), limit=USERS_PAGE):
        users.extend(page)
        if len(page) < USERS_PAGE:
            break
    return users


def _progress(done: int, total: int, source: str) -> None:
    if source:
        print(f'[{done + 1}/{total}] {source}', flush=True)


def _print_report(report: MigrationReport, locale: str) -> None:
    print(translate('migration.cli.summary', locale))
    for kind, counts in report.counts.items():
        print('  ' + translate('migration.cli.counts', locale, kind=translate(f'migration.kind.{kind}', locale),
                               imported=counts.imported, skipped=counts.skipped, failed=counts.failed))
    if report.failures:
        print(translate('migration.cli.failures', locale))
        for item in report.failures:
            reason = _text(item.reason, locale) if item.reason else ''
            print(f'  {item.source}: {reason}')
    if report.notes:
        print(translate('migration.cli.notes', locale))
        for note in report.notes:
            print(f'  {_text(note, locale)}')


def _text(reason: Reason, locale: str) -> str:
    text = translate(reason.code, locale, **reason.params)
    return reason.message if text == reason.code else text
