"""One encoding worker, seen from the connector's process: spawning it, its readiness,
stopping it. :class:`~hub.connect.encoder_pool.EncodingPool` exchanges pages with it."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from hub.connect.encoder_worker import serve
from hub.connect.worker_channel import READY, ChannelClosed, widen
from hub.worker_processes import spawn_process

__all__ = ["WorkerLink"]


class WorkerLink:
    """One encoding worker process and this process's end of its channel.

    Spawning it returns at once; the worker says it is ready with one byte
    (:data:`~hub.connect.worker_channel.READY`) once its imports are done.

    Args:
        niceness: added to the worker's scheduling niceness (a lower priority).
    """

    def __init__(self, niceness: int = 0) -> None:
        ours, theirs = socket.socketpair()
        widen(ours)
        widen(theirs)
        try:
            self.process = spawn_process(serve, theirs, niceness=niceness)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()  # the worker holds its own duplicate
        ours.setblocking(False)  # the event loop's socket calls need it
        self.channel = ours
        #: whether the worker said it finished starting.
        self.ready = False
        #: the loop of the exchange in progress; None when the worker is idle.
        self.busy_in: asyncio.AbstractEventLoop | None = None

    def poll_ready(self) -> bool:
        """Whether the worker is ready, reading its first byte without waiting.

        Raises:
            ChannelClosed: it died while starting.
        """
        if not self.ready:
            try:
                said = self.channel.recv(1)
            except BlockingIOError:
                return False
            if said != READY:
                raise ChannelClosed("an encoding worker ended while it started")
            self.ready = True
        return True

    def stop(self) -> None:
        """Shut the channel: the worker reads its end and exits.

        An exchange in progress then ends (the loop sees the channel shut, not a closed
        file it would wait on for ever) and closes the channel itself.
        """
        with contextlib.suppress(OSError):
            self.channel.shutdown(socket.SHUT_RDWR)
        if self.busy_in is None or self.busy_in.is_closed():
            self.channel.close()
