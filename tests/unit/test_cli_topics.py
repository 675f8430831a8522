"""``hub topics`` and ``hub asyncapi``: the catalogue and its AsyncAPI 3.0 document."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from hub.catalogue import build_catalogue
from hub.cli.asyncapi import AVRO_FORMAT, build_document, to_yaml
from hub.cli.main import main
from hub.codec import SchemaStore
from hub.config import load_settings
from hub.connect.registry import discover

REPO = Path(__file__).resolve().parents[2]
IDENT = re.compile(r"^[A-Za-z0-9._-]+$")


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(list(argv)) == 0
    parsed: dict[str, Any] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return parsed


def _document(prefix: str = "") -> dict[str, Any]:
    settings = load_settings(topic_prefix=prefix)
    schemas = SchemaStore(REPO / "schemas")
    topics = build_catalogue(discover().values(), schemas, settings)
    return build_document(topics, schemas, settings)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_topics_json_lists_canonical_dead_letter_offsets_and_status(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_TOPIC_PREFIX", "acme.")
    topics = {t["topic"]: t for t in _json(capsys, "topics", "--json")["topics"]}
    citizen = topics["acme.population.citizen"]
    assert citizen["kind"] == "canonical"
    assert citizen["connector"] == "population"
    assert citizen["schema"]["full_name"] == "vn.gov.hub.population.Citizen"
    expected = SchemaStore(REPO / "schemas").get("population", "citizen").fingerprint.hex()
    assert citizen["schema"]["fingerprint"] == expected
    assert citizen["schema"]["file"] == "schemas/population/citizen.avsc"
    assert citizen["config"] == {"cleanup.policy": "compact"}
    assert citizen["partitions"] == 6
    assert citizen["owner"] == "Ministry of Public Security"
    assert "hub.source_version" in citizen["headers"]
    dlq = topics["acme.population.dlq"]
    assert dlq["config"]["cleanup.policy"] == "delete" and dlq["schema"] is None
    assert topics["acme.hub.connect.offsets"]["kind"] == "offsets"
    assert topics["acme.hub.connect.status"]["kind"] == "status"
    for spec in discover().values():
        for entity in spec.entities:
            assert f"acme.{spec.name}.{entity}" in topics


def test_topics_owner_override_from_a_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[connectors.population]\nowner = "Provincial police"\n')
    topics = _json(capsys, "topics", "--config", str(config), "--json")["topics"]
    assert {t["owner"] for t in topics if t["connector"] == "population"} == {"Provincial police"}


def test_asyncapi_document_has_the_required_asyncapi_3_structure() -> None:
    doc = _document("p.")
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    assert {"embedded", "production"} <= set(doc["servers"])
    for server in doc["servers"].values():
        assert server["host"] and "://" not in server["host"]
        assert server["protocol"] in ("kafka", "kafka-secure")
        for ref in server.get("security", []):
            assert _resolve(doc, ref["$ref"])["type"]
    for cid, channel in doc["channels"].items():
        assert IDENT.match(cid)
        assert channel["address"].startswith("p.")
        assert channel["bindings"]["kafka"]["topic"] == channel["address"]
        for mid, ref in channel["messages"].items():
            assert IDENT.match(mid)
            assert "payload" in _resolve(doc, ref["$ref"])
    for operation in doc["operations"].values():
        assert operation["action"] in ("send", "receive")
        channel = _resolve(doc, operation["channel"]["$ref"])
        for ref in operation["messages"]:
            assert ref["$ref"].startswith(operation["channel"]["$ref"] + "/messages/")
            assert _resolve(doc, ref["$ref"]) in channel["messages"].values()
    assert len(doc["channels"]) == len(doc["operations"])


def test_asyncapi_canonical_messages_carry_the_avsc_key_and_headers() -> None:
    doc = _document()
    channel = doc["channels"]["population.citizen"]
    (ref,) = channel["messages"].values()
    message = _resolve(doc, ref["$ref"])
    assert message["payload"]["schemaFormat"] == AVRO_FORMAT
    avsc = json.loads((REPO / "schemas/population/citizen.avsc").read_text())
    assert message["payload"]["schema"] == avsc
    assert message["bindings"]["kafka"]["key"]["type"] == "string"
    assert "hub.schema" in message["headers"]["properties"]
    assert channel["bindings"]["kafka"]["topicConfiguration"]["cleanup.policy"] == ["compact"]
    dlq = doc["channels"]["population.dlq"]["bindings"]["kafka"]["topicConfiguration"]
    assert dlq["cleanup.policy"] == ["delete"] and dlq["retention.ms"] > 0


def test_asyncapi_cli_writes_json_and_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = _json(capsys, "asyncapi", "--json")
    assert printed["asyncapi"] == "3.0.0"
    out = tmp_path / "asyncapi.yaml"
    assert _json(capsys, "asyncapi", "--output", str(out), "--format", "json")["channels"] > 0
    assert json.loads(out.read_text()) == printed
    assert main(["asyncapi", "--output", str(out)]) == 0
    assert out.read_text().startswith('asyncapi: "3.0.0"\n')


def test_yaml_is_the_same_data() -> None:
    yaml = pytest.importorskip("yaml")
    doc = _document()
    assert yaml.safe_load(to_yaml(doc)) == doc
    odd = {"on": [1, {"a": [], "b": {}}, [True, None]], "k y": 'multi\nline "q" ü'}
    assert yaml.safe_load(to_yaml(odd)) == odd
