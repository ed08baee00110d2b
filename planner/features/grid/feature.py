"""The grid feature: each hub's power within its site's grid capacity, paid upgrades and buffers."""

from __future__ import annotations

from planner.context import RunContext
from planner.errors import InfeasibleError
from planner.features.base import Feature
from planner.features.grid.checks import grid_check
from planner.features.grid.decode import grid_outputs
from planner.features.grid.model import GridSpec, grid_model_spec, grid_part
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
        spec = grid_model_spec(ctx.scenario, ctx.sites)
        ctx.parts[self.name] = grid_part(spec)
        grid = ctx.scenario.grid
        where = (
            f"grid.capacity_file {grid.capacity_file.name}"
            if grid.capacity_file is not None
            else f"grid.default_node_kw = {grid.default_node_kw:,.0f} kW, default_edge_kw = "
            f"{grid.default_edge_kw:,.0f} kW"
        )
        if spec.max_steps:
            upgrades = f"grid.max_upgrade_steps = {spec.max_steps} of {spec.step_kw:,.0f} kW"
        elif grid.max_upgrade_steps:
            upgrades = f"no upgrade ready by grid.plan_year = {grid.plan_year} (upgrade_lead_time_years)"
        else:
            upgrades = "grid.max_upgrade_steps = 0"
        limit = f"the sites' grid capacity ({where}, {upgrades})"
        _refuse_unpowered(ctx, spec, limit)
        ctx.data.setdefault("limits", []).append(limit)

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


def _refuse_unpowered(ctx: RunContext, spec: GridSpec, limit: str) -> None:
    """Refuse a scenario in which no candidate site can power a new hub's minimum pool, even with every
    upgrade step and buffer unit, and there is no existing hub: every plan would be empty."""
    if ctx.instance.site_locked.any():
        return
    need = spec.simultaneity * spec.fixed_power_kw
    most = float(spec.available_kw.max(initial=0.0)) + spec.step_kw * spec.max_steps
    most += spec.battery_kw * spec.max_batteries
    if need > most + 1e-9:
        raise InfeasibleError(
            f"{ctx.scenario.where}: no candidate site can power a new hub: its minimum pool draws {need:,.0f} kW "
            f"(grid.simultaneity × the chargers' min_per_hub points) and {limit} give a site at most {most:,.0f} kW "
            "with every upgrade and buffer; raise them or lower chargers.mcs.min_per_hub / chargers.ccs.min_per_hub."
        )
