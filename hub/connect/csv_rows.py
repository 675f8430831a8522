"""Reading the cells of a day-file row, for the mappers of CSV-export sources.

:class:`~hub.connect.csv_exports.DayFileReader` hands a mapper each data row as a dict of
native column name → text, with an extra ``_malformed`` entry when the row's number of
fields differs from the header. These helpers turn cells into checked values and raise
:class:`~hub.errors.MappingError` naming the column, so a bad row becomes a dead letter.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.connect.records import NativeRecord
from hub.errors import MappingError
from hub.normalise.dates import DatePrecision, parse_timestamp, parse_vn_date


def row_of(record: NativeRecord) -> dict[str, Any]:
    """The row a record carries.

    Raises:
        MappingError: the payload is not a row, or the reader marked it malformed.
    """
    row = record.payload
    if not isinstance(row, dict):
        raise MappingError("record is not a row")
    if "_malformed" in row:
        raise MappingError(f"row: {row['_malformed']}")
    return row


def cell(row: Mapping[str, Any], column: str) -> str | None:
    """The stripped text of ``column``; None when absent or blank.

    Raises:
        MappingError: the cell is not text.
    """
    value = row.get(column)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MappingError(f"{column}: not text")
    return value.strip() or None


def required(row: Mapping[str, Any], column: str) -> str:
    """The stripped text of ``column``.

    Raises:
        MappingError: the cell is absent, blank or not text.
    """
    value = cell(row, column)
    if value is None:
        raise MappingError(f"{column}: missing")
    return value


def full_date(row: Mapping[str, Any], column: str) -> str:
    """The ISO date in ``column``, which must give day, month and year.

    Raises:
        MappingError: the cell is missing, not a date or not a full date.
    """
    value = parse_vn_date(required(row, column), field=column)
    if value.precision is not DatePrecision.DAY:
        raise MappingError(f"{column}: not a full date")
    return value.iso


def version_of(row: Mapping[str, Any], column: str) -> str:
    """The source's record version in ``column`` (decimal digits).

    Raises:
        MappingError: the cell is missing or not a version number.
    """
    version = required(row, column)
    if not (version.isascii() and version.isdigit()):
        raise MappingError(f"{column}: not a version number")
    return version


@functools.lru_cache(maxsize=1024)
def timestamp(text: str, column: str) -> datetime:
    """The update time ``text`` of ``column``, parsed once.

    Update times repeat across the rows of one export, so parses are cached.

    Raises:
        NormaliseError: ``text`` is not a timestamp.
    """
    return parse_timestamp(text, field=column)
