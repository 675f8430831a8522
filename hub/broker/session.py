"""Resolve which Kafka a command talks to, starting the embedded broker when needed."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from hub.broker.embedded import EmbeddedBroker
from hub.config import HubSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerSession:
    """The cluster a command uses.

    Attributes:
        bootstrap: ``host:port`` list for the Kafka clients.
        kind: "external" when ``HUB_KAFKA_BOOTSTRAP`` names a cluster, else "embedded".
    """

    bootstrap: str
    kind: Literal["embedded", "external"]


@contextlib.contextmanager
def broker_session(settings: HubSettings, *, start: bool = True) -> Iterator[BrokerSession]:
    """Yield the cluster to use, starting a private embedded broker if none is found.

    Order: ``HUB_KAFKA_BOOTSTRAP`` if set (never starts anything); else a broker recorded
    by ``hub broker start``; else, when ``start`` is true, a child broker that is stopped
    when the block exits.

    Raises:
        BrokerError: nothing to connect to and ``start`` is false, or the start failed.
    """
    if settings.kafka_bootstrap:
        yield BrokerSession(settings.kafka_bootstrap, "external")
        return
    broker = EmbeddedBroker(settings.state_dir)
    running = broker.status()
    if running is not None:
        yield BrokerSession(running.bootstrap, "embedded")
        return
    if not start:
        from hub.errors import BrokerError

        raise BrokerError("no Kafka to talk to: run `hub broker start` or set HUB_KAFKA_BOOTSTRAP")
    state = broker.start(detach=False)
    try:
        yield BrokerSession(state.bootstrap, "embedded")
    finally:
        broker.stop()
