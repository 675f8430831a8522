"""Daily CSV exports of a mock source: the day files it drops, and the endpoint serving them.

A source that shares data as batch exports writes one CSV file per day into a drop
directory. :class:`CsvDrop` derives those files from the synthetic province:

* the *initial export*: the source's subjects ("slots", e.g. person indexes), in slot
  order, split into at most :data:`MAX_INITIAL_PARTS` part files dated the day before
  the province's initial load (``<PREFIX>_<yyyymmdd>_P001.csv``, ``..._P002.csv``...);
* one *day file* per calendar day (Vietnam time) on which a timeline change touched
  one of the source's subjects (deaths, moves: :meth:`DaySource.affected` decides),
  each subject once, rendered as of the end of that day.

A file's content depends only on the province and the file, never on when it is read.
A file is "modified" (published) at 01:00 the next morning. :meth:`CsvDrop.reissue`
re-publishes a day's file with a later modification time (a corrected export).
:class:`DropService` serves the listing and the files with faults: rate limits and
errors on the listing, read errors, timeouts and half-written files on reads.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import orjson

from hub.normalise.dates import VN_TZ, PartialDate
from hub.province.faults import FaultInjector
from hub.province.people import BASE_TIME, Population
from hub.province.province import Province
from hub.province.timeline import Change
from hub.province.transport import MockResponse, faulty

#: The initial export is split into at most this many part files.
MAX_INITIAL_PARTS = 100
#: When the day's export appears in the drop (local time, the next morning).
PUBLISHED_AT = time(1, 0)


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """How a source writes its exports.

    Attributes:
        prefix: file-name prefix (``"NNT"`` gives ``NNT_20240102.csv``).
        columns: header row, native column names.
        delimiter: field delimiter.
        encoding: text encoding (``utf-8-sig`` writes a byte-order mark).
        min_slots_per_file: subjects per part file of the initial export, at least.
    """

    prefix: str
    columns: tuple[str, ...]
    delimiter: str = ","
    encoding: str = "utf-8"
    min_slots_per_file: int = 50


class DaySource(Protocol):
    """What a mock source supplies to its drop (a collaborator the drop calls)."""

    def slots(self) -> int:
        """Number of subject slots (rows of the initial export at most)."""
        ...

    def render(self, slot: int, cutoff: datetime | None) -> Sequence[str] | None:
        """The native row of ``slot`` as of ``cutoff`` (None: before any timeline change),
        in column order (a malformed row may be shorter), or None when it has no record."""
        ...

    def affected(self, change: Change) -> Iterable[int]:
        """The slots whose rows a timeline change alters."""
        ...


@dataclass(frozen=True, slots=True)
class DayFile:
    """One file of the drop: name, publication time, the slots it holds, as of when."""

    name: str
    modified: datetime
    slots: Sequence[int]
    cutoff: datetime | None


def death_as_of(population: Population, index: int, cutoff: datetime | None) -> PartialDate | None:
    """Date of death of person ``index`` as known at ``cutoff`` (None: initial state)."""
    person = population.person(index)
    for change in population.timeline.changes_of(index):
        if change.kind == "death":
            at = change.at
            if person.death == PartialDate(at.year, at.month, at.day):  # died on the timeline
                return person.death if cutoff is not None and at <= cutoff else None
            break
    return person.death


def timeline_death(population: Population, index: int, cutoff: datetime | None) -> datetime | None:
    """When person ``index`` died on the timeline, if at or before ``cutoff``; else None.

    People who were already deceased in the initial state have no timeline death.
    """
    if cutoff is None:
        return None
    person = population.person(index)
    for change in population.timeline.changes_of(index):
        if change.kind == "death":
            at = change.at
            died_here = person.death == PartialDate(at.year, at.month, at.day)
            return at if died_here and at <= cutoff else None
    return None


def _published(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), PUBLISHED_AT, VN_TZ)


class CsvDrop:
    """The day files of one source over one province.

    Args:
        province: the synthetic province.
        fmt: the export format.
        source: renders rows and says which subjects changes touch.
    """

    def __init__(self, province: Province, fmt: ExportFormat, source: DaySource) -> None:
        self.province = province
        self.fmt = fmt
        self.source = source
        self._reissued: dict[str, datetime] = {}
        self._sizes: dict[tuple[str, datetime], int] = {}
        self.content = lru_cache(maxsize=8)(self._content)

    def files(self) -> list[DayFile]:
        """Every file in the drop now, in publication order."""
        slots = self.source.slots()
        per_file = max(self.fmt.min_slots_per_file, -(-slots // MAX_INITIAL_PARTS))
        day = BASE_TIME.astimezone(VN_TZ).date() - timedelta(days=1)
        out = [
            DayFile(
                f"{self.fmt.prefix}_{day:%Y%m%d}_P{k + 1:03d}.csv",
                _published(day),
                range(k * per_file, min(slots, (k + 1) * per_file)),
                None,
            )
            for k in range(max(1, -(-slots // per_file)))
        ]
        by_day: dict[date, set[int]] = {}
        initial_end = self.province.population.initial_load_end
        for change in self.province.timeline.changed_since(initial_end):
            touched = by_day.setdefault(change.at.astimezone(VN_TZ).date(), set())
            touched.update(self.source.affected(change))
        for day, touched in sorted(by_day.items()):
            if touched:
                end = datetime.combine(day + timedelta(days=1), time(0), VN_TZ)
                cutoff = end - timedelta(microseconds=1)
                name = f"{self.fmt.prefix}_{day:%Y%m%d}.csv"
                out.append(DayFile(name, _published(day), tuple(sorted(touched)), cutoff))
        return sorted(
            (_reissue(f, self._reissued.get(f.name)) for f in out),
            key=lambda f: (f.modified, f.name),
        )

    def _content(self, file: DayFile) -> bytes:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter=self.fmt.delimiter, lineterminator="\r\n")
        writer.writerow(self.fmt.columns)
        for slot in file.slots:
            row = self.source.render(slot, file.cutoff)
            if row is not None:
                writer.writerow(row)
        return buffer.getvalue().encode(self.fmt.encoding)

    def size(self, file: DayFile) -> int:
        """The file's size in bytes (rendered once, then remembered)."""
        key = (file.name, file.modified)
        if key not in self._sizes:
            self._sizes[key] = len(self.content(file))
        return self._sizes[key]

    def reissue(self, name: str, modified: datetime | None = None) -> None:
        """Publish ``name`` again (a corrected export), later than every other file."""
        latest = max(f.modified for f in self.files())
        self._reissued[name] = modified or latest + timedelta(hours=1)

    def write_to(self, directory: Path) -> list[Path]:
        """Write every file into ``directory`` with its modification time; return paths."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for file in self.files():
            path = directory / file.name
            path.write_bytes(self.content(file))
            stamp = file.modified.timestamp()
            os.utime(path, (stamp, stamp))
            paths.append(path)
        return paths


def _reissue(file: DayFile, modified: datetime | None) -> DayFile:
    if modified is None:
        return file
    return DayFile(file.name, modified, file.slots, file.cutoff)


class DropService:
    """The drop as served by the source's file-transfer endpoint, with faults.

    Args:
        drop: the files.
        faults: fault injection for every call.
    """

    def __init__(self, drop: CsvDrop, faults: FaultInjector | None = None) -> None:
        self.drop = drop
        self.faults = faults or FaultInjector()
        self.calls = 0

    async def list_files(self) -> MockResponse:
        """``{"files": [{"name", "size", "modified"}]}``; may be rate-limited."""
        self.calls += 1
        entries = [
            {"name": f.name, "size": self.drop.size(f), "modified": f.modified.isoformat()}
            for f in self.drop.files()
        ]
        return await faulty(self.faults, MockResponse(200, orjson.dumps({"files": entries})))

    async def read_file(self, name: str) -> MockResponse:
        """The file's bytes; a truncation fault returns a half-written file."""
        self.calls += 1
        for file in self.drop.files():
            if file.name == name:
                return await faulty(self.faults, MockResponse(200, self.drop.content(file)))
        return MockResponse(404, b"not found")
