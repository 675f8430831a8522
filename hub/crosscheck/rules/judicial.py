"""R11: criminal-record certificate: the record status, looked up by PIN only.

The requester passes R1 (run by the procedure). The judicial record is looked up by the
requester's PIN and nothing else (no name search: sensitive data). The answer carries
the record status (NO_RECORD, CONVICTED or EXPUNGED) and its update time; it is a MATCH
either way, because the certificate states what the record holds. Offences, courts and
sentences are never put into the reason.
"""

from __future__ import annotations

from hub.crosscheck.dossier import Dossier
from hub.crosscheck.evidence import Evidence
from hub.crosscheck.results import Outcome, RuleResult
from hub.crosscheck.rules._common import Findings

__all__ = ["check_judicial_record"]


def check_judicial_record(dossier: Dossier, evidence: Evidence) -> RuleResult:
    """R11 for the requester of a criminal-record certificate."""
    found = Findings("R11", "applicant")
    record = evidence.judicial(dossier.applicant.pin)
    if record is None:
        seen = evidence.source_seen("judicial")
        as_of = seen.isoformat() if seen else "unknown"
        found.add(Outcome.MATCH, "record_status:NO_RECORD",
                  f"Judicial records hold no record (source as of {as_of}).")  # fmt: skip
        return found.result("Record status NO_RECORD.")
    found.cite(record)
    status = str(record.value.get("record_status"))
    found.add(
        Outcome.MATCH,
        f"record_status:{status}",
        f"Record status {status}, updated {record.updated_at.date().isoformat()}.",
    )
    return found.result("The certificate states the record status.")
