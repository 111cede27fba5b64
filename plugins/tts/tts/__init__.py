"""Text to speech: a TavernAI Plus plugin. Hooks in `plugin.py`, the text and the browser call in `speech.py`, the
buttons in `view.py`."""
