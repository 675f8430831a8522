"""Where a worker keeps its evidence tables across restarts.

The tables live in memory for lookups (:class:`~hub.crosscheck.evidence.InMemoryEvidence`).
With the memory store (the embedded default) a restarted worker rebuilds them by
re-reading the compacted canonical topics from the beginning. With the RocksDB store
(``HUB_CROSSCHECK_STORE=rocksdb://``, through rocksdict) every kept record and the next
offset of every partition are written in one batch after each fetched batch, so a
restarted worker loads its tables from disk and reads only what arrived since.
Record and offset are written together: the store never claims an offset whose records
it does not hold (a crash in between re-reads a batch; versions make that harmless).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from hub.crosscheck.evidence import InMemoryEvidence

Position = tuple[str, int]  # (topic, partition)

_RECORD, _OFFSET = b"r\x00", b"o\x00"


@dataclass(frozen=True, slots=True)
class KeptRecord:
    """A record the tables kept (value None: a deletion)."""

    source: str
    entity: str
    key: str
    value: dict[str, Any] | None
    source_version: str
    updated_at: datetime


class EvidenceStore(Protocol):
    """Persistence of the evidence tables and of the positions they reflect."""

    def load(self, evidence: InMemoryEvidence) -> dict[Position, int]:
        """Fill ``evidence`` with what was saved; return the next offset per partition."""

    def save(self, kept: Iterable[KeptRecord], offsets: dict[Position, int]) -> None:
        """Persist ``kept`` and ``offsets`` together."""

    def close(self) -> None:
        """Release the store."""


class MemoryStore:
    """Nothing persists: every start re-reads the canonical topics from the beginning."""

    def load(self, evidence: InMemoryEvidence) -> dict[Position, int]:
        """Nothing was saved."""
        return {}

    def save(self, kept: Iterable[KeptRecord], offsets: dict[Position, int]) -> None:
        """Nothing to do."""

    def close(self) -> None:
        """Nothing to do."""


class RocksStore:
    """Evidence and offsets in a RocksDB directory (rocksdict).

    Args:
        path: the database directory (created when missing).
    """

    def __init__(self, path: Path) -> None:
        from rocksdict import Rdict, WriteBatch  # optional dependency: imported on use

        path.mkdir(parents=True, exist_ok=True)
        self._db = Rdict(str(path))
        self._batch = WriteBatch

    def load(self, evidence: InMemoryEvidence) -> dict[Position, int]:
        """Replay every saved record into ``evidence``; return the saved offsets."""
        offsets: dict[Position, int] = {}
        for raw_key, raw_value in self._db.items():
            if not isinstance(raw_key, bytes):
                continue
            key = raw_key
            if key.startswith(_RECORD):
                r: KeptRecord = pickle.loads(raw_value)
                evidence.add(r.source, r.entity, r.key, r.value, r.source_version, r.updated_at)
            elif key.startswith(_OFFSET):
                topic, _, partition = key[len(_OFFSET) :].decode().rpartition("\x00")
                offsets[(topic, int(partition))] = int(raw_value)
        return offsets

    def save(self, kept: Iterable[KeptRecord], offsets: dict[Position, int]) -> None:
        """Write the kept records and the offsets in one atomic batch."""
        batch = self._batch(raw_mode=False)
        for record in kept:
            key = _RECORD + f"{record.entity}\x00{record.key}".encode()
            batch.put(key, pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
        for (topic, partition), offset in offsets.items():
            batch.put(_OFFSET + f"{topic}\x00{partition}".encode(), offset)
        self._db.write(batch)

    def close(self) -> None:
        """Flush and close the database."""
        self._db.close()


def open_store(url: str, data_dir: Path) -> EvidenceStore:
    """The store a ``HUB_CROSSCHECK_STORE`` URL names: ``memory://`` or ``rocksdb://``."""
    if url.startswith("rocksdb://"):
        return RocksStore(data_dir / "evidence")
    return MemoryStore()
