"""Batch signatures: one Ed25519 signature per group, a Merkle path per record.

Every record verifies alone; no byte of a record, its path or its signature can change
without a refusal; paths and signatures cannot be moved between records or groups; the
verifier's cache of verified roots never lets a bad path through.
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.connect import headers as h
from hub.trust import merkle
from hub.trust.keys import KeyStore, PublicKey, generate_key_pair
from hub.trust.signing import (
    BATCH_DOMAIN,
    MAX_BATCH,
    SIGNED_HEADERS,
    RecordSigner,
    RecordVerifier,
    Refusal,
    leaf_of,
)

Headers = list[tuple[str, bytes]]
Item = tuple[bytes | None, bytes | None, Headers]


def group(signer: RecordSigner, count: int, *, tombstone_every: int = 0) -> list[Item]:
    """``count`` distinct records as an encoder makes them, signed with one call."""
    items: list[Item] = []
    for n in range(count):
        key = f"{n:012d}".encode()
        tombstone = tombstone_every and n % tombstone_every == tombstone_every - 1
        value = None if tombstone else b"\xc3\x01" + os.urandom(8 + n % 50)
        headers: Headers = [
            (h.MESSAGE_ID, os.urandom(16).hex().encode()),
            (h.SOURCE, b"population"),
            (h.SCHEMA, b"5f0c6a2a1d9e4b7c"),
            (h.SOURCE_VERSION, str(n).encode()),
            (h.CORRELATION_ID, b"c0ffee"),
        ]
        items.append((key, value, headers))
    signer.sign_batch(items)
    return items


def header(headers: Headers, name: str) -> bytes:
    """The value of header ``name``."""
    return dict(headers)[name]


def replaced(headers: Headers, name: str, value: bytes) -> Headers:
    """``headers`` with ``name`` set to ``value``."""
    return [*((n, v) for n, v in headers if n != name), (name, value)]


def b64(data: bytes) -> bytes:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def unb64(text: bytes) -> bytes:
    """The bytes of base64url without padding."""
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def flip(data: bytes, at: int, mask: int = 0xFF) -> bytes:
    """``data`` with byte ``at`` XORed with ``mask``."""
    return data[:at] + bytes([data[at] ^ mask]) + data[at + 1 :]


@pytest.fixture
def ed25519_count(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the Ed25519 verifications made (one element: the count)."""
    count = [0]
    genuine = PublicKey.verifies

    def counting(self: PublicKey, signature: bytes, data: bytes) -> bool:
        count[0] += 1
        return genuine(self, signature, data)

    monkeypatch.setattr(PublicKey, "verifies", counting)
    return count


# -- the tree


def rfc6962_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962's Merkle Tree Hash over leaf hashes (split at the largest power of 2)."""
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << (len(leaves) - 1).bit_length() - 1
    return merkle.node_hash(rfc6962_root(leaves[:split]), rfc6962_root(leaves[split:]))


@pytest.mark.parametrize("count", [*range(1, 70), 127, 128, 129, 200])
def test_the_tree_is_rfc6962s_and_every_path_leads_to_its_root(count: int) -> None:
    leaves = [hashlib.sha256(b"%d" % n).digest() for n in range(count)]
    root, paths = merkle.tree(leaves)
    assert root == rfc6962_root(leaves)
    assert len(paths) == count
    for leaf, path in zip(leaves, paths, strict=True):
        assert len(path) % merkle.ENTRY_SIZE == 0
        assert len(path) // merkle.ENTRY_SIZE <= math.ceil(math.log2(count))
        assert merkle.root_of_path(leaf, path) == root
    assert len(set(paths)) == count


def test_a_tree_needs_a_leaf() -> None:
    with pytest.raises(ValueError, match="at least one leaf"):
        merkle.tree([])


def test_a_path_is_side_and_sibling_from_the_leaf_up() -> None:
    a, b, c = (hashlib.sha256(x).digest() for x in (b"a", b"b", b"c"))
    root, (pa, pb, pc) = merkle.tree([a, b, c])
    ab = merkle.node_hash(a, b)
    assert root == merkle.node_hash(ab, c)  # c was carried up unchanged
    assert pa == b"\x01" + b + b"\x01" + c
    assert pb == b"\x00" + a + b"\x01" + c
    assert pc == b"\x00" + ab


def test_a_leaf_cannot_pass_for_an_interior_node() -> None:
    """Domain separation: a record whose data were two child hashes gets a leaf that is
    not their parent, so it cannot take the parent's place with the rest of its path."""
    leaves = [hashlib.sha256(b"%d" % n).digest() for n in range(4)]
    root, paths = merkle.tree(leaves)
    parent, rest = merkle.node_hash(leaves[0], leaves[1]), paths[0][merkle.ENTRY_SIZE :]
    assert merkle.root_of_path(parent, rest) == root  # the parent is committed to...
    forged = merkle.leaf_hash(leaves[0] + leaves[1])  # ...but no leaf can be it
    assert forged != parent
    assert merkle.root_of_path(forged, rest) != root


def test_a_verifier_refuses_a_record_checked_against_an_inner_node(
    signer: RecordSigner, trusted: dict[str, PublicKey]
) -> None:
    """A path cut short (the record presented as an inner node) never reaches the root."""
    items = group(signer, 8)
    verifier = RecordVerifier(trusted)
    key, value, headers = items[0]
    assert verifier.check(key, value, headers) is None
    path = unb64(header(headers, h.SIGNATURE_PATH))
    for cut in range(merkle.ENTRY_SIZE, len(path) + 1, merkle.ENTRY_SIZE):
        shorter = replaced(headers, h.SIGNATURE_PATH, b64(path[cut:]))
        assert verifier.check(key, value, shorter) is Refusal.BAD_SIGNATURE, cut


@pytest.mark.parametrize(
    "path",
    [
        b"\x00" * 32,  # not a whole entry
        b"\x02" + b"\x00" * 32,  # a side that is neither left nor right
        (b"\x01" + b"\x00" * 32) * (merkle.MAX_PATH_ENTRIES + 1),  # too long
    ],
)
def test_a_malformed_path_leads_nowhere(path: bytes) -> None:
    assert merkle.root_of_path(b"\x00" * 32, path) is None


# -- signing groups


@pytest.mark.parametrize("count", [1, 2, 3, 63, 64, 65, 200])
def test_every_record_of_a_group_verifies_alone(
    count: int, signer: RecordSigner, trusted: dict[str, PublicKey]
) -> None:
    items = group(signer, count, tombstone_every=7)
    signatures = [header(headers, h.SIGNATURE) for _, _, headers in items]
    assert len(set(signatures)) == math.ceil(count / MAX_BATCH)
    for start in range(0, count, MAX_BATCH):  # consecutive groups of at most MAX_BATCH
        members = items[start : start + MAX_BATCH]
        assert len({header(headers, h.SIGNATURE) for _, _, headers in members}) == 1
        for _, _, headers in members:  # only a group of one has an empty path
            assert (header(headers, h.SIGNATURE_PATH) == b"") == (len(members) == 1)
    for key, value, headers in random.Random(count).sample(items, count):
        assert [n for n, _ in headers][-3:] == [h.SIGNATURE, h.KEY_ID, h.SIGNATURE_PATH]
        assert RecordVerifier(trusted).check(key, value, headers) is None


def test_a_group_costs_one_ed25519_verification(
    signer: RecordSigner, trusted: dict[str, PublicKey], ed25519_count: list[int]
) -> None:
    items = group(signer, 200)
    verifier = RecordVerifier(trusted)
    for key, value, headers in random.Random(1).sample(items, len(items)):
        assert verifier.check(key, value, headers) is None
    assert ed25519_count[0] == 4  # 64 + 64 + 64 + 8


def test_the_cache_is_bounded_and_forgets_the_least_recently_used(
    signer: RecordSigner, trusted: dict[str, PublicKey], ed25519_count: list[int]
) -> None:
    first, second, third = (group(signer, 3) for _ in range(3))
    verifier = RecordVerifier(trusted, cache=2)
    for items in (first, second, first, third):  # first used again: second is forgotten
        key, value, headers = items[0]
        assert verifier.check(key, value, headers) is None
    assert ed25519_count[0] == 3
    for items in (first, third):
        key, value, headers = items[1]
        assert verifier.check(key, value, headers) is None
    assert ed25519_count[0] == 3
    key, value, headers = second[1]
    assert verifier.check(key, value, headers) is None
    assert ed25519_count[0] == 4


def test_signing_nothing_does_nothing(signer: RecordSigner) -> None:
    signer.sign_batch([])


# -- tampering


Field = str
FIELDS: list[Field] = ["key", "value", *SIGNED_HEADERS, "path", "signature", "path text",
                       "signature text"]  # fmt: skip


def tampered(item: Item, field: Field, at: int, mask: int) -> Item | None:
    """``item`` with one byte of ``field`` changed; None if the field has no such byte."""
    key, value, headers = item
    if field in ("key", "value"):
        target = key if field == "key" else value
        if target is None or not target:
            return None
        changed = flip(target, at % len(target), mask)
        return (changed, value, headers) if field == "key" else (key, changed, headers)
    name = {"path": h.SIGNATURE_PATH, "path text": h.SIGNATURE_PATH,
            "signature": h.SIGNATURE, "signature text": h.SIGNATURE}.get(field, field)  # fmt: skip
    text = header(headers, name)
    if field in ("path", "signature"):  # a byte of what the header encodes
        raw = unb64(text)
        if not raw:
            return None
        return key, value, replaced(headers, name, b64(flip(raw, at % len(raw), mask)))
    if not text:
        return None
    return key, value, replaced(headers, name, flip(text, at % len(text), mask))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    count=st.sampled_from([1, 2, 3, 5, 8, 63, 64, 65, 130]),
    index=st.integers(0, 10_000),
    field=st.sampled_from(FIELDS),
    at=st.integers(0, 10_000),
    mask=st.integers(1, 255),
    warm=st.booleans(),
)
def test_changing_any_byte_of_any_record_is_refused(
    signer: RecordSigner,
    trusted: dict[str, PublicKey],
    count: int,
    index: int,
    field: Field,
    at: int,
    mask: int,
    warm: bool,
) -> None:
    items = group(signer, count, tombstone_every=5)
    item = items[index % count]
    forged = tampered(item, field, at, mask)
    if forged is None:
        return
    verifier = RecordVerifier(trusted)
    if warm:  # every root of the batch verified and cached already
        assert all(verifier.check(*other) is None for other in items)
    refusal = verifier.check(*forged)
    if field == h.SOURCE:
        assert refusal is Refusal.WRONG_SOURCE
    else:
        assert refusal is Refusal.BAD_SIGNATURE
    assert verifier.check(*item) is None  # the genuine record still passes


def test_a_tombstone_is_not_an_empty_value(
    signer: RecordSigner, trusted: dict[str, PublicKey]
) -> None:
    items = group(signer, 5, tombstone_every=5)
    key, value, headers = items[4]
    assert value is None
    verifier = RecordVerifier(trusted)
    assert verifier.check(key, None, headers) is None
    assert verifier.check(key, b"", headers) is Refusal.BAD_SIGNATURE


def test_swapped_paths_within_a_group_are_refused(
    signer: RecordSigner, trusted: dict[str, PublicKey]
) -> None:
    items = group(signer, 13)
    verifier = RecordVerifier(trusted)
    assert all(verifier.check(*item) is None for item in items)  # roots cached
    for i, (key, value, headers) in enumerate(items):
        for j, (_, _, other) in enumerate(items):
            if i != j:
                moved = replaced(headers, h.SIGNATURE_PATH, header(other, h.SIGNATURE_PATH))
                assert verifier.check(key, value, moved) is Refusal.BAD_SIGNATURE, (i, j)


def test_a_record_moved_to_another_groups_signature_is_refused(
    signer: RecordSigner, trusted: dict[str, PublicKey]
) -> None:
    first, second = group(signer, 9), group(signer, 9)
    verifier = RecordVerifier(trusted)
    assert all(verifier.check(*item) is None for item in first + second)  # roots cached
    for (key, value, headers), (_, _, other) in zip(first, second, strict=True):
        signature = header(other, h.SIGNATURE)
        assert verifier.check(key, value, replaced(headers, h.SIGNATURE, signature)) is (
            Refusal.BAD_SIGNATURE
        )
        both = replaced(replaced(headers, h.SIGNATURE, signature), h.SIGNATURE_PATH,
                        header(other, h.SIGNATURE_PATH))  # fmt: skip
        assert verifier.check(key, value, both) is Refusal.BAD_SIGNATURE


def test_a_cached_root_never_lets_a_bad_path_through(
    signer: RecordSigner, trusted: dict[str, PublicKey]
) -> None:
    items = group(signer, 64)
    verifier = RecordVerifier(trusted)
    assert verifier.check(*items[0]) is None  # the group's root is now cached
    key, value, headers = items[1]
    path = unb64(header(headers, h.SIGNATURE_PATH))
    entry = merkle.ENTRY_SIZE
    bad_paths = [
        *(flip(path, at) for at in range(len(path))),
        path[:-entry],  # an entry short
        path + path[-entry:],  # an entry more
        path[entry:],  # the first entry left out
        path[:entry] * 6,  # entries repeated
        b"",  # as if alone
        unb64(header(items[0][2], h.SIGNATURE_PATH)),  # the cached record's own path
    ]
    for bad in bad_paths:
        forged = replaced(headers, h.SIGNATURE_PATH, b64(bad))
        assert verifier.check(key, value, forged) is Refusal.BAD_SIGNATURE, bad.hex()
    for text in (b"!!", b"A", header(headers, h.SIGNATURE_PATH) + b"="):  # not base64url
        forged = replaced(headers, h.SIGNATURE_PATH, text)
        assert verifier.check(key, value, forged) is Refusal.BAD_SIGNATURE, text
    assert verifier.check(key, value, headers) is None


def test_a_failed_verification_is_never_cached(
    signer: RecordSigner, trusted: dict[str, PublicKey], ed25519_count: list[int]
) -> None:
    items = group(signer, 4)
    key, value, headers = items[0]
    raw = unb64(header(headers, h.SIGNATURE))
    forged = replaced(headers, h.SIGNATURE, b64(flip(raw, 10)))
    verifier = RecordVerifier(trusted)
    for attempt in range(1, 4):
        assert verifier.check(key, value, forged) is Refusal.BAD_SIGNATURE
        assert ed25519_count[0] == attempt  # checked again each time
    assert verifier.check(key, value, headers) is None


def test_a_cached_signature_does_not_outlive_its_key(
    signer: RecordSigner, trusted: dict[str, PublicKey]
) -> None:
    """Trust is looked up before the cache: a verifier without the key refuses."""
    items = group(signer, 3)
    assert RecordVerifier(trusted).check(*items[0]) is None
    assert RecordVerifier({}).check(*items[1]) is Refusal.UNKNOWN_KEY


def test_the_signature_covers_the_domain_and_the_root(
    signer: RecordSigner, trusted: dict[str, PublicKey]
) -> None:
    """What docs/subscribers.md says, recomputed from the record alone."""
    items = group(signer, 6)
    key, value, headers = items[2]
    found = dict(headers)
    root = merkle.root_of_path(leaf_of(key, value, found), unb64(found[h.SIGNATURE_PATH]))
    assert root is not None
    public = trusted[found[h.KEY_ID].decode()]
    assert public.verifies(unb64(found[h.SIGNATURE]), BATCH_DOMAIN + root)
    assert len(BATCH_DOMAIN + root) == 48


def test_a_foreign_key_signs_nothing_here(tmp_path: Path, trusted: dict[str, PublicKey]) -> None:
    generate_key_pair("population", tmp_path)
    stranger = RecordSigner(KeyStore(tmp_path, environ={}).signing_key("population"))
    verifier = RecordVerifier(trusted)
    assert [verifier.check(*item) for item in group(stranger, 3)] == [Refusal.UNKNOWN_KEY] * 3
