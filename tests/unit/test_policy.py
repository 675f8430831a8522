"""The access policy file: structure, validation against schemas and procedures, hash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hub.cli.main import main
from hub.codec import SchemaStore
from hub.crosscheck.dossier import Procedure
from hub.crosscheck.procedures import possible_mandatory_sources
from hub.trust.policy import (
    DEFAULT_POLICY_FILE,
    PolicyError,
    field_paths,
    is_sensitive,
    load_policy,
    parse_policy,
    policy_hash,
    validate_policy,
)

LAND = "LAND_TRANSFER"
BASIS = "Law 28/2009/QH12 [test]"


def _grant(
    procedure: str, source: str, entity: str, fields: list[str], **extra: Any
) -> dict[str, Any]:
    return {"procedure": procedure, "source": source, "entity": entity, "fields": fields, **extra}


def _minimal(procedure: str = LAND, *extra: dict[str, Any]) -> dict[str, Any]:
    """A valid policy: one grant per mandatory source of ``procedure``."""
    entities = {
        "population": "citizen", "civil_status": "death", "identity_cards": "identity_card",
        "land": "parcel", "tax": "tax_account", "residence": "residence",
        "judicial": "judicial_record", "vehicles": "vehicle",
        "driving_licences": "driving_licence", "business_registration": "enterprise",
    }  # fmt: skip
    grants = [
        _grant(procedure, s, entities[s], [], **({"legal_basis": BASIS} if s == "judicial" else {}))
        for s in sorted(possible_mandatory_sources(Procedure(procedure)))
    ]
    return {"version": "1", "consumers": {"crosscheck": {"grants": [*grants, *extra]}}}


def _problems(data: dict[str, Any], schemas: SchemaStore) -> list[tuple[str, str]]:
    with pytest.raises(PolicyError) as caught:
        validate_policy(parse_policy(data), schemas)
    return caught.value.problems


def test_the_default_policy_is_valid_and_grants_the_crosscheck_consumer_every_procedure(
    schemas: SchemaStore,
) -> None:
    policy = load_policy(DEFAULT_POLICY_FILE, schemas)
    for procedure in Procedure:
        assert policy.grants_for("crosscheck", procedure), procedure
    assert policy.grants_for("someone-else", Procedure.LAND_TRANSFER) == {}
    sensitive = {(g.procedure, g.source, f) for _, g, fields in policy.sensitive_grants()
                 for f in fields}  # fmt: skip
    assert (Procedure.CRIMINAL_RECORD_CERTIFICATE, "judicial", "record_status") in sensitive
    business = policy.grants_for("crosscheck", Procedure.BUSINESS_REGISTRATION)
    assert business[("judicial", "judicial_record")] == {"convictions.execution_status"}
    for grants in (policy.grants_for("crosscheck", p) for p in Procedure):
        assert not {"ethnicity", "religion"} & grants.get(("population", "citizen"), set())


def test_sensitive_fields_follow_the_schemas() -> None:
    assert is_sensitive("population", "citizen", "religion")
    assert is_sensitive("population", "citizen", "ethnicity")
    assert not is_sensitive("population", "citizen", "full_name")
    assert is_sensitive("judicial", "judicial_record", "record_status")
    assert is_sensitive("judicial", "judicial_record", "convictions.offence_name")
    assert is_sensitive("health_insurance", "health_insurance_card", "sex")
    assert is_sensitive("social_insurance", "social_insurance", "benefit_claims.kind")
    assert not is_sensitive("social_insurance", "social_insurance", "participation_status")


def test_sub_fields_are_named_only_inside_arrays_of_records(schemas: SchemaStore) -> None:
    paths = field_paths(schemas.get("judicial", "judicial_record").definition)
    assert {"convictions", "convictions.execution_status", "record_status"} <= paths
    citizen = field_paths(schemas.get("population", "citizen").definition)
    assert "birth_date" in citizen and "birth_date.iso" not in citizen  # records: whole


def test_a_minimal_policy_is_valid(schemas: SchemaStore) -> None:
    validate_policy(parse_policy(_minimal()), schemas)


@pytest.mark.parametrize(
    ("extra", "place", "message"),
    [
        (_grant(LAND, "prison", "inmate", []), "grants[5].source", "unknown source 'prison'"),
        (_grant(LAND, "population", "voter", []), "grants[5].entity", "no entity 'voter'"),
        (_grant(LAND, "vehicles", "vehicle", ["colour"]), "grants[5].fields[0]",
         "no field 'colour'"),
        (_grant(LAND, "vehicles", "vehicle", ["owner_pin.x"]), "grants[5].fields[0]",
         "no field 'owner_pin.x'"),
        (_grant(LAND, "vehicles", "vehicle", ["stolen", "stolen"]), "grants[5].fields[1]",
         "granted twice"),
        (_grant(LAND, "land", "parcel", ["owners"]), "grants[5]", "already has a grant"),
        (_grant(LAND, "health_insurance", "health_insurance_card", ["sex"]),
         "grants[5].legal_basis", "sensitive field(s) sex"),
        (_grant(LAND, "social_insurance", "social_insurance", ["benefit_claims.kind"],
                legal_basis="  "), "grants[5].legal_basis", "without a legal basis"),
    ],
)  # fmt: skip
def test_every_invalid_grant_is_named_by_its_place(
    schemas: SchemaStore, extra: dict[str, Any], place: str, message: str
) -> None:
    problems = _problems(_minimal(LAND, extra), schemas)
    assert problems[0][0] == f"consumers.crosscheck.{place}"
    assert message in problems[0][1]


def test_a_sensitive_field_among_others_needs_the_legal_basis(schemas: SchemaStore) -> None:
    extra = _grant(LAND, "population", "citizen", ["full_name"])
    data = _minimal(LAND)
    grants = data["consumers"]["crosscheck"]["grants"]
    grants[[g["source"] for g in grants].index("population")] = extra
    validate_policy(parse_policy(data), schemas)
    extra["fields"] = ["full_name", "religion"]
    problems = _problems(data, schemas)
    assert "religion" in problems[0][1]
    extra["legal_basis"] = BASIS
    validate_policy(parse_policy(data), schemas)


def test_a_procedure_missing_a_mandatory_source_is_refused(schemas: SchemaStore) -> None:
    data = _minimal(LAND)
    grants = data["consumers"]["crosscheck"]["grants"]
    data["consumers"]["crosscheck"]["grants"] = [g for g in grants if g["source"] != "tax"]
    problems = _problems(data, schemas)
    assert problems == [("consumers.crosscheck.grants", "LAND_TRANSFER has no grant for tax, "
                         "one of its mandatory sources")]  # fmt: skip


def test_business_registration_must_grant_the_business_register(schemas: SchemaStore) -> None:
    data = _minimal("BUSINESS_REGISTRATION")
    grants = data["consumers"]["crosscheck"]["grants"]
    data["consumers"]["crosscheck"]["grants"] = [
        g for g in grants if g["source"] != "business_registration"
    ]
    assert "business_registration" in _problems(data, schemas)[0][1]


@pytest.mark.parametrize(
    ("change", "place"),
    [
        ({"procedure": "DIVORCE"}, "consumers.crosscheck.grants[0].procedure"),
        ({"purpose": "curiosity"}, "consumers.crosscheck.grants[0].purpose"),
        ({"fields": "full_name"}, "consumers.crosscheck.grants[0].fields"),
    ],
)
def test_structural_errors_name_the_place(change: dict[str, Any], place: str) -> None:
    data = _minimal()
    data["consumers"]["crosscheck"]["grants"][0].update(change)
    with pytest.raises(PolicyError) as caught:
        parse_policy(data)
    assert caught.value.field == place
    assert place in str(caught.value)


def test_a_bad_consumer_name_and_a_missing_version_are_named(schemas: SchemaStore) -> None:
    data = _minimal()
    data["consumers"]["Cross Check"] = data["consumers"].pop("crosscheck")
    assert _problems(data, schemas)[0][0] == "consumers.Cross Check"
    del data["version"]
    with pytest.raises(PolicyError) as caught:
        parse_policy(data)
    assert caught.value.field == "version"


def test_unreadable_files_are_named(tmp_path: Path, schemas: SchemaStore) -> None:
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy(tmp_path / "none.toml", schemas)
    broken = tmp_path / "broken.toml"
    broken.write_text('version = "1\n', encoding="utf-8")
    with pytest.raises(PolicyError, match=r"broken\.toml: file: not TOML"):
        load_policy(broken, schemas)


def _toml(data: dict[str, Any]) -> str:
    lines = [f"version = {json.dumps(data['version'])}"]
    for name, consumer in data["consumers"].items():
        lines.append(f"[consumers.{name}]")
        for grant in consumer["grants"]:
            lines.append(f"[[consumers.{name}.grants]]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in grant.items()]
    return "\n".join(lines) + "\n"


def test_the_hash_ignores_order_and_layout_but_not_content(
    tmp_path: Path, schemas: SchemaStore
) -> None:
    data = _minimal(LAND, _grant(LAND, "vehicles", "vehicle", ["stolen", "owner_pin"]))
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text(_toml(data), encoding="utf-8")
    shuffled = json.loads(json.dumps(data))
    grants = shuffled["consumers"]["crosscheck"]["grants"]
    grants.reverse()
    grants[0]["fields"] = ["owner_pin", "stolen"]
    second.write_text("# a comment\n\n" + _toml(shuffled).replace(" = ", "="), encoding="utf-8")
    hashed = policy_hash(load_policy(first, schemas))
    assert hashed == policy_hash(load_policy(second, schemas))
    assert hashed.startswith("sha256:") and len(hashed) == 71
    assert policy_hash(parse_policy(data)) == hashed  # stable across processes: no salt
    grants[0]["fields"] = ["owner_pin"]
    assert policy_hash(parse_policy(shuffled)) != hashed
    data["version"] = "2"
    assert policy_hash(parse_policy(data)) != hashed


def test_hub_policy_check_summarises_or_names_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["policy", "check", str(DEFAULT_POLICY_FILE), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert summary["valid"] and summary["hash"].startswith("sha256:")
    assert set(summary["consumers"]["crosscheck"]["procedures"]) == {p.value for p in Procedure}
    assert all(s["legal_basis"] for s in summary["sensitive"])
    bad = tmp_path / "bad.toml"
    data = _minimal(LAND, _grant(LAND, "population", "household", ["members", "pets"]))
    bad.write_text(_toml(data), encoding="utf-8")
    assert main(["policy", "check", str(bad), "--json"]) == 2
    refused = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert refused["valid"] is False
    assert refused["field"] == "consumers.crosscheck.grants[5].fields[1]"
    assert main(["policy", "check", str(bad)]) == 2
    assert (
        "grants[5].fields[1]: population.household has no field 'pets'" in capsys.readouterr().out
    )
