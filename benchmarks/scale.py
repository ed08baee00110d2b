"""Scale of the European plan: flows, candidate spacing and the trade-off curve against time and memory.

Usage::

    python benchmarks/scale.py                      # the default ladder (about 10 minutes on 2 cores)
    python benchmarks/scale.py --flows 4000,20000   # europe-2030 with these max_flows (all = every flow)
    python benchmarks/scale.py --spacing 25,10,5    # candidate spacing ladder at --at flows
    python benchmarks/scale.py --scenarios          # every shipped single-year scenario as it ships
    python benchmarks/scale.py --scenarios europe-2030 europe-2030-gb   # some of them
    python benchmarks/scale.py --base europe-2030-low-budget --flows 4000,all   # another scenario's ladder
    python benchmarks/scale.py --base europe-2030-low-budget --flows 4000 --rows all   # every window at once

Each case runs the whole pipeline (network, candidates, routing, instance, solve, decode, the
trade-off curve, verification; no files written) in a fresh process, so the peak memory reported
(``ru_maxrss`` of that process) is the case's own; a capacity-sized solve's stage 3 runs in a process of
its own, whose peak is shown after a ``+``. Columns: flows in the demand, flows that need a
new hub, distinct cover windows, the rows, columns and nonzeros of the model whose plan is reported (for a
lazy solve the round that found it, not always the last), build and solve seconds, MIP gap,
curve seconds and their ratio to the solve, whole-run seconds, peak memory, hubs, served share.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from _child import fmt, machine_line, run_child  # noqa: I001 (benchmarks/ is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parents[1]
SINGLE_YEAR = [
    "europe-2030.toml",
    "europe-2030-high-ambition.toml",
    "europe-2030-low-budget.toml",
    "europe-2030-afir.toml",
    "europe-2030-eu.toml",
    "europe-2030-gb.toml",
    "europe-2030-quick.toml",
    "europe-2030-capacity.toml",
    "europe-2030-hourly.toml",
    "example-corridor.toml",
    "example-capacity.toml",
    "example-hourly.toml",
]


def child(path: str, max_flows: str, spacing: str, rows: str = "-") -> None:
    """Run one case in this process and print its figures as one JSON line."""
    from planner.pipeline import run_pipeline
    from planner.scenario import load_scenario

    sc = load_scenario(Path(path))
    if max_flows != "-":
        cap = None if max_flows == "all" else int(max_flows)
        sc = sc.model_copy(update={"demand": sc.demand.model_copy(update={"max_flows": cap})})
    if spacing != "-":
        sc = sc.model_copy(update={"candidates": sc.candidates.model_copy(update={"spacing_km": float(spacing)})})
    if rows != "-":
        sc = sc.model_copy(update={"solver": sc.solver.model_copy(update={"coverage_rows": rows})})
    sc = sc.model_copy(update={"output": sc.output.model_copy(update={"maps": False})})
    t0 = time.perf_counter()
    plan = run_pipeline(sc)
    total = time.perf_counter() - t0
    s = plan.summary
    cover = plan.context.instance.cover
    model = s.get("model", {})
    curve = s.get("tradeoff_curve") or {}
    print(
        json.dumps(
            {
                "flows": s["flows"],
                "need_hub": int((cover.servable & ~cover.free).sum()) if cover is not None else None,
                "windows": model.get("cover_windows"),
                "rows": model.get("rows"),
                "columns": model.get("columns"),
                "nonzeros": model.get("nonzeros"),
                "build_s": s["build_seconds"],
                "solve_s": s["solve_seconds"],
                "status": s["status"],
                "gap": s["mip_gap"],
                "curve_s": curve.get("seconds"),
                "curve_worst_gap": max((p["mip_gap"] for p in s.get("tradeoff", [])), default=None),
                "total_s": total,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                # stage 3's own process in a capacity-sized solve (its own VmHWM: ru_maxrss of a child
                # counts the memory of this process at the time it was started)
                "child_peak_mb": (s.get("two_stage") or {}).get("stage3_process_peak_mb"),
                "hubs": s["hub_count"],
                "served": s["covered_share"],
                "verified": plan.verification.passed,
            }
        )
    )


def run_case(path: Path, max_flows: str = "-", spacing: str = "-", rows: str = "-") -> dict:
    return run_child(__file__, str(path), max_flows, spacing, rows)


HEADER = (
    "| case | flows | need a hub | windows | rows | columns | nonzeros | build s | solve s | status | gap | curve s "
    "| curve/solve | worst curve gap | run s | peak MB | hubs | served | verified |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)


def row(label: str, r: dict) -> str:
    if "error" in r:
        return f"| {label} | error: {r['error']} |"
    ratio = r["curve_s"] / r["solve_s"] if r.get("curve_s") is not None and r["solve_s"] > 0 else None
    child = r.get("child_peak_mb") or 0.0
    peak = f"{r['peak_mb']:.0f}" + (f" + {child:.0f}" if child >= 1 else "")  # + stage 3's own process
    return (
        f"| {label} | {fmt(r['flows'])} | {fmt(r['need_hub'])} | {fmt(r['windows'])} | {fmt(r['rows'])} "
        f"| {fmt(r.get('columns'))} | {fmt(r.get('nonzeros'))} | {r['build_s']:.1f} | {r['solve_s']:.1f} "
        f"| {r['status']} | {fmt(r['gap'], '.2%')} "
        f"| {fmt(r['curve_s'], '.1f')} | {fmt(ratio, '.2f')} | {fmt(r['curve_worst_gap'], '.1%')} "
        f"| {r['total_s']:.1f} | {peak} | {r['hubs']} | {r['served']:.1%} | {r['verified']} |"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", default="", help="max_flows ladder of --base, e.g. 4000,20000,all")
    ap.add_argument("--base", default="europe-2030", help="scenario of the --flows and --spacing ladders")
    ap.add_argument("--rows", default="-", help="solver.coverage_rows for every case (lazy or all; - as shipped)")
    ap.add_argument("--spacing", default="", help="candidate spacing ladder (km) at --at flows")
    ap.add_argument("--at", default="20000", help="max_flows for the spacing ladder")
    ap.add_argument("--scenarios", nargs="*", default=None, help="every shipped single-year scenario (or those named)")
    args = ap.parse_args()
    if not (args.flows or args.spacing or args.scenarios is not None):
        args.flows, args.scenarios = "4000,10000,20000,50000,all", []
    print(machine_line())
    print(HEADER, flush=True)
    if args.scenarios is not None:
        for name in [n if n.endswith(".toml") else f"{n}.toml" for n in args.scenarios] or SINGLE_YEAR:
            print(row(name, run_case(ROOT / "scenarios" / name, rows=args.rows)), flush=True)
    base = ROOT / "scenarios" / f"{args.base.removesuffix('.toml')}.toml"
    tag = args.base.removesuffix(".toml") + ("" if args.rows == "-" else f", coverage_rows {args.rows}")
    for f in [x for x in args.flows.split(",") if x]:
        print(row(f"{tag}, max_flows {f}", run_case(base, f, rows=args.rows)), flush=True)
    for km in [x for x in args.spacing.split(",") if x]:
        print(row(f"{tag}, {args.at} flows, spacing {km} km", run_case(base, args.at, km, args.rows)), flush=True)


if __name__ == "__main__":
    main()
