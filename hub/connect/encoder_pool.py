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
file or a log. A page's native records go as one bytes object that the worker decodes
itself: their payloads as JSON when the adapter says they are plain JSON values
(:attr:`~hub.connect.contract.SourceAdapter.json_payloads`; orjson writes and reads a page
in a third of the time pickle takes), else pickled; the messages come back
framed into Kafka record batches when the runtime says how (:mod:`hub.connect.framing`),
else as plain tuples.

A worker pauses its garbage collector while it handles a page. A page's objects
(unpickled records, canonical dicts, headers) are acyclic and freed by reference counting
when the page is done; with the collector running they lived through several young
collections, were promoted to the oldest generation, and set off a full collection of
the worker's heap (its imported modules, the normalisers' caches: 40 to 60 ms) every
twenty pages or so. Whatever a page leaves behind, cyclic garbage included, is collected
as usual once the page is done.

Small pages, a mapper or spec that cannot be pickled, a pool whose workers have not
started yet: each of these is encoded in the connector's process instead, with the same
result. A pool whose workers died (or could not start) is given up for the process's
lifetime, with a warning, and every page is encoded inline from then on. Encoding is
deterministic apart from message ids and the extraction time, so where a page was
encoded never shows in what is published.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
import pickle
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from concurrent.futures import Future as ConcurrentFuture
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import orjson
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
        *,
        json_payloads: bool = False,
    ) -> EncodedPage | None:
        """Encode a page in a worker; None when the pool cannot (the caller encodes it).

        With ``framing``, the page comes back as record batches, not messages. With
        ``json_payloads``, the payloads travel as JSON (see the module docstring).
        """
        executor = self._executor
        if executor is None or not self.ready:
            self.start()
            if self._warm_up and any(f.exception() for f in self._warm_up if f.done()):
                self._give_up("encoding workers did not start")
            return None
        try:
            page = _packed(records, json_payloads)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            log.info("a page cannot cross to an encoding worker (%s): encoding it here", exc)
            return None
        try:
            loop = asyncio.get_running_loop()
            shaped = await loop.run_in_executor(
                executor, _encode_in_worker, recipe, stream, page, cursor, framing
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
        json_payloads: the adapter's :attr:`~hub.connect.contract.SourceAdapter.json_payloads`.
    """

    def __init__(
        self,
        encoder: PageEncoder,
        recipe: EncoderRecipe,
        pool: EncodingPool | None,
        *,
        json_payloads: bool = False,
    ) -> None:
        self.encoder = encoder
        self.json_payloads = json_payloads
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
        encoded = await pool.encode(
            recipe, stream, records, cursor, framing, json_payloads=self.json_payloads
        )
        return encoded if encoded is not None else self.encoder.encode(stream, records, cursor)


def _pickled(recipe: EncoderRecipe) -> bytes | None:
    """The recipe as bytes; None when a part cannot cross to another process."""
    try:
        return pickle.dumps(recipe, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        log.info("%s: encoding in the connector's process (%s)", recipe.spec.name, exc)
        return None


#: A page as it crosses to a worker: payloads (a list, or JSON of one), raw bytes, positions.
_Packed = tuple[list[Any] | bytes, list[bytes | None], list[str]]


def _packed(records: Sequence[NativeRecord], json_payloads: bool) -> bytes:
    """A page's native records as the bytes a worker decodes (:func:`_unpacked`).

    Raises:
        TypeError, pickle.PicklingError, AttributeError: a payload cannot cross.
    """
    payloads: list[Any] | bytes = [r.payload for r in records]
    if json_payloads:  # unless not plain JSON after all (a 65-bit integer...)
        with contextlib.suppress(orjson.JSONEncodeError):
            payloads = orjson.dumps(payloads)
    packed: _Packed = (payloads, [r.raw for r in records], [r.position for r in records])
    return pickle.dumps(packed, pickle.HIGHEST_PROTOCOL)


def _unpacked(page: bytes) -> list[NativeRecord]:
    """The native records of a page packed by :func:`_packed`."""
    packed: _Packed = pickle.loads(page)
    payloads, raws, positions = packed
    if isinstance(payloads, bytes):
        payloads = orjson.loads(payloads)
    return [NativeRecord(*fields) for fields in zip(payloads, raws, positions, strict=True)]


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
    """Import what every page needs before the first one arrives, and keep the collector
    from rescanning it (the imported modules are the bulk of a worker's heap)."""
    import hub.connect.registry  # noqa: F401  (the connectors' modules, via the registry)

    gc.freeze()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause automatic garbage collection (see the module docstring)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _encoder_for(recipe: bytes) -> PageEncoder:
    """The recipe's encoder, built the first time this worker sees the recipe."""
    token = hashlib.sha256(recipe).digest()
    encoder = _encoders.get(token)
    if encoder is None:
        built: EncoderRecipe = pickle.loads(recipe)
        schemas = _schemas.get(built.schemas_root)
        if schemas is None:
            schemas = _schemas[built.schemas_root] = SchemaStore(built.schemas_root)
        encoder = _encoders[token] = built.build(schemas)
    return encoder


def _encode_in_worker(
    recipe: bytes,
    stream: str,
    page: bytes,
    cursor: Cursor | None,
    framing: Framing | None = None,
) -> _Shaped:
    """Worker side: encode one pickled page with the recipe's encoder, and frame its
    messages into record batches when ``framing`` says how."""
    encoder = _encoder_for(recipe)
    with _collector_paused():
        encoded = encoder.encode(stream, _unpacked(page), cursor)
        if framing is not None:
            encoded.batches, encoded.messages = framing.frame(encoded.messages), []
        return _shape(encoded)
