"""Dice roller: a TavernAI Plus plugin. The hooks are in `plugin.py`, the dice notation in `dice.py`."""
