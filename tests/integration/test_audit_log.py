"""The audit log end to end: a real worker, the embedded broker, the CLI reading it back."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from hub.cli.audit import accesses_of, verify_log
from hub.cli.main import main
from hub.codec import SchemaStore
from hub.config import HubSettings
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.mock_options import shared_province
from hub.connect.reader import iter_to_end
from hub.connect.registry import discover
from hub.connect.topics import TopicNames, TopicSpec, ensure_topics
from hub.crosscheck.app import verdicts_topic
from hub.crosscheck.demo_run import running_worker, submit_all
from hub.crosscheck.dossier import dossier_json
from hub.crosscheck.generate import GeneratedDossier, generate_dossiers
from hub.province import ProvinceConfig
from hub.trust.audit_log import TOPIC_CONFIG, audit_topic, read_audit
from hub.trust.policy import DEFAULT_POLICY_FILE, load_policy, policy_hash
from tests.dossiers import submit_to_topic

pytestmark = pytest.mark.integration


@pytest.fixture
async def synced(host: ConnectorHost) -> list[GeneratedDossier]:
    config = ProvinceConfig(seed=uuid.uuid4().int % 1_000_000, citizens=500, malformed_rate=0)
    await host.run([ConnectorJob(spec, {"province": config.model_dump()})
                    for spec in discover().values()])  # fmt: skip
    return generate_dossiers(shared_province(config), honest_per_procedure=2).dossiers


async def _published(settings: HubSettings, bootstrap: str, wanted: set[str]) -> None:
    topic = verdicts_topic(TopicNames(settings.topic_prefix))
    for _ in range(90):
        found = {r.key.decode() async for r in iter_to_end(bootstrap, settings, [topic])}
        if wanted <= found:
            return
        await asyncio.sleep(1)
    raise AssertionError(f"{len(wanted - found)} dossiers got no verdict")


def _accesses(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["body"]["dossier_id"]: e for e in entries if e["kind"] == "access"}


async def _entries(settings: HubSettings, bootstrap: str) -> list[dict[str, Any]]:
    topic = audit_topic(TopicNames(settings.topic_prefix))
    return [json.loads(r.value) for r in await read_audit(bootstrap, settings, topic)]


async def _copy_with_a_flipped_byte(
    settings: HubSettings, bootstrap: str, index: int, position: int
) -> str:
    """The audit topic copied record by record to a new topic, one byte of one flipped."""
    source = audit_topic(TopicNames(settings.topic_prefix))
    copy = f"{source}.tampered"
    records = sorted(await read_audit(bootstrap, settings, source),
                     key=lambda r: (r.partition, r.offset))  # fmt: skip
    spec = TopicSpec(copy, settings.topic_partitions, dict(TOPIC_CONFIG))
    await ensure_topics(bootstrap, settings, [spec])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for i, record in enumerate(records):
            value = bytearray(record.value or b"")
            if i == index:
                value[position] ^= 0x01
            await producer.send_and_wait(copy, bytes(value), key=record.key,
                                         partition=record.partition)  # fmt: skip
    finally:
        await producer.stop()
    return copy


async def test_every_access_is_audited_the_chain_verifies_and_tampering_is_found(
    host: ConnectorHost,
    synced: list[GeneratedDossier],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, bootstrap = host.settings, host.bootstrap
    over_http, over_topic = synced[:8], synced[8:14]
    monkeypatch.setenv("HUB_CROSSCHECK_AUDIT_SEAL_S", "1")
    async with running_worker(settings, bootstrap) as url:
        answers = await submit_all(url, over_http)
        # each answer came after its entry was acknowledged: all are there already
        audited = _accesses(await _entries(settings, bootstrap))
        assert {g.dossier.dossier_id for g in over_http} <= set(audited)
        async with aiohttp.ClientSession() as session:
            for field in ("procedure", "dossier_id", "officer"):
                refused = dossier_json(synced[0].dossier) | {"dossier_id": f"REFUSED-{field}"}
                del refused[field]
                async with session.post(f"{url}/crosscheck", json=refused) as answer:
                    assert answer.status == 400, field
                    assert (await answer.json())["field"] == field
        await submit_to_topic(settings, bootstrap, over_topic)
        await _published(settings, bootstrap, {g.dossier.dossier_id for g in over_topic})
        for _ in range(50):  # quiet now: the tail gets its checkpoint within a second
            tail = (await _entries(settings, bootstrap))[-1]
            if tail["kind"] == "checkpoint":
                break
            await asyncio.sleep(0.2)
        assert tail["kind"] == "checkpoint" and not tail["body"]["closing"]
    entries = await _entries(settings, bootstrap)  # the worker stopped: its chain is closed
    accesses = _accesses(entries)
    dossiers = over_http + over_topic
    assert len([e for e in entries if e["kind"] == "access"]) == len(dossiers) + 3
    assert entries[0]["kind"] == "policy" and entries[0]["body"]["consumer"] == "crosscheck"
    active = policy_hash(load_policy(DEFAULT_POLICY_FILE, SchemaStore(settings.schemas_dir)))
    assert entries[0]["body"]["policy_hash"] == active  # the policy in force is logged
    assert {e["body"]["policy"] for e in accesses.values()} == {active}
    logged = json.dumps(entries, ensure_ascii=False)
    for generated in over_http + over_topic:  # subject identifiers only: no names
        assert generated.dossier.applicant.full_name not in logged
    assert entries[-1]["kind"] == "checkpoint" and entries[-1]["body"]["closing"]
    for generated, verdict in zip(over_http, answers, strict=True):
        body = accesses[generated.dossier.dossier_id]["body"]
        assert body["status"] == verdict["status"]
        assert body["officer"] == generated.dossier.officer
        assert generated.dossier.applicant.pin in body["subjects"]
        assert {r["source"] for r in body["reads"]} >= {"population"}
    refusal = accesses["REFUSED-officer"]["body"]
    assert (refusal["status"], refusal["field"], refusal["subjects"]) == ("REFUSED", "officer", [])
    assert accesses[None]["body"]["field"] == "dossier_id"

    checked = await verify_log(settings, bootstrap)
    assert checked.intact, checked.breaks
    (chain,) = checked.chains.values()
    assert chain.closed and chain.accesses == len(dossiers) + 3

    applicant = over_http[0].dossier.applicant.pin
    found = await accesses_of(settings, bootstrap, applicant)
    assert found["log_intact"]
    assert over_http[0].dossier.dossier_id in {a["dossier_id"] for a in found["accesses"]}

    monkeypatch.setenv("HUB_KAFKA_BOOTSTRAP", bootstrap)
    monkeypatch.setenv("HUB_TOPIC_PREFIX", settings.topic_prefix)
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["audit", "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["intact"] is True
    assert await asyncio.to_thread(main, ["audit", "who-accessed", applicant, "--json"]) == 0
    answered = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert answered["accesses"][0]["officer"] == over_http[0].dossier.officer

    index = [i for i, e in enumerate(entries) if e["kind"] == "access"][3]
    copy = await _copy_with_a_flipped_byte(settings, bootstrap, index, position=40)
    tampered = await verify_log(settings, bootstrap, copy)
    assert not tampered.intact
    assert tampered.breaks[0].offset == index
    assert await asyncio.to_thread(main, ["audit", "verify", "--topic", copy, "--json"]) == 1
    reported = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert reported["first_break"]["offset"] == index


def test_a_worker_refuses_to_start_with_an_invalid_policy(
    settings: HubSettings, bootstrap: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('version = "1"\n[consumers.crosscheck]\n[[consumers.crosscheck.grants]]\n'
                      'procedure = "LAND_TRANSFER"\nsource = "population"\n'
                      'entity = "citizen"\nfields = ["religion"]\n', encoding="utf-8")  # fmt: skip
    env = {
        **os.environ, "HUB_KAFKA_BOOTSTRAP": bootstrap, "HUB_TOPIC_PREFIX": settings.topic_prefix,
        "HUB_CROSSCHECK_POLICY_FILE": str(policy), "HUB_CROSSCHECK_DATA_DIR": str(tmp_path),
    }  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli.main", "crosscheck", "worker"], env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "consumers.crosscheck.grants[0].legal_basis" in done.stderr
