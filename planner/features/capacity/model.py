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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pulp

from planner.features.capacity.cut_load import CutLoad, add_cut_load
from planner.features.coverage.model import ModelPart, PlanningModel
from planner.features.coverage.variables import Variables, group_weight

__all__ = [
    "CapacitySpec",
    "CapacityVariables",
    "TypeLevels",
    "add_assignments",
    "add_capacity",
    "add_hub_sizing",
    "capacity_cost",
    "capacity_part",
    "cut_load_part",
    "hub_power",
    "hull_indices",
    "site_levels",
    "site_reach",
]


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

    def level_for(self, sessions: float) -> int:
        """Index of the smallest level taking ``sessions`` a day (the largest if none does)."""
        return next((li for li, cp in enumerate(self.capacity) if cp >= sessions - 1e-9), len(self.capacity) - 1)


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
    existing
        Points already standing at existing hubs, by ``(site, type index)`` (only the sites with any):
        a hub keeps them (no level below them) and pays only for points beyond them.
    """

    types: tuple[TypeLevels, ...]
    site_fixed_eur: float
    integer_levels: bool = True
    existing: Mapping[tuple[int, int], int] = field(default_factory=dict)

    def existing_at(self, k: int, ti: int) -> int:
        """Points of type ``ti`` already standing at site ``k``."""
        return int(self.existing.get((k, ti), 0))

    def points_cost(self, k: int, ti: int, li: int) -> float:
        """Capex of level ``li`` of type ``ti`` at site ``k``: its points beyond those already there."""
        tl = self.types[ti]
        return max(tl.servers[li] - self.existing_at(k, ti), 0) * tl.capex_eur

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


def hull_indices(capacity: Sequence[float], servers: Sequence[int]) -> list[int]:
    """Indices of the levels on the lower convex hull of (capacity, cost ∝ servers), by capacity.

    A level above the hull is a convex combination of cheaper ones with at least its capacity,
    so a model with continuous levels never needs it.
    """
    order = sorted(range(len(capacity)), key=lambda i: (capacity[i], servers[i]))
    hull: list[int] = []
    for i in order:
        if hull and capacity[hull[-1]] == capacity[i]:
            continue  # same capacity, more servers: dominated
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # drop the middle point if it lies on or above the chord from a to i
            if (servers[b] - servers[a]) * (capacity[i] - capacity[a]) >= (servers[i] - servers[a]) * (
                capacity[b] - capacity[a]
            ):
                hull.pop()
            else:
                break
        hull.append(i)
    return hull


def site_levels(levels: TypeLevels, most: float | None, *, hull: bool, existing: int = 0) -> list[int]:
    """Indices of the size levels a hub needs when at most ``most`` daily sessions can reach it.

    No hub needs a level above the smallest one taking ``most`` (it would cost more and take
    nothing more), so those are left out; this is what tightens the linear relaxation: a site few
    flows pass cannot be priced at the pooling rate of the largest hub. With ``hull`` (continuous
    levels) only the lower convex hull of the levels kept is needed (:func:`hull_indices`).
    ``existing`` points already stand at the site: no level below them (the largest if none
    reaches them), and a level costs only its points beyond them.
    """
    first = next((li for li, c in enumerate(levels.servers) if c >= existing), len(levels.servers) - 1)
    n = len(levels.servers) if most is None else levels.level_for(most * (1 + 1e-6)) + 1
    n = max(n, first + 1)
    if not hull:
        return list(range(first, n))
    cost = [max(c - existing, 0) for c in levels.servers[first:n]]
    return [first + i for i in hull_indices(levels.capacity[first:n], cost)]


def site_reach(
    group_windows: Sequence[Sequence[tuple[int, ...]]], group_volume: np.ndarray, n_sites: int
) -> np.ndarray:
    """Per site, the trucks/day of every group with a window holding it: the most sessions it could get
    (``D_k``; a group counts once however many of its windows hold the site)."""
    reach = np.zeros(n_sites)
    for g, wins in enumerate(group_windows):
        for k in sorted({k for w in wins for k in w}):
            reach[k] += float(group_volume[g])
    return reach


def add_assignments(
    problem: pulp.LpProblem,
    group_windows: Sequence[Sequence[tuple[int, ...]]],
    x: Mapping[int, pulp.LpVariable],
    y: Mapping[int, pulp.LpVariable],
    volume: Sequence[float],
    *,
    suffix: str = "",
    stop_suffix: str = "",
) -> tuple[dict[tuple[int, int], pulp.LpVariable], dict[int, pulp.LpAffineExpression]]:
    """Stops assigned to open hubs: ``a[g,k] ≤ x_k`` and ``Σ_{k∈W} a[g,k] ≥ y_g`` for every window.

    Returns the assignment variables and each hub's sessions ``Σ_g volume_g a[g,k]``. ``suffix``
    and ``stop_suffix`` keep names unique when the rows are added once per planning year.
    """
    assign: dict[tuple[int, int], pulp.LpVariable] = {}
    for g, wins in enumerate(group_windows):
        for k in sorted({k for w in wins for k in w}):
            assign[g, k] = problem.add_variable(f"assign_{g}_{k}{suffix}", 0, 1)
            # Disaggregated link (tightens the LP relaxation): charge only at open hubs.
            problem += (assign[g, k] <= x[k], f"link_{g}_{k}{suffix}")
        for i, w in enumerate(wins):
            problem += (pulp.lpSum(assign[g, k] for k in w) >= y[g], f"stop_g{g}_w{i}{stop_suffix}")
    terms: dict[int, list[tuple[pulp.LpVariable, float]]] = {}
    for (g, k), a in assign.items():
        terms.setdefault(k, []).append((a, float(volume[g])))
    return assign, {k: pulp.lpSum(v * a for a, v in ts) for k, ts in terms.items()}


def add_hub_sizing(
    problem: pulp.LpProblem,
    spec: CapacitySpec,
    k: int,
    x_k: pulp.LpVariable,
    demand: pulp.LpAffineExpression | None,
    *,
    tag: str = "",
    most: float | None = None,
) -> tuple[dict[tuple[int, int], pulp.LpVariable], dict[int, pulp.LpVariable]]:
    """Size levels of every type at hub ``k`` (``Σ_l z = x_k``) and, with sessions, the capacity rows.

    Returns the level variables by ``(type, level)`` (level indices into ``spec.types``) and the
    per-type session variables by type (none with a single type). ``tag`` keeps names unique per
    planning year. ``most``, the most sessions ``demand`` can reach, leaves out the levels no hub
    there needs (:func:`site_levels`); ``None`` keeps every level.
    """
    cat = pulp.LpBinary if spec.integer_levels else pulp.LpContinuous
    level: dict[tuple[int, int], pulp.LpVariable] = {}
    type_cap = []
    for ti, tl in enumerate(spec.types):
        keep = site_levels(tl, most, hull=not spec.integer_levels, existing=spec.existing_at(k, ti))
        for li in keep:
            level[ti, li] = problem.add_variable(f"level_{k}{tag}_{tl.name}_{li}", 0, 1, cat=cat)
        problem += (pulp.lpSum(level[ti, li] for li in keep) == x_k, f"size_{k}{tag}_{tl.name}")
        type_cap.append(pulp.lpSum(tl.capacity[li] * level[ti, li] for li in keep))
    split: dict[int, pulp.LpVariable] = {}
    if demand is None:
        return level, split
    if len(spec.types) == 1:
        problem += (demand <= type_cap[0], f"capacity_{k}{tag}")
        return level, split
    for ti, tl in enumerate(spec.types):
        split[ti] = problem.add_variable(f"sessions_{k}{tag}_{tl.name}", 0, None)
        problem += (split[ti] <= type_cap[ti], f"capacity_{k}{tag}_{tl.name}")
    problem += (demand <= pulp.lpSum(split.values()), f"split_{k}{tag}")
    return level, split


def add_capacity(
    problem: pulp.LpProblem,
    variables: Variables,
    group_volume: np.ndarray,
    spec: CapacitySpec,
    cut: CutLoad | None = None,
) -> CapacityVariables:
    """Add assignment, level and capacity constraints (and ``cut``'s rows,
    :func:`~planner.features.capacity.cut_load.add_cut_load`); return the new variables."""
    x = variables.open
    assign, hub_sessions = add_assignments(problem, variables.group_windows, x, variables.served, group_volume)
    reach = site_reach(variables.group_windows, group_volume, max(x, default=-1) + 1)
    if cut is not None:
        add_cut_load(problem, x, cut, hub_sessions, reach)
    level: dict[tuple[int, int, int], pulp.LpVariable] = {}
    split: dict[tuple[int, int], pulp.LpVariable] = {}
    for k in sorted(x):
        lv, sp = add_hub_sizing(problem, spec, k, x[k], hub_sessions.get(k), most=float(reach[k]))
        level.update({(k, ti, li): v for (ti, li), v in lv.items()})
        split.update({(k, ti): v for ti, v in sp.items()})
    total = pulp.lpSum(float(group_volume[g]) * a for (g, _), a in assign.items())
    return CapacityVariables(assign=assign, level=level, split=split, sessions=total, hub_sessions=hub_sessions)


def capacity_cost(
    variables: Variables, cap_vars: CapacityVariables, spec: CapacitySpec, locked: np.ndarray
) -> pulp.LpAffineExpression:
    """Capex expression: site fixed cost of new hubs plus the points of every hub's size levels (beyond the
    points already standing at existing hubs)."""
    fixed = pulp.lpSum(spec.site_fixed_eur * x for k, x in variables.open.items() if not locked[k])
    chargers = pulp.lpSum(spec.points_cost(k, ti, li) * z for (k, ti, li), z in cap_vars.level.items())
    return fixed + chargers


def hub_power(cap_vars: CapacityVariables, spec: CapacitySpec, k: int) -> pulp.LpAffineExpression:
    """Installed power (kW) of hub ``k`` from its size levels."""
    return pulp.lpSum(
        tl.servers[li] * tl.power_kw * cap_vars.level[k, ti, li]
        for ti, tl in enumerate(spec.types)
        for li in range(len(tl.servers))
        if (k, ti, li) in cap_vars.level
    )


def _add(model: PlanningModel, data: CapacitySpec | tuple[CapacitySpec, CutLoad]) -> None:
    spec, cut = data if isinstance(data, tuple) else (data, None)
    variables, instance = model.variables, model.instance
    gvolume = group_weight(instance, variables.groups, instance.volume)
    cap_vars = add_capacity(model.problem, variables, gvolume, spec, cut)
    model.parts["capacity"] = cap_vars
    model.assign = cap_vars.assign

    def price(m: PlanningModel) -> tuple[pulp.LpAffineExpression, float]:
        # Site fixed cost of new hubs plus the points of every hub's size levels.
        return capacity_cost(variables, cap_vars, spec, instance.site_locked), len(variables.open) * spec.max_capex

    model.price_hubs = price
    # A charge of 10⁻⁶ × the cheapest point's price per assigned session: among equally cheap plans,
    # trucks stop no more often than their trip needs (sessions are not inflated).
    cheapest = min(t.capex_eur for t in spec.types)
    model.charge = 1e-6 * cheapest * cap_vars.sessions


def capacity_part(spec: CapacitySpec) -> ModelPart:
    """The capacity feature's model part (assignments, size levels, capacity rows, hub pricing)."""
    return ModelPart("capacity", spec, add=_add, binary_served=True)


def cut_load_part(spec: CapacitySpec, cut: CutLoad) -> ModelPart:
    """:func:`capacity_part` with the rows of the flows a ``demand.max_flows`` cut left out
    (:mod:`planner.features.capacity.cut_load`)."""
    return ModelPart("capacity", (spec, cut), add=_add, binary_served=True, sites=cut.sites)
