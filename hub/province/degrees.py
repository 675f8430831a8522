"""The province's register of degrees and certificates, derived lazily from its people.

Person ``i`` holds up to four initial degrees, drawn from ``(seed, i)`` and their year of
birth: high-school graduation at 18, a vocational diploma, a bachelor's degree and
possibly a master's. Degrees graduated before :data:`PIN_SINCE` carry no PIN (the holder
is known by name and date of birth only), as in the real register's legacy entries.
After the initial load, some people whose records change on the timeline (a move, mostly
after graduating) receive a new degree, entered at the change's time.

Order of entry is ``(updated_at, key)`` with ``key = "<institution>:<number>"``; initial
degrees share the update time of their holder's initial population record.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime

from hub.province.people import derive_seed
from hub.province.register import Register
from hub.province.timeline import Change

#: First graduation year whose degrees record the holder's PIN.
PIN_SINCE = 2016
#: Degrees a person can hold: initial ones use ordinals 0..3, timeline ones 4..63.
ORDINALS_PER_PERSON = 64
LAST_YEAR = 2023

HIGH_SCHOOLS = (
    ("THPT74001", "Trường THPT Bình Phú"), ("THPT74002", "Trường THPT Võ Minh Đức"),
    ("THPT74003", "Trường THPT Dĩ An"), ("THPT74004", "Trường THPT Bến Cát"),
    ("THPT74005", "Trường THPT Tân Phước Khánh"),
)  # fmt: skip
UNIVERSITIES = (
    ("TDM", "Trường Đại học Thủ Dầu Một"), ("DBD", "Trường Đại học Bình Dương"),
    ("QSB", "Trường Đại học Bách khoa - ĐHQG TP.HCM"), ("KSA", "Trường Đại học Kinh tế TP.HCM"),
    ("LPS", "Trường Đại học Luật TP.HCM"),
)  # fmt: skip
COLLEGES = (
    ("CDBD01", "Trường Cao đẳng Kỹ thuật Bình Dương"),
    ("CDBD02", "Trường Cao đẳng Công nghệ Bình Dương"),
)
UNIVERSITY_FIELDS = (
    ("7480201", "Công nghệ thông tin"), ("7340301", "Kế toán"), ("7380101", "Luật"),
    ("7220201", "Ngôn ngữ Anh"), ("7340101", "Quản trị kinh doanh"),
    ("7510301", "Công nghệ kỹ thuật điện, điện tử"), ("7140202", "Giáo dục Tiểu học"),
)  # fmt: skip
VOCATIONAL_FIELDS = (
    ("6520227", "Điện công nghiệp"), ("6510201", "Công nghệ kỹ thuật cơ khí"),
    ("6340302", "Kế toán doanh nghiệp"), ("6480102", "Kỹ thuật sửa chữa máy tính"),
)  # fmt: skip
#: Classification codes, best first (the register's own abbreviations are the mock's).
CLASSES = ("EXCELLENT", "VERY_GOOD", "GOOD", "FAIRLY_GOOD", "AVERAGE")
CLASS_WEIGHTS = (5, 20, 40, 25, 10)


@dataclass(frozen=True, slots=True)
class Degree:
    """One degree or certificate as the register holds it.

    Attributes:
        holder: index of the holder in the population.
        ordinal: the degree's ordinal among the holder's (unique per holder).
        institution_code: code of the awarding institution.
        institution_name: its name.
        number: the degree number, unique in the register.
        qualification: HIGH_SCHOOL, VOCATIONAL, BACHELOR or MASTER.
        field: (code, name) of the field of study; None for high school.
        graduation_year: year of graduation.
        classification: one of :data:`CLASSES`, or None (high school from 2020).
        issued_on: issue date.
        with_pin: whether the register holds the holder's PIN.
        version: the register's revision of the record.
        updated_at: when the register last changed the record (UTC).
    """

    holder: int
    ordinal: int
    institution_code: str
    institution_name: str
    number: str
    qualification: str
    field: tuple[str, str] | None
    graduation_year: int
    classification: str | None
    issued_on: date
    with_pin: bool
    version: int
    updated_at: datetime

    @property
    def key(self) -> str:
        """``<institution>:<number>``, the register's identity of the degree."""
        return f"{self.institution_code}:{self.number}"

    @property
    def subject(self) -> int:
        """A number unique to the degree in the province (the malformed-draw subject)."""
        return self.holder * ORDINALS_PER_PERSON + self.ordinal


class DegreeRegister(Register[Degree]):
    """The degree register of one synthetic province.

    Args:
        province: the shared synthetic province.
    """

    @staticmethod
    def entry_key(record: Degree) -> str:
        """``<institution>:<number>``."""
        return record.key

    def added_by(self, change: Change) -> Degree | None:
        """The degree a timeline change brings, if any."""
        return self._issued(change)

    def initial_of(self, index: int) -> list[Degree]:
        """The degrees of person ``index`` in the initial load."""
        person = self.population.initial(index)
        born = person.birth.year
        rng = random.Random(derive_seed(self.seed, "degrees", index))
        at = self.population.base_updated_at(index)
        found: list[Degree] = []
        if born + 18 <= LAST_YEAR and rng.random() < 0.75:
            found.append(self._make(rng, index, 0, "HIGH_SCHOOL", born + 18, 1, at))
        if born + 20 <= LAST_YEAR and rng.random() < 0.15:
            found.append(self._make(rng, index, 1, "VOCATIONAL", born + 20, 1, at))
        if found and born + 22 <= LAST_YEAR and rng.random() < 0.3:
            found.append(self._make(rng, index, 2, "BACHELOR", born + rng.randint(22, 24), 1, at))
            if born + 27 <= LAST_YEAR and rng.random() < 0.2:
                found.append(self._make(rng, index, 3, "MASTER", born + 27, 1, at))
        return found

    def _issued(self, change: Change) -> Degree | None:
        """The degree a timeline change brings, if any (a graduate moving for work)."""
        if change.kind != "move":
            return None
        draw = derive_seed(self.seed, "degree-issue", change.index, change.at)
        age = change.at.year - self.population.initial(change.index).birth.year
        if not 18 <= age <= 45 or draw % 10 >= 6:
            return None
        history = self.province.timeline.changes_of(change.index)
        ordinal = 4 + next(n for n, c in enumerate(history) if c is change)
        if ordinal >= ORDINALS_PER_PERSON:
            return None
        rng = random.Random(draw)
        qualification = "VOCATIONAL" if rng.random() < 0.5 else "BACHELOR"
        degree = self._make(rng, change.index, ordinal, qualification, change.at.year, 1, change.at)
        return replace(degree, issued_on=change.at.date())

    def _make(
        self,
        rng: random.Random,
        index: int,
        ordinal: int,
        qualification: str,
        year: int,
        version: int,
        at: datetime,
    ) -> Degree:
        if qualification == "HIGH_SCHOOL":
            institution, field = rng.choice(HIGH_SCHOOLS), None
        elif qualification == "VOCATIONAL":
            institution, field = rng.choice(COLLEGES), rng.choice(VOCATIONAL_FIELDS)
        else:
            institution, field = rng.choice(UNIVERSITIES), rng.choice(UNIVERSITY_FIELDS)
        classification: str | None = rng.choices(CLASSES, CLASS_WEIGHTS)[0]
        if qualification == "HIGH_SCHOOL" and year >= 2020:
            classification = None  # no classification on the diploma since 2020
        serial = ((index * ORDINALS_PER_PERSON + ordinal) * 7919 + 17) % 100_000_000
        return Degree(
            holder=index,
            ordinal=ordinal,
            institution_code=institution[0],
            institution_name=institution[1],
            number=f"{year % 100:02d}{serial:08d}",
            qualification=qualification,
            field=field,
            graduation_year=year,
            classification=classification,
            issued_on=date(year, rng.randint(6, 9), rng.randint(1, 28)),
            with_pin=year >= PIN_SINCE,
            version=version,
            updated_at=at,
        )
