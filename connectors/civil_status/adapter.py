"""The civil-status connector's adapter: offset/limit pages of the e-registry's change feed."""

from __future__ import annotations

from connectors.civil_status.mock import PATH, CivilStatusService
from hub.connect.contract import SourceAdapter
from hub.connect.http_status import get_json_object
from hub.connect.records import Cursor, NativeRecord, Page
from hub.errors import RetriableSourceError


class CivilStatusAdapter(SourceAdapter):
    """Reads every registration (births, deaths, marriages) in order of entry.

    The cursor is ``{"since": <last_modified of the last row>, "offset": <rows at that
    time already read>, "key": <its registration_no>}``. Each request re-anchors on it
    (``since`` + ``offset``) instead of growing one offset across the whole feed, so a
    request costs the same at any depth and a resumed sync re-reads nothing. Rows at or
    before ``(since, key)`` are skipped as well, a guard against a shifted offset.

    Args:
        service: the (simulated) e-registry API.
        page_size: rows per request (the service caps it at 200).
    """

    def __init__(self, service: CivilStatusService, page_size: int = 200) -> None:
        self.service = service
        self.page_size = page_size

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """Fetch the next page of registrations after ``cursor``."""
        since = str(cursor["since"]) if cursor else ""
        offset = int(cursor["offset"]) if cursor else 0
        last = (since, str(cursor["key"])) if cursor else ("", "")
        params = {"offset": str(offset), "limit": str(min(limit, self.page_size))}
        if since:
            params["since"] = since
        body = await get_json_object(self.service, PATH, params)
        rows, paging = body.get("data"), body.get("paging")
        if not isinstance(rows, list) or not isinstance(paging, dict):
            raise RetriableSourceError("malformed answer: no data or paging")
        records: list[NativeRecord] = []
        position, ties = (since, last[1]), offset
        for n, row in enumerate(rows):
            if not isinstance(row, dict):
                raise RetriableSourceError("malformed answer: a row is not an object")
            row_position = (str(row.get("last_modified", "")), str(row.get("registration_no")))
            ties = ties + 1 if row_position[0] == position[0] else 1
            position = row_position
            if row_position > last:
                records.append(NativeRecord(row, position=f"{stream}@{since}+{offset + n}"))
        if not rows:
            return Page([], dict(cursor or {}), has_more=False)
        next_cursor = {"since": position[0], "offset": ties, "key": position[1]}
        return Page(records, next_cursor, has_more=paging.get("next_offset") is not None)
