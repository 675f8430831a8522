"""Where the Kafka cluster is: an external one (``HUB_KAFKA_BOOTSTRAP``) or the embedded broker."""

from __future__ import annotations

from hub.broker.embedded import BrokerState, EmbeddedBroker, locate_binary
from hub.broker.session import BrokerSession, broker_session

__all__ = ["BrokerSession", "BrokerState", "EmbeddedBroker", "broker_session", "locate_binary"]
