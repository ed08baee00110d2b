"""Grid family: a hub's simultaneous power fits its site's grid capacity plus paid upgrades.

``P_k ≤ G_k x_k + step · u_k`` with ``u_k ∈ {0, …, max_steps}`` integer upgrade steps (none when
the upgrade lead time does not fit before the plan year). ``P_k`` is
``Σ_c c · p · z[k,c]`` with size levels, or ``chargers_per_hub · p · x_k`` without
(``p`` = charger power × simultaneity). Upgrades cost ``step_eur · u_k``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp

from planner.model.capacity import CapacitySpec, CapacityVariables
from planner.model.variables import Variables


@dataclass(frozen=True)
class GridSpec:
    """Grid data for the model.

    Attributes
    ----------
    available_kw
        Capacity per candidate site (instance order).
    kw_per_charger
        Charger power × simultaneity.
    fixed_chargers
        Chargers of a hub when hubs are not sized (``costs.chargers_per_hub``).
    step_kw, step_eur, max_steps
        Upgrade step size, its cost, and the most steps per site (0: no upgrades).
    """

    available_kw: np.ndarray
    kw_per_charger: float
    fixed_chargers: int
    step_kw: float
    step_eur: float
    max_steps: int


def add_grid(
    problem: pulp.LpProblem,
    variables: Variables,
    spec: GridSpec,
    cap_spec: CapacitySpec | None,
    cap_vars: CapacityVariables | None,
) -> tuple[dict[int, pulp.LpVariable], pulp.LpAffineExpression]:
    """Add ``grid_k`` rows and upgrade variables; return them and their cost expression."""
    upgrade: dict[int, pulp.LpVariable] = {}
    for k, x in variables.open.items():
        if cap_vars is not None and cap_spec is not None:
            power = pulp.lpSum(
                cap_spec.servers[li] * spec.kw_per_charger * cap_vars.level[k, li]
                for li in range(len(cap_spec.servers))
            )
        else:
            power = spec.fixed_chargers * spec.kw_per_charger * x
        rhs = float(spec.available_kw[k]) * x
        if spec.max_steps > 0:
            upgrade[k] = problem.add_variable(f"upgrade_{k}", 0, spec.max_steps, cat=pulp.LpInteger)
            problem += (upgrade[k] <= spec.max_steps * x, f"upgrade_open_{k}")
            rhs = rhs + spec.step_kw * upgrade[k]
        problem += (power <= rhs, f"grid_{k}")
    cost = pulp.lpSum(spec.step_eur * u for u in upgrade.values())
    return upgrade, cost
