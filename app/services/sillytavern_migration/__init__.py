"""Whole-folder migration from SillyTavern: characters, chats, group chats, lorebooks, presets and personas of one
SillyTavern user folder (or a zip of it) into one account, with progress and a per-item report.

One concept per module: `folder_layout` finds what is where, `unpack` opens zips safely, `limits` caps sizes,
`migration` is the run, made of `library_steps` (characters, lorebooks, world-info links), `chat_steps` (chats and
group chats) and `profile_steps` (presets, personas) on the shared state of `run_base`; `report` is its outcome,
`jobs` runs uploads in the background, and `command` is the `tavern import-sillytavern` command.
"""

from .chat_steps import CHAT_SOURCE_KEY
from .jobs import MigrationJob, MigrationJobs
from .limits import MigrationLimits
from .migration import MigrationService
from .report import KINDS, ItemKind, KindCounts, MigrationItem, MigrationReport, Reason

__all__ = ['CHAT_SOURCE_KEY', 'KINDS', 'ItemKind', 'KindCounts', 'MigrationItem', 'MigrationJob', 'MigrationJobs',
           'MigrationLimits', 'MigrationReport', 'MigrationService', 'Reason']
