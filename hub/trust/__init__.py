"""Trust: record signatures, the purpose-bound access policy and the audit log.

- :mod:`hub.trust.keys`: Ed25519 key pairs per principal (a source, or the cross-check
  service), loaded from a keys directory or the environment, rotated by key id.
- :mod:`hub.trust.signing`: what a record's signature covers, signing at the connector and
  verifying at every consumer.
- :mod:`hub.trust.batch`: verifying many records at once in worker processes (the
  cryptography package holds the GIL while it verifies).
- :mod:`hub.trust.policy`: the access policy file (which consumer may read which fields of
  which source for which procedure; sensitive fields need a legal basis), its validation
  against the schemas and procedures, its content hash.
- :mod:`hub.trust.access`: enforcing it: evidence seen through one procedure's grants.
- :mod:`hub.trust.projection`: a record's value holding only granted fields, and the
  record of what the rules read.
- :mod:`hub.trust.audit`: audit entries, their hash chain per writer, signed checkpoints.
- :mod:`hub.trust.audit_verify`: recomputing the chains (first broken link) and answering
  "who accessed this subject's data".
- :mod:`hub.trust.audit_log`: the audit topic: the writer that appends a worker's chain
  (acknowledged before a verdict leaves) and reading the log back.
"""
