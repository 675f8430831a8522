"""The audit log: hash chain, signed checkpoints, verification, who-accessed, the writer."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Awaitable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from hub.trust.audit import AccessEntry, AuditChain, canonical, checkpoint_input, entry_hash
from hub.trust.audit_log import AuditUnavailable, AuditWriter
from hub.trust.audit_verify import ChainVerifier, StoredEntry, verify, who_accessed
from hub.trust.keys import KeyStore, PublicKey, SigningKey, generate_key_pair

WRITER = "crosscheck@127.0.0.1:6066#000000000001"
PIN, OTHER = "074085123456", "074190222222"


@pytest.fixture(scope="module")
def key(keys_dir: Path) -> SigningKey:
    return KeyStore(keys_dir).signing_key("crosscheck")


@pytest.fixture(scope="module")
def trusted(keys_dir: Path) -> dict[str, PublicKey]:
    return KeyStore(keys_dir).trusted_keys()


def _access(n: int, subjects: tuple[str, ...] = (PIN,), status: str = "MATCH") -> AccessEntry:
    reads = [{"source": "population", "entity": "citizen", "fields": ["full_name", "sex"]}]
    return AccessEntry("officer-07", "CRIMINAL_RECORD_CERTIFICATE", f"CRC-{n}", status,
                       subjects, reads, "sha256:" + "ab" * 32)  # fmt: skip


def _chain(key: SigningKey, accesses: int = 7, every: int = 3, writer: str = WRITER) -> list[bytes]:
    """A closed chain: policy, ``accesses`` accesses, a checkpoint every ``every``."""
    chain = AuditChain(writer, key, every)
    out = chain.policy("crosscheck", "sha256:" + "ab" * 32, "1")
    for n in range(accesses):
        out += chain.access(_access(n))
    return out + chain.close()


def _stored(values: list[bytes], writer: str = WRITER, partition: int = 0) -> list[StoredEntry]:
    return [StoredEntry(partition, i, writer.encode(), v) for i, v in enumerate(values)]


def _reseal(entry: dict[str, Any]) -> bytes:
    entry["hash"] = entry_hash(entry)
    return canonical(entry)


def test_a_chain_verifies_with_its_checkpoints(key: SigningKey, trusted: dict[str, Any]) -> None:
    values = _chain(key)
    kinds = [json.loads(v)["kind"][0] for v in values]
    assert "".join(kinds) == "paacaaacaac"  # policy, accesses, checkpoints; the last closes
    result = verify(_stored(values), trusted)
    assert result.intact, result.breaks
    (chain,) = result.chains.values()
    assert (chain.entries, chain.accesses, chain.checkpoints) == (11, 7, 3)
    assert chain.closed and chain.sealed == 11
    assert chain.policy_hash == "sha256:" + "ab" * 32
    first = json.loads(values[0])
    assert (first["seq"], first["prev"]) == (0, "0" * 64)
    assert all(json.loads(b)["prev"] == json.loads(a)["hash"] for a, b in pairwise(values))


def test_an_access_entry_holds_no_personal_data_but_subject_identifiers(key: SigningKey) -> None:
    entry = json.loads(AuditChain(WRITER, key).access(_access(1, (OTHER, PIN, PIN)))[0])
    assert set(entry) == {"v", "kind", "writer", "seq", "at", "prev", "body", "hash"}
    assert set(entry["body"]) == {"officer", "procedure", "dossier_id", "status", "subjects",
                                  "reads", "policy"}  # fmt: skip
    assert entry["body"]["subjects"] == [PIN, OTHER]  # sorted, once each
    refusal = AccessEntry(None, None, "X-1", "REFUSED", field="officer").body()
    assert (refusal["subjects"], refusal["reads"], refusal["field"]) == ([], [], "officer")


@pytest.mark.parametrize("index", [1, 3, 10])  # an access, a checkpoint, the closing one
def test_flipping_any_byte_of_an_entry_breaks_that_link(
    key: SigningKey, trusted: dict[str, Any], index: int
) -> None:
    values = _chain(key)
    for position in range(len(values[index])):
        tampered = bytearray(values[index])
        tampered[position] ^= 0x01
        stored = _stored([*values[:index], bytes(tampered), *values[index + 1 :]])
        result = verify(stored, trusted)
        assert not result.intact, position
        assert result.breaks[0].offset == index, (position, result.breaks[0])


def test_a_deleted_entry_breaks_the_next_link(key: SigningKey, trusted: dict[str, Any]) -> None:
    values = _chain(key)
    stored = _stored(values)
    del stored[5]
    result = verify(stored, trusted)
    first = result.breaks[0]
    assert (first.offset, first.seq) == (6, 6)
    assert "sequence 6 where 5 was expected" in first.reason


def test_a_deleted_head_or_a_reordering_is_a_broken_link(
    key: SigningKey, trusted: dict[str, Any]
) -> None:
    values = _chain(key)
    headless = verify(_stored(values)[2:], trusted)
    assert headless.breaks[0].offset == 2 and "where 0 was expected" in headless.breaks[0].reason
    swapped = [*values[:4], values[5], values[4], *values[6:]]
    result = verify(_stored(swapped), trusted)
    assert (result.breaks[0].offset, result.breaks[0].seq) == (4, 5)


def test_a_truncated_tail_shows_as_an_open_chain_with_unsealed_entries(
    key: SigningKey, trusted: dict[str, Any]
) -> None:
    result = verify(_stored(_chain(key)[:10]), trusted)
    assert result.intact  # the documented limit: only the checkpoints bound a truncation
    (chain,) = result.chains.values()
    assert (chain.closed, chain.sealed, chain.to_json()["unsealed"]) == (False, 8, 2)


def test_rewriting_history_needs_the_key(key: SigningKey, trusted: dict[str, Any]) -> None:
    """An editor who recomputes every hash after the edit still breaks the checkpoint."""
    values = [json.loads(v) for v in _chain(key)]
    values[1]["body"]["subjects"] = [OTHER]
    for i, entry in enumerate(values):
        entry["prev"] = values[i - 1]["hash"] if i else "0" * 64
        entry["hash"] = entry_hash(entry)
    result = verify(_stored([canonical(e) for e in values]), trusted)
    assert (result.breaks[0].offset, result.breaks[0].reason) == (
        3,
        "checkpoint signature does not verify",
    )


def _forged_checkpoint(values: list[bytes], signer: SigningKey) -> list[bytes]:
    """The first checkpoint re-signed by ``signer`` (hashes recomputed downstream)."""
    entries = [json.loads(v) for v in values]
    checkpoint = entries[3]
    checkpoint["body"]["key_id"] = signer.key_id
    signature = signer.sign(checkpoint_input(checkpoint))
    checkpoint["body"]["signature"] = base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    for i in range(3, len(entries)):
        entries[i]["prev"] = entries[i - 1]["hash"]
        entries[i]["hash"] = entry_hash(entries[i])
    return [canonical(e) for e in entries]


def test_a_forged_or_foreign_checkpoint_signature_is_refused(
    key: SigningKey, trusted: dict[str, Any], keys_dir: Path, tmp_path: Path
) -> None:
    values = _chain(key)
    entry = json.loads(values[3])
    entry["body"]["signature"] = base64.urlsafe_b64encode(os.urandom(64)).decode().rstrip("=")
    forged = verify(_stored([*values[:3], _reseal(entry), *values[4:]]), trusted)
    assert forged.breaks[0].reason == "checkpoint signature does not verify"
    generate_key_pair("crosscheck", tmp_path)  # a crosscheck key nobody trusts
    stranger = KeyStore(tmp_path).signing_key("crosscheck")
    unknown = verify(_stored(_forged_checkpoint(values, stranger)), trusted)
    assert unknown.breaks[0].offset == 3 and "untrusted key" in unknown.breaks[0].reason
    population = KeyStore(keys_dir).signing_key("population")
    foreign = verify(_stored(_forged_checkpoint(values, population)), trusted)
    assert foreign.breaks[0].reason == "checkpoint signed by 'population', not 'crosscheck'"
    assert verify(_stored(values), {}).breaks[0].offset == 3  # no keys: nothing verifies


def test_a_record_keyed_by_another_writer_or_after_the_close_is_refused(
    key: SigningKey, trusted: dict[str, Any]
) -> None:
    values = _chain(key, accesses=2)
    stored = _stored(values)
    stored[2] = StoredEntry(0, 2, b"someone-else", stored[2].value)
    assert "key is not the entry's writer" in verify(stored, trusted).breaks[0].reason
    chain = AuditChain(WRITER, key)
    entries = chain.policy("crosscheck", "sha256:x", "1") + chain.close()
    chain.closed = False  # a writer that ignores its own close
    entries += chain.access(_access(9))
    late = verify(_stored(entries), trusted)
    assert late.breaks[0].reason == "entry after the chain's closing checkpoint"


def test_chains_of_several_writers_interleave(key: SigningKey, trusted: dict[str, Any]) -> None:
    other = "crosscheck@10.0.0.2:6066#000000000002"
    stored = _stored(_chain(key), WRITER, 0) + _stored(_chain(key, 4, 2, other), other, 1)
    result = verify(reversed(stored), trusted)  # order is restored by (partition, offset)
    assert result.intact and set(result.chains) == {WRITER, other}
    assert result.to_json()["first_break"] is None


def test_record_by_record_verification_agrees_with_the_whole_log(
    key: SigningKey, trusted: dict[str, Any]
) -> None:
    """Fed partition by partition, as ``iter_audit`` reads the topic."""
    other = "crosscheck@10.0.0.2:6066#000000000002"
    first, second = _stored(_chain(key), WRITER, 0), _stored(_chain(key, 4, 2, other), other, 1)
    swapped = [*first[:4], first[5], first[4], *first[6:]]
    swapped = [StoredEntry(0, i, r.key, r.value) for i, r in enumerate(swapped)]
    copied = [*second, StoredEntry(1, len(second), first[5].key, first[5].value)]
    for log in (first + second, swapped + second, first + copied):
        streamed = ChainVerifier(trusted)
        for record in sorted(log, key=lambda r: (r.partition, r.offset)):
            streamed.add(record)
        assert streamed.result().to_json() == verify(reversed(log), trusted).to_json()
    assert not verify(swapped + second, trusted).intact
    copy = verify(first + copied, trusted)
    assert [(b.partition, b.offset) for b in copy.breaks] == [(1, len(second))]


def test_garbage_records_are_broken_links_not_crashes(trusted: dict[str, Any]) -> None:
    bad = [b"", b"\xff\xfe", b"[1,2]", b'{"v":1}', json.dumps({
        "v": 1, "kind": "access", "writer": WRITER, "seq": 0, "at": "x", "prev": "0" * 64,
        "body": {"officer": "o", "procedure": "p", "dossier_id": "d", "status": "MATCH",
                 "subjects": PIN, "reads": []}, "hash": "h"}).encode(), None]  # fmt: skip
    result = verify([StoredEntry(0, i, b"k", v) for i, v in enumerate(bad)], trusted)
    assert [b.offset for b in result.breaks] == list(range(len(bad)))
    assert who_accessed([StoredEntry(0, 4, b"k", bad[4])], PIN[:6]) == []


def test_who_accessed_lists_every_access_naming_the_subject(key: SigningKey) -> None:
    chain = AuditChain(WRITER, key, 2)
    values = chain.policy("crosscheck", "sha256:x", "1")
    values += chain.access(_access(1, (PIN, OTHER)))
    values += chain.access(_access(2, (OTHER,), "MISMATCH"))
    values += chain.access(AccessEntry("officer-09", None, None, "REFUSED", field="procedure"))
    values += chain.access(_access(3, (PIN,), "REVIEW"))
    found = who_accessed(_stored(values), PIN)
    assert [(a["dossier_id"], a["status"]) for a in found] == [("CRC-1", "MATCH"),
                                                               ("CRC-3", "REVIEW")]  # fmt: skip
    assert found[0]["officer"] == "officer-07"
    assert found[0]["procedure"] == "CRIMINAL_RECORD_CERTIFICATE"
    assert found[0]["reads"][0] == {"source": "population", "entity": "citizen",
                                    "fields": ["full_name", "sex"]}  # fmt: skip
    assert who_accessed(_stored(values), "074000000000") == []


class _Sink:
    """An in-memory sink whose acks complete later, in order (like a producer)."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[bytes] = []
        self.fail = fail

    async def send(self, key: bytes, value: bytes) -> Awaitable[Any]:
        await asyncio.sleep(0)
        self.sent.append(value)
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.fail:
            ack.set_exception(ConnectionError("broker gone"))
        else:
            asyncio.get_running_loop().call_soon(ack.set_result, None)
        return ack


async def test_concurrent_appends_keep_the_chain_in_order(
    key: SigningKey, trusted: dict[str, Any]
) -> None:
    sink, kinds = _Sink(), []
    writer = AuditWriter(AuditChain(WRITER, key, 5), sink, kinds.append)
    await writer.activate("crosscheck", "sha256:x", "1")
    await asyncio.gather(*(writer.record(_access(n)) for n in range(40)))
    await writer.close()
    result = verify(_stored(sink.sent), trusted)
    assert result.intact and result.chains[WRITER].closed
    assert kinds.count("access") == 40 and kinds.count("checkpoint") == 9
    with pytest.raises(AuditUnavailable):
        await writer.record(_access(99))


async def test_a_failed_append_fails_closed(key: SigningKey) -> None:
    sink = _Sink(fail=True)
    writer = AuditWriter(AuditChain(WRITER, key), sink)
    with pytest.raises(AuditUnavailable, match="could not be written"):
        await writer.activate("crosscheck", "sha256:x", "1")
    sink.fail = False
    with pytest.raises(AuditUnavailable, match="closed or failed"):
        await writer.record(_access(1))
    assert len(sink.sent) == 1 and writer.failed
    await writer.close()  # nothing more is written
    assert len(sink.sent) == 1


async def test_a_quiet_chain_is_sealed_by_time(key: SigningKey, trusted: dict[str, Any]) -> None:
    sink, kinds = _Sink(), []
    writer = AuditWriter(AuditChain(WRITER, key, 100), sink, kinds.append)
    await writer.activate("crosscheck", "sha256:x", "1")
    for n in range(3):
        await writer.record(_access(n))
    open_tail = verify(_stored(sink.sent), trusted).chains[WRITER]
    assert open_tail.entries - open_tail.sealed == 4  # a truncation here would not show
    sealing = asyncio.ensure_future(writer.seal_periodically(0.01, asyncio.Event()))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if kinds.count("checkpoint"):
            break
    result = verify(_stored(sink.sent), trusted)
    assert result.intact and not result.chains[WRITER].closed
    assert result.chains[WRITER].entries == result.chains[WRITER].sealed == 5
    await asyncio.sleep(0.05)  # nothing new: no empty checkpoints
    assert kinds.count("checkpoint") == 1 and writer.chain.unsealed == 0
    await writer.record(_access(9))
    await writer.close()
    await asyncio.sleep(0.02)
    assert sealing.done(), "the sealing stops with the chain"
    final = verify(_stored(sink.sent), trusted)
    assert final.intact and final.chains[WRITER].closed


async def test_sealing_stops_at_once_when_told(key: SigningKey) -> None:
    writer = AuditWriter(AuditChain(WRITER, key, 100), _Sink())
    await writer.activate("crosscheck", "sha256:x", "1")
    stop = asyncio.Event()
    sealing = asyncio.ensure_future(writer.seal_periodically(30, stop))
    await asyncio.sleep(0)
    stop.set()
    await asyncio.wait_for(sealing, 1)  # at once, not after 30 s
    assert writer.chain.unsealed == 1 and not writer.failed
