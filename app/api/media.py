"""`/media/avatars/{hash}` and `/media/thumbs/{hash}.webp`: stored images, cached forever (their name is their hash)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ..errors import NotFoundError
from ..services.media import StoredFile
from .deps import ServicesDep

router = APIRouter(prefix='/media', tags=['media'])
CACHE_FOREVER = 'public, max-age=31536000, immutable'


@router.get('/avatars/{avatar_hash}', response_class=FileResponse)
async def avatar(avatar_hash: str, services: ServicesDep) -> FileResponse:
    """The original uploaded image, byte for byte."""
    return _file_response(services.media.avatar(avatar_hash))


@router.get('/thumbs/{avatar_hash}.webp', response_class=FileResponse)
async def thumbnail(avatar_hash: str, services: ServicesDep) -> FileResponse:
    """A WebP thumbnail of at most 256 × 256 pixels."""
    return _file_response(services.media.thumbnail(avatar_hash))


def _file_response(stored: StoredFile | None) -> FileResponse:
    if stored is None:
        raise NotFoundError('error.media.not_found', 'No such image.')
    return FileResponse(stored.path, media_type=stored.content_type, headers={'Cache-Control': CACHE_FOREVER})
