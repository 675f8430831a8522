"""Message ids drawn in blocks are random version 4 UUIDs, unique, also across a fork."""

from __future__ import annotations

import os
import uuid

from hub.connect.message_ids import BLOCK, message_id


def test_ids_are_version_4_uuids_as_32_lowercase_hex_digits() -> None:
    for _ in range(3 * BLOCK):
        text = message_id().decode("ascii")
        parsed = uuid.UUID(text)
        assert parsed.hex == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_ids_do_not_repeat_across_blocks() -> None:
    drawn = [message_id() for _ in range(20 * BLOCK)]
    assert len(set(drawn)) == len(drawn)


def test_a_forked_child_does_not_reuse_its_parents_ids() -> None:
    message_id()  # the parent holds a partly used block
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.write(write, b"".join(message_id() for _ in range(BLOCK)))
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        received = pipe.read()
    os.waitpid(child, 0)
    childs = {received[at : at + 32] for at in range(0, len(received), 32)}
    parents = {message_id() for _ in range(BLOCK)}
    assert len(childs) == BLOCK
    assert not childs & parents
