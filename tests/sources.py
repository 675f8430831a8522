"""Reading every connector's source directly (adapter and mapper, no Kafka), for tests
that need the canonical records a sync would publish."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from hub.connect.records import CanonicalRecord
from hub.connect.registry import discover
from hub.errors import RecordError


async def canonical_records(options: dict[str, Any]) -> AsyncIterator[tuple[str, CanonicalRecord]]:
    """Yield (connector, record) for everything every connector maps from its mock source.

    Records that fail mapping are skipped, as the runtime would dead-letter them.
    """
    for name, spec in discover().items():
        adapter, mapper = spec.make_adapter(options), spec.make_mapper()
        await adapter.open()
        try:
            for stream in spec.streams:
                cursor = None
                while True:
                    page = await adapter.fetch(stream.name, cursor, 500)
                    for native in page.records:
                        try:
                            mapped = mapper.map(stream.name, native)
                        except RecordError:
                            continue
                        for record in mapped:
                            yield name, record
                    cursor = page.cursor
                    if not page.has_more:
                        break
        finally:
            await adapter.close()
