"""The rollout feature: several planning years in one MILP (or year by year), hubs staying open."""

from __future__ import annotations

from dataclasses import replace

from planner.context import RunContext
from planner.errors import ScenarioError
from planner.features.afir.requirements import rollout_requirements
from planner.features.base import Feature
from planner.features.capacity.levels import capacity_levels
from planner.features.capacity.model import capacity_part
from planner.features.coverage.model import Solution
from planner.features.rollout.report import final_year_model, rollout_checks, rollout_outputs
from planner.features.rollout.solve import rollout_headline, solve_rollout, year_factors
from planner.plan import Plan
from planner.scenario import Scenario
from planner.verify import Check

__all__ = ["RolloutFeature"]


def refuse_contradictions(scenario: Scenario) -> None:
    """One clear line for settings a rollout cannot honour (checked before anything is solved).

    Raises
    ------
    ScenarioError
        Relaxed size levels (``[capacity] size_levels = "relaxed"``), or ``[grid]``'s on-site battery buffers.
    """
    if scenario.capacity.enabled and scenario.capacity.size_levels == "relaxed":
        raise ScenarioError(
            f"{scenario.where}: capacity.size_levels = 'relaxed' is for single-year plans; use 'integer' with "
            "rollout.years."
        )
    if scenario.grid.enabled and scenario.grid.max_batteries_per_hub > 0:
        raise ScenarioError(
            f"{scenario.where}: rollout.years with on-site battery buffers is not supported yet; "
            "set grid.max_batteries_per_hub = 0 or plan one year."
        )


class RolloutFeature(Feature):
    """``[rollout] years``: BEV share and budget per year, AFIR milestones as they fall due, sized
    points and grid upgrades added year by year; the plan is the last year's, with ``opened_year``."""

    name = "rollout"

    def enabled(self, scenario: Scenario) -> bool:
        return bool(scenario.rollout.years)

    def check_scenario(self, scenario: Scenario) -> None:
        refuse_contradictions(scenario)

    def prepare(self, ctx: RunContext) -> None:
        sc = ctx.scenario
        # Each year meets the AFIR milestone due by its end (15 % / 50 % share, then full spacing).
        ctx.data[self.name] = rollout_requirements(
            sc.afir, sc.chargers, ctx.network, ctx.sites, sc.rollout.years, where=sc.where
        )
        if "capacity" in ctx.parts:  # hubs are sized for the busiest year
            peak = max(year_factors(sc)[0])
            levels = capacity_levels(sc, float(ctx.instance.volume.sum()) * peak)
            existing = ctx.parts["capacity"].data.existing  # the points standing, as the capacity feature read them
            ctx.parts["capacity"] = capacity_part(replace(levels, existing=existing))

    def solve(self, ctx: RunContext) -> Solution:
        required, shares = ctx.data[self.name]
        cap, grid = ctx.parts.get("capacity"), ctx.parts.get("grid")
        rollout = solve_rollout(
            ctx.scenario,
            ctx.instance,
            required,
            grid=None if grid is None else grid.data,
            shares_by_year=shares,
            capacity=None if cap is None else cap.data,
            log=ctx.log,
            solve_log=ctx.solve_log,
            lazy=bool(ctx.data.get("lazy_windows")),
            feature_limits=tuple(ctx.data.get("limits", [])),
        )
        ctx.session_factor = rollout.volume_factor[-1]
        model = final_year_model(rollout, ctx.instance, ctx.data["spec"])
        return Solution(model, rollout_headline(rollout.results), extra={self.name: rollout}, reported=True)

    def outputs(self, plan: Plan, ctx: RunContext) -> None:
        rollout = ctx.solution.extra[self.name]
        rollout_outputs(plan, rollout, ctx.scenario, ctx.network, ctx.sites, ctx.flows, ctx.instance)

    def checks(self, plan: Plan, ctx: RunContext) -> list[Check]:
        sc = ctx.scenario
        return rollout_checks(
            plan.summary["years"],
            sc.rollout.budget_total_eur,
            afir_enforced=sc.afir.mode == "enforce",
            targets=sc.rollout.coverage_target if sc.objective.type == "min_cost" else None,
            metric=sc.objective.metric,
        )
