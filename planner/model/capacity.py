"""Capacity family: charging stops assigned to hubs, chargers sized by queueing levels.

Capacitated flow-refuelling in the spirit of Upchurch, Kuby & Lim (2009): each served flow
group ``g`` assigns its trucks to stops ``a[g,k] ∈ [0, 1]`` (share of its trucks charging at
site ``k``) such that every cover window has a full stop,
``Σ_{k∈W} a[g,k] ≥ y_g``. Windows of one trip are intervals along its route, so the
constraint matrix is an interval matrix: any fractional assignment is a mix of integral
stop sequences, i.e. a split of the flow's trucks over feasible itineraries.

Hub ``k`` then sees ``S_k = Σ_g V_g a[g,k]`` sessions per day. Precomputed size levels
(:func:`planner.queueing.size_levels`) give, for ``c`` chargers, the most daily sessions whose
peak-hour arrivals keep the M/M/c mean wait under the target; one binary per level:
``Σ_l z[k,l] = x_k`` and ``S_k ≤ Σ_l cap_l z[k,l]``. Capex is
``site_fixed · x_k + Σ_l c_l · charger_eur · z[k,l]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp

from planner.model.variables import Variables


@dataclass(frozen=True)
class CapacitySpec:
    """Sizing data for the capacity family.

    Attributes
    ----------
    servers, capacity
        Size levels: number of chargers and the daily sessions they take at the wait target.
    charger_eur, site_fixed_eur
        Capex per charger and per new site.
    integer_levels
        Level variables binary (exact) or continuous (relaxation; hubs rounded up afterwards).
    """

    servers: tuple[int, ...]
    capacity: tuple[float, ...]
    charger_eur: float
    site_fixed_eur: float
    integer_levels: bool = True


@dataclass
class CapacityVariables:
    """Assignment and level variables, and the daily sessions they assign (``sessions``)."""

    assign: dict[tuple[int, int], pulp.LpVariable]
    level: dict[tuple[int, int], pulp.LpVariable]
    sessions: pulp.LpAffineExpression


def add_capacity(
    problem: pulp.LpProblem, variables: Variables, group_volume: np.ndarray, spec: CapacitySpec
) -> CapacityVariables:
    """Add assignment, level and capacity constraints; return the new variables."""
    x = variables.open
    assign: dict[tuple[int, int], pulp.LpVariable] = {}
    for g, wins in enumerate(variables.group_windows):
        y = variables.served[g]
        for k in sorted({k for w in wins for k in w}):
            assign[g, k] = problem.add_variable(f"assign_{g}_{k}", 0, 1)
            # Disaggregated link (tightens the LP relaxation): charge only at open hubs.
            problem += (assign[g, k] <= x[k], f"link_{g}_{k}")
        for i, w in enumerate(wins):
            problem += (pulp.lpSum(assign[g, k] for k in w) >= y, f"stop_g{g}_w{i}")
    level: dict[tuple[int, int], pulp.LpVariable] = {}
    sessions: dict[int, list[tuple[pulp.LpVariable, float]]] = {}
    for (g, k), a in assign.items():
        sessions.setdefault(k, []).append((a, float(group_volume[g])))
    for k in sorted(x):
        for li in range(len(spec.servers)):
            level[k, li] = problem.add_variable(
                f"level_{k}_{li}", 0, 1, cat=pulp.LpBinary if spec.integer_levels else pulp.LpContinuous
            )
        problem += (pulp.lpSum(level[k, li] for li in range(len(spec.servers))) == x[k], f"one_size_{k}")
        if k in sessions:
            problem += (
                pulp.lpSum(v * a for a, v in sessions[k])
                <= pulp.lpSum(spec.capacity[li] * level[k, li] for li in range(len(spec.servers))),
                f"capacity_{k}",
            )
    total = pulp.lpSum(float(group_volume[g]) * a for (g, _), a in assign.items())
    return CapacityVariables(assign=assign, level=level, sessions=total)


def capacity_cost(
    variables: Variables, cap_vars: CapacityVariables, spec: CapacitySpec, locked: np.ndarray
) -> pulp.LpAffineExpression:
    """Capex expression: site fixed cost of new hubs plus chargers of every hub's size level."""
    fixed = pulp.lpSum(spec.site_fixed_eur * x for k, x in variables.open.items() if not locked[k])
    chargers = pulp.lpSum(spec.servers[li] * spec.charger_eur * z for (k, li), z in cap_vars.level.items())
    return fixed + chargers
