"""Trust: record signatures, the purpose-bound access policy and the audit log.

- :mod:`hub.trust.keys`: Ed25519 key pairs per principal (a source, or the cross-check
  service), loaded from a keys directory or the environment, rotated by key id.
- :mod:`hub.trust.signing`: what a record's signature covers, signing at the connector and
  verifying at every consumer.
"""
