"""Land service records → canonical ``Parcel`` records."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from connectors.land.geohash import parcel_point
from hub.connect.contract import RecordMapper
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.connect.soap_client import field_list, field_required, field_text
from hub.errors import MappingError, RecordError
from hub.normalise.address import CodeSystem, normalise_address_avro
from hub.normalise.dates import parse_timestamp, parse_vn_date
from hub.normalise.identifiers import normalise_pin

SOURCE = "land"

#: Land-use purpose codes (Land Law 2024 and its circulars) the hub accepts.
PURPOSES = frozenset({
    "ONT", "ODT", "LUC", "LUK", "LUN", "BHK", "NHK", "CLN", "NTS", "RSX", "RPH", "RDD",
    "SKC", "TMD", "SKK", "DGD", "DYT", "TON", "NTD", "CSD",
})  # fmt: skip
RESTRICTION = {"TC": "MORTGAGE", "TR": "DISPUTE", "KB": "SEIZURE", "KCTT": "PROVISIONAL_MEASURE"}
OWNER_STATUS = {"còn sống": False, "đã chết": True}
LONG_TERM = "lâu dài"


@functools.lru_cache(maxsize=8192)
def vn_date(text: str, field: str) -> date:
    """A ``dd/mm/yyyy`` date known to the day (cached: dates repeat)."""
    value = parse_vn_date(text, field=field)
    if value.month is None or value.day is None:
        raise MappingError(f"{field}: a full date is required")
    return date(value.year, value.month, value.day)


@functools.lru_cache(maxsize=1024)
def _timestamp(text: str) -> datetime:
    return parse_timestamp(text, field="thoiDiemCapNhat")


def _decimal(text: str, field: str) -> float:
    """A decimal with a comma (``125,5``) or a point; positive and finite."""
    candidate = text.replace(",", ".", 1)
    if not candidate.replace(".", "", 1).isdigit() or not candidate.isascii():
        raise MappingError(f"{field}: not a decimal number: {text!r}")
    value = float(candidate)
    if not 0 < value < 1e9:
        raise MappingError(f"{field}: out of range")
    return value


def _whole(text: str | None, field: str, high: int = 10**15) -> int:
    if text is None:
        return 0
    if not (text.isascii() and text.isdigit()) or len(text) > 16 or int(text) > high:
        raise MappingError(f"{field}: not a whole number up to {high}: {text!r}")
    return int(text)


def _owner(row: dict[str, Any]) -> dict[str, Any]:
    status = field_required(row, "tinhTrang").lower()
    if status not in OWNER_STATUS:
        raise MappingError(f"ChuSuDung.tinhTrang: unknown label {status!r}")
    return {
        "pin": normalise_pin(field_required(row, "soDinhDanh"), field="ChuSuDung.soDinhDanh"),
        "share_percent": _decimal(field_required(row, "tyLe"), "ChuSuDung.tyLe"),
        "deceased": OWNER_STATUS[status],
    }


def _restriction(row: dict[str, Any]) -> dict[str, Any]:
    code = field_required(row, "loai")
    if code not in RESTRICTION:
        raise MappingError(f"HanChe.loai: unknown code {code!r}")
    return {
        "kind": RESTRICTION[code],
        "registered_on": vn_date(field_required(row, "ngayDangKy"), "HanChe.ngayDangKy"),
        "authority": field_text(row, "coQuan", required=False),
        "reference": field_text(row, "soVanBan", required=False),
    }


class LandMapper(RecordMapper):
    """Maps ``ThuaDat`` records (parsed into dicts by the adapter) to parcels."""

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one native record (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = record.payload
        if not isinstance(row, dict):
            raise MappingError("record is not an element with children")
        try:
            return [self._parcel(row)]
        except RecordError:
            raise
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise MappingError(f"malformed record: {type(exc).__name__}: {exc}") from exc

    def _parcel(self, row: dict[str, Any]) -> CanonicalRecord:
        parcel_id = field_required(row, "maThuaDat")
        lat, lon = parcel_point(parcel_id, field="maThuaDat")
        updated = _timestamp(field_required(row, "thoiDiemCapNhat"))
        version = field_required(row, "phienBan")
        commune = field_required(row, "maXa")
        sheet = _whole(field_required(row, "soToBanDo"), "soToBanDo", 99_999)
        number = _whole(field_required(row, "soThua"), "soThua", 999_999)
        purpose = field_required(row, "mucDichSuDung").upper()
        if purpose not in PURPOSES:
            raise MappingError(f"mucDichSuDung: unknown land-use code {purpose!r}")
        term = field_required(row, "thoiHanSuDung")
        owners = [_owner(o) for o in field_list(row, "ChuSuDung")]
        if not owners:
            raise MappingError("ChuSuDung: a parcel without owners")
        if abs(sum(o["share_percent"] for o in owners) - 100) > 0.01:
            raise MappingError("ChuSuDung.tyLe: owners' shares do not add up to 100")
        value = {
            "parcel_id": parcel_id,
            "legacy_key": f"{commune}-{sheet}-{number}",
            "commune_code": commune,
            "map_sheet": sheet,
            "parcel_number": number,
            "latitude": lat,
            "longitude": lon,
            "address": normalise_address_avro(
                field_required(row, "diaChi"),
                code_system=CodeSystem.OLD_63,
                as_of=updated.date().isoformat(),
                province_code=field_text(row, "maTinh", required=False),
                district_code=field_text(row, "maHuyen", required=False),
                ward_code=commune,
            ),
            "area_m2": _decimal(field_required(row, "dienTich"), "dienTich"),
            "purpose": purpose,
            "long_term": term.lower() == LONG_TERM,
            "term_until": None if term.lower() == LONG_TERM else vn_date(term, "thoiHanSuDung"),
            "owners": owners,
            "common_property": field_required(row, "taiSanChung") == "1",
            "certificate_serial": field_required(row, "soSerieGCN"),
            "certificate_issue_date": vn_date(field_required(row, "ngayCapGCN"), "ngayCapGCN"),
            "encumbrances": [_restriction(r) for r in field_list(row, "HanChe")],
            "unpaid_obligations_vnd": _whole(
                field_text(row, "nghiaVuTaiChinhChuaNop", required=False),
                "nghiaVuTaiChinhChuaNop",
            ),
            "meta": {
                "source": SOURCE,
                "source_record_id": parcel_id,
                "source_version": version,
                "updated_at": updated,
            },
        }
        return CanonicalRecord("parcel", parcel_id, value, version, updated)
