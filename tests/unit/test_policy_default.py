"""The default policy grants everything the rules read: verdicts are the same with it.

``deploy/policy.toml`` was measured on other provinces (``tools/derive_policy.py``); here
a province of another seed is checked with and without the policy, and the branches the
synthetic provinces never reach are run on hand-made records.
"""

from __future__ import annotations

import asyncio

import pytest

from hub.codec import SchemaStore
from hub.connect.mock_options import shared_province
from hub.crosscheck import InMemoryEvidence, Outcome, check_dossier, parse_dossier
from hub.crosscheck.accuracy import evaluate
from hub.crosscheck.dossier import Dossier, Procedure
from hub.crosscheck.generate import Generation, generate_dossiers
from hub.crosscheck.testing import Fixture
from hub.province import Province, ProvinceConfig
from hub.trust.access import check_with_policy
from hub.trust.policy import DEFAULT_POLICY_FILE, AccessPolicy, load_policy
from tests.dossiers import renewable_licences
from tests.sources import canonical_records

CONFIG = ProvinceConfig(citizens=1500, seed=19, malformed_rate=0.0)
MAN, WOMAN, CHILD = "074085123456", "074190222222", "074320444444"


@pytest.fixture(scope="module")
def policy(schemas: SchemaStore) -> AccessPolicy:
    return load_policy(DEFAULT_POLICY_FILE, schemas)


@pytest.fixture(scope="module")
def province() -> Province:
    return shared_province(CONFIG)


@pytest.fixture(scope="module")
def evidence() -> InMemoryEvidence:
    async def ingest() -> InMemoryEvidence:
        held = InMemoryEvidence()
        async for name, record in canonical_records({"province": CONFIG.model_dump()}):
            held.add_canonical(name, record)
        return held

    return asyncio.run(ingest())


@pytest.fixture(scope="module")
def generation(province: Province) -> Generation:
    return generate_dossiers(province, licence_number_of=renewable_licences(province))


def test_accuracy_with_the_policy_equals_accuracy_without_it(
    province: Province, evidence: InMemoryEvidence, generation: Generation, policy: AccessPolicy
) -> None:
    free, bound = [], []
    for generated in generation.dossiers:
        dossier = generated.dossier
        grants = policy.grants_for("crosscheck", dossier.procedure)
        verdict, log = check_with_policy(dossier, evidence, grants)
        unbound = check_dossier(dossier, evidence)
        assert verdict == unbound, (dossier.procedure, dossier.dossier_id)
        for where, fields in log.reads.items():
            assert fields <= grants[where], (dossier.procedure, where, fields - grants[where])
        free.append((generated, unbound))
        bound.append((generated, verdict))
    assert {g.dossier.procedure for g in generation.dossiers} == set(Procedure)
    manifest, skipped = province.manifest(), dict(generation.skipped)
    with_policy = evaluate(bound, manifest, skipped).to_json()
    assert with_policy == evaluate(free, manifest, skipped).to_json()
    for kind, row in with_policy["accuracy"].items():
        if row["injected"]:
            assert (row["precision"], row["recall"]) == (1.0, 1.0), kind


def _person(pin: str, name: str, birth: str, sex: str) -> dict[str, str]:
    return {"pin": pin, "full_name": name, "birth_date": birth, "sex": sex}


def _base(procedure: str, applicant: dict[str, str], **fields: object) -> Dossier:
    return parse_dossier({
        "procedure": procedure, "dossier_id": "D-1", "officer": "officer-07",
        "submitted_at": "2024-01-02T02:00:00+00:00",
        "authority": {"level": "WARD", "code": "25747"}, "applicant": applicant, **fields,
    })  # fmt: skip


def _rare_branches() -> list[tuple[str, Fixture, Dossier]]:
    """Dossiers reaching branches no generated dossier reaches, with their records."""
    man = _person(MAN, "Nguyễn Văn Hòa", "1985-03-07", "MALE")
    woman = _person(WOMAN, "Lê Thị Mai", "1990-01-01", "FEMALE")
    out = []
    fx = Fixture()  # R6: the mother's death is registered only in civil status
    fx.citizen(MAN, "Nguyễn Văn Hòa", "1985-03-07", "MALE")
    fx.citizen(WOMAN, "Lê Thị Mai", "1990-01-01", "FEMALE")
    fx.residence(WOMAN, "25747")
    fx.marriage("KH-2015-1", MAN, WOMAN, "2015-06-01")
    fx.death(WOMAN, "2019")
    child = {"pin": CHILD, "full_name": "Nguyễn Thị An", "birth_date": "2020-05-10",
             "sex": "FEMALE"}  # fmt: skip
    out.append(("R6 death in civil status", fx, _base(
        "BIRTH_REGISTRATION", woman, child=child, mother=woman, father=man,
        parents_married=True)))  # fmt: skip
    fx = Fixture()  # R7: no household relationship, but land at the declared address
    fx.citizen(WOMAN, "Lê Thị Mai", "1990-01-01", "FEMALE")
    fx.residence(WOMAN, "25747")
    fx.parcel("w3gwxz7wk9r3", [WOMAN])
    out.append(("R7 land ownership", fx, _base(
        "RESIDENCE_REGISTRATION", woman, household_id="74000000009",
        household_head_pin=MAN, relationship_to_head="OTHER",
        address={"raw": "Số 1", "code_system": "NEW_34", "province_code": "79",
                 "ward_code": "25747"})))  # fmt: skip
    return out


@pytest.mark.parametrize(("name", "fx", "dossier"), _rare_branches(), ids=lambda x: str(x)[:24])
def test_rare_branches_read_only_granted_fields(
    name: str, fx: Fixture, dossier: Dossier, policy: AccessPolicy
) -> None:
    grants = policy.grants_for("crosscheck", dossier.procedure)
    verdict, _ = check_with_policy(dossier, fx.evidence, grants)
    assert verdict == check_dossier(dossier, fx.evidence), name
    assert "POLICY" not in {r.rule_id for r in verdict.results}
    assert verdict.status is not Outcome.INCONCLUSIVE
