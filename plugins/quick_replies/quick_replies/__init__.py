"""Quick replies: a TavernAI Plus plugin. Hooks in `plugin.py`, storage in `store.py`, the management page in
`page.py`, SillyTavern Quick Reply files in `sillytavern.py`."""
