"""The grid feature: each hub's power within its site's grid capacity, paid upgrades and buffers."""

from __future__ import annotations

from planner.context import RunContext
from planner.features.base import Feature
from planner.features.grid.checks import grid_check
from planner.features.grid.decode import grid_outputs
from planner.features.grid.model import grid_model_spec, grid_part
from planner.plan import Plan
from planner.scenario import Scenario
from planner.verify import Check, hub_sessions

__all__ = ["GridFeature"]


class GridFeature(Feature):
    """``[grid] enabled``: grid capacity per site (defaults or capacity points), upgrade steps with
    lead times, on-site battery buffers; checked per hub by the verifier."""

    name = "grid"

    def enabled(self, scenario: Scenario) -> bool:
        return scenario.grid.enabled

    def prepare(self, ctx: RunContext) -> None:
        ctx.parts[self.name] = grid_part(grid_model_spec(ctx.scenario, ctx.sites))

    def decode(self, plan: Plan, ctx: RunContext) -> None:
        grid_outputs(plan, ctx.scenario, ctx.sites, ctx.solution.model, ctx.parts[self.name].data)

    def recomputed_capex(self, plan: Plan, ctx: RunContext) -> float:
        grid, hubs = ctx.scenario.grid, plan.hubs
        capex = float(hubs["grid_upgrade_kw"].sum()) / 1000.0 * grid.upgrade_eur_per_mw
        if "battery_units" in hubs:
            capex += float(hubs["battery_units"].sum()) * grid.battery_eur
        return capex

    def checks(self, plan: Plan, ctx: RunContext) -> list[Check]:
        sc = ctx.scenario
        sessions = {sid: n * ctx.session_factor for sid, n in hub_sessions(plan.flows).items()}
        vehicle = sc.vehicle
        session_kwh = (vehicle.soc_max - vehicle.soc_min) * vehicle.battery_kwh if sc.capacity.enabled else None
        return [grid_check(plan.hubs, sc.grid, sc.chargers, sessions, session_kwh)]
