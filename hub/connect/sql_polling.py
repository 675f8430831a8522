"""Polling a SQL table by ``updated_at``: a compound cursor with a commit-grace window.

Cursor semantics (the contract of :class:`SqlPoller`; off-by-one errors live here)
--------------------------------------------------------------------------------

A row's *position* is ``(updated_at, key)``: its last-modified value in the column's
native representation (ISO text or epoch seconds; its SQL order must be time order) and
its primary key. Rows are read in position order. The cursor is::

    {"updated_at": T, "key": K, "seen": [[ts, [key, ...]], ...]}

* ``(T, K)`` is the position of the newest row delivered so far. The next page holds
  the rows strictly after it, ``updated_at > T or (updated_at = T and key > K)``, so rows
  sharing one timestamp are split across pages without loss or repetition.
* ``seen`` lists the positions delivered with ``updated_at >= T - lookback_s`` (the
  window), grouped by timestamp. A transaction that commits late makes a row visible
  *behind* the cursor; every page therefore also re-reads the window
  (``T - lookback_s <= updated_at`` and position ``<= (T, K)``) and delivers the rows
  whose position is not in ``seen``. Late rows are delivered before the page's new rows.
* Guarantee: every row whose commit lag (how far its ``updated_at`` lies behind rows
  already visible when it commits) is below ``lookback_s`` is delivered exactly once per
  position, also across restarts, because the window travels in the cursor. A row that
  commits later than that is skipped: size the window above the source's worst commit
  lag. A row rewritten without a new ``updated_at`` is not seen again (a source bug that
  no timestamp poller can see).
* A page reports ``has_more`` while it delivered anything: a short page is no proof of
  the end while commits are in flight, so a sync ends with the first empty page.
* ``None`` as cursor means a full read from the first row.

Driver errors are translated here (:func:`translate_error`); the poller never sleeps or
retries: the runtime does.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from hub.connect.contract import SourceAdapter
from hub.connect.records import Cursor, NativeRecord, Page
from hub.errors import FatalSourceError, RateLimitedError, RetriableSourceError, SourceError

#: Default look-back (commit-grace) window, seconds.
DEFAULT_LOOKBACK_S = 30.0

_RETRY_AFTER = re.compile(r"retry after ([0-9.]+)")
_TRANSIENT = ("locked", "busy", "i/o", "timeout", "interrupted", "truncated", "reset")


class SqlResultLike(Protocol):
    """What the poller needs from a DB-API cursor."""

    description: Any

    def fetchall(self) -> list[tuple[Any, ...]]:
        """Every row of the result."""


class SqlConnectionLike(Protocol):
    """What the poller needs from a DB-API connection."""

    def execute(self, sql: str, params: Sequence[Any] = ...) -> SqlResultLike:
        """Run one statement."""

    def close(self) -> None:
        """Close the connection."""


def shift_iso(value: Any, seconds: float) -> Any:
    """``value - seconds`` for ISO text timestamps, in the same text form.

    Handles ``YYYY-MM-DD HH:MM:SS`` and ``YYYY-MM-DDTHH:MM:SS[+HH:MM]``; the separator
    and the offset of ``value`` are kept so that text order stays time order.
    """
    text = str(value)
    moment = datetime.fromisoformat(text) - timedelta(seconds=seconds)
    separator = "T" if "T" in text else " "
    return moment.isoformat(sep=separator, timespec="seconds")


def shift_epoch(value: Any, seconds: float) -> Any:
    """``value - seconds`` for epoch-second timestamps."""
    return int(value) - int(seconds)


@dataclass(frozen=True)
class PolledTable:
    """One polled table (a stream), in the source's own names.

    Attributes:
        table: table name.
        columns: the columns to select (they become the native record's keys).
        updated_at: the last-modified column.
        key: the primary-key column.
        shift: ``updated_at`` value minus seconds, in the column's representation.
    """

    table: str
    columns: tuple[str, ...]
    updated_at: str
    key: str
    shift: Callable[[Any, float], Any] = shift_iso


def translate_error(exc: sqlite3.Error, what: str) -> SourceError:
    """The hub error for a driver error: retriable (busy, I/O, cut off), rate-limited, fatal.

    Args:
        exc: the driver's exception.
        what: a short, identifier-free description of the call (table name).
    """
    text = str(exc).lower()
    if isinstance(exc, sqlite3.OperationalError):
        if "too many" in text or "rate limit" in text:
            hint = _RETRY_AFTER.search(text)
            retry_after = float(hint.group(1)) if hint else None
            return RateLimitedError(f"{what}: {exc}", retry_after=retry_after)
        if any(word in text for word in _TRANSIENT):
            return RetriableSourceError(f"{what}: {exc}")
    # Syntax errors, unknown tables or columns, corrupt files, misuse: retrying won't help.
    return FatalSourceError(f"{what}: {type(exc).__name__}: {exc}")


class SqlPoller:
    """Pages through tables by ``(updated_at, key)`` (see the module docstring).

    Args:
        connection: an open DB-API connection (the poller does not close it).
        lookback_s: the commit-grace window, seconds; must exceed the source's commit lag.
    """

    def __init__(self, connection: SqlConnectionLike, lookback_s: float = DEFAULT_LOOKBACK_S):
        self.connection = connection
        self.lookback_s = lookback_s

    def poll(self, table: PolledTable, cursor: Cursor | None, limit: int) -> Page:
        """Read the next page of ``table`` after ``cursor``.

        Raises:
            RetriableSourceError: a transient driver failure (the cursor stays valid).
            FatalSourceError: a failure retrying cannot fix.
        """
        try:
            return self._poll(table, cursor, limit)
        except sqlite3.Error as exc:
            raise translate_error(exc, table.table) from exc

    def _poll(self, t: PolledTable, cursor: Cursor | None, limit: int) -> Page:
        cols = ", ".join(t.columns)
        ts_at, key_at = t.columns.index(t.updated_at), t.columns.index(t.key)
        position: tuple[Any, Any] | None = None
        seen: set[tuple[Any, Any]] = set()
        late: list[tuple[Any, ...]] = []
        if cursor:
            position = (cursor["updated_at"], cursor["key"])
            seen = {(ts, key) for ts, keys in cursor.get("seen", ()) for key in keys}
            late = self._late_rows(t, cols, position, seen, ts_at, key_at)[:limit]
        room = limit - len(late)
        fresh: list[tuple[Any, ...]] = []
        if room > 0:
            order = f"ORDER BY {t.updated_at}, {t.key} LIMIT ?"
            if position is None:
                sql, params = f"SELECT {cols} FROM {t.table} {order}", [room]
            else:
                sql = (
                    f"SELECT {cols} FROM {t.table} WHERE {t.updated_at} >= ? "
                    f"AND ({t.updated_at} > ? OR {t.key} > ?) {order}"
                )
                params = [position[0], position[0], position[1], room]
            fresh = self.connection.execute(sql, params).fetchall()
        rows = late + fresh
        records = [
            NativeRecord(dict(zip(t.columns, row, strict=True)), position=f"{t.table}@{n}")
            for n, row in enumerate(rows)
        ]
        delivered = [(row[ts_at], row[key_at]) for row in rows]
        return Page(records, self._next_cursor(t, position, seen, delivered), bool(rows))

    def _late_rows(
        self,
        t: PolledTable,
        cols: str,
        position: tuple[Any, Any],
        seen: set[tuple[Any, Any]],
        ts_at: int,
        key_at: int,
    ) -> list[tuple[Any, ...]]:
        """Rows in the window at or before ``position`` that were not delivered yet."""
        since = t.shift(position[0], self.lookback_s)
        in_window = self.connection.execute(
            f"SELECT {t.updated_at}, {t.key} FROM {t.table} WHERE {t.updated_at} >= ? "
            f"AND ({t.updated_at} < ? OR ({t.updated_at} = ? AND {t.key} <= ?))",
            [since, position[0], position[0], position[1]],
        ).fetchall()
        missing = {(ts, key) for ts, key in in_window if (ts, key) not in seen}
        if not missing:
            return []
        marks = ", ".join("?" * len(missing))
        rows = self.connection.execute(
            f"SELECT {cols} FROM {t.table} WHERE {t.key} IN ({marks})",
            [key for _, key in missing],
        ).fetchall()
        # A row updated again meanwhile has moved past the cursor: the forward read has it.
        found = [row for row in rows if (row[ts_at], row[key_at]) in missing]
        return sorted(found, key=lambda row: (row[ts_at], row[key_at]))

    def _next_cursor(
        self,
        t: PolledTable,
        position: tuple[Any, Any] | None,
        seen: set[tuple[Any, Any]],
        delivered: list[tuple[Any, Any]],
    ) -> Cursor:
        positions = [p for p in (position, *delivered) if p is not None]
        if not positions:
            return {}
        newest = max(positions)
        since = t.shift(newest[0], self.lookback_s)
        window: dict[Any, list[Any]] = {}
        for ts, key in sorted(seen.union(delivered)):
            if ts >= since:
                window.setdefault(ts, []).append(key)
        return {
            "updated_at": newest[0],
            "key": newest[1],
            "seen": [[ts, keys] for ts, keys in window.items()],
        }


class SqlPollingAdapter(SourceAdapter):
    """A :class:`SourceAdapter` over a SQL source: one polled table per stream.

    Args:
        connect: opens a DB-API connection to the source (called by :meth:`open`).
        tables: the polled table of each stream.
        page_size: the most rows per query.
        lookback_s: the commit-grace window (see the module docstring).
        on_close: called after the connection is closed (e.g. to drop a mock's files).
    """

    def __init__(
        self,
        connect: Callable[[], SqlConnectionLike],
        tables: Mapping[str, PolledTable],
        *,
        page_size: int = 500,
        lookback_s: float = DEFAULT_LOOKBACK_S,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._connect = connect
        self.tables = dict(tables)
        self.page_size = page_size
        self.lookback_s = lookback_s
        self._on_close = on_close
        self._poller: SqlPoller | None = None

    async def open(self) -> None:
        """Open the connection.

        Raises:
            SourceError: the database cannot be opened.
        """
        await self._ensure_open()

    async def _ensure_open(self) -> SqlPoller:
        if self._poller is None:
            try:
                connection = self._connect()
            except sqlite3.Error as exc:
                raise translate_error(exc, "connect") from exc
            self._poller = SqlPoller(connection, self.lookback_s)
        return self._poller

    async def close(self) -> None:
        """Close the connection; never raises."""
        poller, self._poller = self._poller, None
        if poller is not None:
            with contextlib.suppress(sqlite3.Error):
                poller.connection.close()
        if self._on_close is not None:
            self._on_close()

    async def check(self) -> None:
        """Run a trivial query.

        Raises:
            SourceError: the source does not answer.
        """
        poller = await self._ensure_open()
        table = next(iter(self.tables.values()))
        try:
            poller.connection.execute(f"SELECT 1 FROM {table.table} LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise translate_error(exc, table.table) from exc

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """The next page of ``stream`` after ``cursor`` (see the module docstring)."""
        poller = await self._ensure_open()
        return poller.poll(self.tables[stream], cursor, min(limit, self.page_size))
