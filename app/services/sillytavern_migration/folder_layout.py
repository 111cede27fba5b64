"""What is where in a SillyTavern folder, and which folder of an upload or a path is the SillyTavern data.

SillyTavern keeps each user's data in `data/<handle>/` (Appendix A of the research notes): `characters/` (cards),
`chats/<character file name>/*.jsonl`, `group chats/*.jsonl` with their groups in `groups/*.json`, `worlds/*.json`
(lorebooks), one folder per preset kind, `User Avatars/` (persona pictures) and `settings.json`. Versions before
1.10 kept the same folders in `public/`. A path given to the migration may be that user folder, SillyTavern's own
folder (holding `data/<handle>/` or `public/`), or a folder around one of those (a zip usually wraps everything in
one top folder); `find_layout` looks in those places, in that order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import InvalidInputError

CHARACTERS = 'characters'
CHATS = 'chats'
GROUP_CHATS = 'group chats'
GROUPS = 'groups'
WORLDS = 'worlds'
USER_AVATARS = 'User Avatars'
SETTINGS_FILE = 'settings.json'
PRESET_FOLDERS = ('OpenAI Settings', 'TextGen Settings', 'KoboldAI Settings', 'instruct', 'context', 'sysprompt')
MARKERS = (CHARACTERS, CHATS, GROUP_CHATS, WORLDS, USER_AVATARS, 'OpenAI Settings', 'TextGen Settings',
           'KoboldAI Settings')
CARD_SUFFIXES = ('.png', '.json', '.charx')
# Folders (and files) of a SillyTavern user folder that are not migrated: (note key, English note with {count}).
NOT_MIGRATED = {
    'backgrounds': ('migration.note.backgrounds', 'Backgrounds ({count} files) are not migrated: chat backgrounds '
                    'are not supported yet.'),
    'NovelAI Settings': ('migration.note.novelai', 'NovelAI presets ({count} files) are not migrated: NovelAI is not '
                         'supported.'),
    'themes': ('migration.note.themes', 'UI themes ({count} files) are not migrated: the look is chosen in '
               'Settings.'),
    'QuickReplies': ('migration.note.quick_replies', 'Quick Replies ({count} files) are not migrated: they are not '
                     'supported yet.'),
    'extensions': ('migration.note.extensions', 'SillyTavern extensions ({count} files) are not migrated: they do '
                   'not run here.'),
    'backups': ('migration.note.backups', 'Chat backups ({count} files) are not migrated: the chats themselves are.'),
    'secrets.json': ('migration.note.secrets', 'API keys (secrets.json) are not migrated: add your connections '
                     'again, with their keys, on the Connections page.'),
}
INTERNAL_DATA_PREFIX = '_'  # SillyTavern's `data/_storage`, `_uploads`, `_cache` are not user folders


@dataclass(frozen=True)
class FolderLayout:
    """One SillyTavern user folder (`data/<handle>/`, or `public/` of an old installation)."""

    root: Path

    def relative(self, path: Path) -> str:
        """The path as shown in the report: relative to the user folder, with forward slashes."""
        return path.relative_to(self.root).as_posix()

    def card_files(self) -> list[Path]:
        return _files(self.root / CHARACTERS, CARD_SUFFIXES)

    def sprite_folders(self) -> list[Path]:
        """`characters/<name>/` folders: expression sprites and other per-character images."""
        return _folders(self.root / CHARACTERS)

    def chat_folders(self) -> list[Path]:
        """`chats/<character file name>/`, one folder per character."""
        return _folders(self.root / CHATS)

    def chat_files(self, folder: Path) -> list[Path]:
        return _files(folder, ('.jsonl',))

    def group_chat_files(self) -> list[Path]:
        return _files(self.root / GROUP_CHATS, ('.jsonl',))

    def group_files(self) -> list[Path]:
        return _files(self.root / GROUPS, ('.json',))

    def world_files(self) -> list[Path]:
        return _files(self.root / WORLDS, ('.json',))

    def preset_files(self) -> list[Path]:
        return [path for folder in PRESET_FOLDERS for path in _files(self.root / folder, ('.json',))]

    def settings_file(self) -> Path | None:
        path = self.root / SETTINGS_FILE
        return path if path.is_file() else None

    def persona_avatar(self, filename: str) -> Path | None:
        """`User Avatars/<filename>`, when it is a plain file name and the file exists."""
        if not filename or filename != Path(filename).name or filename.startswith('.'):
            return None
        path = self.root / USER_AVATARS / filename
        return path if path.is_file() else None

    def not_migrated(self) -> list[tuple[str, str, int]]:
        """(note key, English note, number of files) of each folder or file here that the migration leaves alone."""
        found = []
        for name, (key, note) in NOT_MIGRATED.items():
            path = self.root / name
            count = 1 if path.is_file() else sum(1 for item in path.rglob('*') if item.is_file())
            if count:
                found.append((key, note.format(count=count), count))
        return found


def find_layout(path: Path) -> FolderLayout:
    """The SillyTavern user folder at or inside `path`; refuses anything else with what was expected."""
    if not path.is_dir():
        raise InvalidInputError('error.migration.not_found', f'There is no folder or zip at "{path}".',
                                path=str(path))
    for candidate in [path, *_single_child(path)]:
        layout = _layout_in(candidate)
        if layout is not None:
            return layout
    raise InvalidInputError('error.migration.not_sillytavern',
                            'No SillyTavern data was found here. Expected a SillyTavern user folder (data/<user>/ '
                            'with characters/, chats/, worlds/, settings.json …), the older public/ folder, the '
                            'SillyTavern folder holding one of them, or a zip of any of these.')


def _layout_in(folder: Path) -> FolderLayout | None:
    """The user folder that is `folder`, or is in its `data/` (newer SillyTavern) or `public/` (older)."""
    if _is_user_folder(folder):
        return FolderLayout(folder)
    users = [child for child in _folders(folder / 'data')
             if not child.name.startswith(INTERNAL_DATA_PREFIX) and _is_user_folder(child)]
    if len(users) > 1:
        names = ', '.join(user.name for user in users)
        raise InvalidInputError('error.migration.several_users',
                                f'This SillyTavern folder holds the data of several users ({names}). Choose one: '
                                'give the path of data/<user>/, or zip only that folder.', users=names)
    if users:
        return FolderLayout(users[0])
    public = folder / 'public'
    return FolderLayout(public) if _is_user_folder(public) else None


def _is_user_folder(folder: Path) -> bool:
    return any((folder / marker).is_dir() for marker in MARKERS)


def _single_child(folder: Path) -> list[Path]:
    """The one folder inside `folder` when there is nothing else in it (how zips usually wrap their content)."""
    children = [child for child in folder.iterdir() if not child.name.startswith(('.', '__MACOSX'))]
    return children if len(children) == 1 and children[0].is_dir() else []


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir()
                  if path.is_file() and not path.name.startswith('.') and path.suffix.lower() in suffixes)


def _folders(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.is_dir() and not path.name.startswith('.'))
