"""Merkle trees over a group of records: the root one signature covers, and inclusion paths.

The tree has the shape of Certificate Transparency's (RFC 6962, section 2.1), built
bottom-up: hash each pair of neighbours of a level, left to right, into the next level;
when a level has an odd count, its last node is carried up to the next level unchanged.
The top node is the root; a group of one has its leaf as root. Leaves and interior nodes
are hashed with different one-byte prefixes, so that a leaf cannot pass for a node::

    leaf = SHA-256(0x00 || data)
    node = SHA-256(0x01 || left || right)

A leaf's **path** lists, from the leaf's level upwards, the sibling of each node on the
way to the root (a carried-up node has none at that level, so it adds no entry). Each
entry is 33 bytes: a side byte (:data:`SIBLING_LEFT` or :data:`SIBLING_RIGHT`) and the
sibling's 32-byte hash. The path of a group of one is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

__all__ = [
    "ENTRY_SIZE",
    "MAX_PATH_ENTRIES",
    "SIBLING_LEFT",
    "SIBLING_RIGHT",
    "leaf_hash",
    "node_hash",
    "root_of_path",
    "tree",
]

#: Side byte of a path entry whose sibling is on the left: node = H(0x01 || sibling || node).
SIBLING_LEFT = 0
#: Side byte of a path entry whose sibling is on the right: node = H(0x01 || node || sibling).
SIBLING_RIGHT = 1
#: Bytes per path entry: the side byte and the sibling's SHA-256.
ENTRY_SIZE = 33
#: The longest path a verifier walks (a tree of up to 2**32 leaves); longer ones are refused.
MAX_PATH_ENTRIES = 32

_LEAF = b"\x00"
_NODE = b"\x01"
_LEFT = bytes([SIBLING_LEFT])
_RIGHT = bytes([SIBLING_RIGHT])


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the leaf of a record whose signing input is ``data``."""
    return sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the parent of two nodes."""
    return sha256(_NODE + left + right).digest()


def tree(leaves: Sequence[bytes]) -> tuple[bytes, list[bytes]]:
    """The root over ``leaves`` (at least one), and each leaf's path, in order.

    Raises:
        ValueError: no leaves.
    """
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    levels = [list(leaves)]
    while len(level := levels[-1]) > 1:
        parents = [
            sha256(_NODE + level[at] + level[at + 1]).digest() for at in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            parents.append(level[-1])  # carried up unchanged
        levels.append(parents)
    # Top-down: a node's path is its own entry followed by its parent's path.
    paths = [b""]
    for level in reversed(levels[:-1]):
        count = len(level)
        above = paths
        paths = []
        for at in range(count):
            sibling = at ^ 1
            if sibling >= count:  # the last of an odd level: no sibling, carried up
                paths.append(above[at >> 1])
            elif sibling < at:
                paths.append(_LEFT + level[sibling] + above[at >> 1])
            else:
                paths.append(_RIGHT + level[sibling] + above[at >> 1])
    return levels[-1][0], paths


def root_of_path(leaf: bytes, path: bytes) -> bytes | None:
    """The root reached from ``leaf`` along ``path``; None for a malformed path.

    A path is malformed when its length is not a multiple of :data:`ENTRY_SIZE`, when it
    has more than :data:`MAX_PATH_ENTRIES` entries, or when a side byte is neither 0 nor 1.
    """
    size = len(path)
    if size % ENTRY_SIZE or size > ENTRY_SIZE * MAX_PATH_ENTRIES:
        return None
    node = leaf
    for at in range(0, size, ENTRY_SIZE):
        side = path[at]
        sibling = path[at + 1 : at + ENTRY_SIZE]
        if side == SIBLING_RIGHT:
            node = sha256(_NODE + node + sibling).digest()
        elif side == SIBLING_LEFT:
            node = sha256(_NODE + sibling + node).digest()
        else:
            return None
    return node
