"""The seeded synthetic province every mock source draws from."""

from __future__ import annotations

from hub.province.people import Household, Person, Population, derive_seed
from hub.province.province import Province, ProvinceConfig
from hub.province.timeline import Change, Timeline

__all__ = [
    "Change",
    "Household",
    "Person",
    "Population",
    "Province",
    "ProvinceConfig",
    "Timeline",
    "derive_seed",
]
