"""The shipped European scenarios: model size, build and solve time, result.

Usage: ``python benchmarks/europe.py [scenario.toml ...]`` (default: scenarios/europe-*.toml)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _child import machine_line  # noqa: I001 (benchmarks/ is on sys.path when run as a script)

from planner.api import solve_scenario
from planner.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "scenarios").glob("europe-*.toml"))
    print(machine_line())
    print(
        "| scenario | candidates | flows | rows | columns | nonzeros | binaries | build s | solve s | status | gap "
        "| hubs | MCS + CCS points | MW | served share | capex M EUR | verified |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|", flush=True)
    for path in paths:
        t0 = time.perf_counter()
        plan = solve_scenario(load_scenario(path))
        total = time.perf_counter() - t0
        s = plan.summary
        m = s["model"]
        gap = "n/a" if s["mip_gap"] is None else f"{s['mip_gap']:.2%}"
        by_type = s["chargers"]["points_by_type"]
        pts = f"{by_type['mcs']:,} + {by_type['ccs']:,}"
        print(
            f"| {s['scenario']} | {s['candidates']:,} | {s['flows']:,} | {m['rows']:,} | {m['columns']:,} | "
            f"{m['nonzeros']:,} | {m['binaries']:,} | {s['build_seconds']:.1f} | {s['solve_seconds']:.1f} | "
            f"{s['status']} | {gap} | {s['hub_count']} | {pts} | {s['chargers']['total_power_mw']:,.0f} | "
            f"{s['covered_share']:.1%} | "
            f"{s['total_cost_eur'] / 1e6:,.0f} | {s['verification']['passed']} |",
            flush=True,
        )
        two = s.get("two_stage")
        if two:  # rows/columns above are stage 2's (exact levels on the relaxation's sites)
            s1, s2 = two["stage1_relaxation"], two["stage2_exact_levels"]
            print(
                f"<!-- {path.name}: relaxation {s1['seconds']:.1f} s, {two['stage1_hubs']} sites to stage 2, "
                f"exact stage {s2['seconds']:.1f} s -->"
            )
        print(f"<!-- {path.name}: {total:.1f} s end to end without writing files -->", flush=True)


if __name__ == "__main__":
    main()
