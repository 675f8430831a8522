"""Identity-card service records → canonical ``IdentityCard`` records."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from connectors.identity_cards.expiry import card_expiry
from hub.connect.contract import RecordMapper
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.connect.soap_client import field_dict, field_required, field_text
from hub.errors import MappingError, RecordError
from hub.normalise.dates import parse_timestamp, parse_vn_date
from hub.normalise.identifiers import normalise_legacy_id, normalise_pin
from hub.normalise.names import canonical_name

SOURCE = "identity_cards"

STATUS = {
    "còn hiệu lực": "VALID", "báo mất": "LOST", "đã thu hồi": "REVOKED",
    "đã đổi sang cccd": "REPLACED",
}  # fmt: skip
CARD_TYPE = {
    "cccd mã vạch": "CCCD_BARCODE", "cccd gắn chip": "CCCD_CHIP",
    "thẻ căn cước": "IDENTITY_CARD",
}  # fmt: skip
SEX = {"nam": "MALE", "nữ": "FEMALE"}
NO_EXPIRY = "không thời hạn"


def _label(table: dict[str, str], row: dict[str, Any], field: str) -> str:
    value = field_required(row, field)
    try:
        return table[value.lower()]
    except KeyError:
        raise MappingError(f"{field}: unknown label {value!r}") from None


@functools.lru_cache(maxsize=8192)
def full_date(text: str, field: str) -> date:
    """A ``dd/mm/yyyy`` date that must be known to the day (cached: dates repeat)."""
    value = parse_vn_date(text, field=field)
    if value.month is None or value.day is None:
        raise MappingError(f"{field}: a full date is required, got {value.iso}")
    return date(value.year, value.month, value.day)


@functools.lru_cache(maxsize=1024)
def _timestamp(text: str) -> datetime:
    return parse_timestamp(text, field="ngayCapNhat")


class IdentityCardMapper(RecordMapper):
    """Maps ``TheCanCuoc`` records (already parsed from XML into dicts by the adapter).

    Biometrics are never part of the record. A record without ``ngayHetHan`` (older
    records) gets its expiry from the date of birth by the renewal-age rule
    (:func:`~connectors.identity_cards.expiry.card_expiry`); ``Không thời hạn`` means none.
    """

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one native record (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = record.payload
        if not isinstance(row, dict):
            raise MappingError("record is not an element with children")
        try:
            return [self._card(row)]
        except RecordError:
            raise
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise MappingError(f"malformed record: {type(exc).__name__}: {exc}") from exc

    def _card(self, row: dict[str, Any]) -> CanonicalRecord:
        pin = normalise_pin(field_required(row, "soDinhDanh"), field="soDinhDanh")
        number = normalise_pin(field_required(row, "soThe"), field="soThe")
        printed = field_required(row, "hoTenIn")
        birth = parse_vn_date(field_required(row, "ngaySinh"), field="ngaySinh")
        issued = full_date(field_required(row, "ngayCap"), "ngayCap")
        expiry_text = field_text(row, "ngayHetHan", required=False)
        if expiry_text is None:
            expiry = card_expiry(birth, issued)
        elif expiry_text.lower() == NO_EXPIRY:
            expiry = None
        else:
            expiry = full_date(expiry_text, "ngayHetHan")
        updated = _timestamp(field_required(row, "ngayCapNhat"))
        version = field_required(row, "phienBan")
        value = {
            "pin": pin,
            "card_number": number,
            "card_type": _label(CARD_TYPE, row, "loaiThe"),
            "full_name": canonical_name(printed, field="hoTenIn"),
            "full_name_printed": printed,
            "birth_date": {"iso": birth.iso, "precision": birth.precision.value},
            "sex": _label(SEX, row, "gioiTinh"),
            "issue_date": issued,
            "expiry_date": expiry,
            "issuing_authority": field_required(row, "noiCap"),
            "status": _label(STATUS, row, "trangThai"),
            "legacy_card": _legacy(field_dict(row, "CMNDCu")),
            "meta": {
                "source": SOURCE,
                "source_record_id": number,
                "source_version": version,
                "updated_at": updated,
            },
        }
        return CanonicalRecord("identity_card", pin, value, version, updated)


def _legacy(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    issued = field_text(row, "ngayCap", required=False)
    return {
        "number": normalise_legacy_id(field_required(row, "soCMND"), field="CMNDCu.soCMND"),
        "issue_date": full_date(issued, "CMNDCu.ngayCap") if issued else None,
        "issuing_authority": field_text(row, "noiCap", required=False),
        "status": _label(STATUS, row, "trangThai"),
    }
