"""The synthetic enterprises: valid codes, deterministic, founders drawn from the people."""

from __future__ import annotations

import pytest

from hub.normalise.identifiers import normalise_tax_code
from hub.province import Province, ProvinceConfig
from hub.province.enterprises import (
    ADULT_BORN_BY,
    MIN_ENTERPRISES,
    NEW_CODES_FROM,
    TAX_PROVINCE_PREFIX,
    Enterprises,
    enterprises_of,
)


@pytest.fixture(scope="module")
def enterprises() -> Enterprises:
    """The enterprises of a province of 4000 people (160 enterprises)."""
    return Enterprises(Province(ProvinceConfig(seed=21, citizens=4000)))


def test_count_follows_the_population_with_a_floor(enterprises: Enterprises) -> None:
    assert enterprises.count == 160
    small = Enterprises(Province(ProvinceConfig(seed=21, citizens=300)))
    assert small.count == MIN_ENTERPRISES


def test_every_code_has_a_valid_check_digit_and_is_unique(enterprises: Enterprises) -> None:
    codes = [enterprises.code(n) for n in range(enterprises.count)]
    assert all(normalise_tax_code(c) == c for c in codes)
    assert all(c.startswith(TAX_PROVINCE_PREFIX) and len(c) == 10 for c in codes)
    assert len(set(codes)) == len(codes)
    for n in range(enterprises.count):
        for branch in enterprises.enterprise(n).branches:
            assert normalise_tax_code(branch.code) == branch.code
            assert branch.code.startswith(codes[n]) and len(branch.code) == 13


def test_generation_is_deterministic(enterprises: Enterprises) -> None:
    again = Enterprises(Province(ProvinceConfig(seed=21, citizens=4000)))
    for n in (0, 1, 57, enterprises.count - 1):
        assert again.enterprise(n) == enterprises.enterprise(n)
    other = Enterprises(Province(ProvinceConfig(seed=22, citizens=4000)))
    assert other.code(0) != enterprises.code(0)


def test_founders_and_representatives_are_adults_of_the_population(
    enterprises: Enterprises,
) -> None:
    population = enterprises.province.population
    for n in range(enterprises.count):
        ent = enterprises.enterprise(n)
        people = [m.index for m in ent.members] + list(ent.representatives)
        for index in people:
            person = population.person(index)  # raises for an index outside the population
            assert person.birth.year <= ADULT_BORN_BY
            assert ent.registered.year >= person.birth.year + 18
        assert abs(sum(m.share_percent for m in ent.members) - 100) < 0.01
        if ent.kind == "PRIVATE":
            assert len(ent.members) == 1 and ent.representatives == (ent.members[0].index,)


def test_head_office_codes_follow_the_registration_date(enterprises: Enterprises) -> None:
    systems = set()
    for n in range(enterprises.count):
        ent = enterprises.enterprise(n)
        expected = "NEW_34" if ent.registered >= NEW_CODES_FROM else "OLD_63"
        assert ent.head_office.code_system == expected
        assert (ent.head_office.district_code is None) == (expected == "NEW_34")
        systems.add(expected)
    assert systems == {"NEW_34", "OLD_63"}


def test_a_representatives_death_suspends_an_active_enterprise() -> None:
    province = Province(ProvinceConfig(seed=5, citizens=2000, change_rate=0.05))
    enterprises = enterprises_of(province)
    assert enterprises_of(province) is enterprises
    changes = province.timeline.advance(5)
    deaths = [c for c in changes if c.kind == "death" and enterprises.represented_by(c.index)]
    assert deaths, "no representative died in five steps"
    for change in deaths:
        for number in enterprises.represented_by(change.index):
            before = enterprises.status_as_of(number, None)
            status, modified, version = enterprises.status_as_of(number, province.timeline.now)
            assert version == 2 and modified <= change.at
            assert status == ("SUSPENDED" if before[0] == "ACTIVE" else before[0])
