"""The social-insurance connector's adapter: reads the agency's day files."""

from __future__ import annotations

from hub.connect.contract import SourceAdapter
from hub.connect.csv_exports import CsvDialect, DayFileReader, DropDirectory
from hub.connect.records import Cursor, Page

#: The export format as the agency documents it.
DIALECT = CsvDialect(
    prefix="BHXH_",
    columns=("ma_so_bhxh", "so_dinh_danh", "ho_ten", "ngay_sinh", "trang_thai", "ma_don_vi"),
    delimiter=",",
    encoding="utf-8",
)


class SocialInsuranceAdapter(SourceAdapter):
    """Pages through ``BHXH_<yyyymmdd>.csv`` files (cursor: :mod:`hub.connect.csv_exports`).

    Args:
        directory: the drop directory the agency writes to.
        page_size: the most rows per page.
    """

    def __init__(self, directory: DropDirectory, page_size: int = 500) -> None:
        self.reader = DayFileReader(directory, DIALECT)
        self.page_size = page_size

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """The next rows of the ``participants`` stream after ``cursor``."""
        return await self.reader.fetch(cursor, min(limit, self.page_size))
