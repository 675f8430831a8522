"""The schema-compiled Avro encoder (hub.codec.compiled) against fastavro itself.

The compiled encoder must write exactly fastavro's bytes for every record it accepts,
hand every other record to fastavro, and leave the codec exactly as strict: an invalid
record raises SchemaValidationError naming the field, never another exception.
"""

from __future__ import annotations

import copy
import io
import json
from collections import OrderedDict
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from fastavro import schemaless_writer
from fastavro.schema import parse_schema
from fastavro.validation import validate
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hub.codec import AvroCodec, SchemaStore
from hub.codec.compiled import compile_encoder, unsupported_reason, zigzag
from hub.codec.frozen import FrozenList, FrozenRecord, thawed
from hub.codec.schema_store import SchemaVersion
from hub.codec.writer_runtime import Miss
from hub.connect.registry import discover
from hub.errors import SchemaValidationError
from tests.sources import native_records

REPO = Path(__file__).resolve().parents[2]
STORE = SchemaStore(REPO / "schemas")
#: Every schema in schemas/: the current ones and the earlier versions kept beside them.
SCHEMAS = STORE.current() + [
    old for s in STORE.current() for old in STORE.history(s.source, s.entity)
]
SCHEMA_IDS = [f"{s.source}/{s.entity}" + (f".v{s.version}" if s.version else "") for s in SCHEMAS]
_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


def fastavro_body(parsed: Any, record: Any) -> bytes:
    """What fastavro's strict writer writes (the reference), for the same values: frozen
    records and lists as the plain dicts and lists its writer takes."""
    buffer = io.BytesIO()
    schemaless_writer(buffer, parsed, thawed(record), strict=True)
    return buffer.getvalue()


def _schema(definition: dict[str, Any]) -> SchemaVersion:
    return SchemaVersion("t", "t", None, Path("t.avsc"), definition)


def _record(*fields: tuple[str, Any]) -> dict[str, Any]:
    return {
        "type": "record",
        "name": "R",
        "namespace": "t.compiled",
        "fields": [{"name": n, "type": t} for n, t in fields],
    }


# -- value strategies derived from a parsed schema ----------------------------------------

_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=7)), timezone(-timedelta(hours=5, minutes=30))]
)
_AWARE = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_ZONES
)


def _named(parsed: Any, out: dict[str, Any]) -> dict[str, Any]:
    """Every named type of a parsed schema, by full name."""
    if isinstance(parsed, list):
        for branch in parsed:
            _named(branch, out)
    elif isinstance(parsed, dict):
        if parsed.get("type") in ("record", "enum", "fixed"):
            out[parsed["name"]] = parsed
        for field in parsed.get("fields", []):
            _named(field["type"], out)
        for key in ("items", "values"):
            if key in parsed:
                _named(parsed[key], out)
    return out


def values(parsed: Any, named: dict[str, Any], *, exotic: bool = False) -> st.SearchStrategy[Any]:
    """Values valid for ``parsed`` (for fastavro's strict writer and validator alike).

    With ``exotic``, also values of other Python types that fastavro takes (tuples for
    arrays, read-only mappings for records, datetimes for dates, naive datetimes,
    tuple notation for union branches...), which the compiled encoder leaves to fastavro.
    """
    if isinstance(parsed, list):
        branches = [values(b, named, exotic=exotic) for b in parsed]
        if exotic:
            tupled = [_tuple_notation(b, named, exotic) for b in parsed]
            branches += [t for t in tupled if t is not None]
        return st.one_of(branches)
    if isinstance(parsed, str):
        if parsed not in _PRIMITIVES:
            return values(named[parsed], named, exotic=exotic)
        parsed = {"type": parsed}
    kind, logical = parsed["type"], parsed.get("logicalType")
    if kind == "int" and logical == "date":
        dates: st.SearchStrategy[Any] = st.dates() | st.integers(INT_MIN, INT_MAX)
        return dates | st.datetimes() if exotic else dates
    if kind == "long" and logical == "timestamp-millis":
        stamps: st.SearchStrategy[Any] = _AWARE | st.integers(LONG_MIN, LONG_MAX)
        naive = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1))
        return stamps | naive if exotic else stamps
    simple: dict[str, st.SearchStrategy[Any]] = {
        "null": st.none(),
        "boolean": st.booleans(),
        "int": st.integers(INT_MIN, INT_MAX),
        "long": st.integers(LONG_MIN, LONG_MAX),
        "float": st.floats(width=32) | st.integers(-(2**24), 2**24),
        "double": st.floats() | st.integers(-(2**53), 2**53),
        "bytes": st.binary(max_size=20),
        "string": st.text(max_size=20) | st.text(max_size=200, alphabet="ạệ€𝄞x"),
    }
    if kind in simple:
        return simple[kind]
    if kind == "enum":
        return st.sampled_from(parsed["symbols"])
    if kind == "fixed":
        return st.binary(min_size=parsed["size"], max_size=parsed["size"])
    if kind == "array":
        items = st.lists(values(parsed["items"], named, exotic=exotic), max_size=3)
        return items | items.map(tuple) if exotic else items
    if kind == "map":
        return st.dictionaries(
            st.text(max_size=5), values(parsed["values"], named, exotic=exotic), max_size=3
        )
    if kind == "record":
        record = st.fixed_dictionaries(
            {f["name"]: values(f["type"], named, exotic=exotic) for f in parsed["fields"]}
        )
        return record | record.map(MappingProxyType) | record.map(OrderedDict) if exotic else record
    return values(named[kind], named, exotic=exotic)


def _tuple_notation(
    branch: Any, named: dict[str, Any], exotic: bool
) -> st.SearchStrategy[Any] | None:
    """fastavro's ``(branch name, value)`` for record branches, which the codec takes."""
    target = named.get(branch) if isinstance(branch, str) else branch
    if isinstance(target, dict) and target.get("type") == "record":
        return values(target, named, exotic=exotic).map(lambda v: (target["name"], v))
    return None


# -- every schema is compiled ---------------------------------------------------------------


@pytest.mark.parametrize("schema", SCHEMAS, ids=SCHEMA_IDS)
def test_every_schema_compiles(schema: SchemaVersion) -> None:
    assert unsupported_reason(schema.parsed) is None
    assert AvroCodec(schema).compiled


# -- the connectors' own records -------------------------------------------------------------


async def _mapped(spec: Any, seed: int) -> dict[str, list[dict[str, Any]]]:
    """Canonical record values of a small synthetic province, as the connector maps them
    (options as tests/contract/conftest.py's ``mock_options``)."""
    options = {"province": {"seed": seed, "citizens": 300, "malformed_rate": 0.0}, "page_size": 50}
    mapper = spec.make_mapper()
    out: dict[str, list[dict[str, Any]]] = {}
    async for stream, native in native_records(spec, options, page_size=100):
        for record in mapper.map(stream, native):
            if record.value is not None:
                out.setdefault(record.entity, []).append(record.value)
    return out


@pytest.mark.parametrize("name", sorted(discover()))
async def test_connector_records_take_the_fast_path_with_fastavros_bytes(name: str) -> None:
    spec = discover()[name]
    mapped = await _mapped(spec, seed=3)
    assert set(mapped) == set(spec.entities)
    for entity, records in mapped.items():
        codec = AvroCodec(STORE.get(spec.name, entity))
        compiled = compile_encoder(codec.schema.parsed)
        assert compiled is not None
        for value in records:
            expected = fastavro_body(codec.schema.parsed, value)
            assert compiled(value) == expected, f"{name}/{entity}"
            assert codec.encode(value)[10:] == expected


# -- property: valid records -----------------------------------------------------------------


@pytest.mark.parametrize("schema", SCHEMAS, ids=SCHEMA_IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_records_give_fastavros_bytes(schema: SchemaVersion, data: Any) -> None:
    parsed = schema.parsed
    value = data.draw(values(parsed, _named(parsed, {})))
    expected = fastavro_body(parsed, value)
    compiled = compile_encoder(parsed)
    assert compiled is not None
    assert compiled(value) == expected  # the fast path takes every exactly typed value
    assert AvroCodec(schema).encode(value) == b"\xc3\x01" + schema.fingerprint + expected


@pytest.mark.parametrize("schema", SCHEMAS, ids=SCHEMA_IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_exotic_valid_records_give_fastavros_bytes(schema: SchemaVersion, data: Any) -> None:
    """Values the compiled encoder leaves to fastavro still encode, to the same bytes."""
    parsed = schema.parsed
    value = data.draw(values(parsed, _named(parsed, {}), exotic=True))
    assume(validate(value, parsed, raise_errors=False, strict=True))
    expected = fastavro_body(parsed, value)
    assert AvroCodec(schema).encode(value)[10:] == expected


# -- property: invalid records ---------------------------------------------------------------

_EXTRA = "shoe_size"


def _wrong_values(field_type: Any, named: dict[str, Any]) -> list[Any]:
    """Values of the wrong type (or out of range) for a field of ``field_type``."""
    if isinstance(field_type, str) and field_type in named:
        field_type = named[field_type]
    kind = field_type if isinstance(field_type, str | list) else field_type["type"]
    if isinstance(kind, list):
        return [object(), b"\x00" if "bytes" not in kind else 1.5j, [object()]]
    wrong: dict[str, list[Any]] = {
        "null": [0, ""],
        "boolean": [1, "yes", None],
        "int": [2**31, -(2**31) - 1, True, 1.5, "7", None, 2**70],
        "long": [2**63, -(2**63) - 1, False, 2.5, "7", None],
        "float": ["1.5", "nan", True, None],
        "double": ["1.5", "nan", True, None],
        "bytes": ["text", None, 5],
        "string": [5, b"bytes", None, ["a"], "\ud800"],
        "enum": ["NOT_A_SYMBOL", None, 0],
        "fixed": [b"", None],
        "array": ["abc", {"k": "v"}, None, 5],
        "map": [[("k", "v")], None, 5],
        "record": [None, 5, [], "x"],
    }
    return wrong.get(kind, [object()])


@st.composite
def invalid_records(draw: st.DrawFn, parsed: Any) -> tuple[dict[str, Any], str]:
    """A valid record with one field damaged somewhere in it, and that field's name."""
    named = _named(parsed, {})
    record = draw(values(parsed, named))
    # every (container, field schema) pair holding a field, however deep
    slots: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def walk(value: Any, schema: Any) -> None:
        if isinstance(schema, str) and schema in named:
            schema = named[schema]
        if isinstance(schema, list):
            for branch in schema:
                target = named.get(branch, branch) if isinstance(branch, str) else branch
                is_record = isinstance(target, dict) and target.get("type") == "record"
                if isinstance(value, dict) and is_record:
                    walk(value, target)
            return
        if not isinstance(schema, dict):
            return
        if schema["type"] == "record" and isinstance(value, dict):
            for field in schema["fields"]:
                slots.append((value, field))
                walk(value[field["name"]], field["type"])
        elif schema["type"] == "array" and isinstance(value, list):
            for item in value:
                walk(item, schema["items"])

    walk(record, parsed)
    container, field = draw(st.sampled_from(slots))
    how = draw(st.sampled_from(["missing", "extra", "wrong"]))
    if how == "missing":
        del container[field["name"]]
        return record, field["name"]
    if how == "extra":
        container[_EXTRA] = draw(st.sampled_from(["42", None, 42]))
        return record, _EXTRA
    container[field["name"]] = draw(st.sampled_from(_wrong_values(field["type"], named)))
    return record, field["name"]


@pytest.mark.parametrize("schema", SCHEMAS, ids=SCHEMA_IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_invalid_records_raise_schema_validation_error_naming_the_field(
    schema: SchemaVersion, data: Any
) -> None:
    record, field = data.draw(invalid_records(schema.parsed))
    with pytest.raises(SchemaValidationError) as caught:
        AvroCodec(schema).encode(record)
    assert field in str(caught.value)


# -- the codec is exactly as strict as before, and no laxer ---------------------------------

CITIZEN = STORE.get("population", "citizen")


ADDRESS = {
    "raw": "Số 249, đường Yersin, Phường Tương Bình Hiệp, Thành phố Thủ Dầu Một",
    "code_system": "OLD_63",
    "as_of": "2024-01-01",
    "province_code": "74",
    "district_code": "718",
    "ward_code": "25771",
    "province_code_2025": "79",
    "ward_code_2025": "25771",
    "ward_name_2025": "Phường Chánh Hiệp",
    "mapping": "EXACT",
    "candidates_2025": ["25771"],
}


@pytest.fixture
def citizen() -> dict[str, Any]:
    """A valid citizen, shaped as the population mapper makes them."""
    return {
        "pin": "074212574870",
        "legacy_id_number": None,
        "full_name": "Đinh Công Khang",
        "full_name_original": "Đinh Công Khang",
        "other_names": [],
        "birth_date": {"iso": "2012-06-26", "precision": "DAY"},
        "sex": "MALE",
        "place_of_birth": "Bình Dương",
        "birth_registration_province": "074",
        "native_place": "Thành phố Thủ Dầu Một, Tỉnh Bình Dương",
        "ethnicity": "Kinh",
        "religion": None,
        "nationality": "VN",
        "marital_status": "SINGLE",
        "permanent_address": copy.deepcopy(ADDRESS),
        "temporary_address": None,
        "current_address": copy.deepcopy(ADDRESS),
        "household_id": "74000000002",
        "household_head_pin": "074078559032",
        "relationship_to_head": "CHILD",
        "father_pin": "074078559032",
        "mother_pin": None,
        "spouse_pin": None,
        "status": "ALIVE",
        "date_of_death": None,
        "meta": {
            "source": "population",
            "source_record_id": "074212574870",
            "source_version": "1",
            "updated_at": datetime(2024, 1, 1, tzinfo=UTC),
        },
    }


def test_the_citizen_takes_the_fast_path(citizen: dict[str, Any]) -> None:
    compiled = compile_encoder(CITIZEN.parsed)
    assert compiled is not None
    assert compiled(citizen) == fastavro_body(CITIZEN.parsed, citizen)


class _Text(str):
    """Text that is not exactly ``str``."""


def _memos(compiled: Any) -> list[dict[Any, Any]]:
    return [v for k, v in compiled.__globals__.items() if k.startswith("_M") and k != "_Miss"]


def _frozen_memo(compiled: Any) -> dict[int, Any]:
    [memo] = [v for k, v in compiled.__globals__.items() if k.startswith("_I")]
    return memo  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("field", "other", "fast"),
    [
        ("raw", "Số 1, đường Khác", True),  # another address
        ("raw", _Text(ADDRESS["raw"]), False),  # equal text, not exactly str: no memo hit
        ("candidates_2025", ("25771",), False),  # equal items in a tuple: no memo hit
        ("candidates_2025", [_Text("25771")], False),
        ("candidates_2025", ["25771", "25772"], True),
        ("candidates_2025", [], True),
        ("province_code_2025", None, True),
    ],
)
def test_repeated_addresses_come_from_the_memo_with_fastavros_bytes(
    citizen: dict[str, Any], field: str, other: Any, fast: bool
) -> None:
    """Addresses repeat (a household's members, a current address that is the permanent
    one): their bodies are memoised by value, and a value that differs however little,
    in content or in exact type, is encoded again (or refused by the fast path, as it
    would be without the memo)."""
    compiled = compile_encoder(CITIZEN.parsed)
    assert compiled is not None
    first = compiled(citizen)
    assert first == fastavro_body(CITIZEN.parsed, citizen)
    [memo] = _memos(compiled)
    [(key, (types, body))] = memo.items()  # both addresses of the citizen: one body
    memo[key] = (types, body.replace(b"Yersin", b"YERSIN"))  # mark what a hit writes
    hit = compiled(copy.deepcopy(citizen))
    assert hit == first.replace(b"Yersin", b"YERSIN")  # both addresses came from the memo
    memo[key] = (types, body)
    changed = copy.deepcopy(citizen)
    changed["current_address"][field] = other
    if fast:
        assert compiled(changed) == fastavro_body(CITIZEN.parsed, changed)
    else:
        with pytest.raises(Miss):
            compiled(changed)
        assert AvroCodec(CITIZEN).encode(changed).endswith(fastavro_body(CITIZEN.parsed, changed))


@pytest.mark.parametrize("frozen", [False, True], ids=["by-value", "frozen-by-identity"])
def test_the_address_memos_are_bounded(citizen: dict[str, Any], frozen: bool) -> None:
    from hub.codec.writer_runtime import MEMO

    compiled = compile_encoder(CITIZEN.parsed)
    assert compiled is not None
    for n in range(MEMO + 10):
        address = {**ADDRESS, "raw": f"Số {n}, đường Yersin"}
        citizen["permanent_address"] = FrozenRecord(address) if frozen else address
        assert compiled(citizen) == fastavro_body(CITIZEN.parsed, citizen)
    memo = _frozen_memo(compiled) if frozen else _memos(compiled)[0]
    assert 0 < len(memo) <= MEMO


def test_a_frozen_address_is_written_once_and_its_bytes_reused(citizen: dict[str, Any]) -> None:
    """The same FrozenRecord object, wherever it appears, gets the bytes it got the first
    time (marked here to tell a hit); an equal but distinct one is written again."""
    compiled = compile_encoder(CITIZEN.parsed)
    assert compiled is not None
    shared = FrozenRecord(copy.deepcopy(ADDRESS))
    citizen["permanent_address"] = citizen["current_address"] = shared
    first = compiled(citizen)
    assert first == fastavro_body(CITIZEN.parsed, {**citizen, "current_address": dict(shared)})
    memo = _frozen_memo(compiled)
    [(kept, body)] = memo.values()
    assert kept is shared
    memo[id(shared)] = (shared, body.replace(b"Yersin", b"YERSIN"))
    assert compiled(citizen) == first.replace(b"Yersin", b"YERSIN")  # both from the memo
    equal = FrozenRecord(copy.deepcopy(ADDRESS))
    assert compiled({**citizen, "permanent_address": equal, "current_address": equal}) == first
    memo.clear()
    assert type(shared["candidates_2025"]) is FrozenList  # an array the fast path takes
    assert compiled(citizen) == first


def test_a_frozen_address_outside_the_fast_path_is_fastavros_to_judge(
    citizen: dict[str, Any],
) -> None:
    compiled = compile_encoder(CITIZEN.parsed)
    assert compiled is not None
    odd = FrozenRecord({**ADDRESS, "mapping": "MAYBE"})
    citizen["current_address"] = odd
    with pytest.raises(KeyError):  # the enum table's: off the fast path
        compiled(citizen)
    with pytest.raises(SchemaValidationError, match="mapping"):
        AvroCodec(CITIZEN).encode(citizen)
    assert id(odd) not in _frozen_memo(compiled)


def test_a_record_off_the_fast_path_with_frozen_parts_is_written_by_fastavro(
    citizen: dict[str, Any],
) -> None:
    """fastavro's writer takes exact dicts and lists only: the codec hands it the frozen
    parts as plain ones, and a valid record is written, not dead-lettered."""
    compiled = compile_encoder(CITIZEN.parsed)
    assert compiled is not None
    citizen["permanent_address"] = FrozenRecord(copy.deepcopy(ADDRESS))
    citizen["full_name"] = _Text(citizen["full_name"])  # not exactly str: off the fast path
    with pytest.raises(Miss):
        compiled(citizen)
    assert AvroCodec(CITIZEN).encode(citizen).endswith(fastavro_body(CITIZEN.parsed, citizen))


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        (("pin",), 123),
        (("legacy_id_number",), 5),
        (("sex",), "UNSPECIFIED"),
        (("relationship_to_head",), "COUSIN"),
        (("meta", "updated_at"), 2**63),
        (("meta", "updated_at"), "2024-01-01"),
        (("permanent_address", "mapping"), "MAYBE"),
        (("permanent_address", "candidates_2025"), "79"),
        (("permanent_address", "raw"), None),
        (("birth_date", "precision"), "WEEK"),
        (("other_names",), ["ok", 5]),
    ],
)
def test_citizen_field_errors_name_the_field(
    citizen: dict[str, Any], path: tuple[str, ...], bad: Any
) -> None:
    value = copy.deepcopy(citizen)
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad
    with pytest.raises(SchemaValidationError, match=path[-1]):
        AvroCodec(CITIZEN).encode(value)


INTS = _schema(
    _record(
        ("i", "int"),
        ("n", ["null", "int"]),
        ("b", "boolean"),
        ("d", {"type": "int", "logicalType": "date"}),
        ("x", "double"),
        ("a", {"type": "array", "items": "string"}),
    )
)
GOOD_INTS = {"i": 1, "n": None, "b": True, "d": date(2020, 1, 1), "x": 1.0, "a": []}


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("i", 2**40),  # fastavro's writer alone writes it (invalid Avro); its validator refuses
        ("i", -(2**31) - 1),
        ("i", True),
        ("i", 1.5),
        ("n", 2**31),
        ("b", "yes"),
        ("b", 0),
        ("d", 2**40),
        ("x", "1.5"),
        ("a", "ab"),
        ("a", {"k": "v"}),
    ],
)
def test_values_fastavros_writer_alone_lets_through_are_refused(field: str, bad: Any) -> None:
    """The codec wants what both fastavro's strict writer and strict validator accept."""
    codec = AvroCodec(INTS)
    value = {**GOOD_INTS, field: bad}
    with pytest.raises(SchemaValidationError, match=f"\\.{field}|{field}"):
        codec.encode(value)
    with pytest.raises(SchemaValidationError):
        codec.encode_with_fastavro(value)


def test_lone_surrogate_is_refused(citizen: dict[str, Any]) -> None:
    value = {**citizen, "full_name": "ab\ud800"}
    with pytest.raises(SchemaValidationError):
        AvroCodec(CITIZEN).encode(value)


@pytest.mark.parametrize(
    "value",
    [
        MappingProxyType(GOOD_INTS),
        OrderedDict(GOOD_INTS),
        {**GOOD_INTS, "a": ("x", "y")},
        {**GOOD_INTS, "d": datetime(2020, 1, 1, 23, 59)},
        {**GOOD_INTS, "d": "2020-01-02"},
        {**GOOD_INTS, "n": ("int", 5)},
        {**GOOD_INTS, "x": 3},
    ],
    ids=["mappingproxy", "ordereddict", "tuple-array", "datetime-date", "iso-date", "tuple", "int"],
)
def test_other_python_types_fastavro_takes_still_encode(value: Any) -> None:
    parsed = INTS.parsed
    assert AvroCodec(INTS).encode(value)[10:] == fastavro_body(parsed, value)


def test_timestamps_in_any_zone_and_naive_ones_match_fastavro() -> None:
    stamp = _schema(_record(("t", {"type": "long", "logicalType": "timestamp-millis"})))
    codec, parsed = AvroCodec(stamp), stamp.parsed
    moment = datetime(2024, 5, 6, 7, 8, 9, 999_999, tzinfo=UTC)
    for value in [
        moment,
        moment.astimezone(timezone(timedelta(hours=7))),  # same instant: cached bytes
        moment.replace(tzinfo=timezone(timedelta(hours=-3))),
        datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
        datetime(2024, 5, 6, 7, 8, 9),  # naive: fastavro reads local time (slow path)
        -1,
        LONG_MAX,
    ]:
        assert codec.encode({"t": value})[10:] == fastavro_body(parsed, {"t": value}), value


@given(st.integers(LONG_MIN, LONG_MAX))
def test_zigzag_is_avros_long_encoding(n: int) -> None:
    assert zigzag(n) == fastavro_body(parse_schema("long"), n)


# -- schemas the compiler leaves to fastavro -----------------------------------------------


@pytest.mark.parametrize(
    ("field_type", "reason"),
    [
        (["null", {"type": "bytes", "logicalType": "decimal", "precision": 5}], "decimal"),
        (["null", {"type": "long", "logicalType": "timestamp-micros"}], "timestamp-micros"),
        (["null", "long", "double"], "same Python types"),
        (["null", "string", {"type": "enum", "name": "E", "symbols": ["A"]}], "same Python"),
        (["null", "t.compiled.R"], "recursive record"),
    ],
)
def test_unsupported_constructs_fall_back_to_fastavro(field_type: Any, reason: str) -> None:
    schema = _schema(_record(("a", "string"), ("f", field_type)))
    assert reason in (unsupported_reason(schema.parsed) or "")
    codec = AvroCodec(schema)
    assert not codec.compiled
    assert codec.encode({"a": "x", "f": None})[10:] == fastavro_body(
        schema.parsed, {"a": "x", "f": None}
    )
    with pytest.raises(SchemaValidationError, match="shoe_size"):
        codec.encode({"a": "x", "f": None, "shoe_size": 1})


def test_union_of_disjoint_branches_is_compiled() -> None:
    enum = {"type": "enum", "name": "E", "symbols": ["A", "B"]}
    field_type = ["null", "boolean", "long", "string", {"type": "array", "items": enum}]
    schema = _schema(_record(("f", field_type), ("m", {"type": "map", "values": "double"})))
    compiled = compile_encoder(schema.parsed)
    assert compiled is not None
    for f in [None, True, False, -5, 2**62, "x", [], ["B", "A"]]:
        value = {"f": f, "m": {"k": 1.5, "é": 2}}
        assert compiled(value) == fastavro_body(schema.parsed, value)


def test_codecs_of_one_schema_share_its_compiled_writer() -> None:
    """Every host and every worker recipe builds its own codecs: a schema is compiled once
    per process, and a codec of another schema (or version) gets its own writer."""
    writers = [AvroCodec(schema)._compiled for schema in SCHEMAS]
    assert writers == [AvroCodec(schema)._compiled for schema in SCHEMAS]  # the same ones
    distinct = {json.dumps(schema.definition, sort_keys=True) for schema in SCHEMAS}
    assert len({id(writer) for writer in writers}) == len(distinct)
