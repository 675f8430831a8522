"""Dossier validation and the in-memory evidence store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.crosscheck import DossierError, InMemoryEvidence, Procedure, parse_dossier
from hub.crosscheck.dossier import CriminalRecordCertificate, dossier_json

PIN = "074085123456"


def _dossier(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "procedure": "CRIMINAL_RECORD_CERTIFICATE",
        "dossier_id": "CRC-000001",
        "officer": "officer-07",
        "submitted_at": "2024-01-02T09:00:00+07:00",
        "authority": {"level": "PROVINCE", "code": "79"},
        "applicant": {"pin": PIN, "full_name": "Nguyễn Văn An", "birth_date": "1985-03-07",
                      "sex": "MALE"},
        "identity_card_number": PIN,
        "purpose": "Xin việc",
    }  # fmt: skip
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_valid_dossier_round_trips_through_json() -> None:
    dossier = parse_dossier(json.dumps(_dossier()))
    assert isinstance(dossier, CriminalRecordCertificate)
    assert dossier.procedure is Procedure.CRIMINAL_RECORD_CERTIFICATE
    assert dossier.submitted_at == datetime(2024, 1, 2, 2, tzinfo=UTC)
    assert parse_dossier(dossier.model_dump_json()) == dossier
    assert parse_dossier(dossier_json(dossier)) == dossier


@pytest.mark.parametrize("field", ["procedure", "dossier_id", "officer"])
def test_a_dossier_without_procedure_id_or_officer_is_refused(field: str) -> None:
    with pytest.raises(DossierError, match=f"must name its {field.replace('_', ' ')}") as caught:
        parse_dossier(_dossier(**{field: None}))
    assert caught.value.field == field
    with pytest.raises(DossierError):
        parse_dossier(_dossier(**{field: "   "}))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"procedure": "MARRIAGE"}, "procedure"),
        ({"surprise": 1}, "surprise"),
        (
            {
                "applicant": {
                    "pin": "07408512345",
                    "full_name": "A",
                    "birth_date": "1985",
                    "sex": "MALE",
                }
            },
            "applicant.pin",
        ),
        (
            {
                "applicant": {
                    "pin": "999085123456",
                    "full_name": "A",
                    "birth_date": "1985",
                    "sex": "MALE",
                }
            },
            "applicant.pin",
        ),
        (
            {
                "applicant": {
                    "pin": PIN,
                    "full_name": "A",
                    "birth_date": "1985-02-30",
                    "sex": "MALE",
                }
            },
            "applicant.birth_date",
        ),
        ({"submitted_at": "2024-01-02T09:00:00"}, "submitted_at"),
        ({"authority": {"level": "DISTRICT", "code": "79"}}, "authority.level"),
    ],
)
def test_invalid_fields_are_named(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(DossierError) as caught:
        parse_dossier(_dossier(**changes))
    assert caught.value.field == field


def test_a_year_only_birth_date_keeps_its_precision() -> None:
    dossier = parse_dossier(_dossier(applicant={"pin": PIN, "full_name": "An",
                                                "birth_date": "1950", "sex": "MALE"}))  # fmt: skip
    assert dossier.applicant.birth.month is None


def test_not_json_and_not_an_object_are_refused() -> None:
    with pytest.raises(DossierError, match="not JSON"):
        parse_dossier("{")
    with pytest.raises(DossierError, match="JSON object"):
        parse_dossier("[1]")


# -- evidence ---------------------------------------------------------------------------
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _name(evidence: InMemoryEvidence) -> str:
    found = evidence.citizen(PIN)
    assert found is not None
    return str(found.value["name"])


def test_evidence_keeps_the_highest_version_whatever_the_order() -> None:
    evidence = InMemoryEvidence()
    assert evidence.add("population", "citizen", PIN, {"name": "v2"}, "2", T0)
    assert not evidence.add("population", "citizen", PIN, {"name": "v1"}, "1", T0)  # late
    assert not evidence.add("population", "citizen", PIN, {"name": "dup"}, "2", T0)  # dup
    assert _name(evidence) == "v2"
    assert evidence.add("population", "citizen", PIN, {"name": "v10"}, "10", T0)  # not "10"<"9"
    assert not evidence.add("population", "citizen", PIN, {"name": "v9"}, "9", T0)
    assert _name(evidence) == "v10"
    found = evidence.citizen(PIN)
    assert found is not None
    assert found.source_version == "10"


def test_equal_versions_are_ordered_by_update_time() -> None:
    evidence = InMemoryEvidence()
    evidence.add("population", "citizen", PIN, {"name": "later"}, "3", T0 + timedelta(1))
    assert not evidence.add("population", "citizen", PIN, {"name": "early"}, "3", T0)
    assert _name(evidence) == "later"


def test_a_tombstone_is_versioned_and_never_resurrected_by_an_older_record() -> None:
    evidence = InMemoryEvidence()
    evidence.add("population", "citizen", PIN, {"name": "v1"}, "1", T0)
    evidence.add("population", "citizen", PIN, None, "2", T0)
    assert evidence.citizen(PIN) is None
    assert not evidence.add("population", "citizen", PIN, {"name": "v1"}, "1", T0)
    assert evidence.citizen(PIN) is None
    assert len(evidence) == 0


def test_secondary_indexes_follow_the_newest_version() -> None:
    evidence = InMemoryEvidence()
    other = "074190222222"
    owners = [{"pin": PIN}]
    evidence.add("land", "parcel", "w3gwxz7wk9r3", {"owners": owners}, "1", T0)
    evidence.add("land", "parcel", "w3gwxz7wk9r3", {"owners": [{"pin": other}]}, "2", T0)
    evidence.add("land", "parcel", "w3gwxz7wk9r3", {"owners": owners}, "1", T0)  # late dup
    assert evidence.parcels_of(PIN) == []
    assert [p.key for p in evidence.parcels_of(other)] == ["w3gwxz7wk9r3"]
    assert evidence.source_seen("land") == T0
    assert evidence.source_seen("tax") is None
