"""The demo's cross-check step: start a worker, submit the province's dossiers, score them.

A real worker process (``hub crosscheck worker``) is started on the demo's cluster and
topics, exactly as it runs in production; once it has materialised the canonical topics
(``/ready``), the dossiers generated from the synthetic province are submitted over HTTP
and every verdict is compared with the generator's ground truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from hub.broker.embedded import free_port
from hub.config import HubSettings
from hub.crosscheck.accuracy import VerdictView, evaluate
from hub.crosscheck.dossier import dossier_json
from hub.crosscheck.generate import GeneratedDossier, generate_dossiers
from hub.errors import HubError
from hub.province import Province

READY_TIMEOUT_S = 120.0
CONCURRENCY = 8


@contextlib.asynccontextmanager
async def running_worker(settings: HubSettings, bootstrap: str) -> AsyncIterator[str]:
    """Run ``hub crosscheck worker`` on a free port; yield its URL once it is ready."""
    port = free_port()
    with (
        tempfile.TemporaryDirectory(prefix="hub-crosscheck-") as data_dir,
        open(os.environ.get("HUB_CROSSCHECK_LOG", os.devnull), "ab") as log_file,  # noqa: ASYNC230
    ):
        env = {
            **os.environ,
            "HUB_KAFKA_BOOTSTRAP": bootstrap,
            "HUB_TOPIC_PREFIX": settings.topic_prefix,
            "HUB_TOPIC_PARTITIONS": str(settings.topic_partitions),
            "HUB_CROSSCHECK_WEB_PORT": str(port),
            "HUB_CROSSCHECK_DATA_DIR": data_dir,
            "HUB_TRUST_KEYS_DIR": str(settings.trust().keys_dir.resolve()),  # trusted .pub
            "HUB_METRICS_ENABLED": "false",
        }
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, returns at once
            [sys.executable, "-m", "hub.cli.main", "crosscheck", "worker"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            await _wait_ready(url, process)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


async def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise HubError("the cross-check worker exited at start")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{url}/ready") as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.5)
    raise HubError(f"the cross-check worker was not ready within {READY_TIMEOUT_S:.0f}s")


async def submit_all(url: str, dossiers: list[GeneratedDossier]) -> list[dict[str, Any]]:
    """POST every dossier to ``url``; return the verdicts in dossier order."""
    gate = asyncio.Semaphore(CONCURRENCY)
    async with aiohttp.ClientSession() as session:

        async def one(generated: GeneratedDossier) -> dict[str, Any]:
            body = json.dumps(dossier_json(generated.dossier), default=str)
            async with (
                gate,
                session.post(
                    f"{url}/crosscheck", data=body, headers={"Content-Type": "application/json"}
                ) as answer,
            ):
                verdict: dict[str, Any] = await answer.json()
                return verdict

        return list(await asyncio.gather(*(one(g) for g in dossiers)))


async def run_crosscheck(
    settings: HubSettings, bootstrap: str, province: Province
) -> dict[str, Any]:
    """The ``crosscheck`` section of the demo summary."""
    generation = generate_dossiers(province)
    began = time.perf_counter()
    async with running_worker(settings, bootstrap) as url:
        ready_s = time.perf_counter() - began
        verdicts = await submit_all(url, generation.dossiers)
    report = evaluate(
        [(g, VerdictView(v)) for g, v in zip(generation.dossiers, verdicts, strict=True)],
        [e for e in province.manifest() if e not in generation.unreachable],
        dict(generation.skipped),
    ).to_json()
    accuracy = {
        kind: {k: figures[k] for k in ("precision", "recall", "injected")}
        for kind, figures in report["accuracy"].items()
    }
    return {
        "dossiers": len(verdicts),
        "verdicts": report["verdicts"],
        "accuracy": accuracy,
        "honest": report["honest"],
        "skipped": report["skipped"],
        "worker_ready_seconds": round(ready_s, 3),
        "seconds": round(time.perf_counter() - began, 3),
    }
