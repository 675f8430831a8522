"""The cross-check's record screen: refusals per chunk, keys re-read after a rotation."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from hub.config import load_settings
from hub.connect import headers as h
from hub.connect.topics import TopicNames
from hub.crosscheck import screening
from hub.crosscheck.screening import RecordScreen, refused_topic, source_of_topic
from hub.metrics import HubMetrics
from hub.trust.batch import BatchVerifier
from hub.trust.keys import KeyStore, generate_key_pair
from hub.trust.signing import RecordSigner, Refusal


@dataclass
class _Record:
    """The parts of an aiokafka ConsumerRecord the screen reads."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def _signed(signer: RecordSigner, n: int) -> _Record:
    key, value = f"{n:012d}".encode(), b"\xc3\x01payload-%d" % n
    headers = [(h.SOURCE, b"population"), (h.SOURCE_VERSION, b"1")]
    signer.sign_batch([(key, value, headers)])
    return _Record("t.population.citizen", key, value, headers)


def _screen(keys: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[RecordScreen, HubMetrics]:
    monkeypatch.setenv("HUB_TRUST_KEYS_DIR", str(keys))
    settings = load_settings(topic_prefix="t.")
    metrics = HubMetrics(CollectorRegistry())
    verifier = BatchVerifier({}, workers=0)  # inline: this test is about the screen
    topics = ["t.population.citizen", "t.tax.taxpayer"]
    return RecordScreen("unused:9092", settings, topics, metrics, verifier=verifier), metrics


async def _refusals(screen: RecordScreen, records: list[_Record]) -> list[Refusal | None]:
    out: list[Refusal | None] = []
    for _, verdicts in screen.submit(records):
        out += await verdicts
    return out


def test_topic_names_and_sources() -> None:
    assert refused_topic(TopicNames("t1.")) == "t1.crosscheck.dlq"
    assert source_of_topic("t1.population.citizen", "t1.") == "population"
    assert source_of_topic("tax.taxpayer", "") == "tax"


def test_refusal_series_start_at_zero_for_every_source_and_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, metrics = _screen(tmp_path, monkeypatch)
    for source in ("population", "tax"):
        for reason in Refusal:
            labels = {"consumer": "crosscheck", "source": source, "reason": reason.value}
            assert metrics.registry.get_sample_value("hub_records_refused_total", labels) == 0


def test_a_rotated_key_is_trusted_once_its_public_key_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys, elsewhere = tmp_path / "keys", tmp_path / "elsewhere"
    generate_key_pair("population", keys)
    screen, _ = _screen(keys, monkeypatch)
    monkeypatch.setattr(screening, "RELOAD_UNKNOWN_EVERY_S", 0.0)
    old = RecordSigner(KeyStore(keys, environ={}).signing_key("population"))
    new_pair = generate_key_pair("population", elsewhere)  # the source rotated its key...
    new = RecordSigner(KeyStore(elsewhere, environ={}).signing_key("population"))
    records = [_signed(old, 1), _signed(new, 2)]
    assert asyncio.run(_refusals(screen, records)) == [None, Refusal.UNKNOWN_KEY]
    (keys / new_pair.public_path.name).write_bytes(new_pair.public_path.read_bytes())  # ...here
    assert asyncio.run(_refusals(screen, records)) == [None, None]
