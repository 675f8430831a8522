"""Degree-register items → canonical ``Degree`` records."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from hub.connect.contract import RecordMapper
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.errors import MappingError
from hub.normalise.dates import parse_vn_date
from hub.normalise.identifiers import normalise_pin
from hub.normalise.names import canonical_name

SOURCE = "degrees"
QUALIFICATION = {
    "TNTHPT": "HIGH_SCHOOL_GRADUATION", "TC": "VOCATIONAL", "CD": "COLLEGE", "DH": "BACHELOR",
    "THS": "MASTER", "TS": "DOCTORATE",
}  # fmt: skip
CLASSIFICATION = {
    "XS": "EXCELLENT", "G": "VERY_GOOD", "K": "GOOD", "TBK": "FAIRLY_GOOD", "TB": "AVERAGE",
}  # fmt: skip


def _required(item: dict[str, Any], field: str) -> Any:
    value = item.get(field)
    if value is None or value == "":
        raise MappingError(f"{field}: missing")
    return value


def _text(item: dict[str, Any], field: str) -> str:
    value = _required(item, field)
    if not isinstance(value, str | int):
        raise MappingError(f"{field}: not text")
    return str(value).strip()


def _code(table: dict[str, str], item: dict[str, Any], field: str) -> str:
    value = str(_required(item, field)).strip().upper()
    try:
        return table[value]
    except KeyError:
        raise MappingError(f"{field}: unknown code {value[:20]!r}") from None


def _year(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
        raise MappingError("NamTotNghiep: not a year")
    return value


@functools.lru_cache(maxsize=4096)
def _issue_date(text: str) -> date:
    parsed = parse_vn_date(text, field="NgayCap")
    if parsed.month is None or parsed.day is None:
        raise MappingError("NgayCap: an issue date must be a full date")
    return date(parsed.year, parsed.month, parsed.day)


def _updated(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**42:
        raise MappingError("ThoiGianCapNhat: not an epoch-millisecond time")
    return datetime.fromtimestamp(value / 1000, UTC)


class DegreesMapper(RecordMapper):
    """Maps the degree register's ``vanbang`` items."""

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one native item (see :class:`~hub.connect.contract.RecordMapper`)."""
        item = record.payload
        if not isinstance(item, dict):
            raise MappingError("record is not a JSON object")
        try:
            return [self._degree(item)]
        except (KeyError, TypeError, AttributeError) as exc:
            raise MappingError(f"malformed record: {type(exc).__name__}: {exc}") from exc

    def _degree(self, item: dict[str, Any]) -> CanonicalRecord:
        institution = _text(item, "MaTruong")
        number = _text(item, "SoHieuVanBang")
        key = f"{institution}:{number}"
        updated = _updated(item.get("ThoiGianCapNhat"))
        version = str(_required(item, "PhienBan"))
        original = _required(item, "HoTen")
        if not isinstance(original, str):
            raise MappingError("HoTen: not text")
        birth = parse_vn_date(str(_required(item, "NgaySinh")), field="NgaySinh")
        field = item.get("NganhDaoTao")
        if field is not None and not isinstance(field, dict):
            raise MappingError("NganhDaoTao: not an object")
        classification = item.get("XepLoai")
        pin = item.get("CCCD")
        value = {
            "degree_id": key,
            "institution_code": institution,
            "institution_name": _text(item, "TenTruong"),
            "degree_number": number,
            "holder_full_name": canonical_name(original, field="HoTen"),
            "holder_full_name_original": original,
            "holder_birth_date": {"iso": birth.iso, "precision": birth.precision.value},
            "holder_pin": normalise_pin(str(pin), field="CCCD") if pin else None,
            "qualification": _code(QUALIFICATION, item, "LoaiVanBang"),
            "field_code": str(field["Ma"]) if field and field.get("Ma") else None,
            "field_name": str(field["Ten"]) if field and field.get("Ten") else None,
            "graduation_year": _year(item.get("NamTotNghiep")),
            "classification": _code(CLASSIFICATION, item, "XepLoai") if classification else None,
            "issue_date": _issue_date(str(_required(item, "NgayCap"))),
            "meta": {
                "source": SOURCE,
                "source_record_id": key,
                "source_version": version,
                "updated_at": updated,
            },
        }
        return CanonicalRecord("degree", key, value, version, updated)
