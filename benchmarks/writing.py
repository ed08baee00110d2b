"""Writing a plan's files: each step's time after the solve, for the shipped scenarios.

Usage: ``python benchmarks/writing.py [--repeat N] [scenario.toml ...]`` (default: scenarios/europe-2030.toml).
Each scenario is solved once (not timed), then its files are written ``N`` times (default 2) into a
temporary folder: the flow table's text columns, ``flows.csv`` alone, the output layers (route lines,
network with trucks/day), every data file (:func:`planner.export.write_files`: CSVs, ``plan.gpkg``,
GeoJSON, ``plan.xlsx``) and the maps and report (:func:`planner.render.render_run`).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _child import machine_line  # noqa: I001 (benchmarks/ is on sys.path when run as a script)

from planner.api import solve_scenario
from planner.export import write_files
from planner.exports import output_layers, write_csv
from planner.plan import flows_table
from planner.render import render_run
from planner.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _timed(step: dict[str, float], name: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
    t0 = time.perf_counter()
    out = func(*args, **kwargs)
    step[name] = time.perf_counter() - t0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path, default=[ROOT / "scenarios" / "europe-2030.toml"])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(machine_line())
    print(
        "| scenario | flows | stops | run | flow text s | flows.csv s | layers s | data files s | maps, report s | MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    for path in args.scenarios:
        scenario = load_scenario(path)
        plan = solve_scenario(scenario)
        stops = int(plan.flows["stops"].map(len).sum())
        for i in range(args.repeat):
            folder = Path(tempfile.mkdtemp(prefix="planner-writing-"))
            try:
                step: dict[str, float] = {}
                table = _timed(step, "text", flows_table, plan.flows)
                _timed(step, "csv", write_csv, table, folder / "flows.csv")
                _timed(step, "layers", output_layers, plan, table)
                (folder / "flows.csv").unlink()
                _timed(step, "files", write_files, plan, folder)
                _timed(step, "render", render_run, folder, title=scenario.name)
                mb = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            print(
                f"| {scenario.name} | {len(plan.flows):,} | {stops:,} | {i + 1} | {step['text']:.2f} | "
                f"{step['csv']:.2f} | {step['layers']:.2f} | {step['files']:.2f} | {step['render']:.2f} | {mb:,.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
