"""Accuracy of the cross-checker against the synthetic province's ground truth.

Evidence is built by running every registered connector's mock adapter and mapper
directly (no Kafka): each page is mapped and the canonical records are offered to an
:class:`InMemoryEvidence`, as the Faust tables will be fed from the canonical topics.
Malformed records are switched off here: a subject whose record went to a dead-letter
topic rightly gets INCONCLUSIVE, which this measurement would count against the type
``missing_from_source`` (see the cross-check notes).
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from hub.connect.mock_options import shared_province
from hub.connect.registry import discover
from hub.crosscheck import InMemoryEvidence, Outcome, check_dossier
from hub.crosscheck.accuracy import AccuracyReport, evaluate
from hub.crosscheck.dossier import Procedure
from hub.crosscheck.generate import Generation, generate_dossiers
from hub.province import Province, ProvinceConfig
from tests.dossiers import renewable_licences
from tests.sources import canonical_records

CONFIG = ProvinceConfig(citizens=2000, seed=7, malformed_rate=0.0)
log = logging.getLogger(__name__)


async def _ingest(options: dict[str, object]) -> InMemoryEvidence:
    evidence = InMemoryEvidence()
    async for name, record in canonical_records(options):
        evidence.add_canonical(name, record)
    return evidence


@pytest.fixture(scope="module")
def province() -> Province:
    return shared_province(CONFIG)


@pytest.fixture(scope="module")
def evidence() -> InMemoryEvidence:
    return asyncio.run(_ingest({"province": CONFIG.model_dump()}))


@pytest.fixture(scope="module")
def generation(province: Province) -> Generation:
    return generate_dossiers(province, licence_number_of=renewable_licences(province))


@pytest.fixture(scope="module")
def report(
    province: Province, evidence: InMemoryEvidence, generation: Generation
) -> AccuracyReport:
    pairs = [(g, check_dossier(g.dossier, evidence)) for g in generation.dossiers]
    return evaluate(pairs, province.manifest(), dict(generation.skipped))


def test_evidence_holds_every_source(evidence: InMemoryEvidence) -> None:
    for name in discover():
        assert evidence.source_seen(name) is not None, name


def test_every_discrepancy_type_is_found_with_precision_and_recall_one(
    report: AccuracyReport,
) -> None:
    log.info("accuracy: %s", json.dumps(report.to_json()))
    print(json.dumps(report.to_json()["accuracy"], indent=1))  # the table, with pytest -s
    assert report.skipped == {}
    for kind, row in report.per_type.items():
        assert row["injected"] > 0, kind
        assert (row["precision"], row["recall"]) == (1.0, 1.0), (kind, row)


def test_honest_applicants_of_every_procedure_are_approved(
    report: AccuracyReport, generation: Generation
) -> None:
    honest = [g for g in generation.dossiers if g.entry is None and not g.expected]
    assert {g.dossier.procedure for g in honest} == set(Procedure)
    assert report.honest["dossiers"] == len(honest)
    assert report.honest["match"] == len(honest)


def test_verdicts_are_json_and_carry_no_pin_in_reasons(
    evidence: InMemoryEvidence, generation: Generation
) -> None:
    for generated in generation.dossiers[:60]:
        verdict = check_dossier(generated.dossier, evidence)
        body = json.loads(json.dumps(verdict.to_json()))
        assert body["status"] in {o.value for o in Outcome}
        assert all(generated.dossier.applicant.pin not in r["reason"] for r in body["rules"])
