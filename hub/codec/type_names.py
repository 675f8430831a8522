"""The Avro specification's type names, shared by every module that walks a schema."""

from __future__ import annotations

__all__ = ["NAMED", "PRIMITIVES"]

#: Primitive type names: a schema that is one of these strings is that type.
PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})

#: Complex types that carry a name (and so may be referred to by it).
NAMED = frozenset({"record", "error", "enum", "fixed"})
