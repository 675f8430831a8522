"""Encoding connector pages in worker processes, while the connector fetches and publishes.

Mapping, normalising, Avro encoding and signing a page (:class:`PageEncoder`) is pure CPU
work, several times what fetching and publishing the page cost, and a connector's
process runs it on one core. An :class:`EncodingPool` runs it in a few spawned worker
processes (:mod:`hub.worker_processes`) instead, shared by every connector of the
process: the runtime submits page *n* and fetches page *n + 1* while a worker encodes,
then publishes the pages in source order (:mod:`hub.connect.runtime`).

A worker rebuilds a connector's encoder from a :class:`EncoderRecipe` (the connector's
spec and mapper, the schema directory, the topic naming and the signing key) the first
time it sees it, and keeps it. The recipe travels pickled with every page (about a
kilobyte); the signing key crosses the process boundary through the pipe only, never a
file or a log. Native records go as plain tuples, the cheapest shape to pickle; the
messages come back framed into Kafka record batches when the runtime says how
(:mod:`hub.connect.framing`), else as plain tuples.

Small pages, a mapper or spec that cannot be pickled, a pool whose workers have not
started yet: each of these is encoded in the connector's process instead, with the same
result. A pool whose workers died (or could not start) is given up for the process's
lifetime, with a warning, and every page is encoded inline from then on. Encoding is
deterministic apart from message ids and the extraction time, so where a page was
encoded never shows in what is published.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import pickle
import threading
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from concurrent.futures import Future as ConcurrentFuture
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.codec import SchemaStore
from hub.connect.contract import ConnectorSpec, RecordMapper
from hub.connect.encoder import EncodedPage, PageEncoder, Rejection
from hub.connect.framing import FramedBatch, Framing
from hub.connect.publisher import OutgoingMessage
from hub.connect.records import Cursor, NativeRecord
from hub.connect.topics import TopicNames
from hub.trust.keys import SigningKey
from hub.trust.signing import RecordSigner
from hub.worker_processes import spawn_pool

__all__ = ["EncoderRecipe", "EncodingPool", "PageEncoding"]

log = logging.getLogger(__name__)

#: Pages with fewer records are encoded in the connector's process: the round trip to a
#: worker (pickling both ways) would cost more than it saves.
INLINE_BELOW = 100


@dataclass(frozen=True)
class EncoderRecipe:
    """Everything a worker needs to build a connector's :class:`PageEncoder`."""

    spec: ConnectorSpec
    mapper: RecordMapper
    schemas_root: Path
    topics: TopicNames
    key_id: str
    principal: str
    private_key: bytes  # raw Ed25519 seed: never logged, never written anywhere

    def __repr__(self) -> str:
        return f"EncoderRecipe({self.spec.name!r}, key_id={self.key_id!r})"

    def build(self, schemas: SchemaStore) -> PageEncoder:
        """The encoder this recipe describes."""
        key = SigningKey(
            self.key_id, self.principal, Ed25519PrivateKey.from_private_bytes(self.private_key)
        )
        return PageEncoder(self.spec, self.mapper, schemas, self.topics, RecordSigner(key))


def recipe_for(
    spec: ConnectorSpec,
    mapper: RecordMapper,
    schemas: SchemaStore,
    topics: TopicNames,
    signer: RecordSigner,
) -> EncoderRecipe:
    """The recipe of the encoder a runtime builds from these parts."""
    raw = signer.key.key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return EncoderRecipe(
        spec, mapper, schemas.root, topics, signer.key.key_id, signer.key.principal, raw
    )


class EncodingPool:
    """Worker processes that encode pages for every connector of this process.

    Args:
        workers: number of worker processes (0: every page is encoded inline).

    Use :meth:`shared` rather than the constructor: one pool per process is enough, and
    its workers take about a second to start.
    """

    _shared: ClassVar[dict[int, EncodingPool]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, workers: int) -> None:
        self.workers = max(0, workers)
        self._executor: ProcessPoolExecutor | None = None
        self._warm_up: list[ConcurrentFuture[int]] = []
        #: pages encoded in the workers so far.
        self.pages = 0

    @classmethod
    def shared(cls, workers: int) -> EncodingPool:
        """The process's pool of ``workers`` workers (started at its first large page)."""
        with cls._lock:
            pool = cls._shared.get(workers)
            if pool is None:
                pool = cls._shared[workers] = cls(workers)
            return pool

    def start(self) -> None:
        """Spawn the workers now; pages are encoded inline until they answer."""
        if self._executor is not None or self.workers <= 0:
            return
        self._executor = spawn_pool(self.workers, _init_worker)
        self._warm_up = [self._executor.submit(int) for _ in range(self.workers)]

    @property
    def ready(self) -> bool:
        """Whether every worker has started and answered."""
        return self._executor is not None and all(f.done() for f in self._warm_up)

    async def wait_ready(self, limit_s: float = 60.0) -> bool:
        """Start the workers and wait until they answer; False when they cannot start."""
        self.start()
        if self._executor is None:
            return False
        try:
            await asyncio.wait_for(
                asyncio.gather(*(asyncio.wrap_future(f) for f in self._warm_up)), limit_s
            )
        except (BrokenExecutor, TimeoutError) as exc:
            self._give_up(f"encoding workers did not start ({exc})")
            return False
        return True

    def _give_up(self, why: str) -> None:
        """Encode inline from now on: workers that died once (a program without the
        ``__main__`` guard cannot spawn them, the OOM killer...) would likely die again."""
        if self.workers > 0:
            log.warning("%s: encoding in the connectors' process from now on", why)
        self.close()
        self.workers = 0

    async def encode(
        self,
        recipe: bytes,
        stream: str,
        records: Sequence[NativeRecord],
        cursor: Cursor | None,
        framing: Framing | None = None,
    ) -> EncodedPage | None:
        """Encode a page in a worker; None when the pool cannot (the caller encodes it).

        With ``framing``, the page comes back as record batches, not messages.
        """
        executor = self._executor
        if executor is None or not self.ready:
            self.start()
            if self._warm_up and any(f.exception() for f in self._warm_up if f.done()):
                self._give_up("encoding workers did not start")
            return None
        natives = [(r.payload, r.raw, r.position) for r in records]
        try:
            loop = asyncio.get_running_loop()
            shaped = await loop.run_in_executor(
                executor, _encode_in_worker, recipe, stream, natives, cursor, framing
            )
        except BrokenExecutor as exc:
            self._give_up(f"an encoding worker died ({exc})")
            return None
        self.pages += 1
        return _unshape(shaped)

    def worker_pids(self) -> list[int]:
        """The workers' process ids (for operators and tests)."""
        processes = getattr(self._executor, "_processes", None) or {}
        return sorted(processes)

    def close(self) -> None:
        """Stop the workers (pages in progress are abandoned; their callers re-encode)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
            self._warm_up = []


class PageEncoding:
    """How one runtime's pages are encoded: in the pool when worthwhile, else inline.

    Args:
        encoder: the runtime's own encoder (small pages, and the fallback).
        recipe: the recipe of the same encoder, for the workers.
        pool: the worker pool, or None to encode every page inline.
    """

    def __init__(
        self, encoder: PageEncoder, recipe: EncoderRecipe, pool: EncodingPool | None
    ) -> None:
        self.encoder = encoder
        self.pool = pool if pool is not None and pool.workers > 0 else None
        self._recipe = _pickled(recipe) if self.pool is not None else None

    @property
    def parallel(self) -> int:
        """How many pages may be encoding at once (0: each is encoded as submitted)."""
        return self.pool.workers if self.pool is not None and self._recipe else 0

    def submit(
        self,
        stream: str,
        records: Sequence[NativeRecord],
        cursor: Cursor | None,
        framing: Framing | None = None,
    ) -> asyncio.Future[EncodedPage]:
        """Start encoding a page; the future holds its messages, in source order.

        A page encoded in a worker comes back framed with ``framing``, when given.
        """
        if self.pool is None or self._recipe is None or len(records) < INLINE_BELOW:
            done: asyncio.Future[EncodedPage] = asyncio.get_running_loop().create_future()
            done.set_result(self.encoder.encode(stream, records, cursor))
            return done
        return asyncio.ensure_future(
            self._pooled(self.pool, self._recipe, stream, records, cursor, framing)
        )

    async def _pooled(
        self,
        pool: EncodingPool,
        recipe: bytes,
        stream: str,
        records: Sequence[NativeRecord],
        cursor: Cursor | None,
        framing: Framing | None,
    ) -> EncodedPage:
        encoded = await pool.encode(recipe, stream, records, cursor, framing)
        return encoded if encoded is not None else self.encoder.encode(stream, records, cursor)


def _pickled(recipe: EncoderRecipe) -> bytes | None:
    """The recipe as bytes; None when a part cannot cross to another process."""
    try:
        return pickle.dumps(recipe, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        log.info("%s: encoding in the connector's process (%s)", recipe.spec.name, exc)
        return None


#: A page as it crosses back: messages, record batches, published, written, newest
#: update, rejections.
_Shaped = tuple[
    list[tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]],
    list[FramedBatch],
    int,
    dict[str, int],
    float,
    list[tuple[str, str, str]],
]


def _shape(page: EncodedPage) -> _Shaped:
    return (
        [(m.topic, m.key, m.value, m.headers) for m in page.messages],
        page.batches,
        page.published,
        page.written,
        page.newest_update,
        [(r.stage, r.position, r.error_class) for r in page.rejections],
    )


def _unshape(shaped: _Shaped) -> EncodedPage:
    messages, batches, published, written, newest, rejections = shaped
    return EncodedPage(
        [OutgoingMessage(*m) for m in messages],
        batches,
        published,
        written,
        newest,
        [Rejection(*r) for r in rejections],
    )


# -- in the worker processes

_encoders: dict[bytes, PageEncoder] = {}
_schemas: dict[Path, SchemaStore] = {}


def _init_worker() -> None:
    """Import what every page needs before the first one arrives."""
    import hub.connect.registry  # noqa: F401  (the connectors' modules, via the registry)


def _encode_in_worker(
    recipe: bytes,
    stream: str,
    natives: list[tuple[Any, bytes | None, str]],
    cursor: Cursor | None,
    framing: Framing | None = None,
) -> _Shaped:
    """Worker side: encode one page with the recipe's encoder (built once per recipe),
    and frame its messages into record batches when ``framing`` says how."""
    token = hashlib.sha256(recipe).digest()
    encoder = _encoders.get(token)
    if encoder is None:
        built: EncoderRecipe = pickle.loads(recipe)
        schemas = _schemas.get(built.schemas_root)
        if schemas is None:
            schemas = _schemas[built.schemas_root] = SchemaStore(built.schemas_root)
        encoder = _encoders[token] = built.build(schemas)
    records = [NativeRecord(payload, raw, position) for payload, raw, position in natives]
    page = encoder.encode(stream, records, cursor)
    if framing is not None:
        page.batches, page.messages = framing.frame(page.messages), []
    return _shape(page)
