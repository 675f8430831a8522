"""Printing results: human text, or exactly one JSON object as the last line of stdout."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit(result: dict[str, Any], *, as_json: bool, human: str) -> None:
    """Print ``human`` (text) or ``result`` (one JSON line) to standard output."""
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, default=str) + "\n")
    else:
        sys.stdout.write(human.rstrip("\n") + "\n")
    sys.stdout.flush()
