"""The connector contract: what a source fills in, and what the runtime calls when.

A connector is declared by a :class:`ConnectorSpec`: its streams, an adapter (how to talk
to the source) and a mapper (native record → canonical records). The runtime owns the
sequence, per stream::

    adapter.open() → [fetch page → map → validate/encode → publish → commit cursor]* → close()

and cleans up (``close``) on failure too. A concrete source fills in only what differs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from hub.connect.records import CanonicalRecord, Cursor, NativeRecord, Page


class SourceAdapter(ABC):
    """How to talk to one source system (paging, native formats, incremental queries).

    Adapters translate every transport or driver failure into
    :class:`~hub.errors.RetriableSourceError` (timeouts, 5xx, rate limits, truncated
    answers) or :class:`~hub.errors.FatalSourceError`; they never let a library exception
    escape, and they never sleep or retry themselves: the runtime does.
    """

    async def open(self) -> None:  # noqa: B027 - optional hook, harmless default
        """Called once before the first fetch. Connect, authenticate."""

    async def close(self) -> None:  # noqa: B027 - optional hook, harmless default
        """Called once at the end, also after a failure. Must not raise."""

    async def check(self) -> None:  # noqa: B027 - optional hook, harmless default
        """Readiness probe: raise a :class:`~hub.errors.SourceError` when unreachable."""

    @abstractmethod
    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """Return up to ``limit`` records of ``stream`` strictly after ``cursor``.

        Args:
            stream: one of the connector's stream names.
            cursor: the cursor of the last committed page, or None to start from the
                beginning (a full sync).
            limit: the most records to return; the source's own page size may be smaller.

        Returns:
            The next page, whose ``cursor`` resumes after its last record. An empty page
            with ``has_more=False`` means the stream is caught up.
        """


class RecordMapper(ABC):
    """Turns native records into canonical records. Pure: no I/O, no clock, no state.

    Raise :class:`~hub.errors.RecordError` (or :class:`~hub.errors.NormaliseError`) for a
    record that cannot be mapped; the runtime dead-letters it with the message as reason
    and carries on. Any other exception is treated the same way, but is a bug.
    """

    @abstractmethod
    def map(self, stream: str, record: NativeRecord) -> Sequence[CanonicalRecord]:
        """Map one native record of ``stream`` to zero or more canonical records."""


@dataclass(frozen=True)
class StreamSpec:
    """One stream of a source: what to pull and which entities it yields.

    Attributes:
        name: stream name, unique within the connector (e.g. ``citizens``).
        entities: the canonical entities (schema file stems) its records map to.
        description: one line for ``hub connectors list``.
    """

    name: str
    entities: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class ConnectorSpec:
    """The declaration of a connector.

    Attributes:
        name: the source name; also the schema folder and the topic prefix.
        title: human-readable name of the source system.
        owner: the ministry or agency that owns the source (overridable in config).
        interface: the source's interface style (e.g. "paged REST/JSON").
        key_name: what the records' key identifies (e.g. "PIN").
        streams: what the connector pulls.
        make_adapter: builds the adapter from the connector's options.
        make_mapper: builds the mapper.
        options_doc: one line per option, for documentation.
        options_model: the pydantic model of the connector's ``options`` block, when it
            declares one; ``hub connectors validate`` then reports every invalid field.
            Optional: without it, validation builds the adapter and reports what it raises.
    """

    name: str
    title: str
    owner: str
    interface: str
    key_name: str
    streams: tuple[StreamSpec, ...]
    make_adapter: Callable[[dict[str, Any]], SourceAdapter]
    make_mapper: Callable[[], RecordMapper]
    options_doc: dict[str, str] = field(default_factory=dict)
    options_model: type[BaseModel] | None = None

    @property
    def entities(self) -> tuple[str, ...]:
        """Every entity the connector publishes, in declaration order, once each."""
        seen: dict[str, None] = {}
        for stream in self.streams:
            seen.update(dict.fromkeys(stream.entities))
        return tuple(seen)
