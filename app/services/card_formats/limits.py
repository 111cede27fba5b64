"""How big card files and archives may be, checked before anything is decoded, so no upload can exhaust the server.

Zip archives (CharX cards and zips of cards) are checked against their real inflated sizes, not the sizes their
headers claim, so a small "zip bomb" is refused after reading at most the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import PayloadTooLargeError

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class CardFileLimits:
    max_file_bytes: int = 50 * MEGABYTE
    max_files: int = 100
    max_request_bytes: int = 200 * MEGABYTE
    max_zip_entries: int = 1000
    max_unpacked_bytes: int = 200 * MEGABYTE
    max_ratio: int = 100
    ratio_floor_bytes: int = MEGABYTE

    def check_file_size(self, size: int) -> None:
        if size > self.max_file_bytes:
            raise self.too_large()

    def check_request_size(self, size: int) -> None:
        if size > self.max_request_bytes:
            megabytes = max(1, self.max_request_bytes // MEGABYTE)
            raise PayloadTooLargeError('error.card.request_too_large',
                                       f'The upload is larger than {megabytes} MB in total; send fewer files at once.',
                                       limit=megabytes)

    def too_large(self) -> PayloadTooLargeError:
        megabytes = max(1, self.max_file_bytes // MEGABYTE)
        return PayloadTooLargeError('error.card.too_large', f'The file is larger than {megabytes} MB.',
                                    limit=megabytes)
