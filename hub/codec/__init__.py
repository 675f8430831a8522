"""Canonical records on the wire: the schema store and the Avro codec with its framing."""

from __future__ import annotations

from hub.codec.avro import AvroCodec, SingleObjectFraming, decode_any
from hub.codec.schema_store import SchemaStore, SchemaVersion

__all__ = ["AvroCodec", "SchemaStore", "SchemaVersion", "SingleObjectFraming", "decode_any"]
