"""The encoding workers' side: building a connector's encoder, and encoding pages.

A worker rebuilds a connector's encoder from an :class:`EncoderRecipe` (the connector's
spec and mapper, the schema directory, the topic naming and the signing key) the first
time it sees it, and keeps it. The recipe travels pickled with every page (about a
kilobyte); the signing key crosses the process boundary through the worker's socket only,
never a file or a log.

A worker pauses its garbage collector while it handles a page. A page's objects (its
records, canonical dicts, headers) are acyclic and freed by reference counting when the
page is done; with the collector running they lived through several young collections,
were promoted to the oldest generation, and set off a full collection of the worker's
heap (its imported modules, the normalisers' caches: 40 to 60 ms) every twenty pages or
so. Whatever a page leaves behind, cyclic garbage included, is collected as usual once
the page is done.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import pickle
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.codec import SchemaStore
from hub.connect.contract import ConnectorSpec, RecordMapper
from hub.connect.encoder import PageEncoder
from hub.connect.framing import Framing
from hub.connect.page_crossing import Shaped, shape_page, unpack_page
from hub.connect.records import Cursor
from hub.connect.topics import TopicNames
from hub.connect.worker_channel import READY, ChannelClosed, receive, send
from hub.trust.keys import SigningKey
from hub.trust.signing import RecordSigner

__all__ = [
    "EncoderRecipe",
    "collector_paused",
    "encode_in_worker",
    "encoder_for",
    "init_worker",
    "recipe_for",
    "serve",
]


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


# -- in the worker processes

_encoders: dict[bytes, PageEncoder] = {}
_schemas: dict[Path, SchemaStore] = {}


def init_worker() -> None:
    """Import what every page needs before the first one arrives, and keep the collector
    from rescanning it (the imported modules are the bulk of a worker's heap)."""
    import hub.connect.registry  # noqa: F401  (the connectors' modules, via the registry)

    gc.freeze()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause automatic garbage collection while a page is handled (see the module
    docstring)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def encoder_for(recipe: bytes) -> PageEncoder:
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


def encode_in_worker(
    recipe: bytes,
    stream: str,
    page: bytes | bytearray,
    cursor: Cursor | None,
    framing: Framing | None = None,
) -> Shaped:
    """Worker side: encode one packed page (:func:`~hub.connect.page_crossing.pack_page`)
    with the recipe's encoder, and frame its messages into record batches when
    ``framing`` says how."""
    encoder = encoder_for(recipe)
    with collector_paused():
        encoded = encoder.encode(stream, unpack_page(page), cursor)
        if framing is not None:
            encoded.batches, encoded.messages = framing.frame(encoded.messages), []
        return shape_page(encoded)


def serve(channel: socket.socket) -> None:
    """A worker's life: get ready, then answer each request on ``channel`` until it closes.

    A request is two messages (:mod:`hub.connect.worker_channel`): the pickled
    ``(recipe, stream, cursor, framing)``, then the packed page. The answer is one: the
    pickled ``(True, shaped page)``, or ``(False, exception)`` when encoding raised.
    """
    init_worker()
    channel.sendall(READY)
    while True:
        try:
            head, page = receive(channel), receive(channel)
        except (ChannelClosed, OSError):  # the connector's process closed the pool, or left
            return
        try:
            recipe, stream, cursor, framing = pickle.loads(head)
            answer: tuple[bool, object] = (
                True,
                encode_in_worker(recipe, stream, page, cursor, framing),
            )
        except Exception as exc:  # the caller raises it, as if it had encoded the page
            answer = (False, exc)
        try:
            reply = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an exception that cannot cross: its description does
            what = repr(answer[1]) if not answer[0] else f"{type(exc).__name__}: {exc}"
            reply = pickle.dumps((False, RuntimeError(f"encoding worker: {what}")))
        try:
            send(channel, reply)
        except OSError:
            return
