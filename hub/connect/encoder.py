"""Turning a page of native records into Kafka messages: map, validate, encode, frame, sign.

:class:`PageEncoder` is pure CPU work with no I/O and no shared state beyond its mapper
and codecs, so it can run in the connector's process or in worker processes
(:mod:`hub.connect.encoder_pool`). Bad records become dead-letter messages; what to count
and log about them is returned, not done here, so that the connector's process keeps the
metrics and logs whichever process encoded. Every canonical record (a tombstone too) is
signed with the source's key (:mod:`hub.trust.signing`); dead letters are not: they are
the source's raw bytes, for operators, never evidence.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hub.codec import AvroCodec, SchemaStore
from hub.connect import headers as h
from hub.connect.contract import ConnectorSpec, RecordMapper
from hub.connect.framing import FramedBatch
from hub.connect.message_ids import message_id
from hub.connect.publisher import OutgoingMessage
from hub.connect.records import CanonicalRecord, Cursor, NativeRecord
from hub.connect.topics import TopicNames
from hub.errors import RecordError
from hub.trust.merkle import leaf_hash
from hub.trust.signing import RecordSigner, leaf_of, record_input


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one native record was dead-lettered (no identifier: position and class only)."""

    stage: str
    position: str
    error_class: str


@dataclass
class EncodedPage:
    """The messages of one page and what to account for them.

    A page encoded in a worker process comes back with its messages framed into record
    batches (:mod:`hub.connect.framing`): ``batches`` holds them and ``messages`` is empty.
    """

    messages: list[OutgoingMessage] = field(default_factory=list)
    batches: list[FramedBatch] = field(default_factory=list)
    published: int = 0
    written: dict[str, int] = field(default_factory=dict)
    newest_update: float = 0.0
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        """Records dead-lettered."""
        return len(self.rejections)


class PageEncoder:
    """Encodes pages of one connector's native records.

    Args:
        spec: the connector's declaration.
        mapper: its mapper.
        schemas: the schema store.
        topics: topic naming.
        signer: signs every canonical record (tombstones too) with the source's key.
    """

    def __init__(
        self,
        spec: ConnectorSpec,
        mapper: RecordMapper,
        schemas: SchemaStore,
        topics: TopicNames,
        signer: RecordSigner,
    ) -> None:
        self.mapper = mapper
        self.signer = signer
        self._source = spec.name.encode()
        self._codecs = {e: AvroCodec(schemas.get(spec.name, e)) for e in spec.entities}
        self._schema_headers = {
            e: (h.SCHEMA, codec.schema.fingerprint.hex().encode())
            for e, codec in self._codecs.items()
        }
        self._topic_of = {e: topics.canonical(spec.name, e) for e in spec.entities}
        self._dead_letter_topic = topics.dead_letter(spec.name)

    def encode(
        self, stream: str, records: Sequence[NativeRecord], cursor: Cursor | None
    ) -> EncodedPage:
        """Map, validate and encode ``records``; bad ones become dead letters.

        Args:
            stream: the stream the records belong to.
            records: the page's records, in source order.
            cursor: the cursor before the page (carried in dead-letter headers).
        """
        out = EncodedPage()
        extracted = datetime.now(UTC).isoformat(timespec="milliseconds").encode()
        source = (h.SOURCE, self._source)
        extracted_at = (h.EXTRACTED_AT, extracted)
        correlation = (h.CORRELATION_ID, message_id())
        iso_of: dict[datetime, bytes] = {}  # update times repeat within a page
        leaves: list[bytes] = []
        signed_headers: list[list[tuple[str, bytes]]] = []
        for native in records:
            try:
                canonical = self.mapper.map(stream, native)
                encoded = [(c, self._encode_value(c)) for c in canonical]
            except RecordError as exc:
                self._dead_letter(out, stream, native, cursor, exc.stage, exc)
                continue
            except Exception as exc:  # a mapper bug must not stop the pipe either
                self._dead_letter(out, stream, native, cursor, "map", exc)
                continue
            for record, value in encoded:
                topic = self._topic_of[record.entity]
                updated = iso_of.get(record.updated_at)
                if updated is None:
                    updated = iso_of[record.updated_at] = record.updated_at.isoformat().encode()
                    out.newest_update = max(out.newest_update, record.updated_at.timestamp())
                schema = self._schema_headers[record.entity]
                identifier = message_id()
                version = record.source_version.encode()
                headers = [
                    (h.MESSAGE_ID, identifier),
                    source,
                    extracted_at,
                    schema,
                    (h.SOURCE_VERSION, version),
                    (h.SOURCE_UPDATED_AT, updated),
                    correlation,
                ]
                key = record.key.encode()
                if record.headers:  # the signed values are those a verifier reads: the last
                    headers.extend((k, v.encode()) for k, v in record.headers.items())
                    leaves.append(leaf_of(key, value, dict(headers)))
                else:
                    signing = record_input(key, value, identifier, self._source, schema[1], version)
                    leaves.append(leaf_hash(signing))
                signed_headers.append(headers)
                out.messages.append(OutgoingMessage(topic, key, value, headers))
                out.written[topic] = out.written.get(topic, 0) + 1
                out.published += 1
        self.signer.sign_leaves(leaves, signed_headers)  # appends to each list, in place
        return out

    def _encode_value(self, record: CanonicalRecord) -> bytes | None:
        if record.value is None:
            return None
        return self._codecs[record.entity].encode(record.value)

    def _dead_letter(
        self,
        out: EncodedPage,
        stream: str,
        native: NativeRecord,
        cursor: Cursor | None,
        stage: str,
        exc: BaseException,
    ) -> None:
        reason = str(exc) or type(exc).__name__
        out.rejections.append(Rejection(stage, native.position, type(exc).__name__))
        out.messages.append(
            OutgoingMessage(
                self._dead_letter_topic,
                None,
                native.raw_bytes(),
                [
                    (h.MESSAGE_ID, message_id()),
                    (h.SOURCE, self._source),
                    (h.STREAM, stream.encode()),
                    (h.STAGE, stage.encode()),
                    (h.ERROR, reason.encode("utf-8", "replace")[:2000]),
                    (h.ERROR_CLASS, type(exc).__name__.encode()),
                    (h.CURSOR, json.dumps(cursor).encode()),
                    (h.POSITION, native.position.encode()),
                ],
            )
        )
