import io
import json
import zipfile

import pytest

from app.plugins import PluginRefusedError, read_wheel_manifest
from app.plugins.manifest import Permission, parse_manifest, specifier_accepts
from tests.support.plugin_wheels import build_wheel, manifest_for, unique_id


def _parse(**fields: object) -> object:
    return parse_manifest(json.dumps({'id': 'dice_roller', 'name': 'Dice roller', 'version': '1.0.0', **fields}),
                          'dice_roller/plugin.json')


def _refusal(**fields: object) -> PluginRefusedError:
    with pytest.raises(PluginRefusedError) as caught:
        _parse(**fields)
    return caught.value


def test_a_full_manifest_reads_with_its_defaults() -> None:
    manifest = _parse(permissions=['chat.read', 'llm.call'], depends_on={'quick_replies': '>=1.0'},
                      contributes={'slots': ['chat.input.toolbar'], 'routes': True}, future_field='ignored')
    assert manifest.permissions == [Permission.CHAT_READ, Permission.LLM_CALL]
    assert manifest.contributes.slots == ['chat.input.toolbar'] and manifest.contributes.routes is True
    assert manifest.module == 'dice_roller' and manifest.user_toggleable is False
    assert _parse(entry_point='dice_roller.plugin').module == 'dice_roller.plugin'


@pytest.mark.parametrize(('fields', 'field'), [
    ({'id': 'Dice-Roller'}, 'id'),
    ({'id': 'dr'}, 'id'),
    ({'version': 'one'}, 'version'),
    ({'requires_app': 'newest'}, 'requires_app'),
    ({'permissions': ['root']}, 'permissions'),
    ({'depends_on': {'Other': '>=1'}}, 'depends_on'),
    ({'name': ''}, 'name'),
])
def test_invalid_fields_are_refused_naming_the_field(fields: dict, field: str) -> None:
    error = _refusal(**fields)
    assert error.code == 'error.plugins.invalid_manifest'
    assert error.params['problem'].startswith(field)
    assert error.params['where'] == 'dice_roller/plugin.json'


def test_text_that_is_not_a_json_object_is_refused() -> None:
    for raw in ('{not json', '[1, 2]'):
        with pytest.raises(PluginRefusedError) as caught:
            parse_manifest(raw, 'x/plugin.json')
        assert caught.value.code == 'error.plugins.invalid_manifest'


def test_version_specifiers_accept_prereleases_and_empty_means_any() -> None:
    assert specifier_accepts('>=0.1', '0.1.0')
    assert specifier_accepts('>=0.1', '0.2.0rc1')
    assert not specifier_accepts('>=9', '0.1.0')
    assert specifier_accepts('', '0.0.1')
    manifest = _parse(requires_app='>=0.1,<1', requires_python='>=3.11')
    assert manifest.accepts_app('0.1.0') and not manifest.accepts_app('1.0.0')
    assert manifest.accepts_python('3.11.7') and not manifest.accepts_python('3.10.0')


def test_the_manifest_is_read_from_a_wheel_without_importing_it() -> None:
    plugin_id = unique_id()
    wheel = build_wheel(manifest_for(plugin_id, version='2.3.4'), {'plugin.py': 'raise SystemExit("never run")'})
    manifest = read_wheel_manifest(wheel)
    assert (manifest.id, manifest.version) == (plugin_id, '2.3.4')


def test_a_wheel_without_a_manifest_is_not_a_plugin() -> None:
    plugin_id = unique_id()
    wheel = build_wheel(manifest_for(plugin_id), {})
    stripped = _without(wheel, f'{plugin_id}/plugin.json')
    with pytest.raises(PluginRefusedError) as caught:
        read_wheel_manifest(stripped)
    assert caught.value.code == 'error.plugins.no_manifest'


def _without(wheel: bytes, name: str) -> bytes:
    """The wheel rebuilt without one entry (and without its RECORD line)."""
    source = zipfile.ZipFile(io.BytesIO(wheel))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as target:
        for info in source.infolist():
            if info.filename == name:
                continue
            data = source.read(info)
            if info.filename.endswith('/RECORD'):
                data = b'\n'.join(line for line in data.splitlines() if not line.startswith(name.encode()))
            target.writestr(info.filename, data)
    return buffer.getvalue()
