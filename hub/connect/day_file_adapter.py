"""The adapter of a source that shares data as daily CSV exports.

Such a source differs from another only in its export format (a
:class:`~hub.connect.csv_exports.CsvDialect`), so a concrete adapter is a subclass that
sets :attr:`DayFileAdapter.dialect`. The cursor is the reader's (see
:mod:`hub.connect.csv_exports`).
"""

from __future__ import annotations

from typing import ClassVar

from hub.connect.contract import SourceAdapter
from hub.connect.csv_exports import CsvDialect, DayFileReader, DropDirectory
from hub.connect.records import Cursor, Page


class DayFileAdapter(SourceAdapter):
    """Pages through a drop directory's day files, one stream per source.

    Args:
        directory: the drop directory the source writes to.
        page_size: the most rows per page.
    """

    #: The export format; set by each subclass.
    dialect: ClassVar[CsvDialect]

    def __init__(self, directory: DropDirectory, page_size: int = 500) -> None:
        self.reader = DayFileReader(directory, self.dialect)
        self.page_size = page_size

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """The next rows of the source's one stream after ``cursor``."""
        return await self.reader.fetch(cursor, min(limit, self.page_size))
