"""Registry records → canonical ``Enterprise`` records."""

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
from hub.normalise.identifiers import normalise_pin, normalise_tax_code

SOURCE = "business_registration"
KIND = {"doanh nghiệp tư nhân": "PRIVATE", "công ty tnhh một thành viên": "LLC_ONE",
        "công ty tnhh hai thành viên trở lên": "LLC_MULTI", "công ty cổ phần": "JSC",
        "công ty hợp danh": "PARTNERSHIP"}  # fmt: skip
STATUS = {"đang hoạt động": "ACTIVE", "tạm ngừng kinh doanh": "SUSPENDED",
          "đang làm thủ tục giải thể": "DISSOLVING", "đã giải thể": "DISSOLVED",
          "phá sản": "BANKRUPT"}  # fmt: skip
CODE_SYSTEM = {"63": CodeSystem.OLD_63, "34": CodeSystem.NEW_34}
MAX_CAPITAL = 10**16


def _required(row: dict[str, Any], field: str) -> Any:
    value = row.get(field)
    if value is None or value == "" or value == []:
        raise MappingError(f"{field}: missing")
    return value


def _text(row: dict[str, Any], field: str, required: bool = True) -> str | None:
    value = _required(row, field) if required else row.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MappingError(f"{field}: not text")
    return value


def _label(table: dict[str, str], row: dict[str, Any], field: str) -> str:
    value = table.get(str(_text(row, field)).strip().lower())
    if value is None:
        raise MappingError(f"{field}: unknown label")
    return value


def _objects(row: dict[str, Any], field: str) -> list[dict[str, Any]]:
    value = row.get(field) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise MappingError(f"{field}: not a list of objects")
    return value


def _address(raw: Any, as_of: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise MappingError("diaChiTruSo: not an object")
    system = CODE_SYSTEM.get(str(raw.get("danhMuc")))
    if system is None:
        raise MappingError("diaChiTruSo.danhMuc: unknown code list")
    return normalise_address_avro(
        raw.get("diaChi") or "",
        code_system=system,
        as_of=as_of,
        province_code=raw.get("maTinh"),
        district_code=raw.get("maHuyen"),
        ward_code=raw.get("maXa"),
    )


@functools.lru_cache(maxsize=1024)
def _timestamp(text: str) -> datetime:
    """Update times repeat across records of one load: parse each once."""
    return parse_timestamp(text, field="ngayCapNhat")


class BusinessRegistrationMapper(RecordMapper):
    """Maps the registry's ``doanh-nghiep`` records."""

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one native record (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = record.payload
        if not isinstance(row, dict):
            raise MappingError("record is not a JSON object")
        try:
            return [self._enterprise(row)]
        except (KeyError, TypeError, AttributeError) as exc:
            raise MappingError(f"malformed record: {type(exc).__name__}") from exc

    def _enterprise(self, row: dict[str, Any]) -> CanonicalRecord:
        code = normalise_tax_code(str(_text(row, "maSoDoanhNghiep")), field="maSoDoanhNghiep")
        if len(code) != 10:
            raise MappingError("maSoDoanhNghiep: an enterprise code is 10 digits")
        updated = _timestamp(str(_text(row, "ngayCapNhat")))
        version = str(_required(row, "phienBan"))
        founded = parse_vn_date(str(_text(row, "ngayThanhLap")), field="ngayThanhLap")
        if founded.precision is not DatePrecision.DAY:
            raise MappingError("ngayThanhLap: not a full date")
        capital = _required(row, "vonDieuLe")
        if type(capital) is not int or not 0 <= capital <= MAX_CAPITAL:
            raise MappingError("vonDieuLe: not an amount in VND")
        members = []
        for m in _objects(row, "thanhVien"):
            share = m.get("tyLeGopVon")
            if isinstance(share, bool) or not isinstance(share, int | float):
                raise MappingError("thanhVien.tyLeGopVon: not a percentage")
            if not 0 <= share <= 100:
                raise MappingError("thanhVien.tyLeGopVon: not a percentage")
            pin = normalise_pin(str(m.get("soDinhDanh") or ""), field="thanhVien.soDinhDanh")
            members.append({"pin": pin, "share_percent": float(share)})
        branches = []
        for b in _objects(row, "chiNhanh"):
            branch = normalise_tax_code(str(b.get("maChiNhanh") or ""), field="chiNhanh.maChiNhanh")
            if len(branch) != 13 or not branch.startswith(code):
                raise MappingError("chiNhanh.maChiNhanh: not a branch of this enterprise")
            branches.append({"branch_code": branch, "name": str(b.get("tenChiNhanh") or "")})
        value = {
            "enterprise_code": code,
            "name_vi": _text(row, "tenTiengViet"),
            "name_en": _text(row, "tenTiengNuocNgoai", required=False),
            "abbreviation": _text(row, "tenVietTat", required=False),
            "enterprise_type": _label(KIND, row, "loaiHinh"),
            "status": _label(STATUS, row, "tinhTrang"),
            "registration_date": founded.iso,
            "head_office": _address(_required(row, "diaChiTruSo"), updated.date().isoformat()),
            "charter_capital_vnd": capital,
            "legal_representatives": [
                {
                    "pin": normalise_pin(str(r.get("soDinhDanh") or ""), field="nguoiDaiDien"),
                    "title": str(r.get("chucDanh") or "") or None,
                }
                for r in _objects(row, "nguoiDaiDien")
            ],
            "members": members,
            "branches": branches,
            "meta": {
                "source": SOURCE,
                "source_record_id": code,
                "source_version": version,
                "updated_at": updated,
            },
        }
        return CanonicalRecord("enterprise", code, value, version, updated)
