"""A simulated SQL source system: a SQLite file a mock owns, fills and keeps writing to.

A mock SQL source (:class:`SqlSource`) creates a SQLite database in a temporary directory
on first use, with the source's own table and column names, and writes every subject's
rows into it from the synthetic province. Before answering each query it catches up with
the province's timeline (moves, deaths, and whatever else the subclass derives from
time), upserting the affected subjects' rows. Readers get a read-only connection
(:meth:`SqlSource.connect`) and run real SQL on it.

What the simulation adds, because real databases do it to pollers:

* **Shared timestamps.** Rows come from the province in batches that share one
  ``updated_at`` (the initial load in groups of seven, timeline changes in threes).
* **Late commits.** About :data:`LATE_PERCENT` per cent of the rows of each write batch
  (never the newest one) are held back as an open transaction: they become visible only
  after a query has returned a row positioned after them (``(updated_at, key)``), i.e.
  after rows with a later ``updated_at`` were already visible, or after
  :data:`MAX_PENDING_QUERIES` queries at the latest. The commit lag is bounded: a query
  never returns a row more than :data:`MAX_COMMIT_LAG_S` seconds newer than a row it
  hides (such a late row commits first), so a poller whose look-back window exceeds the
  lag finds every late row.
* **Faults** from a :class:`~hub.province.faults.FaultInjector`, as the driver raises
  them: ``database is locked`` (a busy timeout), ``disk I/O error`` (the server side
  failing), ``too many connections`` (a gateway's rate limit, with a retry hint) and a
  result set cut off while it is fetched.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from hub.province.faults import FaultInjector, FaultKind
from hub.province.people import derive_seed
from hub.province.province import Province
from hub.province.sqlwire import SqlConnection, SqlResult, SqlTableDef

#: Share (per cent) of the rows of a write batch that commit late.
LATE_PERCENT = 3
#: Queries after which a late row commits even if no query passed it.
MAX_PENDING_QUERIES = 3
#: A query never shows a row this much newer (seconds) than a row it still hides.
MAX_COMMIT_LAG_S = 10.0
#: The retry hint of a simulated rate limit, in seconds.
RATE_LIMIT_RETRY_S = 0.05


@dataclass
class _Pending:
    row: tuple[Any, ...]
    position: tuple[Any, Any]
    queries: int = 0


class SqlSource(ABC):
    """A mock source system backed by a SQLite file (see the module docstring).

    Subclasses define the table (:attr:`table`) and the source's name (:attr:`source`),
    and render a subject's rows (:meth:`rows_of`); they may add time-driven changes with
    :meth:`touched`.

    Args:
        province: the shared synthetic province.
        faults: fault injection for every query.
    """

    table: ClassVar[SqlTableDef]
    #: The source's name (seeds its late commits and malformed records).
    source: ClassVar[str]

    def __init__(self, province: Province, faults: FaultInjector | None = None) -> None:
        self.province = province
        self.population = province.population
        self.faults = faults or FaultInjector()
        self.queries = 0
        self._dir: Path | None = None
        self._cleanup: weakref.finalize[Any, Any] | None = None
        self._writer: sqlite3.Connection | None = None
        self._synced_to: datetime | None = None
        self._pending: dict[Any, _Pending] = {}
        self._high_water: tuple[Any, Any] | None = None
        self._key_at = self.table.column_names.index(self.table.key)
        self._ts_at = self.table.column_names.index(self.table.updated_at)

    # -- what subclasses provide ---------------------------------------------------------
    @abstractmethod
    def rows_of(self, index: int) -> list[dict[str, Any]]:
        """The native rows of subject ``index`` as of the timeline's current time."""

    def touched(self, since: datetime, until: datetime) -> Iterable[int]:
        """Subjects whose rows may have changed in ``[since, until)`` (timeline changes)."""
        return sorted({c.index for c in self.province.timeline.changed_since(since)})

    def subjects(self) -> range:
        """Every subject index (people, by default)."""
        return range(self.population.citizens)

    def corrupted(
        self, index: int, rows: list[dict[str, Any]], corrupt: Callable[[dict[str, Any], int], None]
    ) -> list[dict[str, Any]]:
        """``rows``, the first broken by ``corrupt(row, key)`` when subject ``index`` is malformed.

        One record per malformed subject, as in every mock source, so that the dead-letter
        count equals :meth:`~hub.province.Province.malformed_subjects`. ``key`` is drawn
        from the seed, the source and ``index``; ``corrupt`` picks the kind of damage.
        """
        if rows and self.province.malformed(self.source, index):
            corrupt(rows[0], derive_seed(self.province.config.seed, self.source, "bad", index))
        return rows

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def path(self) -> Path:
        """The database file (created on first use)."""
        self._ensure_built()
        assert self._dir is not None
        return self._dir / f"{self.source}.sqlite3"

    def connect(self) -> SqlConnection:
        """A new read-only connection to the source's database."""
        uri = f"file:{self.path}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        return SqlConnection(connection, lambda sql, params: self._query(connection, sql, params))

    def close(self) -> None:
        """Drop the database (a later :meth:`connect` builds it again)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = self._dir = None
        self._pending.clear()
        self._high_water = None
        self._synced_to = None

    def _ensure_built(self) -> None:
        if self._writer is not None:
            return
        self._dir = Path(tempfile.mkdtemp(prefix=f"hub-{self.source}-"))
        # Dropped with the mock even if nobody calls close() (a forgotten adapter).
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, ignore_errors=True)
        writer = sqlite3.connect(
            self._dir / f"{self.source}.sqlite3", isolation_level=None, check_same_thread=False
        )
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA synchronous=OFF")
        t = self.table
        columns = ", ".join(f"{name} {kind}" for name, kind in t.columns)
        writer.execute(f"CREATE TABLE {t.name} ({columns}, PRIMARY KEY ({t.key}))")
        writer.execute(f"CREATE INDEX ix_{t.name}_cn ON {t.name} ({t.updated_at}, {t.key})")
        self._writer = writer
        self._synced_to = self.province.timeline.now
        self._write((row for i in self.subjects() for row in self.rows_of(i)), fresh=True)

    # -- writing -----------------------------------------------------------------------
    def _sync(self) -> None:
        now = self.province.timeline.now
        if self._synced_to is None or now == self._synced_to:
            return
        since, self._synced_to = self._synced_to, now
        self._write(row for index in self.touched(since, now) for row in self.rows_of(index))

    def _write(self, rows: Iterable[dict[str, Any]], *, fresh: bool = False) -> None:
        """Upsert ``rows``; hold some back as late commits (never the newest of the batch)."""
        assert self._writer is not None
        names, t = self.table.column_names, self.table
        batch = sorted(
            (tuple(row.get(n) for n in names) for row in rows),
            key=lambda r: (r[self._ts_at], r[self._key_at]),
        )
        if self._pending:  # a pending row superseded by a newer write never commits
            for row in batch:
                self._pending.pop(row[self._key_at], None)
        current = {} if fresh else self._current_positions(batch)
        visible: list[tuple[Any, ...]] = []
        seed = self.province.config.seed
        for n, row in enumerate(batch):
            key, ts = row[self._key_at], row[self._ts_at]
            if current.get(key) == ts:
                continue  # unchanged: rewriting it would not be a new version
            late = derive_seed(seed, self.source, "late", key, ts) % 100 < LATE_PERCENT
            if late and n < len(batch) - 1:
                self._pending[key] = _Pending(row, (ts, key))
            else:
                visible.append(row)
        marks = ", ".join("?" * len(names))
        self._writer.execute("BEGIN")
        self._writer.executemany(f"INSERT OR REPLACE INTO {t.name} VALUES ({marks})", visible)
        self._writer.execute("COMMIT")

    def _current_positions(self, batch: list[tuple[Any, ...]]) -> dict[Any, Any]:
        assert self._writer is not None
        t, found = self.table, {}
        for row in batch:
            hit = self._writer.execute(
                f"SELECT {t.updated_at} FROM {t.name} WHERE {t.key} = ?", (row[self._key_at],)
            ).fetchone()
            if hit is not None:
                found[row[self._key_at]] = hit[0]
        return found

    def _commit_pending(self, due: list[_Pending]) -> None:
        assert self._writer is not None
        if not due:
            return
        marks = ", ".join("?" * len(self.table.column_names))
        self._writer.execute("BEGIN")
        for pending in due:
            del self._pending[pending.position[1]]
            self._writer.execute(
                f"INSERT OR REPLACE INTO {self.table.name} VALUES ({marks})", pending.row
            )
        self._writer.execute("COMMIT")

    # -- reading -----------------------------------------------------------------------
    def _query(self, connection: sqlite3.Connection, sql: str, params: Sequence[Any]) -> SqlResult:
        self.queries += 1
        self._sync()
        for pending in self._pending.values():
            pending.queries += 1
        passed = self._high_water
        self._commit_pending(
            [
                p
                for p in self._pending.values()
                if p.queries > MAX_PENDING_QUERIES or (passed is not None and p.position < passed)
            ]
        )
        fault = self.faults.next_fault()
        if fault is FaultKind.TIMEOUT:
            raise sqlite3.OperationalError("database is locked")
        if fault is FaultKind.SERVER_ERROR:
            raise sqlite3.OperationalError("disk I/O error")
        if fault is FaultKind.RATE_LIMIT:
            raise sqlite3.OperationalError(
                f"too many connections: retry after {RATE_LIMIT_RETRY_S} s"
            )
        cursor = connection.execute(sql, params)
        rows = cursor.fetchall()
        newest = self._newest(cursor.description, rows)
        if newest is not None and self._pending:
            horizon = self.table.seconds(newest[0]) - MAX_COMMIT_LAG_S
            overdue = [
                p for p in self._pending.values() if self.table.seconds(p.position[0]) < horizon
            ]
            if overdue:  # they committed before this read began: read again
                self._commit_pending(overdue)
                cursor = connection.execute(sql, params)
                rows = cursor.fetchall()
                newest = self._newest(cursor.description, rows)
        if newest is not None and (self._high_water is None or newest > self._high_water):
            self._high_water = newest
        if fault is FaultKind.TRUNCATED:
            return SqlResult(cursor.description, rows, cut_after=len(rows) // 2)
        return SqlResult(cursor.description, rows)

    def _newest(self, description: Any, rows: list[tuple[Any, ...]]) -> tuple[Any, Any] | None:
        """The greatest ``(updated_at, key)`` among ``rows``, if the query selected both."""
        if not rows or description is None:
            return None
        names = [d[0] for d in description]
        try:
            ts_at, key_at = names.index(self.table.updated_at), names.index(self.table.key)
        except ValueError:
            return None
        return max((r[ts_at], r[key_at]) for r in rows)
