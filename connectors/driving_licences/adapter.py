"""The driving-licence connector's adapter: reads the licence system's day files."""

from __future__ import annotations

from hub.connect.csv_exports import CsvDialect
from hub.connect.day_file_adapter import DayFileAdapter

#: The export format as the licence system documents it.
DIALECT = CsvDialect(
    prefix="GPLX_",
    columns=("SO_GPLX", "SO_CCCD", "HO_TEN", "NGAY_SINH", "HANG", "NGAY_CAP", "TRANG_THAI"),
    delimiter="|",
    encoding="cp1252",
)


class DrivingLicencesAdapter(DayFileAdapter):
    """Pages through ``GPLX_<yyyymmdd>.csv`` files, the ``licences`` stream.

    The cursor is the day-file reader's (see :mod:`hub.connect.csv_exports`).

    Args:
        directory: the drop directory the licence system writes to.
        page_size: the most rows per page.
    """

    dialect = DIALECT
