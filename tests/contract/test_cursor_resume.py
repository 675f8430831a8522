"""Every connector's cursor resumes exactly, even on a source full of garbled records.

No broker: the adapter is driven directly. A sync in small pages is resumed, by a fresh
adapter (a restarted connector holds no page tokens), from the cursor after every page;
what the pages before and the resumed run served together must hold every record of the
sync. Garbled records are the hard case: a source that pages by one value and serves
another (a true key, and a garbled one) lets a cursor point past records it serves later
(duplicates are allowed, gaps are not).
"""

from __future__ import annotations

from typing import Any

from hub.connect.contract import ConnectorSpec
from hub.connect.records import Cursor

from .conftest import mock_options

LIMIT = 4  # records a page: many page boundaries, many fall inside a shared timestamp


async def _drain(
    spec: ConnectorSpec, options: dict[str, Any], stream: str, cursor: Cursor | None
) -> tuple[list[str], list[tuple[int, Cursor]]]:
    """Serve ``stream`` from ``cursor`` to its end with a fresh adapter: each record's
    payload as text, and after every page the number of records so far and the cursor."""
    adapter = spec.make_adapter(options)
    await adapter.open()
    served: list[str] = []
    cursors: list[tuple[int, Cursor]] = []
    try:
        while True:
            page = await adapter.fetch(stream, cursor, LIMIT)
            served.extend(repr(native.payload) for native in page.records)
            cursor = page.cursor
            cursors.append((len(served), cursor))
            if not page.has_more:
                return served, cursors
    finally:
        await adapter.close()


async def test_resume_from_every_page_cursor_with_garbled_records(
    spec: ConnectorSpec, seed: int
) -> None:
    options = mock_options(seed, province={"citizens": 200, "malformed_rate": 0.3})
    for stream in spec.streams:
        served, cursors = await _drain(spec, options, stream.name, None)
        for page, (consumed, cursor) in enumerate(cursors[:-1]):
            rest, _ = await _drain(spec, options, stream.name, cursor)
            missing = set(served) - set(served[:consumed]) - set(rest)
            assert not missing, (
                f"{spec.name}/{stream.name}: resuming after page {page} skipped "
                f"{len(missing)} records (options {options})"
            )
