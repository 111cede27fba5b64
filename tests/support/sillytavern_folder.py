"""A SillyTavern user folder (`data/<user>/`) assembled at test time in a temporary folder from the real files in
../shared/compat (copied into the temporary folder only, never into the project), plus small generated files:
persona pictures, a group file and `settings.json`.

`EXPECTED` is what migrating it must report, item by item.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

from .compat import COMPAT_DIR
from .images import png_bytes

GROUP_ID = '1721581571650'
GROUP_CHAT = '2024-7-19@22h51m00s'
ALICE_AVATAR = '1700000000000-Alice.png'
NARRATOR_AVATAR = '1700000000001-Narrator.png'

# (path in the user folder, compat file it is copied from)
COPIED = (
    ('characters/Seraphina.png', 'sillytavern/default_Seraphina.png'),
    ('characters/魔都诡事.png', 'community/cards-png/魔都诡事.png'),
    ('characters/Luna Starweaver.json', 'community/cards-json/test-card.json'),
    ('characters/Dr. Light.png', 'community/cards-png/Dr._Light.png'),
    ('characters/Test Character.charx', 'community/charx/test_character.charx'),
    ('characters/Professor Mari.png', 'community/cards-png/Professor_Mari.png'),
    ('chats/Seraphina/Seraphina - 2024-6-14@08h18m03s.jsonl', 'community/chats/Claude_-_2024-6-14@08h18m03s.jsonl'),
    ('chats/魔都诡事/魔都诡事 - 2025-05-12@20h42m42s.jsonl', 'community/chats/卡_-_2025-05-12@20h42m42s.jsonl'),
    ('chats/Dr. Light/Dr. Light - 2024-6-13 @20h 30m 23s 695ms.jsonl',
     'community/chats/Dr._Ilya_Sutskever_-_2024-6-13_@20h_30m_23s_695ms.jsonl'),
    ('chats/Ghost/Ghost - 2024-1-1@00h00m00s.jsonl', 'community/chats/Claude_-_2024-6-14@08h18m03s.jsonl'),
    (f'group chats/{GROUP_CHAT}.jsonl', 'community/chats/2024-7-19@22h51m00s.jsonl'),
    ('worlds/Eldoria.json', 'sillytavern/Eldoria.json'),
    ('worlds/DMC Inc.json', 'community/worlds/DMC_Inc.json'),
    ('worlds/魔都诡事.json', 'community/worlds/魔都诡事.json'),
    ('OpenAI Settings/Default.json', 'sillytavern/presets/openai/Default.json'),
    ('TextGen Settings/Default.json', 'sillytavern/presets/textgen/Default.json'),
    ('KoboldAI Settings/Godlike.json', 'sillytavern/presets/kobold/Godlike.json'),
    ('instruct/ChatML.json', 'sillytavern/presets/instruct/ChatML.json'),
    ('instruct/Gemma-Custom.json', 'community/presets/Gemma-Custom.json'),
    ('context/ChatML.json', 'sillytavern/presets/context/ChatML.json'),
    ('sysprompt/Actor.json', 'sillytavern/presets/sysprompt/Actor.json'),
)
BROKEN_CHAT = 'chats/Dr. Light/Dr. Light - broken.jsonl'

# (kind, source, name, status, reason code) of every item, in report order
CHAR_LORE = 'settings.json: world_info.charLore, cards: extensions.world'
EXPECTED = [
    ('character', 'characters/Dr. Light.png', 'Dr. Light', 'imported', None),
    ('character', 'characters/Luna Starweaver.json', 'Luna Starweaver', 'imported', None),
    ('character', 'characters/Professor Mari.png', 'Professor Mari', 'failed', 'error.card.lfs_pointer'),
    ('character', 'characters/Seraphina.png', 'Seraphina', 'imported', None),
    ('character', 'characters/Test Character.charx', 'Test Character', 'imported', None),
    ('character', 'characters/魔都诡事.png', '魔都诡事', 'imported', None),
    ('lorebook', 'worlds/DMC Inc.json', 'DMC Inc', 'imported', None),
    # the same entries as the books embedded in the cards that link these worlds
    ('lorebook', 'worlds/Eldoria.json', 'Eldoria', 'skipped', None),
    ('lorebook', 'worlds/魔都诡事.json', '魔都诡事', 'skipped', None),
    ('chat', 'chats/Dr. Light/Dr. Light - 2024-6-13 @20h 30m 23s 695ms.jsonl',
     'Dr. Light - 2024-6-13 @20h 30m 23s 695ms', 'imported', None),
    ('chat', BROKEN_CHAT, 'Dr. Light - broken', 'failed', 'error.chat_file.bad_line'),
    ('chat', 'chats/Ghost/Ghost - 2024-1-1@00h00m00s.jsonl', 'Ghost - 2024-1-1@00h00m00s', 'failed',
     'error.migration.chat_without_character'),
    ('chat', 'chats/Seraphina/Seraphina - 2024-6-14@08h18m03s.jsonl', 'Seraphina - 2024-6-14@08h18m03s', 'imported',
     None),
    ('chat', 'chats/魔都诡事/魔都诡事 - 2025-05-12@20h42m42s.jsonl', '魔都诡事 - 2025-05-12@20h42m42s', 'imported',
     None),
    ('group_chat', f'group chats/{GROUP_CHAT}.jsonl', f'Villain pub – {GROUP_CHAT}', 'imported', None),
    ('preset', 'OpenAI Settings/Default.json', 'Default (chat_completion)', 'imported', None),
    ('preset', 'TextGen Settings/Default.json', 'Default (textgen)', 'imported', None),
    ('preset', 'KoboldAI Settings/Godlike.json', 'Godlike (kobold)', 'imported', None),
    ('preset', 'instruct/ChatML.json', 'ChatML (instruct)', 'imported', None),
    ('preset', 'instruct/Gemma-Custom.json', 'Gemma-Custom (instruct)', 'imported', None),
    ('preset', 'instruct/Gemma-Custom.json', 'Gemma-Custom (context)', 'imported', None),
    ('preset', 'instruct/Gemma-Custom.json', 'Gemma-Custom (sysprompt)', 'imported', None),
    ('preset', 'context/ChatML.json', 'ChatML (context)', 'imported', None),
    ('preset', 'sysprompt/Actor.json', 'Actor (sysprompt)', 'imported', None),
    ('persona', f'User Avatars/{ALICE_AVATAR}', 'Alice', 'imported', None),
    ('persona', f'User Avatars/{NARRATOR_AVATAR}', 'Narrator', 'imported', None),
    ('settings', CHAR_LORE, 'Seraphina: Eldoria', 'skipped', None),
    ('settings', CHAR_LORE, '魔都诡事: 魔都诡事', 'skipped', None),
    ('settings', CHAR_LORE, 'Dr. Light: DMC Inc', 'imported', None),
    ('settings', 'settings.json: world_info.globalSelect', 'Eldoria', 'imported', None),
    ('settings', 'settings.json: world_info_settings', 'world_info_settings', 'imported', None),
]
EXPECTED_NOTES = ['migration.note.backgrounds', 'migration.note.group_chats']
IMPORTED_CHARACTERS = ['Dr. Light', 'Luna Starweaver', 'Seraphina', 'Test Character', '魔都诡事']
ALICE_DESCRIPTION = '{{user}} is a travelling botanist who keeps a notebook of every plant she finds.'
NARRATOR_DESCRIPTION = 'An unseen voice that describes the scene.'


def build_user_folder(root: Path) -> Path:
    """Fill `root` (created when missing) as a SillyTavern `data/<user>/` folder; returns `root`."""
    for target, source in COPIED:
        path = root / target
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(COMPAT_DIR / source, path)
    (root / BROKEN_CHAT).write_text('{"user_name":"You","character_name":"Dr. Light"}\nthis line is not JSON\n',
                                    encoding='utf-8')
    _write_json(root / 'groups' / f'{GROUP_ID}.json', _group())
    (root / 'User Avatars').mkdir()
    (root / 'User Avatars' / ALICE_AVATAR).write_bytes(png_bytes(color='orange'))
    (root / 'User Avatars' / NARRATOR_AVATAR).write_bytes(png_bytes(color='navy'))
    _write_json(root / 'settings.json', _settings())
    (root / 'backgrounds').mkdir()
    (root / 'backgrounds' / 'tavern.jpg').write_bytes(b'not migrated')
    (root / 'thumbnails' / 'avatar').mkdir(parents=True)
    (root / 'thumbnails' / 'avatar' / 'Seraphina.png').write_bytes(png_bytes())
    return root


def zip_folder(folder: Path, top: str = '') -> bytes:
    """A zip of everything in `folder`, under the top folder `top` when given (as zip tools usually do)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob('*')):
            if path.is_file():
                archive.write(path, '/'.join(part for part in (top, path.relative_to(folder).as_posix()) if part))
    return buffer.getvalue()


def _group() -> dict:
    return {'id': GROUP_ID, 'name': 'Villain pub', 'members': ['Ghost.png', 'Dr. Light.png', 'Seraphina.png'],
            'chat_id': GROUP_CHAT, 'chats': [GROUP_CHAT], 'activation_strategy': 0, 'generation_mode': 0,
            'chat_metadata': {'note_prompt': 'Keep the pub lively.', 'note_depth': 4, 'world_info': 'DMC Inc'}}


def _settings() -> dict:
    return {
        'firstRun': False,
        'username': 'Alice',
        'power_user': {
            'personas': {ALICE_AVATAR: 'Alice', NARRATOR_AVATAR: 'Narrator'},
            'persona_descriptions': {
                ALICE_AVATAR: {'description': ALICE_DESCRIPTION, 'position': 0, 'lorebook': 'DMC Inc'},
                NARRATOR_AVATAR: {'description': NARRATOR_DESCRIPTION, 'position': 0},
            },
            'default_persona': ALICE_AVATAR,
        },
        'world_info_settings': {
            'world_info': {'globalSelect': ['Eldoria'], 'charLore': [{'name': 'Dr. Light', 'extraBooks': ['DMC Inc']}]},
            'world_info_depth': 3,
            'world_info_budget': 30,
            'world_info_recursive': True,
        },
    }


def _write_json(path: Path, value: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=4), encoding='utf-8')
