"""How one runtime's pages are encoded: in the process's encoding pool when worthwhile,
in the connector's process otherwise (:mod:`hub.connect.encoder_pool`)."""

from __future__ import annotations

import asyncio
import logging
import pickle
from collections.abc import Sequence

from hub.connect.encoder import EncodedPage, PageEncoder
from hub.connect.encoder_pool import EncodingPool
from hub.connect.encoder_worker import EncoderRecipe
from hub.connect.framing import Framing
from hub.connect.records import Cursor, NativeRecord

__all__ = ["INLINE_BELOW", "PageEncoding"]

log = logging.getLogger(__name__)

#: Pages with fewer records are encoded in the connector's process: the round trip to a
#: worker (pickling both ways) would cost more than it saves.
INLINE_BELOW = 100


class PageEncoding:
    """How one runtime's pages are encoded: in the pool when worthwhile, else inline.

    Args:
        encoder: the runtime's own encoder (small pages, and the fallback).
        recipe: the recipe of the same encoder, for the workers.
        pool: the worker pool, or None to encode every page inline.
    """

    def __init__(
        self,
        encoder: PageEncoder,
        recipe: EncoderRecipe,
        pool: EncodingPool | None,
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
