"""The cross-check service under faults: a worker killed mid-stream, fuzzed dossiers.

* Two ``hub crosscheck worker`` processes share the dossiers topic; one is killed with
  SIGKILL while dossiers stream in. After the group rebalances, every dossier has a
  verdict on the verdicts topic, and de-duplicated by dossier id exactly one final verdict
  (a re-processed dossier's duplicates agree).
* Dossiers fuzzed with hypothesis (arbitrary JSON, wrong types, missing fields, huge
  strings, bytes that are not JSON) are POSTed to a running worker: every answer is 200
  with a verdict or 400 with a JSON body naming the error and the field; never a 5xx, and
  the worker stays up.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as fuzzing
from hypothesis import strategies as st

from hub.broker.embedded import free_port
from hub.cli.audit import verify_log
from hub.config import HubSettings
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.mock_options import shared_province
from hub.connect.reader import iter_to_end
from hub.connect.registry import discover
from hub.connect.topics import TopicNames
from hub.crosscheck.app import verdicts_topic
from hub.crosscheck.demo_run import _wait_ready
from hub.crosscheck.dossier import dossier_json
from hub.crosscheck.generate import generate_dossiers
from hub.province import Province, ProvinceConfig
from tests.dossiers import submit_to_topic

pytestmark = pytest.mark.integration

VERDICTS = ("MATCH", "MISMATCH", "REVIEW", "INCONCLUSIVE")


def _worker_env(settings: HubSettings, bootstrap: str, port: int, data_dir: str) -> dict[str, str]:
    """The environment ``running_worker`` gives a worker (hub.crosscheck.demo_run)."""
    return {
        **os.environ,
        "HUB_KAFKA_BOOTSTRAP": bootstrap,
        "HUB_TOPIC_PREFIX": settings.topic_prefix,
        "HUB_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "HUB_CROSSCHECK_WEB_PORT": str(port),
        "HUB_CROSSCHECK_DATA_DIR": data_dir,
        "HUB_METRICS_ENABLED": "false",
    }


@contextlib.contextmanager
def _worker(settings: HubSettings, bootstrap: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A ``hub crosscheck worker`` process (not waited for): its URL and the process, so
    that a test can kill it."""
    port = free_port()
    with (
        tempfile.TemporaryDirectory(prefix="hub-crosscheck-") as data_dir,
        open(os.environ.get("HUB_CROSSCHECK_LOG", os.devnull), "ab") as log_file,
    ):
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.cli.main", "crosscheck", "worker"],
            env=_worker_env(settings, bootstrap, port, data_dir),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log_file,
        )  # fmt: skip
        try:
            yield f"http://127.0.0.1:{port}", process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


# --- a worker killed while dossiers stream in ----------------------------------------------


@pytest.fixture
async def province(host: ConnectorHost) -> Province:
    """A small province synced into this test's topics by every connector."""
    config = ProvinceConfig(seed=uuid.uuid4().int % 1_000_000, citizens=600, malformed_rate=0)
    options = {"province": config.model_dump()}
    await host.run([ConnectorJob(spec, options) for spec in discover().values()])
    return shared_province(config)


async def _published_verdicts(settings: HubSettings, bootstrap: str) -> list[dict[str, Any]]:
    """Every verdict on the verdicts topic, duplicates included, in topic order."""
    topic = verdicts_topic(TopicNames(settings.topic_prefix))
    return [json.loads(r.value) async for r in iter_to_end(bootstrap, settings, [topic])]


async def test_a_killed_worker_loses_no_dossier(host: ConnectorHost, province: Province) -> None:
    settings, bootstrap = host.settings, host.bootstrap
    generated = generate_dossiers(province, honest_per_procedure=8).dossiers
    batches = [generated[n : n + 10] for n in range(0, len(generated), 10)]
    wanted = {g.dossier.dossier_id for g in generated}
    with _worker(settings, bootstrap) as (url_a, a), _worker(settings, bootstrap) as (url_b, b):
        await asyncio.gather(_wait_ready(url_a, a), _wait_ready(url_b, b))
        await asyncio.sleep(8)  # both workers joined the group: each owns partitions
        killed_at = len(batches) // 3
        for n, batch in enumerate(batches):
            if n == killed_at:
                b.send_signal(signal.SIGKILL)
                assert b.wait(timeout=10) == -signal.SIGKILL
            await submit_to_topic(settings, bootstrap, batch)
            await asyncio.sleep(0.2)
        found = await _all_verdicts(settings, bootstrap, wanted, limit_s=60)
    # The audit log shows the kill: one chain per worker, the survivor's closed at its clean
    # stop, the killed one's left open, and both intact.
    audit = await verify_log(settings, bootstrap)
    assert audit.intact, audit.breaks
    chains = sorted(audit.chains.values(), key=lambda c: c.closed)
    assert [c.closed for c in chains] == [False, True], "not one killed and one stopped worker"
    by_id: dict[str, set[str]] = {}
    for verdict in found:
        by_id.setdefault(verdict["dossier_id"], set()).add(verdict["status"])
    assert set(by_id) == wanted, "a verdict for a dossier nobody submitted"
    disagreeing = [d for d, statuses in by_id.items() if len(statuses) != 1]
    assert not disagreeing, f"{len(disagreeing)} dossiers got verdicts that disagree"
    final = {d: statuses.pop() for d, statuses in by_id.items()}
    assert all(status in VERDICTS for status in final.values())
    honest = [g.dossier.dossier_id for g in generated if not g.expected]
    assert honest and all(final[d] == "MATCH" for d in honest)


async def _all_verdicts(
    settings: HubSettings, bootstrap: str, wanted: set[str], limit_s: float
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + limit_s
    while True:
        found = await _published_verdicts(settings, bootstrap)
        missing = wanted - {v["dossier_id"] for v in found}
        if not missing:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(missing)} of {len(wanted)} dossiers got no verdict")
        await asyncio.sleep(1)


# --- fuzzed dossiers over HTTP ---------------------------------------------------------------

#: Any JSON value, nested a little.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)  # fmt: skip
HUGE = st.integers(50_000, 400_000).map(lambda n: "Nguyễn " * (n // 7))


def _samples() -> list[dict[str, Any]]:
    config = ProvinceConfig(seed=31, citizens=300, malformed_rate=0)
    dossiers = generate_dossiers(Province(config), honest_per_procedure=2).dossiers
    return [dossier_json(g.dossier) for g in dossiers]


SAMPLES = _samples()


@st.composite
def damaged(draw: st.DrawFn) -> dict[str, Any]:
    """A real dossier with one to three fields dropped or given another value (a JSON
    value of any type, or a huge string), at any depth."""
    dossier: dict[str, Any] = json.loads(json.dumps(draw(st.sampled_from(SAMPLES))))
    for _ in range(draw(st.integers(1, 3))):
        node: Any = dossier
        while isinstance(node, dict | list) and node and draw(st.booleans()):
            at = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
            if not isinstance(node[at], dict | list) or not node[at]:
                break
            node = node[at]
        if not isinstance(node, dict | list) or not node:
            continue
        at = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        if isinstance(node, dict) and draw(st.booleans()):
            del node[at]
        else:
            node[at] = draw(JSON | HUGE)
    return dossier


BODIES = st.one_of(
    damaged().map(lambda d: json.dumps(d, ensure_ascii=False).encode()),
    JSON.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=300),
    st.text(max_size=200).map(str.encode),
)


@pytest.fixture
def worker(settings: HubSettings, bootstrap: str) -> Iterator[str]:
    """A worker on this test's (empty) topics, ready to answer."""
    with _worker(settings, bootstrap) as (url, process):
        asyncio.run(_wait_ready(url, process))
        yield url


def _post(url: str, body: bytes) -> tuple[int, Any]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("POST", "/crosscheck", body, {"Content-Type": "application/json"})
        answer = connection.getresponse()
        text = answer.read()
    finally:
        connection.close()
    try:
        return answer.status, json.loads(text)
    except ValueError:
        return answer.status, text


@fuzzing(
    max_examples=150, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(body=BODIES)
@example(body=b"[" * 5_000)  # nested too deeply for the JSON parser's recursion
@example(body=b"\xff\xfe not UTF-8")
@example(body=b"")
@example(body=json.dumps({"dossier_id": "x" * (1 << 20)}).encode())  # over the size limit
@example(body=json.dumps(SAMPLES[0]).encode())  # a valid dossier is answered
def test_fuzzed_dossiers_get_a_verdict_or_a_clear_error(worker: str, body: bytes) -> None:
    status, answer = _post(worker, body)
    assert status in (200, 400, 413), f"answered {status}: {str(answer)[:300]}"
    assert isinstance(answer, dict), "the answer is not a JSON object"
    if status == 200:
        assert answer["status"] in VERDICTS
        assert answer["dossier_id"]
    else:
        assert answer["status"] == "REFUSED"
        assert isinstance(answer["error"], str) and answer["error"]
        assert "field" in answer  # None when the body as a whole is refused
    with urllib.request.urlopen(f"{worker}/health", timeout=10) as alive:
        assert alive.status == 200
