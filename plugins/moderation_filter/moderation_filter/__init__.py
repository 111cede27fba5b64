"""Moderation filter: a TavernAI Plus plugin. The hooks are in `plugin.py`, the matching in `rules.py`, the flag
log in `flag_log.py`, the manifest in `plugin.json`."""
