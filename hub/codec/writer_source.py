"""The source generator of the compiled Avro writers (:mod:`hub.codec.compiled`).

:class:`WriterSource` walks a parsed schema and emits, line by line, the body of one
Python function that appends the record's Avro encoding to ``out`` (a ``bytearray``).
Each schema kind has an emitter (``_string``, ``_record``, ``_union``...) that writes an
exact type check (``raise _Miss`` otherwise) followed by the bytes fastavro would write.
Values known when compiling (union branch indices, enum tables, length tables, field
getters) become globals of the generated code (:meth:`WriterSource.const`), next to the
helpers of :mod:`hub.codec.writer_runtime`. Which kinds, logical types and unions are
supported is decided by :mod:`hub.codec.writer_types`.
"""

from __future__ import annotations

import textwrap
from operator import itemgetter
from typing import Any

from hub.codec.writer_runtime import (
    CACHE,
    DAYS_SHIFT,
    INT_MAX,
    INT_MIN,
    LONG_MAX,
    LONG_MIN,
    MEMO,
    TABLE,
    base_namespace,
    length_table,
    zigzag,
)
from hub.codec.writer_types import TYPE_NAMES, SchemaTypes, UnsupportedSchema

__all__ = ["WriterSource"]


class WriterSource:
    """Generates the source of one encoder function for a parsed schema."""

    def __init__(self, parsed: Any) -> None:
        self.types = SchemaTypes(parsed)
        self.consts: dict[str, Any] = base_namespace()
        self.shared: dict[Any, str] = {}
        self.lines: list[str] = []
        self.counter = 0
        self.inlining: list[str] = []

    def name(self, hint: str) -> str:
        """A fresh identifier."""
        self.counter += 1
        return f"{hint}{self.counter}"

    def const(self, value: Any, hint: str = "_c", key: Any = None) -> str:
        """A global of the generated code holding ``value``, by name; values with the
        same ``key`` (by default the value itself, if hashable) share one global."""
        key = (hint, value if key is None else key)
        ident = self.shared.get(key)
        if ident is None:
            ident = self.shared[key] = self.name(hint)
            self.consts[ident] = value
        return ident

    def emit(self, indent: int, line: str) -> None:
        """Emit one line at ``indent`` levels."""
        self.lines.append("    " * indent + line)

    def emits(self, indent: int, block: str) -> None:
        """Emit a dedented block of lines."""
        for line in textwrap.dedent(block).strip("\n").splitlines():
            self.lines.append("    " * indent + line)

    def write_prefix(self, indent: int, prefix: bytes) -> None:
        """Emit code writing ``prefix`` (a union branch index), if any."""
        if prefix:
            self.emit(indent, f"out += {self.const(prefix)}")

    def value(self, schema: Any, v: str, indent: int, prefix: bytes = b"") -> None:
        """Emit code writing the value held in local ``v``, after ``prefix`` (a union
        branch index)."""
        kind, node, logical = self.types.resolve(schema)
        emitter = getattr(self, f"_{kind}")
        emitter(node, v, indent, prefix, logical)

    def _null(self, _node: Any, v: str, i: int, prefix: bytes, _logical: str | None) -> None:
        self.emit(i, f"if {v} is not None: raise _Miss")
        self.write_prefix(i, prefix)

    def _boolean(self, _node: Any, v: str, i: int, prefix: bytes, _logical: str | None) -> None:
        true, false = self.const(prefix + b"\x01"), self.const(prefix + b"\x00")
        self.emit(i, f"if {v} is True: out += {true}")
        self.emit(i, f"elif {v} is False: out += {false}")
        self.emit(i, "else: raise _Miss")

    def _integer(self, v: str, i: int, prefix: bytes, low: int, high: int) -> None:
        self.emit(i, f"if type({v}) is not int or not {low} <= {v} <= {high}: raise _Miss")
        self.write_prefix(i, prefix)
        self.emit(i, f"out += _zz({v})")

    def _int(self, _node: Any, v: str, i: int, prefix: bytes, logical: str | None) -> None:
        if logical == "int-date":
            # fastavro: date.toordinal() - DAYS_SHIFT (a datetime, a str: slow path)
            self.emit(i, f"if type({v}) is _date: {v} = {v}.toordinal() - {DAYS_SHIFT}")
        self._integer(v, i, prefix, INT_MIN, INT_MAX)

    def _long(self, _node: Any, v: str, i: int, prefix: bytes, logical: str | None) -> None:
        if logical != "long-timestamp-millis":
            self._integer(v, i, prefix, LONG_MIN, LONG_MAX)
            return
        # fastavro's prepare_timestamp_millis for an aware datetime, to the letter (a
        # naive one is read as local time: slow path). Update times repeat, so encoded
        # ones are kept in a small cache: equal aware datetimes are the same instant.
        cache = self.const({}, "_T", prefix)
        self.emits(
            i,
            f"""
            e = {cache}.get({v}) if type({v}) is _datetime else None
            if e is None:
                if type({v}) is _datetime:
                    if {v}.tzinfo is None: raise _Miss
                    t = {v} - _EPOCH
                    m = (t.days * 86400 + t.seconds) * 1000 + int(t.microseconds / 1000)
                elif type({v}) is int:
                    m = {v}
                else: raise _Miss
                if not {LONG_MIN} <= m <= {LONG_MAX}: raise _Miss
                e = {self.const(prefix)} + _zz(m)
                if type({v}) is _datetime and type({v}.tzinfo) is _timezone:
                    if len({cache}) >= {CACHE}: {cache}.clear()
                    {cache}[{v}] = e
            out += e
            """,
        )

    def _real(self, v: str, i: int, prefix: bytes, pack: str) -> None:
        self.emit(i, f"if type({v}) is not float and type({v}) is not int: raise _Miss")
        self.write_prefix(i, prefix)
        self.emit(i, f"out += {pack}({v})")

    def _float(self, _node: Any, v: str, i: int, prefix: bytes, _logical: str | None) -> None:
        self._real(v, i, prefix, "_pack_f")

    def _double(self, _node: Any, v: str, i: int, prefix: bytes, _logical: str | None) -> None:
        self._real(v, i, prefix, "_pack_d")

    def _lengths(self, prefix: bytes) -> str:
        """A table: length → prefix + zig-zag length, for lengths below ``TABLE``."""
        return self.const(length_table(prefix), "_L", prefix)

    def _sized(self, b: str, i: int, prefix: bytes) -> None:
        """Write the bytes in local ``b``, length first."""
        n = self.name("n")
        table = self._lengths(prefix)
        self.emit(i, f"{n} = len({b})")
        if prefix:
            self.emit(
                i, f"out += {table}[{n}] if {n} < {TABLE} else {self.const(prefix)} + _zz({n})"
            )
        else:
            self.emit(i, f"out += {table}[{n}] if {n} < {TABLE} else _zz({n})")
        self.emit(i, f"out += {b}")

    def _string(self, _node: Any, v: str, i: int, prefix: bytes, _logical: str | None) -> None:
        self.emit(i, f"if type({v}) is not str: raise _Miss")
        b = self.name("b")
        self.emit(i, f"{b} = {v}.encode()")
        self._sized(b, i, prefix)

    def _bytes(self, _node: Any, v: str, i: int, prefix: bytes, _logical: str | None) -> None:
        self.emit(i, f"if type({v}) is not bytes: raise _Miss")
        self._sized(v, i, prefix)

    def _fixed(self, node: Any, v: str, i: int, prefix: bytes, _logical: str | None) -> None:
        self.emit(i, f"if type({v}) is not bytes or len({v}) != {int(node['size'])}: raise _Miss")
        self.write_prefix(i, prefix)
        self.emit(i, f"out += {v}")

    def _enum(self, node: Any, v: str, i: int, prefix: bytes, _logical: str | None) -> None:
        symbols = node["symbols"]
        index: dict[str, int] = {}
        for n, symbol in enumerate(symbols):
            index.setdefault(symbol, n)  # list.index() finds the first
        table = self.const(
            {s: prefix + zigzag(n) for s, n in index.items()}, "_E", (prefix, tuple(symbols))
        )
        self.emit(i, f"if type({v}) is not str: raise _Miss")
        self.emit(i, f"out += {table}[{v}]")

    def _array(self, node: Any, v: str, i: int, prefix: bytes, _logical: str | None) -> None:
        item = self.name("x")
        self.emit(i, f"if type({v}) is not list and type({v}) is not _FrozenList: raise _Miss")
        self.write_prefix(i, prefix)
        self.emit(i, f"if {v}:")
        self.emit(
            i + 1,
            f"out += {self._lengths(b'')}[len({v})] if len({v}) < {TABLE} else _zz(len({v}))",
        )
        self.emit(i + 1, f"for {item} in {v}:")
        self.value(node["items"], item, i + 2)
        self.emit(i, "out += b'\\x00'")

    def _map(self, node: Any, v: str, i: int, prefix: bytes, _logical: str | None) -> None:
        key, item, b = self.name("k"), self.name("x"), self.name("b")
        self.emit(i, f"if type({v}) is not dict: raise _Miss")
        self.write_prefix(i, prefix)
        self.emit(i, f"if {v}:")
        self.emit(i + 1, f"out += _zz(len({v}))")
        self.emit(i + 1, f"for {key}, {item} in {v}.items():")
        self.emit(i + 2, f"if type({key}) is not str: raise _Miss")
        self.emit(i + 2, f"{b} = {key}.encode()")
        self._sized(b, i + 2, b"")
        self.value(node["values"], item, i + 2)
        self.emit(i, "out += b'\\x00'")

    def _record(self, node: Any, v: str, i: int, prefix: bytes, _logical: str | None) -> None:
        full = str(node.get("name", ""))
        if full in self.inlining:
            raise UnsupportedSchema(f"recursive record {full}")
        self.inlining.append(full)
        fields = node["fields"]
        shape = self.types.memo_shape(fields) if self.inlining[:-1] else None  # never the top one
        if shape is None:
            self._record_fields(fields, v, i, prefix, None)
        else:  # a sub-record worth memoising: a FrozenRecord written before is written again
            known, start = self.name("h"), self.name("s")
            frozen = self.const({}, "_I", full)
            self.emit(i, f"{known} = {frozen}.get(id({v})) if type({v}) is _Frozen else None")
            self.emit(i, f"if {known} is not None and {known}[0] is {v}:")
            self.write_prefix(i + 1, prefix)
            self.emit(i + 1, f"out += {known}[1]")
            self.emit(i, "else:")
            self._record_fields(fields, v, i + 1, prefix, (shape, start))
            self.emits(
                i + 1,
                f"""
                if type({v}) is _Frozen:
                    if len({frozen}) >= {MEMO}: {frozen}.clear()
                    {frozen}[id({v})] = ({v}, bytes(out[{start}:]))
                """,
            )
        self.inlining.pop()

    def _record_fields(
        self, fields: list[Any], v: str, i: int, prefix: bytes, memo: tuple[int, str] | None
    ) -> None:
        """A record's type check, ``prefix`` and fields. With ``memo`` (the array field's index, see
        :meth:`~hub.codec.writer_types.SchemaTypes.memo_shape`, and a name), the fields go
        through the memo of encoded bodies, and the name holds where the body starts in
        ``out``."""
        names = [f["name"] for f in fields]
        self.emit(
            i,
            f"if type({v}) is not dict and type({v}) is not _Frozen or len({v}) != {len(names)}:"
            " raise _Miss",
        )
        self.write_prefix(i, prefix)
        locals_ = [self.name("f") for _ in names]
        if len(names) == 1:
            self.emit(i, f"{locals_[0]} = {v}[{names[0]!r}]")
        elif names:
            getter = self.const(itemgetter(*names), "_G", tuple(names))
            self.emit(i, f"{', '.join(locals_)} = {getter}({v})")
        if memo is None:
            for field, local in zip(fields, locals_, strict=True):
                self.value(field["type"], local, i)
        else:
            self.emit(i, f"{memo[1]} = len(out)")
            self._memoised(self.inlining[-1], fields, locals_, memo, i)

    def _memoised(
        self, full: str, fields: list[Any], locals_: list[str], shape: tuple[int, str], i: int
    ) -> None:
        """Write the fields of a record through a memo of its encoded bodies, keyed by its
        values (the array's items last) and checked by their exact types: a hit writes
        exactly what encoding the values again would. ``shape`` is the array field's index
        and the name that holds where the body starts in ``out``."""
        memo = self.const({}, "_M", full)
        array, start = shape
        key, hit = self.name("k"), self.name("h")
        parts = [local for n, local in enumerate(locals_) if n != array]
        if array >= 0:
            parts.append(f"*{locals_[array]}")
        lookup = f"""
            try:
                {key} = ({", ".join(parts)},)
                {hit} = {memo}.get({key})
            except TypeError:
                {key} = {hit} = None
        """
        if array >= 0:
            self.emit(i, f"if type({locals_[array]}) is list:")
            self.emits(i + 1, lookup)
            self.emit(i, f"else: {key} = {hit} = None")
        else:
            self.emits(i, lookup)
        self.emit(i, f"if {hit} is not None and tuple(map(type, {key})) == {hit}[0]:")
        self.emit(i + 1, f"out += {hit}[1]")
        self.emit(i, "else:")
        for field, local in zip(fields, locals_, strict=True):
            self.value(field["type"], local, i + 1)
        self.emits(
            i + 1,
            f"""
            if {key} is not None:
                if len({memo}) >= {MEMO}: {memo}.clear()
                {memo}[{key}] = (tuple(map(type, {key})), bytes(out[{start}:]))
            """,
        )

    def _union(self, node: Any, v: str, i: int, prefix: bytes, _logical: str | None) -> None:
        branches: list[Any] = list(node)
        if prefix:
            raise UnsupportedSchema("union directly inside a union")
        handles = self.types.union_branches(branches)
        null = [j for j, b in enumerate(branches) if self.types.resolve(b)[0] == "null"]
        others_ = [j for j in range(len(branches)) if j not in null]
        keyword = "if"
        if null:
            self.emit(i, f"{keyword} {v} is None: out += {self.const(zigzag(null[0]))}")
            keyword = "elif"
        if len(others_) == 1 and null:
            # ["null", X]: X's own code checks the type of anything but None
            self.emit(i, "else:")
            self.value(branches[others_[0]], v, i + 1, zigzag(others_[0]))
            return
        for j in others_:
            test = " or ".join(f"type({v}) is {TYPE_NAMES[t]}" for t in sorted(handles[j]))
            self.emit(i, f"{keyword} {test}:")
            self.value(branches[j], v, i + 1, zigzag(j))
            keyword = "elif"
        self.emit(i, "else: raise _Miss")
