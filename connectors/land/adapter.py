"""The land connector's adapter: follows ``TraCuuBienDongThuaDat`` continuation tokens."""

from __future__ import annotations

from connectors.land.geohash import ALPHABET, LENGTH
from connectors.land.mock import MAX_PAGE_SIZE, NAMESPACE, PATH
from hub.connect.contract import SourceAdapter
from hub.connect.records import Cursor, NativeRecord, Page
from hub.connect.soap_client import SoapClient, SoapTransport, element_record

LISTS = frozenset({"ChuSuDung", "HanChe"})
_ALPHABET = frozenset(ALPHABET)


def _usable_key(value: object) -> bool:
    return isinstance(value, str) and len(value) == LENGTH and _ALPHABET.issuperset(value)


class LandAdapter(SourceAdapter):
    """Reads parcels updated since a compound cursor, following continuation tokens.

    Cursor: ``{"updated_at": <thoiDiemCapNhat of the last parcel, ISO 8601>, "key":
    <its maThuaDat>}``. Within one run the service's token for the next page is kept
    in memory (keyed by the cursor it follows) and used when that cursor comes back;
    otherwise (a restart, an expired token) the adapter asks for parcels updated at or
    after ``updated_at`` and drops those at or before ``(updated_at, key)``. A record
    whose id or time is unusable does not move the cursor (the mapper rejects it).

    Args:
        transport: the (simulated) SOAP endpoint.
        page_size: parcels per request (the service caps it at 25).
    """

    def __init__(self, transport: SoapTransport, page_size: int = 500) -> None:
        self.client = SoapClient(transport, path=PATH, namespace=NAMESPACE)
        self.page_size = page_size
        self._tokens: dict[tuple[str, str], str] = {}

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """Fetch the next page of parcels after ``cursor``."""
        cursor = cursor or {}
        since, key = str(cursor.get("updated_at", "")), str(cursor.get("key", ""))
        token = self._tokens.pop((since, key), None)
        params: dict[str, object] = {"soLuong": min(limit, self.page_size, MAX_PAGE_SIZE)}
        if token:
            params["maTiepTheo"] = token
        elif since:
            params["tuThoiDiem"] = since
        answer = await self.client.call("TraCuuBienDongThuaDat", params)
        records: list[NativeRecord] = []
        last = (since, key)
        for n, element in enumerate(self.client.children(answer, "ThuaDat")):
            row = element_record(element, LISTS)
            stamp, parcel_id = row.get("thoiDiemCapNhat"), row.get("maThuaDat")
            if isinstance(stamp, str) and _usable_key(parcel_id):
                position = (stamp, str(parcel_id))
                if not token and _before_or_at(position, (since, key)):
                    continue
                last = position
            records.append(NativeRecord(row, position=f"{stream}@{n}"))
        next_token = self.client.child_text(answer, "maTiepTheo")
        if next_token:
            self._tokens[last] = next_token
        next_cursor = {"updated_at": last[0], "key": last[1]} if last[0] else dict(cursor)
        return Page(records, next_cursor, has_more=bool(next_token))


def _before_or_at(position: tuple[str, str], cursor: tuple[str, str]) -> bool:
    """Whether ``position`` is at or before ``cursor`` (timestamps share one offset)."""
    return bool(cursor[0]) and position <= cursor
