"""Exact accounting of a connector's delivery, for the fault-injection tests.

Every record the source serves must end up either published on its canonical topic (any
number of times: delivery is at least once) or in the connector's dead-letter topic with
a reason; nothing may be missing, and nothing may be published that the source does not
hold. The oracle is the source read directly (:func:`tests.sources.read_source`); the
topics are read back to their fetch high watermark (:func:`hub.connect.reader.iter_to_end`,
since the embedded broker under-reports ListOffsets).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hub.config import HubSettings
from hub.connect import headers as h
from hub.connect.contract import ConnectorSpec
from hub.connect.reader import iter_to_end
from hub.connect.topics import TopicNames
from tests.sources import SourceTruth


@dataclass
class Delivered:
    """What a connector's topics hold.

    Attributes:
        keys: per entity, how many times each key was published.
        versions: per (entity, key), every source version published.
        dead_letters: the dead-letter records (value: the raw native bytes).
    """

    keys: dict[str, Counter[str]]
    versions: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    dead_letters: list[Any] = field(default_factory=list)

    @property
    def records(self) -> int:
        """Canonical records published, duplicates included."""
        return sum(sum(counts.values()) for counts in self.keys.values())

    @property
    def duplicates(self) -> int:
        """Canonical records published more than once (the extra copies)."""
        return sum(n - 1 for counts in self.keys.values() for n in counts.values())


async def read_delivered(bootstrap: str, settings: HubSettings, spec: ConnectorSpec) -> Delivered:
    """Read ``spec``'s canonical topics and dead-letter topic from the beginning."""
    topics = TopicNames(settings.topic_prefix)
    delivered = Delivered({entity: Counter() for entity in spec.entities})
    for entity in spec.entities:
        topic = topics.canonical(spec.name, entity)
        async for record in iter_to_end(bootstrap, settings, [topic]):
            key = record.key.decode()
            delivered.keys[entity][key] += 1
            version = h.as_dict(record.headers).get(h.SOURCE_VERSION, "")
            delivered.versions.setdefault((entity, key), set()).add(version)
    dead = topics.dead_letter(spec.name)
    delivered.dead_letters = [r async for r in iter_to_end(bootstrap, settings, [dead])]
    return delivered


@dataclass(frozen=True)
class Account:
    """The outcome of a successful accounting (for reports and further assertions)."""

    expected: int
    published: int
    duplicates: int
    malformed: int
    dead_letters: int


def assert_exact(truth: SourceTruth, delivered: Delivered) -> Account:
    """Assert that every record of ``truth`` was published or dead-lettered with a reason.

    Duplicates are allowed (at-least-once); a missing key, a key the source does not hold,
    a malformed record absent from the dead-letter topic, a dead letter without a reason
    or a good record dead-lettered are not.
    """
    name = truth.connector
    for entity, keys in truth.keys.items():
        published = set(delivered.keys[entity])
        missing = keys - published
        assert not missing, f"{name}.{entity}: {len(missing)} of {len(keys)} keys never published"
        stray = published - keys
        assert not stray, f"{name}.{entity}: {len(stray)} published keys the source lacks"
        for key in keys:
            expected = truth.versions[(entity, key)]
            assert expected in delivered.versions[(entity, key)], (
                f"{name}.{entity}: a key's current version {expected} was never published"
            )
    for letter in delivered.dead_letters:
        headers = h.as_dict(letter.headers)
        assert headers.get(h.ERROR), f"{name}: a dead letter has no reason ({h.ERROR})"
        assert headers.get(h.STAGE) in ("map", "validate"), f"{name}: bad {h.STAGE}"
        assert headers.get(h.SOURCE) == name
        assert letter.value, f"{name}: a dead letter lost its raw payload"
    lettered = {letter.value for letter in delivered.dead_letters}
    wanted = set(truth.malformed)
    absent = wanted - lettered
    assert not absent, (
        f"{name}: {len(absent)} of {len(wanted)} malformed records are not in the dead-letter topic"
    )
    good = lettered - wanted
    assert not good, f"{name}: {len(good)} dead letters are not malformed source records"
    return Account(
        expected=truth.published,
        published=delivered.records,
        duplicates=delivered.duplicates,
        malformed=len(truth.malformed),
        dead_letters=len(delivered.dead_letters),
    )
