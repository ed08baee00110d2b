"""The linear relaxation of max coverage with every window, by row generation: a bound for every flow.

A measurement for issue 17. Max coverage links each flow that needs a hub to every one of its windows
(``y_q <= z_w``, ``z_w <= sum of the window's sites``); with every European flow that is 13.5 M (flow,
window) pairs. Its linear relaxation needs only the pairs that bind: start from a few windows per flow
(:meth:`planner.features.coverage.lazy.KeptWindows.first`), solve, and for each flow whose served value
exceeds its least covered window add that window; repeat until none does
(:func:`planner.features.coverage.lp_bound.every_window_bound`, which a lazy solve started from its
largest flows, ``solver.start_flows``, runs from the windows of its start). The result is the
relaxation of the model with every window: a bound every plan obeys.

Usage::

    python benchmarks/coverage_lp_bound.py                    # europe-2030-low-budget, every flow
    python benchmarks/coverage_lp_bound.py --max-flows 20000  # the largest 20,000 flows only
    python benchmarks/coverage_lp_bound.py --plan results/europe-2030-low-budget   # and a plan's gap to it
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
from _common import plan_hubs, scenario_instance  # noqa: I001 (benchmarks/ is on sys.path when run as a script)

from planner.features.coverage.lazy import KeptWindows
from planner.features.coverage.lp_bound import every_window_bound

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "europe-2030-low-budget.toml"))
    ap.add_argument("--max-flows", default="all")
    ap.add_argument("--seconds", type=float, default=1800.0, help="time for every round together")
    ap.add_argument("--plan", help="a run folder of the scenario: its served weight and gap to the bound")
    args = ap.parse_args()
    t0 = time.perf_counter()
    sc, instance = scenario_instance(args.scenario, args.max_flows)
    cover, weight = instance.cover, instance.volume.astype(float)
    if sc.objective.type != "max_coverage":
        sys.exit("needs a max-coverage scenario")
    kept = KeptWindows.first(cover, weight)
    flows, n = kept.flows, len(instance.site_cost)
    print(f"{len(flows):,} flows need a hub; {cover.n_windows:,} windows; instance {time.perf_counter() - t0:.1f} s")
    out = every_window_bound(
        cover, instance.site_cost, instance.site_locked, weight, flows, kept.kept,
        budget_eur=sc.objective.budget_eur, max_hubs=sc.objective.max_hubs, seconds=args.seconds,
    )  # fmt: skip
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"{out.describe()} (weight of the flows that need a hub: {weight[flows].sum():,.1f}); {rss:.2f} GB")
    if args.plan and out.value is not None:
        sites, hubs = plan_hubs(args.plan, instance.site_ids)
        is_open = np.zeros(n, dtype=bool)
        is_open[sites] = True
        served = float(weight[flows][cover.served(is_open)[flows]].sum())
        gap = (out.value - served) / served
        print(f"plan {args.plan}: {len(hubs)} hubs serve {served:,.1f}; gap to the bound {gap:.2%}")


if __name__ == "__main__":
    main()
