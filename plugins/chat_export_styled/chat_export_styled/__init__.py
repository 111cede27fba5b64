"""Styled chat export: a TavernAI Plus plugin. The hooks are in `plugin.py`; `markup.py` turns message markdown
into safe XHTML, `styled_html.py` and `epub.py` build the two files, `styles.py` holds their CSS."""
