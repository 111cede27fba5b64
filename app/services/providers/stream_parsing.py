"""Reading a model server's streamed body: its lines, its Server-Sent Events data, its JSON chunks.

Every adapter reports the same two stream failures the same way: a body that breaks off or ends before the
backend's end marker is a reply "cut off", and a chunk that is not a JSON object is "malformed".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from .base import MalformedStreamError
from .http_errors import json_or_text


async def body_lines(response: httpx.Response) -> AsyncIterator[str]:
    """The body's lines; a connection broken mid-body is a reply cut off, not an unreachable server."""
    try:
        async for line in response.aiter_lines():
            yield line
    except (httpx.RemoteProtocolError, httpx.ReadError):
        raise truncated_error() from None


async def sse_data(response: httpx.Response) -> AsyncIterator[str]:
    """The `data:` payloads of a Server-Sent Events body."""
    async for line in body_lines(response):
        if line.startswith('data:'):
            yield line[5:].strip()


def parse_json_object(data: str) -> dict[str, Any]:
    """One streamed chunk, which must be a JSON object."""
    chunk = json_or_text(data)
    if not isinstance(chunk, dict):
        raise malformed_error()
    return chunk


def malformed_error() -> MalformedStreamError:
    return MalformedStreamError('error.provider.malformed', 'The model server sent data that is not valid JSON; '
                                'the reply was cut off.')


def truncated_error() -> MalformedStreamError:
    return MalformedStreamError('error.provider.truncated', 'The connection to the model server closed before the '
                                'reply was finished.')
