"""The social-insurance connector's adapter: reads the agency's day files."""

from __future__ import annotations

from hub.connect.csv_exports import CsvDialect
from hub.connect.day_file_adapter import DayFileAdapter

#: The export format as the agency documents it.
DIALECT = CsvDialect(
    prefix="BHXH_",
    columns=("ma_so_bhxh", "so_dinh_danh", "ho_ten", "ngay_sinh", "trang_thai", "ma_don_vi"),
    delimiter=",",
    encoding="utf-8",
)


class SocialInsuranceAdapter(DayFileAdapter):
    """Pages through ``BHXH_<yyyymmdd>.csv`` files, the ``participants`` stream.

    The cursor is the day-file reader's (see :mod:`hub.connect.csv_exports`).

    Args:
        directory: the drop directory the agency writes to.
        page_size: the most rows per page.
    """

    dialect = DIALECT
