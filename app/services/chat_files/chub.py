"""Chub (chub.ai) chat exports: SillyTavern JSONL whose message text is nested as `"mes": {"message": ...}` and
whose swipes are objects `{"message": ...}` instead of strings.

`st_message` already reads both shapes as text (as SillyTavern's `flattenChubChat` does), so the messages import
like any SillyTavern chat and export flattened; this module only recognises the format, so the chat records where
it came from.
"""

from __future__ import annotations

from typing import Any


def is_chub(messages: list[tuple[int, dict[str, Any]]]) -> bool:
    return any(isinstance(item.get('mes'), dict) or _has_swipe_objects(item) for _, item in messages)


def _has_swipe_objects(item: dict[str, Any]) -> bool:
    swipes = item.get('swipes')
    return isinstance(swipes, list) and any(isinstance(swipe, dict) for swipe in swipes)
