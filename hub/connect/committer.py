"""Committing a stream's cursors without stalling its fetch loop.

A cursor commit is a write to the offsets topic that the broker acknowledges after a
round trip (10 to 20 ms on the embedded broker); a runtime that awaited each one before
fetching its next page idled for a third of a bulk sync. A :class:`CursorCommitter` keeps
at most one commit in flight instead: a cursor offered while one is in flight waits, and
only the newest waiting cursor is written when the flight lands (an older one would be
overwritten at once: the offsets topic is compacted by connector and stream). Commits
stay in order, and each cursor offered was already acknowledged with every page before it,
so a crash loses at most the commits in flight: the restart re-reads a few pages
(duplicates), never skips one. A failed commit is raised by the next :meth:`offer` or by
:meth:`flush`, which the runtime calls at the end of every stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from hub.connect.records import Cursor

__all__ = ["CursorCommitter"]


class CursorCommitter:
    """Commits one stream's acknowledged cursors in order, one write in flight at a time.

    Args:
        commit: writes one cursor and waits for its acknowledgement.
    """

    def __init__(self, commit: Callable[[Cursor], Awaitable[None]]) -> None:
        self._commit = commit
        self._flying: asyncio.Task[None] | None = None
        self._waiting: Cursor | None = None

    def offer(self, cursor: Cursor) -> None:
        """Commit ``cursor`` as soon as the commit in flight (if any) landed.

        Raises:
            Exception: whatever the previous commit raised.
        """
        self._waiting = cursor
        if self._flying is not None:
            if not self._flying.done():
                return
            flown, self._flying = self._flying, None
            flown.result()
        self._launch()

    async def flush(self) -> None:
        """Wait until every cursor offered is committed (raising what a commit raised)."""
        while self._flying is not None:
            flown, self._flying = self._flying, None
            await flown
            self._launch()

    def cancel(self) -> None:
        """Abandon the commit in flight and the one waiting (after a failure or a stop)."""
        if self._flying is not None:
            if self._flying.done():
                self._flying.exception()  # retrieved: it was a failure or nothing
            else:
                self._flying.cancel()
        self._flying = self._waiting = None

    def _launch(self) -> None:
        if self._waiting is not None:
            cursor, self._waiting = self._waiting, None
            self._flying = asyncio.ensure_future(self._commit(cursor))
