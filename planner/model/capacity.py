"""Capacity family: charging stops assigned to hubs, chargers of each type sized by queueing.

Capacitated flow-refuelling in the spirit of Upchurch, Kuby & Lim (2009): each served flow
group ``g`` assigns its trucks to stops ``a[g,k] ∈ [0, 1]`` (share of its trucks charging at
site ``k``) such that every cover window has a full stop,
``Σ_{k∈W} a[g,k] ≥ y_g``. Windows of one trip are intervals along its route, so the
constraint matrix is an interval matrix: any fractional assignment is a mix of integral
stop sequences, i.e. a split of the flow's trucks over feasible itineraries.

Hub ``k`` then sees ``S_k = Σ_g V_g a[g,k]`` sessions per day, split over the charger types
``S_k = Σ_t s[k,t]`` (each type is its own M/M/c queue with its own session time). Precomputed
size levels (:func:`planner.queueing.size_levels`) give, for ``c`` points of type ``t``, the most
daily sessions whose peak-hour arrivals keep the mean wait under the target; one binary per
level: ``Σ_l z[k,t,l] = x_k`` and ``s[k,t] ≤ Σ_l cap[t,l] z[k,t,l]``. Capex is
``site_fixed · x_k + Σ_t Σ_l c[t,l] · capex_t · z[k,t,l]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp

from planner.model.variables import Variables


@dataclass(frozen=True)
class TypeLevels:
    """Size levels of one charger type.

    Attributes
    ----------
    name
        Catalogue name (``mcs``, ``ccs``).
    servers, capacity
        Points at each level and the daily sessions they take at the wait target.
    capex_eur, power_kw
        Capex and rated power per point.
    """

    name: str
    servers: tuple[int, ...]
    capacity: tuple[float, ...]
    capex_eur: float
    power_kw: float


@dataclass(frozen=True)
class CapacitySpec:
    """Sizing data for the capacity family.

    Attributes
    ----------
    types
        Size levels per offered charger type.
    site_fixed_eur
        Capex per new site.
    integer_levels
        Level variables binary (exact) or continuous (relaxation; hubs rounded up afterwards).
    """

    types: tuple[TypeLevels, ...]
    site_fixed_eur: float
    integer_levels: bool = True

    @property
    def max_capacity(self) -> float:
        """Most daily sessions one hub can take."""
        return float(sum(t.capacity[-1] for t in self.types))

    @property
    def max_capex(self) -> float:
        """Capex of the largest hub (site and points)."""
        return self.site_fixed_eur + sum(t.servers[-1] * t.capex_eur for t in self.types)


@dataclass
class CapacityVariables:
    """Assignment, level and per-type session variables, and the daily sessions assigned."""

    assign: dict[tuple[int, int], pulp.LpVariable]
    level: dict[tuple[int, int, int], pulp.LpVariable]
    split: dict[tuple[int, int], pulp.LpVariable]
    sessions: pulp.LpAffineExpression
    hub_sessions: dict[int, pulp.LpAffineExpression]


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
    cat = pulp.LpBinary if spec.integer_levels else pulp.LpContinuous
    level: dict[tuple[int, int, int], pulp.LpVariable] = {}
    split: dict[tuple[int, int], pulp.LpVariable] = {}
    sessions: dict[int, list[tuple[pulp.LpVariable, float]]] = {}
    hub_sessions: dict[int, pulp.LpAffineExpression] = {}
    for (g, k), a in assign.items():
        sessions.setdefault(k, []).append((a, float(group_volume[g])))
    for k in sorted(x):
        type_cap = []
        for ti, tl in enumerate(spec.types):
            for li in range(len(tl.servers)):
                level[k, ti, li] = problem.add_variable(f"level_{k}_{tl.name}_{li}", 0, 1, cat=cat)
            problem += (pulp.lpSum(level[k, ti, li] for li in range(len(tl.servers))) == x[k], f"size_{k}_{tl.name}")
            type_cap.append(pulp.lpSum(tl.capacity[li] * level[k, ti, li] for li in range(len(tl.servers))))
        if k not in sessions:
            continue
        demand = pulp.lpSum(v * a for a, v in sessions[k])
        hub_sessions[k] = demand
        if len(spec.types) == 1:
            problem += (demand <= type_cap[0], f"capacity_{k}")
            continue
        for ti, tl in enumerate(spec.types):
            split[k, ti] = problem.add_variable(f"sessions_{k}_{tl.name}", 0, None)
            problem += (split[k, ti] <= type_cap[ti], f"capacity_{k}_{tl.name}")
        problem += (demand <= pulp.lpSum(split[k, ti] for ti in range(len(spec.types))), f"split_{k}")
    total = pulp.lpSum(float(group_volume[g]) * a for (g, _), a in assign.items())
    return CapacityVariables(assign=assign, level=level, split=split, sessions=total, hub_sessions=hub_sessions)


def capacity_cost(
    variables: Variables, cap_vars: CapacityVariables, spec: CapacitySpec, locked: np.ndarray
) -> pulp.LpAffineExpression:
    """Capex expression: site fixed cost of new hubs plus the points of every hub's size levels."""
    fixed = pulp.lpSum(spec.site_fixed_eur * x for k, x in variables.open.items() if not locked[k])
    chargers = pulp.lpSum(
        spec.types[ti].servers[li] * spec.types[ti].capex_eur * z for (k, ti, li), z in cap_vars.level.items()
    )
    return fixed + chargers


def hub_power(cap_vars: CapacityVariables, spec: CapacitySpec, k: int) -> pulp.LpAffineExpression:
    """Installed power (kW) of hub ``k`` from its size levels."""
    return pulp.lpSum(
        tl.servers[li] * tl.power_kw * cap_vars.level[k, ti, li]
        for ti, tl in enumerate(spec.types)
        for li in range(len(tl.servers))
    )
