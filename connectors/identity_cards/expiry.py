"""The Vietnamese identity-card expiry rule, computed from the date of birth.

Law on Identification 2023 (Art. 21) and the Law on Citizen Identification 2014 before
it: a card must be renewed when its holder turns 25, 40 and 60; a card issued at 60 or
later has no expiry. A card issued, renewed or replaced within :data:`GRACE_YEARS` years
before one of those ages stays valid until the *next* age (so a card issued at 23 or 24
expires at 40, one issued at 58 or 59 never expires).

A birth date held only to the month or year counts from the last day it may be (the
last day of the month, or 31 December), so a card is never declared expired early.
"""

from __future__ import annotations

import calendar
from datetime import date

from hub.normalise.dates import PartialDate

#: Ages at which a card must be renewed.
RENEWAL_AGES = (25, 40, 60)
#: A card issued less than this many years before a renewal age is valid to the next one.
GRACE_YEARS = 2


def birthday_at(birth: PartialDate, age: int) -> date:
    """The day the holder reaches ``age`` (29 February → 28 February in other years)."""
    year = birth.year + age
    month = birth.month or 12
    last = calendar.monthrange(year, month)[1]
    day = min(birth.day, last) if birth.day is not None else last
    return date(year, month, day)


def card_expiry(birth: PartialDate, issued: date) -> date | None:
    """The expiry date of a card issued on ``issued`` to someone born on ``birth``.

    Returns:
        The day the holder reaches the first renewal age more than
        :data:`GRACE_YEARS` years after the issue date, or None (no expiry) when the
        card was issued at 58 or later.
    """
    for age in RENEWAL_AGES:
        if issued < birthday_at(birth, age - GRACE_YEARS):
            return birthday_at(birth, age)
    return None
