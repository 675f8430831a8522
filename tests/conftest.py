"""Shared fixtures: one embedded broker per test session, unique topics per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from hub.broker import EmbeddedBroker
from hub.codec import SchemaStore
from hub.config import HubSettings, load_settings
from hub.connect.host import ConnectorHost
from hub.connect.registry import discover
from hub.metrics import HubMetrics
from hub.trust.keys import generate_key_pair

REPO = Path(__file__).resolve().parent.parent


#: Principals that sign: every connector, and the cross-check service (audit checkpoints).
def signing_principals() -> list[str]:
    """Everyone the test session makes a key pair for."""
    return [*sorted(discover()), "crosscheck"]


@pytest.fixture(scope="session", autouse=True)
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A key pair per principal, exported as ``HUB_TRUST_KEYS_DIR`` (subprocesses inherit it)."""
    directory = tmp_path_factory.mktemp("keys")
    for principal in signing_principals():
        generate_key_pair(principal, directory)
    previous = os.environ.get("HUB_TRUST_KEYS_DIR")
    os.environ["HUB_TRUST_KEYS_DIR"] = str(directory)
    try:
        yield directory
    finally:
        if previous is None:
            os.environ.pop("HUB_TRUST_KEYS_DIR", None)
        else:
            os.environ["HUB_TRUST_KEYS_DIR"] = previous


@pytest.fixture(scope="session")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Kafka every integration test uses: ``HUB_KAFKA_BOOTSTRAP`` or an embedded broker."""
    external = os.environ.get("HUB_KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    broker = EmbeddedBroker(tmp_path_factory.mktemp("broker"))
    state = broker.start(detach=False)
    try:
        yield state.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def settings(bootstrap: str, tmp_path: Path) -> HubSettings:
    """Settings with a topic prefix unique to the test, so tests never share topics."""
    return load_settings(
        kafka_bootstrap=bootstrap,
        topic_prefix=f"t{uuid.uuid4().hex[:10]}.",
        topic_partitions=3,
        state_dir=tmp_path / "state",
    )


@pytest.fixture(scope="session")
def schemas() -> SchemaStore:
    """The project's schema store."""
    return SchemaStore(REPO / "schemas")


@pytest.fixture
def metrics() -> HubMetrics:
    """Metrics bound to a fresh registry."""
    return HubMetrics(CollectorRegistry())


@pytest.fixture
async def host(
    settings: HubSettings, bootstrap: str, metrics: HubMetrics, schemas: SchemaStore
) -> AsyncIterator[ConnectorHost]:
    """A started connector host on the session broker with this test's topics."""
    async with ConnectorHost(settings, bootstrap, metrics, schemas) as started:
        yield started
