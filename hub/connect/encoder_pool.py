"""Encoding connector pages in worker processes, while the connector fetches and publishes.

Mapping, normalising, Avro encoding and signing a page (:class:`PageEncoder`) is pure CPU
work, several times what fetching and publishing the page cost, and a connector's
process runs it on one core. An :class:`EncodingPool` runs it in a few spawned worker
processes (:mod:`hub.worker_processes`) instead, shared by every connector of the
process: the runtime submits page *n* and fetches page *n + 1* while a worker encodes,
then publishes the pages in source order (:mod:`hub.connect.runtime`). What runs in the
workers is :mod:`hub.connect.encoder_worker`; how pages cross to them and back,
:mod:`hub.connect.page_crossing`.

Small pages, a mapper, spec or page that cannot be pickled, a pool whose workers have not
started yet: each of these is encoded in the connector's process instead, with the same
result. A pool whose workers died (or could not start) is given up for the process's
lifetime, with a warning, and every page is encoded inline from then on. Encoding is
deterministic apart from message ids and the extraction time, so where a page was
encoded never shows in what is published.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import threading
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from concurrent.futures import Future as ConcurrentFuture
from typing import ClassVar

from hub.connect.encoder import EncodedPage, PageEncoder
from hub.connect.encoder_worker import EncoderRecipe, encode_in_worker, init_worker
from hub.connect.framing import Framing
from hub.connect.page_crossing import pack_page, unshape_page
from hub.connect.records import Cursor, NativeRecord
from hub.worker_processes import spawn_pool

__all__ = ["EncodingPool", "PageEncoding"]

log = logging.getLogger(__name__)

#: Pages with fewer records are encoded in the connector's process: the round trip to a
#: worker (pickling both ways) would cost more than it saves.
INLINE_BELOW = 100


class EncodingPool:
    """Worker processes that encode pages for every connector of this process.

    Args:
        workers: number of worker processes (0: every page is encoded inline).

    Use :meth:`shared` rather than the constructor: one pool per process is enough, and
    its workers take about a second to start.
    """

    _shared: ClassVar[dict[int, EncodingPool]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, workers: int) -> None:
        self.workers = max(0, workers)
        self._executor: ProcessPoolExecutor | None = None
        self._warm_up: list[ConcurrentFuture[int]] = []
        #: pages encoded in the workers so far.
        self.pages = 0

    @classmethod
    def shared(cls, workers: int) -> EncodingPool:
        """The process's pool of ``workers`` workers (started at its first large page)."""
        with cls._lock:
            pool = cls._shared.get(workers)
            if pool is None:
                pool = cls._shared[workers] = cls(workers)
            return pool

    def start(self) -> None:
        """Spawn the workers now; pages are encoded inline until they answer."""
        if self._executor is not None or self.workers <= 0:
            return
        self._executor = spawn_pool(self.workers, init_worker)
        self._warm_up = [self._executor.submit(int) for _ in range(self.workers)]

    @property
    def ready(self) -> bool:
        """Whether every worker has started and answered."""
        return self._executor is not None and all(f.done() for f in self._warm_up)

    async def wait_ready(self, limit_s: float = 60.0) -> bool:
        """Start the workers and wait until they answer; False when they cannot start."""
        self.start()
        if self._executor is None:
            return False
        try:
            await asyncio.wait_for(
                asyncio.gather(*(asyncio.wrap_future(f) for f in self._warm_up)), limit_s
            )
        except (BrokenExecutor, TimeoutError) as exc:
            self._give_up(f"encoding workers did not start ({exc})")
            return False
        return True

    def _give_up(self, why: str) -> None:
        """Encode inline from now on: workers that died once (a program without the
        ``__main__`` guard cannot spawn them, the OOM killer...) would likely die again."""
        if self.workers > 0:
            log.warning("%s: encoding in the connectors' process from now on", why)
        self.close()
        self.workers = 0

    async def encode(
        self,
        recipe: bytes,
        stream: str,
        records: Sequence[NativeRecord],
        cursor: Cursor | None,
        framing: Framing | None = None,
    ) -> EncodedPage | None:
        """Encode a page in a worker; None when the pool cannot (the caller encodes it).

        With ``framing``, the page comes back as record batches, not messages.
        """
        executor = self._executor
        if executor is None or not self.ready:
            self.start()
            if self._warm_up and any(f.exception() for f in self._warm_up if f.done()):
                self._give_up("encoding workers did not start")
            return None
        try:
            page = pack_page(records)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            log.info("a page cannot cross to an encoding worker (%s): encoding it here", exc)
            return None
        try:
            loop = asyncio.get_running_loop()
            shaped = await loop.run_in_executor(
                executor, encode_in_worker, recipe, stream, page, cursor, framing
            )
        except BrokenExecutor as exc:
            self._give_up(f"an encoding worker died ({exc})")
            return None
        self.pages += 1
        return unshape_page(shaped)

    def worker_pids(self) -> list[int]:
        """The workers' process ids (for operators and tests)."""
        processes = getattr(self._executor, "_processes", None) or {}
        return sorted(processes)

    def close(self) -> None:
        """Stop the workers (pages in progress are abandoned; their callers re-encode)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
            self._warm_up = []


class PageEncoding:
    """How one runtime's pages are encoded: in the pool when worthwhile, else inline.

    Args:
        encoder: the runtime's own encoder (small pages, and the fallback).
        recipe: the recipe of the same encoder, for the workers.
        pool: the worker pool, or None to encode every page inline.
    """

    def __init__(
        self,
        encoder: PageEncoder,
        recipe: EncoderRecipe,
        pool: EncodingPool | None,
    ) -> None:
        self.encoder = encoder
        self.pool = pool if pool is not None and pool.workers > 0 else None
        self._recipe = _pickled(recipe) if self.pool is not None else None

    @property
    def parallel(self) -> int:
        """How many pages may be encoding at once (0: each is encoded as submitted)."""
        return self.pool.workers if self.pool is not None and self._recipe else 0

    def submit(
        self,
        stream: str,
        records: Sequence[NativeRecord],
        cursor: Cursor | None,
        framing: Framing | None = None,
    ) -> asyncio.Future[EncodedPage]:
        """Start encoding a page; the future holds its messages, in source order.

        A page encoded in a worker comes back framed with ``framing``, when given.
        """
        if self.pool is None or self._recipe is None or len(records) < INLINE_BELOW:
            done: asyncio.Future[EncodedPage] = asyncio.get_running_loop().create_future()
            done.set_result(self.encoder.encode(stream, records, cursor))
            return done
        return asyncio.ensure_future(
            self._pooled(self.pool, self._recipe, stream, records, cursor, framing)
        )

    async def _pooled(
        self,
        pool: EncodingPool,
        recipe: bytes,
        stream: str,
        records: Sequence[NativeRecord],
        cursor: Cursor | None,
        framing: Framing | None,
    ) -> EncodedPage:
        encoded = await pool.encode(recipe, stream, records, cursor, framing)
        return encoded if encoded is not None else self.encoder.encode(stream, records, cursor)


def _pickled(recipe: EncoderRecipe) -> bytes | None:
    """The recipe as bytes; None when a part cannot cross to another process."""
    try:
        return pickle.dumps(recipe, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        log.info("%s: encoding in the connector's process (%s)", recipe.spec.name, exc)
        return None
