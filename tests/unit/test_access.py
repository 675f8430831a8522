"""Enforcing the access policy: projection, hidden sources, not-entitled reads, what is read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hub.codec import SchemaStore
from hub.crosscheck import Outcome, check_dossier, parse_dossier
from hub.crosscheck.dossier import Procedure
from hub.crosscheck.testing import Fixture, partial
from hub.trust.access import AccessLog, NotEntitled, PolicyEvidence, check_with_policy
from hub.trust.policy import DEFAULT_POLICY_FILE, AccessPolicy, load_policy

PIN = "074085123456"
REP = "074190222222"


@pytest.fixture(scope="module")
def policy(schemas: SchemaStore) -> AccessPolicy:
    return load_policy(DEFAULT_POLICY_FILE, schemas)


def _applicant() -> dict[str, str]:
    return {"pin": PIN, "full_name": "Nguyễn Văn Hòa", "birth_date": "1985-03-07", "sex": "MALE"}


def _crc() -> Any:
    return parse_dossier({
        "procedure": "CRIMINAL_RECORD_CERTIFICATE", "dossier_id": "CRC-1",
        "officer": "officer-07", "submitted_at": "2024-01-02T02:00:00+00:00",
        "authority": {"level": "PROVINCE", "code": "79"}, "applicant": _applicant(),
        "identity_card_number": PIN, "purpose": "Xin việc",
    })  # fmt: skip


def _business() -> Any:
    rep = {"pin": REP, "full_name": "Lê Thị Mai", "birth_date": "1990-01-01", "sex": "FEMALE"}
    return parse_dossier({
        "procedure": "BUSINESS_REGISTRATION", "dossier_id": "BR-1", "officer": "officer-07",
        "submitted_at": "2024-01-02T02:00:00+00:00",
        "authority": {"level": "PROVINCE", "code": "79"}, "applicant": _applicant(),
        "enterprise_name": "CÔNG TY TNHH AN PHÚ", "enterprise_type": "LLC_ONE",
        "founders": [{**_applicant(), "share_percent": 100.0}], "legal_representatives": [rep],
    })  # fmt: skip


def _conviction(status: str) -> dict[str, Any]:
    return {"court": "SECRET-COURT", "judgment_number": "SECRET-125/2019/HS-ST",
            "offence_name": "SECRET-OFFENCE", "penalty": "IMPRISONMENT",
            "execution_status": status, "expunged": False}  # fmt: skip


@pytest.fixture
def fx() -> Fixture:
    """A person whose records hold sensitive values no procedure is granted (SECRET-*)."""
    f = Fixture()
    f.citizen(PIN, "Nguyễn Văn Hòa", "1985-03-07", "MALE", ethnicity="SECRET-ETHNICITY",
              religion="SECRET-RELIGION", other_names=["SECRET-ALIAS"],
              native_place="SECRET-NATIVE-PLACE", father_pin="SECRET-FATHER")  # fmt: skip
    f.citizen(REP, "Lê Thị Mai", "1990-01-01", "FEMALE", religion="SECRET-RELIGION-2")
    f.card(PIN, "NGUYỄN VĂN HÒA", "1985-03-07", "MALE", issuing_authority="SECRET-AUTHORITY")
    f.residence(PIN, "25747", registration_date="SECRET-REGISTERED")
    f.put("judicial", "judicial_record", PIN, {
        "pin": PIN, "record_status": "CONVICTED", "subject_deceased": False,
        "convictions": [_conviction("COMPLETED")],
    })  # fmt: skip
    f.put("judicial", "judicial_record", REP, {
        "pin": REP, "record_status": "CONVICTED", "convictions": [_conviction("SERVING")],
    })  # fmt: skip
    f.put("health_insurance", "health_insurance_card", PIN, {
        "pin": PIN, "sex": "FEMALE", "birth_date": partial("1985-03-07"),
        "beneficiary_group": "SECRET-GROUP", "primary_care_facility_name": "SECRET-CLINIC",
    })  # fmt: skip
    return f


def test_a_record_holds_only_the_granted_fields_and_reads_are_recorded(fx: Fixture) -> None:
    log = AccessLog()
    view = PolicyEvidence(fx.evidence, {("population", "citizen"): frozenset({"full_name"})}, log)
    citizen = view.citizen(PIN)
    assert citizen is not None
    assert dict(citizen.value) == {"full_name": "Nguyễn Văn Hòa"}
    assert (citizen.key, citizen.source_version) == (PIN, "1")  # provenance kept
    assert citizen.value.get("full_name") == "Nguyễn Văn Hòa"
    with pytest.raises(NotEntitled, match=r"population\.citizen\.religion"):
        citizen.value.get("religion")
    with pytest.raises(NotEntitled):
        _ = citizen.value["sex"]
    with pytest.raises(NotEntitled):
        _ = "religion" in citizen.value
    assert view.citizen("074085999999") is None  # a miss is a lookup too
    assert log.to_json() == [{"source": "population", "entity": "citizen",
                              "fields": ["full_name"]}]  # fmt: skip
    assert log.subjects == {PIN, "074085999999"}


def test_a_source_with_no_grant_is_not_connected_and_not_asked(fx: Fixture) -> None:
    log = AccessLog()
    view = PolicyEvidence(fx.evidence, {("population", "citizen"): frozenset()}, log)
    assert view.judicial(PIN) is None
    assert view.health_insurance(PIN) is None
    assert view.parcels_of(PIN) == []
    assert view.source_seen("judicial") is None
    assert view.source_seen("population") is not None
    assert log.reads == {} and log.subjects == set()


def test_an_entity_not_granted_in_a_granted_source_is_not_entitled(fx: Fixture) -> None:
    view = PolicyEvidence(fx.evidence, {("population", "citizen"): frozenset()}, AccessLog())
    with pytest.raises(NotEntitled, match=r"population\.household"):
        view.household("74000000001")
    citizen = view.citizen(PIN)  # existence only
    assert citizen is not None and dict(citizen.value) == {}


def test_a_sub_field_grant_projects_each_element_of_an_array(fx: Fixture) -> None:
    log = AccessLog()
    grants = {("judicial", "judicial_record"): frozenset({"convictions.execution_status"})}
    record = PolicyEvidence(fx.evidence, grants, log).judicial(REP)
    assert record is not None
    convictions = record.value.get("convictions")
    assert convictions == [{"execution_status": "SERVING"}]
    assert convictions[0].get("execution_status") == "SERVING"
    with pytest.raises(NotEntitled, match=r"convictions\.offence_name"):
        convictions[0].get("offence_name")
    with pytest.raises(NotEntitled, match=r"judicial_record\.record_status"):
        record.value.get("record_status")
    assert log.reads == {("judicial", "judicial_record"): {"convictions.execution_status"}}


def test_measurement_records_reads_down_to_sub_fields(fx: Fixture) -> None:
    verdict, log = check_with_policy(_business(), fx.evidence, None)
    assert verdict == check_dossier(_business(), fx.evidence)
    judicial = log.reads[("judicial", "judicial_record")]
    assert "convictions.execution_status" in judicial
    assert "convictions.offence_name" not in judicial


@pytest.mark.parametrize("dossier", [_crc, _business])
def test_a_verdict_reveals_nothing_beyond_the_granted_fields(
    fx: Fixture, policy: AccessPolicy, dossier: Any
) -> None:
    made = dossier()
    grants = policy.grants_for("crosscheck", made.procedure)
    verdict, log = check_with_policy(made, fx.evidence, grants)
    assert verdict.status is not Outcome.INCONCLUSIVE
    body = json.dumps(verdict.to_json(), ensure_ascii=False)
    assert "SECRET" not in body
    assert all((c.source, c.entity) in grants for c in verdict.citations)
    for (source, entity), fields in log.reads.items():
        assert fields <= grants[(source, entity)], (source, entity)
    if made.procedure is Procedure.BUSINESS_REGISTRATION:  # the barred representative
        assert "representative_barred" in {f for r in verdict.results for f in r.findings}
    assert PIN in log.subjects


def test_the_policy_changes_nothing_of_an_honest_verdict(fx: Fixture, policy: AccessPolicy) -> None:
    made = _crc()
    grants = policy.grants_for("crosscheck", made.procedure)
    assert check_with_policy(made, fx.evidence, grants)[0] == check_dossier(made, fx.evidence)


@pytest.mark.parametrize(
    ("narrowed", "place"),
    [
        ({("residence", "residence"): frozenset({"address"})}, "residence.residence.status"),
        ({("judicial", "judicial_record"): frozenset()}, "judicial.judicial_record.record_status"),
    ],
)
def test_a_rule_reading_a_field_not_granted_makes_the_verdict_inconclusive(
    fx: Fixture, policy: AccessPolicy, narrowed: dict[tuple[str, str], frozenset[str]], place: str
) -> None:
    made = _crc()
    grants = {**policy.grants_for("crosscheck", made.procedure), **narrowed}
    verdict, _ = check_with_policy(made, fx.evidence, grants)
    assert verdict.status is Outcome.INCONCLUSIVE
    (result,) = verdict.results
    assert (result.rule_id, result.findings) == ("POLICY", (f"not_entitled:{place}",))
    assert result.citations == () and place in result.reason
    assert "SECRET" not in json.dumps(verdict.to_json(), ensure_ascii=False)


def test_a_missing_entity_grant_of_a_granted_source_is_inconclusive_too(
    fx: Fixture, policy: AccessPolicy
) -> None:
    made = _crc()
    grants = dict(policy.grants_for("crosscheck", made.procedure))
    del grants[("civil_status", "death")]
    grants[("civil_status", "marriage")] = frozenset()
    verdict, _ = check_with_policy(made, fx.evidence, grants)
    assert verdict.results[0].findings == ("not_entitled:civil_status.death",)
