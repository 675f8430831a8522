"""Social-insurance rows → canonical ``SocialInsurance`` records.

Keying: the record is keyed by the participant's PIN. Legacy rows (before the PIN
replaced the social-insurance code on 2025-08-01) may have an empty PIN column: those
are keyed by their 10-digit social-insurance code instead (``key_type`` SI_CODE; a PIN
has 12 digits, so the two never collide) and carry the old 9-digit CMND from the
``so_cmnd`` mapping column, so that a consumer holding the population DB can link them
(population ``legacy_id_number``). The mapper does no look-up itself: it is pure.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from hub.connect.contract import RecordMapper
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.errors import MappingError
from hub.normalise.dates import DatePrecision, parse_timestamp, parse_vn_date
from hub.normalise.identifiers import (
    normalise_legacy_id,
    normalise_pin,
    normalise_social_insurance_code,
)
from hub.normalise.names import canonical_name

SOURCE = "social_insurance"
STATUS = {"DANG_THAM_GIA": "ACTIVE", "TAM_DUNG": "SUSPENDED", "DUNG_THAM_GIA": "STOPPED",
          "HUONG_HUU": "RETIRED"}  # fmt: skip
SCHEME = {"BB": "COMPULSORY", "TN": "VOLUNTARY"}
CLAIM = {"OM": "SICKNESS", "TS": "MATERNITY", "TN": "UNEMPLOYMENT", "HT": "RETIREMENT",
         "TT": "SURVIVORSHIP", "TNLD": "OCCUPATIONAL_ACCIDENT"}  # fmt: skip
SEX = {"nam": "MALE", "nữ": "FEMALE", "nu": "FEMALE"}
MAX_SALARY = 10**12


def _cell(row: Mapping[str, Any], column: str) -> str | None:
    value = row.get(column)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MappingError(f"{column}: not text")
    return value.strip() or None


def _required(row: Mapping[str, Any], column: str) -> str:
    value = _cell(row, column)
    if value is None:
        raise MappingError(f"{column}: missing")
    return value


def _month(text: str) -> str:
    value = parse_vn_date(text, field="qua_trinh_dong")
    if value.precision is not DatePrecision.MONTH:
        raise MappingError("qua_trinh_dong: a period bound is a month (yyyy-mm)")
    return value.iso


def _periods(text: str | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in (text or "").split(";"):
        parts = item.split("/")
        if len(parts) != 3 or not parts[2].isascii() or not parts[2].isdigit():
            raise MappingError("qua_trinh_dong: expected from/to/salary")
        salary = int(parts[2])
        if salary > MAX_SALARY:
            raise MappingError("qua_trinh_dong: implausible salary")
        to = _month(parts[1]) if parts[1] else None
        out.append({"from_month": _month(parts[0]), "to_month": to, "salary_base_vnd": salary})
    return out


def _claims(text: str | None) -> list[dict[str, str]]:
    out = []
    for item in filter(None, (text or "").split(";")):
        code, _, day = item.partition(":")
        kind = CLAIM.get(code.strip())
        if kind is None:
            raise MappingError("che_do_huong: unknown benefit code")
        date = parse_vn_date(day, field="che_do_huong")
        out.append({"kind": kind, "date": date.iso})
    return out


@functools.lru_cache(maxsize=1024)
def _timestamp(text: str) -> datetime:
    """Update times repeat across the rows of one export: parse each once."""
    return parse_timestamp(text, field="ngay_cap_nhat")


class SocialInsuranceMapper(RecordMapper):
    """Maps rows of the ``BHXH`` day files."""

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one row (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = record.payload
        if not isinstance(row, dict):
            raise MappingError("record is not a row")
        if "_malformed" in row:
            raise MappingError(f"row: {row['_malformed']}")
        si_code = normalise_social_insurance_code(_required(row, "ma_so_bhxh"), field="ma_so_bhxh")
        pin_text, cmnd = _cell(row, "so_dinh_danh"), _cell(row, "so_cmnd")
        pin = normalise_pin(pin_text, field="so_dinh_danh") if pin_text else None
        status = STATUS.get(_required(row, "trang_thai"))
        scheme = SCHEME.get(_required(row, "loai_hinh"))
        sex = SEX.get(_required(row, "gioi_tinh").lower())
        if status is None or scheme is None or sex is None:
            raise MappingError("trang_thai/loai_hinh/gioi_tinh: unknown code")
        original = _required(row, "ho_ten")
        birth = parse_vn_date(_required(row, "ngay_sinh"), field="ngay_sinh")
        updated = _timestamp(_required(row, "ngay_cap_nhat"))
        version = _required(row, "phien_ban")
        if not (version.isascii() and version.isdigit()):
            raise MappingError("phien_ban: not a version number")
        key = pin or si_code
        value = {
            "key": key,
            "key_type": "PIN" if pin else "SI_CODE",
            "pin": pin,
            "si_code": si_code,
            "legacy_id_number": normalise_legacy_id(cmnd, field="so_cmnd") if cmnd else None,
            "full_name": canonical_name(original, field="ho_ten"),
            "full_name_original": original,
            "birth_date": {"iso": birth.iso, "precision": birth.precision.value},
            "sex": sex,
            "participation_status": status,
            "scheme": scheme,
            "employer_code": _cell(row, "ma_don_vi"),
            "contribution_periods": _periods(_cell(row, "qua_trinh_dong")),
            "benefit_claims": _claims(_cell(row, "che_do_huong")),
            "meta": {
                "source": SOURCE,
                "source_record_id": si_code,
                "source_version": version,
                "updated_at": updated,
            },
        }
        return [CanonicalRecord("social_insurance", key, value, version, updated)]
