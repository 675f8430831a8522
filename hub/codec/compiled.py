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
  validator would have accepted it. (A :class:`~hub.codec.frozen.FrozenRecord` written
  before is written with the same bytes again, on the promise that it never changes.)
* **Never a guess.** The compiled function accepts only a narrow, exactly typed subset
  of values (``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``, ``list``,
  ``dict``, ``datetime.date`` and aware ``datetime.datetime``, never subclasses, but
  for :class:`~hub.codec.frozen.FrozenRecord` as a record and ``FrozenList`` as an array,
  outside unions of several non-null branches). On
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

This module holds the entry points. The work is done by :mod:`hub.codec.writer_types`
(which union branches take which Python types, and what is supported),
:mod:`hub.codec.writer_source` (the code generator) and :mod:`hub.codec.writer_runtime`
(the helpers the generated code calls).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from hub.codec.writer_runtime import zigzag
from hub.codec.writer_source import WriterSource
from hub.codec.writer_types import UnsupportedSchema

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
    compiler = WriterSource(parsed)
    compiler.emit(0, "def encode(d0):")
    compiler.emit(1, f"out = bytearray({compiler.const(header)})")
    compiler.value(parsed, "d0", 1)
    compiler.emit(1, "return bytes(out)")
    return "\n".join(compiler.lines) + "\n", dict(compiler.consts)
