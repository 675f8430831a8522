"""How a page crosses between a connector's process and an encoding worker, both ways.

To the worker, a page's native records go as one bytes object that the worker decodes
itself (:func:`pack_page`, :func:`unpack_page`): a page left as rows of the source's JSON
answer (:class:`~hub.connect.json_rows.JsonRows`) as the answer's bytes, parsed once, in
the worker; any other page pickled, which keeps every type (dates, tuples, bytes) as it
was. Back, the encoded page comes as plain tuples (:func:`shape_page`,
:func:`unshape_page`), its messages usually already framed into Kafka record batches
(:mod:`hub.connect.framing`).
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import Any

from hub.connect.encoder import EncodedPage, Rejection
from hub.connect.framing import FramedBatch
from hub.connect.json_rows import JsonRows
from hub.connect.publisher import OutgoingMessage
from hub.connect.records import NativeRecord

__all__ = ["Packed", "Shaped", "pack_page", "shape_page", "unpack_page", "unshape_page"]

#: A page as it crosses to a worker: rows of a JSON answer, or payloads, raw bytes and
#: positions.
Packed = JsonRows | tuple[list[Any], list[bytes | None], list[str]]


def pack_page(records: Sequence[NativeRecord]) -> bytes:
    """A page's native records as the bytes a worker decodes (:func:`unpack_page`).

    Raises:
        TypeError, pickle.PicklingError, AttributeError: a payload cannot cross.
    """
    packed: Packed = (
        records
        if isinstance(records, JsonRows)  # pickles as the answer's bytes, unparsed
        else ([r.payload for r in records], [r.raw for r in records], [r.position for r in records])
    )
    return pickle.dumps(packed, pickle.HIGHEST_PROTOCOL)


def unpack_page(page: bytes | bytearray) -> list[NativeRecord]:
    """The native records of a page packed by :func:`pack_page`."""
    packed: Packed = pickle.loads(page)
    if isinstance(packed, JsonRows):
        return packed.records()
    payloads, raws, positions = packed
    return [NativeRecord(*fields) for fields in zip(payloads, raws, positions, strict=True)]


#: A page as it crosses back: messages, record batches, published, written, newest
#: update, rejections.
Shaped = tuple[
    list[tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]],
    list[FramedBatch],
    int,
    dict[str, int],
    float,
    list[tuple[str, str, str]],
]


def shape_page(page: EncodedPage) -> Shaped:
    """An encoded page as plain tuples, the cheapest shape to pickle back."""
    return (
        [(m.topic, m.key, m.value, m.headers) for m in page.messages],
        page.batches,
        page.published,
        page.written,
        page.newest_update,
        [(r.stage, r.position, r.error_class) for r in page.rejections],
    )


def unshape_page(shaped: Shaped) -> EncodedPage:
    """The encoded page :func:`shape_page` shaped."""
    messages, batches, published, written, newest, rejections = shaped
    return EncodedPage(
        [OutgoingMessage(*m) for m in messages],
        batches,
        published,
        written,
        newest,
        [Rejection(*r) for r in rejections],
    )
