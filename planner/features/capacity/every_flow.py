"""What sizing hubs for every flow would cost at least, for a run with a ``demand.max_flows`` cut
(``[capacity] every_flow_bound``).

The run's model with the cut flows' rows (:mod:`planner.features.capacity.cut_load`) relaxes the
problem of sizing hubs for every flow; its linear relaxation (every level continuous, the capex alone)
bounds the capex of every such plan. On ``europe-2030-capacity`` (2 cores, 2026-12-07) that relaxation
is 2,724.9 M EUR (114.8 s), against 964.0 M EUR for the plan sized for the 4,000 largest flows. With
each flow's disjoint windows taken among its 16 smallest (fewer of them) it was 2,161.1 M EUR, and that
model solved in stages (as the run's own, 600 s) ended with a plan of 3,444.5 M EUR at a 37 % gap: it
bounds, it does not plan.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import pandas as pd
import pulp

from planner.context import RunContext
from planner.features.capacity.cut_load import cut_load
from planner.features.capacity.levels import capacity_levels
from planner.features.capacity.model import cut_load_part
from planner.features.coverage.model import ModelSpec, build_model
from planner.instance import build_instance
from planner.solve import solve_problem

__all__ = ["BOUND_HIGHS_OPTIONS", "BOUND_SLACK", "every_flow_bound"]


#: HiGHS on the bound's linear relaxation: interior point, without crossover (only the value is read). On
#: europe-2030-capacity (199,671 rows, 163,973 columns, 2 cores, 2026-12-07) the whole bound took 118.8 s,
#: 157.3 s with crossover (the value 4 EUR lower, 2,724,891,326 EUR); the dual simplex stage 1 uses found
#: no solution in 150 s on the smaller model of each flow's disjoint windows among its 16 smallest.
BOUND_HIGHS_OPTIONS = {"solver": "ipm", "run_crossover": "off"}
#: The interior point's value is rounded down by this share: its optimality tolerance (relative duality
#: gap 10⁻⁸ by default) could leave it a little above the relaxation's optimum.
BOUND_SLACK = 1e-6


def every_flow_bound(ctx: RunContext, cut_flows: pd.DataFrame, capex_eur: float) -> dict:
    """A lower bound on the capex of any plan that sizes hubs for every flow: the linear relaxation of
    the run's model (every level continuous, the capex alone) with ``cut_flows``' rows (routed; those a
    ``demand.max_flows`` cut left out); ``capex_eur`` is the plan's, for comparison.

    Returns
    -------
    dict
        ``every_flow_capex_bound_eur`` (None unless the relaxation was solved to optimality), its
        ``status``, seconds, size and the cut flows' rows (the ``every_flow_bound`` entry of
        ``summary.json`` ``demand.cut_flows_sessions``).
    """
    t0 = time.perf_counter()
    instance = build_instance(
        ctx.network,
        ctx.sites,
        cut_flows,
        ctx.ranges,
        site_cost=ctx.site_cost,
        drop_locked=False,
        refuel_at_origin=ctx.refuel_at_origin,
    )
    cut = cut_load(instance, instance.volume.astype(float))
    spec: ModelSpec = ctx.data["spec"]
    run = spec.part("capacity").data
    # size levels up to the kept and cut flows' sessions together (the run's stop at the kept flows' alone)
    total = float(ctx.instance.volume.sum()) + cut.trucks_per_day
    sizing = replace(capacity_levels(ctx.scenario, total), existing=run.existing, integer_levels=False)
    model = build_model(ctx.instance, spec.with_part(cut_load_part(sizing, cut)))
    for v in model.problem.variables():
        v.cat = pulp.LpContinuous
    capex, _ = model.price_hubs(model)
    model.problem.sense = pulp.LpMinimize
    model.problem.setObjective(capex)
    size = model.size()
    result = solve_problem(model.problem, ctx.scenario.solver, highs_options=BOUND_HIGHS_OPTIONS)
    bound = result.objective if result.status == "optimal" else None
    return {
        "every_flow_capex_bound_eur": None if bound is None else float(math.floor(bound * (1 - BOUND_SLACK))),
        "plan_capex_eur": capex_eur,
        "status": result.status,
        "seconds": round(time.perf_counter() - t0, 1),
        "rows": int(size["rows"]),
        "columns": int(size["columns"]),
        "cut_flows": cut.flows,
        "cut_trucks_per_day": round(cut.trucks_per_day, 3),
        "cut_flows_unservable": cut.unservable,
        "cover_windows": len(cut.cover),
        "load_windows": len(cut.loads),
        "load_sessions_per_day": round(sum(t for _, t in cut.loads), 3),
    }
