"""The Avro codec and its single-object framing (DESIGN.md decision 3).

Golden bytes pin the wire format; the Apache ``avro`` package proves that a consumer
holding only the published ``.avsc`` files can decode what the hub writes.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import avro.io
import avro.schema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.population.mapping import PopulationMapper
from connectors.population.mock import PopulationService
from hub.codec import AvroCodec, SchemaStore, SingleObjectFraming, decode_any
from hub.codec.schema_store import SchemaVersion
from hub.connect.records import NativeRecord
from hub.errors import SchemaError, SchemaValidationError
from hub.province import Province, ProvinceConfig

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
CITIZEN_AVSC = SCHEMAS / "population" / "citizen.avsc"

#: CRC-64-AVRO fingerprint (little-endian, as in the single-object header) of
#: citizen.avsc's parsing canonical form. Changing the schema changes this value.
CITIZEN_FINGERPRINT_HEX = "6ef53383c5ac4b97"

TINY_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Ping",
    "namespace": "t.golden",
    "doc": "docs are not part of the canonical form",
    "fields": [
        {"name": "n", "type": "long"},
        {"name": "s", "type": "string"},
        {"name": "e", "type": {"type": "enum", "name": "Colour", "symbols": ["RED", "GREEN"]}},
    ],
}
TINY_CANONICAL = (
    '{"name":"t.golden.Ping","type":"record","fields":[{"name":"n","type":"long"},'
    '{"name":"s","type":"string"},{"name":"e","type":{"name":"t.golden.Colour",'
    '"type":"enum","symbols":["RED","GREEN"]}}]}'
)
TINY_FINGERPRINT = bytes.fromhex("18e4735a0d39b6e2")
# n=-3 → zigzag 5; s="hé" → length 3 (zigzag 6) + UTF-8 68 C3 A9; e=GREEN → index 1 (02).
TINY_BODY = bytes.fromhex("050668c3a902")


# -- helpers ---------------------------------------------------------------------------


def _crc64_avro(data: bytes) -> bytes:
    """Reference CRC-64-AVRO from the Avro specification, little-endian (independent of
    fastavro, so the golden fingerprint is not checked against the code under test only)."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp.to_bytes(8, "little")


def _tiny() -> SchemaVersion:
    return SchemaVersion("t", "ping", None, Path("ping.avsc"), copy.deepcopy(TINY_SCHEMA))


@pytest.fixture(scope="module")
def store() -> SchemaStore:
    return SchemaStore(SCHEMAS)


@pytest.fixture(scope="module")
def citizen_codec(store: SchemaStore) -> AvroCodec:
    return AvroCodec(store.get("population", "citizen"))


@pytest.fixture(scope="module")
def apache_citizen() -> avro.schema.Schema:
    return avro.schema.parse(CITIZEN_AVSC.read_text(encoding="utf-8"))


def _mapped_citizens(count: int = 12) -> list[dict[str, Any]]:
    province = Province(ProvinceConfig(citizens=50, malformed_rate=0))
    service = PopulationService(province)
    mapper = PopulationMapper()
    pop = province.population
    out = []
    for i in range(count):
        row = service.render_citizen(pop.person(i))
        (record,) = mapper.map("citizens", NativeRecord(row))
        assert record.value is not None
        out.append(record.value)
    return out


@pytest.fixture(scope="module")
def citizens() -> list[dict[str, Any]]:
    return _mapped_citizens()


def _fingerprints_from_avsc_files() -> dict[bytes, Path]:
    """What a consumer with only the .avsc files computes: fingerprint → file.

    Uses fastavro's canonical form (Apache avro's differs for logical types)."""
    from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

    out: dict[bytes, Path] = {}
    for path in sorted(SCHEMAS.glob("*/*.avsc")):
        parsed = parse_schema(json.loads(path.read_text(encoding="utf-8")), _write_hint=False)
        out[bytes.fromhex(fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO"))] = path
    return out


def _apache_decode(schema: avro.schema.Schema, body: bytes) -> Any:
    return avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(body)))


# -- golden bytes ----------------------------------------------------------------------


def test_tiny_schema_canonical_form_and_fingerprint() -> None:
    schema = _tiny()
    assert schema.canonical_form == TINY_CANONICAL
    assert schema.fingerprint == TINY_FINGERPRINT
    assert _crc64_avro(TINY_CANONICAL.encode()) == TINY_FINGERPRINT


def test_single_object_golden_bytes() -> None:
    payload = AvroCodec(_tiny()).encode({"n": -3, "s": "hé", "e": "GREEN"})
    assert payload == b"\xc3\x01" + TINY_FINGERPRINT + TINY_BODY
    assert payload.hex() == "c30118e4735a0d39b6e2050668c3a902"


def test_single_object_golden_bytes_decode() -> None:
    codec = AvroCodec(_tiny())
    assert codec.decode(b"\xc3\x01" + TINY_FINGERPRINT + TINY_BODY) == {
        "n": -3,
        "s": "hé",
        "e": "GREEN",
    }


def test_citizen_schema_fingerprint_is_pinned(store: SchemaStore) -> None:
    schema = store.get("population", "citizen")
    actual = schema.fingerprint.hex()
    assert actual == CITIZEN_FINGERPRINT_HEX, (
        f"schemas/population/citizen.avsc changed its parsing canonical form: fingerprint "
        f"{actual} != pinned {CITIZEN_FINGERPRINT_HEX}. Every record on the wire names its "
        "schema by this fingerprint: keep the old version as citizen.v<N>.avsc, check "
        "compatibility, then update CITIZEN_FINGERPRINT_HEX in this test."
    )
    assert _crc64_avro(schema.canonical_form.encode()) == schema.fingerprint


def test_citizen_header(citizen_codec: AvroCodec, citizens: list[dict[str, Any]]) -> None:
    payload = citizen_codec.encode(citizens[0])
    assert payload[:2] == b"\xc3\x01"
    assert payload[2:10] == bytes.fromhex(CITIZEN_FINGERPRINT_HEX)
    assert SingleObjectFraming.header(citizen_codec.schema) == payload[:10]


def test_apache_avro_canonical_form_differs_for_logical_types(
    apache_citizen: avro.schema.Schema, store: SchemaStore
) -> None:
    """Documents the pitfall of DESIGN.md decision 3: do not fingerprint with Apache avro."""
    from fastavro.schema import fingerprint

    apache_fp = bytes.fromhex(fingerprint(apache_citizen.canonical_form, "CRC-64-AVRO"))
    assert apache_fp != store.get("population", "citizen").fingerprint


# -- round trips and errors --------------------------------------------------------------


def test_citizen_round_trip(citizen_codec: AvroCodec, citizens: list[dict[str, Any]]) -> None:
    for value in citizens:
        assert citizen_codec.decode(citizen_codec.encode(value)) == value


def test_decode_any_picks_schema_by_fingerprint(
    store: SchemaStore, citizen_codec: AvroCodec, citizens: list[dict[str, Any]]
) -> None:
    schema, value = decode_any(store, citizen_codec.encode(citizens[1]))
    assert (schema.source, schema.entity) == ("population", "citizen")
    assert value == citizens[1]


def test_decode_any_unknown_fingerprint(store: SchemaStore) -> None:
    payload = AvroCodec(_tiny()).encode({"n": 1, "s": "x", "e": "RED"})
    with pytest.raises(SchemaError, match="unknown schema fingerprint 18e4735a0d39b6e2"):
        decode_any(store, payload)


@pytest.mark.parametrize("payload", [b"", b"\xc3", b"\xc3\x01\x00", b"\x00\x00\x00\x00\x01\x02"])
def test_unframed_payload_is_refused(store: SchemaStore, payload: bytes) -> None:
    with pytest.raises(SchemaError, match="single-object"):
        decode_any(store, payload)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_body_decodes_or_raises_schema_error(
    store: SchemaStore, citizen_codec: AvroCodec, citizens: list[dict[str, Any]], data: Any
) -> None:
    """A flipped byte or a cut body never escapes as a fastavro error (the cross-check
    decodes records whose signature is still being checked)."""
    payload = bytearray(citizen_codec.encode(citizens[0]))
    index = data.draw(st.integers(10, len(payload) - 1))
    payload[index] ^= data.draw(st.integers(1, 255))
    cut = data.draw(st.integers(10, len(payload)))
    with contextlib.suppress(SchemaError):
        decode_any(store, bytes(payload[:cut]))


def test_decode_with_other_schema_is_refused(citizen_codec: AvroCodec) -> None:
    payload = AvroCodec(_tiny()).encode({"n": 1, "s": "x", "e": "RED"})
    with pytest.raises(SchemaError, match="fingerprint"):
        citizen_codec.decode(payload)


def test_missing_field_names_the_field(
    citizen_codec: AvroCodec, citizens: list[dict[str, Any]]
) -> None:
    value = copy.deepcopy(citizens[0])
    del value["full_name"]
    with pytest.raises(SchemaValidationError, match="full_name"):
        citizen_codec.encode(value)


def test_missing_nested_field_names_the_field(
    citizen_codec: AvroCodec, citizens: list[dict[str, Any]]
) -> None:
    value = copy.deepcopy(citizens[0])
    del value["meta"]["source_record_id"]
    with pytest.raises(SchemaValidationError, match="source_record_id"):
        citizen_codec.encode(value)


@pytest.mark.parametrize(("field", "bad"), [("pin", 123), ("legacy_id_number", 5)])
def test_wrong_type_names_the_field(
    citizen_codec: AvroCodec, citizens: list[dict[str, Any]], field: str, bad: object
) -> None:
    value = copy.deepcopy(citizens[0])
    value[field] = bad
    with pytest.raises(SchemaValidationError, match=field):
        citizen_codec.encode(value)


def test_extra_field_is_refused(citizen_codec: AvroCodec, citizens: list[dict[str, Any]]) -> None:
    value = copy.deepcopy(citizens[0])
    value["shoe_size"] = "42"
    with pytest.raises(SchemaValidationError, match="shoe_size"):
        citizen_codec.encode(value)


def test_unknown_enum_symbol_is_refused(
    citizen_codec: AvroCodec, citizens: list[dict[str, Any]]
) -> None:
    value = copy.deepcopy(citizens[0])
    value["sex"] = "UNSPECIFIED"
    with pytest.raises(SchemaValidationError, match="UNSPECIFIED"):
        citizen_codec.encode(value)


def test_unknown_enum_symbol_names_the_field(
    citizen_codec: AvroCodec, citizens: list[dict[str, Any]]
) -> None:
    value = copy.deepcopy(citizens[0])
    value["sex"] = "UNSPECIFIED"
    with pytest.raises(SchemaValidationError, match="sex"):
        citizen_codec.encode(value)


# -- interoperability with the Apache avro package ----------------------------------------


def test_apache_avro_decodes_what_fastavro_wrote(
    citizen_codec: AvroCodec, citizens: list[dict[str, Any]]
) -> None:
    """A consumer with only the .avsc files: fingerprint → file → Apache avro decode."""
    known = _fingerprints_from_avsc_files()
    for value in citizens:
        payload = citizen_codec.encode(value)
        assert payload[:2] == b"\xc3\x01"
        path = known[payload[2:10]]
        assert path == CITIZEN_AVSC
        schema = avro.schema.parse(path.read_text(encoding="utf-8"))
        theirs = _apache_decode(schema, payload[10:])
        ours = citizen_codec.decode(payload)
        assert set(theirs) == set(ours)
        for field, expected in ours.items():
            assert theirs[field] == expected, f"field {field}: {theirs[field]!r} != {expected!r}"
        # timestamp-millis comes back as an aware UTC datetime from both libraries.
        assert theirs["meta"]["updated_at"].utcoffset().total_seconds() == 0


# -- property-based ----------------------------------------------------------------------

_MILLIS = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
#: Strings shaped like the citizen's identifiers and codes, so records look realistic.
_SHAPED = {
    "pin": st.text(alphabet="0123456789", min_size=12, max_size=12),
    "legacy_id_number": st.text(alphabet="0123456789", min_size=9, max_size=9),
    "iso": st.sampled_from(["1950", "1950-03", "1950-03-07", "2001-12-31"]),
    "nationality": st.just("VN"),
}


def _strategy(schema: Any, named: dict[str, Any], field: str = "") -> st.SearchStrategy[Any]:
    """Values valid for an Avro schema (the subset the canonical schemas use), derived from
    the .avsc itself so that the property follows schema changes."""
    if isinstance(schema, list):
        return st.one_of([_strategy(branch, named, field) for branch in schema])
    if isinstance(schema, str):
        if schema in named:
            return _strategy(named[schema], named, field)
        simple: dict[str, st.SearchStrategy[Any]] = {
            "null": st.none(),
            "boolean": st.booleans(),
            "int": st.integers(-(2**31), 2**31 - 1),
            "long": st.integers(-(2**63), 2**63 - 1),
            "double": st.floats(allow_nan=False),
            "string": _SHAPED.get(field, st.text(max_size=30)),
        }
        return simple[schema]
    kind = schema["type"]
    if schema.get("logicalType") == "timestamp-millis":
        return _MILLIS
    if kind == "record":
        full = f"{schema.get('namespace', '')}.{schema['name']}".lstrip(".")
        named[full] = named[schema["name"]] = schema
        return st.fixed_dictionaries(
            {f["name"]: _strategy(f["type"], named, f["name"]) for f in schema["fields"]}
        )
    if kind == "enum":
        full = f"{schema.get('namespace', '')}.{schema['name']}".lstrip(".")
        named[full] = named[schema["name"]] = schema
        return st.sampled_from(schema["symbols"])
    if kind == "array":
        return st.lists(_strategy(schema["items"], named, field), max_size=3)
    return _strategy(kind, named, field)


def _citizen_strategy() -> st.SearchStrategy[Any]:
    definition = json.loads(CITIZEN_AVSC.read_text(encoding="utf-8"))
    named: dict[str, Any] = {}
    # register every named type first: later fields refer to earlier ones by name
    _strategy(definition, named)
    return _strategy(definition, named)


_CITIZEN = _citizen_strategy()
_STORE = SchemaStore(SCHEMAS)
_CODEC = AvroCodec(_STORE.get("population", "citizen"))
_APACHE = avro.schema.parse(CITIZEN_AVSC.read_text(encoding="utf-8"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_CITIZEN)
def test_random_citizens_round_trip(value: dict[str, Any]) -> None:
    payload = _CODEC.encode(value)
    assert _CODEC.decode(payload) == value
    assert decode_any(_STORE, payload)[1] == value
    assert _apache_decode(_APACHE, payload[10:]) == value
