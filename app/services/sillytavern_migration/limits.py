"""How big a SillyTavern folder or zip may be: checked before anything is unpacked or read, so one upload cannot
exhaust the server's memory or disk.

A whole SillyTavern folder is far bigger than one card, so these limits are wider than the card import's; the zip
checks themselves (entry count, real inflated size, inflation ratio, unsafe paths) are the card import's `SafeZip`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import PayloadTooLargeError
from ..card_formats import CardFileLimits

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class MigrationLimits:
    max_upload_bytes: int = 512 * MEGABYTE
    max_zip_entries: int = 20_000
    max_unpacked_bytes: int = 2048 * MEGABYTE
    max_file_bytes: int = 100 * MEGABYTE
    max_ratio: int = 100
    ratio_floor_bytes: int = MEGABYTE

    @property
    def max_upload_megabytes(self) -> int:
        return max(1, self.max_upload_bytes // MEGABYTE)

    def zip_limits(self) -> CardFileLimits:
        """The same limits in the shape `SafeZip` reads them."""
        return CardFileLimits(max_file_bytes=self.max_file_bytes, max_zip_entries=self.max_zip_entries,
                              max_unpacked_bytes=self.max_unpacked_bytes, max_ratio=self.max_ratio,
                              ratio_floor_bytes=self.ratio_floor_bytes)

    def check_upload_size(self, size: int) -> None:
        if size > self.max_upload_bytes:
            raise PayloadTooLargeError('error.migration.upload_too_large',
                                       f'The zip is larger than {self.max_upload_megabytes} MB. Zip a smaller part '
                                       'of your SillyTavern folder, or run `tavern import-sillytavern` on the '
                                       'server.', limit=self.max_upload_megabytes)

    def check_file_size(self, size: int) -> None:
        if size > self.max_file_bytes:
            megabytes = max(1, self.max_file_bytes // MEGABYTE)
            raise PayloadTooLargeError('error.migration.file_too_large',
                                       f'The file is larger than {megabytes} MB and was not read.', limit=megabytes)
