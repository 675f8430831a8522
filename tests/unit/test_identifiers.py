"""Unit and property tests for hub.normalise.identifiers (synthetic identifiers only)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import NormaliseError
from hub.normalise.identifiers import (
    OLD_PROVINCE_CODES,
    PinParts,
    is_branch_code,
    is_legacy_id_number,
    make_pin,
    make_tax_code,
    normalise_legacy_id,
    normalise_plate,
    normalise_social_insurance_code,
    normalise_tax_code,
    parse_pin,
    pin_inconsistencies,
    plate_local_code,
    tax_check_digit,
)

provinces = st.sampled_from(sorted(OLD_PROVINCE_CODES))
sexes = st.sampled_from(["MALE", "FEMALE"])


def test_old_province_codes() -> None:
    assert len(OLD_PROVINCE_CODES) == 63
    assert {"001", "074", "077", "079", "096"} <= OLD_PROVINCE_CODES
    assert all(len(code) == 3 and code.isdigit() for code in OLD_PROVINCE_CODES)
    assert "003" not in OLD_PROVINCE_CODES


def test_parse_pin() -> None:
    parts = parse_pin(" 074 185 000123 ")
    assert parts == PinParts("074", "FEMALE", 1900, 85)
    assert parts.birth_year() == 1985
    assert parse_pin("079203000001").birth_year() == 2003
    assert parse_pin("079203000001").sex == "MALE"


@pytest.mark.parametrize(
    "text", ["", "07418500012", "0741850001234", "07418500012x", "003185000123"]
)
def test_parse_pin_rejects(text: str) -> None:
    with pytest.raises(NormaliseError) as info:
        parse_pin(text)
    assert info.value.field == "pin"


def test_pin_inconsistencies() -> None:
    pin = make_pin("074", "FEMALE", 1985, 42)
    assert pin_inconsistencies(pin, birth_year=1985, sex="FEMALE") == []
    assert pin_inconsistencies(pin, birth_year=None, sex=None) == []
    assert len(pin_inconsistencies(pin, birth_year=1985, sex="MALE")) == 1
    assert len(pin_inconsistencies(pin, birth_year=2085, sex="female")) == 1
    assert len(pin_inconsistencies(pin, birth_year=1986, sex=None)) == 1
    problems = pin_inconsistencies("003385000123", birth_year=1986, sex="MALE")
    assert len(problems) == 4
    assert not any("003385000123" in problem for problem in problems)


@given(st.from_regex(r"[0-9]{12}", fullmatch=True), st.none() | st.integers(), st.text())
def test_pin_inconsistencies_never_raises_for_12_digits(
    pin: str, birth_year: int | None, sex: str
) -> None:
    assert isinstance(pin_inconsistencies(pin, birth_year=birth_year, sex=sex), list)


@given(provinces, sexes, st.integers(1900, 2399), st.integers(0, 999_999))
def test_make_pin_round_trip(province: str, sex: str, year: int, serial: int) -> None:
    pin = make_pin(province, sex, year, serial)
    assert len(pin) == 12
    parts = parse_pin(pin)
    assert (parts.province_code, parts.sex, parts.birth_year()) == (province, sex, year)
    assert pin_inconsistencies(pin, birth_year=year, sex=sex) == []


@pytest.mark.parametrize(
    "args",
    [
        ("003", "MALE", 1990, 1),
        ("074", "M", 1990, 1),
        ("074", "MALE", 1899, 1),
        ("074", "MALE", 1990, 10**6),
    ],
)
def test_make_pin_rejects(args: tuple[str, str, int, int]) -> None:
    with pytest.raises(ValueError, match=r"."):
        make_pin(*args)


@given(st.text(max_size=20))
def test_parse_pin_only_raises_normalise_error(text: str) -> None:
    try:
        parts = parse_pin(text)
    except NormaliseError:
        return
    assert parts.province_code in OLD_PROVINCE_CODES


def test_legacy_id() -> None:
    assert is_legacy_id_number("123 456 789")
    assert not is_legacy_id_number("12345678")
    assert not is_legacy_id_number("074185000123")
    assert normalise_legacy_id(" 123456789 ") == "123456789"
    with pytest.raises(NormaliseError):
        normalise_legacy_id("12345678")


def test_tax_check_digit_worked_example() -> None:
    assert tax_check_digit("010004751") == 6
    assert normalise_tax_code("0100047516") == "0100047516"


def test_tax_check_digit_never_issued() -> None:
    # 1 x 29 + 5 x 3 = 44, a multiple of 11: the check digit would be 10.
    assert tax_check_digit("010000005") is None
    assert make_tax_code("01", 5) is None
    assert tax_check_digit("000000000") is None
    # 31 mod 11 = 9 -> 1; 29 mod 11 = 7 -> 3.
    assert tax_check_digit("100000000") == 1
    assert tax_check_digit("010000000") == 3
    with pytest.raises(ValueError, match="nine"):
        tax_check_digit("12345678")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0100047516", "0100047516"),
        ("0100047516-001", "0100047516001"),
        ("0100047516001", "0100047516001"),
        (" 0100 047 516 - 001 ", "0100047516001"),
    ],
)
def test_normalise_tax_code(text: str, expected: str) -> None:
    assert normalise_tax_code(text) == expected


@pytest.mark.parametrize("text", ["", "0100047517", "010004751", "01000475160", "0100047516-01"])
def test_normalise_tax_code_rejects(text: str) -> None:
    with pytest.raises(NormaliseError) as info:
        normalise_tax_code(text)
    assert info.value.field == "tax_code"


def test_is_branch_code() -> None:
    assert is_branch_code("0100047516-001")
    assert not is_branch_code("0100047516")
    assert not is_branch_code("0100047517-001")


@given(st.from_regex(r"[0-9]{2}", fullmatch=True), st.integers(0, 9_999_999))
def test_every_made_tax_code_validates(province: str, sequence: int) -> None:
    code = make_tax_code(province, sequence)
    if code is None:
        assert tax_check_digit(f"{province}{sequence:07d}") is None
        return
    assert normalise_tax_code(code) == code
    assert normalise_tax_code(f"{code}-002") == f"{code}002"
    wrong = f"{code[:9]}{(int(code[9]) + 1) % 10}"
    with pytest.raises(NormaliseError):
        normalise_tax_code(wrong)


@given(st.text(max_size=20))
def test_normalise_tax_code_only_raises_normalise_error(text: str) -> None:
    try:
        code = normalise_tax_code(text)
    except NormaliseError:
        return
    assert len(code) in (10, 13)


def test_social_insurance_code() -> None:
    assert normalise_social_insurance_code(" 74 1234 5678 ") == "7412345678"
    with pytest.raises(NormaliseError) as info:
        normalise_social_insurance_code("741234567")
    assert info.value.field == "social_insurance_code"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("61a12345", "61A-123.45"),
        ("61A-123.45", "61A-123.45"),
        (" 61 a  123 45 ", "61A-123.45"),
        ("51LD-123.45", "51LD-123.45"),
        ("61A-1234", "61A-1234"),
        ("61a1234", "61A-1234"),
        ("61-B1 234.56", "61-B1 234.56"),
        ("61b123456", "61-B1 234.56"),
        ("61-b1 2345", "61-B1 2345"),
        ("61B12345", "61B-123.45"),
    ],
)
def test_normalise_plate(text: str, expected: str) -> None:
    assert normalise_plate(text) == expected


@pytest.mark.parametrize(
    "text", ["", "6A12345", "61A123", "61A1234567", "61-Đ1 234.56", "61A-12.345"]
)
def test_normalise_plate_rejects(text: str) -> None:
    with pytest.raises(NormaliseError):
        normalise_plate(text)


def test_plate_local_code() -> None:
    assert plate_local_code("61-b1 234.56") == "61"
    assert plate_local_code("51LD-1234") == "51"


plates = st.from_regex(
    r"[0-9]{2}(?:[A-Z]{1,2}-[0-9]{3}\.[0-9]{2}|[A-Z]{1,2}-[0-9]{4}|-[A-Z][0-9] [0-9]{3}\.[0-9]{2})",
    fullmatch=True,
)


@given(plates)
def test_canonical_plates_are_fixed_points(plate: str) -> None:
    assert normalise_plate(plate) == plate
    assert normalise_plate(plate.lower().replace("-", " ")) == plate


@given(st.text(max_size=20))
def test_normalise_plate_only_raises_normalise_error(text: str) -> None:
    try:
        plate = normalise_plate(text)
    except NormaliseError:
        return
    assert normalise_plate(plate) == plate
