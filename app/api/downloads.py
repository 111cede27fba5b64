"""Sending a `Download` to the browser as an attachment whose name survives any characters."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response

from ..services.downloads import Download


def download_response(download: Download) -> Response:
    return Response(download.content, media_type=download.media_type,
                    headers={'Content-Disposition': content_disposition(download.filename)})


def content_disposition(filename: str) -> str:
    """An attachment header: an ASCII fallback name plus the RFC 5987 UTF-8 name."""
    fallback = ''.join(char if char.isascii() and char.isprintable() and char not in '"\\;' else '_'
                       for char in filename)
    return f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{quote(filename, safe="")}'
