"""The `tavern` command: serve, migrate, create-admin, import-sillytavern, and the commands enabled plugins add."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from .config import Settings, SettingsError, load_settings
from .errors import TavernError
from .plugins.cli_extensions import run_plugin_command, wants_plugin_command
from .plugins.plugin_cli import add_plugin_commands


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    argv = sys.argv[1:] if argv is None else argv
    if wants_plugin_command(parser, argv):
        return _reporting_errors(lambda: asyncio.run(run_plugin_command(parser, argv)))
    args = parser.parse_args(argv)
    if not getattr(args, 'handler', None):
        parser.print_help()
        return 2
    overrides = {'data_dir': args.data_dir} if getattr(args, 'data_dir', None) else {}
    return _reporting_errors(lambda: args.handler(load_settings(**overrides), args) or 0)


def _reporting_errors(run: Callable[[], int]) -> int:
    """Run a command; settings, user and database errors reach the operator as one line and exit code 2."""
    try:
        return run()
    except (SettingsError, TavernError) as error:
        print(f'tavern: {error}', file=sys.stderr)
        return 2
    except Exception as error:  # the migration check and connection errors reach the operator as one line
        if type(error).__name__ in ('SchemaOutOfDateError', 'OperationalError'):
            print(f'tavern: {error}', file=sys.stderr)
            return 2
        raise


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='tavern', description='TavernAI Plus: AI character role-play chat server.')
    commands = parser.add_subparsers(title='commands')

    serve = _command(commands, 'serve', 'Run the web app.', _serve)
    serve.add_argument('--host', default=None, help='address to listen on (default 127.0.0.1)')
    serve.add_argument('--port', type=int, default=None, help='port to listen on (default 8080)')

    _command(commands, 'migrate', 'Apply database migrations (SQLite and PostgreSQL).', _migrate)

    admin = _command(commands, 'create-admin', 'Create an administrator account.', _create_admin)
    admin.add_argument('--username', required=True, help='handle of the new administrator')
    admin.add_argument('--password-file', type=Path, help='read the password from this file (else prompt)')

    migration = _command(commands, 'import-sillytavern', 'Import a SillyTavern folder or zip into an account: '
                         'characters, chats, group chats, lorebooks, presets and personas. Items already there are '
                         'skipped; the exit code is 0 even when some items fail (the report lists them), and 2 when '
                         'PATH holds no SillyTavern data.', _import_sillytavern)
    migration.add_argument('path', type=Path, metavar='PATH',
                           help='a SillyTavern user folder (data/<user>/), the older public/ folder, the SillyTavern '
                                'folder holding one of them, or a zip of any of these')
    migration.add_argument('--user', metavar='HANDLE',
                           help='account to import into (default: the administrator, when the server has exactly one)')
    add_plugin_commands(commands, _command)
    return parser


def _command(commands: argparse._SubParsersAction, name: str, help_text: str,
             handler: Callable[[Settings, argparse.Namespace], int | None]) -> argparse.ArgumentParser:
    command = commands.add_parser(name, help=help_text, description=help_text)
    command.add_argument('--data-dir', type=Path, help='where data lives (default: $TAVERN_DATA_DIR or '
                         '~/.local/share/tavernai-plus)')
    command.set_defaults(handler=handler)
    return command


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    from pages.server import serve  # the CLI is the outermost layer: only `serve` needs the web UI

    if args.host:
        settings.host = args.host
    if args.port:
        settings.port = args.port
    serve(settings)


def _migrate(settings: Settings, _args: argparse.Namespace) -> None:
    from .db import migrate

    settings.ensure_data_dir()
    migrate.upgrade(settings.effective_database_url)
    print(f'Database is at revision {migrate.current_revision(settings.effective_database_url)}.')


def _create_admin(settings: Settings, args: argparse.Namespace) -> None:
    from .db import migrate
    from .services.container import build_services

    password = args.password_file.read_text(encoding='utf-8').strip() if args.password_file else \
        getpass.getpass('Password for the new administrator: ')
    settings.ensure_data_dir()
    if settings.is_sqlite:
        migrate.upgrade(settings.effective_database_url)
    migrate.check_up_to_date(settings.effective_database_url)

    async def create() -> None:
        services = build_services(settings)
        try:
            user = await services.accounts.register(args.username, password, by_admin=True, role='admin')
            print(f'Created administrator "{user.handle}".')
        finally:
            await services.close()

    asyncio.run(create())


def _import_sillytavern(settings: Settings, args: argparse.Namespace) -> int:
    from .services.sillytavern_migration.command import import_sillytavern

    return import_sillytavern(settings, args.path, args.user)


if __name__ == '__main__':
    raise SystemExit(main())
