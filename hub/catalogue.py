"""The topic catalogue: every topic the hub writes, with its key, schema, layout and owner.

Built from the registered connector declarations, the schema store and the settings, so
it needs no broker: what ``hub topics`` lists and ``hub asyncapi`` publishes is what the
connector host creates (``ConnectorHost.topic_specs``; a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from hub.codec import SchemaStore
from hub.config import REPO_ROOT, HubSettings
from hub.connect.contract import ConnectorSpec
from hub.connect.host import DEAD_LETTER_RETENTION_MS
from hub.connect.status import status_topic
from hub.connect.topics import TopicNames

#: Headers of every canonical record (DESIGN decision 5), name → meaning.
CANONICAL_HEADERS = {
    "hub.message_id": "UUID of this message (hex); differs between duplicates of a record.",
    "hub.source": "Connector (source) name.",
    "hub.schema": "CRC-64-AVRO fingerprint of the value's schema (16 hex digits).",
    "hub.extracted_at": "When the hub read the record from the source (ISO 8601, UTC).",
    "hub.source_version": "The source's version of the record; keep the highest per key.",
    "hub.source_updated_at": "When the source last changed the record (ISO 8601).",
    "hub.correlation_id": "One id per source page; ties records fetched together.",
    "hub.signature": "Ed25519 signature of the Merkle root over a group of records, each "
    "covering key, value and the identifying headers (base64url); verify it before use "
    "(docs/subscribers.md).",
    "hub.key_id": "The signing key: <source>.<16 hex digits of its SHA-256>.",
    "hub.signature_path": "The record's Merkle path to the signed root (base64url of "
    "33-byte entries; empty for a group of one).",
}
#: Headers of every dead letter (docs/decisions.md, entry 6).
DEAD_LETTER_HEADERS = {
    "hub.message_id": "UUID of this message (hex).",
    "hub.source": "Connector (source) name.",
    "hub.stream": "The connector's stream the record came from.",
    "hub.stage": "Pipeline stage that rejected it: map or validate.",
    "hub.error": "Why it was rejected (text, at most 2000 bytes).",
    "hub.error_class": "The exception class.",
    "hub.cursor": "The cursor before the record's page (JSON).",
    "hub.position": "Page and index of the record (never an identifier).",
}


@dataclass(frozen=True)
class SchemaRef:
    """The Avro schema of a topic's values."""

    full_name: str
    fingerprint: str
    file: str


@dataclass(frozen=True)
class CatalogueTopic:
    """One topic of the catalogue.

    Attributes:
        topic: full topic name (with the prefix).
        kind: ``canonical``, ``dead_letter``, ``offsets`` or ``status``.
        connector: the source's connector name, or None for the hub's own topics.
        owner: the agency that owns the data (the hub operator for hub topics).
        title: the source system's name, or what the topic is for.
        entity: the canonical entity (schema file stem), for canonical topics.
        key: what the key identifies.
        key_format: how the key is encoded.
        value_format: how the value is encoded.
        schema: the value's Avro schema, for canonical topics.
        partitions: partition count the hub creates it with.
        config: topic configuration (cleanup policy, retention).
        headers: the headers every message carries, name → meaning.
    """

    topic: str
    kind: str
    connector: str | None
    owner: str
    title: str
    entity: str | None
    key: str
    key_format: str
    value_format: str
    schema: SchemaRef | None
    partitions: int
    config: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return asdict(self)


def build_catalogue(
    specs: Iterable[ConnectorSpec],
    schemas: SchemaStore,
    settings: HubSettings,
    owners: Mapping[str, str] | None = None,
) -> list[CatalogueTopic]:
    """Every topic of ``specs`` plus the hub's offsets and status topics.

    Args:
        specs: the connectors to describe.
        schemas: the schema store (for full names and fingerprints).
        settings: for the topic prefix and partition count.
        owners: owner overrides by connector name (from a connector config file).

    Raises:
        SchemaError: a connector's entity has no schema.
    """
    names = TopicNames(settings.topic_prefix)
    operator = "hub operator"
    topics: list[CatalogueTopic] = []
    for spec in specs:
        owner = (owners or {}).get(spec.name, spec.owner)
        for entity in spec.entities:
            schema = schemas.get(spec.name, entity)
            topics.append(
                CatalogueTopic(
                    topic=names.canonical(spec.name, entity),
                    kind="canonical",
                    connector=spec.name,
                    owner=owner,
                    title=spec.title,
                    entity=entity,
                    key=spec.key_name,
                    key_format="UTF-8 string",
                    value_format="Avro single-object encoding (C3 01 + fingerprint + body)",
                    schema=SchemaRef(
                        schema.full_name, schema.fingerprint.hex(), _relative(schema.path)
                    ),
                    partitions=settings.topic_partitions,
                    config={"cleanup.policy": "compact"},
                    headers=dict(CANONICAL_HEADERS),
                )
            )
        topics.append(
            CatalogueTopic(
                topic=names.dead_letter(spec.name),
                kind="dead_letter",
                connector=spec.name,
                owner=owner,
                title=f"{spec.title}: records rejected by the hub",
                entity=None,
                key="none (null key)",
                key_format="null",
                value_format="the native record's bytes, as the source sent them",
                schema=None,
                partitions=1,
                config={"cleanup.policy": "delete", "retention.ms": DEAD_LETTER_RETENTION_MS},
                headers=dict(DEAD_LETTER_HEADERS),
            )
        )
    for kind, topic, key, title in (
        ("offsets", names.offsets(), "<connector>/<stream>", "Connector cursors"),
        ("status", status_topic(names), "<connector>", "Connector states and heartbeats"),
    ):
        topics.append(
            CatalogueTopic(
                topic=topic,
                kind=kind,
                connector=None,
                owner=operator,
                title=title,
                entity=None,
                key=key,
                key_format="UTF-8 string",
                value_format="JSON object; a null value (tombstone) deletes the key",
                schema=None,
                partitions=1,
                config={"cleanup.policy": "compact"},
            )
        )
    return topics


def _relative(path: Any) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
