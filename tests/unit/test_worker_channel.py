"""Length-prefixed messages between a connector's process and an encoding worker."""

from __future__ import annotations

import asyncio
import os
import socket
import threading

import pytest

from hub.connect.worker_channel import ChannelClosed, receive, receive_on, send, send_on


def test_a_message_of_parts_arrives_as_one() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        send(ours, b"head", b"", b"tail")
        send(ours, b"")
        assert receive(theirs) == b"headtail"
        assert receive(theirs) == b""


async def test_the_loops_side_reads_what_a_blocking_side_wrote_beyond_the_buffer() -> None:
    """A message larger than the socket buffers crosses whole, written by a thread while
    the loop reads, and back."""
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    payload = os.urandom(3 << 20)

    def echo() -> None:
        send(theirs, bytes(receive(theirs))[::-1])

    worker = threading.Thread(target=echo)
    worker.start()
    with ours, theirs:
        loop = asyncio.get_running_loop()
        await send_on(loop, ours, payload[:10], payload[10:])
        assert await receive_on(loop, ours) == payload[::-1]
        worker.join()


async def test_a_closed_channel_is_reported_not_read_as_a_message() -> None:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    theirs.sendall(b"\x10\x00\x00\x00\x00\x00\x00\x00half")  # 16 bytes announced, 4 sent
    theirs.close()
    with ours, pytest.raises(ChannelClosed):
        await receive_on(asyncio.get_running_loop(), ours)
    left, right = socket.socketpair()
    right.close()
    with left, pytest.raises(ChannelClosed):
        receive(left)
