"""Social-insurance rows → canonical ``SocialInsurance`` records.

Keying: the record is keyed by the participant's PIN. Legacy rows (before the PIN
replaced the social-insurance code on 2025-08-01) may have an empty PIN column: those
are keyed by their 10-digit social-insurance code instead (``key_type`` SI_CODE; a PIN
has 12 digits, so the two never collide) and carry the old 9-digit CMND from the
``so_cmnd`` mapping column, so that a consumer holding the population DB can link them
(population ``legacy_id_number``). The mapper does no look-up itself: it is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.connect.contract import RecordMapper
from hub.connect.csv_rows import cell, required, row_of, timestamp, version_of
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.errors import MappingError
from hub.normalise.dates import DatePrecision, parse_vn_date
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
        if len(parts[2]) > len(str(MAX_SALARY)):  # int() refuses thousands of digits
            raise MappingError("qua_trinh_dong: implausible salary")
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


class SocialInsuranceMapper(RecordMapper):
    """Maps rows of the ``BHXH`` day files."""

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one row (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = row_of(record)
        si_code = normalise_social_insurance_code(required(row, "ma_so_bhxh"), field="ma_so_bhxh")
        pin_text, cmnd = cell(row, "so_dinh_danh"), cell(row, "so_cmnd")
        pin = normalise_pin(pin_text, field="so_dinh_danh") if pin_text else None
        status = STATUS.get(required(row, "trang_thai"))
        scheme = SCHEME.get(required(row, "loai_hinh"))
        sex = SEX.get(required(row, "gioi_tinh").lower())
        if status is None or scheme is None or sex is None:
            raise MappingError("trang_thai/loai_hinh/gioi_tinh: unknown code")
        original = required(row, "ho_ten")
        birth = parse_vn_date(required(row, "ngay_sinh"), field="ngay_sinh")
        updated = timestamp(required(row, "ngay_cap_nhat"), "ngay_cap_nhat")
        version = version_of(row, "phien_ban")
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
            "employer_code": cell(row, "ma_don_vi"),
            "contribution_periods": _periods(cell(row, "qua_trinh_dong")),
            "benefit_claims": _claims(cell(row, "che_do_huong")),
            "meta": {
                "source": SOURCE,
                "source_record_id": si_code,
                "source_version": version,
                "updated_at": updated,
            },
        }
        return [CanonicalRecord("social_insurance", key, value, version, updated)]
