"""An example subscriber: decode hub topics with nothing but the published ``.avsc`` files.

It depends on aiokafka and fastavro only (no ``hub`` import), as a ministry's or the
province's own service would. It shows the four things every subscriber does
(docs/subscribers.md):

1. find the writer schema by the fingerprint in the value's single-object header
   (``C3 01`` + 8-byte CRC-64-AVRO fingerprint), and decode the Avro body with it,
   resolving to the current schema of the same name when an older one wrote it;
2. key its state by the Kafka key (the subject's identifier);
3. keep, per key, only the highest source version (``meta.source_version``, also in the
   ``hub.source_version`` header): delivery is at-least-once, so duplicates and replays
   (a resync) arrive, and must change nothing;
4. treat a null value (tombstone) as a deletion.

Run::

    python examples/subscriber.py --bootstrap 127.0.0.1:9092 --schemas schemas/population \\
        --topic population.citizen --group my-service --idle 5 --json
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastavro
from aiokafka import AIOKafkaConsumer
from fastavro.schema import fingerprint, to_parsing_canonical_form

MAGIC = b"\xc3\x01"


@dataclass
class Schemas:
    """Every ``.avsc`` in a folder, by fingerprint, and the current schema per full name."""

    by_fingerprint: dict[bytes, Any] = field(default_factory=dict)
    current: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> Schemas:
        """Load ``folder/*.avsc``; ``<entity>.v<N>.avsc`` files are earlier versions."""
        found = cls()
        for path in sorted(folder.glob("*.avsc")):
            parsed: Any = fastavro.parse_schema(json.loads(path.read_text(encoding="utf-8")))
            canonical = to_parsing_canonical_form(parsed)
            found.by_fingerprint[bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))] = parsed
            if ".v" not in path.stem:
                found.current[parsed["name"]] = parsed
        return found

    def decode(self, value: bytes) -> dict[str, Any]:
        """Decode one single-object encoded value.

        Raises:
            ValueError: not single-object encoded, or written with an unknown schema.
        """
        if value[:2] != MAGIC or len(value) < 10:
            raise ValueError("not Avro single-object encoding")
        writer = self.by_fingerprint.get(value[2:10])
        if writer is None:
            raise ValueError(f"unknown schema fingerprint {value[2:10].hex()}")
        reader = self.current.get(writer["name"], writer)
        record: Any = fastavro.schemaless_reader(io.BytesIO(value[10:]), writer, reader)
        return dict(record)


def version_of(text: str) -> tuple[int, str]:
    """Order source versions: numerically when they are numbers, else as text."""
    return (int(text), "") if text.isdigit() else (-1, text)


@dataclass
class LatestByKey:
    """The subscriber's state: the newest version of every subject (None once deleted)."""

    records: dict[bytes, tuple[tuple[int, str], dict[str, Any] | None]] = field(
        default_factory=dict
    )
    received: int = 0
    applied: int = 0
    stale: int = 0
    tombstones: int = 0
    undecodable: int = 0

    def offer(self, key: bytes, version: str, record: dict[str, Any] | None) -> None:
        """Apply one message unless the state already holds this version or a newer one."""
        self.received += 1
        held = self.records.get(key)
        if held is not None and held[0] >= version_of(version):
            self.stale += 1  # a duplicate or a replay: idempotent, nothing changes
            return
        self.records[key] = (version_of(version), record)
        self.applied += 1
        if record is None:
            self.tombstones += 1

    def live(self) -> dict[bytes, dict[str, Any]]:
        """Subjects that exist (not deleted), with their newest record."""
        return {k: r for k, (_, r) in self.records.items() if r is not None}


async def consume(
    bootstrap: str, topics: list[str], group: str, schemas: Schemas, idle_s: float
) -> LatestByKey:
    """Consume ``topics`` in consumer group ``group`` until ``idle_s`` pass without records
    (``idle_s`` <= 0: forever)."""
    state = LatestByKey()
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=True,
    )
    await consumer.start()
    try:
        quiet = 0.0
        while idle_s <= 0 or quiet < idle_s:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            if not any(batches.values()):
                quiet += 0.5
                continue
            quiet = 0.0
            for messages in batches.values():
                for message in messages:
                    handle(state, schemas, message)
    finally:
        await consumer.stop()
    return state


def handle(state: LatestByKey, schemas: Schemas, message: Any) -> None:
    """Decode one Kafka message and offer it to ``state``."""
    headers = {name: value.decode() for name, value in message.headers or ()}
    if message.value is None:  # tombstone: the version is in the header
        state.offer(message.key, headers.get("hub.source_version", ""), None)
        return
    try:
        record = schemas.decode(message.value)
    except ValueError:
        state.undecodable += 1  # a real service would alert and park the message
        return
    state.offer(message.key, str(record["meta"]["source_version"]), record)


def main(argv: list[str] | None = None) -> int:
    """Command line: consume, then print a summary (one JSON line with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    parser.add_argument("--schemas", type=Path, required=True, help="folder of .avsc files")
    parser.add_argument("--topic", action="append", required=True, help="topic (repeatable)")
    parser.add_argument("--group", default="example-subscriber", help="consumer group id")
    parser.add_argument("--idle", type=float, default=0, help="stop after N idle seconds")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    schemas = Schemas.load(args.schemas)
    state = asyncio.run(consume(args.bootstrap, args.topic, args.group, schemas, args.idle))
    summary = {
        "received": state.received,
        "applied": state.applied,
        "stale": state.stale,
        "tombstones": state.tombstones,
        "undecodable": state.undecodable,
        "keys": len(state.records),
        "live": len(state.live()),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print("\n".join(f"{k:>12}: {v}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
