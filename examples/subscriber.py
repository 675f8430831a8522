"""An example subscriber: decode hub topics with nothing but the published ``.avsc`` files.

It depends on aiokafka, fastavro and cryptography only (no ``hub`` import), as a
ministry's or the province's own service would. It shows the five things every
subscriber does (docs/subscribers.md):

0. verify each record's signature (``hub.signature``, ``hub.key_id``,
   ``hub.signature_path``: an Ed25519 signature of the root of a Merkle tree over a group
   of records, and the record's path to that root) with the sources' public keys (the
   ``.pub`` files of ``--keys``) before using it. A record whose signature is missing or
   bad is refused: counted by reason, reported on stderr
   (topic, partition, offset and reason, never the key) and dead-lettered to
   ``--dead-letter-topic``, by default ``<group>.dlq``: the subscriber's own
   dead-letter topic, named after its consumer group so that two services never mix
   their refusals (the hub's own consumers use ``<prefix><consumer>.dlq`` the same way).
   The dead letter keeps the record's key, value and headers and adds ``hub.error``,
   ``hub.error_class``, ``hub.stage`` (``verify``) and ``hub.original_topic`` /
   ``_partition`` / ``_offset``;
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
        --keys .hub/keys --topic population.citizen --group my-service --idle 5 --json
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import hashlib
import io
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastavro
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastavro.schema import fingerprint, to_parsing_canonical_form

MAGIC = b"\xc3\x01"
#: What a record's leaf covers, after the domain tag: key, value, these headers.
SIGNED_HEADERS = ("hub.message_id", "hub.source", "hub.schema", "hub.source_version")
DOMAIN = b"hub-record-sig-v2"
#: What the Ed25519 signature covers, before the 32-byte root of the group's tree.
BATCH_DOMAIN = b"hub-batch-sig-v2"
TOMBSTONE = b"\x00tombstone"
#: Group signatures already verified, remembered so that a group costs one verification.
VERIFIED_CACHE = 4096
PUB_FILE = re.compile(r"^(?P<principal>[a-z][a-z0-9_]*)\.(?P<fingerprint>[0-9a-f]{16})\.pub$")


def signing_input(key: bytes | None, value: bytes | None, headers: dict[str, bytes]) -> bytes:
    """The bytes a record's leaf covers: each part length-prefixed (4 bytes, big-endian)."""
    parts = [DOMAIN, key or b"", TOMBSTONE if value is None else value]
    parts += [headers.get(name) or b"" for name in SIGNED_HEADERS]
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def root_of_path(leaf: bytes, path: bytes) -> bytes | None:
    """Walk a record's Merkle path (33-byte entries: side, sibling) up to the root."""
    if len(path) % 33 or len(path) > 33 * 32:
        return None
    node = leaf
    for at in range(0, len(path), 33):
        side, sibling = path[at], path[at + 1 : at + 33]
        if side not in (0, 1):
            return None
        pair = sibling + node if side == 0 else node + sibling  # 0: the sibling is on the left
        node = hashlib.sha256(b"\x01" + pair).digest()
    return node


def unb64(text: bytes) -> bytes | None:
    """Decode base64url without padding; None unless ``text`` is exactly that."""
    try:
        data = base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if base64.urlsafe_b64encode(data).rstrip(b"=") == text else None


@dataclass
class TrustedKeys:
    """The sources' public keys, by key id (``<source>.<16 hex of the key's SHA-256>``)."""

    keys: dict[str, tuple[str, Ed25519PublicKey]] = field(default_factory=dict)
    verified: dict[tuple[str, bytes, bytes], None] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> TrustedKeys:
        """Load ``folder/<source>.<fingerprint>.pub``; a file whose name lies is skipped."""
        found = cls()
        for path in sorted(folder.glob("*.pub")):
            match = PUB_FILE.match(path.name)
            key = serialization.load_pem_public_key(path.read_bytes()) if match else None
            if match is None or not isinstance(key, Ed25519PublicKey):
                continue
            raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            if hashlib.sha256(raw).hexdigest()[:16] == match["fingerprint"]:
                found.keys[path.name.removesuffix(".pub")] = (match["principal"], key)
        return found

    def check(
        self, key: bytes | None, value: bytes | None, headers: dict[str, bytes]
    ) -> str | None:
        """None when the record is authentic, else why it is refused."""
        signature, key_id = headers.get("hub.signature"), headers.get("hub.key_id")
        path = headers.get("hub.signature_path")
        if not signature or not key_id or path is None:
            return "missing_signature"
        key_name = key_id.decode("utf-8", "replace")
        trusted = self.keys.get(key_name)
        if trusted is None:
            return "unknown_key"
        principal, public = trusted
        if (headers.get("hub.source") or b"").decode("utf-8", "replace") != principal:
            return "wrong_source"  # a source's key may not speak for another source
        steps = unb64(path)
        leaf = hashlib.sha256(b"\x00" + signing_input(key, value, headers)).digest()
        root = None if steps is None else root_of_path(leaf, steps)
        raw = unb64(signature)
        if root is None or raw is None or len(raw) != 64:
            return "bad_signature"
        if (key_name, root, raw) in self.verified:
            return None  # another record of the same group: its root is verified already
        try:
            public.verify(raw, BATCH_DOMAIN + root)
        except InvalidSignature:
            return "bad_signature"
        self.verified[(key_name, root, raw)] = None  # only what verified
        if len(self.verified) > VERIFIED_CACHE:
            del self.verified[next(iter(self.verified))]  # the oldest
        return None


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
    refused: dict[str, int] = field(default_factory=dict)

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


def kafka_security() -> dict[str, Any]:
    """aiokafka's TLS and SASL arguments, from the hub's ``HUB_KAFKA_*`` variables."""
    import os

    from aiokafka.helpers import create_ssl_context

    env = os.environ.get
    protocol = env("HUB_KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT"
    kwargs: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):  # verifies the broker; a client certificate if given
        kwargs["ssl_context"] = create_ssl_context(
            cafile=env("HUB_KAFKA_SSL_CAFILE") or None,
            certfile=env("HUB_KAFKA_SSL_CERTFILE") or None,
            keyfile=env("HUB_KAFKA_SSL_KEYFILE") or None,
            password=env("HUB_KAFKA_SSL_KEY_PASSWORD") or None,
        )
    if protocol.startswith("SASL"):
        kwargs["sasl_mechanism"] = env("HUB_KAFKA_SASL_MECHANISM") or "SCRAM-SHA-512"
        kwargs["sasl_plain_username"] = env("HUB_KAFKA_SASL_USERNAME")
        kwargs["sasl_plain_password"] = env("HUB_KAFKA_SASL_PASSWORD")
    return kwargs


async def consume(
    bootstrap: str,
    topics: list[str],
    group: str,
    schemas: Schemas,
    idle_s: float,
    keys: TrustedKeys | None = None,
    dead_letter_topic: str | None = None,
) -> LatestByKey:
    """Consume ``topics`` in consumer group ``group`` until ``idle_s`` pass without records
    (``idle_s`` <= 0: forever). With ``keys``, refused records go to ``dead_letter_topic``
    (default ``<group>.dlq``)."""
    state = LatestByKey()
    dead_letters = DeadLetters(bootstrap, dead_letter_topic or f"{group}.dlq")
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=True,
        **kafka_security(),
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
            refused = []
            for messages in batches.values():
                for message in messages:
                    reason = handle(state, schemas, message, keys)
                    if reason is not None:
                        refused.append((message, reason))
            await dead_letters.send(refused)  # before the next poll commits past them
    finally:
        await consumer.stop()
        await dead_letters.stop()
    return state


class DeadLetters:
    """The subscriber's dead-letter topic (created on first use)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.producer: AIOKafkaProducer | None = None

    async def send(self, refused: list[tuple[Any, str]]) -> None:
        """Publish each refused (message, reason), and wait for the acknowledgements."""
        if not refused:
            return
        if self.producer is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, **kafka_security())
            await admin.start()
            try:
                await admin.create_topics([NewTopic(self.topic, 1, 1)])
            except TopicAlreadyExistsError:
                pass
            finally:
                await admin.close()
            self.producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap, acks="all", **kafka_security()
            )
            await self.producer.start()
        sent = []
        for message, reason in refused:
            headers = [
                *(message.headers or ()),
                ("hub.error", f"signature check failed: {reason}".encode()),
                ("hub.error_class", reason.encode()),
                ("hub.stage", b"verify"),
                ("hub.original_topic", message.topic.encode()),
                ("hub.original_partition", str(message.partition).encode()),
                ("hub.original_offset", str(message.offset).encode()),
            ]
            sent.append(
                await self.producer.send(self.topic, message.value, message.key, headers=headers)
            )
        await asyncio.gather(*sent)

    async def stop(self) -> None:
        """Stop the producer, if one was started."""
        if self.producer is not None:
            await self.producer.stop()


def handle(
    state: LatestByKey, schemas: Schemas, message: Any, keys: TrustedKeys | None = None
) -> str | None:
    """Verify and decode one Kafka message and offer it to ``state``; the reason it was
    refused, or None."""
    if keys is not None:
        reason = keys.check(message.key, message.value, dict(message.headers or ()))
        if reason is not None:
            state.refused[reason] = state.refused.get(reason, 0) + 1
            print(
                f"refused {message.topic}[{message.partition}]@{message.offset}: {reason}",
                file=sys.stderr,
            )
            return reason
    headers = {name: value.decode() for name, value in message.headers or ()}
    if message.value is None:  # tombstone: the version is in the header
        state.offer(message.key, headers.get("hub.source_version", ""), None)
        return None
    try:
        record = schemas.decode(message.value)
    except ValueError:
        state.undecodable += 1  # a real service would alert and park the message
        return None
    state.offer(message.key, str(record["meta"]["source_version"]), record)
    return None


def main(argv: list[str] | None = None) -> int:
    """Command line: consume, then print a summary (one JSON line with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    parser.add_argument("--schemas", type=Path, required=True, help="folder of .avsc files")
    parser.add_argument("--topic", action="append", required=True, help="topic (repeatable)")
    parser.add_argument("--group", default="example-subscriber", help="consumer group id")
    parser.add_argument("--idle", type=float, default=0, help="stop after N idle seconds")
    parser.add_argument(
        "--keys", type=Path, default=Path(os.environ.get("HUB_TRUST_KEYS_DIR", ".hub/keys")),
        help="folder of the sources' .pub files (default: HUB_TRUST_KEYS_DIR or .hub/keys)",
    )  # fmt: skip
    parser.add_argument("--no-verify", action="store_true", help="skip signature checks")
    parser.add_argument("--dead-letter-topic", help="where refused records go (<group>.dlq)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    schemas = Schemas.load(args.schemas)
    keys = None if args.no_verify else TrustedKeys.load(args.keys)
    if keys is not None and not keys.keys:
        print(f"no public keys in {args.keys}: every record will be refused", file=sys.stderr)
    state = asyncio.run(
        consume(args.bootstrap, args.topic, args.group, schemas, args.idle, keys,
                args.dead_letter_topic)
    )  # fmt: skip
    summary = {
        "received": state.received,
        "applied": state.applied,
        "stale": state.stale,
        "tombstones": state.tombstones,
        "undecodable": state.undecodable,
        "refused": sum(state.refused.values()),
        "refused_by_reason": state.refused,
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
