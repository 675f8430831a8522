"""Judicial records of the synthetic province: who has convictions, and which.

About :data:`RECORD_SHARE` of adults have a record; everybody else has none (a judicial
records database holds no entry for people never convicted). Holders are chosen by a
hash of ``(seed, index)`` and generated lazily: only the sorted list of holder indexes
is kept. A record lists one to three convictions under the Criminal Code 2015 (article
numbers as offence codes), each with its sentence, its execution (serving or
completed) and its expungement (Criminal Code Art. 70: automatic after one, two or three
years without reoffending, depending on the sentence).

A holder's death (initial or from the timeline) ends any sentence being served: the
execution is TERMINATED on the day of death and the record says the subject died.
"""

from __future__ import annotations

import bisect
import random
import weakref
from array import array
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from hub.province.people import derive_seed

if TYPE_CHECKING:
    from hub.province.province import Province

#: Share of adults with a judicial record [verify]; the brief says about 1-2 %.
RECORD_SHARE = 0.02
#: Born in or before this year: an adult on the reference date.
ADULT_BORN_BY = 2005
#: Records are generated as of this date (the province's initial load).
REFERENCE = date(2024, 1, 1)

#: Criminal Code 2015 articles (offence code → label), with rough weights.
OFFENCES: tuple[tuple[str, str, int], ...] = (
    ("173", "Trộm cắp tài sản", 30), ("174", "Lừa đảo chiếm đoạt tài sản", 12),
    ("134", "Cố ý gây thương tích hoặc gây tổn hại cho sức khỏe của người khác", 15),
    ("249", "Tàng trữ trái phép chất ma túy", 14), ("321", "Tội đánh bạc", 12),
    ("260", "Vi phạm quy định về tham gia giao thông đường bộ", 8),
    ("168", "Cướp tài sản", 4), ("175", "Lạm dụng tín nhiệm chiếm đoạt tài sản", 3),
    ("178", "Hủy hoại hoặc cố ý làm hư hỏng tài sản", 1), ("200", "Trốn thuế", 1),
)  # fmt: skip
#: Sentence kinds (code → months range or fine); codes are the source's.
SENTENCES = ("IMPRISONMENT", "SUSPENDED", "NON_CUSTODIAL", "FINE")
COURTS = (
    "Tòa án nhân dân thành phố Thủ Dầu Một", "Tòa án nhân dân thành phố Dĩ An",
    "Tòa án nhân dân thành phố Thuận An", "Tòa án nhân dân thị xã Bến Cát",
    "Tòa án nhân dân thị xã Tân Uyên", "Tòa án nhân dân huyện Bàu Bàng",
    "Tòa án nhân dân tỉnh Bình Dương",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Conviction:
    """One conviction: the judgment, the sentence, its execution and its expungement."""

    court: str
    judgment_number: str
    judgment_date: date
    offence_code: str
    offence: str
    sentence: str
    sentence_months: int | None
    fine_vnd: int | None
    execution: str
    execution_ended: date | None
    expunged_on: date | None


@dataclass(frozen=True, slots=True)
class JudicialRecord:
    """A person's judicial record as of the timeline's current time."""

    index: int
    convictions: tuple[Conviction, ...]
    deceased_on: date | None
    last_event: date


class JudicialRecords:
    """The judicial records of one province (lazy; holders found by hash).

    Args:
        province: the synthetic province.
        share: share of adults with a record.
    """

    def __init__(self, province: Province, share: float = RECORD_SHARE) -> None:
        self.province = province
        self.population = province.population
        self.share = share
        self._make = lru_cache(maxsize=4096)(self._generate)

    @cached_property
    def holders(self) -> array[int]:
        """Indexes of the people who have a record, ascending."""
        seed, threshold = self.province.config.seed, int(self.share * 1_000_000)
        out = array("I")
        for index in range(self.population.citizens):
            if derive_seed(seed, "judicial", index) % 1_000_000 < threshold:
                initial = self.population.person(index)
                if initial.birth.year <= ADULT_BORN_BY:
                    out.append(index)
        return out

    def has_record(self, index: int) -> bool:
        """Whether person ``index`` has a judicial record."""
        found = bisect.bisect_left(self.holders, index)
        return found < len(self.holders) and self.holders[found] == index

    def record(self, index: int) -> JudicialRecord:
        """The record of holder ``index`` as of now (deaths from the timeline applied)."""
        person = self.population.person(index)
        death = person.death
        died = date(death.year, death.month or 12, death.day or 28) if death else None
        return self._make(index, died)

    def _generate(self, index: int, died: date | None) -> JudicialRecord:
        rng = random.Random(derive_seed(self.province.config.seed, "judicial-record", index))
        person = self.population.person(index)
        first = date(max(person.birth.year + 18, 1995), 1, 1)
        # Judgments fall before the reference date; sentences past a death are cut there.
        last = REFERENCE - timedelta(days=60)
        if died is not None and died < last:
            last = died - timedelta(days=1)
        first = min(first, last - timedelta(days=1))
        count = 1 if rng.random() < 0.85 else (2 if rng.random() < 0.8 else 3)
        span = max(1, (last - first).days)
        days = sorted(rng.randrange(span) for _ in range(count))
        convictions = tuple(_conviction(rng, first + timedelta(days=d), died) for d in days)
        events = [c.judgment_date for c in convictions]
        events += [d for c in convictions for d in (c.execution_ended, c.expunged_on) if d]
        return JudicialRecord(index, convictions, died, min(max(events), REFERENCE))


def _conviction(rng: random.Random, judged: date, died: date | None) -> Conviction:
    code, offence, _ = rng.choices(OFFENCES, weights=[w for *_, w in OFFENCES])[0]
    sentence = rng.choices(SENTENCES, weights=(45, 25, 15, 15))[0]
    months: int | None = None
    fine: int | None = None
    if sentence == "FINE":
        fine = rng.randrange(10, 200) * 1_000_000
        ends = judged + timedelta(days=rng.randrange(30, 180))
    else:
        months = rng.choice((6, 9, 12, 18, 24, 36, 48, 60, 84, 120) if sentence == "IMPRISONMENT"
                            else (6, 9, 12, 18, 24, 36))  # fmt: skip
        ends = judged + timedelta(days=round(months * 30.44))
    execution = "COMPLETED"
    ended_on: date | None = ends
    if died is not None and died <= ends:
        execution, ended_on = "TERMINATED", died
    elif ends >= REFERENCE:
        execution, ended_on = "SERVING", None
    expunged: date | None = None
    if execution == "COMPLETED":
        wait = 1 if sentence != "IMPRISONMENT" or (months or 0) <= 60 else 2
        candidate = ends + timedelta(days=365 * wait)
        expunged = candidate if candidate < REFERENCE else None
    number = f"{rng.randrange(1, 400)}/{judged.year}/HS-ST"
    return Conviction(
        court=rng.choice(COURTS),
        judgment_number=number,
        judgment_date=judged,
        offence_code=code,
        offence=offence,
        sentence=sentence,
        sentence_months=months,
        fine_vnd=fine,
        execution=execution,
        execution_ended=ended_on,
        expunged_on=expunged,
    )


_RECORDS: weakref.WeakKeyDictionary[Province, dict[float, JudicialRecords]] = (
    weakref.WeakKeyDictionary()
)


def judicial_records(province: Province, share: float = RECORD_SHARE) -> JudicialRecords:
    """The judicial records of ``province``: one instance per (province, share), so the
    holders are found once however many services read them."""
    by_share = _RECORDS.setdefault(province, {})
    found = by_share.get(share)
    if found is None:
        found = by_share[share] = JudicialRecords(province, share)
    return found
