"""SillyTavern-compatible character card files: read PNG, JSON, CharX and YAML cards into our V3 card document and
write PNG, JSON (V2/V3) and CharX cards from it.

One concept per module: `png_chunks` handles PNG text chunks and `png_card` the cards in them, `card_json` decodes
card JSON, `normalize` maps every card shape to our document, `spec_shapes` maps it back to V2/V3, `charx` and
`safe_zip` handle archives, `yaml_card` oobabooga files, `content_hash` recognises duplicates, `limits` caps sizes,
and `reader`/`writer` pick the format.
"""

from .charx import CharxFiles, KeptFiles, adopt_icon, kept_files, with_kept_files
from .content_hash import content_hash
from .limits import CardFileLimits
from .reader import ParsedCard, open_card_archive, read_card_file
from .safe_zip import SafeZip
from .spec_shapes import CardSpec, as_spec
from .writer import CardFormat, ExportedCard, export_card

__all__ = ['CardFileLimits', 'CardFormat', 'CardSpec', 'CharxFiles', 'ExportedCard', 'KeptFiles', 'ParsedCard',
           'SafeZip', 'adopt_icon', 'as_spec', 'content_hash', 'export_card', 'kept_files', 'open_card_archive',
           'read_card_file', 'with_kept_files']
