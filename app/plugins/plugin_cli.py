"""`tavern plugin …`: list, install (from an index, a wheel file or a wheel URL), uninstall, enable and disable
plugins, write a new plugin from the template, and build plugin source folders into an index.

Installs and state changes here act on the database and the plugin site dir like the web app does; a server that is
already running picks them up at its next start.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ..config import Settings
from .local_index import build_index, local_index_dir
from .scaffold import create_plugin
from .wheel import read_wheel_manifest

if TYPE_CHECKING:
    from ..services.container import Services

T = TypeVar('T')
Handler = Callable[[Settings, argparse.Namespace], int | None]
CommandFactory = Callable[[argparse._SubParsersAction, str, str, Handler], argparse.ArgumentParser]


def add_plugin_commands(commands: argparse._SubParsersAction, command: CommandFactory) -> None:
    """Add the `plugin` command group; `command` is the CLI's own factory (it adds `--data-dir` and the handler)."""
    group = commands.add_parser('plugin', help='Manage plugins: list, install, uninstall, enable, disable, new, '
                                'build-index.', description='Manage plugins.')
    group.set_defaults(handler=lambda _settings, _args: _print_help(group))
    sub = group.add_subparsers(title='plugin commands')
    command(sub, 'list', 'List the installed plugins with version and state.', _list)
    install = command(sub, 'install', 'Install a plugin from the plugin indexes (ID or ID==VERSION), a wheel file or '
                      'a wheel URL; it asks for consent to the permissions it needs.', _install)
    install.add_argument('target', metavar='ID|WHEEL|URL', help='plugin id (optionally ID==VERSION), a .whl file or '
                         'an https:// or file:// URL of one')
    install.add_argument('--yes', action='store_true', help='consent to every permission without asking')
    for name, help_text, handler in (('uninstall', 'Uninstall a plugin.', _uninstall),
                                     ('enable', 'Switch a plugin on for everyone.', _enable),
                                     ('disable', 'Switch a plugin off for everyone.', _disable)):
        command(sub, name, help_text, handler).add_argument('plugin_id', metavar='ID', help='the plugin id')
    new = command(sub, 'new', 'Write a new plugin from the template (toolbar button, REST route, settings, prompt '
                  'hook and a test).', _new)
    new.add_argument('name', metavar='NAME', help='the plugin name; its id is the name in lower case with underscores')
    new.add_argument('--dir', type=Path, default=Path('.'), help='folder to create the plugin in (default: here)')
    build = command(sub, 'build-index', 'Build plugin source folders into wheels and an index.json.', _build_index)
    build.add_argument('source', type=Path, metavar='DIR', help='a plugin source folder, or a folder of them')
    build.add_argument('--out', type=Path, help='the index folder (default: the local index in the data dir, which '
                       'the marketplace always reads)')


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _new(_settings: Settings, args: argparse.Namespace) -> None:
    root = create_plugin(args.name, args.dir)
    print(f'Created the plugin in {root}. Run its tests with `pytest` there, then `tavern plugin build-index {root}`.')


def _build_index(settings: Settings, args: argparse.Namespace) -> int:
    out = args.out or local_index_dir(settings)
    build = build_index(args.source, out)
    for wheel in build.wheels:
        print(f'Built {wheel.filename} ({wheel.manifest.id} {wheel.manifest.version}, sha256 {wheel.sha256}).')
    for folder, problem in build.failures.items():
        print(f'Skipped {folder}: {problem}')
    if not build.wheels and not build.failures:
        print(f'No plugin source folders (with a plugin.json) found in {args.source}.')
    print(f'Wrote {build.index_path}.')
    return 1 if build.failures or not build.wheels else 0


def _list(settings: Settings, _args: argparse.Namespace) -> None:
    async def show(services: Services) -> None:
        plugins = services.plugins.loaded()
        if not plugins:
            print('No plugins are installed.')
        for plugin in plugins:
            problem = plugin.load_error or plugin.revoked or ''
            print(f'{plugin.id:<24} {plugin.version:<10} {plugin.status:<16} {plugin.source:<11} {problem}'.rstrip())
    _with_plugins(settings, show)


def _install(settings: Settings, args: argparse.Namespace) -> int:
    async def install(services: Services) -> int:
        from .marketplace import marketplace_for

        market = marketplace_for(services)
        target: str = args.target
        if target.endswith('.whl') and Path(target).is_file():
            data = Path(target).read_bytes()
            manifest = read_wheel_manifest(data)
            consent = _consent(manifest.id, [str(permission) for permission in manifest.permissions], args.yes)
            if consent is None:
                return 1
            plugin = await market.install_wheel_data(data, source='upload', consent=consent)
        elif '://' in target:
            data, manifest = await market.download_wheel(target)
            consent = _consent(manifest.id, [str(permission) for permission in manifest.permissions], args.yes)
            if consent is None:
                return 1
            plugin = await market.install_wheel_data(data, source='url', consent=consent, url=target)
        else:
            plugin_id, _, version = target.partition('==')
            listed, entry = await market.resolve(plugin_id, version or None)
            consent = _consent(listed.id, entry.permissions, args.yes)
            if consent is None:
                return 1
            plugin = await market.install(plugin_id, version=entry.version, consent=consent)
        if plugin.load_error:
            print(f'Installed {plugin.id} {plugin.version}, but it failed to load: {plugin.load_error}')
            return 1
        print(f'Installed {plugin.id} {plugin.version}.')
        return 0
    return _with_plugins(settings, install)


def _uninstall(settings: Settings, args: argparse.Namespace) -> None:
    async def uninstall(services: Services) -> None:
        await services.plugins.uninstall(args.plugin_id)
        print(f'Uninstalled {args.plugin_id}.')
    _with_plugins(settings, uninstall)


def _enable(settings: Settings, args: argparse.Namespace) -> None:
    _switch(settings, args.plugin_id, True)


def _disable(settings: Settings, args: argparse.Namespace) -> None:
    _switch(settings, args.plugin_id, False)


def _switch(settings: Settings, plugin_id: str, enabled: bool) -> None:
    async def switch(services: Services) -> None:
        plugin = await services.plugins.set_enabled(plugin_id, enabled)
        print(f'{plugin.manifest.name} is now {"enabled" if enabled else "disabled"} for everyone.')
    _with_plugins(settings, switch)


def _consent(plugin_id: str, permissions: list[str], yes: bool) -> list[str] | None:
    """The permissions the operator consents to: all of them with --yes, else after asking; None when refused."""
    if permissions:
        print(f'"{plugin_id}" asks for these permissions: {", ".join(permissions)}.')
        print('Plugins run inside the server with its full rights; install only plugins you trust.')
    if yes or not permissions:
        return list(permissions)
    try:
        answer = input('Install it? [y/N] ').strip().lower()
    except EOFError:  # no terminal to ask (a script): only --yes consents
        answer = ''
    if answer in ('y', 'yes'):
        return list(permissions)
    print('Not installed.')
    return None


def _with_plugins(settings: Settings, action: Callable[[Services], Awaitable[T]]) -> T:
    """Run `action` with the app's services and every discovered plugin loaded (as the server would load them)."""
    from ..db import migrate
    from ..services.container import build_services

    settings.ensure_data_dir()
    if settings.is_sqlite:
        migrate.upgrade(settings.effective_database_url)
    migrate.check_up_to_date(settings.effective_database_url)

    async def run() -> T:
        services = build_services(settings)
        try:
            await services.plugins.load_discovered()
            return await action(services)
        finally:
            await services.plugins.shutdown()
            await services.close()

    return asyncio.run(run())
