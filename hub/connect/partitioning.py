"""Kafka's default partitioner: ``murmur2(key)``, made positive, modulo the partitions.

Keyed records are placed exactly as the Java client places them, so Faust tables and any
other Kafka client agree on where a key lives. The hash is the ``murmurhash2`` package's
(compiled, about 0.2 µs for a 12-byte PIN against 1.4 µs for the best pure-Python version
and 2 µs for aiokafka's); the tests compare it with aiokafka's and with the Java
client's own test vectors.
"""

from __future__ import annotations

from murmurhash2 import murmurhash2

__all__ = ["murmur2", "partition_for"]

#: The seed of Kafka's ``Utils.murmur2``.
SEED = 0x9747B28C


def partition_for(key: bytes, partitions: int) -> int:
    """The Kafka default partition of ``key`` (murmur2, positive, modulo)."""
    return (murmurhash2(key, SEED) & 0x7FFFFFFF) % partitions


def murmur2(data: bytes) -> int:
    """The Java client's ``Utils.murmur2`` of ``data``, unsigned (as aiokafka's)."""
    return murmurhash2(data, SEED)
