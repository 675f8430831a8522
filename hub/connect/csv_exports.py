"""Reading a source's daily CSV exports ("day files") with a resumable cursor.

Several ministries share data as batch exports: one CSV file per day dropped into a
directory (``NNT_20240102.csv``), a header row with native column names, each source
with its own delimiter, encoding and date style. :class:`DayFileReader` pages through
them for an adapter; :class:`ServedDirectory` reads a drop served over the (simulated)
file-transfer endpoint, :class:`LocalDirectory` a directory on disk.

Cursor semantics (``{"file": name, "modified": ISO time, "row": n}``):

* Files are read in ``(modified, name)`` order. ``row`` counts data rows (the header is
  not a row): rows ``0 .. n-1`` of that *version* of that file (name and modification
  time) are done, and the next page starts at row ``n``. A page never spans two files;
  a page that ends a file carries ``row`` = the file's row count.
* The next file is the first whose ``(modified, name)`` is greater than the cursor's,
  so new day files are picked up incrementally and nothing is read twice.
* Re-issued (corrected) day file: the source replaces a day's file under the same name
  with a newer modification time. If the cursor sits in or after the old version, the
  new version sorts after the cursor and is read again *in full*: canonical records are
  upserts keyed by subject with a source version, so re-reading is safe (at-least-once),
  and the correction is never skipped. The rest of a superseded version is abandoned.
* A half-written file (fewer bytes than listed, or no final line break) raises
  :class:`~hub.errors.RetriableSourceError`; nothing of it is returned, so the retry
  resumes at the same cursor once the file is complete.
* A row whose number of fields differs from the header is returned with an extra
  ``_malformed`` entry; mappers reject such rows as records (dead letters).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import orjson

from hub.connect.http_status import raise_for_status
from hub.connect.records import Cursor, NativeRecord, Page
from hub.errors import FatalSourceError, RetriableSourceError
from hub.province.transport import MockResponse, SimulatedTimeout

__all__ = [
    "CsvDialect",
    "DayFileReader",
    "DropDirectory",
    "DropFile",
    "LocalDirectory",
    "ServedDirectory",
]


@dataclass(frozen=True, slots=True)
class DropFile:
    """One file of a drop directory as listed: name, size in bytes, modification time."""

    name: str
    size: int | None
    modified: datetime

    @property
    def order(self) -> tuple[str, str]:
        """The file's place in reading order: (modification time, name)."""
        return (self.modified.astimezone(UTC).isoformat(timespec="microseconds"), self.name)


class DropDirectory(Protocol):
    """Where a source drops its day files (a collaborator the reader only calls)."""

    async def list_files(self) -> list[DropFile]:
        """Every file in the directory (any order). Raises a ``SourceError`` on failure."""
        ...

    async def read_file(self, name: str) -> bytes:
        """The bytes of file ``name``. Raises a ``SourceError`` on failure."""
        ...


@dataclass(frozen=True, slots=True)
class CsvDialect:
    """How one source writes its exports.

    Attributes:
        prefix: file-name prefix of the day files (``"NNT_"``); other files are ignored.
        columns: columns the header must contain (a changed export format is fatal).
        delimiter: field delimiter.
        encoding: text encoding; ``utf-8-sig`` also accepts a byte-order mark.
    """

    prefix: str
    columns: tuple[str, ...]
    delimiter: str = ","
    encoding: str = "utf-8"


class FileService(Protocol):
    """The wire of a served drop: a listing endpoint and a file endpoint."""

    async def list_files(self) -> MockResponse:
        """``{"files": [{"name", "size", "modified"}]}`` as JSON."""
        ...

    async def read_file(self, name: str) -> MockResponse:
        """The file's bytes."""
        ...


class ServedDirectory:
    """A drop directory read over its file-transfer endpoint; failures are translated.

    Args:
        service: the (simulated) endpoint.
    """

    def __init__(self, service: FileService) -> None:
        self.service = service

    async def list_files(self) -> list[DropFile]:
        """List the drop (429 → :class:`RateLimitedError`)."""
        try:
            response = await self.service.list_files()
        except SimulatedTimeout as exc:
            raise RetriableSourceError("timeout listing the drop") from exc
        raise_for_status(response, "listing")
        try:
            entries = orjson.loads(response.body)["files"]
            return [
                DropFile(str(e["name"]), int(e["size"]), datetime.fromisoformat(e["modified"]))
                for e in entries
            ]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise RetriableSourceError(f"truncated or malformed listing: {exc}") from exc

    async def read_file(self, name: str) -> bytes:
        """Read one file (a read error or timeout is retriable)."""
        try:
            response = await self.service.read_file(name)
        except SimulatedTimeout as exc:
            raise RetriableSourceError("timeout reading a day file") from exc
        raise_for_status(response, "file read")
        return response.body


class LocalDirectory:
    """A drop directory on a local or mounted file system.

    Args:
        path: the directory.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    async def list_files(self) -> list[DropFile]:
        """List regular files with their size and modification time."""
        try:
            with os.scandir(self.path) as entries:
                return [
                    DropFile(
                        e.name, (s := e.stat()).st_size, datetime.fromtimestamp(s.st_mtime, UTC)
                    )
                    for e in entries
                    if e.is_file()
                ]
        except OSError as exc:
            raise RetriableSourceError(f"cannot list the drop directory: {exc}") from exc

    async def read_file(self, name: str) -> bytes:
        """Read one file."""
        try:
            return (self.path / name).read_bytes()
        except OSError as exc:
            raise RetriableSourceError(f"cannot read a day file: {exc}") from exc


_Rows = list[tuple[dict[str, str], bytes]]
#: (modified, name, next row); a row of None means "past this file".
_Position = tuple[str, str, int | None]


class DayFileReader:
    """Pages through a drop directory's day files (see the module docstring).

    Args:
        directory: where the files are.
        dialect: how the source writes them.
    """

    def __init__(self, directory: DropDirectory, dialect: CsvDialect) -> None:
        self.directory = directory
        self.dialect = dialect
        self._listing: list[DropFile] | None = None
        self._parsed: tuple[tuple[str, str], _Rows] | None = None

    async def fetch(self, cursor: Cursor | None, limit: int) -> Page:
        """The next rows after ``cursor`` (at most ``limit``, from one file)."""
        position: _Position | None = _position(cursor)
        listed = self._listing is None
        files = await self._files(refresh=False)
        while True:
            current = self._next_file(files, position)
            if current is None and not listed:  # past the known files: look for new ones
                files, listed = await self._files(refresh=True), True
                continue
            if current is None:
                return Page([], dict(cursor or {}), has_more=False)
            file, start = current
            rows = await self._rows(file)
            if start >= len(rows):  # read to its end (or empty): step past it
                position = (*file.order, None)
                continue
            end = min(len(rows), start + max(1, limit))
            records = [
                NativeRecord(payload, raw, f"{file.name}#{n}")
                for n, (payload, raw) in enumerate(rows[start:end], start)
            ]
            has_more = end < len(rows) or files[-1].order > file.order
            new_cursor = {"file": file.name, "modified": file.order[0], "row": end}
            return Page(records, new_cursor, has_more=has_more)

    async def _files(self, *, refresh: bool) -> list[DropFile]:
        """The day files in reading order; the listing is re-read when exhausted."""
        if self._listing is None or refresh:
            listed = await self.directory.list_files()
            prefix = self.dialect.prefix
            self._listing = sorted(
                (f for f in listed if f.name.startswith(prefix) and f.name.endswith(".csv")),
                key=lambda f: f.order,
            )
        return self._listing

    @staticmethod
    def _next_file(
        files: list[DropFile], position: _Position | None
    ) -> tuple[DropFile, int] | None:
        """The file to read next and the row to start at."""
        if position is None:
            return (files[0], 0) if files else None
        modified, name, row = position
        for file in files:
            if file.order == (modified, name) and row is not None:
                return file, row  # the same version: continue where the cursor left it
            if file.order > (modified, name):
                return file, 0
        return None

    async def _rows(self, file: DropFile) -> _Rows:
        if self._parsed is not None and self._parsed[0] == file.order:
            return self._parsed[1]
        data = await self.directory.read_file(file.name)
        if (file.size is not None and len(data) != file.size) or not data.endswith(b"\n"):
            raise RetriableSourceError(
                f"truncated day file {file.name}: {len(data)} of {file.size} bytes"
            )
        rows = self._parse(data, file.name)
        self._parsed = (file.order, rows)
        return rows

    def _parse(self, data: bytes, name: str) -> _Rows:
        dialect = self.dialect
        try:
            text = data.decode(dialect.encoding)
        except UnicodeDecodeError as exc:
            raise FatalSourceError(f"{name}: not {dialect.encoding}: {exc}") from exc
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter)
        header = next(reader, None)
        if header is None or not set(dialect.columns) <= set(header):
            raise FatalSourceError(f"{name}: the header lacks expected columns")
        width = len(header)
        out: _Rows = []
        for fields in reader:
            if not fields:
                continue
            payload = dict(zip(header, fields, strict=False))
            if len(fields) != width:
                payload["_malformed"] = f"{len(fields)} fields, the header has {width}"
            out.append((payload, dialect.delimiter.join(fields).encode("utf-8")))
        return out


def _position(cursor: Cursor | None) -> _Position | None:
    if not cursor or "file" not in cursor:
        return None
    try:
        return (str(cursor["modified"]), str(cursor["file"]), int(cursor["row"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise FatalSourceError(f"unreadable cursor: {exc}") from exc
