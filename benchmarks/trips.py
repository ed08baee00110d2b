"""Trip-level demand at scale: synthetic truck trips on the European network, aggregated by the planner.

Usage::

    python benchmarks/trips.py                          # 100,000, 400,000 and 1,600,000 trips
    python benchmarks/trips.py --trips 50000,3200000    # other rungs

Each rung samples N single trips from the full gravity O-D distribution of
``scenarios/europe-2030.toml`` (every flow of at least 200 km, no ``max_flows`` cut; the planner's
own gravity volumes as multinomial probabilities, ``numpy.random.default_rng(SEED)``), one row per
trip in shuffled order with ``trips_per_day`` = the gravity total ÷ N, so every rung carries the
same daily volume. The trips go to a CSV in a temporary folder next to a scenario that ``extends``
europe-2030 with ``[demand] trips`` (which takes the place of the inherited ``zones``) and
``max_flows = "all"``. The whole pipeline then runs in a fresh process per rung (as in
``benchmarks/scale.py``, no files written), so its peak memory (``ru_maxrss``) is the rung's own.

Columns: trips, distinct O-D flows they aggregate into, trips file size, reading and aggregating
the trips (from the run's log), model build, solve, status, MIP gap, trade-off curve, whole run,
peak memory, hubs, served share, verification.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _child import fmt, machine_line, run_child  # noqa: I001 (benchmarks/ is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "europe-2030.toml"
SEED = 17
RUNGS = "100000,400000,1600000"


def gravity_distribution() -> pd.DataFrame:
    """Every gravity flow of the base scenario (``max_flows`` unset, before the BEV share)."""
    from planner.demand import _gravity
    from planner.network import load_network
    from planner.scenario import load_scenario

    sc = load_scenario(BASE)
    demand = sc.demand.model_copy(update={"max_flows": None})
    return _gravity(demand, load_network(sc.network))


def write_trips(flows: pd.DataFrame, n: int, folder: Path) -> Path:
    """Sample ``n`` trips from ``flows`` (probabilities ∝ volume) and write them as a trips CSV."""
    rng = np.random.default_rng(SEED)
    volume = flows["volume"].to_numpy(dtype=float)
    counts = rng.multinomial(n, volume / volume.sum())
    pair = rng.permutation(np.repeat(np.arange(len(flows)), counts))
    trips = pd.DataFrame(
        {
            "trip_id": [f"t{i:07d}" for i in range(n)],
            "origin": flows["origin"].to_numpy(dtype=object)[pair],
            "destination": flows["destination"].to_numpy(dtype=object)[pair],
            "trips_per_day": np.full(n, volume.sum() / n),
        }
    )
    path = folder / f"trips-{n}.csv"
    trips.to_csv(path, index=False, float_format="%.9g", lineterminator="\n")
    return path


def write_scenario(trips: Path, n: int, folder: Path) -> Path:
    """A scenario extending europe-2030 with the trips file as its demand (every flow kept)."""
    path = folder / f"trips-{n}.toml"
    path.write_text(
        f"extends = {json.dumps(str(BASE))}\n"
        f'name = "europe-2030-trips-{n}"\n\n'
        "[demand]\n"
        f"trips = {json.dumps(str(trips))}\n"
        'max_flows = "all"\n',
        encoding="utf-8",
    )
    return path


def child(path: str) -> None:
    """Run one rung in this process and print its figures as one JSON line."""
    from planner.pipeline import run_pipeline
    from planner.scenario import load_scenario

    stamps: dict[str, float] = {}

    def log(message: str) -> None:  # the trips are read between these two lines of the run's log
        if message.startswith("candidates:"):
            stamps["candidates"] = time.perf_counter()
        elif "trips aggregated" in message:
            stamps["trips"] = time.perf_counter()

    sc = load_scenario(Path(path))
    sc = sc.model_copy(update={"output": sc.output.model_copy(update={"maps": False})})
    t0 = time.perf_counter()
    plan = run_pipeline(sc, log=log)
    total = time.perf_counter() - t0
    s = plan.summary
    curve = s.get("tradeoff_curve") or {}
    model = s.get("model", {})
    print(
        json.dumps(
            {
                "trips": s["demand"]["trips"],
                "flows": s["demand"]["flows"],
                "read_s": stamps["trips"] - stamps["candidates"],
                "rows": model.get("rows"),
                "nonzeros": model.get("nonzeros"),
                "build_s": s["build_seconds"],
                "solve_s": s["solve_seconds"],
                "status": s["status"],
                "gap": s["mip_gap"],
                "curve_s": curve.get("seconds"),
                "total_s": total,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "hubs": s["hub_count"],
                "served": s["covered_share"],
                "verified": plan.verification.passed,
            }
        )
    )


def run_rung(path: Path) -> dict:
    return run_child(__file__, str(path))


HEADER = (
    "| trips | distinct flows | file MB | read+aggregate s | rows | nonzeros | build s | solve s | status | gap "
    "| curve s | run s | peak MB | hubs | served | verified |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"
)


def row(n: int, mb: float, r: dict) -> str:
    if "error" in r:
        return f"| {n:,} | error: {r['error']} |"
    return (
        f"| {r['trips']:,} | {r['flows']:,} | {mb:.1f} | {r['read_s']:.1f} | {fmt(r.get('rows'))} "
        f"| {fmt(r.get('nonzeros'))} | {r['build_s']:.1f} | {r['solve_s']:.1f} "
        f"| {r['status']} | {fmt(r['gap'], '.2%')} | {fmt(r['curve_s'], '.1f')} | {r['total_s']:.1f} "
        f"| {r['peak_mb']:.0f} | {r['hubs']} | {r['served']:.1%} | {r['verified']} |"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trips", default=RUNGS, help=f"comma-separated trip counts (default {RUNGS})")
    args = ap.parse_args()
    flows = gravity_distribution()
    print(f"gravity: {len(flows):,} O-D flows, {flows['volume'].sum():,.0f} trucks/day; seed {SEED}", flush=True)
    print(machine_line())
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory(prefix="planner-trips-") as tmp:
        for n in [int(x) for x in args.trips.split(",") if x]:
            trips = write_trips(flows, n, Path(tmp))
            result = run_rung(write_scenario(trips, n, Path(tmp)))
            print(row(n, trips.stat().st_size / 1e6, result), flush=True)
            trips.unlink()


if __name__ == "__main__":
    main()
