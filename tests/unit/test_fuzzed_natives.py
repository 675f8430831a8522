"""Fuzzed native records through every connector's mapper *and* page encoder.

The mapping tests (``tests/unit/test_*_mapping.py``, strategies in ``mutations.py``) fuzz
each mapper on its own: a mutated native record maps to records that encode, or raises a
RecordError. This module closes the loop through :class:`~hub.connect.encoder.PageEncoder`,
which is what the runtime runs: for every connector, a real native record from its mock
source, damaged at any depth or replaced by any JSON value, becomes either signed canonical
messages or exactly one dead letter that carries the raw payload, the stage and a reason.
The encoder never raises, and a dead letter's error is always a RecordError (a reason an
operator can read, not a mapper bug caught as a last resort).
"""

from __future__ import annotations

import asyncio
import itertools
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.codec import SchemaStore
from hub.connect import headers as h
from hub.connect.contract import ConnectorSpec
from hub.connect.encoder import PageEncoder
from hub.connect.records import NativeRecord
from hub.connect.registry import discover
from hub.connect.topics import TopicNames
from hub.errors import RecordError
from hub.trust.keys import KeyStore
from hub.trust.signing import RecordSigner
from tests.sources import native_records
from tests.unit.mutations import JSON_VALUES, mutated_tree

CONNECTORS = list(discover().values())
TOPICS = TopicNames("fuzz.")


def _record_errors(kind: type[BaseException] = RecordError) -> set[str]:
    """The names of RecordError and of every subclass of it."""
    return {kind.__name__}.union(*(_record_errors(sub) for sub in kind.__subclasses__()))


@cache
def _samples(name: str) -> dict[str, list[dict[str, Any]]]:
    """Up to 40 native payloads per stream of ``name``'s mock source."""

    async def read() -> dict[str, list[dict[str, Any]]]:
        options = {"province": {"seed": 17, "citizens": 400, "malformed_rate": 0.0}}
        found: dict[str, list[dict[str, Any]]] = {}
        async for stream, native in native_records(discover()[name], options, page_size=100):
            found.setdefault(stream, []).append(native.payload)
        return {stream: payloads[:40] for stream, payloads in found.items()}

    return asyncio.run(read())


@pytest.mark.parametrize("spec", CONNECTORS, ids=[c.name for c in CONNECTORS])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_fuzzed_native_record_is_published_or_dead_lettered_with_a_reason(
    spec: ConnectorSpec, data: st.DataObject, keys_dir: Path, schemas: SchemaStore
) -> None:
    samples = _samples(spec.name)
    stream = data.draw(st.sampled_from(sorted(samples)))
    damaged = mutated_tree(lambda: samples[stream], JSON_VALUES)
    payload = data.draw(
        st.one_of(damaged, damaged, st.sampled_from(samples[stream]), JSON_VALUES),
        label="payload",
    )
    signer = RecordSigner(KeyStore(keys_dir).signing_key(spec.name))
    encoder = PageEncoder(spec, spec.make_mapper(), schemas, TOPICS, signer)
    native = NativeRecord(payload, position="fuzz#0")
    page = encoder.encode(stream, [native], {"page": 1})  # never raises

    dead_letter_topic = TOPICS.dead_letter(spec.name)
    letters = [m for m in page.messages if m.topic == dead_letter_topic]
    published = [m for m in page.messages if m.topic != dead_letter_topic]
    if page.rejections:
        (rejection,) = page.rejections
        (letter,) = letters
        assert not published and page.published == 0
        assert rejection.error_class in _record_errors(), f"a {rejection.error_class} escaped"
        headers = h.as_dict(letter.headers)
        assert headers[h.ERROR], "a dead letter without a reason"
        assert headers[h.STAGE] in ("map", "validate")
        assert headers[h.SOURCE] == spec.name and headers[h.STREAM] == stream
        assert letter.value == native.raw_bytes(), "the raw payload was not kept"
    else:
        assert not letters
        canonical = {TOPICS.canonical(spec.name, e) for e in spec.entities}
        for message in published:
            assert message.topic in canonical and message.key
            headers = h.as_dict(message.headers)
            assert headers[h.SIGNATURE] and headers[h.KEY_ID], "an unsigned record"
            assert headers[h.SOURCE_VERSION]


def test_the_samples_cover_every_stream_of_every_connector() -> None:
    missing = [
        f"{spec.name}/{stream.name}"
        for spec, stream in itertools.chain.from_iterable(
            ((s, t) for t in s.streams) for s in CONNECTORS
        )
        if not _samples(spec.name).get(stream.name)
    ]
    assert not missing, f"no native sample for {missing}"


@pytest.mark.parametrize("text", ["\ud800", "Nguy\udce9n"], ids=["lone surrogate", "smuggled byte"])
def test_text_that_is_not_unicode_is_dead_lettered(
    text: str, keys_dir: Path, schemas: SchemaStore
) -> None:
    """JSON can carry an unpaired surrogate escape, which no UTF-8 encoder writes: the
    record is dead-lettered, its raw payload with the surrogate escaped."""
    spec = discover()["population"]
    payload = {**_samples("population")["citizens"][0], "hoVaTen": text}
    signer = RecordSigner(KeyStore(keys_dir).signing_key(spec.name))
    encoder = PageEncoder(spec, spec.make_mapper(), schemas, TOPICS, signer)
    page = encoder.encode("citizens", [NativeRecord(payload, position="p#0")], None)
    [letter] = page.messages
    assert letter.topic == TOPICS.dead_letter(spec.name) and page.rejections
    assert letter.value is not None and b"\\ud" in letter.value.lower()
