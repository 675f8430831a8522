"""The cross-check service's gate: purpose-bound access and the audit log, per dossier.

A worker builds one :class:`AccessGate` at start. It fails fast: an invalid policy file
(:class:`~hub.trust.policy.PolicyError` naming the place) or no ``crosscheck`` signing
key stops the worker before it joins the group. Then, per dossier:

1. :meth:`admit`: the dossier was valid (procedure, dossier id and officer are required
   by :func:`~hub.crosscheck.dossier.parse_dossier`); a procedure the policy grants this
   consumer nothing for is refused too (``field`` = ``procedure``).
2. :meth:`check`: the rules run on the evidence seen through the procedure's grants
   (:func:`~hub.trust.access.check_with_policy`).
3. :meth:`record` (or :meth:`record_refusal`): the access entry is appended to the audit
   log and acknowledged by the broker *before* the caller publishes or returns the
   verdict. If the log cannot be written, :class:`~hub.trust.audit_log.AuditUnavailable`
   propagates and no verdict leaves the worker.

:meth:`start` writes the "policy activated" entry (consumer, policy hash and version)
that opens the worker's chain and logs the policy hash; :meth:`stop` writes the closing
checkpoint. A refusal records what the request declared for dossier id, officer and
procedure (clipped, procedure only when known) and the refused field; no subjects.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.codec import SchemaStore
from hub.config import HubSettings
from hub.connect.topics import TopicNames
from hub.crosscheck.dossier import Dossier, DossierError, Procedure
from hub.crosscheck.evidence import Evidence
from hub.crosscheck.verdicts import Verdict
from hub.trust.access import AccessLog, check_with_policy
from hub.trust.audit import AUDIT_PRINCIPAL, AccessEntry, AuditChain
from hub.trust.audit_log import (
    AuditUnavailable,
    AuditWriter,
    KafkaAuditSink,
    audit_topic,
)
from hub.trust.keys import KeyStore
from hub.trust.policy import load_policy, policy_hash

__all__ = ["AccessGate"]

log = logging.getLogger(__name__)

#: How long a dossier waits for the audit log to open at start before it is refused.
START_TIMEOUT_S = 60.0


def _declared(payload: bytes | str | dict[str, Any], name: str, limit: int) -> str | None:
    """What a refused request declared for ``name``, if a short string."""
    try:
        data = payload if isinstance(payload, dict) else json.loads(payload)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to parse
        return None
    found = data.get(name) if isinstance(data, dict) else None
    return found[:limit] if isinstance(found, str) and found.strip() else None


class AccessGate:
    """Policy and audit log of one cross-check worker (see the module docstring).

    Args:
        settings: hub settings (topic prefix, schemas, keys directory).
        bootstrap: the cluster.
        policy_file: the access policy.
        consumer: this service's consumer name in the policy.
        writer: the audit writer id (:func:`hub.trust.audit_log.writer_id`).
        checkpoint_every: a signed checkpoint after this many entries.
        seal_after_s: a signed checkpoint at most this long after an unsealed entry.
        on_entry: called with each audit entry's kind once acknowledged (metrics).

    Raises:
        PolicyError: the policy file is invalid (the message names the place).
        ConfigurationError: no signing key of the ``crosscheck`` principal.
    """

    def __init__(
        self,
        settings: HubSettings,
        bootstrap: str,
        *,
        policy_file: Path,
        consumer: str,
        writer: str,
        checkpoint_every: int = 100,
        seal_after_s: float = 60.0,
        on_entry: Callable[[str], None] | None = None,
    ) -> None:
        self.policy = load_policy(policy_file, SchemaStore(settings.schemas_dir))
        self.policy_hash = policy_hash(self.policy)
        self.consumer = consumer
        if consumer not in self.policy.consumers:
            log.warning("the access policy has no consumer %r: every dossier is refused", consumer)
        key = KeyStore(settings.trust().keys_dir).signing_key(AUDIT_PRINCIPAL)
        self.topic = audit_topic(TopicNames(settings.topic_prefix))
        self._sink = KafkaAuditSink(bootstrap, settings, self.topic)
        self.writer = AuditWriter(AuditChain(writer, key, checkpoint_every), self._sink, on_entry)
        self._seal_after_s = seal_after_s
        self._sealing: asyncio.Task[None] | None = None
        self._stop_sealing = asyncio.Event()
        self._started = asyncio.Event()

    @property
    def ready(self) -> bool:
        """Whether accesses can be recorded now."""
        return self._started.is_set() and not self.writer.failed and not self.writer.chain.closed

    async def start(self) -> None:
        """Open the audit log and record the active policy (the chain's first entry)."""
        await self._sink.start()
        await self.writer.activate(self.consumer, self.policy_hash, self.policy.version)
        self._sealing = asyncio.ensure_future(
            self.writer.seal_periodically(self._seal_after_s, self._stop_sealing)
        )
        self._started.set()
        policy, writer = self.policy, self.writer.writer
        log.info("access policy %s (version %s) active for consumer %s; audit writer %s",
                 self.policy_hash, policy.version, self.consumer, writer)  # fmt: skip

    async def stop(self) -> None:
        """Seal the chain with its closing checkpoint and stop the producer."""
        self._stop_sealing.set()
        if self._sealing is not None:
            await self._sealing  # a seal under way reaches the broker before the close
        try:
            if self._started.is_set():
                await self.writer.close()
        finally:
            await self._sink.stop()

    def admit(self, dossier: Dossier) -> dict[tuple[str, str], frozenset[str]]:
        """The grants for ``dossier``'s procedure.

        Raises:
            DossierError: the policy grants this consumer nothing for the procedure.
        """
        grants = self.policy.grants_for(self.consumer, dossier.procedure)
        if not grants:
            raise DossierError("the access policy grants nothing for this procedure",
                               field="procedure")  # fmt: skip
        return grants

    def check(self, dossier: Dossier, evidence: Evidence) -> tuple[Verdict, AccessLog]:
        """Run ``dossier``'s checks seeing only what its procedure is granted."""
        return check_with_policy(dossier, evidence, self.admit(dossier))

    async def _wait_started(self) -> None:
        try:
            await asyncio.wait_for(self._started.wait(), START_TIMEOUT_S)
        except TimeoutError:
            raise AuditUnavailable("the audit log did not open: access refused") from None

    async def record(self, verdict: Verdict, reads: AccessLog) -> None:
        """Append the access entry of an answered dossier; returns once acknowledged."""
        await self._wait_started()
        await self.writer.record(AccessEntry(
            verdict.officer, verdict.procedure.value, verdict.dossier_id, verdict.status.value,
            sorted(reads.subjects), reads.to_json(), self.policy_hash,
        ))  # fmt: skip

    async def record_refusal(
        self, payload: bytes | str | dict[str, Any], error: DossierError
    ) -> None:
        """Append the access entry of a refused request (no subjects, nothing read)."""
        await self._wait_started()
        procedure = _declared(payload, "procedure", 64)
        known = procedure if procedure in Procedure.__members__.values() else None
        await self.writer.record(AccessEntry(
            _declared(payload, "officer", 128), known, _declared(payload, "dossier_id", 64),
            "REFUSED", policy=self.policy_hash, field=error.field or "dossier",
        ))  # fmt: skip
