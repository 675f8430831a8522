"""Verdicts: precedence of outcomes, citations, confirmed fields, JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.crosscheck import Outcome, Procedure, RuleResult, check_dossier, combine, parse_dossier
from hub.crosscheck.procedures import OWN_RULES, mandatory_sources
from hub.crosscheck.testing import Fixture

PIN = "074085123456"


def _crc() -> Any:
    return parse_dossier({
        "procedure": "CRIMINAL_RECORD_CERTIFICATE", "dossier_id": "CRC-1",
        "officer": "officer-07", "submitted_at": "2024-01-02T02:00:00+00:00",
        "authority": {"level": "PROVINCE", "code": "79"},
        "applicant": {"pin": PIN, "full_name": "Nguyễn Văn Hòa", "birth_date": "1985-03-07",
                      "sex": "MALE"},
        "identity_card_number": PIN, "purpose": "Xin việc",
    })  # fmt: skip


@pytest.fixture
def fx() -> Fixture:
    f = Fixture()
    f.citizen(PIN, "Nguyễn Văn Hòa", "1985-03-07", "MALE")
    f.card(PIN, "NGUYỄN VĂN HÒA", "1985-03-07", "MALE")
    f.residence(PIN, "25747")
    return f


def _r(outcome: Outcome) -> RuleResult:
    return RuleResult("R1", "applicant", outcome, "")


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        ([], Outcome.MATCH),
        ([Outcome.MATCH, Outcome.REVIEW], Outcome.REVIEW),
        ([Outcome.REVIEW, Outcome.MISMATCH, Outcome.MATCH], Outcome.MISMATCH),
        ([Outcome.MISMATCH, Outcome.INCONCLUSIVE, Outcome.REVIEW], Outcome.INCONCLUSIVE),
    ],
)
def test_precedence_inconclusive_then_mismatch_then_review(
    outcomes: list[Outcome], status: Outcome
) -> None:
    assert combine(_r(o) for o in outcomes) is status


def test_an_honest_dossier_matches_cites_its_records_and_lists_confirmed_fields(
    fx: Fixture,
) -> None:
    verdict = check_dossier(_crc(), fx.evidence)
    assert verdict.status is Outcome.MATCH
    assert [r.rule_id for r in verdict.results] == ["R1", "R2", "R3", "R4", "R5", "R11",
                                                    "R14", "R15"]  # fmt: skip
    cited = {(c.source, c.entity) for c in verdict.citations}
    assert cited == {("population", "citizen"), ("identity_cards", "identity_card"),
                     ("residence", "residence")}  # fmt: skip
    assert len(verdict.citations) == len(set(verdict.citations))
    assert {"applicant.full_name", "applicant.birth_date", "identity_card_number",
            "authority"} <= set(verdict.confirmed_fields)  # fmt: skip
    body = json.loads(json.dumps(verdict.to_json()))
    assert body["status"] == "MATCH" and body["officer"] == "officer-07"
    assert body["citations"][0]["source_version"] == "1"


def test_missing_mandatory_data_is_never_approved(fx: Fixture) -> None:
    fx.evidence.add("residence", "residence", PIN, None, "2", datetime(2024, 1, 1, tzinfo=UTC))
    verdict = check_dossier(_crc(), fx.evidence)
    assert verdict.status is Outcome.INCONCLUSIVE
    assert verdict.results_of("R5")[0].findings == ("missing:residence",)


def test_a_stale_mandatory_record_is_inconclusive_even_with_a_mismatch(fx: Fixture) -> None:
    fx.card(PIN, "Nguyễn Văn Hải", "1985-03-07", "MALE", version="2")
    assert check_dossier(_crc(), fx.evidence).status is Outcome.MISMATCH
    old = datetime(2024, 1, 1, tzinfo=UTC) - timedelta(days=3 * 365)
    fx.residence(PIN, "25747", version="2", at=old)
    verdict = check_dossier(_crc(), fx.evidence)
    assert verdict.status is Outcome.INCONCLUSIVE
    assert verdict.results_of("R4")[0].outcome is Outcome.MISMATCH  # still visible
    assert verdict.results_of("R14")[0].findings == ("stale:residence",)


def test_a_deceased_applicant_is_refused(fx: Fixture) -> None:
    fx.citizen(PIN, "Nguyễn Văn Hòa", "1985-03-07", "MALE", status="DECEASED", version="2")
    verdict = check_dossier(_crc(), fx.evidence)
    assert verdict.status is Outcome.MISMATCH
    assert verdict.results_of("R3")[0].findings == ("deceased",)
    assert all(PIN not in r.reason for r in verdict.results)


def test_every_procedure_has_rules_and_mandatory_sources() -> None:
    assert set(OWN_RULES) == set(Procedure)
    assert {"population", "civil_status", "identity_cards", "residence",
            "judicial"} == mandatory_sources(_crc())  # fmt: skip
