"""Refusing records whose signature is missing or bad before they become evidence.

The cross-check's :class:`~hub.crosscheck.materialise.Materialiser` passes every batch
it reads through a :class:`RecordScreen`: signatures are checked by a
:class:`~hub.trust.batch.BatchVerifier` (inline: one Ed25519 verification per group of
records, 6 to 8 µs of hashing per record), and each refused record is

- left out of the evidence tables;
- dead-lettered to ``<prefix>crosscheck.dlq`` (:func:`refused_topic`): the original key,
  value and headers, plus ``hub.error`` (why, in a sentence), ``hub.error_class`` (the
  :class:`~hub.trust.signing.Refusal`), ``hub.stage`` = ``verify`` and
  ``hub.original_topic`` / ``hub.original_partition`` / ``hub.original_offset``, so that
  an operator can re-check the exact bytes;
- counted in ``hub_records_refused_total{consumer, source, reason}``, where ``source`` is
  the topic's source (never the record's own, unauthenticated ``hub.source`` header);
- logged as counts per topic and reason, never with its key.

The trusted keys are the ``.pub`` files of ``HUB_TRUST_KEYS_DIR``. They are read again
every minute (a removed ``.pub`` revokes its key) and, at most every few seconds, when a
record names a key id not trusted yet (a source rotated its key).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from hub.config import HubSettings
from hub.connect import headers as h
from hub.connect.host import DEAD_LETTER_RETENTION_MS
from hub.connect.topics import TopicNames, TopicSpec, ensure_topics
from hub.errors import HubError
from hub.metrics import HubMetrics
from hub.trust.batch import BatchVerifier
from hub.trust.keys import KeyStore
from hub.trust.signing import Refusal

log = logging.getLogger(__name__)

#: The consumer label of the cross-check service.
CONSUMER = "crosscheck"
#: Re-read the keys directory this often (revocation), and when an unknown key id shows.
RELOAD_EVERY_S = 60.0
RELOAD_UNKNOWN_EVERY_S = 5.0


def refused_topic(topics: TopicNames) -> str:
    """Where the cross-check dead-letters the records it refused: ``<prefix>crosscheck.dlq``."""
    return topics.dead_letter(CONSUMER)


def source_of_topic(topic: str, prefix: str) -> str:
    """The source of a canonical topic ``<prefix><source>.<entity>`` (a metric label)."""
    return topic.removeprefix(prefix).split(".", 1)[0] or "unknown"


class RecordScreen:
    """Checks, dead-letters and counts the records one consumer reads.

    Args:
        bootstrap: the cluster (for the dead-letter topic).
        settings: hub settings (topic prefix, keys directory, producer settings).
        topics: the topics the consumer reads (their sources label the metric).
        metrics: where ``hub_records_refused_total`` is counted.
        consumer: the consumer label.
        verifier: the verifier to use (default: one that verifies inline).
    """

    def __init__(
        self,
        bootstrap: str,
        settings: HubSettings,
        topics: Sequence[str],
        metrics: HubMetrics,
        *,
        consumer: str = CONSUMER,
        verifier: BatchVerifier | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.settings = settings
        self.consumer = consumer
        self.keys = KeyStore(settings.trust().keys_dir)
        trusted = self.keys.trusted_keys()
        if not trusted:
            log.warning(
                "no trusted public keys in %s: every record will be refused", self.keys.directory
            )
        self.verifier = verifier or BatchVerifier(trusted)
        if verifier is not None:
            verifier.update(trusted)
        self.topic = TopicNames(settings.topic_prefix).dead_letter(consumer)
        self._prefix = settings.topic_prefix
        self._refused = metrics.records_refused
        for source in {source_of_topic(t, self._prefix) for t in topics}:
            for reason in Refusal:  # present from the start, so that increase() sees the first
                self._refused.labels(consumer, source, reason.value)
        self._producer: AIOKafkaProducer | None = None
        self._read_at = self._unknown_read_at = time.monotonic()
        #: Records refused so far.
        self.refused = 0

    def start(self) -> None:
        """Start the verifier's workers now, if it has any (they take about a second)."""
        self.verifier.start()

    async def ready(self) -> None:
        """Start the verifier's workers if it has any, and wait for them."""
        await self.verifier.ready()

    def submit(
        self, records: Sequence[Any]
    ) -> list[tuple[Sequence[Any], asyncio.Future[list[Refusal | None]]]]:
        """Hand ``records`` to the verifier: (chunk, its refusals to await) in order.

        None in the refusals means authentic. Await the chunks in order, handling each
        (decoding, say) before awaiting it, while later ones are being verified; cancel
        those left if the handling fails.
        """
        if time.monotonic() - self._read_at >= RELOAD_EVERY_S:
            self._reload()
        items = [(r.key, r.value, r.headers) for r in records]
        return [
            (chunk := records[start : start + size],
             asyncio.ensure_future(self._rechecked(chunk, future)))
            for start, size, future in self.verifier.check_chunks(items)
        ]  # fmt: skip

    async def _rechecked(
        self, chunk: Sequence[Any], future: Awaitable[list[Refusal | None]]
    ) -> list[Refusal | None]:
        refusals = await future
        if Refusal.UNKNOWN_KEY in refusals:
            refusals = self._recheck_unknown(chunk, refusals)
        return refusals

    def _reload(self) -> None:
        self._read_at = time.monotonic()
        trusted = self.keys.trusted_keys()
        if trusted.keys() != self.verifier.trusted.keys():
            log.info("trusted keys changed: %d keys now", len(trusted))
            self.verifier.update(trusted)

    def _recheck_unknown(
        self, chunk: Sequence[Any], refusals: list[Refusal | None]
    ) -> list[Refusal | None]:
        """Re-read the keys (rate-limited) and re-check records whose key id is now known."""
        if time.monotonic() - self._unknown_read_at >= RELOAD_UNKNOWN_EVERY_S:
            self._unknown_read_at = time.monotonic()
            self._reload()
        trusted = self.verifier.trusted
        out = list(refusals)
        for i, reason in enumerate(refusals):
            if reason is not Refusal.UNKNOWN_KEY:
                continue
            record = chunk[i]
            key_id = dict(record.headers).get(h.KEY_ID, b"").decode("utf-8", "replace")
            if key_id in trusted:
                out[i] = self.verifier.check([(record.key, record.value, record.headers)])[0]
        return out

    async def refuse(self, refused: Sequence[tuple[Any, Refusal]]) -> None:
        """Count, log and dead-letter ``refused`` (record, reason) pairs.

        A dead letter the broker does not take is logged, not raised: the record stays
        refused and counted, and the consumer keeps its evidence current.
        """
        if not refused:
            return
        self.refused += len(refused)
        counts = Counter((record.topic, reason) for record, reason in refused)
        for (topic, reason), count in sorted(counts.items()):
            source = source_of_topic(topic, self._prefix)
            self._refused.labels(self.consumer, source, reason.value).inc(count)
            log.warning("refused %d record(s) from %s: %s", count, topic, reason.value)
        try:
            await self._dead_letter(refused)
        except (KafkaError, HubError) as exc:
            log.error(
                "could not dead-letter %d refused record(s) to %s: %s",
                len(refused), self.topic, type(exc).__name__,
            )  # fmt: skip

    async def _dead_letter(self, refused: Sequence[tuple[Any, Refusal]]) -> None:
        producer = await self._started_producer()
        sent = []
        for record, reason in refused:
            headers = [
                *record.headers,
                (h.ERROR, reason.describe().encode()),
                (h.ERROR_CLASS, reason.value.encode()),
                (h.STAGE, b"verify"),
                (h.ORIGINAL_TOPIC, record.topic.encode()),
                (h.ORIGINAL_PARTITION, str(record.partition).encode()),
                (h.ORIGINAL_OFFSET, str(record.offset).encode()),
            ]
            sent.append(await producer.send(self.topic, record.value, record.key, headers=headers))
        await asyncio.gather(*sent)

    async def _started_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            spec = TopicSpec(
                self.topic,
                1,
                {"cleanup.policy": "delete", "retention.ms": DEAD_LETTER_RETENTION_MS},
            )
            await ensure_topics(self.bootstrap, self.settings, [spec])
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap, **self.settings.producer_kwargs()
            )
            await producer.start()
            self._producer = producer
        return self._producer

    async def close(self) -> None:
        """Stop the verifier's workers and the dead-letter producer."""
        self.verifier.close()
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()
