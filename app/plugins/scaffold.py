"""`tavern plugin new NAME`: writes a new plugin's source folder from the templates in `scaffold_templates`.

The folder is ready to test (`pytest`), to package (`tavern plugin build-index`) and to install; the plugin id is the
name in lower case with spaces and dashes as underscores, so it is also the import package's name.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import scaffold_templates as templates
from .errors import refused
from .manifest import PLUGIN_ID_PATTERN


def plugin_id_for(name: str) -> str:
    """The plugin id a display name gives: `My Greeter` → `my_greeter`; refused when it is not a valid id."""
    plugin_id = re.sub(r'[\s\-.]+', '_', name.strip()).lower()
    if not re.match(PLUGIN_ID_PATTERN, plugin_id):
        raise refused('scaffold_bad_name', f'"{name}" cannot name a plugin: use 3 to 64 letters, digits, spaces or '
                      'underscores, starting with a letter.', name=name)
    return plugin_id


def create_plugin(name: str, parent: Path) -> Path:
    """Write the plugin `name` into `parent/<id>/` (which must not exist yet or be empty); returns that folder."""
    plugin_id = plugin_id_for(name)
    root = parent / plugin_id
    if root.exists() and any(root.iterdir()):
        raise refused('scaffold_exists', f'The folder {root} already exists and is not empty.', path=str(root))
    display_name = name.strip() if name.strip() != plugin_id else plugin_id.replace('_', ' ').capitalize()
    values = {'__PLUGIN_ID__': plugin_id, '__PLUGIN_NAME__': display_name,
              '__DIST_NAME__': 'tavern-plugin-' + plugin_id.replace('_', '-')}
    files = {'pyproject.toml': templates.PYPROJECT, 'README.md': templates.README,
             f'{plugin_id}/__init__.py': templates.PACKAGE_INIT, f'{plugin_id}/plugin.json': templates.MANIFEST,
             f'{plugin_id}/plugin.py': templates.PLUGIN_MODULE, f'{plugin_id}/i18n/en.json': templates.I18N_EN,
             f'{plugin_id}/i18n/zh-CN.json': templates.I18N_ZH, f'tests/test_{plugin_id}.py': templates.TEST_MODULE}
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_filled(template, values), encoding='utf-8')
    return root


def _filled(template: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template
