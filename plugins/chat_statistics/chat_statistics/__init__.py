"""Chat statistics: a TavernAI Plus plugin. The hooks are in `plugin.py`, the counting in `counting.py`, reading
the chats in `collect.py`, the side panel and the page in `panels.py` (drawn with `views.py`)."""
