"""The intake of canonical records: each becomes a row of the evidence tables, or not.

A batch the :class:`~hub.crosscheck.materialise.Materialiser` fetched is handed to a
:class:`RecordIntake`, which turns each record into the row it would make (source,
entity, key, value, source version, source update time), decoding its payload with any
stored schema version, and offers the row to :class:`~hub.crosscheck.evidence.InMemoryEvidence`.
The tables keep the highest source version per key, so at-least-once duplicates and
out-of-order versions are counted as ignored and change nothing. A tombstone (no payload)
names its entity by its topic; a record that does not decode is skipped and counted.

Every record's signature is checked before it is decoded (when
``HUB_TRUST_VERIFY_SIGNATURES``, the default): a record with a missing or bad signature
never becomes evidence; it is dead-lettered and counted (:mod:`hub.crosscheck.screening`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from prometheus_client import CollectorRegistry

from hub.codec import SchemaStore, decode_any
from hub.config import HubSettings
from hub.connect import headers as h
from hub.crosscheck.evidence import InMemoryEvidence
from hub.crosscheck.screening import RecordScreen
from hub.crosscheck.store import KeptRecord
from hub.errors import SchemaError
from hub.metrics import HubMetrics
from hub.trust.signing import Refusal

log = logging.getLogger(__name__)


class RecordIntake:
    """Applies fetched canonical records to an :class:`InMemoryEvidence`, authentic ones only.

    Args:
        bootstrap: the cluster (refused records are dead-lettered there).
        settings: client and trust settings.
        schemas: the schema store (decodes any stored schema version).
        topics: the canonical topics read.
        evidence: the tables to fill.
        metrics: where refused records are counted (a private registry by default).
    """

    def __init__(
        self,
        bootstrap: str,
        settings: HubSettings,
        schemas: SchemaStore,
        topics: Sequence[str],
        evidence: InMemoryEvidence,
        metrics: HubMetrics | None = None,
    ) -> None:
        self.schemas = schemas
        self.evidence = evidence
        #: Records kept, records older than (or as old as) what the tables hold, records
        #: that did not decode.
        self.applied = 0
        self.ignored = 0
        self.undecodable = 0
        #: Checks signatures (None when verification is off).
        self.screen: RecordScreen | None = None
        if settings.trust().verify_signatures:
            metrics = metrics or HubMetrics(CollectorRegistry())
            self.screen = RecordScreen(bootstrap, settings, topics, metrics)
            self.screen.start()  # its worker processes, if any, start now

    @property
    def refused(self) -> int:
        """Records refused for a missing or bad signature."""
        return 0 if self.screen is None else self.screen.refused

    async def ready(self) -> None:
        """Return once records can be verified (at once when verification is off)."""
        if self.screen is not None:
            await self.screen.ready()

    async def close(self) -> None:
        """Stop the screen (its worker processes and dead-letter producer), if any."""
        if self.screen is not None:
            await self.screen.close()

    async def apply(
        self, batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> tuple[list[KeptRecord], dict[tuple[str, int], int]]:
        """Apply the authentic records of ``batch``; the changes kept and the next offsets.

        Chunk by chunk, in order, records are decoded (while the screen's workers, if
        any, verify them), then kept when authentic; refused records are dead-lettered
        before the offsets move past them.
        """
        kept: list[KeptRecord] = []
        records = [record for part in batch.values() for record in part]
        refused: list[tuple[ConsumerRecord[bytes, bytes], Refusal]] = []
        if self.screen is None:
            kept = [c for r in records if (c := self._apply(r)) is not None]
        else:
            chunks = self.screen.submit(records)
            try:
                for chunk, verdicts in chunks:
                    rows = [self._decode(record) for record in chunk]  # while a pool verifies
                    for record, row, refusal in zip(chunk, rows, await verdicts, strict=True):
                        if refusal is not None:
                            refused.append((record, refusal))
                        elif (change := self._keep(row)) is not None:
                            kept.append(change)
            finally:
                for _, verdicts in chunks:
                    verdicts.cancel()  # only those not awaited, after a failure
            await self.screen.refuse(refused)
        offsets = {
            (tp.topic, tp.partition): part[-1].offset + 1 for tp, part in batch.items() if part
        }
        return kept, offsets

    def _apply(self, record: object) -> KeptRecord | None:
        return self._keep(self._decode(record))

    def _decode(self, record: object) -> KeptRecord | SchemaError:
        """The row ``record`` would make in the tables (nothing is kept yet), or why not."""
        headers = h.as_dict(record.headers)  # type: ignore[attr-defined]
        key = record.key.decode("utf-8", "replace") if record.key else ""  # type: ignore[attr-defined]
        payload = record.value  # type: ignore[attr-defined]
        source = headers.get(h.SOURCE, "")
        version = headers.get(h.SOURCE_VERSION, "0")
        updated_at = _updated_at(headers)
        value: dict[str, Any] | None = None
        if payload is None:
            entity = record.topic.rsplit(".", 1)[-1]  # type: ignore[attr-defined]
        else:
            try:
                schema, value = decode_any(self.schemas, payload)
            except SchemaError as exc:
                return exc
            entity = schema.entity
        return KeptRecord(source, entity, key, value, version, updated_at)

    def _keep(self, row: KeptRecord | SchemaError) -> KeptRecord | None:
        """Offer ``row`` to the tables; the row if they kept it (newer than what they hold)."""
        if isinstance(row, SchemaError):
            self.undecodable += 1
            log.warning("undecodable record skipped: %s", row)
            return None
        if not self.evidence.add(
            row.source, row.entity, row.key, row.value, row.source_version, row.updated_at
        ):
            self.ignored += 1
            return None
        self.applied += 1
        return row


def _updated_at(headers: dict[str, str]) -> datetime:
    text = headers.get(h.SOURCE_UPDATED_AT)
    if text:
        try:
            moment = datetime.fromisoformat(text)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(0, UTC)
