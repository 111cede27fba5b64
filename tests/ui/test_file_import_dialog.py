"""The import dialog the library, presets and lorebooks pages share: a progress bar that moves file by file and hides
when the upload is done, and a failed line for a file over the size limit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from nicegui import ElementFilter, events, ui
from nicegui.testing import User

from app.db.models import User as Account
from tests.support.compat import COMPAT_DIR
from tests.support.compat_cards import file_data

Login = Callable[..., Awaitable[Account]]
COMMUNITY_PRESETS = COMPAT_DIR / 'community' / 'presets'
KOBOLD_PRESETS = COMPAT_DIR / 'sillytavern' / 'presets' / 'kobold'
TAROT = COMPAT_DIR / 'community/worlds/塔罗牌v1.3.0.json'
PRESET_LIMIT_MB = 5

# Per kind: page, button, marker prefix, three files (Gemma-Custom.json is a master export of three presets), the
# summary and the number of result lines.
KINDS = {
    'card': ('/', 'import-characters', 'card-import',
             [('test-card.json', file_data('test-card.json')), ('Dr._Light.png', file_data('Dr._Light.png')),
              ('invalid_missing_name.json', file_data('invalid_missing_name.json'))],
             '2 imported, 0 already in your library, 1 failed.', 3),
    'preset': ('/presets', 'import-presets', 'preset-import',
               [('Gemma-Custom.json', (COMMUNITY_PRESETS / 'Gemma-Custom.json').read_bytes()),
                ('Godlike.json', (KOBOLD_PRESETS / 'Godlike.json').read_bytes()),
                ('notes.json', b'{"title": "not a preset"}')],
               '4 imported, 0 replaced, 1 failed.', 5),
    'lorebook': ('/lorebooks', 'import-lorebooks', 'lorebook-import',
                 [(TAROT.name, TAROT.read_bytes()), ('notes.json', b'{"title": "not a book"}'),
                  ('again.json', TAROT.read_bytes())],
                 '2 imported, 1 failed.', 3),
}


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


async def _open_dialog(user: User, path: str, button: str, marker: str) -> ui.upload:
    await user.open(path)
    user.find(marker=button).click()
    await user.should_see(marker=f'{marker}-dialog')
    upload = _element(user, f'{marker}-upload')
    assert isinstance(upload, ui.upload)
    return upload


@pytest.mark.parametrize('kind', KINDS)
async def test_the_progress_bar_moves_file_by_file_then_hides(user: User, login: Login, kind: str) -> None:
    path, button, marker, files, summary, result_lines = KINDS[kind]
    await login()
    upload = await _open_dialog(user, path, button, marker)
    with user:
        (progress,) = ElementFilter(kind=ui.linear_progress, marker=f'{marker}-progress')
    assert not progress.visible
    shown: list[tuple[float, bool]] = []

    def record(event: events.ValueChangeEventArguments) -> None:
        shown.append((event.value, progress.visible))

    progress.on_value_change(record)
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload(name, 'application/octet-stream', data)
                                     for name, data in files])
    await user.should_see(summary, retries=50)
    assert shown == [(1 / 3, True), (2 / 3, True)]
    assert not progress.visible
    assert len(user.find(marker=f'{marker}-result').elements) == result_lines


async def test_a_file_over_the_size_limit_gets_a_failed_line(user: User, login: Login, tmp_path: Path) -> None:
    await login()
    upload = await _open_dialog(user, '/presets', 'import-presets', 'preset-import')
    big = tmp_path / 'big.json'
    big.write_bytes(b'{"temp": 1}' + b' ' * (PRESET_LIMIT_MB * 1024 * 1024))
    with user:
        await upload.handle_uploads([ui.upload.LargeFileUpload('big.json', 'application/json', big)])
    await user.should_see('0 imported, 0 replaced, 1 failed.', retries=50)
    await user.should_see(f'big.json is larger than {PRESET_LIMIT_MB} MB; presets are much smaller.')
    assert len(user.find(marker='preset-import-result failed').elements) == 1
