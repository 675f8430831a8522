"""Why a record does not fit its schema, naming the field: the codec's error messages.

fastavro decides whether a record is valid (:class:`hub.codec.avro.AvroCodec`); this
module only explains a refusal. fastavro's own messages do not always name the field: its
validator reports a missing field as the whole parent record (its repr and its schema, a
few kilobytes), and its writer reports neither a string that is not valid UTF-8 nor an
unknown enum symbol by field. :func:`diagnose` walks the record against the schema with
the rules of fastavro's strict writer and strict validator together and names the first
offending field by its path, e.g. ``permanent_address.mapping`` or ``members[2].pin``.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping, Sequence
from typing import Any

from fastavro.logical_writers import LOGICAL_WRITERS

from hub.codec.type_names import NAMED, PRIMITIVES

__all__ = ["diagnose"]

_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60


def diagnose(parsed: Any, record: Any) -> str | None:
    """The first reason ``record`` does not fit ``parsed`` (a schema parsed by fastavro),
    as ``"<field path>: <what is wrong>"``; ``None`` if none is found."""
    named: dict[str, Any] = {}
    _collect(parsed, named)
    return _check(record, parsed, named, "")


def _collect(schema: Any, named: dict[str, Any]) -> None:
    if isinstance(schema, list):
        for branch in schema:
            _collect(branch, named)
    elif isinstance(schema, dict):
        if schema.get("type") in NAMED and "name" in schema:
            named[schema["name"]] = schema
        for field in schema.get("fields", []):
            _collect(field["type"], named)
        for key in ("items", "values"):
            if key in schema:
                _collect(schema[key], named)


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {_SHORT.repr(value)}"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _resolve(schema: Any, named: dict[str, Any]) -> Any:
    while isinstance(schema, str) and schema not in PRIMITIVES and schema in named:
        schema = named[schema]
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, str) and kind in named and kind not in PRIMITIVES:
        return _resolve(kind, named)
    return schema


def _kind(schema: Any) -> str:
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, dict):
        return str(schema.get("type"))
    return str(schema)


def _label(schema: Any) -> str:
    """How a schema is named in a message."""
    if isinstance(schema, dict):
        return str(schema.get("name") or schema.get("type"))
    return str(schema)


def _check(value: Any, schema: Any, named: dict[str, Any], path: str) -> str | None:
    schema = _resolve(schema, named)
    kind = _kind(schema)
    where = path or "record"
    if isinstance(schema, dict) and schema.get("logicalType"):
        prepare = LOGICAL_WRITERS.get(f"{kind}-{schema['logicalType']}")
        if prepare is not None:
            try:
                value = prepare(value, schema)
            except Exception as exc:
                return f"{where}: {_describe(value)} is not a {schema['logicalType']} ({exc})"
    if kind == "union":
        return _union(value, schema, named, path)
    if kind == "record" or kind == "error":
        return _record(value, schema, named, path)
    if kind == "array":
        if not isinstance(value, Sequence) or isinstance(value, str | bytes | bytearray):
            return f"{where}: expected an array, got {_describe(value)}"
        for n, item in enumerate(value):
            problem = _check(item, schema["items"], named, f"{path}[{n}]")
            if problem:
                return problem
        return None
    if kind == "map":
        if not isinstance(value, Mapping):
            return f"{where}: expected a map, got {_describe(value)}"
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{where}: map key {_describe(key)} is not a string"
            problem = _check(item, schema["values"], named, f"{path}[{key!r}]")
            if problem:
                return problem
        return None
    if kind == "enum":
        try:
            known = value in schema["symbols"]
        except Exception:
            known = False
        if not known:
            symbols = ", ".join(schema["symbols"])
            return f"{where}: {_describe(value)} is not a symbol of {_label(schema)} ({symbols})"
        return None
    return _primitive(value, kind, schema, where)


def _primitive(value: Any, kind: str, schema: Any, where: str) -> str | None:
    if kind == "null":
        ok = value is None
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind in _RANGES:
        ok = isinstance(value, int) and not isinstance(value, bool)
        low, high = _RANGES[kind]
        if ok and not low <= value <= high:
            return f"{where}: {value} is out of the range of an Avro {kind}"
    elif kind in ("float", "double"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str)
        if ok:
            try:
                value.encode()
            except UnicodeEncodeError as exc:
                return f"{where}: not valid UTF-8 text ({exc.reason} at {exc.start})"
    elif kind == "bytes":
        ok = isinstance(value, bytes | bytearray)
    elif kind == "fixed":
        ok = isinstance(value, bytes | bytearray) and len(value) == schema["size"]
    else:
        return None  # a type this module does not know: let fastavro's message stand
    return None if ok else f"{where}: expected {_label(schema)}, got {_describe(value)}"


def _record(value: Any, schema: dict[str, Any], named: dict[str, Any], path: str) -> str | None:
    if not isinstance(value, Mapping):
        return f"{path or 'record'}: expected a {_label(schema)} record, got {_describe(value)}"
    fields = schema.get("fields", [])
    names = {f["name"] for f in fields}
    for key in value:
        if key not in names:
            return f"{_join(path, str(key))}: not a field of {_label(schema)}"
    for field in fields:
        where = _join(path, field["name"])
        if field["name"] not in value:
            return f"{where}: missing"
        problem = _check(value[field["name"]], field["type"], named, where)
        if problem:
            return problem
    return None


def _union(value: Any, branches: list[Any], named: dict[str, Any], path: str) -> str | None:
    where = path or "record"
    if isinstance(value, tuple):
        if len(value) != 2:
            return f"{where}: a tuple must be (branch name, value), got {_describe(value)}"
        name, inner = value
        for branch in branches:
            resolved = _resolve(branch, named)
            label = resolved["name"] if _kind(resolved) in NAMED else _kind(resolved)
            if label == name:
                return _check(inner, branch, named, path)
        return f"{where}: the union has no branch named {name!r}"
    problems = []
    for branch in branches:
        problem = _check(value, branch, named, path)
        if problem is None:
            return None
        problems.append((branch, problem))
    # the branch the value was meant for: the one its Python type fits
    wanted = {
        dict: ("record", "map"),
        list: ("array",),
        str: ("string", "enum"),
        bool: ("boolean",),
        int: ("int", "long", "float", "double"),
        float: ("float", "double"),
    }
    for python_type, kinds in wanted.items():
        if isinstance(value, python_type):
            for branch, problem in problems:
                if _kind(_resolve(branch, named)) in kinds:
                    return problem
            break
    labels = ", ".join(_label(_resolve(b, named)) for b in branches)
    return f"{where}: expected one of ({labels}), got {_describe(value)}"
