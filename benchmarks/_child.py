"""Running one benchmark case in a fresh process (its own peak memory) and formatting its figures."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from planner.provenance import package_version


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


def machine_line() -> str:
    """When and where the figures below were measured, as a Markdown comment to paste with the table:
    UTC time, CPU model, the CPUs this process may use, memory, OS, Python, HiGHS and planner versions."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [x.split(":", 1)[1].strip() for x in lines if x.startswith("model name")]
    cpu = names[0] if names else (platform.processor() or "unknown CPU")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        ram = f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM"
    except (AttributeError, ValueError, OSError):
        ram = "RAM unknown"

    now = dt.datetime.now(dt.UTC)
    return (
        f"<!-- measured {now:%Y-%m-%d %H:%M} UTC on {cpu}, {cpus} CPUs, {ram}, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, highspy {package_version('highspy')}, "
        f"planner {package_version('planner')} -->"
    )
