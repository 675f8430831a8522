"""The judicial connector's adapter: follows the change feed ``LayThayDoiLyLichTuPhap``."""

from __future__ import annotations

from connectors.judicial.mock import MAX_PAGE_SIZE, NAMESPACE, PATH
from hub.connect.contract import SourceAdapter
from hub.connect.records import Cursor, NativeRecord, Page
from hub.connect.soap_client import SoapClient, SoapTransport, element_record
from hub.errors import FatalSourceError

LISTS = frozenset({"BanAn"})


class JudicialAdapter(SourceAdapter):
    """Reads the judicial-records change log after a "last id" cursor.

    Cursor: ``{"last_id": <maThayDoi of the last entry read>}``; the service returns the
    entries with a greater id, so resuming from a committed cursor repeats nothing and
    skips nothing (ids only grow; superseded entries simply vanish from the log).

    Args:
        transport: the (simulated) SOAP endpoint.
        page_size: entries per request (the service caps it at 200).
    """

    def __init__(self, transport: SoapTransport, page_size: int = 200) -> None:
        self.client = SoapClient(transport, path=PATH, namespace=NAMESPACE)
        self.page_size = page_size

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """Fetch the entries after ``cursor``."""
        last_id = int((cursor or {}).get("last_id", 0))
        answer = await self.client.call(
            "LayThayDoiLyLichTuPhap",
            {"tuMaThayDoi": last_id, "soLuong": min(limit, self.page_size, MAX_PAGE_SIZE)},
        )
        records: list[NativeRecord] = []
        newest = last_id
        for element in self.client.children(answer, "BanGhi"):
            row = element_record(element, LISTS)
            change_id = row.get("maThayDoi")
            if not (isinstance(change_id, str) and change_id.isdigit()):
                raise FatalSourceError(f"{stream}: an entry without a numeric maThayDoi")
            newest = max(newest, int(change_id))
            records.append(NativeRecord(row, position=f"{stream}@id{change_id}"))
        more = self.client.child_text(answer, "conDuLieu") == "1"
        return Page(records, {"last_id": newest}, has_more=more and bool(records))
