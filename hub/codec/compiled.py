"""A schema-compiled Avro encoder: the fast path of :class:`hub.codec.avro.AvroCodec`.

fastavro's ``schemaless_writer`` interprets the schema for every record and picks each
union branch by running its validator on every candidate; a citizen record (about 60
values, most of them in ``["null", "string"]`` unions) costs about 35 µs that way. This
module turns a parsed schema into the source of one specialised Python function, once,
which writes each field straight into a ``bytearray``: exact type checks, zig-zag
varints, length-prefixed UTF-8, enum symbols looked up in a dict, union branches chosen
by the value's Python type.

The contract, which the tests check against fastavro itself:

* **Identical bytes.** When the compiled function returns, fastavro's strict writer
  would have written exactly the same bytes for that record, and fastavro's strict
  validator would have accepted it.
* **Never a guess.** The compiled function accepts only a narrow, exactly typed subset
  of values (``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``, ``list``,
  ``dict``, ``datetime.date`` and aware ``datetime.datetime``, never subclasses). On
  anything else — a missing or extra field, a wrong type, an unknown enum symbol, an
  int out of range, a ``Mapping`` that is not a ``dict``, a tuple naming a union
  branch, a naive datetime — it raises, and the caller encodes the record again with
  fastavro, which either writes it or refuses it. Errors are therefore only ever decided
  by fastavro (and explained by :mod:`hub.codec.diagnose`).

Supported schema constructs: every primitive type; records (inlined, so not recursive
ones), enums, arrays, maps and fixed; unions whose branches take disjoint Python types
(``["null", X]`` for any supported X, or for instance ``["null", "string", "long"]``,
but not ``["string", enum]`` nor ``["long", "double"]``, where fastavro's choice depends
on the value); the logical types ``date`` (int), ``timestamp-millis`` (long) and
``uuid`` (string); logical types fastavro does not convert are ignored, as fastavro
does. :func:`compile_encoder` returns ``None`` for any other schema (recursive records,
``decimal``, ``time-*``, ``timestamp-micros``, ``local-timestamp-*``, unions with
overlapping branches, ``error`` types), which the codec then encodes with fastavro
alone; :func:`unsupported_reason` says why.
"""

from __future__ import annotations

import functools
import struct
import textwrap
from collections.abc import Callable
from datetime import UTC, date, datetime, timezone
from operator import itemgetter
from typing import Any, cast

from fastavro.logical_writers import LOGICAL_WRITERS

__all__ = [
    "CompiledEncoder",
    "UnsupportedSchema",
    "compile_encoder",
    "generate_source",
    "unsupported_reason",
    "zigzag",
]

#: A compiled encoder: record → framed bytes (header + Avro body); raises on any record
#: outside its fast path.
CompiledEncoder = Callable[[Any], bytes]

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
#: Lengths below this are written from a precomputed table.
_TABLE = 1024
#: Most encoded timestamps kept per timestamp field.
_CACHE = 4096
#: ``datetime.date(1970, 1, 1).toordinal()``: fastavro's ``DAYS_SHIFT``.
_DAYS_SHIFT = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Logical types this module converts (the others that fastavro converts are refused).
_LOGICAL = frozenset({"int-date", "long-timestamp-millis", "string-uuid"})


class UnsupportedSchema(Exception):
    """The schema uses a construct the compiler does not handle (the message says which)."""


class _Miss(Exception):
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
def _length_table(prefix: bytes) -> tuple[bytes, ...]:
    """``prefix`` + zig-zag ``n`` for every ``n`` below ``_TABLE`` (shared by all schemas)."""
    return tuple(prefix + zigzag(n) for n in range(_TABLE))


# Python types that fastavro's validator may accept for a branch ("claims"), and those
# the compiled code writes for it ("handles"), among the types the fast path knows.
_NONE, _BOOL, _INT, _FLOAT, _STR, _BYTES, _LIST, _DICT, _DATE, _DATETIME = (
    "None", "bool", "int", "float", "str", "bytes", "list", "dict", "date", "datetime"
)  # fmt: skip
_TYPE_NAMES = {
    _NONE: "type(None)",
    _BOOL: "bool",
    _INT: "int",
    _FLOAT: "float",
    _STR: "str",
    _BYTES: "bytes",
    _LIST: "list",
    _DICT: "dict",
    _DATE: "_date",
    _DATETIME: "_datetime",
}


class _Compiler:
    """Generates the source of one encoder function for a parsed schema."""

    def __init__(self, parsed: Any) -> None:
        self.named: dict[str, dict[str, Any]] = {}
        self.consts: dict[str, Any] = {
            "_Miss": _Miss,
            "_zz": zigzag,
            "_pack_d": struct.Struct("<d").pack,
            "_pack_f": struct.Struct("<f").pack,
            "_date": date,
            "_datetime": datetime,
            "_EPOCH": _EPOCH,
            "_timezone": timezone,
        }
        self.shared: dict[Any, str] = {}
        self.lines: list[str] = []
        self.counter = 0
        self.inlining: list[str] = []
        self._collect(parsed)

    # -- schema walking ------------------------------------------------------------------

    def _collect(self, schema: Any) -> None:
        """Register every named type defined anywhere in ``schema``."""
        if isinstance(schema, list):
            for branch in schema:
                self._collect(branch)
        elif isinstance(schema, dict):
            kind = schema.get("type")
            if kind in ("record", "error", "enum", "fixed") and "name" in schema:
                self.named[schema["name"]] = schema
            if kind in ("record", "error"):
                for field in schema.get("fields", []):
                    self._collect(field["type"])
            elif kind == "array":
                self._collect(schema["items"])
            elif kind == "map":
                self._collect(schema["values"])
            elif isinstance(kind, dict | list):
                self._collect(kind)

    def resolve(self, schema: Any) -> tuple[str, Any, str | None]:
        """(kind, schema dict or name, logical key) of ``schema``, named references
        resolved. ``kind`` is a primitive name, ``record``, ``enum``, ``fixed``, ``array``,
        ``map`` or ``union``."""
        if isinstance(schema, list):
            return "union", schema, None
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return schema, schema, None
            if schema in self.named:
                return self.resolve(self.named[schema])
            raise UnsupportedSchema(f"unknown named type {schema!r}")
        if not isinstance(schema, dict):
            raise UnsupportedSchema(f"unexpected schema node {schema!r}")
        kind = schema.get("type")
        if not isinstance(kind, str):
            raise UnsupportedSchema(f"nested type definition {kind!r}")
        logical = schema.get("logicalType")
        key = f"{kind}-{logical}" if logical else None
        if key is not None and key in LOGICAL_WRITERS and key not in _LOGICAL:
            raise UnsupportedSchema(f"logical type {logical!r} on {kind!r}")
        if key not in _LOGICAL:
            key = None  # fastavro converts nothing for it: plain underlying type
        if kind in _PRIMITIVES:
            return kind, schema, key
        if kind in ("record", "enum", "fixed", "array", "map"):
            return kind, schema, key
        if kind in self.named:
            return self.resolve(self.named[kind])
        raise UnsupportedSchema(f"type {kind!r}")

    def claims(self, schema: Any) -> set[str]:
        """Fast-path types that fastavro's validator may accept (or choke on) for a union
        branch: a superset."""
        kind, _, logical = self.resolve(schema)
        return {
            "null": {_NONE},
            "boolean": {_BOOL},
            "int": {_INT} | ({_DATE, _DATETIME, _STR} if logical == "int-date" else set()),
            "long": {_INT} | ({_DATETIME} if logical else set()),
            "float": {_INT, _FLOAT},
            "double": {_INT, _FLOAT},
            "bytes": {_BYTES},
            "fixed": {_BYTES},
            "string": {_STR},
            "enum": {_STR},
            "array": {_LIST, _BYTES},
            "map": {_DICT},
            "record": {_DICT},
        }[kind]

    def handles(self, schema: Any) -> set[str]:
        """Fast-path types the compiled code writes for a union branch."""
        kind, _, logical = self.resolve(schema)
        return {
            "null": {_NONE},
            "boolean": {_BOOL},
            "int": {_INT} | ({_DATE} if logical else set()),
            "long": {_INT} | ({_DATETIME} if logical else set()),
            "float": {_INT, _FLOAT},
            "double": {_INT, _FLOAT},
            "bytes": {_BYTES},
            "fixed": {_BYTES},
            "string": {_STR},
            "enum": {_STR},
            "array": {_LIST},
            "map": {_DICT},
            "record": {_DICT},
        }[kind]

    # -- code generation -----------------------------------------------------------------

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
        self.lines.append("    " * indent + line)

    def emits(self, indent: int, block: str) -> None:
        """Emit a dedented block of lines."""
        for line in textwrap.dedent(block).strip("\n").splitlines():
            self.lines.append("    " * indent + line)

    def write_prefix(self, indent: int, prefix: bytes) -> None:
        if prefix:
            self.emit(indent, f"out += {self.const(prefix)}")

    def value(self, schema: Any, v: str, indent: int, prefix: bytes = b"") -> None:
        """Emit code writing the value held in local ``v``, after ``prefix`` (a union
        branch index)."""
        kind, node, logical = self.resolve(schema)
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
            self.emit(i, f"if type({v}) is _date: {v} = {v}.toordinal() - {_DAYS_SHIFT}")
        self._integer(v, i, prefix, _INT_MIN, _INT_MAX)

    def _long(self, _node: Any, v: str, i: int, prefix: bytes, logical: str | None) -> None:
        if logical != "long-timestamp-millis":
            self._integer(v, i, prefix, _LONG_MIN, _LONG_MAX)
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
                if not {_LONG_MIN} <= m <= {_LONG_MAX}: raise _Miss
                e = {self.const(prefix)} + _zz(m)
                if type({v}) is _datetime and type({v}.tzinfo) is _timezone:
                    if len({cache}) >= {_CACHE}: {cache}.clear()
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
        """A table: length → prefix + zig-zag length, for lengths below ``_TABLE``."""
        return self.const(_length_table(prefix), "_L", prefix)

    def _sized(self, b: str, i: int, prefix: bytes) -> None:
        """Write the bytes in local ``b``, length first."""
        n = self.name("n")
        table = self._lengths(prefix)
        self.emit(i, f"{n} = len({b})")
        if prefix:
            self.emit(
                i, f"out += {table}[{n}] if {n} < {_TABLE} else {self.const(prefix)} + _zz({n})"
            )
        else:
            self.emit(i, f"out += {table}[{n}] if {n} < {_TABLE} else _zz({n})")
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
        self.emit(i, f"if type({v}) is not list: raise _Miss")
        self.write_prefix(i, prefix)
        self.emit(i, f"if {v}:")
        self.emit(
            i + 1,
            f"out += {self._lengths(b'')}[len({v})] if len({v}) < {_TABLE} else _zz(len({v}))",
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
        names = [f["name"] for f in fields]
        self.emit(i, f"if type({v}) is not dict or len({v}) != {len(names)}: raise _Miss")
        self.write_prefix(i, prefix)
        locals_ = [self.name("f") for _ in names]
        if len(names) == 1:
            self.emit(i, f"{locals_[0]} = {v}[{names[0]!r}]")
        elif names:
            getter = self.const(itemgetter(*names), "_G", tuple(names))
            self.emit(i, f"{', '.join(locals_)} = {getter}({v})")
        for field, local in zip(fields, locals_, strict=True):
            self.value(field["type"], local, i)
        self.inlining.pop()

    def _union(self, node: Any, v: str, i: int, prefix: bytes, _logical: str | None) -> None:
        branches: list[Any] = list(node)
        if prefix:
            raise UnsupportedSchema("union directly inside a union")
        claims = [self.claims(b) for b in branches]
        handles = [self.handles(b) for b in branches]
        for j, handled in enumerate(handles):
            others = set().union(*(c for n, c in enumerate(claims) if n != j))
            if handled & others:
                raise UnsupportedSchema(
                    f"union {branches!r}: branches take the same Python types "
                    f"({', '.join(sorted(handled & others))})"
                )
        null = [j for j, b in enumerate(branches) if self.resolve(b)[0] == "null"]
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
            test = " or ".join(f"type({v}) is {_TYPE_NAMES[t]}" for t in sorted(handles[j]))
            self.emit(i, f"{keyword} {test}:")
            self.value(branches[j], v, i + 1, zigzag(j))
            keyword = "elif"
        self.emit(i, "else: raise _Miss")


def compile_encoder(parsed: Any, header: bytes = b"") -> CompiledEncoder | None:
    """Compile an encoder for a schema parsed by fastavro (``parse_schema``).

    Args:
        parsed: the parsed schema (``SchemaVersion.parsed``).
        header: bytes the encoded records start with (the single-object header).

    Returns:
        ``encode(record) -> header + body``, which raises (any exception) for a record
        outside its fast path; or ``None`` when the schema uses a construct the compiler
        does not handle (see :func:`unsupported_reason`).
    """
    try:
        source, namespace = generate_source(parsed, header)
    except UnsupportedSchema:
        return None
    exec(compile(source, "<hub.codec.compiled>", "exec"), namespace)
    return cast("CompiledEncoder", namespace["encode"])


def unsupported_reason(parsed: Any) -> str | None:
    """Why :func:`compile_encoder` refuses ``parsed``, or ``None`` if it does not."""
    try:
        generate_source(parsed, b"")
    except UnsupportedSchema as exc:
        return str(exc)
    return None


def generate_source(parsed: Any, header: bytes = b"") -> tuple[str, dict[str, Any]]:
    """The generated source of the encoder and the namespace it runs in.

    Raises:
        UnsupportedSchema: the schema uses a construct the compiler does not handle.
    """
    compiler = _Compiler(parsed)
    compiler.emit(0, "def encode(d0):")
    compiler.emit(1, f"out = bytearray({compiler.const(header)})")
    compiler.value(parsed, "d0", 1)
    compiler.emit(1, "return bytes(out)")
    return "\n".join(compiler.lines) + "\n", dict(compiler.consts)
