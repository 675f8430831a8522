"""The province's civil-status register: births, deaths and marriages, derived lazily.

Nothing is stored: the registrations of person ``i`` are recomputed from ``(seed, i)``
and the population, so any slice of the register can be read in order of entry.

* **Births**: one per child of a household (relationship CHILD), registered in the
  province whose code prefixes the child's PIN, with the parents' PINs (a household
  without a spouse has no declared father or mother).
* **Marriages**: one per household with a head and a spouse (husband and wife from the
  pair), registered before their first child's birth. A DIVORCED or WIDOWED head without
  a spouse was married to someone outside the province's population ("outsider", with a
  synthetic PIN and name): the marriage is dissolved, or the late spouse's death is
  registered.
* **Deaths**: one per person DECEASED in the initial population; one per person with an
  injected ``deceased_elsewhere`` discrepancy (the register holds a death the population
  DB does not know); one per widowed head's late spouse; and one per first timeline
  death, entered when it happens.

Initial registrations share the update time of their subject's initial population record
(the register was loaded in batches); timeline deaths carry the change's time. The order
of entry is ``(updated_at, number)``: :meth:`CivilRegister.since` walks it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

from hub.normalise.admin_units import AdminUnits, OldWard
from hub.normalise.dates import PartialDate
from hub.normalise.identifiers import make_pin
from hub.province import vocabulary as v
from hub.province.discrepancies import DiscrepancyType
from hub.province.people import Person, apply_change, derive_seed
from hub.province.register import Register
from hub.province.timeline import Change

#: The register's last day before the synthetic present (initial registrations precede it).
LAST_INITIAL_DAY = date(2023, 12, 31)
KIND_CODE = {"birth": "KS", "death": "KT", "marriage": "KH"}


@dataclass(frozen=True, slots=True)
class Registration:
    """One civil-status registration as the register holds it.

    Attributes:
        kind: ``birth``, ``death`` or ``marriage``.
        number: the registration number, unique in the register.
        subject: index of the child, the deceased, or the husband-or-head.
        registered_on: date of registration.
        office: the commune-level office (old-list ward) that registered it.
        event: child's birth date, date of death, or date of marriage.
        partner: marriage: index of the other spouse, when in the population.
        outsider_pin: PIN of a person outside the population: a marriage's former or
            late spouse, or the deceased of an outsider's death.
        outsider_name: that person's name.
        outsider_sex: that person's sex.
        dissolved_on: marriage: date of dissolution, when dissolved.
        version: the register's revision of the record.
        updated_at: when the register last changed the record (UTC).
    """

    kind: str
    number: str
    subject: int
    registered_on: date
    office: OldWard
    event: PartialDate
    partner: int | None
    outsider_pin: str | None
    outsider_name: str | None
    outsider_sex: str | None
    dissolved_on: date | None
    version: int
    updated_at: datetime


def _to_date(value: PartialDate) -> date:
    """The first day a partial date may stand for (for registration arithmetic only)."""
    return date(value.year, value.month or 7, value.day or 1)


class CivilRegister(Register[Registration]):
    """The civil-status register of one synthetic province.

    Args:
        province: the shared synthetic province.
    """

    @cached_property
    def _units(self) -> AdminUnits:
        return AdminUnits.load()

    @staticmethod
    def entry_key(record: Registration) -> str:
        """The registration number."""
        return record.number

    def added_by(self, change: Change) -> Registration | None:
        """The death registration a timeline change creates, if it is a first death."""
        return self._death_at(change)

    def initial_of(self, index: int) -> list[Registration]:
        """The registrations of person ``index`` loaded before the timeline starts."""
        person = self.population.initial(index)
        found: list[Registration] = []
        if person.relationship == "CHILD":
            found.append(self._birth(person))
        if person.relationship == "HEAD" and person.marital_status != "SINGLE":
            found.append(self._marriage(person))
            if person.marital_status == "WIDOWED":
                found.append(self._late_spouse_death(person, found[-1]))
        death = self._initial_death(person)
        if death is not None:
            found.append(death)
        return found

    def _rng(self, kind: str, index: int) -> random.Random:
        return random.Random(derive_seed(self.seed, "civil_status", kind, index))

    def _number(self, kind: str, index: int, year: int, book: int = 1) -> str:
        serial = (index * 7919 + 4099) % 1_000_000
        return f"{KIND_CODE[kind]}-{year}-Q{book}-{serial:06d}"

    def _outsider(self, rng: random.Random, head: Person) -> tuple[str, str, str]:
        """PIN, name and sex of a head's former or late spouse outside the population."""
        sex = "FEMALE" if head.sex == "MALE" else "MALE"
        pop = self.population
        pin = make_pin(
            rng.choice(v.BIRTH_PROVINCES)[0],
            sex,
            min(2003, max(1938, head.birth.year + rng.randint(-5, 5))),
            # the serial a person index beyond the population would get: never a resident's
            pop.serial_for(head.index + pop.citizens),
        )
        female = sex == "FEMALE"
        middle = rng.choice(v.MIDDLE_NAMES_FEMALE if female else v.MIDDLE_NAMES_MALE)
        given = rng.choice(v.GIVEN_NAMES_FEMALE if female else v.GIVEN_NAMES_MALE)
        return pin, f"{rng.choice(v.FAMILY_NAMES)[0]} {middle} {given}", sex

    def _office(self, rng: random.Random, province3: str, home: OldWard) -> OldWard:
        """The registering ward: home if registered in the province, else one elsewhere."""
        if province3[1:] == home.province_code:
            return home
        wards = self._units.old_wards_in_province(province3[1:]) or (home,)
        return wards[rng.randrange(len(wards))]

    def _birth(self, child: Person) -> Registration:
        rng = self._rng("birth", child.index)
        registered = min(LAST_INITIAL_DAY, _to_date(child.birth) + timedelta(rng.randint(3, 60)))
        return Registration(
            kind="birth",
            number=self._number("birth", child.index, registered.year),
            subject=child.index,
            registered_on=registered,
            office=self._office(rng, child.birth_province, child.ward),
            event=child.birth,
            partner=None,
            outsider_pin=None,
            outsider_name=None,
            outsider_sex=None,
            dissolved_on=None,
            version=1,
            updated_at=self.population.base_updated_at(child.index),
        )

    def _marriage(self, head: Person) -> Registration:
        rng = self._rng("marriage", head.index)
        pop = self.population
        household = pop.household(pop.household_of(head.index))
        older = max(household.head_year, household.spouse_year)
        year = older + rng.randint(19, 24)
        children = [pop.initial(i).birth.year for i in household.members[2:]]
        if children:
            year = min(year, min(children) - 1)
        married = date(min(year, LAST_INITIAL_DAY.year), rng.randint(1, 12), rng.randint(1, 28))
        dissolved = outsider = None
        if head.spouse is None:  # the former or late spouse is outside the population
            outsider = self._outsider(rng, head)
        if head.marital_status == "DIVORCED":
            dissolved = min(LAST_INITIAL_DAY, married + timedelta(rng.randint(400, 6000)))
        return Registration(
            kind="marriage",
            number=self._number("marriage", head.index, married.year),
            subject=head.index,
            registered_on=married,
            office=head.ward,
            event=PartialDate(married.year, married.month, married.day),
            partner=head.spouse,
            outsider_pin=outsider[0] if outsider else None,
            outsider_name=outsider[1] if outsider else None,
            outsider_sex=outsider[2] if outsider else None,
            dissolved_on=dissolved,
            version=2 if dissolved else 1,
            updated_at=self.population.base_updated_at(head.index),
        )

    def _initial_death(self, person: Person) -> Registration | None:
        if person.death is not None:
            died = person.death
        elif self.province.discrepancy_of(person.index) is DiscrepancyType.DECEASED_ELSEWHERE:
            rng = self._rng("elsewhere", person.index)
            died = PartialDate(rng.randint(2019, 2023), rng.randint(1, 12), rng.randint(1, 28))
        else:
            return None
        rng = self._rng("death", person.index)
        registered = min(LAST_INITIAL_DAY, _to_date(died) + timedelta(rng.randint(1, 14)))
        return self._death(
            person, died, registered, 1, self.population.base_updated_at(person.index)
        )

    def _death(
        self, person: Person, died: PartialDate, registered: date, version: int, at: datetime
    ) -> Registration:
        return Registration(
            kind="death",
            number=self._number("death", person.index, registered.year),
            subject=person.index,
            registered_on=registered,
            office=person.ward,
            event=died,
            partner=None,
            outsider_pin=None,
            outsider_name=None,
            outsider_sex=None,
            dissolved_on=None,
            version=version,
            updated_at=at,
        )

    def _late_spouse_death(self, head: Person, marriage: Registration) -> Registration:
        """The death of a widowed head's spouse (an outsider), registered where they lived."""
        rng = self._rng("widowed", head.index)
        earliest = marriage.registered_on + timedelta(365)
        died = min(LAST_INITIAL_DAY, earliest + timedelta(rng.randint(0, 9000)))
        registered = min(LAST_INITIAL_DAY, died + timedelta(rng.randint(1, 14)))
        return Registration(
            kind="death",
            number=self._number("death", head.index, registered.year, book=2),
            subject=head.index,
            registered_on=registered,
            office=head.ward,
            event=PartialDate(died.year, died.month, died.day),
            partner=None,
            outsider_pin=marriage.outsider_pin,
            outsider_name=marriage.outsider_name,
            outsider_sex=marriage.outsider_sex,
            dissolved_on=None,
            version=1,
            updated_at=marriage.updated_at,
        )

    def _death_at(self, change: Change) -> Registration | None:
        """The death registration a timeline change creates, if it is a first death."""
        if change.kind != "death":
            return None
        initial = self.population.initial(change.index)
        if self._initial_death(initial) is not None:
            return None
        person = initial
        for earlier in self.province.timeline.changes_of(change.index):
            if earlier is change:
                break
            if earlier.kind == "death":
                return None  # died at an earlier step: registered then
            person = apply_change(person, earlier, self.population)
        at = change.at
        died = PartialDate(at.year, at.month, at.day)
        return self._death(person, died, at.date(), person.version + 1, at)

    def death_of(self, index: int) -> Registration | None:
        """The death registration of person ``index`` as of now, if any."""
        initial = self._initial_death(self.population.initial(index))
        if initial is not None:
            return initial
        for change in self.province.timeline.changes_of(index):
            if change.kind == "death":
                return self._death_at(change)
        return None
