"""The cross-check service end to end: real workers, the embedded broker, both intakes."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from hub.codec import AvroCodec
from hub.config import HubSettings
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.mock_options import shared_province
from hub.connect.reader import iter_to_end
from hub.connect.registry import discover
from hub.connect.topics import TopicNames
from hub.crosscheck.app import dossiers_topic, verdicts_topic
from hub.crosscheck.demo_run import running_worker, submit_all
from hub.crosscheck.dossier import dossier_json
from hub.crosscheck.evidence import InMemoryEvidence
from hub.crosscheck.generate import GeneratedDossier, generate_dossiers
from hub.crosscheck.materialise import Materialiser
from hub.crosscheck.store import RocksStore
from hub.province import ProvinceConfig
from hub.trust.keys import KeyStore
from hub.trust.signing import RecordSigner
from tests.dossiers import submit_to_topic

pytestmark = pytest.mark.integration


@pytest.fixture
async def synced(host: ConnectorHost) -> list[GeneratedDossier]:
    """Every connector synced for a small province; its generated dossiers."""
    config = ProvinceConfig(seed=uuid.uuid4().int % 1_000_000, citizens=600, malformed_rate=0)
    options = {"province": config.model_dump()}
    await host.run([ConnectorJob(spec, options) for spec in discover().values()])
    return generate_dossiers(shared_province(config), honest_per_procedure=3).dossiers


async def _verdicts(settings: HubSettings, bootstrap: str) -> dict[str, dict[str, Any]]:
    topic = verdicts_topic(TopicNames(settings.topic_prefix))
    return {
        record.key.decode(): json.loads(record.value)
        async for record in iter_to_end(bootstrap, settings, [topic])
    }


async def _canonical_versions(host: ConnectorHost) -> dict[tuple[str, str, str], set[str]]:
    versions: dict[tuple[str, str, str], set[str]] = {}
    for spec in discover().values():
        for entity in spec.entities:
            topic = host.topics.canonical(spec.name, entity)
            async for record in iter_to_end(host.bootstrap, host.settings, [topic]):
                headers = dict(record.headers)
                key = (spec.name, entity, record.key.decode())
                versions.setdefault(key, set()).add(headers["hub.source_version"].decode())
    return versions


async def _send_raw(settings: HubSettings, bootstrap: str, dossier: dict[str, Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        topic = dossiers_topic(TopicNames(settings.topic_prefix))
        await producer.send_and_wait(topic, json.dumps(dossier, default=str).encode(), key=b"x")
    finally:
        await producer.stop()


async def _wait_for_verdicts(
    settings: HubSettings, bootstrap: str, wanted: set[str], limit_s: float = 90
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for _ in range(int(limit_s)):
        found = await _verdicts(settings, bootstrap)
        if wanted <= set(found):
            return found
        await asyncio.sleep(1)
    missing = len(wanted - set(found))
    raise AssertionError(f"{missing} dossiers got no verdict within {limit_s:.0f}s")


async def test_dossiers_over_http_and_topic_get_verdicts_citing_real_records(
    host: ConnectorHost, synced: list[GeneratedDossier]
) -> None:
    settings, bootstrap = host.settings, host.bootstrap
    over_http, over_topic = synced[:20], synced[20:40]
    async with running_worker(settings, bootstrap) as url:
        answers = await submit_all(url, over_http)
        await submit_to_topic(settings, bootstrap, over_topic)
        refused_on_topic = dossier_json(synced[0].dossier) | {"dossier_id": "REFUSED-1"}
        del refused_on_topic["officer"]
        await _send_raw(settings, bootstrap, refused_on_topic)
        wanted = {g.dossier.dossier_id for g in over_http + over_topic} | {"REFUSED-1"}
        published = await _wait_for_verdicts(settings, bootstrap, wanted)
        assert published["REFUSED-1"]["status"] == "REFUSED"
        assert published["REFUSED-1"]["field"] == "officer"
        async with aiohttp.ClientSession() as session:
            refused = dossier_json(synced[0].dossier)
            del refused["officer"]
            async with session.post(f"{url}/crosscheck", json=refused) as answer:
                assert answer.status == 400
                assert (await answer.json())["field"] == "officer"
            async with session.get(f"{url}/metrics") as scraped:
                exposition = await scraped.text()
            assert 'hub_crosscheck_verdicts_total{status="' in exposition
            assert "hub_crosscheck_verdict_seconds_bucket" in exposition
            assert 'hub_crosscheck_table_keys{table="citizen"}' in exposition
            assert 'hub_consumer_lag_records{group="evidence"' in exposition
    versions = await _canonical_versions(host)
    for generated, verdict in zip(over_http, answers, strict=True):
        assert verdict["dossier_id"] == generated.dossier.dossier_id
        assert verdict["status"] in ("MATCH", "MISMATCH", "REVIEW", "INCONCLUSIVE")
        assert published[verdict["dossier_id"]]["status"] == verdict["status"]
        for rule in verdict["rules"]:
            for cited in rule["citations"]:
                key = (cited["source"], cited["entity"], cited["key"])
                assert cited["source_version"] in versions[key], f"{key[:2]} cited wrongly"
    honest = [g.dossier.dossier_id for g in over_http + over_topic if not g.expected]
    assert all(published[d]["status"] == "MATCH" for d in honest)


async def test_two_workers_share_partitions_and_one_takes_over(
    host: ConnectorHost, synced: list[GeneratedDossier]
) -> None:
    settings, bootstrap = host.settings, host.bootstrap
    first_batch, second_batch = synced[:12], synced[12:30]
    async with AsyncExitStack() as stack:
        url_a = await stack.enter_async_context(running_worker(settings, bootstrap))
        async with running_worker(settings, bootstrap) as url_b:
            await asyncio.sleep(8)  # both in the group: partitions are shared
            via_a = await submit_all(url_a, first_batch)
            via_b = await submit_all(url_b, first_batch)
            assert [v["status"] for v in via_a] == [v["status"] for v in via_b]
        # worker B stopped: A takes over B's partitions and keeps answering both intakes
        again = await submit_all(url_a, first_batch)
        assert [v["status"] for v in again] == [v["status"] for v in via_a]
        await submit_to_topic(settings, bootstrap, second_batch)
        await _wait_for_verdicts(settings, bootstrap, {g.dossier.dossier_id for g in second_batch})


async def test_an_older_version_never_overwrites_a_newer_one(
    settings: HubSettings, bootstrap: str, host: ConnectorHost, keys_dir: Path
) -> None:
    await host.prepare([discover()["population"]])
    signer = RecordSigner(KeyStore(keys_dir).signing_key("population"))
    codec = AvroCodec(host.schemas.get("population", "household"))
    topic = host.topics.canonical("population", "household")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for version in ("3", "3", "1", "2"):  # a duplicate, then late older versions
            value = {
                "household_id": "74000000001",
                "head_pin": "074085983189",
                "members": [{"pin": "074085983189", "relationship": "HEAD"}],
                "address": None,
                "meta": {
                    "source": "population",
                    "source_record_id": "74000000001",
                    "source_version": version,
                    "updated_at": 1_704_067_200_000 + int(version),
                },
            }
            value["address"] = _address()
            headers = [("hub.source", b"population"), ("hub.source_version", version.encode())]
            encoded = codec.encode(value)
            signer.sign_batch([(b"74000000001", encoded, headers)])
            await producer.send_and_wait(topic, encoded, key=b"74000000001",
                                         headers=headers)  # fmt: skip
    finally:
        await producer.stop()
    evidence = InMemoryEvidence()
    stop = asyncio.Event()
    materialiser = Materialiser(bootstrap, settings, host.schemas, [topic], evidence)
    task = asyncio.create_task(materialiser.run(stop))
    assert await materialiser.wait_caught_up(30)
    stop.set()
    await task
    held = evidence.household("74000000001")
    assert held is not None
    assert held.source_version == "3"
    assert (materialiser.applied, materialiser.ignored) == (1, 3)


def _address() -> dict[str, Any]:
    return {
        "raw": "Số 1, đường Yersin, Phường Phú Cường, Thành phố Thủ Dầu Một, Tỉnh Bình Dương",
        "code_system": "OLD_63",
        "as_of": "2024-01-01",
        "province_code": "74",
        "district_code": "718",
        "ward_code": "25747",
        "province_code_2025": None,
        "ward_code_2025": None,
        "ward_name_2025": None,
        "mapping": "UNMAPPED",
        "candidates_2025": [],
    }


async def test_the_rocksdb_store_resumes_without_re_reading(
    settings: HubSettings, bootstrap: str, host: ConnectorHost, tmp_path: Path
) -> None:
    population = discover()["population"]
    options = {"province": {"seed": uuid.uuid4().int % 1_000_000, "citizens": 300}}
    await host.run([ConnectorJob(population, options)])
    topics = [host.topics.canonical("population", e) for e in population.entities]

    async def materialise() -> tuple[Materialiser, InMemoryEvidence]:
        evidence, store = InMemoryEvidence(), RocksStore(tmp_path / "evidence")
        materialiser = Materialiser(bootstrap, settings, host.schemas, topics, evidence, store)
        stop = asyncio.Event()
        task = asyncio.create_task(materialiser.run(stop))
        assert await materialiser.wait_caught_up(60)
        stop.set()
        await task
        store.close()
        return materialiser, evidence

    first, held = await materialise()
    assert first.applied == len(held) > 300
    shared_province(ProvinceConfig(**options["province"])).timeline.advance()
    await host.run([ConnectorJob(population, options)])  # a few changed citizens
    second, reloaded = await materialise()
    assert 0 < second.applied + second.ignored < first.applied / 10, "it re-read everything"
    assert len(reloaded) == len(held)
    province = shared_province(ProvinceConfig(**options["province"]))
    changed = province.timeline.changed_since(datetime.min.replace(tzinfo=UTC))
    person = province.population.person(changed[0].index)
    citizen = reloaded.citizen(person.pin)
    assert citizen is not None
    assert citizen.source_version == str(person.version)
