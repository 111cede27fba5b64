"""SillyTavern presets: kinds and their detection, the chat-completion prompt manager, and per-user storage."""

from .preset_kinds import KINDS, SAMPLER_KINDS, PresetPart, detect_kind, preset_parts, read_preset_file
from .preset_service import (
    PresetChanges,
    PresetCreate,
    PresetFileLimits,
    PresetImportReport,
    PresetImportResult,
    PresetKind,
    PresetRead,
    PresetService,
    PresetSummary,
)
from .prompt_manager import PromptBlock, PromptManagerConfig, default_prompt_manager

__all__ = [
    'KINDS',
    'SAMPLER_KINDS',
    'PresetChanges',
    'PresetCreate',
    'PresetFileLimits',
    'PresetImportReport',
    'PresetImportResult',
    'PresetKind',
    'PresetPart',
    'PresetRead',
    'PresetService',
    'PresetSummary',
    'PromptBlock',
    'PromptManagerConfig',
    'default_prompt_manager',
    'detect_kind',
    'preset_parts',
    'read_preset_file',
]
