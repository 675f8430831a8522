"""``hub keys generate|list``: the Ed25519 key pairs that sign records.

- ``keys generate PRINCIPAL [--dir DIR]``: a new pair for a source (or ``crosscheck``) in
  ``HUB_TRUST_KEYS_DIR``; from then on the newest private key of the principal signs,
  while every ``.pub`` left in the directory still verifies what older keys signed.
- ``keys list``: per principal, the key that signs now and the public keys trusted.

Output names key ids and file paths, never key material.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hub.cli.output import emit
from hub.config import HubSettings
from hub.errors import ConfigurationError
from hub.trust.keys import KeyPair, KeyStore, check_principal, env_variable, generate_key_pair

_ENV_KEY = re.compile(r"^HUB_TRUST_KEY_(?P<principal>[A-Z][A-Z0-9_]{0,63})$")
_KEY_FILE = re.compile(r"[a-z][a-z0-9_]{0,63}\.[0-9a-f]{16}\.key")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub keys``."""
    parser = commands.add_parser("keys", help="Ed25519 key pairs that sign records")
    sub = parser.add_subparsers(dest="action", required=True)
    generate = sub.add_parser("generate", help="make a new key pair for a principal")
    generate.add_argument("principal", help="a source (connector) name, or crosscheck")
    generate.add_argument("--dir", type=Path, default=None, help="keys directory")
    generate.add_argument("--json", action="store_true", help="print one JSON object")
    listing = sub.add_parser("list", help="key ids per principal")
    listing.add_argument("--dir", type=Path, default=None, help="keys directory")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub keys ACTION``."""
    directory: Path = args.dir or settings.trust().keys_dir
    if args.action == "generate":
        pair = generate_key_pair(args.principal, directory)
        result = pair_json(args.principal, pair)
        emit(
            result,
            as_json=args.json,
            human=f"generated {pair.key_id}\n"
            f"  private key: {pair.private_path} (mode 0600: keep it on the connector's host)\n"
            f"  public key:  {pair.public_path} (copy it to every consumer)\n"
            f"the newest key of {args.principal} signs from now on",
        )
        return 0
    listed = list_keys(KeyStore(directory))
    emit(listed, as_json=args.json, human=_human_list(listed))
    return 0


def pair_json(principal: str, pair: KeyPair) -> dict[str, Any]:
    """What ``keys generate --json`` prints about a new pair."""
    return {
        "principal": principal,
        "key_id": pair.key_id,
        "private_key": str(pair.private_path),
        "public_key": str(pair.public_path),
    }


def list_keys(store: KeyStore, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Per principal: the key id that signs now (and from where), and the trusted key ids.

    A principal whose signing key cannot be read is listed with its error (which names
    the file or variable, never the key).
    """
    environ = os.environ if environ is None else environ
    trusted = store.principals()
    from_env = {m["principal"].lower() for name in environ if (m := _ENV_KEY.match(name))}
    private = {p.name.split(".", 1)[0] for p in _private_files(store.directory)}
    principals: dict[str, Any] = {}
    for principal in sorted(set(trusted) | from_env | private):
        entry: dict[str, Any] = {"public_keys": trusted.get(principal, [])}
        try:
            check_principal(principal)
            entry["signing_key"] = store.signing_key(principal).key_id
            entry["signing_key_from"] = (
                env_variable(principal) if environ.get(env_variable(principal)) else "file"
            )
        except ConfigurationError as exc:
            entry["signing_key"] = None
            entry["error"] = str(exc)
        principals[principal] = entry
    return {"keys_dir": str(store.directory), "principals": principals}


def ensure_keys(directory: Path, principals: Iterable[str]) -> list[KeyPair]:
    """Generate a key pair for each of ``principals`` that has no private key yet.

    A principal whose key comes from ``HUB_TRUST_KEY_<PRINCIPAL>`` is left alone.
    Returns the pairs made (none when every principal had a key).
    """
    have = {p.name.split(".", 1)[0] for p in _private_files(directory)}
    made = []
    for principal in principals:
        if principal in have or os.environ.get(env_variable(check_principal(principal))):
            continue
        made.append(generate_key_pair(principal, directory))
    return made


def provide_keys(settings: HubSettings, principals: Iterable[str]) -> None:
    """Make sure ``principals`` can sign, generating missing pairs (said once on stderr).

    For ``hub demo`` and ``hub bench``, which run on a fresh checkout; a deployment
    generates and distributes its keys with ``hub keys generate`` instead.
    """
    directory = settings.trust().keys_dir
    made = ensure_keys(directory, principals)
    if made:
        names = ", ".join(sorted(p.key_id.split(".", 1)[0] for p in made))
        sys.stderr.write(f"hub: generated signing keys in {directory} for: {names}\n")


def _private_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return [p for p in directory.glob("*.key") if _KEY_FILE.fullmatch(p.name)]


def _human_list(listed: dict[str, Any]) -> str:
    lines = [f"keys directory: {listed['keys_dir']}"]
    if not listed["principals"]:
        lines.append("no keys (run `hub keys generate PRINCIPAL`)")
    for principal, entry in listed["principals"].items():
        signing = entry["signing_key"] or f"none ({entry.get('error', 'no private key')})"
        source = f" from {entry['signing_key_from']}" if entry["signing_key"] else ""
        lines.append(f"{principal}: signs with {signing}{source}")
        for key_id in entry["public_keys"]:
            lines.append(f"  trusts {key_id}")
    return "\n".join(lines)
