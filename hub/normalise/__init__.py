"""Pure normalisers for the values the hub receives from its sources.

Each module handles one kind of value and raises :class:`hub.errors.NormaliseError`
(naming the field) for input it cannot normalise:

* :mod:`hub.normalise.names`: personal names (Unicode form, case, tone placement, comparison).
* :mod:`hub.normalise.dates`: dates with their precision, and source timestamps in UTC.
* :mod:`hub.normalise.identifiers`: PINs, legacy ID numbers, tax and social-insurance
  codes, vehicle plates.
* :mod:`hub.normalise.address` and :mod:`hub.normalise.admin_units`: addresses and the
  2025 administrative-unit reform.

Everything here is a pure function of its input: no I/O, no clock, no unbounded caches.
"""
