"""Unit and property tests for hub.normalise.dates."""

from __future__ import annotations

import contextlib
import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import NormaliseError
from hub.normalise.dates import (
    MAX_YEAR,
    MIN_YEAR,
    VN_TZ,
    DatePrecision,
    PartialDate,
    parse_timestamp,
    parse_vn_date,
    vn_date_iso,
)


@st.composite
def partial_dates(draw: st.DrawFn) -> PartialDate:
    """Any valid partial date."""
    day = draw(st.dates(datetime.date(MIN_YEAR, 1, 1), datetime.date(MAX_YEAR, 12, 31)))
    precision = draw(st.sampled_from(DatePrecision))
    if precision is DatePrecision.YEAR:
        return PartialDate(day.year)
    if precision is DatePrecision.MONTH:
        return PartialDate(day.year, day.month)
    return PartialDate(day.year, day.month, day.day)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07/03/1950", PartialDate(1950, 3, 7)),
        ("7/3/1950", PartialDate(1950, 3, 7)),
        (" 07/03/1950 ", PartialDate(1950, 3, 7)),
        ("03/1950", PartialDate(1950, 3)),
        ("3/1950", PartialDate(1950, 3)),
        ("1950", PartialDate(1950)),
        ("1950-03-07", PartialDate(1950, 3, 7)),
        ("1950-03", PartialDate(1950, 3)),
        ("07-03-1950", PartialDate(1950, 3, 7)),
        ("07.03.1950", PartialDate(1950, 3, 7)),
        ("19500307", PartialDate(1950, 3, 7)),
        ("29/02/2000", PartialDate(2000, 2, 29)),
        ("00/03/1950", PartialDate(1950, 3)),
        ("00/00/1950", PartialDate(1950)),
        ("19500000", PartialDate(1950)),
    ],
)
def test_parse_vn_date_accepts(text: str, expected: PartialDate) -> None:
    assert parse_vn_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "31/02/1950",
        "29/02/1900",
        "13/1950",
        "07/00/1950",
        "07/03-1950",
        "07/03/50",
        "1849",
        "2101-01-01",
        "1950-13",
        "1950/03/07",
        "07 / 03 / 1950",
        "١٩٥٠",
    ],
)
def test_parse_vn_date_rejects_naming_the_field(text: str) -> None:
    with pytest.raises(NormaliseError) as info:
        parse_vn_date(text, field="date_of_birth")
    assert info.value.field == "date_of_birth"


def test_partial_date_validates() -> None:
    with pytest.raises(NormaliseError):
        PartialDate(1950, None, 7)
    with pytest.raises(NormaliseError):
        PartialDate(1950, 2, 30)
    with pytest.raises(NormaliseError):
        PartialDate(1849)


def test_precision_iso_and_vn_forms() -> None:
    full, month, year = PartialDate(1950, 3, 7), PartialDate(1950, 3), PartialDate(1950)
    assert [d.precision for d in (full, month, year)] == [
        DatePrecision.DAY,
        DatePrecision.MONTH,
        DatePrecision.YEAR,
    ]
    assert [d.iso for d in (full, month, year)] == ["1950-03-07", "1950-03", "1950"]
    assert [d.to_vn() for d in (full, month, year)] == ["07/03/1950", "03/1950", "1950"]
    assert str(full) == "1950-03-07"
    assert full.year_only() == year
    assert DatePrecision.DAY.value == "DAY"


def test_agrees_with_compares_at_coarser_precision() -> None:
    assert PartialDate(1950).agrees_with(PartialDate(1950, 3, 7))
    assert PartialDate(1950, 3).agrees_with(PartialDate(1950, 3, 7))
    assert not PartialDate(1950, 3).agrees_with(PartialDate(1950, 4, 7))
    assert not PartialDate(1950, 3, 7).agrees_with(PartialDate(1950, 3, 8))
    assert not PartialDate(1951).agrees_with(PartialDate(1950, 3, 7))


def test_from_iso_is_strict() -> None:
    assert PartialDate.from_iso("1950-03") == PartialDate(1950, 3)
    for text in ("1950-3", "07/03/1950", " 1950", "1950-03-07T00:00"):
        with pytest.raises(NormaliseError):
            PartialDate.from_iso(text)


@given(partial_dates())
def test_iso_round_trip(date: PartialDate) -> None:
    assert PartialDate.from_iso(date.iso) == date
    assert parse_vn_date(date.iso) == date


@given(partial_dates())
def test_vn_round_trip(date: PartialDate) -> None:
    assert parse_vn_date(date.to_vn()) == date


@given(partial_dates(), partial_dates())
def test_agrees_with_is_symmetric(left: PartialDate, right: PartialDate) -> None:
    assert left.agrees_with(right) == right.agrees_with(left)
    assert left.agrees_with(left.year_only())


@given(st.text(max_size=20))
def test_parse_vn_date_only_raises_normalise_error(text: str) -> None:
    try:
        result: PartialDate | str | None = parse_vn_date(text, field="d")
    except NormaliseError as exc:
        result = exc.field
    assert isinstance(result, PartialDate) or result == "d"


@given(st.from_regex(r"[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{4}|[0-9]{8}", fullmatch=True))
def test_parse_vn_date_digit_shapes(text: str) -> None:
    with contextlib.suppress(NormaliseError):
        year = text[:4] if text.isdigit() else text[-4:]
        assert parse_vn_date(text).year == int(year)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-07-01T08:30:00", datetime.datetime(2025, 7, 1, 1, 30, tzinfo=datetime.UTC)),
        ("2025-07-01 08:30:00", datetime.datetime(2025, 7, 1, 1, 30, tzinfo=datetime.UTC)),
        ("2025-07-01T08:30:00Z", datetime.datetime(2025, 7, 1, 8, 30, tzinfo=datetime.UTC)),
        (
            "2025-07-01T08:30:00.250+07:00",
            datetime.datetime(2025, 7, 1, 1, 30, 0, 250000, tzinfo=datetime.UTC),
        ),
        ("01/07/2025 06:00:00", datetime.datetime(2025, 6, 30, 23, 0, tzinfo=datetime.UTC)),
        (" 1/7/2025 06:00 ", datetime.datetime(2025, 6, 30, 23, 0, tzinfo=datetime.UTC)),
    ],
)
def test_parse_timestamp(text: str, expected: datetime.datetime) -> None:
    result = parse_timestamp(text)
    assert result == expected
    assert result.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize(
    "text", ["", "2025-07-01", "31/02/2025 10:00:00", "01/07/2025 24:00", "yesterday"]
)
def test_parse_timestamp_rejects(text: str) -> None:
    with pytest.raises(NormaliseError):
        parse_timestamp(text)


def test_vn_tz_is_fixed_utc_plus_seven() -> None:
    assert VN_TZ.utcoffset(None) == datetime.timedelta(hours=7)


@given(
    st.datetimes(
        min_value=datetime.datetime(1900, 1, 1),
        max_value=datetime.datetime(2200, 1, 1),
        timezones=st.just(VN_TZ),
    ),
    st.booleans(),
)
def test_parse_timestamp_round_trip(moment: datetime.datetime, naive: bool) -> None:
    text = moment.replace(tzinfo=None).isoformat() if naive else moment.isoformat()
    result = parse_timestamp(text)
    assert result == moment
    assert result.tzinfo is datetime.UTC


@given(st.text(max_size=40))
def test_parse_timestamp_only_raises_normalise_error(text: str) -> None:
    try:
        result = parse_timestamp(text)
    except NormaliseError:
        return
    assert result.tzinfo is datetime.UTC


@given(st.text(max_size=14) | st.dates().map(lambda d: d.strftime("%d/%m/%Y")))
def test_vn_date_iso_agrees_with_parse_vn_date(text: str) -> None:
    """The mappers' fast path gives parse_vn_date's answer, or its error, for any text."""
    outcomes = []
    for parse in (_slow_path, vn_date_iso):
        try:
            outcomes.append(parse(text, field="ngaySinh"))
        except NormaliseError as error:
            outcomes.append(f"{type(error).__name__}: {error}")
    assert outcomes[0] == outcomes[1]


def _slow_path(text: str, *, field: str) -> tuple[str, DatePrecision]:
    value = parse_vn_date(text, field=field)
    return value.iso, value.precision
