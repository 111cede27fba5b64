"""`tavern plugin …` run through the real command-line entry point, on a SQLite data dir in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from tests.support.plugin_builds import build_into, edit_index, isolated_imports, plugin_source
from tests.support.plugin_wheels import unique_id


@pytest.fixture(autouse=True)
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('TAVERN_DATA_DIR', str(tmp_path / 'data'))
    monkeypatch.setenv('DATABASE_URL', '')
    monkeypatch.setenv('REDIS_URL', '')
    monkeypatch.setenv('TAVERN_SECRET_KEY', 'cli-test-secret')
    monkeypatch.setenv('TAVERN_PLUGIN_INDEX_URLS', str(tmp_path / 'index' / 'index.json'))
    with isolated_imports():
        yield


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(['plugin', *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_new_writes_a_plugin_and_refuses_to_overwrite_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, 'new', 'Morning Greeter', '--dir', str(tmp_path / 'work'))
    root = tmp_path / 'work' / 'morning_greeter'
    assert code == 0 and str(root) in out
    assert '"name": "Morning Greeter"' in (root / 'morning_greeter' / 'plugin.json').read_text()
    assert (root / 'tests' / 'test_morning_greeter.py').is_file()
    code, _, err = _run(capsys, 'new', 'morning_greeter', '--dir', str(tmp_path / 'work'))
    assert code == 2 and 'already exists' in err
    code, _, err = _run(capsys, 'new', '9 lives', '--dir', str(tmp_path / 'work'))
    assert code == 2 and 'cannot name a plugin' in err


def test_build_index_writes_wheels_and_an_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plugin_source(tmp_path / 'sources', 'dice_roller', '1.0.0')
    plugin_source(tmp_path / 'sources', 'weather', '0.2.0')
    code, out, _ = _run(capsys, 'build-index', str(tmp_path / 'sources'), '--out', str(tmp_path / 'published'))
    assert code == 0
    assert 'Built tavern_plugin_dice_roller-1.0.0-py3-none-any.whl (dice_roller 1.0.0, sha256 ' in out
    assert (tmp_path / 'published' / 'index.json').is_file()
    assert len(list((tmp_path / 'published').glob('*.whl'))) == 2
    code, out, _ = _run(capsys, 'build-index', str(tmp_path / 'sources' / 'weather-0.2.0'))
    assert code == 0
    assert f'Wrote {tmp_path / "data" / "plugins" / "local-index" / "index.json"}.' in out
    code, out, _ = _run(capsys, 'build-index', str(tmp_path / 'nothing'))
    assert code == 1 and 'No plugin source folders' in out


def test_install_list_disable_enable_uninstall(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plugin_id = unique_id()
    build_into(tmp_path / 'index', plugin_source(tmp_path / 'sources', plugin_id, permissions=['chat.read']))
    code, out, _ = _run(capsys, 'install', plugin_id, '--yes')
    assert code == 0, out
    assert 'asks for these permissions: chat.read' in out and f'Installed {plugin_id} 1.0.0.' in out
    assert _run(capsys, 'list')[1].split() == [plugin_id, '1.0.0', 'enabled', 'site']
    assert _run(capsys, 'disable', plugin_id)[0] == 0
    assert _run(capsys, 'list')[1].split()[2] == 'disabled'
    assert _run(capsys, 'enable', plugin_id)[0] == 0
    assert _run(capsys, 'list')[1].split()[2] == 'enabled'
    code, out, _ = _run(capsys, 'uninstall', plugin_id)
    assert code == 0 and f'Uninstalled {plugin_id}.' in out
    assert _run(capsys, 'list')[1] == 'No plugins are installed.\n'


def test_install_asks_for_consent_without_yes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_id = unique_id()
    build_into(tmp_path / 'index', plugin_source(tmp_path / 'sources', plugin_id, permissions=['network']))
    monkeypatch.setattr('builtins.input', lambda question: 'n')
    code, out, _ = _run(capsys, 'install', plugin_id)
    assert code == 1 and 'Not installed.' in out
    monkeypatch.setattr('builtins.input', _no_terminal)
    assert _run(capsys, 'install', plugin_id)[0] == 1
    assert _run(capsys, 'list')[1] == 'No plugins are installed.\n'
    monkeypatch.setattr('builtins.input', lambda question: 'y')
    assert _run(capsys, 'install', plugin_id)[0] == 0


def _no_terminal(question: str) -> str:
    raise EOFError


def test_install_from_a_wheel_file_and_a_wheel_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from_file, from_url = unique_id('file'), unique_id('url')
    for plugin_id in (from_file, from_url):
        plugin_source(tmp_path / 'sources', plugin_id)
    _run(capsys, 'build-index', str(tmp_path / 'sources'), '--out', str(tmp_path / 'wheels'))
    (file_wheel,) = (tmp_path / 'wheels').glob(f'tavern_plugin_{from_file}-*.whl')
    (url_wheel,) = (tmp_path / 'wheels').glob(f'tavern_plugin_{from_url}-*.whl')
    assert _run(capsys, 'install', str(file_wheel), '--yes')[0] == 0
    assert _run(capsys, 'install', url_wheel.as_uri(), '--yes')[0] == 0
    listed = {line.split()[0] for line in _run(capsys, 'list')[1].splitlines()}
    assert listed == {from_file, from_url}


def test_a_refused_install_exits_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plugin_id = unique_id()
    index = build_into(tmp_path / 'index', plugin_source(tmp_path / 'sources', plugin_id))
    edit_index(index, lambda document: document['revoked'].append(
        {'id': plugin_id, 'versions': '*', 'reason': 'malware'}))
    code, _, err = _run(capsys, 'install', f'{plugin_id}==1.0.0', '--yes')
    assert code == 2
    assert f'tavern: Version 1.0.0 of "{plugin_id}" was revoked by the index (malware)' in err
