"""``hub asyncapi``: the topic catalogue as an AsyncAPI 3.0 document.

One channel per topic; canonical messages carry their ``.avsc`` as payload
(``schemaFormat: application/vnd.apache.avro;version=1.9.0``), the key as a Kafka
message binding and the ``hub.*`` headers as a schema. The application described is the
hub, so operations are ``send``; a subscriber's own document mirrors them as ``receive``.
Output is YAML (default) or JSON, to standard output or ``--output FILE``.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from hub import __version__
from hub.catalogue import CatalogueTopic
from hub.cli.output import emit
from hub.cli.topics import catalogue
from hub.codec import SchemaStore
from hub.config import HubSettings

AVRO_FORMAT = "application/vnd.apache.avro;version=1.9.0"
_BINDING = "0.5.0"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub asyncapi``."""
    parser = commands.add_parser("asyncapi", help="the AsyncAPI 3.0 document of every topic")
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    parser.add_argument("--output", type=Path, default=None, help="write to FILE")
    parser.add_argument("--config", type=Path, default=None, help="apply owner overrides")
    parser.add_argument(
        "--production-host", default="kafka:9092", help="production bootstrap (host:port)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub asyncapi``."""
    topics = catalogue(settings, args.config)
    document = build_document(
        topics, SchemaStore(settings.schemas_dir), settings, production_host=args.production_host
    )
    as_json = args.json or args.format == "json"
    text = json.dumps(document, ensure_ascii=False) if as_json else to_yaml(document)
    if args.output is None:
        if as_json:
            emit(document, as_json=True, human="")
        else:
            print(text)
        return 0
    args.output.write_text(text + "\n", encoding="utf-8")
    summary = {"output": str(args.output), "channels": len(document["channels"])}
    emit(summary, as_json=as_json, human=f"wrote {args.output} ({len(topics)} channels)")
    return 0


def build_document(
    topics: list[CatalogueTopic],
    schemas: SchemaStore,
    settings: HubSettings,
    *,
    production_host: str = "kafka:9092",
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document describing ``topics``."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in topics:
        cid = _ident(topic.topic)
        mid = _ident(f"{topic.connector or 'hub'}.{topic.entity or topic.kind}")
        messages[mid] = _message(topic, schemas)
        channels[cid] = {
            "address": topic.topic,
            "title": topic.title,
            "description": f"{topic.kind} topic; owner: {topic.owner}; key: {topic.key}.",
            "messages": {mid: {"$ref": f"#/components/messages/{mid}"}},
            "bindings": {"kafka": _channel_binding(topic, settings)},
        }
        operations[f"send.{cid}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{cid}"},
            "summary": f"The hub publishes to {topic.topic}.",
            "messages": [{"$ref": f"#/channels/{cid}/messages/{mid}"}],
        }
    embedded_host = (settings.kafka_bootstrap or "127.0.0.1:9092").split(",")[0]
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Provincial data-sharing hub",
            "version": __version__,
            "description": "Canonical records of the state databases, keyed by subject id, "
            "Avro single-object encoded (C3 01 + 8-byte CRC-64-AVRO fingerprint + body). "
            "At-least-once: keep the highest meta.source_version per key. "
            "See docs/subscribers.md.",
        },
        "defaultContentType": "application/octet-stream",
        "servers": {
            "embedded": {
                "host": embedded_host,
                "protocol": "kafka",
                "description": "Embedded Kafka-protocol broker (development and CI; "
                "memory only, no TLS, no authentication). Use aiokafka to subscribe.",
            },
            "production": {
                "host": production_host,
                "protocol": "kafka-secure",
                "description": "Apache Kafka (KRaft), TLS with SASL/SCRAM or mutual TLS.",
                "security": [
                    {"$ref": "#/components/securitySchemes/saslScram"},
                    {"$ref": "#/components/securitySchemes/mutualTls"},
                ],
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "securitySchemes": {
                "saslScram": {"type": "scramSha512", "description": "SASL/SCRAM-SHA-512."},
                "mutualTls": {"type": "X509", "description": "Client certificate."},
            },
        },
    }


def _message(topic: CatalogueTopic, schemas: SchemaStore) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": topic.entity or topic.kind,
        "title": topic.title,
        "bindings": {"kafka": {"key": _key_schema(topic), "bindingVersion": _BINDING}},
    }
    if topic.headers:
        message["headers"] = {
            "type": "object",
            "properties": {
                name: {"type": "string", "description": text}
                for name, text in topic.headers.items()
            },
            "required": list(topic.headers),
        }
    if topic.schema is not None and topic.connector and topic.entity:
        definition = schemas.get(topic.connector, topic.entity).definition
        message["contentType"] = "application/octet-stream"
        message["summary"] = str(definition.get("doc", topic.title))
        message["description"] = (
            f"Avro single-object encoding: C3 01, then the fingerprint "
            f"{topic.schema.fingerprint} (CRC-64-AVRO, little-endian), then the Avro body. "
            f"Schema {topic.schema.full_name}, file {topic.schema.file}. A null value "
            f"(tombstone) means the subject was deleted."
        )
        message["payload"] = {"schemaFormat": AVRO_FORMAT, "schema": definition}
    elif topic.kind == "dead_letter":
        message["contentType"] = "application/octet-stream"
        message["payload"] = {
            "type": "string",
            "format": "binary",
            "description": topic.value_format,
        }
    else:
        message["contentType"] = "application/json"
        message["payload"] = {"type": ["object", "null"], "description": topic.value_format}
    return message


def _key_schema(topic: CatalogueTopic) -> dict[str, Any]:
    if topic.key_format == "null":
        return {"type": "null", "description": topic.key}
    return {"type": "string", "description": f"{topic.key} ({topic.key_format})"}


def _channel_binding(topic: CatalogueTopic, settings: HubSettings) -> dict[str, Any]:
    config: dict[str, Any] = {"cleanup.policy": [topic.config["cleanup.policy"]]}
    if "retention.ms" in topic.config:
        config["retention.ms"] = int(topic.config["retention.ms"])
    return {
        "topic": topic.topic,
        "partitions": topic.partitions,
        "replicas": settings.topic_replication,
        "topicConfiguration": config,
        "bindingVersion": _BINDING,
    }


def _ident(text: str) -> str:
    """A component identifier (``^[A-Za-z0-9._-]+$``) for ``text``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_.$/-]*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def to_yaml(value: Any) -> str:
    """Block-style YAML of JSON-compatible data (strings double-quoted, JSON escapes)."""
    if isinstance(value, dict | list) and value:
        return "\n".join(_yaml_lines(value, 0))
    return _yaml_scalar(value)


def _yaml_lines(value: dict[str, Any] | list[Any], depth: int) -> list[str]:
    pad = "  " * depth
    lines: list[str] = []
    items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
    for key, child in items:
        head = f"{pad}{_yaml_key(key)}:" if key is not None else None
        if isinstance(child, dict | list) and child:
            nested = _yaml_lines(child, depth + 1)
            if head is None:  # list item: the first nested line carries the dash
                nested[0] = f"{pad}- {nested[0][len(pad) + 2 :]}"
                lines.extend(nested)
            else:
                lines.append(head)
                lines.extend(nested)
        elif head is None:
            lines.append(f"{pad}- {_yaml_scalar(child)}")
        else:
            lines.append(f"{head} {_yaml_scalar(child)}")
    return lines


def _yaml_key(key: str) -> str:
    return key if _PLAIN_KEY.match(key) and key.lower() not in _RESERVED else json.dumps(key)


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return json.dumps(value, ensure_ascii=False)
