"""A Faust transport tuned for latency: the consumer's fetch wait is short.

Faust's aiokafka driver hard-codes ``fetch_max_wait_ms=1500``. A broker that holds an
empty fetch for its full wait instead of answering when data arrives (the embedded
broker does) then adds up to 1.5 s to every dossier taken from the topic. This
transport is Faust's own with that one value lowered; it is registered as the
``hubkafka://`` broker scheme. Everything else is inherited, the broker credentials
included: the consumer built by Faust's ``_create_worker_consumer`` already carries the
app's ``broker_credentials`` (TLS, SASL), and so do Faust's producer and topic creation.
"""

from __future__ import annotations

from typing import Any

from faust.transport import drivers
from faust.transport.drivers import aiokafka as faust_aiokafka

#: How long a consumer fetch may wait for data (milliseconds).
FETCH_MAX_WAIT_MS = 20
SCHEME = "hubkafka"


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's consumer thread, with a short fetch wait."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read by start(): set before it
        return consumer


class Consumer(faust_aiokafka.Consumer):
    """Faust's consumer using :class:`ConsumerThread`."""

    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    """Faust's aiokafka transport using :class:`Consumer`."""

    Consumer = Consumer


def register() -> str:
    """Register the ``hubkafka://`` scheme; return it."""
    drivers.TRANSPORTS[SCHEME] = f"{__name__}:Transport"
    return SCHEME
