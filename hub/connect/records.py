"""The values that flow through a connector: native records, pages, canonical records.

Cursor semantics (written down because off-by-one errors live here): a page's ``cursor``
is the position *after* its last record. Handing it back to the adapter must yield the
record that follows, never one already in the page. The runtime commits a page's cursor
only after every record of that page (and of every page before it) was acknowledged, so
a restart re-reads at most the pages in flight: duplicates, never gaps.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: A source's resume position: a small JSON-serialisable mapping the adapter defines.
Cursor = dict[str, Any]


@dataclass(slots=True)
class NativeRecord:
    """One record as the source system returned it.

    Attributes:
        payload: the decoded native record (dict for JSON, CSV row, parsed XML...).
        raw: the record's bytes as received, when the adapter has them cheaply; the
            dead-letter topic falls back to a JSON rendering of ``payload``.
        position: a short, identifier-free description of where the record sits in the
            source (page and index), carried into dead-letter headers.
    """

    payload: Any
    raw: bytes | None = None
    position: str = ""

    def raw_bytes(self) -> bytes:
        """The record's bytes for a dead letter."""
        if self.raw is not None:
            return self.raw
        text = json.dumps(self.payload, ensure_ascii=False, default=str)
        return text.encode("utf-8", "backslashreplace")  # unpaired surrogates escaped


@dataclass(slots=True)
class Page:
    """A page of native records and the cursor after its last record.

    Attributes:
        records: the records, in source order (a list, or a sequence that parses them
            where they are used: :class:`~hub.connect.json_rows.JsonRows`).
        cursor: resume position after the last record (see the module docstring).
        has_more: False when the source had nothing after this page at query time.
    """

    records: Sequence[NativeRecord]
    cursor: Cursor
    has_more: bool


@dataclass(slots=True)
class CanonicalRecord:
    """A record in its canonical form, ready to be validated and encoded.

    Attributes:
        entity: entity name within the source (``citizen``), naming schema and topic.
        key: the subject's identifier; becomes the Kafka key (UTF-8 bytes).
        value: the canonical record as Avro-ready data, or None for a deletion
            (published as a tombstone).
        source_version: the source's version of the record (monotonic per key).
        updated_at: when the source last changed the record (UTC).
    """

    entity: str
    key: str
    value: dict[str, Any] | None
    source_version: str
    updated_at: datetime
    headers: dict[str, str] = field(default_factory=dict)
