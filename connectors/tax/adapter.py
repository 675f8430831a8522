"""The tax connector's adapter: reads the tax administration's day files."""

from __future__ import annotations

from hub.connect.contract import SourceAdapter
from hub.connect.csv_exports import CsvDialect, DayFileReader, DropDirectory
from hub.connect.records import Cursor, Page

#: The export format as the tax administration documents it.
DIALECT = CsvDialect(
    prefix="NNT_",
    columns=("MA_SO_THUE", "SO_DINH_DANH", "LOAI_NNT", "TRANG_THAI_MST", "SO_TIEN_NO"),
    delimiter=";",
    encoding="utf-8-sig",
)


class TaxAdapter(SourceAdapter):
    """Pages through ``NNT_<yyyymmdd>.csv`` files (cursor: see :mod:`hub.connect.csv_exports`).

    Args:
        directory: the drop directory the tax administration writes to.
        page_size: the most rows per page.
    """

    def __init__(self, directory: DropDirectory, page_size: int = 500) -> None:
        self.reader = DayFileReader(directory, DIALECT)
        self.page_size = page_size

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """The next rows of the ``taxpayers`` stream after ``cursor``."""
        return await self.reader.fetch(cursor, min(limit, self.page_size))
