"""Running one benchmark case in a fresh process (its own peak memory) and formatting its figures."""

from __future__ import annotations

import json
import subprocess
import sys


def run_child(script: str, *args: str) -> dict:
    """Run ``script --child ARGS...`` and return the last JSON line it printed (or ``{"error": ...}``)."""
    out = subprocess.run([sys.executable, script, "--child", *args], capture_output=True, text=True, check=False)
    lines = [x for x in out.stdout.splitlines() if x.startswith("{")]
    if out.returncode or not lines:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


def fmt(v: object, spec: str = "") -> str:
    """A table cell: ``–`` for None, floats by ``spec``, integers with thousands separators."""
    if v is None:
        return "–"
    if isinstance(v, float) and spec:
        return format(v, spec)
    return f"{v:,}" if isinstance(v, int) else str(v)
