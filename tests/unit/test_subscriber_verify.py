"""The example subscriber's own signature check (``examples/subscriber.py``, no ``hub``
import) refuses exactly what the hub's :class:`~hub.trust.signing.RecordVerifier` refuses,
for the same reason: missing signature headers, an unknown key, a key of another source,
and any byte of a record, its path or its signature changed. A refused record is counted
by reason and never reaches the subscriber's state.

The end-to-end test (``tests/integration/test_subscriber_example.py``) shows one flipped
byte refused and dead-lettered; this module covers the other reasons.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.connect import headers as h
from hub.trust.keys import KeyStore, PublicKey, generate_key_pair
from hub.trust.signing import RecordSigner, RecordVerifier
from tests.unit.test_batch_signing import FIELDS, Field, Item, group, replaced, tampered

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def subscriber() -> Iterator[ModuleType]:
    """``examples/subscriber.py`` loaded as a module."""
    spec = importlib.util.spec_from_file_location("subscriber", REPO / "examples/subscriber.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get("subscriber")
    sys.modules["subscriber"] = module  # its dataclasses need it
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        if previous is None:
            sys.modules.pop("subscriber", None)
        else:
            sys.modules["subscriber"] = previous


def _reasons(subscriber: ModuleType, keys_dir: Path, trusted: dict[str, PublicKey],
             item: Item) -> tuple[str | None, str | None]:  # fmt: skip
    """(the subscriber's reason, the hub's), each None when the record is authentic."""
    key, value, headers = item
    theirs = subscriber.TrustedKeys.load(keys_dir).check(key, value, dict(headers))
    ours = RecordVerifier(trusted).check(key, value, headers)
    return theirs, None if ours is None else ours.value


def test_the_subscriber_trusts_the_same_keys(subscriber: ModuleType, keys_dir: Path,
                                             trusted: dict[str, PublicKey]) -> None:  # fmt: skip
    loaded = subscriber.TrustedKeys.load(keys_dir)
    assert set(loaded.keys) == set(trusted)
    assert {k: p for k, (p, _) in loaded.keys.items()} == {k: v.principal
                                                           for k, v in trusted.items()}  # fmt: skip


def test_genuine_records_pass_and_each_refusal_has_the_hubs_reason(
    subscriber: ModuleType, keys_dir: Path, trusted: dict[str, PublicKey], signer: RecordSigner,
    keys: KeyStore, tmp_path: Path,
) -> None:  # fmt: skip
    items = group(signer, 7, tombstone_every=3)
    for item in items:
        assert _reasons(subscriber, keys_dir, trusted, item) == (None, None)
    key, value, headers = items[1]
    assert items[1][1] is not None  # a record, not a tombstone
    cases: dict[str, list[Item]] = {
        "missing_signature": [
            (key, value, [(n, v) for n, v in headers if n != name])
            for name in (h.SIGNATURE, h.KEY_ID, h.SIGNATURE_PATH)
        ]
        + [(key, value, replaced(headers, h.SIGNATURE, b""))],
        "wrong_source": [(key, value, replaced(headers, h.SOURCE, b"tax"))],
        "bad_signature": [
            (key, (value or b"") + b"\x00", headers),
            ((key or b"") + b"0", value, headers),
            (key, value, replaced(headers, h.SOURCE_VERSION, b"999")),
            (key, value, replaced(headers, h.SIGNATURE_PATH, b"!!")),
            (key, value, replaced(headers, h.SIGNATURE, b"AAAA")),
        ],
    }
    crosscheck = RecordSigner(keys.signing_key("crosscheck"))  # a trusted key of another principal
    cases["wrong_source"] += group(crosscheck, 1)
    generate_key_pair("population", tmp_path)  # a key neither verifier was given
    stranger = RecordSigner(KeyStore(tmp_path, environ={}).signing_key("population"))
    cases["unknown_key"] = group(stranger, 2)
    tombstone = items[2]
    assert tombstone[1] is None
    cases["bad_signature"].append((tombstone[0], b"", tombstone[2]))
    for reason, forged in cases.items():
        for n, item in enumerate(forged):
            assert _reasons(subscriber, keys_dir, trusted, item) == (reason, reason), (reason, n)


def test_a_warm_cache_of_verified_groups_lets_no_forgery_through(
    subscriber: ModuleType, keys_dir: Path, signer: RecordSigner
) -> None:
    """Once a group's root verified, its other records skip the Ed25519 check, never their
    own path to the root: a changed byte still gives another root, and is refused."""
    warm = subscriber.TrustedKeys.load(keys_dir)
    items = group(signer, 64, tombstone_every=9)
    assert all(warm.check(k, v, dict(hs)) is None for k, v, hs in items)
    assert len(warm.verified) == 1  # one signature for the whole group
    for index, item in enumerate(items):
        for field_name in FIELDS:
            forged = tampered(item, field_name, index * 7, 1 + index % 255)
            if forged is not None:
                key, value, headers = forged
                assert warm.check(key, value, dict(headers)) is not None, (index, field_name)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    count=st.sampled_from([1, 2, 5, 64, 65]),
    index=st.integers(0, 10_000),
    field=st.sampled_from(FIELDS),
    at=st.integers(0, 10_000),
    mask=st.integers(1, 255),
)  # fmt: skip
def test_any_changed_byte_is_refused_by_the_subscriber_as_by_the_hub(
    subscriber: ModuleType, keys_dir: Path, trusted: dict[str, PublicKey], signer: RecordSigner,
    count: int, index: int, field: Field, at: int, mask: int,
) -> None:  # fmt: skip
    item = group(signer, count, tombstone_every=5)[index % count]
    forged = tampered(item, field, at, mask)
    if forged is None:
        return
    theirs, ours = _reasons(subscriber, keys_dir, trusted, forged)
    assert ours in ("bad_signature", "wrong_source")
    assert theirs == ours


def test_a_refused_record_is_counted_and_never_applied(
    subscriber: ModuleType, keys_dir: Path, signer: RecordSigner
) -> None:
    keys = subscriber.TrustedKeys.load(keys_dir)
    state = subscriber.LatestByKey()
    schemas = subscriber.Schemas()
    key, value, headers = group(signer, 1)[0]
    assert value is not None

    def message(headers: list[tuple[str, bytes]], value: Any = value) -> SimpleNamespace:
        return SimpleNamespace(topic="population.citizen", partition=0, offset=7, key=key,
                               value=value, headers=headers)  # fmt: skip

    unsigned = [(n, v) for n, v in headers if n != h.SIGNATURE]
    assert subscriber.handle(state, schemas, message(unsigned), keys) == "missing_signature"
    flipped = bytes([value[0] ^ 1]) + value[1:]
    assert subscriber.handle(state, schemas, message(headers, flipped), keys) == "bad_signature"
    assert state.refused == {"missing_signature": 1, "bad_signature": 1}
    assert state.received == state.applied == 0 and state.records == {}
