"""The trade-off feature: served share with the best 1…N new hubs (the curve in the report).

Each point is a max-coverage plan (volume, no other feature) for a hub count up to the plan's, solved
lexicographically like every plan (most coverage, then the cheapest hubs giving it); its hub set is
re-simulated by the verifier's simulation: the share reported is the simulated one, and
the flows the model claims are checked against it (``tradeoff_simulated``).
"""

from __future__ import annotations

import pulp

from planner.context import RunContext
from planner.features.base import Feature
from planner.features.coverage.model import ModelSpec, build_model, open_site_ids
from planner.features.coverage.variables import served_mask
from planner.plan import Plan
from planner.scenario import Scenario
from planner.solve import solve_lexicographic
from planner.verify import check_hub_sets, served_by_simulation

__all__ = ["TradeoffFeature"]


class TradeoffFeature(Feature):
    """``output.tradeoff_points`` > 0 (single-year plans): the served-share-vs-hubs curve."""

    name = "tradeoff"

    def enabled(self, scenario: Scenario) -> bool:
        return scenario.output.tradeoff_points > 0 and not scenario.rollout.years

    def outputs(self, plan: Plan, ctx: RunContext) -> None:
        sc, instance = ctx.scenario, ctx.instance
        new_hubs = plan.summary["new_hub_count"]
        n = sc.output.tradeoff_points
        counts = sorted({max(1, round(new_hubs * i / n)) for i in range(1, n + 1)}) if new_hubs else []
        total = float(instance.volume.sum())
        locked = int(instance.site_locked.sum())
        points, claimed = [], []
        for p in counts:
            model = build_model(instance, ModelSpec("max_coverage", "volume", max_hubs=p))
            result = solve_lexicographic(model.problem, *model.goals(), sc.solver, log=ctx.solve_log).combined
            if not result.has_solution:
                points.append({"hubs": p + locked, "new_hubs": p, "status": result.status})
                continue
            ids = open_site_ids(model)
            served = served_by_simulation(
                ctx.network, ctx.sites, ctx.flows, ids, sc.vehicle, sc.breaks, refuel_at_origin=ctx.refuel_at_origin
            )
            claimed.append(
                (f"{p} new hubs", served_mask(model.free, model.variables.groups, model.variables.served), served)
            )
            points.append(
                {
                    "hubs": p + locked,
                    "new_hubs": p,
                    "covered_share": float(instance.volume[served].sum()) / total if total else 0.0,
                    "capex_eur": float(pulp.value(model.capex())),
                    "status": result.status,
                    "mip_gap": result.mip_gap,
                }
            )
        if points:
            ctx.log(f"trade-off curve: {len(points)} max-coverage solves")
        plan.summary["tradeoff"] = points
        ctx.side_checks.append(check_hub_sets("tradeoff_simulated", "trade-off point(s)", claimed))
