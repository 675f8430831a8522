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
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

__all__ = ["spawn_pool"]


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
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(os.getpid(), initializer, initargs),
    )


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
