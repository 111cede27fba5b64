"""Character randomiser: a TavernAI Plus plugin. The hooks are in `plugin.py`, the choosing in `picker.py`, the
library page section in `section.py`."""
