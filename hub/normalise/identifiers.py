"""Identifiers: PINs, legacy ID numbers, tax and social-insurance codes, vehicle plates.

* **PIN** (CCCD number), 12 digits ``PPP G YY RRRRRR``: ``PPP`` the province of birth
  registration in the old 63-province list, ``G`` sex and century, ``YY`` the last two
  digits of the birth year, ``RRRRRR`` random. There is no check digit, so only the shape
  and the consistency with birth year and sex can be checked.
* **Legacy ID number** (CMND): 9 digits.
* **Tax code** (MST): 10 digits (2-digit province, 7-digit sequence, check digit), or 13
  for a branch (the parent's 10 plus 3).
* **Social-insurance code**: 10 digits.
* **Plates**: ``61A-123.45`` (car), ``61-B1 234.56`` (motorbike), old 4-digit ``61A-1234``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.errors import NormaliseError

__all__ = [
    "OLD_PROVINCE_CODES",
    "PinParts",
    "is_branch_code",
    "is_legacy_id_number",
    "make_pin",
    "make_tax_code",
    "normalise_legacy_id",
    "normalise_plate",
    "normalise_social_insurance_code",
    "normalise_tax_code",
    "parse_pin",
    "pin_inconsistencies",
    "plate_local_code",
    "tax_check_digit",
]

# The old (pre-2025) province codes, in the official order, from 01 Ha Noi to 96 Ca Mau.
_OLD_PROVINCE_LIST = """
    001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033
    034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066
    067 068 070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096
"""
OLD_PROVINCE_CODES: frozenset[str] = frozenset(_OLD_PROVINCE_LIST.split())
"""PIN province prefixes: the old 63-province codes with a leading zero (001 Ha Noi,
074 Binh Duong, 079 Ho Chi Minh City, 096 Ca Mau). The 2025 merger renumbered nobody."""

_SEXES = ("MALE", "FEMALE")
_CENTURIES = (1900, 2000, 2100, 2200, 2300)
_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_DIGITS = re.compile(r"[0-9]+")
_WHITESPACE = re.compile(r"\s+")
_TAX_CODE = re.compile(r"([0-9]{10})(?:-?([0-9]{3}))?")
# Local code, series (1-2 letters for cars, letter + digit for motorbikes), number.
# The alternation order makes "61B12345" a car (61B-123.45), not a motorbike 61-B1 2345.
_PLATE = re.compile(
    r"([0-9]{2}) ?-? ?(?:([A-Z]{1,2})|([A-Z][0-9])) ?[-.]? ?([0-9]{3}[. ]?[0-9]{2}|[0-9]{4})"
)


def _compact(text: str) -> str:
    """Remove every whitespace character."""
    return _WHITESPACE.sub("", text)


def _digits_of_length(text: str, length: int, field: str, what: str) -> str:
    """Return ``text`` without whitespace if it is exactly ``length`` ASCII digits."""
    if type(text) is str and len(text) == length and text.isdigit() and text.isascii():
        return text  # already compact: the usual case, without the two regex passes
    value = _compact(text)
    if len(value) != length or not _DIGITS.fullmatch(value):
        raise NormaliseError(f"{what} must be exactly {length} digits", field=field)
    return value


@dataclass(frozen=True, slots=True)
class PinParts:
    """The fields encoded in a PIN (the random part is deliberately not kept).

    Attributes:
        province_code: three-digit prefix, the province of birth registration.
        sex: ``"MALE"`` or ``"FEMALE"``.
        century_start: first year of the birth century: 1900, 2000, 2100, 2200 or 2300.
        birth_year_2: the last two digits of the birth year, 0..99.
    """

    province_code: str
    sex: str
    century_start: int
    birth_year_2: int

    def birth_year(self) -> int:
        """Return the birth year the PIN encodes."""
        return self.century_start + self.birth_year_2


def _decode(pin: str) -> PinParts:
    """Split a 12-digit string into its parts without checking the prefix."""
    gender = int(pin[3])
    return PinParts(pin[:3], _SEXES[gender % 2], _CENTURIES[gender // 2], int(pin[4:6]))


def parse_pin(text: str, *, field: str = "pin") -> PinParts:
    """Validate a PIN and decode its parts.

    Args:
        text: the PIN; spaces anywhere are ignored.
        field: the record field, named in the error.

    Raises:
        NormaliseError: not exactly 12 digits, or a prefix outside the 63-province list.
    """
    pin = _digits_of_length(text, 12, field, "a PIN")
    if pin[:3] not in OLD_PROVINCE_CODES:
        raise NormaliseError("unknown province prefix", field=field)
    return _decode(pin)


def normalise_pin(text: str, *, field: str = "pin") -> str:
    """Return a valid PIN as its 12 digits (the fast path of :func:`parse_pin`).

    Raises:
        NormaliseError: as :func:`parse_pin`.
    """
    if len(text) == 12 and text.isascii() and text.isdigit() and text[:3] in OLD_PROVINCE_CODES:
        return text
    parse_pin(text, field=field)
    return _compact(text)


def pin_inconsistencies(pin: str, *, birth_year: int | None, sex: str | None) -> list[str]:
    """List the ways a PIN disagrees with the birth year and sex a record holds.

    The messages name the PIN's prefix and digits but never the whole PIN. A ``sex``
    other than ``MALE``/``FEMALE`` (any case) and a missing birth year are not compared.

    Args:
        pin: the PIN; spaces are ignored.
        birth_year: the birth year on record, if known.
        sex: the sex on record, if known.

    Returns:
        Human-readable problems; an empty list means the PIN is consistent.

    Raises:
        NormaliseError: the PIN is not 12 digits (never raised for a 12-digit string).
    """
    value = _digits_of_length(pin, 12, "pin", "a PIN")
    parts = _decode(value)
    problems: list[str] = []
    if parts.province_code not in OLD_PROVINCE_CODES:
        problems.append(f"province prefix {parts.province_code} is not in the 63-province list")
    if sex is not None and sex.upper() in _SEXES and sex.upper() != parts.sex:
        problems.append(f"sex digit {value[3]} means {parts.sex} but the record says {sex.upper()}")
    if birth_year is not None:
        century = birth_year - birth_year % 100
        if century != parts.century_start:
            problems.append(
                f"sex/century digit {value[3]} means born {parts.century_start}"
                f"-{parts.century_start + 99} but the birth year is {birth_year}"
            )
        if birth_year % 100 != parts.birth_year_2:
            problems.append(f"year digits {value[4:6]} disagree with the birth year {birth_year}")
    return problems


def make_pin(province_code: str, sex: str, birth_year: int, serial: int) -> str:
    """Build a PIN, e.g. for synthetic test data (the inverse of :func:`parse_pin`).

    Raises:
        ValueError: unknown prefix, sex not ``MALE``/``FEMALE``, birth year outside
            1900..2399 or serial outside 0..999999.
    """
    if province_code not in OLD_PROVINCE_CODES:
        raise ValueError(f"unknown province code {province_code!r}")
    if sex not in _SEXES:
        raise ValueError(f"sex must be MALE or FEMALE, not {sex!r}")
    if not 1900 <= birth_year <= 2399:
        raise ValueError(f"birth year {birth_year} cannot be encoded")
    if not 0 <= serial <= 999_999:
        raise ValueError(f"serial {serial} is outside 0..999999")
    gender = 2 * (birth_year // 100 - 19) + _SEXES.index(sex)
    return f"{province_code}{gender}{birth_year % 100:02d}{serial:06d}"


def is_legacy_id_number(text: str) -> bool:
    """Tell whether ``text`` (spaces ignored) has the shape of a 9-digit CMND number."""
    value = _compact(text)
    return len(value) == 9 and _DIGITS.fullmatch(value) is not None


def normalise_legacy_id(text: str, *, field: str = "legacy_id") -> str:
    """Return a legacy CMND number as 9 digits; lost leading zeros are not restored.

    Raises:
        NormaliseError: not exactly 9 digits once spaces are removed.
    """
    return _digits_of_length(text, 9, field, "a legacy ID number")


def tax_check_digit(first9: str) -> int | None:
    """Compute the check digit of a tax code from its first nine digits.

    The digit is ``10 - (sum of digits × weights 31, 29, 23, 19, 17, 13, 7, 5, 3) mod 11``;
    for remainders 1..10 it is 9..0. A remainder of 0 would need a check digit of 10:
    such sequences are never issued, and ``None`` is returned. ``"010004751"`` gives 6.

    Raises:
        ValueError: ``first9`` is not nine ASCII digits.
    """
    if len(first9) != 9 or not _DIGITS.fullmatch(first9):
        raise ValueError("the check digit needs exactly nine digits")
    remainder = sum(int(d) * w for d, w in zip(first9, _TAX_WEIGHTS, strict=True)) % 11
    return None if remainder == 0 else 10 - remainder


def make_tax_code(province2: str, sequence7: int) -> str | None:
    """Build the 10-digit tax code for a province code and sequence number.

    Returns:
        The code, or ``None`` for a sequence that is never issued (no valid check digit).

    Raises:
        ValueError: ``province2`` is not two digits or ``sequence7`` not in 0..9999999.
    """
    if len(province2) != 2 or not _DIGITS.fullmatch(province2):
        raise ValueError("the province part of a tax code is two digits")
    if not 0 <= sequence7 <= 9_999_999:
        raise ValueError(f"sequence {sequence7} is outside 0..9999999")
    first9 = f"{province2}{sequence7:07d}"
    check = tax_check_digit(first9)
    return None if check is None else f"{first9}{check}"


def normalise_tax_code(text: str, *, field: str = "tax_code") -> str:
    """Validate a tax code and return it as 10 digits, or 13 for a branch.

    Accepts ``"0100047516"``, ``"0100047516-001"``, ``"0100047516001"`` and spaces
    anywhere. A 12-digit PIN used as a personal tax code (from 2025-07-01) is not a tax
    code here: validate it with :func:`parse_pin`.

    Raises:
        NormaliseError: wrong length or shape, or a wrong check digit.
    """
    found = _TAX_CODE.fullmatch(_compact(text))
    if found is None:
        raise NormaliseError("a tax code is 10 digits, or 13 for a branch", field=field)
    parent, branch = found.groups()
    if tax_check_digit(parent[:9]) != int(parent[9]):
        raise NormaliseError("wrong check digit", field=field)
    return parent + (branch or "")


def is_branch_code(text: str) -> bool:
    """Tell whether ``text`` is a valid 13-digit branch tax code; never raises."""
    try:
        return len(normalise_tax_code(text)) == 13
    except NormaliseError:
        return False


def normalise_social_insurance_code(text: str, *, field: str = "social_insurance_code") -> str:
    """Return a social-insurance code as 10 digits (spaces removed).

    Raises:
        NormaliseError: not exactly 10 digits.
    """
    return _digits_of_length(text, 10, field, "a social-insurance code")


def normalise_plate(text: str, *, field: str = "plate") -> str:
    """Return a vehicle plate in canonical form.

    Cars: ``"61A-123.45"`` (series of one or two letters), old four-digit ``"61A-1234"``.
    Motorbikes (series letter plus digit): ``"61-B1 234.56"``, ``"61-B1 2345"``. Case,
    spacing and punctuation of the input do not matter (``"61a12345"`` gives
    ``"61A-123.45"``); when they leave the series ambiguous, a car series is assumed,
    so write ``"61-B1 2345"`` with its space to get the motorbike reading.

    Raises:
        NormaliseError: the text is not a plate of these shapes.
    """
    value = " ".join(text.upper().split())
    found = _PLATE.fullmatch(value)
    if found is None:
        raise NormaliseError("not a plate like 61A-123.45 or 61-B1 234.56", field=field)
    local, car_series, bike_series, number = found.groups()
    number = number.replace(".", "").replace(" ", "")
    if len(number) == 5:
        number = f"{number[:3]}.{number[3:]}"
    if car_series is not None:
        return f"{local}{car_series}-{number}"
    return f"{local}-{bike_series} {number}"


def plate_local_code(plate: str) -> str:
    """Return the two-digit local (registration area) code of a plate, e.g. ``"61"``.

    Raises:
        NormaliseError: the text is not a plate.
    """
    return normalise_plate(plate)[:2]
