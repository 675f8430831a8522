"""The SQL poller's cursor (hub/connect/sql_polling.py) and the mock SQL source under it.

Equal timestamps split across pages, late commits behind the cursor, resumes from a
JSON round-tripped cursor: every row version is delivered once, none twice, and only a
commit later than the documented window can be missed.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.residence.adapter import REGISTRATIONS, residence_adapter
from connectors.residence.mock import ResidenceDb
from hub.connect.records import Cursor
from hub.connect.sql_polling import PolledTable, SqlPoller, shift_epoch, shift_iso
from hub.errors import FatalSourceError, RateLimitedError, RetriableSourceError
from hub.province import Province, ProvinceConfig
from hub.province.faults import FaultInjector, FaultKind

T0 = datetime(2026, 1, 1, 7, tzinfo=UTC)
TABLE = PolledTable("t", ("k", "ts", "v"), updated_at="ts", key="k", shift=shift_iso)
WINDOW_S = 30.0


def _ts(seconds: int) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def _db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, ts TEXT, v INTEGER)")
    db.execute("CREATE INDEX ix ON t (ts, k)")
    return db


def _put(db: sqlite3.Connection, key: str, seconds: int, v: int = 0) -> None:
    db.execute("INSERT OR REPLACE INTO t VALUES (?, ?, ?)", (key, _ts(seconds), v))


def _poll(poller: SqlPoller, cursor: Cursor | None, limit: int) -> tuple[list[Any], Cursor, bool]:
    """One page, with the cursor round-tripped through JSON as the cursor store does."""
    page = poller.poll(TABLE, cursor, limit)
    got = [(r.payload["ts"], r.payload["k"]) for r in page.records]
    return got, json.loads(json.dumps(page.cursor)), page.has_more


def _drain(poller: SqlPoller, cursor: Cursor | None, limit: int) -> tuple[list[Any], Cursor]:
    seen: list[Any] = []
    while True:
        got, cursor, more = _poll(poller, cursor, limit)
        seen += got
        if not more:
            return seen, cursor


def test_equal_timestamps_split_across_pages_are_all_delivered() -> None:
    db = _db()
    for n in range(7):  # seven rows share one timestamp, as a batch load writes them
        _put(db, f"k{n}", 0)
    _put(db, "k7", 1)
    got, cursor = _drain(SqlPoller(db, WINDOW_S), None, 3)
    assert got == [(_ts(0), f"k{n}") for n in range(7)] + [(_ts(1), "k7")]
    assert (cursor["updated_at"], cursor["key"]) == (_ts(1), "k7")


def test_late_commit_behind_the_cursor_is_delivered_once() -> None:
    db, poller = _db(), SqlPoller(_db(), WINDOW_S)
    poller.connection = db
    for n in range(5):
        _put(db, f"a{n}", 10)
    got, cursor, _ = _poll(poller, None, 10)
    assert len(got) == 5
    _put(db, "a0-late", 10)  # same timestamp, key before the cursor's key
    _put(db, "late", 2)  # an older timestamp, inside the window
    _put(db, "b", 11)
    got, cursor, more = _poll(poller, cursor, 10)
    assert got == [(_ts(2), "late"), (_ts(10), "a0-late"), (_ts(11), "b")] and more
    got, cursor, more = _poll(poller, cursor, 10)
    assert (got, more) == ([], False)


def test_resumed_poll_repeats_nothing_and_misses_only_beyond_the_window() -> None:
    db = _db()
    for n in range(10):
        _put(db, f"k{n:02d}", n * 10)
    first = SqlPoller(db, WINDOW_S)
    got, cursor, _ = _poll(first, None, 6)
    assert len(got) == 6  # the cursor is at k05 (t=50); the window reaches back to t=20
    _put(db, "in-window", 25)
    _put(db, "too-late", 15)  # committed later than the window allows: documented loss
    resumed = SqlPoller(db, WINDOW_S)  # a restart: new poller, cursor from the store
    rest, _ = _drain(resumed, cursor, 6)
    assert Counter(got + rest) == Counter(set(got + rest)), "a row was delivered twice"
    keys = {k for _, k in got + rest}
    assert "in-window" in keys and "too-late" not in keys
    assert keys - {"in-window"} == {f"k{n:02d}" for n in range(10)}


def test_an_update_moves_a_row_forward_and_is_delivered_again() -> None:
    db = _db()
    _put(db, "x", 0)
    poller = SqlPoller(db, WINDOW_S)
    got, cursor = _drain(poller, None, 5)
    _put(db, "x", 5, v=2)  # new version, new position
    again, _ = _drain(poller, cursor, 5)
    assert got == [(_ts(0), "x")] and again == [(_ts(5), "x")]


def test_epoch_timestamps_shift_as_integers() -> None:
    assert shift_epoch(1_700_000_030, 30.0) == 1_700_000_000
    assert shift_iso("2026-01-01T07:00:30+07:00", 30) == "2026-01-01T07:00:00+07:00"
    assert shift_iso("2026-01-01 07:00:30", 31) == "2026-01-01 06:59:59"


# -- property: any interleaving of late commits and polls ---------------------------------

_WRITES = st.lists(
    st.tuples(st.integers(0, 11), st.integers(-20, 5), st.integers(1, 7)), max_size=60
)


@given(writes=_WRITES, limits=st.lists(st.integers(1, 5), min_size=1, max_size=8))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_version_is_delivered_exactly_once(
    writes: list[tuple[int, int, int]], limits: list[int]
) -> None:
    """Writes lag the newest visible row by at most 20 s (< the 30 s window)."""
    db, delivered, cursor, clock = _db(), [], None, 0
    for n, (key, lag, polls_after) in enumerate(writes):
        clock = max(clock, clock + lag)
        _put(db, f"k{key:02d}", clock + min(lag, 0), v=n)
        for p in range(polls_after % 3):  # a fresh poller each time: every poll is a resume
            got, cursor, _ = _poll(SqlPoller(db, WINDOW_S), cursor, limits[(n + p) % len(limits)])
            delivered += got
    rest, _ = _drain(SqlPoller(db, WINDOW_S), cursor, limits[0])
    delivered += rest
    assert len(delivered) == len(set(delivered)), "a version was delivered twice"
    final = {(ts, k) for k, ts in db.execute("SELECT k, ts FROM t")}
    assert final <= set(delivered), "a row was skipped"


# -- against the mock SQL source: late commits and faults ---------------------------------


def _province(seed: int) -> Province:
    return Province(ProvinceConfig(seed=seed, citizens=400, malformed_rate=0))


def test_mock_source_late_commits_are_all_delivered_once() -> None:
    db = ResidenceDb(_province(11))
    connection = db.connect()
    assert db._pending, "the mock held no row back"
    poller = SqlPoller(connection, WINDOW_S)
    delivered: list[Any] = []
    cursor: Cursor | None = None
    while True:
        page = poller.poll(REGISTRATIONS, cursor, 25)
        delivered += [(r.payload["ngay_cap_nhat"], r.payload["so_dk"]) for r in page.records]
        cursor = json.loads(json.dumps(page.cursor))
        if not page.has_more:
            break
    assert not db._pending
    table = set(connection.execute("SELECT ngay_cap_nhat, so_dk FROM dk_cu_tru").fetchall())
    assert len(delivered) == len(set(delivered)) and set(delivered) == table
    order = [delivered.index(p) for p in sorted(table)]
    assert order != sorted(order), "no row arrived behind a later one (no late commit seen)"
    db.close()


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        (FaultKind.TIMEOUT, RetriableSourceError),
        (FaultKind.SERVER_ERROR, RetriableSourceError),
        (FaultKind.TRUNCATED, RetriableSourceError),
        (FaultKind.RATE_LIMIT, RateLimitedError),
    ],
)
def test_faults_are_translated_and_the_retry_resumes(kind: FaultKind, error: type) -> None:
    faults = FaultInjector()
    adapter = residence_adapter(ResidenceDb(_province(12), faults), page_size=50)

    async def scenario() -> None:
        first = await adapter.fetch("registrations", None, 50)
        faults.script(kind)
        with pytest.raises(error) as raised:
            await adapter.fetch("registrations", first.cursor, 50)
        if kind is FaultKind.RATE_LIMIT:
            assert raised.value.retry_after == pytest.approx(0.05)  # type: ignore[attr-defined]
        second = await adapter.fetch("registrations", first.cursor, 50)
        keys = {r.payload["so_dk"] for r in first.records + second.records}
        assert len(keys) == len(first.records) + len(second.records)
        await adapter.close()

    asyncio.run(scenario())


def test_unknown_table_is_fatal() -> None:
    db = ResidenceDb(_province(13))
    poller = SqlPoller(db.connect())
    wrong = PolledTable("khong_co", ("a", "b"), updated_at="a", key="b")
    with pytest.raises(FatalSourceError, match="no such table"):
        poller.poll(wrong, None, 10)
    db.close()
