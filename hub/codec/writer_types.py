"""Type analysis for the compiled Avro writer (:mod:`hub.codec.compiled`).

Before any code is generated, each schema node is resolved to its kind (named references
followed, logical types checked), and each union branch is mapped to the Python types it
takes. Two tables, on purpose: :meth:`SchemaTypes.claims` is what fastavro's validator
*may* accept for a branch (a superset), :meth:`SchemaTypes.handles` is what the compiled
code writes for it. A union compiles only when no branch handles a type another branch
claims, so the branch the compiled code picks is always the one fastavro would pick.

It also says which sub-records are worth memoising (:meth:`SchemaTypes.memo_shape`).
Anything outside the supported subset raises :class:`UnsupportedSchema`.
"""

from __future__ import annotations

from typing import Any

from fastavro.logical_writers import LOGICAL_WRITERS

from hub.codec.type_names import PRIMITIVES
from hub.codec.writer_runtime import MEMO_FIELDS

__all__ = ["TYPE_NAMES", "SchemaTypes", "UnsupportedSchema"]

#: Logical types the compiled writer converts (the others that fastavro converts are refused).
_LOGICAL = frozenset({"int-date", "long-timestamp-millis", "string-uuid"})

# Python types that fastavro's validator may accept for a branch ("claims"), and those
# the compiled code writes for it ("handles"), among the types the fast path knows.
_NONE, _BOOL, _INT, _FLOAT, _STR, _BYTES, _LIST, _DICT, _DATE, _DATETIME = (
    "None", "bool", "int", "float", "str", "bytes", "list", "dict", "date", "datetime"
)  # fmt: skip
#: Each of these types as the generated code names it (in ``type(v) is ...`` tests).
TYPE_NAMES = {
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


class UnsupportedSchema(Exception):
    """The schema uses a construct the compiler does not handle (the message says which)."""


class SchemaTypes:
    """The named types of one parsed schema, and what each of its nodes takes."""

    def __init__(self, parsed: Any) -> None:
        self.named: dict[str, dict[str, Any]] = {}
        self._collect(parsed)

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
            if schema in PRIMITIVES:
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
        if kind in PRIMITIVES:
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

    def union_branches(self, branches: list[Any]) -> list[set[str]]:
        """The types the compiled code writes for each branch of a union (:meth:`handles`).

        Raises:
            UnsupportedSchema: a branch handles a type that another branch claims, so
                fastavro's choice of branch would depend on the value.
        """
        claims = [self.claims(b) for b in branches]
        handles = [self.handles(b) for b in branches]
        for j, handled in enumerate(handles):
            others = set().union(*(c for n, c in enumerate(claims) if n != j))
            if handled & others:
                raise UnsupportedSchema(
                    f"union {branches!r}: branches take the same Python types "
                    f"({', '.join(sorted(handled & others))})"
                )
        return handles

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

    def memo_shape(self, fields: list[Any]) -> int | None:
        """For a record worth memoising, the index of its array field (-1: none).

        Worth it: at least :data:`~hub.codec.writer_runtime.MEMO_FIELDS` fields, each text (a string
        or enum, nullable or not) but for at most one array of text. Such sub-records
        (addresses) repeat across records, and their values' types say all about their
        bytes."""
        if len(fields) < MEMO_FIELDS:
            return None
        array = -1
        for n, field in enumerate(fields):
            kind, node, _ = self.resolve(field["type"])
            if kind == "array" and array < 0 and self.is_text(node["items"]):
                array = n
            elif not self.is_text(field["type"], nullable=True):
                return None
        return array

    def is_text(self, schema: Any, *, nullable: bool = False) -> bool:
        """Whether ``schema`` is a string or enum (or, if ``nullable``, a union of those
        with null), with no logical type."""
        kind, node, logical = self.resolve(schema)
        if kind == "union" and nullable:
            text = [b for b in node if self.resolve(b)[0] != "null"]
            return len(text) < len(node) and all(self.is_text(b) for b in text)
        return kind in ("string", "enum") and logical is None
