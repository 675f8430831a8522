"""Reading every connector's source directly (adapter and mapper, no Kafka), for tests
that need the canonical records a sync would publish, or the exact set of records a sync
must deliver and dead-letter (:func:`read_source`, the oracle of ``tests/accounting.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from hub.codec import AvroCodec, SchemaStore
from hub.connect.contract import ConnectorSpec
from hub.connect.records import CanonicalRecord, Cursor, NativeRecord
from hub.connect.registry import discover
from hub.errors import RecordError


async def native_records(
    spec: ConnectorSpec,
    options: dict[str, Any],
    cursors: dict[str, Cursor | None] | None = None,
    page_size: int = 500,
) -> AsyncIterator[tuple[str, NativeRecord]]:
    """Yield (stream, native record) for everything ``spec``'s mock source serves, from
    ``cursors`` (or the beginning) to the end of every stream, page by page."""
    adapter = spec.make_adapter(options)
    await adapter.open()
    try:
        for stream in spec.streams:
            cursor = (cursors or {}).get(stream.name)
            while True:
                page = await adapter.fetch(stream.name, cursor, page_size)
                for native in page.records:
                    yield stream.name, native
                cursor = page.cursor
                if not page.has_more:
                    break
    finally:
        await adapter.close()


async def canonical_records(options: dict[str, Any]) -> AsyncIterator[tuple[str, CanonicalRecord]]:
    """Yield (connector, record) for everything every connector maps from its mock source.

    Records that fail mapping are skipped, as the runtime would dead-letter them.
    """
    for name, spec in discover().items():
        mapper = spec.make_mapper()
        async for stream, native in native_records(spec, options):
            try:
                mapped = mapper.map(stream, native)
            except RecordError:
                continue
            for record in mapped:
                yield name, record


@dataclass
class SourceTruth:
    """What one connector's source serves, read directly: what a sync must deliver.

    Attributes:
        connector: the connector's name.
        keys: per entity, every key a sync publishes (a record or a tombstone).
        versions: per (entity, key), the source version of the last record read.
        deleted: the (entity, key) pairs whose last record read is a deletion.
        malformed: the raw bytes of every native record a sync must dead-letter (it fails
            mapping, or its canonical record fails its Avro schema), in source order.
        natives: native records read.
    """

    connector: str
    keys: dict[str, set[str]]
    versions: dict[tuple[str, str], str] = field(default_factory=dict)
    deleted: set[tuple[str, str]] = field(default_factory=set)
    malformed: list[bytes] = field(default_factory=list)
    natives: int = 0

    @property
    def published(self) -> int:
        """Distinct (entity, key) pairs a sync publishes."""
        return sum(len(keys) for keys in self.keys.values())


async def read_source(
    spec: ConnectorSpec,
    options: dict[str, Any],
    schemas: SchemaStore,
    cursors: dict[str, Cursor | None] | None = None,
) -> SourceTruth:
    """Drive ``spec``'s adapter, mapper and Avro validation from ``cursors`` (or the start)
    to the end of its source, as the runtime would, and record every outcome."""
    mapper = spec.make_mapper()
    codecs = {entity: AvroCodec(schemas.get(spec.name, entity)) for entity in spec.entities}
    truth = SourceTruth(spec.name, {entity: set() for entity in spec.entities})
    async for stream, native in native_records(spec, options, cursors):
        truth.natives += 1
        try:
            mapped = mapper.map(stream, native)
            for record in mapped:
                if record.value is not None:
                    codecs[record.entity].encode(record.value)
        except RecordError:
            truth.malformed.append(native.raw_bytes())
            continue
        for record in mapped:
            truth.keys[record.entity].add(record.key)
            truth.versions[(record.entity, record.key)] = record.source_version
            if record.value is None:
                truth.deleted.add((record.entity, record.key))
            else:
                truth.deleted.discard((record.entity, record.key))
    return truth
