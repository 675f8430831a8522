"""Civil-status e-registry rows → canonical ``Birth``, ``Death`` and ``Marriage`` records."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from hub.connect.contract import RecordMapper
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.errors import MappingError
from hub.normalise.address import CodeSystem, normalise_address_avro
from hub.normalise.dates import parse_timestamp, parse_vn_date
from hub.normalise.identifiers import normalise_pin
from hub.normalise.names import canonical_name

SOURCE = "civil_status"
SEX = {"M": "MALE", "F": "FEMALE"}
MARRIAGE_STATUS = {"registered": "REGISTERED", "dissolved": "DISSOLVED"}

Row = dict[str, Any]


def _required(row: Row, field: str) -> Any:
    value = row.get(field)
    if value is None or value == "":
        raise MappingError(f"{field}: missing")
    return value


def _party(row: Row, field: str) -> Row:
    value = _required(row, field)
    if not isinstance(value, dict):
        raise MappingError(f"{field}: not an object")
    return value


def _pin(value: Any, field: str) -> str | None:
    if value is None or value == "":
        return None
    return normalise_pin(str(value), field=field)


def _required_pin(row: Row, field: str, label: str) -> str:
    return normalise_pin(str(_required(row, field)), field=label)


def _name(party: Row, field: str) -> tuple[str, str]:
    original = _required(party, "full_name")
    if not isinstance(original, str):
        raise MappingError(f"{field}.full_name: not text")
    return canonical_name(original, field=f"{field}.full_name"), original


def _partial(value: Any, field: str) -> dict[str, str]:
    parsed = parse_vn_date(str(_required({field: value}, field)), field=field)
    return {"iso": parsed.iso, "precision": parsed.precision.value}


@functools.lru_cache(maxsize=4096)
def _day(text: str, field: str) -> date:
    """An ISO ``yyyy-mm-dd`` date (registration dates repeat: parse each once)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise MappingError(f"{field}: not an ISO date: {text[:20]!r}") from None


def _sex(party: Row, field: str) -> str:
    try:
        return SEX[str(_required(party, "sex")).strip().upper()]
    except KeyError:
        raise MappingError(f"{field}.sex: unknown code") from None


@functools.lru_cache(maxsize=1024)
def _timestamp(text: str) -> datetime:
    return parse_timestamp(text, field="last_modified")


def _office(row: Row, as_of: str) -> dict[str, Any] | None:
    office = row.get("registration_office")
    if not office:
        return None
    if not isinstance(office, dict):
        raise MappingError("registration_office: not an object")
    return normalise_address_avro(
        str(office.get("address_text") or office.get("office_name") or ""),
        code_system=CodeSystem.OLD_63,
        as_of=as_of,
        province_code=office.get("province_code"),
        district_code=office.get("district_code"),
        ward_code=office.get("ward_code"),
    )


class CivilStatusMapper(RecordMapper):
    """Maps the e-registry's rows by their ``record_type`` (birth, death, marriage)."""

    def __init__(self) -> None:
        self._by_type: dict[str, Callable[[Row], tuple[str, dict[str, Any]]]] = {
            "birth": self._birth,
            "death": self._death,
            "marriage": self._marriage,
        }

    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one native row (see :class:`~hub.connect.contract.RecordMapper`)."""
        row = record.payload
        if not isinstance(row, dict):
            raise MappingError("record is not a JSON object")
        entity = row.get("record_type")
        build = self._by_type.get(entity) if isinstance(entity, str) else None
        if build is None:
            raise MappingError(f"record_type: unknown type {str(entity)[:20]!r}")
        try:
            number = str(_required(row, "registration_no"))
            updated = _timestamp(str(_required(row, "last_modified")))
            version = str(_required(row, "revision"))
            key, value = build(row)
            value["meta"] = {
                "source": SOURCE,
                "source_record_id": number,
                "source_version": version,
                "updated_at": updated,
            }
        except (KeyError, TypeError, AttributeError) as exc:
            raise MappingError(f"malformed record: {type(exc).__name__}: {exc}") from exc
        return [CanonicalRecord(str(entity), key, value, version, updated)]

    def _common(self, row: Row) -> dict[str, Any]:
        registered = _day(str(_required(row, "registration_date")), "registration_date")
        return {
            "registration_number": str(row["registration_no"]),
            "registration_date": registered,
            "registration_place": _office(row, registered.isoformat()),
        }

    def _birth(self, row: Row) -> tuple[str, dict[str, Any]]:
        child = _party(row, "child")
        pin = _required_pin(child, "pin", "child.pin")
        name, original = _name(child, "child")
        return pin, {
            "child_pin": pin,
            **self._common(row),
            "child_full_name": name,
            "child_full_name_original": original,
            "child_birth_date": _partial(child.get("date_of_birth"), "child.date_of_birth"),
            "child_sex": _sex(child, "child"),
            "mother_pin": _pin(row.get("mother_pin"), "mother_pin"),
            "father_pin": _pin(row.get("father_pin"), "father_pin"),
        }

    def _death(self, row: Row) -> tuple[str, dict[str, Any]]:
        deceased = _party(row, "deceased")
        pin = _required_pin(deceased, "pin", "deceased.pin")
        name, original = _name(deceased, "deceased")
        place = row.get("place_of_death")
        return pin, {
            "pin": pin,
            **self._common(row),
            "full_name": name,
            "full_name_original": original,
            "sex": _sex(deceased, "deceased") if deceased.get("sex") else None,
            "date_of_death": _partial(row.get("date_of_death"), "date_of_death"),
            "place_of_death": str(place) if place else None,
        }

    def _marriage(self, row: Row) -> tuple[str, dict[str, Any]]:
        husband, wife = _party(row, "husband"), _party(row, "wife")
        status = MARRIAGE_STATUS.get(str(row.get("status", "registered")).lower())
        if status is None:
            raise MappingError("status: unknown marriage status")
        dissolved = row.get("dissolution_date")
        common = self._common(row)
        return common["registration_number"], {
            **common,
            "husband_pin": _required_pin(husband, "pin", "husband.pin"),
            "husband_full_name": _name(husband, "husband")[0],
            "wife_pin": _required_pin(wife, "pin", "wife.pin"),
            "wife_full_name": _name(wife, "wife")[0],
            "date_of_marriage": _partial(row.get("marriage_date"), "marriage_date"),
            "status": status,
            "dissolution_date": _day(str(dissolved), "dissolution_date") if dissolved else None,
        }
