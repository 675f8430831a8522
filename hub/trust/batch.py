"""Verifying record signatures in bulk: inline, or in worker processes when asked.

Records are signed in groups (:mod:`hub.trust.signing`): checking one costs its hashing
(its leaf and the few nodes of its path, 6 to 8 µs) plus, once per group of up to 64
records, an Ed25519 verification (about 110 µs) that the verifier's cache of verified
roots spares the group's other records: about 11 µs per record in all for a consumer
reading its topics from the beginning, against some 70 µs to decode and store one. A
pool no longer pays off there: handing a record to a worker process (pickling it there
and the answer back) costs the consumer about half of what verifying it inline does, and
reading 100,000 population records from the beginning ran at 11.1k records/s inline
against 11.2k with two workers (medians of three, on two cores), the workers spending
more CPU (verifying, and unpickling) than the consumer saved, and taking a second to
start. :class:`BatchVerifier` therefore verifies inline by default (``workers=0``).

The pool remains for a consumer whose records rarely share a group (a compacted topic
whose groups were mostly superseded, a source that publishes one record per page): each
of its records costs a whole Ed25519 verification, and the cryptography package holds the
GIL while it verifies, so only processes verify in parallel (every record alone in its
group: 30,000 records read at 5.4k records/s inline, 6.3k with two workers). With
``workers`` > 0, :class:`BatchVerifier` hands chunks of records to a small pool of worker
*processes* and returns one future per chunk: the consumer decodes chunk *n* while the
workers verify it and the chunks after it. Small batches (a consumer that follows its
topics) are verified inline, where the round trip to a worker would cost more than it
saves.

The workers are spawned, not forked (the consumer's process runs an event loop and
threads), so a program using the pool needs the usual ``if __name__ == "__main__"``
guard; they take about a second to start, so :meth:`BatchVerifier.start` is called early
and :meth:`BatchVerifier.ready` awaited before reading. If they cannot start, or die,
verification goes on inline (with a warning): slower, never skipped. They receive the
trusted public keys with every chunk (a few hundred bytes), so that a consumer can trust
new keys (rotation) without restarting them; each keeps its own cache of verified roots.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import weakref
from collections.abc import Mapping, Sequence
from concurrent.futures import BrokenExecutor, Executor, ThreadPoolExecutor

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.trust.keys import PublicKey
from hub.trust.signing import RecordVerifier, Refusal
from hub.worker_processes import spawn_pool

__all__ = ["BatchVerifier", "SignedItem"]

log = logging.getLogger(__name__)

#: What is checked of one record: Kafka key, value (None for a tombstone), headers.
SignedItem = tuple[bytes | None, bytes | None, Sequence[tuple[str, bytes]]]

#: Trusted keys in a form that crosses process boundaries: key id → (principal, raw key).
_RawKeys = dict[str, tuple[str, bytes]]
#: A chunk handed out: its start in the batch, its length, its refusals to come.
_Chunk = tuple[int, int, "asyncio.Future[list[Refusal | None]]"]


class BatchVerifier:
    """Checks records' signatures, inline or, when asked, in a worker pool.

    Args:
        trusted: trusted public keys by key id.
        workers: size of the pool (0, the default: always inline; see the module
            docstring for when a pool pays off).
        chunk: records per task handed to a worker.
        inline_below: batches smaller than this are checked in the calling thread.
        processes: worker processes (the default); threads only help where the
            cryptography build releases the GIL while verifying.
    """

    def __init__(
        self,
        trusted: Mapping[str, PublicKey],
        *,
        workers: int = 0,
        chunk: int = 500,
        inline_below: int = 200,
        processes: bool = True,
    ) -> None:
        self.workers = workers
        self.chunk = max(1, chunk)
        self.inline_below = inline_below
        self.processes = processes
        self._executor: Executor | None = None
        self._warm_up: list[concurrent.futures.Future[int]] = []
        self.update(trusted)

    @property
    def trusted(self) -> Mapping[str, PublicKey]:
        """The trusted keys, by key id."""
        return self._verifier.trusted

    def update(self, trusted: Mapping[str, PublicKey]) -> None:
        """Trust exactly ``trusted`` from now on (chunks already handed out keep theirs).

        The cache of verified roots starts empty again.
        """
        self._verifier = RecordVerifier(trusted)
        self._raw: _RawKeys = {
            key_id: (key.principal, _raw_public(key.key)) for key_id, key in trusted.items()
        }

    def start(self) -> None:
        """Start the pool now (worker processes take about a second to start)."""
        if self._executor is not None or self.workers <= 0:
            return
        if self.processes:
            self._executor = spawn_pool(self.workers)  # they exit with this process
            # spawn every worker now, not at the first batch
            self._warm_up = [self._executor.submit(int) for _ in range(self.workers)]
            weakref.finalize(self, self._executor.shutdown, wait=False, cancel_futures=True)
        else:
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="verify")

    async def ready(self, limit_s: float = 60.0) -> None:
        """Start the pool and wait until its workers answer.

        Workers that cannot start (a program without an ``if __name__ == "__main__"``
        guard cannot spawn them) are given up: verification goes on inline, and a
        warning says so.
        """
        self.start()
        try:
            await asyncio.wait_for(
                asyncio.gather(*(asyncio.wrap_future(f) for f in self._warm_up)), limit_s
            )
        except (BrokenExecutor, TimeoutError) as exc:
            log.warning("verification workers did not start (%s): verifying inline", exc)
            self.close()
            self.workers = 0

    def check(self, items: Sequence[SignedItem]) -> list[Refusal | None]:
        """Check ``items`` in the calling thread: None for each authentic record."""
        return [self._verifier.check(key, value, headers) for key, value, headers in items]

    def check_chunks(self, items: Sequence[SignedItem]) -> list[_Chunk]:
        """Check ``items`` in the pool: (start index, length, refusals) per chunk, in order.

        Await the futures in order and act on each chunk as it completes. Batches
        smaller than ``inline_below``, and every batch when there is no pool, are
        checked at once (their futures are already done).
        """
        loop = asyncio.get_running_loop()
        if len(items) < self.inline_below or self.workers <= 0:
            done: asyncio.Future[list[Refusal | None]] = loop.create_future()
            done.set_result(self.check(items))
            return [(0, len(items), done)]
        self.start()
        out: list[_Chunk] = []
        for start in range(0, len(items), self.chunk):
            part = list(items[start : start + self.chunk])
            out.append((start, len(part), asyncio.ensure_future(self._pooled(loop, part))))
        return out

    async def _pooled(
        self, loop: asyncio.AbstractEventLoop, part: list[SignedItem]
    ) -> list[Refusal | None]:
        """Check ``part`` in the pool; inline from now on if the pool broke."""
        if self._executor is None:  # stopped meanwhile
            return self.check(part)
        try:
            if not self.processes:
                return await loop.run_in_executor(self._executor, self.check, part)
            raw = await loop.run_in_executor(self._executor, _check_chunk, self._raw, part)
        except BrokenExecutor as exc:
            if self.workers > 0:
                log.warning("verification workers lost (%s): verifying inline", exc)
                self.close()
                self.workers = 0
            return self.check(part)
        return [None if r is None else Refusal(r) for r in raw]

    def close(self) -> None:
        """Stop the pool (pending chunks are cancelled)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
            self._warm_up = []


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# -- in the worker processes

_cached: tuple[_RawKeys, RecordVerifier] | None = None


def _check_chunk(raw: _RawKeys, items: list[SignedItem]) -> list[str | None]:
    """Worker side: check ``items`` against ``raw`` keys (the verifier is kept per key set)."""
    global _cached
    if _cached is None or _cached[0] != raw:
        trusted = {
            key_id: PublicKey(key_id, principal, Ed25519PublicKey.from_public_bytes(key))
            for key_id, (principal, key) in raw.items()
        }
        _cached = (raw, RecordVerifier(trusted))
    verifier = _cached[1]
    return [
        None if (r := verifier.check(key, value, headers)) is None else r.value
        for key, value, headers in items
    ]
