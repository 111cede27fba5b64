"""Memory summariser: a TavernAI Plus plugin. Hooks in `plugin.py`, the summaries in `summaries.py`, the sidebar
panel in `panel.py`."""
