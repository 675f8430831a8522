"""The seeded synthetic province (decision 7): deterministic, coherent, cheap at scale."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from hub.normalise.dates import DatePrecision
from hub.normalise.identifiers import parse_pin, pin_inconsistencies
from hub.province import Person, Population, Province, ProvinceConfig, Timeline
from hub.province.people import BASE_TIME

SAMPLE = (0, 1, 2, 3, 7, 100, 1234, 2999)


def _pop(seed: int = 7, citizens: int = 3000) -> Population:
    return Province(ProvinceConfig(seed=seed, citizens=citizens)).population


@pytest.fixture(scope="module")
def big() -> Population:
    """20,000 people: enough for every kind of household and every quirk."""
    return _pop(seed=11, citizens=20_000)


@pytest.fixture(scope="module")
def people(big: Population) -> list[Person]:
    return [big.person(i) for i in range(big.citizens)]


def test_same_seed_same_people_and_households() -> None:
    a, b = _pop(seed=42), _pop(seed=42)
    for i in SAMPLE:
        assert a.person(i) == b.person(i)
    assert a.household_count == b.household_count
    for n in (0, 1, 10, a.household_count - 1):
        assert a.household(n) == b.household(n)


def test_person_is_recomputed_identically() -> None:
    pop = _pop()
    first = [pop.person(i) for i in SAMPLE]
    pop.household.cache_clear()
    assert [pop.person(i) for i in reversed(SAMPLE)] == list(reversed(first))


def test_different_seed_different_people() -> None:
    a, b = _pop(seed=1), _pop(seed=2)
    assert [a.person(i).pin for i in SAMPLE] != [b.person(i).pin for i in SAMPLE]
    differing = sum(a.person(i) != b.person(i) for i in SAMPLE)
    assert differing == len(SAMPLE)


def test_pins_consistent_with_sex_and_birth_year(people: list[Person]) -> None:
    for p in people:
        problems = pin_inconsistencies(p.pin, birth_year=p.birth.year, sex=p.sex)
        assert problems == [], (p.index, problems)
        assert parse_pin(p.pin).province_code == p.birth_province
        assert p.pin.startswith(p.birth_province)


def test_pins_unique(people: list[Person]) -> None:
    pins = [p.pin for p in people]
    assert len(set(pins)) == len(pins)


def test_legacy_ids_only_for_older_people(people: list[Person]) -> None:
    with_legacy = [p for p in people if p.legacy_id is not None]
    assert with_legacy
    assert all(p.birth.year < 1995 for p in with_legacy)
    assert all(len(p.legacy_id or "") == 9 for p in with_legacy)


def test_household_structure(big: Population, people: list[Person]) -> None:
    seen_child_with_both = seen_single_parent_child = 0
    for n in range(big.household_count):
        hh = big.household(n)
        members = [people[i] for i in hh.members]
        head = members[0]
        assert head.relationship == "HEAD"
        assert {m.household_id for m in members} == {hh.household_id}
        spouse = members[1] if hh.has_spouse else None
        if spouse is not None:
            assert spouse.relationship == "SPOUSE"
            assert {head.sex, spouse.sex} == {"MALE", "FEMALE"}
            assert head.spouse == spouse.index
            assert spouse.spouse == head.index
        else:
            assert head.spouse is None
        for child in members[2 if spouse else 1 :]:
            assert child.relationship == "CHILD"
            parents = {child.father, child.mother} - {None}
            assert parents == {head.index} | ({spouse.index} if spouse else set())
            if child.father is not None:
                assert people[child.father].sex == "MALE"
            if child.mother is not None:
                assert people[child.mother].sex == "FEMALE"
            if spouse:
                seen_child_with_both += 1
            else:
                seen_single_parent_child += 1
    assert seen_child_with_both > 100
    assert seen_single_parent_child > 0


def test_household_of_matches_ranges(big: Population) -> None:
    total = 0
    for n in range(0, big.household_count, 97):
        hh = big.household(n)
        for i in hh.members:
            assert big.household_of(i) == n
    for n in range(big.household_count):
        total += big.household(n).size
    assert total == big.citizens


def test_year_only_birth_dates_only_before_1960(people: list[Person]) -> None:
    year_only = [p for p in people if p.birth.precision is DatePrecision.YEAR]
    month_only = [p for p in people if p.birth.precision is DatePrecision.MONTH]
    assert year_only
    assert month_only
    assert all(p.birth.year < 1960 for p in year_only + month_only)


def test_statuses(people: list[Person]) -> None:
    statuses = {p.status for p in people}
    assert statuses == {"ALIVE", "DECEASED", "MISSING"}
    for p in people:
        assert (p.death is not None) == (p.status == "DECEASED")
        if p.death is not None:
            assert p.death.year > p.birth.year


def test_updated_at_groups(big: Population) -> None:
    stamps = [big.person(i).updated_at for i in range(30)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) < len(stamps)  # batch loads share timestamps
    assert all(s < big.initial_load_end for s in stamps)


def test_invalid_sizes() -> None:
    pop = _pop(citizens=10)
    with pytest.raises(IndexError):
        pop.person(10)
    with pytest.raises(IndexError):
        pop.person(-1)
    with pytest.raises(ValueError, match="citizens"):
        ProvinceConfig(citizens=0)


# -- timeline ----------------------------------------------------------------------------


def test_timeline_advance_is_deterministic() -> None:
    start = BASE_TIME + timedelta(days=1)
    a, b = Timeline(5, 1000, start), Timeline(5, 1000, start)
    assert a.advance(3) == b.advance(3)
    assert a.now == b.now
    c = Timeline(6, 1000, start)
    assert [x.index for x in c.advance(3)] != [x.index for x in Timeline(5, 1000, start).advance(3)]


def test_timeline_advance_in_steps_equals_at_once() -> None:
    start = BASE_TIME + timedelta(days=1)
    a, b = Timeline(5, 1000, start), Timeline(5, 1000, start)
    assert a.advance(1) + a.advance(1) + a.advance(1) == b.advance(3)


def test_timeline_queries_agree() -> None:
    start = BASE_TIME + timedelta(days=1)
    timeline = Timeline(9, 2000, start, rate=0.02)
    first = timeline.advance()
    middle = timeline.now
    second = timeline.advance(2)
    made = first + second
    assert len(first) == 40
    assert [c.at for c in made] == sorted(c.at for c in made)
    assert all(c.at > start for c in made)
    assert timeline.changed_since(start) == made
    assert timeline.changed_since(middle) == second
    assert timeline.changed_since(timeline.now + timedelta(seconds=1)) == []
    by_person: dict[int, list[object]] = {}
    for change in made:
        by_person.setdefault(change.index, []).append(change)
    for index, changes in by_person.items():
        assert timeline.changes_of(index) == changes
        assert timeline.last_change(index) == changes[-1]
    untouched = next(i for i in range(2000) if i not in by_person)
    assert timeline.changes_of(untouched) == []
    assert timeline.last_change(untouched) is None


def test_changes_apply_to_people() -> None:
    province = Province(ProvinceConfig(citizens=500, change_rate=0.05))
    pop = province.population
    before = {i: pop.person(i) for i in range(500)}
    changes = province.timeline.advance()
    assert changes
    for change in changes:
        after = pop.person(change.index)
        assert after.version == before[change.index].version + 1
        assert after.updated_at == change.at
        assert after.pin == before[change.index].pin
        if change.kind == "death":
            assert after.status == "DECEASED"
            assert after.death is not None
    changed = {c.index for c in changes}
    assert all(pop.person(i) == before[i] for i in range(500) if i not in changed)


# -- scale -------------------------------------------------------------------------------


def test_a_million_citizens_is_cheap() -> None:
    started = time.perf_counter()
    province = Province(ProvinceConfig(citizens=1_000_000))
    pop = province.population
    last = pop.person(999_999)
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0
    assert last.index == 999_999
    assert pin_inconsistencies(last.pin, birth_year=last.birth.year, sex=last.sex) == []
    assert pop.household_of(999_999) == pop.household_count - 1
    with pytest.raises(IndexError):
        pop.person(1_000_000)
