"""The driving-licence connector's adapter: reads the licence system's day files."""

from __future__ import annotations

from hub.connect.contract import SourceAdapter
from hub.connect.csv_exports import CsvDialect, DayFileReader, DropDirectory
from hub.connect.records import Cursor, Page

#: The export format as the licence system documents it.
DIALECT = CsvDialect(
    prefix="GPLX_",
    columns=("SO_GPLX", "SO_CCCD", "HO_TEN", "NGAY_SINH", "HANG", "NGAY_CAP", "TRANG_THAI"),
    delimiter="|",
    encoding="cp1252",
)


class DrivingLicencesAdapter(SourceAdapter):
    """Pages through ``GPLX_<yyyymmdd>.csv`` files (cursor: see :mod:`hub.connect.csv_exports`).

    Args:
        directory: the drop directory the licence system writes to.
        page_size: the most rows per page.
    """

    def __init__(self, directory: DropDirectory, page_size: int = 500) -> None:
        self.reader = DayFileReader(directory, DIALECT)
        self.page_size = page_size

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """The next rows of the ``licences`` stream after ``cursor``."""
        return await self.reader.fetch(cursor, min(limit, self.page_size))
