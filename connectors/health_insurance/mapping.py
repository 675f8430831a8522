"""Card register rows (``THE_BHYT``) → canonical ``HealthInsuranceCard`` records, by PIN.

Quirks handled: the PIN sits in a NUMERIC column, so PINs of provinces below 100 (all of
them, e.g. ``074...``) arrive without their leading zero; dates are ``yyyymmdd``; codes
stand for sex, status and benefit level; the card code repeats the group, the level and
the social-insurance code, and must agree with them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from hub.connect.contract import RecordMapper
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.errors import MappingError
from hub.normalise.dates import DatePrecision, parse_vn_date
from hub.normalise.identifiers import normalise_pin, normalise_social_insurance_code
from hub.normalise.names import canonical_name

SOURCE = "health_insurance"
SEX = {1: "MALE", 2: "FEMALE"}
STATUS = {1: "ACTIVE", 2: "SUSPENDED", 3: "TERMINATED"}


def _required(row: dict[str, Any], field: str) -> Any:
    value = row.get(field)
    if value is None or value == "":
        raise MappingError(f"{field}: missing")
    return value


def _code(table: dict[int, str], row: dict[str, Any], field: str) -> str:
    """The symbol of an INTEGER code column's value: an integer, or its digits as text.

    Anything else is refused, not converted: ``int()`` would read ``True`` as 1 and
    ``1.9`` as 1, and raise for an infinity or thousands of digits.
    """
    value = _required(row, field)
    code = value.strip() if isinstance(value, str) else value
    if isinstance(code, str) and code.isascii() and code.isdigit() and len(code) <= 9:
        code = int(code)
    if type(code) is int and code in table:
        return table[code]
    raise MappingError(f"{field}: unknown code {value!r}")


def _ascii_digits(text: str) -> bool:
    """Whether ``text`` is digits 0 to 9 only (``isdigit`` alone also takes ``²`` or ``٣``)."""
    return text.isascii() and text.isdigit()


def _pin(value: Any) -> str:
    """The PIN from a NUMERIC column: an integer has lost its leading zeros."""
    if isinstance(value, bool):
        raise MappingError("SO_DDCN: not a PIN")
    if isinstance(value, int):
        if not 0 <= value < 10**12:
            raise MappingError("SO_DDCN: out of range")
        return normalise_pin(f"{value:012d}", field="SO_DDCN")
    return normalise_pin(str(value), field="SO_DDCN")


@functools.lru_cache(maxsize=8192)
def _day(text: str, field: str) -> str:
    parsed = parse_vn_date(text, field=field)
    if parsed.precision is not DatePrecision.DAY or len(text) != 8:
        raise MappingError(f"{field}: not a yyyymmdd date: {text!r}")
    return parsed.iso


@functools.lru_cache(maxsize=8192)
def _birth(text: str) -> tuple[str, str]:
    parsed = parse_vn_date(text, field="NGAY_SINH")
    return parsed.iso, parsed.precision.value


def _updated(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MappingError(f"NGAY_CN: not epoch seconds: {value!r}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise MappingError(f"NGAY_CN: out of range: {value!r}") from exc


class HealthInsuranceMapper(RecordMapper):
    """Maps the ``cards`` stream of the card register."""

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one card row (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = record.payload
        if not isinstance(row, dict):
            raise MappingError("record is not a row")
        try:
            return [self._card(row)]
        except (KeyError, TypeError, AttributeError) as exc:
            raise MappingError(f"malformed record: {type(exc).__name__}: {exc}") from exc

    def _card(self, row: dict[str, Any]) -> CanonicalRecord:
        si_code = normalise_social_insurance_code(
            str(_required(row, "MA_SO_BHXH")), field="MA_SO_BHXH"
        )
        pin = _pin(_required(row, "SO_DDCN"))
        card = str(_required(row, "MA_THE")).strip().upper()
        group, level = str(_required(row, "MA_DT")).strip().upper(), _required(row, "MUC_HUONG")
        if len(card) != 15 or not card[:2].isalpha() or not _ascii_digits(card[2:]):
            raise MappingError(f"MA_THE: not a 15-character card code: {card!r}")
        if card[:2] != group or card[2] != str(level) or card[5:] != si_code:
            raise MappingError("MA_THE: disagrees with MA_DT, MUC_HUONG or MA_SO_BHXH")
        if not card[:2].isascii():
            raise MappingError("MA_THE: group is not ASCII")
        updated = _updated(_required(row, "NGAY_CN"))
        version = str(int(updated.timestamp()))
        original = str(_required(row, "HO_TEN"))
        birth_iso, precision = _birth(str(_required(row, "NGAY_SINH")))
        value = {
            "pin": pin,
            "card_code": card,
            "social_insurance_code": si_code,
            "full_name": canonical_name(original, field="HO_TEN"),
            "full_name_original": original,
            "birth_date": {"iso": birth_iso, "precision": precision},
            "sex": _code(SEX, row, "GIOI_TINH"),
            "beneficiary_group": group,
            "benefit_level": int(card[2]),
            "card_province_code": card[3:5],
            "valid_from": _day(str(_required(row, "GT_TU")), "GT_TU"),
            "valid_to": _day(str(_required(row, "GT_DEN")), "GT_DEN"),
            "primary_care_facility_code": str(_required(row, "MA_KCB")),
            "primary_care_facility_name": str(_required(row, "TEN_KCB")),
            "status": _code(STATUS, row, "TRANG_THAI"),
            "meta": {
                "source": SOURCE,
                "source_record_id": si_code,
                "source_version": version,
                "updated_at": updated,
            },
        }
        return CanonicalRecord("health_insurance_card", pin, value, version, updated)
