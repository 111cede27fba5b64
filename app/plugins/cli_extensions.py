"""`tavern <name>` for sub-commands that enabled plugins add (`cli_commands` hook).

Plugins are loaded only when the command named is not one of the app's own, so `tavern serve` and the other built-in
commands never import plugin code. They are loaded as the server loads them (the same discovery, the same stored
enabled/disabled state, the database migrated like `create-admin` does), and stay loaded while the command runs, so
its `ctx.services` works. A plugin command's `run(args)` may be sync or async; its int result is the exit code.
"""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path

from ..config import Settings, load_settings


def wants_plugin_command(parser: argparse.ArgumentParser, argv: list[str]) -> bool:
    """Whether `argv` names a command the app itself does not have (it may be a plugin's)."""
    return bool(argv) and not argv[0].startswith('-') and argv[0] not in _subcommands(parser).choices


async def run_plugin_command(parser: argparse.ArgumentParser, argv: list[str]) -> int:
    """Load the plugins, add their commands to `parser`, then parse `argv` and run the command it names."""
    from ..db import migrate
    from ..services.container import build_services
    from .contributions import cli_commands

    settings = _settings(argv)
    settings.ensure_data_dir()
    if settings.is_sqlite:
        migrate.upgrade(settings.effective_database_url)
    migrate.check_up_to_date(settings.effective_database_url)
    services = build_services(settings)
    try:
        await services.plugins.load_discovered()
        subcommands = _subcommands(parser)
        for name, (_, command) in (await cli_commands(services.plugins, tuple(subcommands.choices))).items():
            sub = subcommands.add_parser(name, help=command.help, description=command.help)
            sub.add_argument('--data-dir', type=Path, help='where data lives (default: $TAVERN_DATA_DIR)')
            if command.add_arguments is not None:
                command.add_arguments(sub)
            sub.set_defaults(plugin_command=command)
        args = parser.parse_args(argv)
        result = args.plugin_command.run(args)
        if inspect.isawaitable(result):
            result = await result
        return result if isinstance(result, int) else 0
    finally:
        await services.plugins.shutdown()
        await services.close()


def _settings(argv: list[str]) -> Settings:
    """The settings, with `--data-dir` taken from the command line before the plugin commands exist."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument('--data-dir', type=Path)
    known, _ = early.parse_known_args(argv)
    return load_settings(**({'data_dir': known.data_dir} if known.data_dir else {}))


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
