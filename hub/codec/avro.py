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
import json
from collections.abc import Mapping
from typing import Any, cast

from fastavro import schemaless_reader, schemaless_writer
from fastavro.validation import ValidationError, validate

from hub.codec.compiled import CompiledEncoder, compile_encoder
from hub.codec.diagnose import diagnose
from hub.codec.frozen import thawed
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


#: Compiled writers by schema (its JSON) and header. A process compiles each schema once,
#: however many codecs use it: every connector host, and every recipe an encoding worker
#: is handed (a recipe names its topics, so each host's is new to the worker), builds its
#: own codecs, and compiling costs milliseconds per schema. A shared writer shares its
#: memos of encoded sub-records: values and their types, and frozen records (which no one
#: changes, :mod:`hub.codec.frozen`) with their bytes.
_writers: dict[tuple[str, bytes], CompiledEncoder | None] = {}


def _compiled_writer(schema: SchemaVersion, header: bytes) -> CompiledEncoder | None:
    """The compiled writer of ``schema`` framed with ``header`` (None: not compilable)."""
    key = (json.dumps(schema.definition, sort_keys=True), header)
    if key not in _writers:
        _writers[key] = compile_encoder(schema.parsed, header)
    return _writers[key]


class AvroCodec:
    """Encode and decode one entity's canonical records.

    The writer is strict: a record with a missing or extra field, a wrong type, an int
    out of range or an unknown enum symbol raises :class:`SchemaValidationError` naming
    the field, so that validation and encoding are one pass. A record is valid when both
    fastavro's strict writer and its strict validator accept it; the bytes are fastavro's.

    Records are written by an encoder compiled from the schema
    (:mod:`hub.codec.compiled`, several times faster than fastavro), which accepts only
    exactly typed values it is sure of; any other record, invalid ones included, is
    written again by fastavro, which decides. A schema the compiler does not handle is
    written by fastavro alone.

    Args:
        schema: the schema to write with (the entity's current schema).
    """

    def __init__(self, schema: SchemaVersion) -> None:
        self.schema = schema
        self._parsed = schema.parsed
        self._header = SingleObjectFraming.header(schema)
        self._named_unions = schema.nullable_records
        self._compiled = _compiled_writer(schema, self._header)

    def __reduce__(self) -> tuple[type[AvroCodec], tuple[SchemaVersion]]:
        # the compiled encoder is generated code: rebuild it rather than pickle it
        return (AvroCodec, (self.schema,))

    @property
    def compiled(self) -> bool:
        """Whether records are written by the compiled encoder (else by fastavro)."""
        return self._compiled is not None

    def encode(self, record: Mapping[str, Any]) -> bytes:
        """Validate and encode ``record``, returning the framed bytes.

        Raises:
            SchemaValidationError: the record does not satisfy the schema.
        """
        if self._compiled is not None:
            try:
                return self._compiled(record)
            except Exception:  # outside the fast path (maybe invalid): fastavro decides
                pass
        return self.encode_with_fastavro(record)

    def encode_with_fastavro(self, record: Mapping[str, Any]) -> bytes:
        """:meth:`encode` by fastavro alone: its strict writer, then its strict validator
        (the writer lets an int out of range or a non-bool boolean through).

        Raises:
            SchemaValidationError: the record does not satisfy the schema.
        """
        buffer = io.BytesIO()
        buffer.write(self._header)
        original = record
        record = plain = thawed(record)  # fastavro's writer takes exact dicts and lists only
        if self._named_unions:
            record = dict(record)
            for field, type_name in self._named_unions:
                value = record.get(field)
                if value is not None and not isinstance(value, tuple):
                    record[field] = (type_name, value)
        try:
            schemaless_writer(buffer, self._parsed, record, strict=True)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise SchemaValidationError(self._explain(original, exc)) from exc
        try:
            valid = validate(plain, self._parsed, raise_errors=False, strict=True)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise SchemaValidationError(self._explain(original, exc)) from exc
        if not valid:  # the validator names the field only when asked to raise (slow)
            invalid = ValueError("record does not satisfy the schema")
            raise SchemaValidationError(self._explain(original, invalid))
        return buffer.getvalue()

    def _explain(self, record: Mapping[str, Any], exc: Exception) -> str:
        """A reason naming the offending field (fastavro's messages do not always)."""
        try:
            reason = diagnose(self._parsed, record)
        except Exception:  # a reason is a nicety: never fail on the error path
            reason = None
        if reason is None:
            try:
                validate(record, self._parsed, raise_errors=True, strict=True)
            except ValidationError as detail:
                reason = "; ".join(str(e) for e in detail.errors) or str(detail)
            except Exception:
                reason = str(exc)
            else:
                reason = str(exc)
        return self._reason(reason)

    def _reason(self, reason: str) -> str:
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
