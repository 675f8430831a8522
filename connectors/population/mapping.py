"""Population DB native records → canonical ``Citizen`` and ``Household`` records."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hub.codec.frozen import FrozenRecord
from hub.connect.contract import RecordMapper
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.errors import MappingError
from hub.normalise.address import CodeSystem, normalise_address_avro
from hub.normalise.dates import parse_timestamp, vn_date_iso
from hub.normalise.identifiers import OLD_PROVINCE_CODES, normalise_legacy_id, normalise_pin
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


def _spellings(table: dict[str, str]) -> dict[str, str]:
    """``table`` plus the spellings sources use for its labels (``Nam``, ``NỮ``, ``Chủ hộ``).

    Every added key gives what ``table[key.strip().lower()]`` gives, so :func:`_label` can
    look a label up as it comes and only strip and lower the unusual ones.
    """
    variants = (s for key in table for s in (key, key.capitalize(), key.title(), key.upper()))
    return {s: table[s.strip().lower()] for s in variants if s.strip().lower() in table}


_SEX, _MARITAL, _RELATION, _STATUS = map(_spellings, (SEX, MARITAL, RELATION, STATUS))


def _present(value: Any, field: str) -> Any:
    """``value`` unless it is missing (None or empty text)."""
    if value is None or value == "":
        raise MappingError(f"{field}: missing")
    return value


def _required(row: dict[str, Any], field: str) -> Any:
    """``row[field]`` unless it is missing (see :func:`_present`)."""
    value = row.get(field)
    if value is None or value == "":
        raise MappingError(f"{field}: missing")
    return value


def _label(table: dict[str, str], value: Any, field: str) -> str:
    """The enum symbol of a label, in any case and with spaces around it."""
    if type(value) is str:
        found = table.get(value)
        if found is not None:
            return found
    text = str(_present(value, field))
    try:
        return table[text.strip().lower()]
    except KeyError:
        raise MappingError(f"{field}: unknown label {text!r}") from None


def _pin(value: Any, field: str) -> str | None:
    """A PIN as 12 digits, or None when absent (see :func:`normalise_pin`)."""
    if (
        type(value) is str
        and len(value) == 12
        and value.isdigit()
        and value.isascii()
        and value[:3] in OLD_PROVINCE_CODES
    ):
        return value  # normalise_pin's own fast path, without the call
    if value is None or value == "":
        return None
    return normalise_pin(str(value), field=field)


def _address(raw: Any, as_of: str, field: str, *, required: bool = False) -> dict[str, Any] | None:
    """A native address object in canonical form, shared by every record with the same
    address (a :class:`~hub.codec.frozen.FrozenRecord`: no one may change it)."""
    if not raw:
        if required:
            raise MappingError(f"{field}: missing")
        return None
    if not isinstance(raw, dict):
        raise MappingError(f"{field}: not an object")
    get = raw.get
    text = str(get("diaChiChiTiet") or "")
    return _old_address(text, get("maTinh"), get("maHuyen"), get("maXa"), as_of)


@functools.lru_cache(maxsize=8192)
def _old_address(text: str, province: Any, district: Any, ward: Any, as_of: str) -> FrozenRecord:
    """:func:`normalise_address_avro` for old-list codes, memoised: a household's members
    share its address, and a citizen's current residence is usually the permanent one.

    The result is shared by every record it is handed to, frozen (the Avro writer writes its
    bytes once: :mod:`hub.codec.frozen`). The cache's 8,192 addresses (and the writer's
    memo of them) are objects the garbage collector tracks, a dict and a list each: a
    full collection of a worker scans them (1.4 ms, measured alone). Codes other than
    text or None never reach the cache (they are rejected), so a key never stands for a
    different input (``1 == True`` would otherwise collide).
    """
    return FrozenRecord(
        normalise_address_avro(
            text,
            code_system=CodeSystem.OLD_63,
            as_of=as_of,
            province_code=province,
            district_code=district,
            ward_code=ward,
        )
    )


def _province_code(raw: Any) -> str | None:
    """A 2-digit old-list province code as the 3-digit PIN prefix form (``74`` → ``074``)."""
    if not isinstance(raw, dict):
        return None
    value = raw.get("maTinh")
    if not value:
        return None
    code = str(value).strip()
    if not (code.isascii() and code.isdigit() and 1 <= len(code) <= 3):
        raise MappingError(f"maTinh: not a province code: {code!r}")
    return code.zfill(3)


def _free_text(value: Any, field: str) -> str | None:
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

    def _meta(self, row: dict[str, Any], record_id: str) -> tuple[dict[str, Any], Any, str, str]:
        """The ``meta`` sub-record, the update time, the source version and the as-of date."""
        updated, as_of = _timestamp(str(_required(row, "ngayCapNhat")))
        version = str(_required(row, "phienBan"))
        meta = {
            "source": SOURCE,
            "source_record_id": record_id,
            "source_version": version,
            "updated_at": updated,
        }
        return meta, updated, version, as_of

    def _citizen(self, row: dict[str, Any]) -> CanonicalRecord:
        """Map a ``congdan`` row; fields are read (and rejected) in the order of the value."""
        get = row.get
        pin = _pin(_required(row, "soDinhDanh"), "soDinhDanh")
        assert pin is not None
        meta, updated, version, as_of = self._meta(row, pin)
        original = str(_required(row, "hoVaTen"))
        death = get("ngayMat")
        legacy = get("soCMND")
        value = {
            "pin": pin,
            "legacy_id_number": normalise_legacy_id(str(legacy), field="soCMND")
            if legacy
            else None,
            "full_name": canonical_name(original, field="hoVaTen"),
            "full_name_original": original,
            "other_names": [canonical_name(n, field="tenGoiKhac") for n in other_names]
            if (other_names := get("tenGoiKhac"))
            else [],
            "birth_date": _partial_date(_birth_date(str(_required(row, "ngaySinh")))),
            "sex": _label(_SEX, get("gioiTinh"), "gioiTinh"),
            "place_of_birth": _free_text(get("noiSinh"), "noiSinh"),
            "birth_registration_province": _province_code(get("noiDangKyKhaiSinh")),
            "native_place": _text(get("queQuan")),
            "ethnicity": _free_text(get("danToc"), "danToc"),
            "religion": _free_text(get("tonGiao"), "tonGiao"),
            "nationality": "VN" if get("quocTich") in (None, "Việt Nam", "VN") else "XX",
            "marital_status": _label(_MARITAL, marital, "tinhTrangHonNhan")
            if (marital := get("tinhTrangHonNhan"))
            else "UNKNOWN",
            "permanent_address": _address(get("thuongTru"), as_of, "thuongTru"),
            "temporary_address": _address(get("tamTru"), as_of, "tamTru"),
            "current_address": _address(get("noiOHienTai"), as_of, "noiOHienTai"),
            "household_id": _free_text(get("maHoGiaDinh"), "maHoGiaDinh"),
            "household_head_pin": _pin(get("soDinhDanhChuHo"), "soDinhDanhChuHo"),
            "relationship_to_head": _label(_RELATION, relation, "quanHeVoiChuHo")
            if (relation := get("quanHeVoiChuHo"))
            else None,
            "father_pin": _pin(get("soDinhDanhCha"), "soDinhDanhCha"),
            "mother_pin": _pin(get("soDinhDanhMe"), "soDinhDanhMe"),
            "spouse_pin": _pin(get("soDinhDanhVoChong"), "soDinhDanhVoChong"),
            "status": _label(_STATUS, get("trangThai"), "trangThai"),
            "date_of_death": _partial_date(_death_date(str(death))) if death else None,
            "meta": meta,
        }
        return CanonicalRecord("citizen", pin, value, version, updated)

    def _household(self, row: dict[str, Any]) -> CanonicalRecord:
        """Map a ``hogiadinh`` row."""
        household_id = str(_required(row, "maHoGiaDinh"))
        meta, updated, version, as_of = self._meta(row, household_id)
        members = [
            {
                "pin": _pin(_required(m, "soDinhDanh"), "thanhVien.soDinhDanh"),
                "relationship": _label(_RELATION, m.get("quanHeVoiChuHo"), "quanHeVoiChuHo"),
            }
            for m in _required(row, "thanhVien")
        ]
        value = {
            "household_id": household_id,
            "head_pin": _pin(_required(row, "soDinhDanhChuHo"), "soDinhDanhChuHo"),
            "members": members,
            "address": _address(row.get("diaChi"), as_of, "diaChi", required=True),
            "meta": meta,
        }
        return CanonicalRecord("household", household_id, value, version, updated)


@functools.lru_cache(maxsize=1024)
def _timestamp(text: str) -> tuple[datetime, str]:
    """``ngayCapNhat`` in UTC and its date (the as-of date of addresses).

    Source update times repeat across records of one load: each is parsed once.
    """
    updated = parse_timestamp(text, field="ngayCapNhat")
    return updated, updated.date().isoformat()


@functools.lru_cache(maxsize=65_536)
def _birth_date(text: str) -> tuple[str, str]:
    """``ngaySinh`` as (ISO date, precision); birth dates repeat, so each is parsed once."""
    return _date_parts(text, "ngaySinh")


@functools.lru_cache(maxsize=4096)
def _death_date(text: str) -> tuple[str, str]:
    """``ngayMat`` as (ISO date, precision)."""
    return _date_parts(text, "ngayMat")


def _date_parts(text: str, field: str) -> tuple[str, str]:
    """A ``dd/mm/yyyy`` (or coarser) date as (ISO date, precision)."""
    iso, precision = vn_date_iso(text, field=field)
    return iso, precision.value


def _partial_date(parts: tuple[str, str]) -> dict[str, str]:
    """The canonical ``PartialDate`` dict, new for every record."""
    return {"iso": parts[0], "precision": parts[1]}
