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

from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.registry import discover

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
POPULATION = discover()["population"]


async def subscribe(bootstrap: str, schemas: Path, topic: str, group: str) -> dict[str, Any]:
    """Run the example subscriber until the topic is idle; its JSON summary."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(REPO / "examples" / "subscriber.py"), "--bootstrap", bootstrap,
        "--schemas", str(schemas), "--topic", topic, "--group", group, "--idle", "3", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    summary: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return summary


async def test_the_example_subscriber_decodes_with_the_avsc_files_only(
    host: ConnectorHost, tmp_path: Path
) -> None:
    citizens = 400
    options = {"province": {"seed": 23, "citizens": citizens, "malformed_rate": 0.0}}
    await host.run([ConnectorJob(POPULATION, options)])
    published = tmp_path / "avsc"  # what a subscriber was handed: the .avsc files, nothing else
    published.mkdir()
    for avsc in (REPO / "schemas" / "population").glob("*.avsc"):
        shutil.copy(avsc, published)
    topic = host.topics.canonical("population", "citizen")

    first = await subscribe(host.bootstrap, published, topic, f"svc-{uuid.uuid4().hex[:8]}")
    assert first["undecodable"] == 0
    assert first["received"] == first["applied"] == first["live"] == citizens

    for stream in POPULATION.streams:  # a resync: the same records are published again
        await host.cursors.reset("population", stream.name)
    await host.run([ConnectorJob(POPULATION, options)])
    again = await subscribe(host.bootstrap, published, topic, f"svc-{uuid.uuid4().hex[:8]}")
    assert again["received"] == 2 * citizens
    assert again["applied"] == citizens, "a replayed version changed the subscriber's state"
    assert again["stale"] == citizens
    assert again["live"] == citizens
