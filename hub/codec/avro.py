"""Avro encoding of canonical records, framed as Avro single-object encoding.

Wire format of every canonical record value (Avro specification, "Single object encoding")::

    C3 01 | 8-byte CRC-64-AVRO fingerprint (little-endian) | Avro binary body

A consumer holding only the published ``.avsc`` files computes their fingerprints, picks
the schema named by the header and decodes the body with any Avro library. The Confluent
wire format (``00`` + 4-byte registry id) is the alternative when a registry is used; it
is not implemented yet and is documented as such.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, cast

from fastavro import schemaless_reader, schemaless_writer
from fastavro.validation import ValidationError, validate

from hub.codec.schema_store import SchemaStore, SchemaVersion
from hub.errors import SchemaError, SchemaValidationError

MAGIC = b"\xc3\x01"
HEADER_LEN = len(MAGIC) + 8


class SingleObjectFraming:
    """Avro single-object framing: ``C3 01`` + fingerprint + body."""

    @staticmethod
    def header(schema: SchemaVersion) -> bytes:
        """The 10-byte header naming ``schema``."""
        return MAGIC + schema.fingerprint

    @staticmethod
    def split(payload: bytes) -> tuple[bytes, bytes]:
        """Split a framed payload into (fingerprint, body).

        Raises:
            SchemaError: the payload is not single-object encoded.
        """
        if len(payload) < HEADER_LEN or payload[:2] != MAGIC:
            raise SchemaError("payload is not Avro single-object encoded (no C3 01 header)")
        return payload[2:HEADER_LEN], payload[HEADER_LEN:]


class AvroCodec:
    """Encode and decode one entity's canonical records.

    The writer is strict: a record with a missing or extra field, a wrong type or an
    unknown enum symbol raises :class:`SchemaValidationError` naming the field, so that
    validation and encoding are one pass.

    Args:
        schema: the schema to write with (the entity's current schema).
    """

    def __init__(self, schema: SchemaVersion) -> None:
        self.schema = schema
        self._parsed = schema.parsed
        self._header = SingleObjectFraming.header(schema)
        self._named_unions = schema.nullable_records

    def encode(self, record: Mapping[str, Any]) -> bytes:
        """Validate and encode ``record``, returning the framed bytes.

        Raises:
            SchemaValidationError: the record does not satisfy the schema.
        """
        buffer = io.BytesIO()
        buffer.write(self._header)
        if self._named_unions:
            record = dict(record)
            for field, type_name in self._named_unions:
                value = record.get(field)
                if value is not None and not isinstance(value, tuple):
                    record[field] = (type_name, value)
        try:
            schemaless_writer(buffer, self._parsed, record, strict=True)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise SchemaValidationError(self._explain(record, exc)) from exc
        return buffer.getvalue()

    def _explain(self, record: Mapping[str, Any], exc: Exception) -> str:
        """A reason naming the offending field (fastavro's writer does not always)."""
        try:
            validate(record, self._parsed, raise_errors=True, strict=True)
        except ValidationError as detail:
            reason = "; ".join(str(e) for e in detail.errors) or str(detail)
        except Exception:
            reason = str(exc)
        else:
            reason = str(exc)
        return f"{self.schema.full_name}: {reason}".replace("\n", " ")[:2000]

    def decode(self, payload: bytes) -> dict[str, Any]:
        """Decode a framed payload written with this codec's schema or an earlier one.

        Raises:
            SchemaError: not single-object encoded, written with an unrelated schema, or
                damaged.
        """
        fp, body = SingleObjectFraming.split(payload)
        if fp != self.schema.fingerprint:
            raise SchemaError(f"payload fingerprint {fp.hex()} is not {self.schema.full_name}")
        return _read(body, self._parsed, self.schema.full_name)


def _read(body: bytes, parsed: Any, name: str) -> dict[str, Any]:
    """Read an Avro body; a damaged body raises :class:`SchemaError`, whatever fastavro
    raised (it may be EOFError, IndexError, UnicodeDecodeError, ValueError...)."""
    try:
        return cast("dict[str, Any]", schemaless_reader(io.BytesIO(body), parsed, None))
    except Exception as exc:
        raise SchemaError(f"payload is not a valid {name} ({type(exc).__name__})") from exc


def decode_any(store: SchemaStore, payload: bytes) -> tuple[SchemaVersion, dict[str, Any]]:
    """Decode a framed payload with whichever stored schema its fingerprint names.

    Raises:
        SchemaError: the payload is not framed, its schema is unknown, or its body does not
            decode with that schema.
    """
    fp, body = SingleObjectFraming.split(payload)
    schema = store.by_fingerprint(fp)
    if schema is None:
        raise SchemaError(f"unknown schema fingerprint {fp.hex()}")
    return schema, _read(body, schema.parsed, schema.full_name)
