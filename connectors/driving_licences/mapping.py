"""Licence-system rows → canonical ``DrivingLicence`` records.

A row without a holder PIN (old paper licences never recorded one) maps to a record with
``holder_pin`` null and ``link_status`` UNLINKABLE: the cross-check reports it as
unlinkable (R13), never as "not found".
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.driving_licences.licences import NEW_CLASSES, OLD_CLASSES
from hub.connect.contract import RecordMapper
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.errors import MappingError
from hub.normalise.dates import DatePrecision, parse_timestamp, parse_vn_date
from hub.normalise.identifiers import normalise_pin
from hub.normalise.names import canonical_name

SOURCE = "driving_licences"
STATUS = {"CON HIEU LUC": "VALID", "TAM DINH CHI": "SUSPENDED", "THU HOI": "REVOKED"}
MEDIUM = {"GIAY": "PAPER", "PET": "PET"}
CLASSES = frozenset(OLD_CLASSES) | frozenset(NEW_CLASSES)


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


def _day(row: Mapping[str, Any], column: str) -> str:
    value = parse_vn_date(_required(row, column), field=column)
    if value.precision is not DatePrecision.DAY:
        raise MappingError(f"{column}: not a full date")
    return value.iso


@functools.lru_cache(maxsize=1024)
def _timestamp(text: str) -> datetime:
    """Update times repeat across the rows of one export: parse each once."""
    return parse_timestamp(text, field="NGAY_CAP_NHAT")


class DrivingLicencesMapper(RecordMapper):
    """Maps rows of the ``GPLX`` day files."""

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one row (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = record.payload
        if not isinstance(row, dict):
            raise MappingError("record is not a row")
        if "_malformed" in row:
            raise MappingError(f"row: {row['_malformed']}")
        number = _required(row, "SO_GPLX")
        if len(number) != 12 or not (number.isascii() and number.isdigit()):
            raise MappingError("SO_GPLX: a licence number is 12 digits")
        pin_text = _cell(row, "SO_CCCD")
        pin = normalise_pin(pin_text, field="SO_CCCD") if pin_text else None
        classes = [c.strip().upper() for c in _required(row, "HANG").split(",") if c.strip()]
        unknown = [c for c in classes if c not in CLASSES]
        if unknown or not classes:
            raise MappingError(f"HANG: unknown licence class {unknown[:1]}")
        status = STATUS.get(_required(row, "TRANG_THAI").upper())
        medium = MEDIUM.get(_required(row, "LOAI_PHOI").upper())
        if status is None or medium is None:
            raise MappingError("TRANG_THAI/LOAI_PHOI: unknown label")
        birth = parse_vn_date(_required(row, "NGAY_SINH"), field="NGAY_SINH")
        printed = _required(row, "HO_TEN")
        expiry = _cell(row, "NGAY_HET_HAN")
        updated = _timestamp(_required(row, "NGAY_CAP_NHAT"))
        version = _required(row, "PHIEN_BAN")
        if not (version.isascii() and version.isdigit()):
            raise MappingError("PHIEN_BAN: not a version number")
        value = {
            "licence_number": number,
            "holder_pin": pin,
            "link_status": "LINKED" if pin else "UNLINKABLE",
            "holder_name": canonical_name(printed, field="HO_TEN"),
            "holder_name_printed": printed,
            "holder_birth_date": {"iso": birth.iso, "precision": birth.precision.value},
            "classes": classes,
            "issue_date": _day(row, "NGAY_CAP"),
            "expiry_date": _day(row, "NGAY_HET_HAN") if expiry else None,
            "status": status,
            "medium": medium,
            "issuing_authority": _cell(row, "NOI_CAP"),
            "meta": {
                "source": SOURCE,
                "source_record_id": number,
                "source_version": version,
                "updated_at": updated,
            },
        }
        return [CanonicalRecord("driving_licence", number, value, version, updated)]
