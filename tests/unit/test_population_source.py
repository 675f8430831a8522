"""The population mock service and its adapter: paging, resuming, changes, faults, quirks."""

from __future__ import annotations

import unicodedata
from typing import Any

import orjson
import pytest

from connectors.population.adapter import PopulationAdapter
from connectors.population.mapping import PopulationMapper
from connectors.population.mock import PopulationService
from hub.connect.records import Cursor, NativeRecord
from hub.errors import FatalSourceError, RateLimitedError, RecordError, RetriableSourceError
from hub.province import Province, ProvinceConfig
from hub.province.faults import FaultInjector, FaultKind
from hub.province.transport import MockResponse


def _service(citizens: int, *, malformed_rate: float = 0.0, seed: int = 7) -> PopulationService:
    config = ProvinceConfig(seed=seed, citizens=citizens, malformed_rate=malformed_rate)
    return PopulationService(Province(config))


async def _drain(
    adapter: PopulationAdapter, cursor: Cursor | None, limit: int, stream: str = "citizens"
) -> tuple[list[dict[str, Any]], list[Cursor]]:
    """Fetch until caught up; return the rows and the cursor after every page."""
    rows: list[dict[str, Any]] = []
    cursors: list[Cursor] = []
    for _ in range(10_000):
        page = await adapter.fetch(stream, cursor, limit)
        rows.extend(r.payload for r in page.records)
        cursor = page.cursor
        cursors.append(cursor)
        if not page.has_more:
            return rows, cursors
    raise AssertionError("the adapter never reported it was caught up")


def _pins(rows: list[dict[str, Any]]) -> list[str]:
    return [r["soDinhDanh"] for r in rows]


def _position(row: dict[str, Any]) -> tuple[str, str]:
    return (row["ngayCapNhat"], row["soDinhDanh"])


@pytest.mark.parametrize("limit", [1, 7, 10, 64, 500])
async def test_full_sync_returns_each_pin_once(limit: int) -> None:
    service = _service(300)
    rows, _ = await _drain(PopulationAdapter(service), None, limit)
    pins = _pins(rows)
    expected = {service.population.pin(i) for i in range(300)}
    assert len(pins) == len(set(pins)) == 300
    assert set(pins) == expected
    positions = [_position(r) for r in rows]
    assert positions == sorted(positions)


async def test_page_size_is_capped_by_adapter() -> None:
    service = _service(120)
    page = await PopulationAdapter(service, page_size=50).fetch("citizens", None, 1000)
    assert len(page.records) == 50
    assert page.has_more


async def test_resume_from_every_page_cursor() -> None:
    service = _service(200)
    rows, cursors = await _drain(PopulationAdapter(service), None, 10)
    positions = [_position(r) for r in rows]
    for n, cursor in enumerate(cursors[:-1]):
        consumed = 10 * (n + 1)
        assert (cursor["updated_at"], cursor["key"]) == positions[consumed - 1]
        # a fresh adapter (a restarted connector) has no page tokens: only the cursor
        rest, _ = await _drain(PopulationAdapter(service), cursor, 10)
        assert _pins(rest) == _pins(rows[consumed:]), f"resume after page {n}"


@pytest.mark.parametrize("limit", [3, 7])
async def test_resume_after_a_garbled_key_loses_nothing_and_repeats_nothing(limit: int) -> None:
    """The service orders by the PIN it serves, garbled ("07420X...") or not, so a cursor
    may come from a garbled record: resuming from every page cursor of a sync with many
    garbled PINs serves exactly the rest, and a caught-up source serves nothing again."""
    service = _service(300, malformed_rate=0.3)
    rows, cursors = await _drain(PopulationAdapter(service), None, limit)
    assert sum(not pin.isdigit() for pin in _pins(rows)) > 10
    assert len(rows) == 300
    for n, cursor in enumerate(cursors[:-1]):
        rest, _ = await _drain(PopulationAdapter(service), cursor, limit)
        assert _pins(rest) == _pins(rows[limit * (n + 1) :]), f"resume after page {n}"
    again, _ = await _drain(PopulationAdapter(service), cursors[-1], limit)
    assert again == []


@pytest.mark.parametrize("seed", range(8))
async def test_a_caught_up_source_with_garbled_records_serves_nothing_again(seed: int) -> None:
    """Following a caught-up stream does not serve its dead letters again at every poll."""
    service = _service(300, malformed_rate=0.3, seed=seed)
    _, cursors = await _drain(PopulationAdapter(service), None, 50)
    again, _ = await _drain(PopulationAdapter(service), cursors[-1], 50)
    assert again == []


async def test_a_row_without_a_key_does_not_move_the_cursor() -> None:
    keyless = {**_ROW, "soDinhDanh": None, "ngayCapNhat": "2024-01-01T07:00:05+07:00"}
    body = orjson.dumps({"duLieu": {"danhSach": [_ROW, keyless]}})
    page = await PopulationAdapter(_Answering(body)).fetch("citizens", None, 10)
    assert len(page.records) == 2
    assert page.cursor == {"updated_at": _ROW["ngayCapNhat"], "key": _ROW["soDinhDanh"]}


async def test_resume_from_every_record_position() -> None:
    """Cursors inside a group of records sharing one ngayCapNhat resume exactly."""
    service = _service(60)
    rows, _ = await _drain(PopulationAdapter(service), None, 500)
    stamps = [r["ngayCapNhat"] for r in rows]
    assert len(set(stamps)) < len(stamps)
    inside_group = 0
    for k, row in enumerate(rows):
        cursor = {"updated_at": row["ngayCapNhat"], "key": row["soDinhDanh"]}
        if k + 1 < len(rows) and rows[k + 1]["ngayCapNhat"] == row["ngayCapNhat"]:
            inside_group += 1
        for limit in (3, 25):
            rest, _ = await _drain(PopulationAdapter(service), cursor, limit)
            assert _pins(rest) == _pins(rows[k + 1 :]), f"resume after record {k}, limit {limit}"
    assert inside_group > 30


async def test_caught_up_page() -> None:
    service = _service(30)
    adapter = PopulationAdapter(service)
    _, cursors = await _drain(adapter, None, 100)
    page = await PopulationAdapter(service).fetch("citizens", cursors[-1], 100)
    assert page.records == []
    assert not page.has_more
    assert page.cursor == cursors[-1]


async def test_incremental_after_timeline_advance() -> None:
    service = _service(400)
    province = service.province
    _, cursors = await _drain(PopulationAdapter(service), None, 50)
    final = cursors[-1]
    changes = province.timeline.advance()
    assert changes
    changed = {c.index for c in changes}
    rows, later = await _drain(PopulationAdapter(service), final, 50)
    expected = {service.population.pin(i) for i in changed}
    assert len(rows) == len(expected)
    assert set(_pins(rows)) == expected
    assert {r["phienBan"] for r in rows} == {2}
    for r in rows:
        assert _position(r) > (final["updated_at"], final["key"])
    deaths = {service.population.pin(c.index) for c in changes if c.kind == "death"}
    assert {r["soDinhDanh"] for r in rows if r["trangThai"] == "Đã chết"} >= deaths
    # a second step: only the people changed in it, at their new version
    second = province.timeline.advance()
    rows2, _ = await _drain(PopulationAdapter(service), later[-1], 50)
    assert set(_pins(rows2)) == {service.population.pin(c.index) for c in second}
    for r in rows2:
        index = next(c.index for c in second if service.population.pin(c.index) == r["soDinhDanh"])
        assert r["phienBan"] == 1 + len(province.timeline.changes_of(index))


async def test_full_sync_after_changes_still_has_everyone_once() -> None:
    service = _service(250)
    service.province.timeline.advance(3)
    rows, _ = await _drain(PopulationAdapter(service), None, 40)
    pins = _pins(rows)
    assert len(pins) == len(set(pins)) == 250


async def test_households_stream() -> None:
    service = _service(200)
    rows, cursors = await _drain(PopulationAdapter(service), None, 9, "households")
    ids = [r["maHoGiaDinh"] for r in rows]
    assert len(ids) == len(set(ids)) == service.population.household_count
    members = [m["soDinhDanh"] for r in rows for m in r["thanhVien"]]
    assert sorted(members) == sorted(service.population.pin(i) for i in range(200))
    rest, _ = await _drain(PopulationAdapter(service), cursors[2], 9, "households")
    assert [r["maHoGiaDinh"] for r in rest] == ids[27:]


# -- faults ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        (FaultKind.TIMEOUT, RetriableSourceError),
        (FaultKind.SERVER_ERROR, RetriableSourceError),
        (FaultKind.RATE_LIMIT, RateLimitedError),
        (FaultKind.TRUNCATED, RetriableSourceError),
    ],
)
async def test_scripted_faults(kind: FaultKind, error: type[Exception]) -> None:
    faults = FaultInjector()
    service = PopulationService(Province(ProvinceConfig(citizens=100)), faults)
    adapter = PopulationAdapter(service)
    faults.script(kind)
    with pytest.raises(error) as info:
        await adapter.fetch("citizens", None, 20)
    assert not isinstance(info.value, FatalSourceError)
    if kind is FaultKind.RATE_LIMIT:
        assert isinstance(info.value, RateLimitedError)
        assert info.value.retry_after == pytest.approx(0.05)
    assert faults.injected == 1
    # the next call succeeds and starts from the same place
    page = await adapter.fetch("citizens", None, 20)
    assert len(page.records) == 20
    assert page.records[0].payload["soDinhDanh"] == service.population.pin(
        min(range(7), key=lambda i: service.population.pin(i))
    )


async def test_fault_mid_sync_loses_nothing() -> None:
    faults = FaultInjector()
    service = PopulationService(Province(ProvinceConfig(citizens=100)), faults)
    adapter = PopulationAdapter(service)
    rows: list[dict[str, Any]] = []
    cursor: Cursor | None = None
    script = [FaultKind.TRUNCATED, FaultKind.SERVER_ERROR, FaultKind.TIMEOUT]
    for n in range(1000):
        if script and n % 2 == 1:
            faults.script(script.pop(0))
            with pytest.raises(RetriableSourceError):
                await adapter.fetch("citizens", cursor, 20)
        page = await adapter.fetch("citizens", cursor, 20)
        rows.extend(r.payload for r in page.records)
        cursor = page.cursor
        if not page.has_more:
            break
    assert not script
    assert len(_pins(rows)) == len(set(_pins(rows))) == 100


async def test_unknown_path_is_fatal() -> None:
    service = _service(10)
    adapter = PopulationAdapter(service)
    with pytest.raises(FatalSourceError, match="404"):
        await adapter._call("/api/v1/nothing", {})


class _Answering(PopulationService):
    """The population API answering every request with the same body."""

    def __init__(self, body: bytes) -> None:
        super().__init__(Province(ProvinceConfig(citizens=10)))
        self.body = body

    async def get(self, path: str, params: dict[str, str]) -> MockResponse:
        return MockResponse(200, self.body)


_ROW = {"soDinhDanh": "074174566951", "ngayCapNhat": "2024-01-01T07:00:00+07:00"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"duLieu": {"danhSach": [',
        b'{"duLieu": {}}',
        b'{"duLieu": null}',
        b"[]",
        b'"ok"',
        b'{"duLieu": {"danhSach": [{"hoVaTen": "\xff\xfe", "soDinhDanh": "074"}]}}',
        b'{"duLieu": {"danhSach": [{"x": ' + b"[" * 3000 + b"]" * 3000 + b"}]}}",
        b'{"duLieu": {"danhSach": [{"hoVaTen": "\\ud800"}]}}',
    ],
    ids=["truncated", "no rows", "null data", "a list", "a string", "not UTF-8", "too deep",
         "unpaired surrogate"],
)  # fmt: skip
async def test_answers_that_are_not_json_or_hold_no_row_list_are_retried(body: bytes) -> None:
    with pytest.raises(RetriableSourceError, match=r"truncated|malformed|corrupt"):
        await PopulationAdapter(_Answering(body)).fetch("citizens", None, 10)


@pytest.mark.parametrize("bad", [b'"x": NaN', b'"x": -Infinity', b'"hoVaTen": "\\ud800"'])
async def test_what_json_refuses_is_retried_whatever_row_comes_first(bad: bytes) -> None:
    """A row that is not an object sends the answer down the row-by-row path; the answer
    is refused all the same, not kept by a laxer parser."""
    good = orjson.dumps(_ROW)
    for rows in ([b"7", good, b"{" + bad + b"}"], [b"{" + bad + b"}", b"7", good]):
        body = b'{"duLieu": {"danhSach": [' + b",".join(rows) + b"]}}"
        with pytest.raises(RetriableSourceError, match="corrupt"):
            await PopulationAdapter(_Answering(body)).fetch("citizens", None, 10)


async def test_a_key_beyond_a_double_pages_as_a_row_without_keys() -> None:
    body = b'{"duLieu": {"danhSach": [7, ' + orjson.dumps(_ROW) + b', {"soDinhDanh": 1e400}]}}'
    page = await PopulationAdapter(_Answering(body)).fetch("citizens", None, 10)
    assert len(page.records) == 3
    assert page.cursor == {"updated_at": _ROW["ngayCapNhat"], "key": _ROW["soDinhDanh"]}


def test_the_service_pages_by_the_pin_it_serves() -> None:
    """Every record's place in the service's order is the (ngayCapNhat, soDinhDanh) it
    serves, garbled or not; asking where a record goes does not count it as served."""
    service = _service(200, malformed_rate=1.0)
    pop = service.population
    for i in range(200):
        person = pop.person(i)
        place = service._position(person)
        assert service.province.malformed_subjects("population") == i
        row = service.render_citizen(person)
        assert place == (row["ngayCapNhat"], row["soDinhDanh"])


async def test_a_number_beyond_a_double_in_a_row_is_kept_for_the_mapper() -> None:
    body = orjson.dumps({"duLieu": {"danhSach": [_ROW]}}).replace(
        b'"ngayCapNhat"', b'"x":1e400,"ngayCapNhat"'
    )
    page = await PopulationAdapter(_Answering(body)).fetch("citizens", None, 10)
    assert page.records[0].payload["x"] == float("inf")


async def test_a_row_that_is_not_an_object_is_kept_for_the_mapper_to_reject() -> None:
    rows = [_ROW, ["not", "an", "object"], 7, {**_ROW, "soDinhDanh": "074174566952"}]
    body = orjson.dumps({"duLieu": {"danhSach": rows, "maTrangTiep": None}})
    page = await PopulationAdapter(_Answering(body)).fetch("citizens", None, 10)
    assert [r.payload for r in page.records] == rows
    assert page.cursor == {"updated_at": _ROW["ngayCapNhat"], "key": "074174566952"}
    with pytest.raises(RecordError, match="not a JSON object"):
        PopulationMapper().map("citizens", page.records[1])


async def test_numbers_beyond_64_bits_in_an_answer_are_kept() -> None:
    body = orjson.dumps({"duLieu": {"danhSach": [_ROW]}})[:-2] + b', "tong": 18446744073709551616}}'
    page = await PopulationAdapter(_Answering(body)).fetch("citizens", None, 10)
    assert [r.payload for r in page.records] == [_ROW]


# -- data quirks -------------------------------------------------------------------------


def test_malformed_records_exactly_where_the_province_says() -> None:
    service = _service(1500, malformed_rate=0.05)
    clean = _service(1500, malformed_rate=0.0)
    province, mapper = service.province, PopulationMapper()
    pop = service.population
    flagged = {i for i in range(1500) if province.malformed("population", i)}
    assert 30 < len(flagged) < 130
    rejected = set()
    for i in range(1500):
        row = service.render_citizen(pop.person(i))
        if i not in flagged:
            assert row == clean.render_citizen(clean.population.person(i))
        try:
            mapper.map("citizens", NativeRecord(row))
        except RecordError:
            rejected.add(i)
    assert rejected == flagged


async def test_malformed_records_arrive_through_paging() -> None:
    service = _service(600, malformed_rate=0.05)
    rows, _ = await _drain(PopulationAdapter(service), None, 100)
    assert len(rows) == 600
    mapper = PopulationMapper()
    rejected = 0
    for row in rows:
        try:
            mapper.map("citizens", NativeRecord(row))
        except RecordError:
            rejected += 1
    expected = sum(service.province.malformed("population", i) for i in range(600))
    assert rejected == expected > 0


def test_names_arrive_in_nfc_nfd_and_upper_case() -> None:
    service = _service(400)
    pop = service.population
    styles = {"nfc": 0, "nfd": 0, "upper": 0}
    for i in range(400):
        person = pop.person(i)
        name = service.render_citizen(person)["hoVaTen"]
        assert unicodedata.normalize("NFC", name).casefold() == person.full_name.casefold()
        if not unicodedata.is_normalized("NFC", name):
            styles["nfd"] += 1
        elif name == name.upper():
            styles["upper"] += 1
        else:
            assert name == person.full_name
            styles["nfc"] += 1
    assert all(count > 40 for count in styles.values()), styles
