"""Vehicle register rows (``dang_ky_xe``) → canonical ``Vehicle`` records, keyed by plate.

Plates arrive as each office keyed them (``61A12345``, ``61B1-23456``...) and are keyed
in canonical form; owner names may be ASCII upper case (kept normalised, the register's
spelling is not the legal name); type is a code, status a label, stolen a 0/1 flag.
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
from hub.normalise.identifiers import normalise_pin, normalise_plate
from hub.normalise.names import canonical_name

SOURCE = "vehicles"
TYPE = {"01": "CAR", "02": "MOTORBIKE"}
STATUS = {"đang lưu hành": "REGISTERED", "đã thu hồi": "DEREGISTERED"}


def _required(row: dict[str, Any], field: str) -> Any:
    value = row.get(field)
    if value is None or value == "":
        raise MappingError(f"{field}: missing")
    return value


def _lookup(table: dict[str, str], value: Any, field: str) -> str:
    try:
        return table[str(value).strip().lower()]
    except KeyError:
        raise MappingError(f"{field}: unknown value {value!r}") from None


@functools.lru_cache(maxsize=8192)
def _day(text: str) -> str:
    parsed = parse_vn_date(text, field="ngay_dk")
    if parsed.precision is not DatePrecision.DAY:
        raise MappingError(f"ngay_dk: not a full date: {text!r}")
    return parsed.iso


@functools.lru_cache(maxsize=1024)
def _timestamp(text: str) -> datetime:
    """Rows of one owner share an update time: parse each once."""
    return parse_timestamp(text, field="tg_cap_nhat")


def _flag(value: Any) -> bool:
    if value in (0, 1, "0", "1") and not isinstance(value, float):
        return bool(int(value))
    raise MappingError(f"mat_cap: not a 0/1 flag: {value!r}")


class VehicleMapper(RecordMapper):
    """Maps the ``registrations`` stream of the vehicle register."""

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one vehicle row (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = record.payload
        if not isinstance(row, dict):
            raise MappingError("record is not a row")
        try:
            return [self._vehicle(row)]
        except (KeyError, TypeError, AttributeError) as exc:
            raise MappingError(f"malformed record: {type(exc).__name__}: {exc}") from exc

    def _vehicle(self, row: dict[str, Any]) -> CanonicalRecord:
        plate = normalise_plate(str(_required(row, "bien_so")), field="bien_so")
        vehicle_type = _lookup(TYPE, _required(row, "loai_xe"), "loai_xe")
        if (vehicle_type == "MOTORBIKE") != (plate[2] == "-"):
            raise MappingError("bien_so: plate shape disagrees with loai_xe")
        updated = _timestamp(str(_required(row, "tg_cap_nhat")))
        version = str(_required(row, "phien_ban"))
        raw_address = row.get("dia_chi_chu_xe")
        ward = row.get("ma_xa_chu_xe")
        address = None
        if raw_address:
            address = normalise_address_avro(
                str(raw_address),
                code_system=CodeSystem.OLD_63,
                as_of=updated.date().isoformat(),
                province_code=None,
                ward_code=str(ward) if ward is not None else None,
            )
        value = {
            "plate": plate,
            "plate_local_code": plate[:2],
            "owner_pin": normalise_pin(str(_required(row, "cccd_chu_xe")), field="cccd_chu_xe"),
            "owner_name": canonical_name(str(_required(row, "ten_chu_xe")), field="ten_chu_xe"),
            "owner_address": address,
            "vehicle_type": vehicle_type,
            "brand": str(_required(row, "nhan_hieu")),
            "chassis_number": str(_required(row, "so_khung")).strip().upper(),
            "engine_number": str(_required(row, "so_may")).strip().upper(),
            "registration_date": _day(str(_required(row, "ngay_dk"))),
            "registration_status": _lookup(STATUS, _required(row, "trang_thai"), "trang_thai"),
            "stolen": _flag(_required(row, "mat_cap")),
            "meta": {
                "source": SOURCE,
                "source_record_id": str(row["bien_so"]),
                "source_version": version,
                "updated_at": updated,
            },
        }
        return CanonicalRecord("vehicle", plate, value, version, updated)
