"""The hourly feature: hubs sized hour by hour, by decomposition, checked by simulation.

``[hourly] enabled`` needs ``[capacity] enabled`` (the stop assignment and the charger catalogue's wait
target) and supersedes the ``capacity`` feature's peak-hour sizing and the ``grid`` feature's peak-kW
buffers: with it on, the pipeline runs this feature instead of those two (``supersedes``). Site grid
capacities and upgrade options still come from ``[grid]`` when it is on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.chargers import existing_by_type, existing_notes
from planner.context import RunContext
from planner.errors import ScenarioError
from planner.features.base import Feature
from planner.features.coverage.model import Solution
from planner.features.grid.sites import site_grid_kw
from planner.features.hourly.arrivals import StopHours, stop_hours
from planner.features.hourly.checks import hourly_checks
from planner.features.hourly.costs import HubCosts, hub_costs
from planner.features.hourly.cut import cut_flows_short
from planner.features.hourly.decode import hourly_summary, hourly_table, hub_columns
from planner.features.hourly.decompose import Inputs, decompose
from planner.features.hourly.master import MasterSpec, master_part, master_spec
from planner.features.hourly.profiles import flow_profiles
from planner.features.hourly.timetable import Timetable, crossing_hours
from planner.plan import Plan
from planner.scenario import Scenario
from planner.verify import Check

__all__ = ["HourlyFeature"]


@dataclass(frozen=True)
class Prepared:
    """What ``prepare`` derives for the later stages."""

    costs: HubCosts
    hours: StopHours
    spec: MasterSpec
    available_kw: np.ndarray | None
    profiles: dict


def refuse_contradictions(sc: Scenario) -> None:
    """One clear line for settings hourly sizing cannot honour.

    Raises
    ------
    ScenarioError
        ``[capacity]`` off, a rollout, ``capacity.every_flow_bound``, an objective other than the cheapest
        plan serving every servable flow, round trips, or the old peak-kW battery buffers of ``[grid]``.
    """
    obj, where = sc.objective, f"{sc.where}: hourly.enabled"
    if not sc.capacity.enabled:
        raise ScenarioError(
            f"{where} sizes the hubs of the plan's stop assignment: set [capacity] enabled = true (its "
            "max_wait_min and plug_overhead_min apply every hour)."
        )
    if sc.rollout.years:
        raise ScenarioError(f"{where} plans one year: remove rollout.years or set hourly.enabled = false.")
    if sc.capacity.every_flow_bound:
        raise ScenarioError(
            f"{where} sizes the hubs hour by hour, and capacity.every_flow_bound bounds the peak-hour sizing "
            "[hourly] replaces: set capacity.every_flow_bound = false or hourly.enabled = false."
        )
    if obj.type != "min_cost" or obj.budget_eur is not None or obj.coverage_target is not None:
        raise ScenarioError(
            f"{where} finds the cheapest network serving every servable flow (annual cost): use objective.type = "
            "'min_cost' without budget_eur or coverage_target."
        )
    if sc.demand.round_trip:
        raise ScenarioError(f"{where} times one-way trips: set demand.round_trip = false.")
    if sc.grid.enabled and sc.grid.max_batteries_per_hub > 0:
        raise ScenarioError(
            f"{where} replaces [grid]'s peak-kW battery buffers by an hourly battery dispatch: set "
            "grid.max_batteries_per_hub = 0 and size batteries with hourly.battery_unit_* and max_battery_units."
        )


def _power_limit(sc: Scenario) -> str:
    """The settings that cap a hub's chargers' power, for an error naming the limits a plan must meet."""
    hc = sc.hourly
    grid = (
        f"each site's grid capacity plus grid.max_upgrade_steps={sc.grid.max_upgrade_steps} × grid.upgrade_step_kw="
        f"{sc.grid.upgrade_step_kw:g}"
        if sc.grid.enabled
        else f"hourly.max_connection_kw={hc.max_connection_kw:g}"
    )
    return (
        f"{grid} with hourly.max_battery_units={hc.max_battery_units} carrying hourly.simultaneity="
        f"{hc.simultaneity:g} of a hub's chargers' power"
    )


class HourlyFeature(Feature):
    """``[hourly] enabled``: arrival profiles per hub, chargers per hour, connection, battery, dispatch and
    energy cost sized by a master/subproblem decomposition with a proven bound; checked by simulation."""

    name = "hourly"
    assigns_stops = True
    supersedes = ("capacity", "grid")

    def enabled(self, scenario: Scenario) -> bool:
        return scenario.hourly.enabled

    def check_scenario(self, scenario: Scenario) -> None:
        refuse_contradictions(scenario)

    def prepare(self, ctx: RunContext) -> None:
        sc, instance = ctx.scenario, ctx.instance
        shapes, names, index = flow_profiles(sc.hourly, instance.flow_ids)
        existing = existing_by_type(ctx.sites, sc.chargers)
        costs = hub_costs(sc, float(instance.volume.sum()), existing)
        for line in existing_notes(ctx.sites, existing, [tl.name for tl in costs.types], costs.existing):
            ctx.log(f"hourly: {line}")
        crossing = crossing_hours(ctx.network, sc)
        routes = [list(r) for r in ctx.flows["route_nodes"]]
        hours = stop_hours(instance, ctx.network, routes, crossing, Timetable.of(sc), shapes, index, costs.charge_h)
        integer = sc.capacity.size_levels == "integer"
        available = site_grid_kw(ctx.sites, sc.grid) if sc.grid.enabled else None
        spec = master_spec(
            instance, hours, costs, master_hours=sc.hourly.master_hours, integer_levels=integer, available_kw=available
        )
        profiles = {
            "classes": names,
            "shares": {n: [round(float(v), 6) for v in s] for n, s in zip(names, shapes, strict=True)},
            "flows_by_class": {n: int((index == i).sum()) for i, n in enumerate(names)},
        }
        for tl in costs.types:
            ctx.log(
                f"hourly: {tl.name}: {len(tl.servers)} levels, up to {tl.servers[-1]} points ({tl.capacity[-1]:,.1f}/h)"
            )
        ctx.parts[self.name] = master_part(spec)
        ctx.data[self.name] = Prepared(costs, hours, spec, available, profiles)
        ch = sc.chargers
        ctx.data.setdefault("limits", []).append(
            f"chargers.mcs.max_per_hub={ch.mcs.max_per_hub}, chargers.ccs.max_per_hub={ch.ccs.max_per_hub}"
        )
        if min(spec.power_room.values(), default=math.inf) < max(t.power_kw * t.servers[-1] for t in costs.types):
            ctx.data["limits"].append(_power_limit(sc))

    def solve(self, ctx: RunContext) -> Solution:
        prep: Prepared = ctx.data[self.name]
        inputs = Inputs(
            ctx.scenario,
            ctx.instance,
            ctx.data["spec"],
            prep.spec,
            prep.costs,
            prep.hours,
            prep.available_kw,
            ctx.instance.site_ids,
        )
        return decompose(inputs, log=ctx.log)

    def decode(self, plan: Plan, ctx: RunContext) -> None:
        prep: Prepared = ctx.data[self.name]
        result = ctx.solution.extra[self.name]
        # Energies per itinerary (a split flow's trucks each charge what their own itinerary needs): the
        # economics report then measures the energy the hourly loads carry.
        ctx.data["stops"] = result.plan.stops
        hub_columns(plan, result, prep.costs, ctx.scenario, prep.available_kw)
        plan.extras.setdefault("tables", {})["hub_hourly.csv"] = hourly_table(plan, result, prep.costs)
        plan.summary["hourly"] = hourly_summary(plan, result, prep.costs, ctx.scenario, prep.profiles)

    def recomputed_capex(self, plan: Plan, ctx: RunContext) -> float:
        hc, grid, hubs = ctx.scenario.hourly, ctx.scenario.grid, plan.hubs
        capex = float(hubs["grid_connection_kw"].sum()) * hc.connection_eur_per_kw
        capex += float(hubs["grid_upgrade_kw"].sum()) / 1000.0 * grid.upgrade_eur_per_mw
        return capex + float(hubs["battery_units"].sum()) * hc.battery_unit_eur

    def cut_flows_load(self, plan: Plan, ctx: RunContext, sessions: np.ndarray, flows: pd.DataFrame) -> dict:
        return cut_flows_short(plan.hubs, sessions, ctx.scenario)

    def checks(self, plan: Plan, ctx: RunContext) -> list[Check]:
        return hourly_checks(plan, ctx)
