"""How big a chat file may be: checked before anything is parsed or stored, so one upload cannot exhaust the server."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import PayloadTooLargeError

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class ChatFileLimits:
    max_bytes: int = 50 * MEGABYTE
    max_lines: int = 100_000
    max_line_chars: int = 10 * MEGABYTE

    @property
    def max_megabytes(self) -> int:
        return max(1, self.max_bytes // MEGABYTE)

    def too_large(self) -> PayloadTooLargeError:
        return PayloadTooLargeError('error.chat_file.too_large',
                                    f'The chat file is larger than {self.max_megabytes} MB.',
                                    limit=self.max_megabytes)
