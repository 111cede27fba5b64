"""Regex scripts: a TavernAI Plus plugin. Hooks in `plugin.py`, the matching in `engine.py`, storage in `store.py`,
SillyTavern files in `sillytavern.py`, the management page in `page.py`."""
