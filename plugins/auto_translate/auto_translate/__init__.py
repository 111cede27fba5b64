"""Auto-translate: a TavernAI Plus plugin. Hooks in `plugin.py`, translating and the cache in `translations.py`, the
message action in `view.py`."""
