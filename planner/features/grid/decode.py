"""Decoding the grid part: capacity, upgrades and buffer units per hub, their cost added to the hub's capex."""

from __future__ import annotations

import numpy as np

from planner.features.grid.model import GridSpec
from planner.plan import Plan
from planner.scenario import Scenario

__all__ = ["grid_outputs"]


def grid_outputs(plan: Plan, scenario: Scenario, sites, model, spec: GridSpec) -> None:
    """Grid capacity and upgrades per hub; upgrade cost added to the hub's capex."""
    index = {sid: i for i, sid in enumerate(sites["site_id"])}
    ks = [index[s] for s in plan.hubs["site_id"]]
    grid_vars = model.parts.get("grid")
    upgrade = grid_vars.upgrade if grid_vars is not None else {}
    battery = grid_vars.battery if grid_vars is not None else {}
    steps = np.array([round(upgrade[k].value() or 0.0) if k in upgrade else 0 for k in ks], dtype=int)
    units = np.array([round(battery[k].value() or 0.0) if k in battery else 0 for k in ks], dtype=int)
    g = scenario.grid
    plan.hubs["grid_available_kw"] = spec.available_kw[ks] if ks else []
    plan.hubs["grid_upgrade_kw"] = steps * spec.step_kw
    plan.hubs["battery_units"] = units
    plan.hubs["battery_kwh"] = units * g.battery_kwh
    plan.hubs["battery_kw"] = units * spec.battery_kw
    plan.hubs["cost_eur"] = plan.hubs["cost_eur"] + steps * spec.step_eur + units * spec.battery_eur
    plan.summary["total_cost_eur"] = float(plan.hubs["cost_eur"].sum())
    plan.summary["grid"] = {
        "upgrade_steps": int(steps.sum()),
        "upgrade_mw": float(steps.sum() * spec.step_kw / 1000),
        "upgrade_cost_eur": float(steps.sum() * spec.step_eur),
        "upgrades_available": spec.max_steps > 0,
    }
