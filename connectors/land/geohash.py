"""GeoHash validation and decoding for parcel ids (12 base-32 characters, ~4 cm cells)."""

from __future__ import annotations

from hub.errors import NormaliseError

ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz"
_VALUE = {char: n for n, char in enumerate(ALPHABET)}
LENGTH = 12
#: Points of Vietnam's mainland lie within this box (lat_min, lon_min, lat_max, lon_max).
VIETNAM_BOX = (8.0, 102.0, 23.5, 110.0)


def decode(text: str, *, field: str = "geohash") -> tuple[float, float]:
    """The centre (lat, lon) of a GeoHash cell.

    Raises:
        NormaliseError: empty, or a character outside the GeoHash alphabet.
    """
    if not text:
        raise NormaliseError("empty GeoHash", field=field)
    lat_range, lon_range = [-90.0, 90.0], [-180.0, 180.0]
    even = True
    for char in text:
        value = _VALUE.get(char)
        if value is None:
            raise NormaliseError(f"{char!r} is not a GeoHash character", field=field)
        for shift in range(4, -1, -1):
            span = lon_range if even else lat_range
            middle = (span[0] + span[1]) / 2
            if value >> shift & 1:
                span[0] = middle
            else:
                span[1] = middle
            even = not even
    return (lat_range[0] + lat_range[1]) / 2, (lon_range[0] + lon_range[1]) / 2


def parcel_point(text: str, *, field: str = "parcel_id") -> tuple[float, float]:
    """Validate a parcel id (12-character GeoHash of a point in Vietnam); return its centre.

    Raises:
        NormaliseError: wrong length or alphabet, or a point outside Vietnam.
    """
    if len(text) != LENGTH:
        raise NormaliseError(f"a parcel id has {LENGTH} characters, not {len(text)}", field=field)
    lat, lon = decode(text, field=field)
    lat_min, lon_min, lat_max, lon_max = VIETNAM_BOX
    if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
        raise NormaliseError("the parcel's point lies outside Vietnam", field=field)
    return lat, lon
