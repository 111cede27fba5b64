"""Reply suggestions: a TavernAI Plus plugin. The hooks are in `plugin.py`, the prompt and the parsing of the answer
in `suggest.py`, the toolbar button in `toolbar.py`."""
