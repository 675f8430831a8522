"""Spawned worker processes that never outlive the process that started them.

The hub hands CPU-bound work to small pools of worker processes (connectors encode
pages in them, consumers verify signatures in them). The workers are spawned, not forked:
the parent runs an event loop and Kafka client threads, which a fork would copy in an
unknown state. A program using a pool therefore needs the usual
``if __name__ == "__main__"`` guard.

A parent killed with SIGKILL cannot stop its workers, which would otherwise wait on their
task queue for ever: each worker watches its parent's pid and exits when it is gone. The
pid is the parent's own, handed over at spawn, so that a worker that finishes starting
after its parent died exits too. Workers ignore Ctrl-C, which reaches the whole process
group: the parent stops them itself.

A page handed to a worker is a few hundred kilobytes, and pipes hold 64 KiB by default:
a pool's (:func:`spawn_pool`) pipes are widened to 1 MiB (Linux's default limit for a
pipe) where the system allows it, so that the next task waits whole in the pipe when a
worker is ready for it. The encoding workers (:func:`spawn_process`) talk over socket
pairs widened the same way (:mod:`hub.connect.worker_channel`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.process import BaseProcess
from typing import Any

__all__ = ["spawn_pool", "spawn_process"]


def spawn_pool(
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes that exit when this process is gone.

    Args:
        workers: number of processes.
        initializer: run in each worker after the parent watch is set up.
        initargs: its arguments.
    """
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(os.getpid(), initializer, initargs),
    )
    _widen_pipes(pool)
    return pool


def spawn_process(target: Callable[..., None], *args: Any, niceness: int = 0) -> BaseProcess:
    """A started, spawned process running ``target(*args)`` that exits when this process
    is gone (a daemon: it is also stopped when this process exits normally).

    ``args`` cross to the process pickled; a socket among them crosses as a duplicate of
    its file descriptor. ``niceness`` is added to the process's own before ``target``
    runs (``os.nice``: a lower scheduling priority, which needs no privilege).
    """
    process = multiprocessing.get_context("spawn").Process(
        target=_run_worker, args=(os.getpid(), niceness, target, args), daemon=True
    )
    process.start()
    return process


def _run_worker(
    parent: int, niceness: int, target: Callable[..., None], args: tuple[Any, ...]
) -> None:
    if niceness:
        os.nice(niceness)
    _init_worker(parent, None, ())
    target(*args)


#: Bytes a pool's pipes may hold (Linux's ``/proc/sys/fs/pipe-max-size`` by default).
PIPE_BYTES = 1 << 20


def _widen_pipes(pool: ProcessPoolExecutor) -> None:
    """Let the pool's task and result pipes hold :data:`PIPE_BYTES` (Linux only, best
    effort: where the system refuses, a pipe keeps its size and the pool works as before)."""
    if sys.platform != "linux":
        return
    import fcntl

    for queue in (getattr(pool, "_call_queue", None), getattr(pool, "_result_queue", None)):
        writer = getattr(queue, "_writer", None)
        if writer is not None:
            with contextlib.suppress(OSError):
                fcntl.fcntl(writer.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _init_worker(
    parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)
