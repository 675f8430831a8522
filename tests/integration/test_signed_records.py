"""Signed records end to end: a connector signs, the cross-check refuses tampered copies."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from hub.config import HubSettings
from hub.connect import headers as h
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.reader import iter_to_end
from hub.connect.registry import discover
from hub.crosscheck.evidence import InMemoryEvidence
from hub.crosscheck.materialise import Materialiser
from hub.crosscheck.screening import refused_topic
from hub.errors import ConfigurationError
from hub.metrics import HubMetrics
from hub.trust.keys import KeyStore
from hub.trust.signing import RecordVerifier, Refusal

pytestmark = pytest.mark.integration

POPULATION = discover()["population"]
Record = Any  # aiokafka's ConsumerRecord


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _other_digit(key: bytes) -> bytes:
    """``key`` with its last digit changed: one byte, and another (unknown) subject."""
    return key[:-1] + (b"0" if key[-1:] != b"0" else b"1")


async def _materialise(
    settings: HubSettings, bootstrap: str, host: ConnectorHost, topic: str, metrics: HubMetrics
) -> tuple[Materialiser, InMemoryEvidence]:
    evidence = InMemoryEvidence()
    materialiser = Materialiser(
        bootstrap, settings, host.schemas, [topic], evidence, metrics=metrics
    )
    stop = asyncio.Event()
    task = asyncio.create_task(materialiser.run(stop))
    assert await materialiser.wait_caught_up(60)
    stop.set()
    await task
    return materialiser, evidence


async def test_connectors_sign_and_the_crosscheck_refuses_tampered_records(
    settings: HubSettings, bootstrap: str, host: ConnectorHost, keys_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    options = {"province": {"seed": uuid.uuid4().int % 1_000_000, "citizens": 150,
                            "malformed_rate": 0.0}}  # fmt: skip
    await host.run([ConnectorJob(POPULATION, options)])
    verifier = RecordVerifier(KeyStore(keys_dir).trusted_keys())
    signing_key = KeyStore(keys_dir).signing_key("population").key_id.encode()
    for entity in POPULATION.entities:
        topic = host.topics.canonical("population", entity)
        records = [r async for r in iter_to_end(bootstrap, settings, [topic])]
        assert records
        for record in records:
            assert dict(record.headers)[h.KEY_ID] == signing_key
            assert verifier.check(record.key, record.value, list(record.headers)) is None

    topic = host.topics.canonical("population", "citizen")
    genuine = [r async for r in iter_to_end(bootstrap, settings, [topic])]
    original: Record = genuine[0]
    headers = list(original.headers)
    unsigned = [(n, v) for n, v in headers if n not in (h.SIGNATURE, h.KEY_ID)]
    newer = [(n, b"999999" if n == h.SOURCE_VERSION else v) for n, v in unsigned]
    forged = [  # (key, value, headers, why it must be refused)
        (original.key, _flip(original.value, len(original.value) // 2), headers,
         Refusal.BAD_SIGNATURE),
        (_other_digit(original.key), original.value, headers, Refusal.BAD_SIGNATURE),
        (original.key, original.value, unsigned, Refusal.MISSING_SIGNATURE),
        (original.key, None, newer, Refusal.MISSING_SIGNATURE),  # a forged deletion
    ]  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    positions = []
    try:
        for key, value, forged_headers, _ in forged:
            sent = await producer.send_and_wait(topic, value, key, headers=forged_headers)
            positions.append((sent.partition, sent.offset))
    finally:
        await producer.stop()

    metrics = HubMetrics(CollectorRegistry())
    materialiser, evidence = await _materialise(settings, bootstrap, host, topic, metrics)
    assert materialiser.refused == len(forged)
    assert materialiser.applied == len(genuine) == len(evidence)
    pin = original.key.decode()
    held = evidence.citizen(pin)
    assert held is not None and held.source_version == dict(headers)[h.SOURCE_VERSION].decode()
    assert evidence.citizen(_other_digit(original.key).decode()) is None

    letters = [r async for r in iter_to_end(bootstrap, settings, [refused_topic(host.topics)])]
    assert len(letters) == len(forged)
    by_position = {
        (int(dict(r.headers)[h.ORIGINAL_PARTITION]), int(dict(r.headers)[h.ORIGINAL_OFFSET])): r
        for r in letters
    }
    for (key, value, forged_headers, reason), position in zip(forged, positions, strict=True):
        letter = by_position[position]
        found = dict(letter.headers)
        assert (letter.key, letter.value) == (key, value)
        assert list(letter.headers)[: len(forged_headers)] == forged_headers  # all kept
        assert found[h.ERROR] == reason.describe().encode()
        assert found[h.ERROR_CLASS] == reason.value.encode()
        assert found[h.STAGE] == b"verify"
        assert found[h.ORIGINAL_TOPIC] == topic.encode()
    sample = metrics.registry.get_sample_value
    labels = {"consumer": "crosscheck", "source": "population"}
    assert sample("hub_records_refused_total", {**labels, "reason": "bad_signature"}) == 2
    assert sample("hub_records_refused_total", {**labels, "reason": "missing_signature"}) == 2
    assert sample("hub_records_refused_total", {**labels, "reason": "unknown_key"}) == 0

    # Without verification the same records would have been taken for evidence.
    monkeypatch.setenv("HUB_TRUST_VERIFY_SIGNATURES", "false")
    control = HubMetrics(CollectorRegistry())
    unchecked, fooled = await _materialise(settings, bootstrap, host, topic, control)
    assert unchecked.refused == 0
    assert fooled.citizen(_other_digit(original.key).decode()) is not None
    assert fooled.citizen(pin) is None  # deleted by the forged tombstone


async def test_a_connector_without_a_key_fails_at_start(
    host: ConnectorHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_TRUST_KEYS_DIR", str(tmp_path / "empty"))
    monkeypatch.delenv("HUB_TRUST_KEY_POPULATION", raising=False)
    options = {"province": {"seed": 3, "citizens": 20}}
    with pytest.raises(ConfigurationError) as caught:
        await host.run([ConnectorJob(POPULATION, options)])
    assert caught.value.field == "HUB_TRUST_KEYS_DIR"
    topic = host.topics.canonical("population", "citizen")
    assert [r async for r in iter_to_end(host.bootstrap, host.settings, [topic])] == []
