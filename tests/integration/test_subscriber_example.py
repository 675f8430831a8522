"""``examples/subscriber.py`` against the embedded broker after a population sync."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.reader import iter_to_end
from hub.connect.registry import discover

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
POPULATION = discover()["population"]


async def subscribe(
    bootstrap: str, schemas: Path, keys: Path, topic: str, group: str
) -> dict[str, Any]:
    """Run the example subscriber until the topic is idle; its JSON summary (and stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(REPO / "examples" / "subscriber.py"), "--bootstrap", bootstrap,
        "--schemas", str(schemas), "--keys", str(keys), "--topic", topic, "--group", group,
        "--idle", "3", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    summary: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    summary["stderr"] = err.decode()
    return summary


def public_keys(keys_dir: Path, into: Path) -> Path:
    """What a subscriber was handed: the sources' public keys, no private key."""
    into.mkdir()
    for pub in keys_dir.glob("*.pub"):
        shutil.copy(pub, into)
    return into


async def test_the_example_subscriber_decodes_with_the_avsc_files_only(
    host: ConnectorHost, tmp_path: Path, keys_dir: Path
) -> None:
    citizens = 400
    options = {"province": {"seed": 23, "citizens": citizens, "malformed_rate": 0.0}}
    await host.run([ConnectorJob(POPULATION, options)])
    published = tmp_path / "avsc"  # what a subscriber was handed: the .avsc files, nothing else
    published.mkdir()
    for avsc in (REPO / "schemas" / "population").glob("*.avsc"):
        shutil.copy(avsc, published)
    keys = public_keys(keys_dir, tmp_path / "pub")
    topic = host.topics.canonical("population", "citizen")

    first = await subscribe(host.bootstrap, published, keys, topic, f"svc-{uuid.uuid4().hex[:8]}")
    assert first["undecodable"] == first["refused"] == 0
    assert first["received"] == first["applied"] == first["live"] == citizens

    for stream in POPULATION.streams:  # a resync: the same records are published again
        await host.cursors.reset("population", stream.name)
    await host.run([ConnectorJob(POPULATION, options)])
    again = await subscribe(host.bootstrap, published, keys, topic, f"svc-{uuid.uuid4().hex[:8]}")
    assert again["received"] == 2 * citizens
    assert again["applied"] == citizens, "a replayed version changed the subscriber's state"
    assert again["stale"] == citizens
    assert again["live"] == citizens


async def test_the_example_subscriber_refuses_a_tampered_record(
    host: ConnectorHost, tmp_path: Path, keys_dir: Path
) -> None:
    options = {"province": {"seed": 29, "citizens": 50, "malformed_rate": 0.0}}
    await host.run([ConnectorJob(POPULATION, options)])
    topic = host.topics.canonical("population", "citizen")
    genuine = [r async for r in iter_to_end(host.bootstrap, host.settings, [topic])]
    original = genuine[0]
    value = bytearray(original.value)
    value[len(value) // 2] ^= 0x01  # one byte, one bit
    producer = AIOKafkaProducer(bootstrap_servers=host.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, bytes(value), original.key,
                                     headers=list(original.headers))  # fmt: skip
    finally:
        await producer.stop()
    schemas = REPO / "schemas" / "population"
    group = f"svc-{uuid.uuid4().hex[:8]}"
    summary = await subscribe(
        host.bootstrap, schemas, public_keys(keys_dir, tmp_path / "pub"), topic, group
    )
    assert summary["refused_by_reason"] == {"bad_signature": 1}
    assert summary["received"] == summary["live"] == len(genuine) == 50
    assert "bad_signature" in summary["stderr"]
    assert original.key.decode() not in summary["stderr"]  # never the subject's identifier
    (letter,) = [r async for r in iter_to_end(host.bootstrap, host.settings, [f"{group}.dlq"])]
    headers = dict(letter.headers)
    assert letter.value == bytes(value) and letter.key == original.key
    assert headers["hub.error_class"] == b"bad_signature" and headers["hub.stage"] == b"verify"
    assert headers["hub.original_topic"] == topic.encode()
    assert headers["hub.signature"] == dict(original.headers)["hub.signature"]
