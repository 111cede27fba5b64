"""One migration run: everything in a SillyTavern user folder into one account, item by item, with progress.

Order matters: characters first (their embedded lorebooks come with the card import), then the world files, so
that chats, personas and the world-info links can find their character and their lorebooks; then chats, group
chats, presets, personas, and last the world-info links and settings from `settings.json`. Every file or entry is
one item of the report: imported, skipped (already here) or failed with the reason; one broken file never stops the
run. Running it again creates nothing new (how each kind is recognised is described in its module).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from ...db.database import Database
from ...db.models import User
from ...errors import TavernError
from ...infra.key_value import KeyValueStore
from ..card_import import CardImportService
from ..characters import CharacterService
from ..chat_files import ChatImportService
from ..chats import ChatService
from ..lorebooks import LorebookService
from ..media import MediaStore
from ..personas import PersonaService
from ..presets import PresetService
from .chat_steps import ChatSteps
from .folder_layout import find_layout
from .jobs import MigrationJobs
from .library_steps import LibrarySteps
from .limits import MigrationLimits
from .profile_steps import ProfileSteps
from .report import MigrationItem, MigrationReport, Reason
from .run_base import Step, failing, note, read_json_object
from .unpack import unpack_zip

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], Awaitable[None] | None]


class MigrationService:
    """Migrates a folder (`migrate_folder`), a folder or zip on the server (`migrate_path`, for the command line),
    or an uploaded zip in the background (`jobs`)."""

    def __init__(self, db: Database, kv: KeyValueStore, work_dir: Path, *, characters: CharacterService,
                 card_import: CardImportService, chats: ChatService, chat_import: ChatImportService,
                 lorebooks: LorebookService, presets: PresetService, personas: PersonaService, media: MediaStore,
                 limits: MigrationLimits | None = None) -> None:
        self.db = db
        self.work_dir = work_dir
        self.characters = characters
        self.card_import = card_import
        self.chats = chats
        self.chat_import = chat_import
        self.lorebooks = lorebooks
        self.presets = presets
        self.personas = personas
        self.media = media
        self.limits = limits or MigrationLimits()
        self.jobs = MigrationJobs(self.migrate_folder, kv, work_dir, self.limits)

    async def migrate_path(self, owner: User, path: Path, progress: Progress | None = None) -> MigrationReport:
        """Migrate a SillyTavern folder, or a zip of one (unpacked into a temporary folder first)."""
        if not path.is_file():
            return await self.migrate_folder(owner, path, progress)
        data = await asyncio.to_thread(path.read_bytes)
        await asyncio.to_thread(self.work_dir.mkdir, parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.work_dir) as folder:
            await asyncio.to_thread(unpack_zip, data, Path(folder), self.limits)
            del data
            return await self.migrate_folder(owner, Path(folder), progress)

    async def migrate_folder(self, owner: User, root: Path, progress: Progress | None = None) -> MigrationReport:
        """Migrate the SillyTavern user folder at or inside `root` into `owner`'s account.

        `progress(done, total, source)` is called before each step (a file or entry; awaited when it returns an
        awaitable) and once more with `done == total` at the end. Raises `InvalidInputError` when `root` holds no
        SillyTavern data.
        """
        layout = await asyncio.to_thread(find_layout, root)
        return await MigrationRun(self, owner, layout).execute(progress)


class MigrationRun(LibrarySteps, ChatSteps, ProfileSteps):
    async def execute(self, progress: Progress | None) -> MigrationReport:
        steps = await asyncio.to_thread(self.plan)
        items: list[MigrationItem] = []
        for done, step in enumerate(steps):
            await _tell(progress, done, len(steps), step.source)
            items.extend(await self._run(step))
        await _tell(progress, len(steps), len(steps), '')
        if any(item.kind == 'group_chat' and item.status == 'imported' for item in items):
            self.notes.append(note('migration.note.group_chats', 'Group chats were added to the chat list of their '
                                   'first member; every message keeps its speaker, but the group settings (members, '
                                   'reply order, muted members) are not kept.'))
        return MigrationReport(items=items, notes=self.notes)

    def plan(self) -> list[Step]:
        """Every step of the folder in migration order (runs in a worker thread: it lists and reads files)."""
        self._note_skipped_content()
        settings_failure = self._read_settings()
        return [*self.character_steps(), *self.lorebook_steps(), *self.chat_steps(), *self.group_chat_steps(),
                *self.preset_steps(), *self.persona_steps(), *self.world_info_steps(), *settings_failure]

    async def _run(self, step: Step) -> list[MigrationItem]:
        """The step's items; a step that raises is one failed item with the reason."""
        try:
            outcome = await step.run(step)
        except TavernError as error:
            return [step.item('failed', reason=Reason.of(error))]
        except Exception as error:  # one broken file never stops the run: it fails with what went wrong
            log.exception('migrating %s failed', step.source)
            return [step.item('failed', reason=Reason(code='error.migration.unexpected',
                                                      message=f'Unexpected error: {error}',
                                                      params={'reason': str(error)}))]
        return outcome if isinstance(outcome, list) else [outcome]

    def _read_settings(self) -> list[Step]:
        """Read `settings.json` into `self.settings`; a failed step saying why when it cannot be read."""
        path = self.layout.settings_file()
        if path is None:
            return []
        try:
            self.settings = read_json_object(path)
        except TavernError as error:
            return [Step('settings', self.layout.relative(path), path.name, failing(error))]
        return []

    def _note_skipped_content(self) -> None:
        for key, message, count in self.layout.not_migrated():
            self.notes.append(note(key, message, count=count))
        sprites = self.layout.sprite_folders()
        if sprites:
            self.notes.append(note('migration.note.sprites', f'{len(sprites)} character sprite folders '
                                   '(characters/<name>/) are not migrated.', count=len(sprites)))


async def _tell(progress: Progress | None, done: int, total: int, source: str) -> None:
    if progress is None:
        return
    result = progress(done, total, source)
    if inspect.isawaitable(result):
        await result
