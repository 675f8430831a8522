"""Tax administration rows → canonical ``TaxAccount`` records.

Keys: an enterprise's account by its 10-digit enterprise code (MST, check digit
verified); an individual's by the PIN (the tax code of individuals from 2025-07-01),
with the old 10-digit personal tax code kept as ``legacy_tax_code`` when the row still
carries it. Debt facts (amount, category, enforcement measures, exit ban) are carried
as they are: the ``tax_debt`` discrepancy is on the individual's own account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hub.connect.contract import RecordMapper
from hub.connect.csv_rows import cell, full_date, required, row_of, timestamp, version_of
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.errors import MappingError
from hub.normalise.identifiers import normalise_pin, normalise_tax_code

SOURCE = "tax"
STATUS = {"đang hoạt động": "ACTIVE", "tạm ngừng hoạt động": "SUSPENDED",
          "đã chấm dứt hiệu lực mst": "CLOSED"}  # fmt: skip
KIND = {"to_chuc": "ENTERPRISE", "ca_nhan": "INDIVIDUAL"}
DEBT = {"thuế tncn": "PERSONAL_INCOME_TAX", "thuế gtgt": "VAT", "thuế tndn": "CORPORATE_INCOME_TAX",
        "tiền sử dụng đất": "LAND_USE_FEE", "lệ phí trước bạ": "REGISTRATION_FEE"}  # fmt: skip
MEASURE = {
    "trích tiền từ tài khoản": "ACCOUNT_DEDUCTION",
    "khấu trừ lương": "SALARY_DEDUCTION",
    "kê biên tài sản": "ASSET_SEIZURE",
    "ngừng sử dụng hóa đơn": "INVOICE_SUSPENSION",
}
YES_NO = {"có": True, "không": False}
MAX_AMOUNT = 10**15


def _label(table: Mapping[str, Any], row: Mapping[str, Any], column: str) -> Any:
    value = table.get(required(row, column).lower())
    if value is None:
        raise MappingError(f"{column}: unknown label")
    return value


def _amount(text: str) -> int:
    digits = text.replace(".", "")
    if (
        not (digits.isascii() and digits.isdigit())
        or len(digits) > len(str(MAX_AMOUNT))  # int() refuses thousands of digits
        or int(digits) > MAX_AMOUNT
    ):
        raise MappingError("SO_TIEN_NO: not an amount in VND (12.500.000)")
    return int(digits)


class TaxMapper(RecordMapper):
    """Maps rows of the ``NNT`` day files."""

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one row (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = row_of(record)
        kind = _label(KIND, row, "LOAI_NNT")
        code = required(row, "MA_SO_THUE")
        legacy = None
        if kind == "ENTERPRISE":
            key = normalise_tax_code(code, field="MA_SO_THUE")
            if len(key) != 10:
                raise MappingError("MA_SO_THUE: a branch is not a taxpayer account here")
            pin = None
        else:
            pin = normalise_pin(required(row, "SO_DINH_DANH"), field="SO_DINH_DANH")
            if code != pin:
                legacy = normalise_tax_code(code, field="MA_SO_THUE")
            key = pin
        registered = full_date(row, "NGAY_CAP_MST")
        amount = _amount(required(row, "SO_TIEN_NO"))
        listed = (cell(row, "BIEN_PHAP_CUONG_CHE") or "").split("|")
        measures = [MEASURE.get(m.strip().lower()) for m in listed if m.strip()]
        if None in measures:
            raise MappingError("BIEN_PHAP_CUONG_CHE: unknown enforcement measure")
        category = _label(DEBT, row, "LOAI_NO") if amount else None
        updated = timestamp(required(row, "NGAY_CAP_NHAT"), "NGAY_CAP_NHAT")
        version = version_of(row, "PHIEN_BAN")
        value = {
            "tax_code": key,
            "taxpayer_kind": kind,
            "pin": pin,
            "legacy_tax_code": legacy,
            "name": required(row, "TEN_NGUOI_NOP_THUE"),
            "status": _label(STATUS, row, "TRANG_THAI_MST"),
            "registration_date": registered,
            "outstanding_debt_vnd": amount,
            "debt_category": category,
            "enforcement_measures": measures,
            "exit_ban": _label(YES_NO, row, "TAM_HOAN_XUAT_CANH"),
            "meta": {
                "source": SOURCE,
                "source_record_id": code,
                "source_version": version,
                "updated_at": updated,
            },
        }
        return [CanonicalRecord("tax_account", key, value, version, updated)]
