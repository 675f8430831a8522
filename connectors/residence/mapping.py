"""Residence DB rows (``dk_cu_tru``) → canonical ``Residence`` records, keyed by PIN.

A registration cancelled because the person moved is superseded by the new registration
(same timestamp, next registration number, ``previous_registration_id`` pointing back):
it maps to no record, so that the PIN-keyed topic holds one record per person and change.
A registration cancelled by a death is published with status CANCELLED.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hub.connect.contract import RecordMapper
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.errors import MappingError
from hub.normalise.address import CodeSystem, normalise_address_avro
from hub.normalise.dates import DatePrecision, parse_timestamp, parse_vn_date
from hub.normalise.identifiers import normalise_pin

SOURCE = "residence"
#: Registrations from this date use the 2025 administrative-unit list.
REFORM = "2025-07-01"
TYPE = {"thường trú": "PERMANENT", "tạm trú": "TEMPORARY"}
STATUS = {"đang hiệu lực": "ACTIVE", "đã xóa đăng ký": "CANCELLED"}
REASON = {"chuyển nơi cư trú": "MOVED", "đã chết": "DECEASED"}


def _required(row: dict[str, Any], field: str) -> Any:
    value = row.get(field)
    if value is None or value == "":
        raise MappingError(f"{field}: missing")
    return value


def _label(table: dict[str, str], value: Any, field: str) -> str:
    try:
        return table[str(value).strip().lower()]
    except KeyError:
        raise MappingError(f"{field}: unknown label {value!r}") from None


@functools.lru_cache(maxsize=4096)
def _day(text: str, field: str) -> str:
    """A ``dd/mm/yyyy`` date as ISO; registrations are dated to the day."""
    parsed = parse_vn_date(text, field=field)
    if parsed.precision is not DatePrecision.DAY:
        raise MappingError(f"{field}: not a full date: {text!r}")
    return parsed.iso


@functools.lru_cache(maxsize=1024)
def _timestamp(text: str) -> datetime:
    """Rows of one batch share update times: parse each once."""
    return parse_timestamp(text, field="ngay_cap_nhat")


def _text(value: Any, field: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str | int):
        raise MappingError(f"{field}: expected text, got {type(value).__name__}")
    return str(value)


class ResidenceMapper(RecordMapper):
    """Maps the ``registrations`` stream of the Residence Database."""

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one registration row (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = record.payload
        if not isinstance(row, dict):
            raise MappingError("record is not a row")
        try:
            return self._registration(row)
        except (KeyError, TypeError, AttributeError) as exc:
            raise MappingError(f"malformed record: {type(exc).__name__}: {exc}") from exc

    def _registration(self, row: dict[str, Any]) -> list[CanonicalRecord]:
        status = _label(STATUS, _required(row, "trang_thai"), "trang_thai")
        reason_label = row.get("ly_do_xoa")
        reason = None
        if status == "CANCELLED":
            reason = _label(REASON, reason_label, "ly_do_xoa") if reason_label else "OTHER"
            if reason == "MOVED":
                return []  # superseded by the registration that replaced it
        registration_id = str(_required(row, "so_dk"))
        pin = normalise_pin(str(_required(row, "so_dd_cn")), field="so_dd_cn")
        updated = _timestamp(str(_required(row, "ngay_cap_nhat")))
        version = str(_required(row, "phien_ban"))
        registered = _day(str(_required(row, "ngay_dk")), "ngay_dk")
        system = CodeSystem.NEW_34 if registered >= REFORM else CodeSystem.OLD_63
        cancelled = row.get("ngay_xoa")
        address = normalise_address_avro(
            str(_required(row, "dia_chi")),
            code_system=system,
            as_of=registered,
            province_code=_text(row.get("ma_tinh"), "ma_tinh"),
            district_code=_text(row.get("ma_huyen"), "ma_huyen"),
            ward_code=_text(row.get("ma_xa"), "ma_xa"),
        )
        value = {
            "pin": pin,
            "registration_id": registration_id,
            "household_id": _text(row.get("ma_ho"), "ma_ho"),
            "residence_type": _label(TYPE, _required(row, "loai_cu_tru"), "loai_cu_tru"),
            "registration_date": registered,
            "address": address,
            "status": status,
            "cancelled_date": _day(str(cancelled), "ngay_xoa") if cancelled else None,
            "cancellation_reason": reason,
            "previous_registration_id": _text(row.get("so_dk_cu"), "so_dk_cu"),
            "meta": {
                "source": SOURCE,
                "source_record_id": registration_id,
                "source_version": version,
                "updated_at": updated,
            },
        }
        return [CanonicalRecord("residence", pin, value, version, updated)]
