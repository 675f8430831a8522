"""Record signatures: what they cover, and every way a record is refused.

Groups of several records, Merkle paths and the verifier's cache: ``test_batch_signing.py``.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.population.mapping import PopulationMapper
from connectors.population.mock import PopulationService
from hub.codec import SchemaStore
from hub.connect import headers as h
from hub.connect.contract import RecordMapper
from hub.connect.encoder import PageEncoder
from hub.connect.records import CanonicalRecord, NativeRecord
from hub.connect.registry import discover
from hub.connect.topics import TopicNames
from hub.province import Province, ProvinceConfig
from hub.trust.batch import BatchVerifier
from hub.trust.keys import KeyStore, generate_key_pair
from hub.trust.signing import MAX_BATCH, SIGNED_HEADERS, RecordSigner, RecordVerifier, Refusal

REPO = Path(__file__).resolve().parents[2]
Headers = list[tuple[str, bytes]]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    """A directory with one key pair for population and one for crosscheck."""
    directory = tmp_path_factory.mktemp("signing-keys")
    generate_key_pair("population", directory)
    generate_key_pair("crosscheck", directory)
    return KeyStore(directory, environ={})


@pytest.fixture(scope="module")
def verifier(keys: KeyStore) -> RecordVerifier:
    """A verifier trusting every public key of ``keys``."""
    return RecordVerifier(keys.trusted_keys())


def signed(
    signer: RecordSigner, key: bytes | None, value: bytes | None, source: bytes = b"population"
) -> Headers:
    """The headers of a record signed alone (a group of one), signature included."""
    headers = unsigned(source)
    signer.sign_batch([(key, value, headers)])
    return headers


def unsigned(source: bytes = b"population") -> Headers:
    """The headers of a record as a connector publishes it, before signing."""
    return [
        (h.MESSAGE_ID, os.urandom(16).hex().encode()),
        (h.SOURCE, source),
        (h.EXTRACTED_AT, b"2026-11-27T06:00:00.000+00:00"),
        (h.SCHEMA, b"5f0c6a2a1d9e4b7c"),
        (h.SOURCE_VERSION, b"17"),
        (h.SOURCE_UPDATED_AT, b"2026-11-01T00:00:00+00:00"),
        (h.CORRELATION_ID, b"c0ffee"),
    ]


def flip(data: bytes, at: int) -> bytes:
    """``data`` with the bits of byte ``at`` inverted."""
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def replaced(headers: Headers, name: str, value: bytes | None) -> Headers:
    """``headers`` with ``name`` set to ``value`` (None: removed)."""
    out = [(n, v) for n, v in headers if n != name]
    return out if value is None else [*out, (name, value)]


@pytest.fixture(scope="module")
def population_signer(keys: KeyStore) -> RecordSigner:
    """The population connector's signer."""
    return RecordSigner(keys.signing_key("population"))


KEY = b"074085983189"
VALUE = b"\xc3\x01" + bytes(range(8)) + os.urandom(120)


def test_a_signed_record_verifies(
    population_signer: RecordSigner, verifier: RecordVerifier
) -> None:
    headers = signed(population_signer, KEY, VALUE)
    assert verifier.check(KEY, VALUE, headers) is None
    assert dict(headers)[h.KEY_ID] == population_signer.key_id.encode()
    assert len(dict(headers)[h.SIGNATURE]) == 86  # 64 bytes, base64url without padding
    assert dict(headers)[h.SIGNATURE_PATH] == b""  # a group of one: the leaf is the root


def test_flipping_any_byte_of_the_value_is_detected(
    population_signer: RecordSigner, verifier: RecordVerifier
) -> None:
    headers = signed(population_signer, KEY, VALUE)
    for at in range(len(VALUE)):
        assert verifier.check(KEY, flip(VALUE, at), headers) is Refusal.BAD_SIGNATURE, at


def test_flipping_any_byte_of_the_key_is_detected(
    population_signer: RecordSigner, verifier: RecordVerifier
) -> None:
    headers = signed(population_signer, KEY, VALUE)
    for at in range(len(KEY)):
        assert verifier.check(flip(KEY, at), VALUE, headers) is Refusal.BAD_SIGNATURE, at
    assert verifier.check(None, VALUE, headers) is Refusal.BAD_SIGNATURE
    assert verifier.check(KEY + b"0", VALUE, headers) is Refusal.BAD_SIGNATURE


@pytest.mark.parametrize("name", [n for n in SIGNED_HEADERS if n != h.SOURCE])
def test_flipping_any_byte_of_a_signed_header_is_detected(
    name: str, population_signer: RecordSigner, verifier: RecordVerifier
) -> None:
    headers = signed(population_signer, KEY, VALUE)
    original = dict(headers)[name]
    for at in range(len(original)):
        tampered = replaced(headers, name, flip(original, at))
        assert verifier.check(KEY, VALUE, tampered) is Refusal.BAD_SIGNATURE, (name, at)
    assert verifier.check(KEY, VALUE, replaced(headers, name, None)) is Refusal.BAD_SIGNATURE


def test_a_changed_source_header_is_refused(
    population_signer: RecordSigner, verifier: RecordVerifier, keys: KeyStore
) -> None:
    headers = signed(population_signer, KEY, VALUE)
    for at in range(len(b"population")):  # names another principal than the key's
        tampered = replaced(headers, h.SOURCE, flip(b"population", at))
        assert verifier.check(KEY, VALUE, tampered) is Refusal.WRONG_SOURCE
    # even when the other principal is one the verifier knows
    crosscheck = replaced(headers, h.SOURCE, b"crosscheck")
    assert verifier.check(KEY, VALUE, crosscheck) is Refusal.WRONG_SOURCE


def test_flipping_a_byte_of_the_signature_or_key_id_is_detected(
    population_signer: RecordSigner, verifier: RecordVerifier
) -> None:
    headers = signed(population_signer, KEY, VALUE)
    signature = dict(headers)[h.SIGNATURE]
    raw = base64.urlsafe_b64decode(signature + b"==")
    for at in range(len(raw)):
        forged = base64.urlsafe_b64encode(flip(raw, at)).rstrip(b"=")
        tampered = replaced(headers, h.SIGNATURE, forged)
        assert verifier.check(KEY, VALUE, tampered) is Refusal.BAD_SIGNATURE, at
    for bad in (b"!!not base64!!", signature[:-4], signature + b"AAAA"):
        assert verifier.check(KEY, VALUE, replaced(headers, h.SIGNATURE, bad)) is (
            Refusal.BAD_SIGNATURE
        )
    key_id = dict(headers)[h.KEY_ID]
    tampered = replaced(headers, h.KEY_ID, flip(key_id, len(key_id) - 1))
    assert verifier.check(KEY, VALUE, tampered) is Refusal.UNKNOWN_KEY


def test_unsigned_headers_may_change(
    population_signer: RecordSigner, verifier: RecordVerifier
) -> None:
    """Topic-independent, and only the identifying headers are covered (documented)."""
    headers = signed(population_signer, KEY, VALUE)
    retimed = replaced(headers, h.EXTRACTED_AT, b"2030-01-01T00:00:00.000+00:00")
    assert verifier.check(KEY, VALUE, retimed) is None


@pytest.mark.parametrize(
    "missing", [(h.SIGNATURE,), (h.KEY_ID,), (h.SIGNATURE_PATH,), (h.SIGNATURE, h.KEY_ID)]
)
def test_a_record_without_its_signature_headers_is_refused(
    missing: Sequence[str], population_signer: RecordSigner, verifier: RecordVerifier
) -> None:
    headers = signed(population_signer, KEY, VALUE)
    for name in missing:
        headers = replaced(headers, name, None)
    assert verifier.check(KEY, VALUE, headers) is Refusal.MISSING_SIGNATURE
    assert verifier.check(KEY, VALUE, replaced(headers, h.SIGNATURE, b"")) is (
        Refusal.MISSING_SIGNATURE
    )


def test_an_unknown_key_is_refused(tmp_path: Path, verifier: RecordVerifier) -> None:
    generate_key_pair("population", tmp_path)  # a key the verifier was never given
    stranger = RecordSigner(KeyStore(tmp_path, environ={}).signing_key("population"))
    headers = signed(stranger, KEY, VALUE)
    assert verifier.check(KEY, VALUE, headers) is Refusal.UNKNOWN_KEY


def test_another_principals_key_is_refused(keys: KeyStore, verifier: RecordVerifier) -> None:
    crosscheck = RecordSigner(keys.signing_key("crosscheck"))
    headers = signed(crosscheck, KEY, VALUE, source=b"population")
    assert verifier.check(KEY, VALUE, headers) is Refusal.WRONG_SOURCE


def test_tombstones_are_signed_and_differ_from_empty_values(
    population_signer: RecordSigner, verifier: RecordVerifier
) -> None:
    headers = signed(population_signer, KEY, None)
    assert verifier.check(KEY, None, headers) is None
    assert verifier.check(KEY, b"", headers) is Refusal.BAD_SIGNATURE
    assert verifier.check(KEY, VALUE, headers) is Refusal.BAD_SIGNATURE
    version = replaced(headers, h.SOURCE_VERSION, b"18")  # a deletion replayed as newer
    assert verifier.check(KEY, None, version) is Refusal.BAD_SIGNATURE


def test_rotation_newest_key_signs_older_public_keys_still_verify(tmp_path: Path) -> None:
    first = generate_key_pair("population", tmp_path)
    os.utime(first.private_path, ns=(1_000_000_000, 1_000_000_000))  # clearly older
    store = KeyStore(tmp_path, environ={})
    old = RecordSigner(store.signing_key("population"))
    old_headers = signed(old, KEY, VALUE)
    second = generate_key_pair("population", tmp_path)
    new = RecordSigner(store.signing_key("population"))
    assert (old.key_id, new.key_id) == (first.key_id, second.key_id)
    new_headers = signed(new, KEY, VALUE)
    both = RecordVerifier(store.trusted_keys())
    assert both.check(KEY, VALUE, old_headers) is None
    assert both.check(KEY, VALUE, new_headers) is None
    assert store.principals() == {"population": sorted([first.key_id, second.key_id])}
    first.public_path.unlink()  # revoked
    revoked = RecordVerifier(store.trusted_keys())
    assert revoked.check(KEY, VALUE, old_headers) is Refusal.UNKNOWN_KEY
    assert revoked.check(KEY, VALUE, new_headers) is None


def _population_page(count: int) -> list[NativeRecord]:
    service = PopulationService(Province(ProvinceConfig(seed=5, citizens=count, malformed_rate=0)))
    people = service.population
    return [NativeRecord(service.render_citizen(people.person(i))) for i in range(count)]


class _DeletingMapper(RecordMapper):
    """Maps every native record to a deletion (a tombstone) of its ``pin``."""

    def map(self, stream: str, native: NativeRecord) -> list[CanonicalRecord]:
        return [CanonicalRecord("citizen", native.payload["pin"], None, "9", datetime.now(UTC))]


class _HeaderMapper(RecordMapper):
    """Deletions carrying extra headers, one of them reusing a signed header's name."""

    def map(self, stream: str, native: NativeRecord) -> list[CanonicalRecord]:
        extra = {"x-lineage": "batch 7", h.SOURCE_VERSION: "overridden"}
        when = datetime.now(UTC)
        return [CanonicalRecord("citizen", native.payload["pin"], None, "9", when, extra)]


def test_extra_headers_are_signed_as_a_verifier_reads_them(
    keys: KeyStore, verifier: RecordVerifier
) -> None:
    """A mapper's headers follow the hub's; the verifier reads the last of a name, so the
    signature covers that one."""
    signer = RecordSigner(keys.signing_key("population"))
    encoder = PageEncoder(discover()["population"], _HeaderMapper(),
                          SchemaStore(REPO / "schemas"), TopicNames("t."), signer)  # fmt: skip
    page = encoder.encode("citizens", [NativeRecord({"pin": "074085983189"})], None)
    (message,) = page.messages
    assert dict(message.headers)[h.SOURCE_VERSION] == b"overridden"
    assert verifier.check(message.key, None, message.headers) is None


def test_the_encoder_signs_every_record_tombstones_too(
    keys: KeyStore, verifier: RecordVerifier
) -> None:
    spec = discover()["population"]
    schemas = SchemaStore(REPO / "schemas")
    signer = RecordSigner(keys.signing_key("population"))
    encoder = PageEncoder(spec, PopulationMapper(), schemas, TopicNames("t."), signer)
    page = encoder.encode("citizens", _population_page(20), None)
    assert page.published == len(page.messages) == 20
    assert len({dict(m.headers)[h.SIGNATURE] for m in page.messages}) == 1  # one group
    for message in page.messages:
        assert message.value is not None
        assert verifier.check(message.key, message.value, message.headers) is None
        tampered = flip(message.value, len(message.value) // 2)
        assert verifier.check(message.key, tampered, message.headers) is Refusal.BAD_SIGNATURE
    deleting = PageEncoder(spec, _DeletingMapper(), schemas, TopicNames("t."), signer)
    gone = deleting.encode("citizens", [NativeRecord({"pin": "074085983189"})], None)
    (tombstone,) = gone.messages
    assert tombstone.value is None
    assert verifier.check(tombstone.key, None, tombstone.headers) is None


def test_the_encoders_leaves_are_those_a_verifier_computes_across_groups(
    keys: KeyStore, verifier: RecordVerifier
) -> None:
    """A page of several signature groups: each record's leaf, computed where the record
    is built, leads to its group's root; a dead letter in between shifts no group."""
    spec = discover()["population"]
    signer = RecordSigner(keys.signing_key("population"))
    encoder = PageEncoder(spec, PopulationMapper(), SchemaStore(REPO / "schemas"),
                          TopicNames("t."), signer)  # fmt: skip
    records = _population_page(150)
    records.insert(70, NativeRecord({"soDinhDanh": "not a pin"}))
    page = encoder.encode("citizens", records, None)
    signed = [m for m in page.messages if m.topic != "t.population.dlq"]
    assert page.published == len(signed) == 150 and page.rejected == 1
    signatures = [dict(m.headers)[h.SIGNATURE] for m in signed]
    assert [len(set(signatures[at : at + MAX_BATCH])) for at in range(0, 150, MAX_BATCH)] == [
        1,
        1,
        1,
    ]
    assert len(set(signatures)) == 3
    for message in signed:
        assert verifier.check(message.key, message.value, message.headers) is None


def test_the_batch_verifier_in_worker_processes_agrees_with_inline(
    population_signer: RecordSigner, keys: KeyStore
) -> None:
    items = []
    for n in range(60):
        key, value = f"{n:012d}".encode(), os.urandom(64)
        items.append((key, value, unsigned()))
    population_signer.sign_batch(items)  # one group: the workers verify its root once each
    items[7] = (items[7][0], flip(items[7][1], 3), items[7][2])  # one flipped byte
    items[41] = (items[41][0], items[41][1], replaced(items[41][2], h.SIGNATURE, None))
    expected: list[Refusal | None] = [None] * 60
    expected[7], expected[41] = Refusal.BAD_SIGNATURE, Refusal.MISSING_SIGNATURE
    pooled = BatchVerifier(keys.trusted_keys(), workers=1, chunk=16, inline_below=0)

    async def check() -> list[Refusal | None]:
        await pooled.ready()
        out: list[Refusal | None] = []
        chunks = pooled.check_chunks(items)
        assert [(start, size) for start, size, _ in chunks] == [(0, 16), (16, 16), (32, 16),
                                                                (48, 12)]  # fmt: skip
        for _, _, refusals in chunks:
            out += await refusals
        return out

    try:
        assert asyncio.run(check()) == expected
    finally:
        pooled.close()
    inline = BatchVerifier(keys.trusted_keys(), workers=0)
    assert inline.check(items) == expected
    inline.update({})  # trusts nothing now
    assert set(inline.check(items)) == {Refusal.UNKNOWN_KEY, Refusal.MISSING_SIGNATURE}
