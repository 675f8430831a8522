"""Length-prefixed messages over a socket pair between a connector's process and a worker.

Each message is an 8-byte little-endian length and that many bytes. The worker's side
blocks (:func:`send`, :func:`receive`); the connector's side runs on its event loop with a
non-blocking socket (:func:`send_on`, :func:`receive_on`), so that handing a page over and
taking its batches back needs no thread: the loop writes while the worker reads, and
wakes when the answer is there. A message is given as parts, written one after another,
so that a page's bytes are never copied to be joined to their header.

A worker's first byte is :data:`READY`, sent once its imports are done; it is not framed.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

__all__ = ["READY", "WINDOW", "ChannelClosed", "receive", "receive_on", "send", "send_on", "widen"]

#: The byte a worker sends, alone, when it is ready for its first message.
READY = b"R"
#: Bytes each end's socket buffer may hold: a whole page, so that the next one waits
#: whole in the socket when the worker is ready for it (best effort: see :func:`widen`).
WINDOW = 1 << 20

_LENGTH = struct.Struct("<Q")


class ChannelClosed(ConnectionError):
    """The other end closed the channel (a worker that died, or a parent that left)."""


def widen(sock: socket.socket) -> None:
    """Let ``sock`` buffer :data:`WINDOW` bytes each way, where the system allows it."""
    for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, option, WINDOW)


def send(sock: socket.socket, *parts: bytes) -> None:
    """Write one message made of ``parts`` (blocking)."""
    sock.sendall(_LENGTH.pack(sum(len(part) for part in parts)))
    for part in parts:
        sock.sendall(part)


def receive(sock: socket.socket) -> bytearray:
    """Read one message (blocking).

    Raises:
        ChannelClosed: the other end closed the channel.
    """
    (length,) = _LENGTH.unpack(_read_into(sock, bytearray(_LENGTH.size)))
    return _read_into(sock, bytearray(length))


async def send_on(loop: asyncio.AbstractEventLoop, sock: socket.socket, *parts: bytes) -> None:
    """:func:`send` on ``loop``, for a non-blocking ``sock``."""
    await loop.sock_sendall(sock, _LENGTH.pack(sum(len(part) for part in parts)))
    for part in parts:
        await loop.sock_sendall(sock, part)


async def receive_on(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bytearray:
    """:func:`receive` on ``loop``, for a non-blocking ``sock``.

    Raises:
        ChannelClosed: the other end closed the channel.
    """
    header = bytearray(_LENGTH.size)
    await _read_into_on(loop, sock, header)
    (length,) = _LENGTH.unpack(header)
    message = bytearray(length)
    await _read_into_on(loop, sock, message)
    return message


def _read_into(sock: socket.socket, buffer: bytearray) -> bytearray:
    view = memoryview(buffer)
    while view:
        got = sock.recv_into(view)
        if not got:
            raise ChannelClosed("the channel was closed mid-message or before it")
        view = view[got:]
    return buffer


async def _read_into_on(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, buffer: bytearray
) -> None:
    view = memoryview(buffer)
    while view:
        got = await loop.sock_recv_into(sock, view)
        if not got:
            raise ChannelClosed("the channel was closed mid-message or before it")
        view = view[got:]
