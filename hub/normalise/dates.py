"""Dates with their precision, and source timestamps in UTC.

Vietnamese documents write dates ``dd/mm/yyyy``; old birth records may hold only a year
or a month and year. A :class:`PartialDate` keeps exactly what is known: a day or month
is never invented (no ``01/01``). Its canonical form is an ISO 8601 date of reduced
precision (``"1950"``, ``"1950-03"``, ``"1950-03-07"``).

Timestamps are stored in UTC. Source timestamps without an offset are Vietnam local
time, UTC+07:00 all year round (no daylight saving).
"""

from __future__ import annotations

import calendar
import datetime
import enum
import re
from dataclasses import dataclass

from hub.errors import NormaliseError

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "VN_TZ",
    "DatePrecision",
    "PartialDate",
    "parse_timestamp",
    "parse_vn_date",
    "vn_date_iso",
]

VN_TZ = datetime.timezone(datetime.timedelta(hours=7), "ICT")
"""Vietnam local time: UTC+07:00, no daylight saving."""

MIN_YEAR = 1850
"""Earliest year a :class:`PartialDate` accepts."""
MAX_YEAR = 2100
"""Latest year a :class:`PartialDate` accepts."""

# Day-first forms share one separator (/, - or .); a 00 day or month means "unknown".
_DAY_FIRST = re.compile(r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4})")
_MONTH_FIRST = re.compile(r"([0-9]{1,2})[/.-]([0-9]{4})")
_ISO = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?")
_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_STRICT_ISO = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_VN_TIMESTAMP = re.compile(
    r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})[ T]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"
)


class DatePrecision(enum.StrEnum):
    """How much of a date is known (a ``str``: the values are the names)."""

    DAY = "DAY"
    MONTH = "MONTH"
    YEAR = "YEAR"


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in_month(year: int, month: int) -> int:
    """Days in a month (``calendar.monthrange`` also computes a weekday: slower)."""
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_DAYS[month - 1]


def _check(year: int, month: int | None, day: int | None, field: str | None) -> None:
    """Raise :class:`NormaliseError` unless the parts form a real (partial) date."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise NormaliseError(f"year {year} is outside {MIN_YEAR}..{MAX_YEAR}", field=field)
    if month is None:
        if day is not None:
            raise NormaliseError("a day without a month is not a date", field=field)
        return
    if not 1 <= month <= 12:
        raise NormaliseError(f"month {month} does not exist", field=field)
    if day is not None and not 1 <= day <= _days_in_month(year, month):
        raise NormaliseError(f"day {day} does not exist in {month:02d}/{year}", field=field)


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A calendar date known to the day, the month or only the year.

    Attributes:
        year: the year, between :data:`MIN_YEAR` and :data:`MAX_YEAR`.
        month: 1..12, or ``None`` when only the year is known.
        day: a day of that month, or ``None``; never set without a month.

    Raises:
        NormaliseError: on construction, when the parts do not form a real date.
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        """Validate the parts."""
        _check(self.year, self.month, self.day, None)

    def __str__(self) -> str:
        """Return the ISO form."""
        return self.iso

    @property
    def precision(self) -> DatePrecision:
        """How much of the date is known."""
        if self.day is not None:
            return DatePrecision.DAY
        if self.month is not None:
            return DatePrecision.MONTH
        return DatePrecision.YEAR

    @property
    def iso(self) -> str:
        """ISO 8601 at the date's precision: ``"1950"``, ``"1950-03"`` or ``"1950-03-07"``."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @classmethod
    def from_iso(cls, text: str, *, field: str | None = None) -> PartialDate:
        """Parse the output of :attr:`iso` (zero-padded ``yyyy[-mm[-dd]]``).

        Raises:
            NormaliseError: the text is not a reduced-precision ISO date.
        """
        found = _STRICT_ISO.fullmatch(text)
        if found is None:
            raise NormaliseError("not an ISO date (yyyy, yyyy-mm or yyyy-mm-dd)", field=field)
        return _build(found.group(1), found.group(2), found.group(3), field)

    def to_vn(self) -> str:
        """Format as Vietnamese documents do: ``dd/mm/yyyy``, ``mm/yyyy`` or ``yyyy``."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.month:02d}/{self.year:04d}"
        return f"{self.day:02d}/{self.month:02d}/{self.year:04d}"

    def agrees_with(self, other: PartialDate) -> bool:
        """Tell whether two dates agree at the coarser of their two precisions.

        ``1950`` agrees with ``07/03/1950``; ``03/1950`` does not agree with
        ``07/04/1950``; two full dates agree only when equal.
        """
        if self.year != other.year:
            return False
        if self.month is None or other.month is None:
            return True
        if self.month != other.month:
            return False
        return self.day is None or other.day is None or self.day == other.day

    def year_only(self) -> PartialDate:
        """Return the same date reduced to year precision."""
        return PartialDate(self.year)


def _build(year: str, month: str | None, day: str | None, field: str | None) -> PartialDate:
    """Validate textual parts (already known to be digits) and build the date."""
    y = int(year)
    m = int(month) if month is not None else None
    d = int(day) if day is not None else None
    _check(y, m, d, field)
    return PartialDate(y, m, d)


def _unknown_zero(month: str | None, day: str | None) -> tuple[str | None, str | None]:
    """Treat a ``00`` day or month, as legacy systems write them, as unknown.

    ``00/03/1950`` is March 1950 and ``00/00/1950`` the year 1950; a known day in an
    unknown month (``07/00/1950``) stays invalid because the day is kept.
    """
    if day is not None and int(day) == 0:
        day = None
        if month is not None and int(month) == 0:
            month = None
    elif day is None and month is not None and int(month) == 0:
        month = None
    return month, day


def parse_vn_date(text: str, *, field: str | None = None) -> PartialDate:
    """Parse a date as sources write it, keeping its precision.

    Accepted, with optional surrounding whitespace: ``dd/mm/yyyy`` (padded or not, also
    with ``-`` or ``.`` as separator), ``mm/yyyy`` (also ``mm-yyyy``, ``mm.yyyy``),
    ``yyyy``, ISO ``yyyy-mm-dd`` and ``yyyy-mm``, and ``yyyymmdd``. A ``00`` day or month
    in a day-first or ``yyyymmdd`` form means "unknown" and lowers the precision.

    Args:
        text: the date text.
        field: the record field, named in the error.

    Returns:
        The date with exactly the precision the text holds.

    Raises:
        NormaliseError: any other shape, or a date that does not exist.
    """
    value = text.strip()
    if usual := _usual_date(value):
        return PartialDate(*usual)
    if found := _DAY_FIRST.fullmatch(value):
        month, day = _unknown_zero(found.group(3), found.group(1))
        return _build(found.group(4), month, day, field)
    if found := _MONTH_FIRST.fullmatch(value):
        month, _ = _unknown_zero(found.group(1), None)
        return _build(found.group(2), month, None, field)
    if found := _COMPACT.fullmatch(value):
        month, day = _unknown_zero(found.group(2), found.group(3))
        return _build(found.group(1), month, day, field)
    if found := _ISO.fullmatch(value):
        return _build(found.group(1), found.group(2), found.group(3), field)
    raise NormaliseError(
        "not a date (dd/mm/yyyy, mm/yyyy, yyyy, yyyy-mm-dd or yyyymmdd)", field=field
    )


def vn_date_iso(text: str, *, field: str | None = None) -> tuple[str, DatePrecision]:
    """Return the ISO form and precision of :func:`parse_vn_date`'s date.

    The hot path of the mappers: the usual ``dd/mm/yyyy`` is checked and formatted
    without building a :class:`PartialDate`.

    Raises:
        NormaliseError: as :func:`parse_vn_date`.
    """
    if usual := _usual_date(text):
        year, month, day = usual
        return f"{year:04d}-{month:02d}-{day:02d}", DatePrecision.DAY
    value = parse_vn_date(text, field=field)
    return value.iso, value.precision


def _usual_date(text: str) -> tuple[int, int, int] | None:
    """Return (year, month, day) if ``text`` is a real date written ``dd/mm/yyyy`` with
    ASCII digits and a known (non-zero) day and month; None for anything else."""
    if not isinstance(text, str) or len(text) != 10 or text[2] != "/" or text[5] != "/":
        return None
    if not text.isascii():
        return None
    day, month, year = text[:2], text[3:5], text[6:]
    if not (day.isdigit() and month.isdigit() and year.isdigit()):
        return None
    d, m, y = int(day), int(month), int(year)
    if MIN_YEAR <= y <= MAX_YEAR and 1 <= m <= 12 and 1 <= d <= _days_in_month(y, m):
        return y, m, d
    return None


def parse_timestamp(text: str, *, field: str | None = "timestamp") -> datetime.datetime:
    """Parse a source timestamp into an aware UTC datetime.

    Accepted: ISO 8601 date and time with or without an offset (``Z`` allowed), and
    ``dd/mm/yyyy HH:MM[:SS]``. A value without an offset is Vietnam local time
    (:data:`VN_TZ`). A date without a time is refused rather than read as midnight.

    Args:
        text: the timestamp text; surrounding whitespace is ignored.
        field: the record field, named in the error.

    Returns:
        The instant as a datetime whose ``tzinfo`` is :data:`datetime.UTC`.

    Raises:
        NormaliseError: the text is not such a timestamp or does not exist.
    """
    value = text.strip()
    try:
        if found := _VN_TIMESTAMP.fullmatch(value):
            day, month, year, hour, minute, second = found.groups()
            parsed = datetime.datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second or 0)
            )
        elif len(value) > 10 and value.isascii():
            parsed = datetime.datetime.fromisoformat(value)
        else:
            raise NormaliseError("not a timestamp (ISO 8601 date and time)", field=field)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=VN_TZ)
        return parsed.astimezone(datetime.UTC)
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, NormaliseError):
            raise
        raise NormaliseError(f"not a valid timestamp: {exc}", field=field) from exc
