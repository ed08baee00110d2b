"""A rollout's bound from one-year linear relaxations with every window, and a plan's gap to it.

A measurement for issue 17. Every year of a rollout plan is a plan of the one-year max coverage whose
budget is the years' budgets until then, so each year's linear relaxation with every window bounds it and
their discounted sum bounds the rollout (:func:`planner.features.rollout.lp_bound.years_bound`, which the
foresight model runs within half its time). Here it runs from the first windows
(:meth:`planner.features.coverage.lazy.KeptWindows.first`) for as long as it takes.

Usage::

    python benchmarks/rollout_lp_bound.py                       # europe-rollout-2026-2035, every flow
    python benchmarks/rollout_lp_bound.py --max-flows 20000     # its 20,000 largest flows only
    python benchmarks/rollout_lp_bound.py --plan results/europe-rollout-2026-2035   # and a plan's gap to it
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
from planner.features.coverage.model import flow_weight
from planner.features.rollout.lp_bound import cumulative_budgets, years_bound
from planner.features.rollout.solve import year_factors

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "europe-rollout-2026-2035.toml"))
    ap.add_argument("--max-flows", default="all")
    ap.add_argument("--seconds", type=float, default=3600.0, help="time for every year together")
    ap.add_argument("--workers", type=int, default=1, help="relaxations solved side by side")
    ap.add_argument("--plan", help="a run folder of the scenario (hubs.csv with opened_year): its value and gap")
    args = ap.parse_args()
    t0 = time.perf_counter()
    sc, instance = scenario_instance(args.scenario, args.max_flows)
    ro = sc.rollout
    if sc.objective.type != "max_coverage" or not ro.years:
        sys.exit("needs a max-coverage rollout scenario")
    cover, weight = instance.cover, flow_weight(instance, sc.objective.metric).astype(float)
    factor, discount = year_factors(sc)
    factors = [d * f for d, f in zip(discount, factor, strict=True)]
    kept = KeptWindows.first(cover, weight)
    built = time.perf_counter() - t0
    print(f"{len(kept.flows):,} flows need a hub; {cover.n_windows:,} windows; instance {built:.1f} s")
    budgets = cumulative_budgets(ro.budget_per_year_eur or [None] * len(ro.years), ro.budget_total_eur)
    out = years_bound(
        cover, np.where(instance.site_locked, 0.0, instance.site_cost), instance.site_locked, weight,
        kept.flows, kept.kept, budgets=budgets, factors=factors, max_hubs=sc.objective.max_hubs,
        seconds=args.seconds, workers=args.workers, log=lambda m: print(f"  {m}", flush=True),
    )  # fmt: skip
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    for year, b, v, ok in zip(ro.years, budgets, out.per_year, out.converged, strict=True):
        print(f"{year}: budget until then {b:,.0f} EUR, relaxation {v:,.1f}{'' if ok else ' (a tangent)'}")
    print(f"{out.describe()}; {rss:.2f} GB")
    if args.plan:
        sites, hubs = plan_hubs(args.plan, instance.site_ids)
        need = instance.servable & ~instance.free
        value = 0.0
        for t, year in enumerate(ro.years):
            is_open = instance.site_locked.copy()
            is_open[sites[(hubs["opened_year"] <= year).to_numpy()]] = True
            value += factors[t] * float(weight[cover.served(is_open) & need].sum())
        gap = (out.value - value) / value
        print(f"plan {args.plan}: serves {value:,.1f} discounted; gap to the bound {gap:.2%}")


if __name__ == "__main__":
    main()
