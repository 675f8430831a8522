"""Encoding connector pages in worker processes, while the connector fetches and publishes.

Mapping, normalising, Avro encoding and signing a page (:class:`PageEncoder`) is pure CPU
work, several times what fetching and publishing the page cost, and a connector's
process runs it on one core. An :class:`EncodingPool` runs it in a few spawned worker
processes (:mod:`hub.connect.worker_link`) instead, shared by every connector of the
process: the runtime submits page *n* and fetches page *n + 1* while a worker encodes,
then publishes the pages in source order (:mod:`hub.connect.runtime`). What runs in the
workers is :mod:`hub.connect.encoder_worker`; how pages cross to them and back,
:mod:`hub.connect.page_crossing`.

Small pages, a mapper, spec or page that cannot be pickled, a pool whose workers have
not started yet: each of these is encoded in the connector's process instead, with the
same result (:mod:`hub.connect.page_encoding` decides, page by page). A pool whose
workers died (or could not start) is given up for the process's lifetime, with a
warning, and every page is encoded inline from then on. Encoding is deterministic apart
from message ids and the extraction time, so where a page was encoded never shows in
what is published.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any, ClassVar

from hub.connect.encoder import EncodedPage
from hub.connect.framing import Framing
from hub.connect.page_crossing import pack_page, unshape_page
from hub.connect.records import Cursor, NativeRecord
from hub.connect.worker_channel import ChannelClosed, receive_on, send_on
from hub.connect.worker_link import WorkerLink

__all__ = ["EncodingPool"]

log = logging.getLogger(__name__)


def _answer_of(message: bytearray) -> tuple[bool, Any]:
    """A worker's answer: ``(True, shaped page)`` or ``(False, exception)``; an exception
    this process cannot rebuild (unpickling it raised) comes as a RuntimeError saying so."""
    try:
        answer: tuple[bool, Any] = pickle.loads(message)
    except Exception as exc:
        return False, RuntimeError(f"an encoding worker's answer could not be read: {exc!r}")
    return answer


class EncodingPool:
    """Worker processes that encode pages for every connector of this process.

    Args:
        workers: number of worker processes (0: every page is encoded inline).
        niceness: added to each worker's scheduling niceness (``HUB_ENCODE_WORKER_NICENESS``:
            docs/decisions.md, "Encoding workers yield the cores").

    Use :meth:`shared` rather than the constructor: one pool per process is enough, and
    its workers take about a second to start. The pool is driven from one thread; it may
    serve one event loop after another (each exchange with a worker runs on the loop of
    the page it carries).

    Each worker encodes one page at a time, exchanged over a socket pair straight from the
    event loop (:mod:`hub.connect.worker_link`); pages beyond the idle workers wait their
    turn in order. No thread stands between the loop and the workers (docs/decisions.md,
    "Encoding workers without a thread pool").
    """

    _shared: ClassVar[dict[tuple[int, int], EncodingPool]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, workers: int, niceness: int = 0) -> None:
        self.workers = max(0, workers)
        self.niceness = niceness
        self._slots: list[WorkerLink] = []
        #: pages waiting for an idle worker, in order.
        self._waiting: deque[asyncio.Future[None]] = deque()
        #: pages encoded in the workers so far.
        self.pages = 0

    @classmethod
    def shared(cls, workers: int, niceness: int = 0) -> EncodingPool:
        """The process's pool of ``workers`` workers at this ``niceness`` (started at its
        first large page)."""
        with cls._lock:
            pool = cls._shared.get((workers, niceness))
            if pool is None:
                pool = cls._shared[workers, niceness] = cls(workers, niceness)
            return pool

    def start(self) -> None:
        """Spawn the workers now (those missing); pages are encoded inline until one is
        ready."""
        try:
            while len(self._slots) < self.workers:
                self._slots.append(WorkerLink(self.niceness))
        except OSError as exc:
            self._give_up(f"encoding workers could not be spawned ({exc})")

    @property
    def ready(self) -> bool:
        """Whether every worker has started and said so."""
        return self._poll() is True

    def _poll(self) -> bool | None:
        """True when every worker is ready, False while one is starting, None when one
        died starting (the pool is then given up)."""
        try:
            states = [w.poll_ready() for w in self._slots]  # every one read: no short cut
            return bool(states) and all(states)
        except (ChannelClosed, OSError) as exc:
            self._give_up(f"encoding workers did not start ({exc})")
            return None

    async def wait_ready(self, limit_s: float = 60.0) -> bool:
        """Start the workers and wait until they are ready; False when they cannot start."""
        self.start()
        if not self._slots:  # no workers wanted, or given up
            return False
        deadline = time.monotonic() + limit_s
        while (state := self._poll()) is False:
            if time.monotonic() > deadline:
                self._give_up(f"encoding workers did not start within {limit_s:g} s")
                return False
            await asyncio.sleep(0.02)
        return bool(state)

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

        Raises:
            Exception: what encoding the page raised in the worker.
        """
        self.start()
        if self._poll() is None or not any(w.ready for w in self._slots):
            return None
        try:
            head = pickle.dumps((recipe, stream, cursor, framing), pickle.HIGHEST_PROTOCOL)
            page = pack_page(records)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            log.info("a page cannot cross to an encoding worker (%s): encoding it here", exc)
            return None
        loop = asyncio.get_running_loop()
        worker = await self._idle_worker(loop)
        if worker is None:
            return None
        # Shielded: a cancelled caller leaves the exchange to finish, so that the worker's
        # answer is read off its channel before the worker takes another page.
        answer = await asyncio.shield(loop.create_task(self._exchange(loop, worker, head, page)))
        if answer is None:
            return None
        done, outcome = answer
        if not done:
            raise outcome
        self.pages += 1
        return unshape_page(outcome)

    async def _idle_worker(self, loop: asyncio.AbstractEventLoop) -> WorkerLink | None:
        """An idle worker, taken for an exchange on ``loop``, once one is free; None when
        the pool was closed or given up meanwhile, or has no worker ready."""
        woken = False
        while self._slots:
            self._retire_abandoned()
            for worker in self._slots:
                if worker.busy_in is None and worker.ready:
                    worker.busy_in = loop
                    return worker
            if not any(w.busy_in is not None for w in self._slots):
                return None  # none busy and none ready: nothing to wait for
            waiter: asyncio.Future[None] = loop.create_future()
            if woken:  # its turn came but another page took the worker: first in line
                self._waiting.appendleft(waiter)
            else:
                self._waiting.append(waiter)
            woken = True
            try:
                await waiter
            except asyncio.CancelledError:
                if not waiter.cancelled():  # woken, then cancelled: pass the turn on
                    self._wake_one()
                raise
            finally:
                with contextlib.suppress(ValueError):
                    self._waiting.remove(waiter)
        return None

    async def _exchange(
        self, loop: asyncio.AbstractEventLoop, worker: WorkerLink, head: bytes, page: bytes
    ) -> tuple[bool, Any] | None:
        """Hand a page to ``worker`` and read its answer; None when the worker died (the
        pool is then given up)."""
        finished = False
        try:
            await send_on(loop, worker.channel, head)
            await send_on(loop, worker.channel, page)
            message = await receive_on(loop, worker.channel)
            finished = True  # the channel is in step again, whatever the message holds
            return _answer_of(message)
        except (ChannelClosed, OSError) as exc:
            finished = True  # nothing to replace: the pool is given up (or was closed)
            if worker in self._slots:
                self._give_up(f"an encoding worker died ({type(exc).__name__}: {exc})")
            return None
        finally:
            if worker not in self._slots:  # stopped meanwhile (closed, given up)
                worker.channel.close()
            elif finished:
                self._release(worker)
            else:  # cancelled with its loop mid-exchange: the channel is out of step
                self._retire(worker)

    def _release(self, worker: WorkerLink) -> None:
        worker.busy_in = None
        self._wake_one()

    def _wake_one(self) -> None:
        """Give the next waiting page its turn."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done() and not waiter.get_loop().is_closed():
                waiter.set_result(None)
                return

    def _retire(self, worker: WorkerLink) -> None:
        """Stop ``worker``; :meth:`start` spawns another in its place at the next page."""
        if worker in self._slots:
            self._slots.remove(worker)
            worker.busy_in = None  # its exchange is over: the channel can close at once
            worker.stop()
            self._wake_one()  # a page waiting for it finds another worker, or encodes itself

    def _retire_abandoned(self) -> None:
        """Retire the workers whose exchange ran on a loop closed since, unfinished."""
        for worker in list(self._slots):
            if worker.busy_in is not None and worker.busy_in.is_closed():
                self._retire(worker)

    def worker_pids(self) -> list[int]:
        """The workers' process ids (for operators and tests)."""
        return sorted(w.process.pid for w in self._slots if w.process.pid is not None)

    def close(self) -> None:
        """Stop the workers (pages in progress are abandoned; their callers re-encode)."""
        slots, self._slots = self._slots, []
        for worker in slots:
            worker.stop()
        while self._waiting:
            self._wake_one()  # each finds the pool empty and encodes its page itself
