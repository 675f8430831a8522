"""Vietnamese personal names: canonical display form, match keys and comparison.

A name can reach the hub in NFC or NFD, in upper case (identity cards print upper case),
without accents (legacy ASCII systems) and with old-style (``hòa``, ``thủy``, ``khỏe``) or
new-style (``hoà``, ``thuỷ``, ``khoẻ``) tone placement. The comparison policy is:

* identical after NFC, case folding, whitespace and tone-placement normalisation:
  :attr:`NameComparison.MATCH`;
* different only in diacritics or tone (including ``Đ`` written as ``D``):
  :attr:`NameComparison.DIACRITICS_ONLY`, which a human reviews;
* anything else: :attr:`NameComparison.MISMATCH`.

``Đ``/``đ`` is a letter of its own: Unicode decomposition does not turn it into ``D``, so
:func:`strip_diacritics` maps it explicitly, and a match key keeps it distinct from ``d``.

These functions run once per record at tens of thousands of records per second; the only
caches are bounded ones over whole names (:func:`canonical_name`) and over single words,
which repeat heavily in names.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata

from hub.errors import NormaliseError

__all__ = [
    "NameComparison",
    "canonical_name",
    "compare_names",
    "name_match_key",
    "strip_diacritics",
]

# The five Vietnamese tone marks as combining characters: sắc, huyền, hỏi, ngã, nặng.
_TONE_MARKS = ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_VOWELS = frozenset("aăâeêioôơuưy")
# Vowels carrying a vowel mark; the tone goes on such a vowel whenever there is one.
_MARKED_VOWELS = frozenset("ăâêôơư")
# Two-vowel clusters whose tone moved from the first to the second vowel in the new style.
_NEW_STYLE_CLUSTERS = frozenset({"oa", "oe", "uy"})


def _build_tone_tables() -> tuple[dict[str, tuple[str, int]], dict[tuple[str, int], str]]:
    """Map each toned lower-case vowel to (vowel, tone index), and back."""
    split: dict[str, tuple[str, int]] = {}
    join: dict[tuple[str, int], str] = {}
    for vowel in _VOWELS:
        for index, mark in enumerate(_TONE_MARKS):
            toned = unicodedata.normalize("NFC", vowel + mark)
            split[toned] = (vowel, index)
            join[(vowel, index)] = toned
    return split, join


_SPLIT_TONE, _JOIN_TONE = _build_tone_tables()
_TONED_VOWELS = frozenset(_SPLIT_TONE)

# Letters where a new word segment starts: after whitespace, a hyphen or an apostrophe
# (minority names such as "H'Hen Niê", compound foreign names such as "Jean-Pierre").
_WORD_START = re.compile(r"(?:^|(?<=[\s\-'’ʼ]))[^\W\d_]")
# A run of letters inside a word; tone placement is fixed per run (per syllable).
_SYLLABLE = re.compile(r"[^\W\d_]+")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "`": "'"})
# Control characters that str.split() would silently treat as whitespace.
_SEPARATOR_CONTROLS = re.compile("[\x1c-\x1f]")
# Combining marks removed by strip_diacritics, plus the letter Đ which does not decompose.
_STRIP_TABLE: dict[int, int | None] = {
    **dict.fromkeys(range(0x0300, 0x0370)),
    **dict.fromkeys(range(0x1AB0, 0x1B00)),
    **dict.fromkeys(range(0x1DC0, 0x1E00)),
    **dict.fromkeys(range(0x20D0, 0x2100)),
    **dict.fromkeys(range(0xFE20, 0xFE30)),
    ord("Đ"): ord("D"),
    ord("đ"): ord("d"),
}


class NameComparison(enum.Enum):
    """Outcome of comparing a declared name with the registered one."""

    MATCH = "MATCH"
    """Same name once Unicode form, case, spacing and tone placement are normalised."""
    DIACRITICS_ONLY = "DIACRITICS_ONLY"
    """The names differ only in diacritics or tone: a human must decide (REVIEW)."""
    MISMATCH = "MISMATCH"
    """The names differ in their letters."""


def _collapse(text: str) -> str:
    """Return ``text`` with runs of whitespace collapsed to one space and ends stripped."""
    return " ".join(text.split())


def canonical_name(raw: str, *, field: str = "name") -> str:
    """Return the display form of a name: NFC, single spaces, each word capitalised.

    Tone placement is kept as given (the original spelling is what the register holds);
    use :func:`name_match_key` to compare names.

    Args:
        raw: the name as received, in any Unicode normal form and case.
        field: the record field being normalised, for the error message.

    Returns:
        The name with every word (and every part after a hyphen or apostrophe)
        starting with a capital, e.g. ``"NGUYỄN  VĂN AN"`` gives ``"Nguyễn Văn An"``.

    Raises:
        NormaliseError: the name is blank or contains digits or control characters.
    """
    name, problem = _canonical_name(raw)
    if problem is not None:
        raise NormaliseError(problem, field=field)
    return name


@functools.lru_cache(maxsize=32_768)
def _canonical_name(raw: str) -> tuple[str, str | None]:
    """:func:`canonical_name` as ``(name, None)``, or ``("", why the name is rejected)``.

    Memoised on the text alone (not the field), which makes the lookup cheap.
    """
    if _SEPARATOR_CONTROLS.search(raw):
        return "", "name contains control characters"
    text = _collapse(unicodedata.normalize("NFC", raw))
    if not text:
        return "", "name is empty"
    if not text.replace(" ", "").isalpha():
        for char in text:
            category = unicodedata.category(char)
            if category[0] == "N":
                return "", "name contains digits"
            if category[0] == "C":
                return "", "name contains control characters"
    return unicodedata.normalize("NFC", _capitalise_words(text.lower())), None


def _capitalise_words(text: str) -> str:
    """Title-case the first letter of each word and of each part after ``-``, ``'``, ``’``, ``ʼ``.

    ``text`` has single spaces between words. Names without those separators (nearly
    all) are done word by word through a cache, about twice as fast as running
    :data:`_WORD_START` over the whole name.
    """
    if "-" in text or "'" in text or "’" in text or "ʼ" in text:
        return _WORD_START.sub(_title_match, text)
    return " ".join(map(_capitalised_word, text.split(" ")))


@functools.lru_cache(maxsize=8192)
def _capitalised_word(word: str) -> str:
    """Title-case the first character of a non-empty word if it is a letter.

    A letter is what :data:`_WORD_START`'s ``[^\\W\\d_]`` matches: alphanumeric but
    not a decimal digit.
    """
    first = word[0]
    if first.isalnum() and not first.isdecimal():
        return first.title() + word[1:]
    return word


def _title_match(match: re.Match[str]) -> str:
    """Title-case the letter a :data:`_WORD_START` match found."""
    return match.group().title()


def _tone_position(base: str) -> int | None:
    """Return the index of the vowel that carries the tone in an untoned syllable.

    The convention is the new style: the tone sits on a vowel with a vowel mark if there
    is one (the last such, as in ``ươ``); otherwise on the middle of three vowels, on the
    second of two when a consonant follows or the pair is ``oa``, ``oe`` or ``uy``, and
    on the first of other pairs. The ``u`` of ``qu`` and the ``i`` of ``gi`` before
    another vowel belong to the initial consonant. ``None`` if no vowel fits.
    """
    size = len(base)
    start = 0
    while start < size and base[start] not in _VOWELS:
        start += 1
    if start == size:
        return None
    if start == 1 and start + 1 < size and base[start + 1] in _VOWELS and base[:2] in ("qu", "gi"):
        start += 1
    end = start
    while end < size and base[end] in _VOWELS:
        end += 1
    marked = [i for i in range(start, end) if base[i] in _MARKED_VOWELS]
    if marked:
        return marked[-1]
    length = end - start
    if length == 1:
        return start
    if length == 3:
        return start + 1
    if length == 2:
        if end < size or base[start:end] in _NEW_STYLE_CLUSTERS:
            return start + 1
        return start
    return None


def _retone_syllable(match: re.Match[str]) -> str:
    """Move the single tone mark of a lower-case syllable to its conventional vowel."""
    syllable = match.group()
    toned = [i for i, char in enumerate(syllable) if char in _TONED_VOWELS]
    if len(toned) != 1:
        return syllable
    vowel, tone = _SPLIT_TONE[syllable[toned[0]]]
    base = syllable[: toned[0]] + vowel + syllable[toned[0] + 1 :]
    target = _tone_position(base)
    if target is None or target == toned[0]:
        return syllable
    return base[:target] + _JOIN_TONE[(base[target], tone)] + base[target + 1 :]


@functools.lru_cache(maxsize=8192)
def _retone_word(word: str) -> str:
    """Apply :func:`_retone_syllable` to each letter run of one lower-case word."""
    return _SYLLABLE.sub(_retone_syllable, word)


def name_match_key(raw: str) -> str:
    """Return the key under which two spellings of the same name are equal.

    The key is NFC, case-folded, with whitespace collapsed, apostrophe variants unified
    and the tone of every syllable placed by one convention (the new style), so that
    ``"Hòa"``, ``"HOÀ"`` and an NFD ``"hoà"`` share the key ``"hoà"``. Diacritics are
    kept: ``"Đặng"`` and ``"Dang"`` have different keys. Blank input gives ``""``.

    Args:
        raw: the name as received.

    Returns:
        The match key; not meant for display.
    """
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", raw).casefold())
    key = _collapse(folded).translate(_APOSTROPHES)
    if _TONED_VOWELS.isdisjoint(key):
        return key
    return " ".join([_retone_word(word) for word in key.split(" ")])


def strip_diacritics(raw: str) -> str:
    """Remove tone and vowel marks, mapping ``Đ``/``đ`` to ``D``/``d``; case is kept.

    Args:
        raw: any text.

    Returns:
        The NFC text without combining marks, e.g. ``"Đặng Thị Thuỷ"`` gives
        ``"Dang Thi Thuy"``. Whitespace is left as it is.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", raw).translate(_STRIP_TABLE))


def compare_names(declared: str, registered: str) -> NameComparison:
    """Compare a declared name with the registered one under the hub's policy.

    Args:
        declared: the name the applicant wrote (or another source holds).
        registered: the name in the authoritative register.

    Returns:
        :attr:`NameComparison.MATCH` when the match keys are equal,
        :attr:`NameComparison.DIACRITICS_ONLY` when they are equal once diacritics
        and tones are stripped (so ``"Đặng"`` against ``"Dang"`` or ``"Đang"``), and
        :attr:`NameComparison.MISMATCH` otherwise.

    Raises:
        NormaliseError: either name is blank; an empty name never matches anything.
    """
    declared_key = name_match_key(declared)
    registered_key = name_match_key(registered)
    if not declared_key or not registered_key:
        raise NormaliseError("cannot compare an empty name", field="name")
    if declared_key == registered_key:
        return NameComparison.MATCH
    if strip_diacritics(declared_key) == strip_diacritics(registered_key):
        return NameComparison.DIACRITICS_ONLY
    return NameComparison.MISMATCH
