"""What the compiled Avro writers (:mod:`hub.codec.compiled`) run with.

The generated code is plain Python that refers to a few globals: the zig-zag varint
writer, float packers, the date and datetime classes, the epoch, the
:class:`~hub.codec.frozen.FrozenRecord` and ``FrozenList`` classes, and :class:`Miss`,
which it raises for a value outside its fast path. :func:`base_namespace` holds them;
the generator adds its own per-schema constants (encoded prefixes, enum tables, length
tables from :func:`length_table`). The sizes below bound those tables and caches.
"""

from __future__ import annotations

import functools
import struct
from datetime import UTC, date, datetime, timezone
from typing import Any

from hub.codec.frozen import FrozenList, FrozenRecord

__all__ = [
    "CACHE",
    "DAYS_SHIFT",
    "INT_MAX",
    "INT_MIN",
    "LONG_MAX",
    "LONG_MIN",
    "MEMO",
    "MEMO_FIELDS",
    "TABLE",
    "Miss",
    "base_namespace",
    "length_table",
    "zigzag",
]

#: Smallest and largest Avro ``int``.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
#: Smallest and largest Avro ``long``.
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
#: Lengths below this are written from a precomputed table.
TABLE = 1024
#: Most encoded timestamps kept per timestamp field.
CACHE = 4096
#: Most encoded bodies kept per memoised record type (addresses: a household's members
#: share one, and a current address is usually the permanent one).
MEMO = 8192
#: The fewest fields of a record worth memoising (below, encoding beats the look-up).
MEMO_FIELDS = 6
#: ``datetime.date(1970, 1, 1).toordinal()``: fastavro's ``DAYS_SHIFT``.
DAYS_SHIFT = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Miss(Exception):
    """Raised by compiled code for a value outside the fast path."""


def zigzag(n: int) -> bytes:
    """The Avro (zig-zag, base-128 varint) encoding of a long ``n``."""
    z = (n << 1) ^ (n >> 63)
    if z < 0x80:
        return _SMALL[z]
    if z < 0x4000:
        return bytes(((z & 0x7F) | 0x80, z >> 7))
    if z < 0x200000:
        return bytes(((z & 0x7F) | 0x80, ((z >> 7) & 0x7F) | 0x80, z >> 14))
    out = bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


_SMALL = [bytes([z]) for z in range(0x80)]


@functools.cache
def length_table(prefix: bytes) -> tuple[bytes, ...]:
    """``prefix`` + zig-zag ``n`` for every ``n`` below ``TABLE`` (shared by all schemas)."""
    return tuple(prefix + zigzag(n) for n in range(TABLE))


def base_namespace() -> dict[str, Any]:
    """A fresh copy of the globals every generated writer refers to, by their names there."""
    return {
        "_Miss": Miss,
        "_Frozen": FrozenRecord,
        "_FrozenList": FrozenList,
        "_zz": zigzag,
        "_pack_d": struct.Struct("<d").pack,
        "_pack_f": struct.Struct("<f").pack,
        "_date": date,
        "_datetime": datetime,
        "_EPOCH": _EPOCH,
        "_timezone": timezone,
    }
