"""Schema evolution: each schema reads what its previous version wrote (``hub schemas check``).

Unit cases per Avro resolution rule, a cross-check of verdicts against fastavro (write with
the old schema, read with the new), and the command run on the repository's schemas and
on a copy with a breaking edit.
"""

from __future__ import annotations

import copy
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from hub.codec.compatibility import check_compatibility

REPO = Path(__file__).resolve().parents[2]


def record(*fields: dict[str, Any], name: str = "Thing", **extra: Any) -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "namespace": "vn.gov.hub.test",
        "fields": list(fields),
        **extra,
    }


def field(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def problems(new: Any, old: Any) -> list[str]:
    return [str(p) for p in check_compatibility(new, old)]


BASE = record(field("pin", "string"), field("count", "int"))


def test_adding_a_field_with_a_default_is_compatible() -> None:
    new = record(
        field("pin", "string"),
        field("count", "int"),
        field("note", ["null", "string"], default=None),
    )
    assert problems(new, BASE) == []


def test_adding_a_field_without_a_default_breaks_naming_the_field() -> None:
    new = record(field("pin", "string"), field("count", "int"), field("note", "string"))
    assert problems(new, BASE) == ["note: field added without a default"]


def test_removing_a_field_is_compatible() -> None:
    assert problems(record(field("pin", "string")), BASE) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [("int", "long"), ("int", "float"), ("int", "double"), ("long", "float"), ("long", "double"),
     ("float", "double"), ("string", "bytes"), ("bytes", "string")],
)  # fmt: skip
def test_promotions_are_compatible(old: str, new: str) -> None:
    assert problems(record(field("x", new)), record(field("x", old))) == []


@pytest.mark.parametrize(
    ("old", "new"), [("long", "int"), ("double", "float"), ("string", "int"), ("int", "string")]
)
def test_narrowing_or_unrelated_types_break(old: str, new: str) -> None:
    [problem] = problems(record(field("x", new)), record(field("x", old)))
    assert problem.startswith("x: type changed")


def test_enum_symbol_removed_breaks_unless_the_reader_has_a_default() -> None:
    old = record(field("s", {"type": "enum", "name": "S", "symbols": ["A", "B", "C"]}))
    new = record(field("s", {"type": "enum", "name": "S", "symbols": ["A", "B"]}))
    assert problems(new, old) == ["s: enum vn.gov.hub.test.S lost symbol(s) C and has no default"]
    with_default = record(
        field("s", {"type": "enum", "name": "S", "symbols": ["A", "B"], "default": "A"})
    )
    assert problems(with_default, old) == []
    added = record(field("s", {"type": "enum", "name": "S", "symbols": ["A", "B", "C", "D"]}))
    assert problems(added, old) == []


def test_unions_widen_but_must_cover_every_old_branch() -> None:
    assert problems(record(field("x", ["null", "string"])), record(field("x", "string"))) == []
    assert problems(record(field("x", ["null", "long"])), record(field("x", ["null", "int"]))) == []
    [problem] = problems(record(field("x", "string")), record(field("x", ["null", "string"])))
    assert problem.startswith("x: type changed from null to string")
    [problem] = problems(record(field("x", ["null", "int"])), record(field("x", "string")))
    assert problem == "x: the new union has no branch for the old type string"


def test_nested_records_arrays_and_maps_name_the_inner_field() -> None:
    member = {"type": "record", "name": "Member", "fields": [field("pin", "string")]}
    old = record(
        field("members", {"type": "array", "items": member}),
        field("tags", {"type": "map", "values": "int"}),
    )
    new_member = copy.deepcopy(member)
    new_member["fields"].append(field("role", "string"))
    new = record(
        field("members", {"type": "array", "items": new_member}),
        field("tags", {"type": "map", "values": "string"}),
    )
    assert problems(new, old) == [
        "members[].role: field added without a default",
        "tags{}: type changed from int to string, which is not a promotion",
    ]


def test_named_references_are_followed_across_namespaces() -> None:
    address = {
        "type": "record",
        "name": "Address",
        "namespace": "vn.gov.hub.common",
        "fields": [field("raw", "string")],
    }
    old = record(
        field("home", address), field("work", ["null", "vn.gov.hub.common.Address"], default=None)
    )
    new_address = copy.deepcopy(address)
    new_address["fields"].append(field("ward_code", "string"))
    new = record(
        field("home", new_address),
        field("work", ["null", "vn.gov.hub.common.Address"], default=None),
    )
    assert problems(new, old) == [
        "home.ward_code: field added without a default",
        "work.ward_code: field added without a default",
    ]


def test_renames_resolve_through_aliases() -> None:
    old = record(field("ho_ten", "string"), name="Person")
    assert (
        problems(record(field("full_name", "string", aliases=["ho_ten"]), name="Person"), old) == []
    )
    assert problems(record(field("full_name", "string"), name="Person"), old) == [
        "full_name: field added without a default"
    ]
    renamed = record(field("ho_ten", "string"), name="Citizen", aliases=["vn.gov.hub.test.Person"])
    assert problems(renamed, old) == []
    [problem] = problems(record(field("ho_ten", "string"), name="Citizen"), old)
    assert problem.startswith("<record>: type changed from record vn.gov.hub.test.Person")


def test_recursive_types_terminate() -> None:
    node = record(field("value", "int"), field("next", ["null", "Thing"], default=None))
    assert problems(node, node) == []


def test_logical_type_changes_are_reported() -> None:
    old = record(field("at", {"type": "long", "logicalType": "timestamp-millis"}))
    new = record(field("at", {"type": "long", "logicalType": "timestamp-micros"}))
    assert problems(new, old) == [
        "at: logical type changed from timestamp-millis to timestamp-micros"
    ]


def _fastavro_reads(new: dict[str, Any], old: dict[str, Any], datum: dict[str, Any]) -> bool:
    buffer = io.BytesIO()
    schemaless_writer(buffer, parse_schema(copy.deepcopy(old)), datum)
    buffer.seek(0)
    try:
        schemaless_reader(
            buffer, parse_schema(copy.deepcopy(old)), parse_schema(copy.deepcopy(new))
        )
    except Exception:
        return False
    return True


@pytest.mark.parametrize(
    ("old", "new", "datum"),
    [
        (BASE, record(field("pin", "string"), field("count", "long")), {"pin": "x", "count": 1}),
        (BASE, record(field("pin", "string")), {"pin": "x", "count": 1}),
        (
            BASE,
            record(field("pin", "string"), field("count", "int"), field("n", "int", default=0)),
            {"pin": "x", "count": 1},
        ),
        (
            BASE,
            record(field("pin", "string"), field("count", "int"), field("n", "int")),
            {"pin": "x", "count": 1},
        ),
        (BASE, record(field("pin", "int"), field("count", "int")), {"pin": "x", "count": 1}),
        (
            record(field("s", {"type": "enum", "name": "S", "symbols": ["A", "B"]})),
            record(field("s", {"type": "enum", "name": "S", "symbols": ["A"]})),
            {"s": "B"},
        ),
    ],
)
def test_verdicts_agree_with_fastavro_resolution(
    old: dict[str, Any], new: dict[str, Any], datum: dict[str, Any]
) -> None:
    assert (problems(new, old) == []) == _fastavro_reads(new, old, datum)


def test_the_repository_keeps_an_earlier_citizen_schema_that_the_current_one_reads() -> None:
    old = json.loads((REPO / "schemas/population/citizen.v1.avsc").read_text())
    new = json.loads((REPO / "schemas/population/citizen.avsc").read_text())
    assert [
        f["name"] for f in new["fields"] if f["name"] not in {g["name"] for g in old["fields"]}
    ] == ["other_names"]
    assert problems(new, old) == []


def _hub_schemas_check(schemas_dir: Path) -> tuple[int, dict[str, Any]]:
    env = {**os.environ, "HUB_SCHEMAS_DIR": str(schemas_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli.main", "schemas", "check", "--json"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False,
    )  # fmt: skip
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def test_hub_schemas_check_passes_on_the_repository() -> None:
    status, result = _hub_schemas_check(REPO / "schemas")
    assert status == 0
    assert result["compatible"] is True
    assert result["checked"] >= 1
    citizen = next(s for s in result["schemas"] if s["schema"] == "population/citizen")
    assert citizen["previous"] == "citizen.v1.avsc"


def test_hub_schemas_check_fails_on_a_breaking_edit_naming_the_field(tmp_path: Path) -> None:
    copy_dir = tmp_path / "schemas"
    shutil.copytree(REPO / "schemas", copy_dir)
    current = copy_dir / "population" / "citizen.avsc"
    schema = json.loads(current.read_text())
    for f in schema["fields"]:
        if f["name"] == "other_names":
            del f["default"]
        if f["name"] == "nationality":
            f["type"] = "int"
    current.write_text(json.dumps(schema))
    status, result = _hub_schemas_check(copy_dir)
    assert status == 1
    assert result["compatible"] is False
    citizen = next(s for s in result["schemas"] if s["schema"] == "population/citizen")
    assert {p["field"] for p in citizen["problems"]} == {"other_names", "nationality"}
    reasons = {p["field"]: p["reason"] for p in citizen["problems"]}
    assert reasons["other_names"] == "field added without a default"
    assert "string to int" in reasons["nationality"]
