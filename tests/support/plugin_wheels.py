"""Builds small plugin wheels inside tests (zipfile only): METADATA, WHEEL, entry_points.txt, RECORD and the package
with its plugin.json. Test-only; the app's own wheel builder is `app/plugins/wheel_builder.py`.

Each test gets its own plugin id (`unique_id`), because Python keeps an imported plugin module for the whole test
run and a second test reusing the name would load the first one's code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

ENTRY_POINT_GROUP = 'tavernai_plus.plugins'


def unique_id(prefix: str = 'tp') -> str:
    return f'{prefix}_{uuid.uuid4().hex[:10]}'


def manifest_for(plugin_id: str, **fields: Any) -> dict[str, Any]:
    manifest: dict[str, Any] = {'id': plugin_id, 'name': f'Test plugin {plugin_id}', 'version': '1.0.0',
                                'requires_app': '>=0.1', 'requires_python': '>=3.11',
                                'permissions': ['chat.read'], 'entry_point': f'{plugin_id}.plugin'}
    manifest.update(fields)
    return manifest


def build_wheel(manifest: dict[str, Any], modules: dict[str, str], *, tag: str = 'py3-none-any',
                extra_files: dict[str, bytes] | None = None, register_entry_point: bool = True,
                tamper: str | None = None, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A wheel for package `manifest['id']` holding `modules` ({'plugin.py': source}) and plugin.json.

    `extra_files` adds raw archive entries (listed in RECORD unless `tamper` names them: then their bytes change
    after hashing, like a file altered after the wheel was built).
    """
    package = manifest['id']
    version = manifest.get('version', '1.0.0')
    dist_info = f'{package}-{version}.dist-info'
    files: dict[str, bytes] = {f'{package}/__init__.py': b''}
    files.update({f'{package}/{name}': source.encode() for name, source in modules.items()})
    files[f'{package}/plugin.json'] = json.dumps(manifest).encode()
    files.update(extra_files or {})
    files[f'{dist_info}/METADATA'] = f'Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n'.encode()
    files[f'{dist_info}/WHEEL'] = (f'Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: '
                                   f'{"true" if tag.endswith("none-any") else "false"}\nTag: {tag}\n').encode()
    if register_entry_point:
        module = manifest.get('entry_point') or package
        files[f'{dist_info}/entry_points.txt'] = f'[{ENTRY_POINT_GROUP}]\n{manifest["id"]} = {module}\n'.encode()
    record = [f'{name},sha256={_digest(content)},{len(content)}' for name, content in files.items()]
    files[f'{dist_info}/RECORD'] = ('\n'.join([*record, f'{dist_info}/RECORD,,']) + '\n').encode()
    if tamper is not None:
        files[tamper] = files[tamper] + b'\n# changed after the wheel was built\n'
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, 'w', compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def write_plugin_package(root: Path, manifest: dict[str, Any], modules: dict[str, str]) -> str:
    """The same plugin as a package folder under `root` (put `root` on sys.path); returns the entry module."""
    package = root / manifest['id']
    package.mkdir(parents=True)
    (package / '__init__.py').write_text('', encoding='utf-8')
    (package / 'plugin.json').write_text(json.dumps(manifest), encoding='utf-8')
    for name, source in modules.items():
        target = package / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding='utf-8')
    return manifest.get('entry_point') or manifest['id']


def _digest(content: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b'=').decode()


ROUTE_PLUGIN = '''
from fastapi import APIRouter
from pydantic import BaseModel

from plugins.sdk import hookimpl, secret


class Settings(BaseModel):
    greeting: str = 'hello'
    api_key: str = secret()


router = APIRouter()


@router.get('/ping')
async def ping() -> dict:
    return {'pong': True}


@hookimpl
def register_routes(ctx):
    return [router]


@hookimpl
def stream_delta(ctx, text):
    return text.upper()
'''
