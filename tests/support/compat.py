"""Where the real SillyTavern and community files of ../shared/compat are (read in place, never copied).

The folder sits beside the project root; a clone elsewhere names it with `TAVERN_SHARED_DIR`, and this workplace
keeps it at /work/shared.
"""

from __future__ import annotations

import os
from pathlib import Path


def _compat_dir() -> Path:
    candidates = [Path(os.environ['TAVERN_SHARED_DIR'])] if os.environ.get('TAVERN_SHARED_DIR') else []
    candidates += [Path(__file__).parents[2].parent / 'shared', Path('/work/shared')]
    for shared in candidates:
        if (shared / 'compat').is_dir():
            return shared / 'compat'
    raise RuntimeError('The compatibility files (shared/compat) were not found beside the project; set '
                       'TAVERN_SHARED_DIR to the folder that holds compat/.')


COMPAT_DIR = _compat_dir()
