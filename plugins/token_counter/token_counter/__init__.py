"""Token and cost counter: a TavernAI Plus plugin. The hooks are in `plugin.py`, the price table in `prices.py`,
the counting in `usage.py` and the side panel and page in `views.py`."""
