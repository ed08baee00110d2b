"""Grid family: a hub's simultaneous power fits its site's grid capacity, paid upgrades and buffers.

``σ P_k ≤ G_k x_k + step · u_k + b · β_k`` with ``u_k ∈ {0, …, max_steps}`` integer upgrade steps
(none when the upgrade lead time does not fit before the plan year) and ``β_k ∈ {0, …,
max_batteries}`` on-site battery buffer units of usable power ``b = min(kW, kWh / peak hours)``
each, which discharge over the daily peak and recharge off-peak. ``P_k`` is the installed power,
``Σ_t Σ_l c[t,l] p_t z[k,t,l]`` with size levels, or the minimum pool's power ``x_k Σ_t min_t p_t``
without; ``σ`` the simultaneity factor. Upgrades cost ``step_eur · u_k``, buffers
``battery_eur · β_k``. With sizing, the hub's daily energy fits 24 hours of its connection:
``e S_k ≤ 24 (G_k x_k + step · u_k)`` (``e`` energy per session).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp

from planner.chargers import hub_power_kw, min_counts
from planner.features.capacity.model import CapacitySpec, CapacityVariables, hub_power
from planner.features.coverage.model import ModelPart, PlanningModel
from planner.features.coverage.variables import Variables
from planner.features.grid.sites import site_grid_kw
from planner.scenario import Scenario

__all__ = ["GridSpec", "GridVariables", "add_grid", "grid_model_spec", "grid_part"]


@dataclass(frozen=True)
class GridSpec:
    """Grid data for the model.

    Attributes
    ----------
    available_kw
        Capacity per candidate site (instance order).
    simultaneity
        Share of installed power drawn at once.
    fixed_power_kw
        Installed power of a hub when hubs are not sized (its minimum pool).
    step_kw, step_eur, max_steps
        Upgrade step size, its cost, and the most steps per site (0: no upgrades).
    battery_kw, battery_eur, max_batteries
        Usable peak power and capex of one buffer unit, and the most units per site (0: none).
    session_kwh
        Energy per charging session; with sizing, a hub's daily energy must fit 24 h of its grid
        connection (buffers shift energy into the peak, they do not create it).
    """

    available_kw: np.ndarray
    simultaneity: float
    fixed_power_kw: float
    step_kw: float
    step_eur: float
    max_steps: int
    battery_kw: float = 0.0
    battery_eur: float = 0.0
    max_batteries: int = 0
    session_kwh: float = 0.0


@dataclass
class GridVariables:
    """Upgrade steps and buffer units per site, and their cost."""

    upgrade: dict[int, pulp.LpVariable]
    battery: dict[int, pulp.LpVariable]
    cost: pulp.LpAffineExpression


def add_grid(
    problem: pulp.LpProblem,
    variables: Variables,
    spec: GridSpec,
    cap_spec: CapacitySpec | None,
    cap_vars: CapacityVariables | None,
) -> GridVariables:
    """Add ``grid_k`` rows, upgrade and buffer variables; return them and their cost."""
    upgrade: dict[int, pulp.LpVariable] = {}
    battery: dict[int, pulp.LpVariable] = {}
    for k, x in variables.open.items():
        if cap_vars is not None and cap_spec is not None:
            power = spec.simultaneity * hub_power(cap_vars, cap_spec, k)
        else:
            power = spec.simultaneity * spec.fixed_power_kw * x
        rhs = float(spec.available_kw[k]) * x
        if spec.max_steps > 0:
            upgrade[k] = problem.add_variable(f"upgrade_{k}", 0, spec.max_steps, cat=pulp.LpInteger)
            problem += (upgrade[k] <= spec.max_steps * x, f"upgrade_open_{k}")
            rhs = rhs + spec.step_kw * upgrade[k]
        rhs_grid = rhs
        if spec.max_batteries > 0 and spec.battery_kw > 0:
            battery[k] = problem.add_variable(f"battery_{k}", 0, spec.max_batteries, cat=pulp.LpInteger)
            problem += (battery[k] <= spec.max_batteries * x, f"battery_open_{k}")
            rhs = rhs + spec.battery_kw * battery[k]
        problem += (power <= rhs, f"grid_{k}")
        if cap_vars is not None and spec.session_kwh > 0 and k in cap_vars.hub_sessions:
            problem += (spec.session_kwh * cap_vars.hub_sessions[k] <= 24.0 * rhs_grid, f"grid_energy_{k}")
    cost = pulp.lpSum(spec.step_eur * u for u in upgrade.values()) + pulp.lpSum(
        spec.battery_eur * b for b in battery.values()
    )
    return GridVariables(upgrade=upgrade, battery=battery, cost=cost)


def grid_model_spec(scenario: Scenario, sites) -> GridSpec:
    """Grid capacity per site, upgrade and buffer options for the model."""
    g = scenario.grid
    return GridSpec(
        available_kw=site_grid_kw(sites, g),
        simultaneity=g.simultaneity,
        fixed_power_kw=hub_power_kw(min_counts(scenario.chargers), scenario.chargers),
        step_kw=g.upgrade_step_kw,
        step_eur=g.upgrade_eur_per_mw * g.upgrade_step_kw / 1000.0,
        max_steps=g.max_upgrade_steps if g.upgrades_available else 0,
        battery_kw=g.battery_unit_kw,
        battery_eur=g.battery_eur,
        max_batteries=g.max_batteries_per_hub if g.battery_unit_kw > 0 else 0,
        session_kwh=(scenario.vehicle.soc_max - scenario.vehicle.soc_min) * scenario.vehicle.battery_kwh,
    )


def _add(model: PlanningModel, spec: GridSpec) -> None:
    cap = model.spec.part("capacity")
    grid_vars = add_grid(
        model.problem, model.variables, spec, None if cap is None else cap.data, model.parts.get("capacity")
    )
    model.parts["grid"] = grid_vars
    model.extra_capex.append(grid_vars.cost)
    model.extra_scale += (spec.step_eur * spec.max_steps + spec.battery_eur * spec.max_batteries) * len(
        model.variables.open
    )


def grid_part(spec: GridSpec) -> ModelPart:
    """The grid feature's model part (grid rows, upgrade steps, buffer units and their cost)."""
    return ModelPart("grid", spec, add=_add)
