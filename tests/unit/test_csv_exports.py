"""Day-file reading: resume mid-file and across files, new and re-issued files, faults."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import pytest

from hub.connect.csv_exports import CsvDialect, DayFileReader, LocalDirectory, ServedDirectory
from hub.connect.records import Cursor
from hub.errors import RateLimitedError, RetriableSourceError
from hub.province import Province, ProvinceConfig
from hub.province.csvdrop import CsvDrop, DropService, ExportFormat
from hub.province.faults import FaultInjector, FaultKind
from hub.province.timeline import Change

COLUMNS = ("ID", "TEN", "TRANG_THAI")
FORMAT = ExportFormat("TEST", COLUMNS, delimiter=";", encoding="utf-8-sig")
DIALECT = CsvDialect("TEST_", COLUMNS, delimiter=";", encoding="utf-8-sig")


class Subjects:
    """A tiny source: one row per person, a death changes it, person 7 sends a short row."""

    def __init__(self, province: Province) -> None:
        self.province = province

    def slots(self) -> int:
        return self.province.population.citizens

    def render(self, slot: int, cutoff: datetime | None) -> Sequence[str] | None:
        if slot % 5 == 3:
            return None  # no record for this subject
        died = any(
            c.kind == "death" and cutoff is not None and c.at <= cutoff
            for c in self.province.timeline.changes_of(slot)
        )
        row = [str(slot), f"Người {slot}; số {slot}", "CHET" if died else "SONG"]
        return row[:2] if slot == 7 else row

    def affected(self, change: Change) -> Iterable[int]:
        return (change.index,) if change.index % 5 != 3 else ()


def make(seed: int = 11) -> tuple[CsvDrop, DropService]:
    province = Province(ProvinceConfig(seed=seed, citizens=160, change_rate=0.05))
    drop = CsvDrop(province, FORMAT, Subjects(province))
    return drop, DropService(drop, FaultInjector())


async def read_all(
    service: DropService, cursor: Cursor | None, limit: int, *, restart: bool
) -> tuple[list[str], Cursor | None]:
    """Read to the end; with ``restart``, a new reader (a restarted adapter) per page."""
    ids: list[str] = []
    reader = DayFileReader(ServedDirectory(service), DIALECT)
    while True:
        if restart:
            reader = DayFileReader(ServedDirectory(service), DIALECT)
        page = await reader.fetch(cursor, limit)
        ids.extend(r.payload["ID"] for r in page.records)
        cursor = page.cursor
        if not page.has_more:
            return ids, cursor


async def test_initial_export_is_split_into_parts_read_in_order() -> None:
    drop, service = make()
    names = [f.name for f in drop.files()]
    assert names == [f"TEST_20231231_P00{k}.csv" for k in (1, 2, 3, 4)]  # 50 slots a part
    ids, _ = await read_all(service, None, 1000, restart=False)
    assert ids == [str(i) for i in range(160) if i % 5 != 3]


@pytest.mark.parametrize("limit", [1, 7, 50, 1000])
async def test_resume_mid_file_and_across_files_skips_and_repeats_nothing(limit: int) -> None:
    _, service = make()
    expected, _ = await read_all(service, None, 1000, restart=False)
    resumed, _ = await read_all(service, None, limit, restart=True)
    assert resumed == expected


async def test_new_day_files_are_read_incrementally() -> None:
    drop, service = make()
    _, cursor = await read_all(service, None, 13, restart=True)
    changes = drop.province.timeline.advance(2)
    touched = sorted({c.index for c in changes if c.index % 5 != 3})
    ids, cursor = await read_all(service, cursor, 5, restart=True)
    assert sorted(int(i) for i in ids) == touched
    assert len(ids) == len(set(ids)) or len({c.at.date() for c in changes}) > 1
    again, _ = await read_all(service, cursor, 5, restart=True)
    assert again == []


async def test_reissued_file_is_read_again_in_full() -> None:
    drop, service = make()
    _, cursor = await read_all(service, None, 50, restart=False)
    drop.reissue("TEST_20231231_P002.csv")
    ids, _ = await read_all(service, cursor, 50, restart=False)
    assert ids == [str(i) for i in range(50, 100) if i % 5 != 3]


async def test_half_written_file_is_retriable_and_the_retry_resumes() -> None:
    _, service = make()
    reader = DayFileReader(ServedDirectory(service), DIALECT)
    first = await reader.fetch(None, 1000)  # lists and reads the first part
    service.faults.script(FaultKind.TRUNCATED)
    with pytest.raises(RetriableSourceError, match="truncated"):
        await reader.fetch(first.cursor, 1000)
    second = await reader.fetch(first.cursor, 1000)
    assert second.records[0].payload["ID"] == "50"


async def test_listing_rate_limit_and_read_errors_are_retriable() -> None:
    _, service = make()
    service.faults.script(FaultKind.RATE_LIMIT)
    reader = DayFileReader(ServedDirectory(service), DIALECT)
    with pytest.raises(RateLimitedError):
        await reader.fetch(None, 10)
    service.faults.script(FaultKind.SERVER_ERROR)
    with pytest.raises(RetriableSourceError):
        await reader.fetch(None, 10)
    assert (await reader.fetch(None, 10)).records


async def test_short_rows_are_flagged_and_quoted_delimiters_survive() -> None:
    _, service = make()
    page = await DayFileReader(ServedDirectory(service), DIALECT).fetch(None, 10)
    rows = {r.payload["ID"]: r.payload for r in page.records}
    assert "_malformed" in rows["7"]
    assert rows["6"]["TEN"] == "Người 6; số 6"
    assert page.records[0].position == "TEST_20231231_P001.csv#0"


async def test_local_directory_reads_the_written_drop(tmp_path: Path) -> None:
    drop, service = make()
    drop.write_to(tmp_path)
    (tmp_path / "README.txt").write_text("not a day file")
    expected, _ = await read_all(service, None, 1000, restart=False)
    ids: list[str] = []
    reader, cursor = DayFileReader(LocalDirectory(tmp_path), DIALECT), None
    while True:
        page = await reader.fetch(cursor, 33)
        ids.extend(r.payload["ID"] for r in page.records)
        cursor = page.cursor
        if not page.has_more:
            break
    assert ids == expected


async def test_truncated_local_file_is_detected(tmp_path: Path) -> None:
    drop, _ = make()
    path = drop.write_to(tmp_path)[0]
    stat = path.stat()
    path.write_bytes(path.read_bytes()[:-9])  # still being written: same listed time
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(RetriableSourceError, match="truncated"):
        await DayFileReader(LocalDirectory(tmp_path), DIALECT).fetch(None, 10)
