"""Licence-system rows → canonical ``DrivingLicence`` records.

A row without a holder PIN (old paper licences never recorded one) maps to a record with
``holder_pin`` null and ``link_status`` UNLINKABLE: the cross-check reports it as
unlinkable (R13), never as "not found".
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.driving_licences.licences import NEW_CLASSES, OLD_CLASSES
from hub.connect.contract import RecordMapper
from hub.connect.csv_rows import cell, full_date, required, row_of, timestamp, version_of
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.errors import MappingError
from hub.normalise.dates import parse_vn_date
from hub.normalise.identifiers import normalise_pin
from hub.normalise.names import canonical_name

SOURCE = "driving_licences"
STATUS = {"CON HIEU LUC": "VALID", "TAM DINH CHI": "SUSPENDED", "THU HOI": "REVOKED"}
MEDIUM = {"GIAY": "PAPER", "PET": "PET"}
CLASSES = frozenset(OLD_CLASSES) | frozenset(NEW_CLASSES)


class DrivingLicencesMapper(RecordMapper):
    """Maps rows of the ``GPLX`` day files."""

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one row (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = row_of(record)
        number = required(row, "SO_GPLX")
        if len(number) != 12 or not (number.isascii() and number.isdigit()):
            raise MappingError("SO_GPLX: a licence number is 12 digits")
        pin_text = cell(row, "SO_CCCD")
        pin = normalise_pin(pin_text, field="SO_CCCD") if pin_text else None
        classes = [c.strip().upper() for c in required(row, "HANG").split(",") if c.strip()]
        unknown = [c for c in classes if c not in CLASSES]
        if unknown or not classes:
            raise MappingError(f"HANG: unknown licence class {unknown[:1]}")
        status = STATUS.get(required(row, "TRANG_THAI").upper())
        medium = MEDIUM.get(required(row, "LOAI_PHOI").upper())
        if status is None or medium is None:
            raise MappingError("TRANG_THAI/LOAI_PHOI: unknown label")
        birth = parse_vn_date(required(row, "NGAY_SINH"), field="NGAY_SINH")
        printed = required(row, "HO_TEN")
        expiry = cell(row, "NGAY_HET_HAN")
        updated = timestamp(required(row, "NGAY_CAP_NHAT"), "NGAY_CAP_NHAT")
        version = version_of(row, "PHIEN_BAN")
        value = {
            "licence_number": number,
            "holder_pin": pin,
            "link_status": "LINKED" if pin else "UNLINKABLE",
            "holder_name": canonical_name(printed, field="HO_TEN"),
            "holder_name_printed": printed,
            "holder_birth_date": {"iso": birth.iso, "precision": birth.precision.value},
            "classes": classes,
            "issue_date": full_date(row, "NGAY_CAP"),
            "expiry_date": full_date(row, "NGAY_HET_HAN") if expiry else None,
            "status": status,
            "medium": medium,
            "issuing_authority": cell(row, "NOI_CAP"),
            "meta": {
                "source": SOURCE,
                "source_record_id": number,
                "source_version": version,
                "updated_at": updated,
            },
        }
        return [CanonicalRecord("driving_licence", number, value, version, updated)]
