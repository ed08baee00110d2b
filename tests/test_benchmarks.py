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


def test_writing_prints_a_row_per_repeat() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "writing.py"), "--repeat", "2", "scenarios/example-corridor.toml"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.splitlines()
    machine, header, rule, *rows = out
    assert machine.startswith("<!-- measured 20") and header.startswith("| scenario | flows | stops |")
    assert rule.startswith("|---|") and len(rows) == 2
    for i, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[0] == "example-corridor" and cells[3] == str(i)
        assert all(float(c.replace(",", "")) >= 0 for c in cells[4:]) and float(cells[-1]) > 0  # MB written
