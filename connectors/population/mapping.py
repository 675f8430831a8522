"""Population DB native records → canonical ``Citizen`` and ``Household`` records."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hub.connect.contract import RecordMapper
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.errors import MappingError
from hub.normalise.address import CodeSystem, normalise_address_avro
from hub.normalise.dates import parse_timestamp, parse_vn_date
from hub.normalise.identifiers import normalise_legacy_id, normalise_pin
from hub.normalise.names import canonical_name

SOURCE = "population"

SEX = {"nam": "MALE", "nữ": "FEMALE", "nu": "FEMALE"}
MARITAL = {
    "chưa kết hôn": "SINGLE", "độc thân": "SINGLE", "đã kết hôn": "MARRIED",
    "ly hôn": "DIVORCED", "góa": "WIDOWED", "goá": "WIDOWED",
}  # fmt: skip
RELATION = {
    "chủ hộ": "HEAD", "vợ": "SPOUSE", "chồng": "SPOUSE", "con": "CHILD", "cha": "PARENT",
    "mẹ": "PARENT", "cháu": "GRANDCHILD", "anh": "SIBLING", "chị": "SIBLING", "em": "SIBLING",
}  # fmt: skip
STATUS = {"còn sống": "ALIVE", "đã chết": "DECEASED", "mất tích": "MISSING"}


def _required(row: dict[str, Any], field: str) -> Any:
    value = row.get(field)
    if value is None or value == "":
        raise MappingError(f"{field}: missing")
    return value


def _label(table: dict[str, str], row: dict[str, Any], field: str) -> str:
    value = str(_required(row, field))
    try:
        return table[value.strip().lower()]
    except KeyError:
        raise MappingError(f"{field}: unknown label {value!r}") from None


def _pin(value: Any, field: str) -> str | None:
    if value is None or value == "":
        return None
    return normalise_pin(str(value), field=field)


def _address(raw: Any, as_of: str, field: str, *, required: bool = False) -> dict[str, Any] | None:
    if not raw:
        if required:
            raise MappingError(f"{field}: missing")
        return None
    if not isinstance(raw, dict):
        raise MappingError(f"{field}: not an object")
    return normalise_address_avro(
        str(raw.get("diaChiChiTiet") or ""),
        code_system=CodeSystem.OLD_63,
        as_of=as_of,
        province_code=raw.get("maTinh"),
        district_code=raw.get("maHuyen"),
        ward_code=raw.get("maXa"),
    )


def _province_code(raw: Any) -> str | None:
    """A 2-digit old-list province code as the 3-digit PIN prefix form (``74`` → ``074``)."""
    if not isinstance(raw, dict) or not raw.get("maTinh"):
        return None
    code = str(raw["maTinh"]).strip()
    if not (code.isascii() and code.isdigit() and 1 <= len(code) <= 3):
        raise MappingError(f"maTinh: not a province code: {code!r}")
    return code.zfill(3)


def _free_text(row: dict[str, Any], field: str) -> str | None:
    value = row.get(field)
    if value is None or isinstance(value, str):
        return value or None
    raise MappingError(f"{field}: expected text, got {type(value).__name__}")


def _text(raw: Any) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw or None
    if isinstance(raw, dict):
        return str(raw.get("diaChiChiTiet") or raw.get("tenTinh") or "") or None
    raise MappingError(f"expected text, got {type(raw).__name__}")


class PopulationMapper(RecordMapper):
    """Maps the population API's ``congdan`` and ``hogiadinh`` records."""

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one native record (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = record.payload
        if not isinstance(row, dict):
            raise MappingError("record is not a JSON object")
        try:
            if stream == "citizens":
                return [self._citizen(row)]
            return [self._household(row)]
        except (KeyError, TypeError, AttributeError) as exc:
            raise MappingError(f"malformed record: {type(exc).__name__}: {exc}") from exc

    def _meta(self, row: dict[str, Any], record_id: str) -> tuple[dict[str, Any], Any, str]:
        updated = _timestamp(str(_required(row, "ngayCapNhat")))
        version = str(_required(row, "phienBan"))
        meta = {
            "source": SOURCE,
            "source_record_id": record_id,
            "source_version": version,
            "updated_at": updated,
        }
        return meta, updated, version

    def _citizen(self, row: dict[str, Any]) -> CanonicalRecord:
        pin = _pin(_required(row, "soDinhDanh"), "soDinhDanh")
        assert pin is not None
        meta, updated, version = self._meta(row, pin)
        as_of = updated.date().isoformat()
        original = str(_required(row, "hoVaTen"))
        death = row.get("ngayMat")
        legacy = row.get("soCMND")
        value = {
            "pin": pin,
            "legacy_id_number": normalise_legacy_id(str(legacy), field="soCMND")
            if legacy
            else None,
            "full_name": canonical_name(original, field="hoVaTen"),
            "full_name_original": original,
            "other_names": [
                canonical_name(n, field="tenGoiKhac") for n in row.get("tenGoiKhac") or []
            ],
            "birth_date": _vn_date(str(_required(row, "ngaySinh")), "ngaySinh"),
            "sex": _label(SEX, row, "gioiTinh"),
            "place_of_birth": _free_text(row, "noiSinh"),
            "birth_registration_province": _province_code(row.get("noiDangKyKhaiSinh")),
            "native_place": _text(row.get("queQuan")),
            "ethnicity": _free_text(row, "danToc"),
            "religion": _free_text(row, "tonGiao"),
            "nationality": "VN" if row.get("quocTich") in (None, "Việt Nam", "VN") else "XX",
            "marital_status": _label(MARITAL, row, "tinhTrangHonNhan")
            if row.get("tinhTrangHonNhan")
            else "UNKNOWN",
            "permanent_address": _address(row.get("thuongTru"), as_of, "thuongTru"),
            "temporary_address": _address(row.get("tamTru"), as_of, "tamTru"),
            "current_address": _address(row.get("noiOHienTai"), as_of, "noiOHienTai"),
            "household_id": _free_text(row, "maHoGiaDinh"),
            "household_head_pin": _pin(row.get("soDinhDanhChuHo"), "soDinhDanhChuHo"),
            "relationship_to_head": _label(RELATION, row, "quanHeVoiChuHo")
            if row.get("quanHeVoiChuHo")
            else None,
            "father_pin": _pin(row.get("soDinhDanhCha"), "soDinhDanhCha"),
            "mother_pin": _pin(row.get("soDinhDanhMe"), "soDinhDanhMe"),
            "spouse_pin": _pin(row.get("soDinhDanhVoChong"), "soDinhDanhVoChong"),
            "status": _label(STATUS, row, "trangThai"),
            "date_of_death": _vn_date(str(death), "ngayMat") if death else None,
            "meta": meta,
        }
        return CanonicalRecord("citizen", pin, value, version, updated)

    def _household(self, row: dict[str, Any]) -> CanonicalRecord:
        household_id = str(_required(row, "maHoGiaDinh"))
        meta, updated, version = self._meta(row, household_id)
        members = [
            {
                "pin": _pin(_required(m, "soDinhDanh"), "thanhVien.soDinhDanh"),
                "relationship": _label(RELATION, m, "quanHeVoiChuHo"),
            }
            for m in _required(row, "thanhVien")
        ]
        value = {
            "household_id": household_id,
            "head_pin": _pin(_required(row, "soDinhDanhChuHo"), "soDinhDanhChuHo"),
            "members": members,
            "address": _address(
                row.get("diaChi"), updated.date().isoformat(), "diaChi", required=True
            ),
            "meta": meta,
        }
        return CanonicalRecord("household", household_id, value, version, updated)


@functools.lru_cache(maxsize=1024)
def _timestamp(text: str) -> datetime:
    """Source update times repeat across records of one load: parse each once."""
    return parse_timestamp(text, field="ngayCapNhat")


@functools.lru_cache(maxsize=65_536)
def _vn_date_cached(text: str, field: str) -> tuple[str, str]:
    value = parse_vn_date(text, field=field)
    return value.iso, value.precision.value


def _vn_date(text: str, field: str) -> dict[str, str]:
    """A ``dd/mm/yyyy`` (or coarser) date as the canonical ``PartialDate`` dict."""
    iso, precision = _vn_date_cached(text, field)
    return {"iso": iso, "precision": precision}
