"""A page's records left as rows of the JSON answer the source sent, parsed where used.

To page and to place its cursor, an adapter needs two or three fields of each row. A
typed msgspec decoder reads just those and skips the rest unparsed (under a microsecond
a row, against six to nine for a full parse of a population row). The page then holds
the answer's bytes and which rows it keeps, as :class:`JsonRows`; the rows are parsed
once, where they are encoded: in an encoding worker, which receives the answer's bytes
as they came (pickling a :class:`JsonRows` sends only those), or on first use in the
connector's process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, overload

import orjson

from hub.connect.records import NativeRecord

__all__ = ["JsonRows", "decode_json"]


def decode_json(body: bytes) -> Any:
    """``body`` parsed: orjson, the fastest; the standard library for what orjson refuses
    and JSON allows (integers beyond 64 bits, numbers beyond a double's range, which
    become infinities, unpaired surrogate escapes).

    Raises:
        ValueError: ``body`` is not JSON (or not UTF-8).
        RecursionError: ``body`` nests too deep.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


class JsonRows(Sequence[NativeRecord]):
    """The records of a page: rows ``kept`` of the list at ``path`` in a JSON answer.

    The answer is parsed on first use, once. Row ``i`` becomes ``NativeRecord(row,
    None, f"{position_prefix}{i}")``.

    Args:
        body: the source's answer, the bytes as received.
        path: the keys that lead from the answer's top object to its list of rows.
        kept: the indices of the page's rows in that list, in source order.
        position_prefix: the rows' positions (dead-letter headers) without the index.
    """

    __slots__ = ("_records", "body", "kept", "path", "position_prefix")

    def __init__(
        self, body: bytes, path: tuple[str, ...], kept: Sequence[int], position_prefix: str
    ) -> None:
        self.body = body
        self.path = path
        self.kept = kept
        self.position_prefix = position_prefix
        self._records: list[NativeRecord] | None = None

    def records(self) -> list[NativeRecord]:
        """The page's records, parsed now unless they already were.

        Raises:
            ValueError, RecursionError, KeyError, TypeError, IndexError: ``body`` does
                not hold the rows this page says (its adapter checked the answer, so
                only a bug gets here).
        """
        if self._records is None:
            self._records = self._parsed() if self.kept else []
        return self._records

    def _parsed(self) -> list[NativeRecord]:
        rows = decode_json(self.body)
        for key in self.path:
            rows = rows[key]
        prefix = self.position_prefix
        return [NativeRecord(rows[i], None, f"{prefix}{i}") for i in self.kept]

    def __len__(self) -> int:
        return len(self.kept)

    @overload
    def __getitem__(self, index: int) -> NativeRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[NativeRecord]: ...

    def __getitem__(self, index: int | slice) -> NativeRecord | list[NativeRecord]:
        return self.records()[index]

    def __iter__(self) -> Iterator[NativeRecord]:
        return iter(self.records())

    def __eq__(self, other: object) -> bool:
        """Equal to a list or page of the same records, as a list would be."""
        if isinstance(other, JsonRows | list):
            return self.records() == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"JsonRows({len(self.kept)} rows of a {len(self.body)}-byte answer)"

    def __reduce__(self) -> tuple[type[JsonRows], tuple[bytes, tuple[str, ...], list[int], str]]:
        """Pickle the answer's bytes, never the parsed rows."""
        return JsonRows, (self.body, self.path, list(self.kept), self.position_prefix)
