"""The capacity feature: stops assigned to hubs, charger points per type sized by queueing."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from planner.chargers import existing_by_type, existing_notes
from planner.context import RunContext
from planner.errors import ScenarioError
from planner.features.base import Feature
from planner.features.capacity.checks import capacity_check
from planner.features.capacity.decode import decode_capacity
from planner.features.capacity.every_flow import every_flow_bound
from planner.features.capacity.levels import capacity_levels, session_hours
from planner.features.capacity.model import capacity_part
from planner.features.capacity.report import hub_queueing, points_short
from planner.features.capacity.two_stage import solve_two_stage
from planner.features.coverage.model import Solution
from planner.plan import Plan
from planner.scenario import Scenario
from planner.verify import Check, hub_sessions

__all__ = ["CapacityFeature"]


class CapacityFeature(Feature):
    """``[capacity] enabled``: every served flow's stops are assigned to hubs in the model and each
    hub gets the points per type that keep the peak-hour wait under the target (M/M/c)."""

    name = "capacity"
    assigns_stops = True

    def enabled(self, scenario: Scenario) -> bool:
        return scenario.capacity.enabled

    def check_scenario(self, scenario: Scenario) -> None:
        sc, obj = scenario, scenario.objective
        if sc.capacity.size_levels == "relaxed" and (
            obj.type != "min_cost" or obj.budget_eur is not None or obj.max_hubs is not None or sc.grid.enabled
        ):
            raise ScenarioError(
                f"{sc.where}: capacity.size_levels = 'relaxed' sizes hubs exactly only on the sites its linear "
                "relaxation opens, which a budget, a hub limit, a coverage objective or a grid limit could make "
                "infeasible; use it with objective.type = 'min_cost', no budget_eur or max_hubs and grid.enabled = "
                "false, or set size_levels = 'integer'."
            )
        if sc.capacity.every_flow_bound and (
            obj.type != "min_cost"
            or obj.coverage_target is not None
            or obj.budget_eur is not None
            or obj.max_hubs is not None
            or sc.rollout.years
        ):
            raise ScenarioError(
                f"{sc.where}: capacity.every_flow_bound bounds the capex of serving every flow, which needs "
                "objective.type = 'min_cost' without coverage_target, budget_eur or max_hubs, and no [rollout]; "
                "set capacity.every_flow_bound = false or change the objective."
            )
        if sc.demand.round_trip:  # as [hourly] refuses them; until 2026-12-06 such plans failed verification
            raise ScenarioError(
                f"{sc.where}: capacity.enabled sizes hubs for one-way trips (a round trip passes a site twice, and "
                "the stop assignment would size its two stops there as one session): set demand.round_trip = false "
                "or [capacity] enabled = false."
            )

    def prepare(self, ctx: RunContext) -> None:
        sc = ctx.scenario
        existing = existing_by_type(ctx.sites, sc.chargers)
        spec = capacity_levels(sc, float(ctx.instance.volume.sum()), existing)
        for line in existing_notes(ctx.sites, existing, [tl.name for tl in spec.types], spec.existing):
            ctx.log(f"capacity: {line}")
        for tl in spec.types:
            ctx.log(
                f"capacity: {tl.name}: {len(tl.servers)} size levels, up to {tl.servers[-1]} points "
                f"({tl.capacity[-1]:,.0f} sessions/day) per hub"
            )
        ctx.parts[self.name] = capacity_part(spec)
        ch = sc.chargers
        ctx.data.setdefault("limits", []).append(
            f"chargers.mcs.max_per_hub = {ch.mcs.max_per_hub}, chargers.ccs.max_per_hub = {ch.ccs.max_per_hub}"
        )

    def solve(self, ctx: RunContext) -> Solution | None:
        spec = ctx.parts[self.name].data
        if spec.integer_levels or ctx.scenario.rollout.years:
            return None
        exact = ctx.data["spec"].with_part(capacity_part(replace(spec, integer_levels=True)))
        two = solve_two_stage(ctx.instance, exact, ctx.scenario.solver, log=ctx.log, solve_log=ctx.solve_log)
        return Solution(two.model, two.result, extra={"two_stage": two})

    def decode(self, plan: Plan, ctx: RunContext) -> None:
        decode_capacity(plan, ctx)
        two = ctx.solution.extra.get("two_stage")
        if two is not None:
            plan.summary["two_stage"] = {
                "stage1_relaxation": two.stage1.to_dict(),
                "stage1_hubs": two.hubs_stage1,
                "stage2_exact_levels": two.stage2.to_dict(),
                "stage3_every_site": None if two.stage3 is None else two.stage3.to_dict(),
                "stage3_process_peak_mb": two.stage3_peak_mb,
            }

    def outputs(self, plan: Plan, ctx: RunContext) -> None:
        hub_queueing(plan, ctx.scenario)

    def cut_flows_load(self, plan: Plan, ctx: RunContext, sessions: np.ndarray, flows: pd.DataFrame) -> dict:
        out = points_short(plan.hubs, sessions, ctx.scenario)
        if ctx.scenario.capacity.every_flow_bound:
            out["every_flow_bound"] = every_flow_bound(ctx, flows, float(plan.summary["total_cost_eur"]))
        return out

    def checks(self, plan: Plan, ctx: RunContext) -> list[Check]:
        sessions = {sid: n * ctx.session_factor for sid, n in hub_sessions(plan.flows).items()}
        return [capacity_check(plan.hubs, sessions, ctx.scenario.capacity, session_hours(ctx.scenario))]
