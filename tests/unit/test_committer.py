"""Cursor commits: in order, one in flight, the newest waiting one written, failures raised."""

from __future__ import annotations

import asyncio

import pytest

from hub.connect.committer import CursorCommitter
from hub.connect.records import Cursor


class SlowStore:
    """Records commits; each takes until ``release`` is set (or fails when told to)."""

    def __init__(self) -> None:
        self.written: list[int] = []
        self.release = asyncio.Event()
        self.fail = False

    async def commit(self, cursor: Cursor) -> None:
        await self.release.wait()
        if self.fail:
            raise RuntimeError("broker refused the commit")
        self.written.append(cursor["n"])


async def test_one_commit_in_flight_and_only_the_newest_waiting_one_follows() -> None:
    store = SlowStore()
    committer = CursorCommitter(store.commit)
    for n in range(5):
        committer.offer({"n": n})
        await asyncio.sleep(0)
    store.release.set()
    await committer.flush()
    assert store.written == [0, 4]


async def test_commits_land_in_order_without_waiting_for_each_other() -> None:
    store = SlowStore()
    store.release.set()
    committer = CursorCommitter(store.commit)
    for n in range(20):
        committer.offer({"n": n})
        await asyncio.sleep(0)
    await committer.flush()
    assert store.written == sorted(store.written)
    assert store.written[-1] == 19


async def test_a_failed_commit_is_raised_by_the_next_offer_or_the_flush() -> None:
    store = SlowStore()
    store.fail = True
    store.release.set()
    committer = CursorCommitter(store.commit)
    committer.offer({"n": 1})
    await asyncio.sleep(0.01)
    with pytest.raises(RuntimeError, match="refused"):
        committer.offer({"n": 2})
    committer.cancel()
    committer.offer({"n": 3})
    with pytest.raises(RuntimeError, match="refused"):
        await committer.flush()


async def test_cancel_abandons_the_flight() -> None:
    store = SlowStore()
    committer = CursorCommitter(store.commit)
    committer.offer({"n": 1})
    await asyncio.sleep(0)
    committer.cancel()
    store.release.set()
    await committer.flush()
    assert store.written == []
