"""The benchmark scripts run and say when and where they measured (their figures are not tested)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_scale_prints_the_machine_and_a_verified_row() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--scenarios", "example-corridor"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.splitlines()
    machine, header, rule, row = out
    assert machine.startswith("<!-- measured 20") and machine.endswith(" -->")
    for part in (" UTC on ", " CPUs, ", " RAM, ", ", Python 3.", ", highspy ", ", planner "):
        assert part in machine
    assert header.startswith("| case | flows |") and rule.startswith("|---|")
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "example-corridor.toml" and cells[9] == "optimal" and cells[-1] == "True"
