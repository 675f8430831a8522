"""Judicial-records change entries → canonical ``JudicialRecord`` records (sensitive)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from hub.connect.contract import RecordMapper
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.connect.soap_client import field_dict, field_list, field_required, field_text
from hub.errors import MappingError, RecordError
from hub.normalise.dates import VN_TZ, parse_vn_date
from hub.normalise.identifiers import normalise_pin

SOURCE = "judicial"

SENTENCE = {"01": "FINE", "02": "NON_CUSTODIAL", "03": "IMPRISONMENT", "04": "SUSPENDED"}
EXECUTION = {"1": "SERVING", "2": "COMPLETED", "3": "TERMINATED"}
FLAG = {"0": False, "1": True}


@functools.lru_cache(maxsize=8192)
def compact_date(text: str, field: str) -> date:
    """A ``yyyyMMdd`` date known to the day (cached: dates repeat)."""
    if len(text) != 8:
        raise MappingError(f"{field}: expected yyyyMMdd, got {text!r}")
    value = parse_vn_date(text, field=field)
    if value.month is None or value.day is None:
        raise MappingError(f"{field}: a full date is required")
    return date(value.year, value.month, value.day)


@functools.lru_cache(maxsize=1024)
def compact_time(text: str) -> datetime:
    """A ``yyyyMMddHHmmss`` Vietnam time as a UTC datetime."""
    try:
        local = datetime.strptime(text, "%Y%m%d%H%M%S")
    except ValueError:
        raise MappingError(f"thoiDiem: expected yyyyMMddHHmmss, got {text!r}") from None
    return local.replace(tzinfo=VN_TZ).astimezone(UTC)


def _code(table: dict[str, Any], row: dict[str, Any], field: str) -> Any:
    value = field_required(row, field)
    try:
        return table[value]
    except KeyError:
        raise MappingError(f"{field}: unknown code {value!r}") from None


def _optional_date(row: dict[str, Any], field: str) -> date | None:
    text = field_text(row, field, required=False)
    return compact_date(text, field) if text else None


def _number(row: dict[str, Any], field: str, high: int) -> int | None:
    text = field_text(row, field, required=False)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 16 or int(text) > high:
        raise MappingError(f"{field}: not a whole number up to {high}: {text!r}")
    return int(text)


def _conviction(row: dict[str, Any]) -> dict[str, Any]:
    expunged = _code(FLAG, row, "daXoaAnTich")
    expunged_on = _optional_date(row, "ngayXoaAnTich")
    if expunged and expunged_on is None:
        raise MappingError("ngayXoaAnTich: missing for an expunged conviction")
    return {
        "court": field_required(row, "toaAn"),
        "judgment_number": field_required(row, "soBanAn"),
        "judgment_date": compact_date(field_required(row, "ngayTuyenAn"), "ngayTuyenAn"),
        "offence_code": field_required(row, "maToiDanh"),
        "offence": field_required(row, "tenToiDanh"),
        "sentence": _code(SENTENCE, row, "maHinhPhat"),
        "sentence_months": _number(row, "thoiHanThang", 1200),
        "fine_vnd": _number(row, "soTienPhat", 10**15),
        "execution_status": _code(EXECUTION, row, "maTinhTrangChapHanh"),
        "execution_ended_on": _optional_date(row, "ngayKetThucChapHanh"),
        "expunged": expunged,
        "expunged_on": expunged_on if expunged else None,
    }


class JudicialMapper(RecordMapper):
    """Maps ``BanGhi`` entries of the change feed (parsed into dicts by the adapter).

    The name and date of birth the source holds are not carried: the record is looked
    up by PIN only (data minimisation for sensitive data).
    """

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one native entry (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = record.payload
        if not isinstance(row, dict):
            raise MappingError("entry is not an element with children")
        try:
            return [self._record(row)]
        except RecordError:
            raise
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise MappingError(f"malformed entry: {type(exc).__name__}: {exc}") from exc

    def _record(self, row: dict[str, Any]) -> CanonicalRecord:
        change_id = field_required(row, "maThayDoi")
        updated = compact_time(field_required(row, "thoiDiem"))
        body = field_dict(row, "LyLich")
        if body is None:
            raise MappingError("LyLich: missing")
        pin = normalise_pin(field_required(body, "soDinhDanh"), field="LyLich.soDinhDanh")
        convictions = [_conviction(c) for c in field_list(body, "BanAn")]
        if not convictions:
            raise MappingError("BanAn: a judicial record without any conviction")
        version = field_required(body, "phienBan")
        value = {
            "pin": pin,
            "record_status": "EXPUNGED" if all(c["expunged"] for c in convictions) else "CONVICTED",
            "convictions": convictions,
            "subject_deceased": _code(FLAG, body, "daChet"),
            "meta": {
                "source": SOURCE,
                "source_record_id": change_id,
                "source_version": version,
                "updated_at": updated,
            },
        }
        return CanonicalRecord("judicial_record", pin, value, version, updated)
