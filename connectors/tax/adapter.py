"""The tax connector's adapter: reads the tax administration's day files."""

from __future__ import annotations

from hub.connect.csv_exports import CsvDialect
from hub.connect.day_file_adapter import DayFileAdapter

#: The export format as the tax administration documents it.
DIALECT = CsvDialect(
    prefix="NNT_",
    columns=("MA_SO_THUE", "SO_DINH_DANH", "LOAI_NNT", "TRANG_THAI_MST", "SO_TIEN_NO"),
    delimiter=";",
    encoding="utf-8-sig",
)


class TaxAdapter(DayFileAdapter):
    """Pages through ``NNT_<yyyymmdd>.csv`` files, the ``taxpayers`` stream.

    The cursor is the day-file reader's (see :mod:`hub.connect.csv_exports`).

    Args:
        directory: the drop directory the tax administration writes to.
        page_size: the most rows per page.
    """

    dialect = DIALECT
