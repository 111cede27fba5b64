"""The app's own distribution carries every first-party plugin's source files (its `pyproject.toml` package-data
patterns match them), so a non-editable install still builds the local marketplace index from them."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]
IGNORED = ('__pycache__', '.pytest_cache')


def glob_matches(parts: tuple[str, ...], pattern: str) -> bool:
    """Setuptools' glob rule: `*` stays within one path segment."""
    pieces = pattern.split('/')
    return len(pieces) == len(parts) and all(fnmatch.fnmatchcase(part, piece) for part, piece in zip(parts, pieces,
                                                                                                     strict=True))


def test_every_first_party_plugin_file_is_package_data() -> None:
    patterns = tomllib.loads((ROOT / 'pyproject.toml').read_text())['tool']['setuptools']['package-data']['plugins']
    plugin_dirs = [folder for folder in (ROOT / 'plugins').iterdir() if (folder / 'pyproject.toml').is_file()]
    assert len(plugin_dirs) >= 12
    missing = [str(path.relative_to(ROOT / 'plugins'))
               for folder in plugin_dirs for path in folder.rglob('*')
               if path.is_file() and not any(part in IGNORED for part in path.parts)
               and not any(glob_matches(path.relative_to(ROOT / 'plugins').parts, pattern) for pattern in patterns)]
    assert missing == []
