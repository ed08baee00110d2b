"""The economics feature: every plan's energy sold and money per hub and in total."""

from __future__ import annotations

from planner.context import RunContext
from planner.features.base import Feature
from planner.features.economics.money import add_economics
from planner.plan import Plan
from planner.scenario import Scenario

__all__ = ["EconomicsFeature"]


class EconomicsFeature(Feature):
    """Always on: ``hubs.csv`` gets energy, capex, opex, annualised cost, margin and payback per hub
    (``[costs]`` assumptions), ``summary.json`` the totals (``economics``)."""

    name = "economics"

    def enabled(self, scenario: Scenario) -> bool:
        return True

    def outputs(self, plan: Plan, ctx: RunContext) -> None:
        # Rollouts: the energy of the last planning year (its volume factor × the base volumes).
        per_site = ctx.data["stops"].energy_by_site(len(ctx.instance.site_ids))
        index = {sid: k for k, sid in enumerate(ctx.instance.site_ids)}
        energy = {sid: float(per_site[index[sid]]) * ctx.session_factor for sid in plan.hubs["site_id"]}
        plan.summary["economics"] = add_economics(plan.hubs, energy, ctx.scenario.costs)
