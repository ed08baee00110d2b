"""The master of the hourly decomposition: open sites, stop assignment, chargers per busiest hour.

Built on the core model (:func:`planner.features.coverage.model.build_model`) as the ``hourly``
model part. With the capacity family's assignments (``a[g,k]``, :func:`add_assignments`), each site's
arrivals in hour ``h`` are linear in them, ``λ[k,h] = Σ_g A[g,k,h] a[g,k]`` (``A``: the group's
trucks/day times their share arriving at ``k`` in hour ``h``, :mod:`planner.features.hourly.arrivals`).
Chargers take one level variable per type and level, ``Σ_l z[k,t,l] = x_k``, and for each hour ``h`` of
the site's row set ``H_k``: ``λ[k,h] ≤ Σ_t Σ_l cap[t,l] z[k,t,l]`` (``hour_k_h``). The price is annual:
``site_annual · x_k`` (new sites) plus each level's points' annuity.

Everything priced here is a lower bound of the same part of the exact hub cost (``H_k`` is a subset of
the 24 hours; energy, connection and battery are left to the subproblems and their own bound), so the
master's bound is a valid bound on that part. ``caps`` (sessions per site, from subproblems that found
no design) are heuristic cuts: a master with them proves nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pulp

from planner.features.capacity.model import TypeLevels, add_assignments, site_levels
from planner.features.coverage.model import ModelPart, PlanningModel
from planner.features.coverage.variables import group_flows, group_weight
from planner.features.hourly.arrivals import StopHours
from planner.features.hourly.costs import HubCosts
from planner.instance import PlanningInstance

__all__ = ["MasterSpec", "MasterVariables", "master_part", "master_spec"]

_CHARGE = 1e-6  # per assigned session, × the cheapest point's annual cost: no needless stops


@dataclass(frozen=True)
class MasterSpec:
    """Data of the master.

    Attributes
    ----------
    types
        Charger levels per type (capacity in arrivals per hour).
    charger_annual
        Annual cost of one point per type.
    site_annual
        Annual cost of a new site.
    arrivals
        ``A[g,k]``: trucks arriving per hour at site ``k`` (24 values) if group ``g`` charges there fully.
    hours
        ``H_k``: the hours whose arrivals the master bounds, per site.
    integer_levels
        Binary levels (exact charger count per hub) or continuous (a relaxation).
    caps
        Most daily sessions per site (heuristic cuts after a subproblem found no design).
    power_price
        ``ψ_k``: a valid price per kW of chargers at site ``k`` for the connection and battery power they
        need (:func:`~planner.features.hourly.hub_sizing.load_duals`), added to each level's cost.
    power_room
        The most chargers' power (kW) a site's connection and batteries can carry at ``simultaneity``
        (:meth:`~planner.features.hourly.costs.HubCosts.power_room_kw`): a level above it has no design.
    """

    types: tuple[TypeLevels, ...]
    charger_annual: tuple[float, ...]
    site_annual: float
    arrivals: dict[tuple[int, int], np.ndarray]
    hours: dict[int, tuple[int, ...]]
    integer_levels: bool = True
    caps: dict[int, float] = field(default_factory=dict)
    power_price: dict[int, float] = field(default_factory=dict)
    power_room: dict[int, float] = field(default_factory=dict)
    existing: Mapping[tuple[int, int], int] = field(default_factory=dict)

    def point_costs(self, k: int) -> tuple[float, ...]:
        """Annual cost of one point of each type at site ``k`` (its annuity plus the power it needs)."""
        psi = self.power_price.get(k, 0.0)
        return tuple(a + psi * t.power_kw for a, t in zip(self.charger_annual, self.types, strict=True))

    def level_cost(self, k: int, ti: int, li: int) -> float:
        """Annual cost of level ``li`` of type ``ti`` at site ``k``: the annuity of its points beyond those
        already standing there (``existing``) and the power of all of them."""
        tl, psi = self.types[ti], self.power_price.get(k, 0.0)
        new = max(tl.servers[li] - int(self.existing.get((k, ti), 0)), 0)
        if new == tl.servers[li]:  # nothing standing: as :meth:`point_costs` per point (the same floats)
            return tl.servers[li] * (self.charger_annual[ti] + psi * tl.power_kw)
        return new * self.charger_annual[ti] + tl.servers[li] * psi * tl.power_kw

    def with_hours(self, extra: dict[int, set[int]]) -> MasterSpec:
        """The same spec with more hour rows."""
        hours = {k: tuple(sorted(set(h) | extra.get(k, set()))) for k, h in self.hours.items()}
        return replace(self, hours=hours)

    @property
    def charge_per_session(self) -> float:
        """Objective charge per assigned session (a tie-break: trucks stop no more often than needed)."""
        return _CHARGE * max(min(self.charger_annual), 1.0)

    def charge_bound(self, gvolume: np.ndarray) -> float:
        """Largest value the session charge can take (every assignment at 1): subtract it from a bound."""
        return self.charge_per_session * float(sum(gvolume[g] for g, _ in self.arrivals))


@dataclass
class MasterVariables:
    """Assignments, level variables and each site's daily sessions."""

    assign: dict[tuple[int, int], pulp.LpVariable]
    level: dict[tuple[int, int, int], pulp.LpVariable]
    hub_sessions: dict[int, pulp.LpAffineExpression]


def _levels(problem: pulp.LpProblem, spec: MasterSpec, k: int, x: pulp.LpVariable, level: dict, most: float) -> list:
    """Level variables of site ``k`` (``Σ_l z = x``); ``most``: the most arrivals in any hour every group
    passing ``k`` could bring, above which no level is needed (:func:`site_levels`). A level whose power the
    site's grid and batteries cannot carry (``spec.power_room``) is left out: no hub design could have it."""
    cat = pulp.LpBinary if spec.integer_levels else pulp.LpContinuous
    cap_terms = []
    room = spec.power_room.get(k, math.inf)
    for ti, tl in enumerate(spec.types):
        kept = site_levels(tl, most, hull=not spec.integer_levels, existing=int(spec.existing.get((k, ti), 0)))
        keep = [li for li in kept if tl.servers[li] * tl.power_kw <= room]
        zs = {li: problem.add_variable(f"hlevel_{k}_{tl.name}_{li}", 0, 1, cat=cat) for li in keep}
        problem += (pulp.lpSum(zs.values()) == x, f"hsize_{k}_{tl.name}")
        for li, z in zs.items():
            level[k, ti, li] = z
            if tl.capacity[li] > 0:
                cap_terms.append((z, float(tl.capacity[li])))
    return cap_terms


def _add(model: PlanningModel, spec: MasterSpec) -> None:
    problem, v, instance = model.problem, model.variables, model.instance
    gvolume = group_weight(instance, v.groups, instance.volume)
    assign, hub_sessions = add_assignments(problem, v.group_windows, v.open, v.served, gvolume)
    at_site: dict[int, list[tuple[pulp.LpVariable, np.ndarray]]] = {}
    for (g, k), a in assign.items():
        at_site.setdefault(k, []).append((a, spec.arrivals[g, k]))
    level: dict[tuple[int, int, int], pulp.LpVariable] = {}
    for k in sorted(v.open):
        most = float(np.max(sum((c for _, c in at_site[k]), np.zeros(24)))) if k in at_site else 0.0
        cap = pulp.LpAffineExpression(_levels(problem, spec, k, v.open[k], level, most))
        terms = at_site.get(k, [])
        for h in spec.hours.get(k, ()):
            load = pulp.LpAffineExpression([(a, float(c[h])) for a, c in terms if c[h] > 0])
            problem += (load - cap <= 0, f"hour_{k}_{h}")
        if k in spec.caps and k in hub_sessions:
            problem += (hub_sessions[k] <= spec.caps[k] * v.open[k], f"session_cap_{k}")
    model.parts["hourly"] = MasterVariables(assign, level, hub_sessions)
    model.assign = assign
    locked = instance.site_locked

    point = {k: spec.point_costs(k) for k in v.open}

    def price(m: PlanningModel) -> tuple[pulp.LpAffineExpression, float]:
        sites = pulp.lpSum(spec.site_annual * x for k, x in v.open.items() if not locked[k])
        points = pulp.LpAffineExpression([(z, spec.level_cost(k, ti, li)) for (k, ti, li), z in level.items()])
        top = max((sum(t.servers[-1] * c for t, c in zip(spec.types, point[k], strict=True)) for k in point), default=0)
        return sites + points, (spec.site_annual + top) * len(v.open)

    model.price_hubs = price
    per = spec.charge_per_session
    model.charge = pulp.lpSum(per * float(gvolume[g]) * a for (g, _), a in assign.items())


def master_part(spec: MasterSpec) -> ModelPart:
    """The hourly master's model part (assignments, levels, busiest-hour rows, annual pricing)."""
    return ModelPart("hourly", spec, add=_add, binary_served=True)


def master_spec(
    instance: PlanningInstance,
    hours: StopHours,
    costs: HubCosts,
    *,
    master_hours: int,
    integer_levels: bool,
    available_kw: np.ndarray | None = None,
) -> MasterSpec:
    """The master's data: each group's arrivals per hour at each site of its windows, each site's rows.

    ``H_k`` holds the ``master_hours`` busiest hours of the site's potential arrivals (every group
    charging there), ties to the earlier hour. ``available_kw`` (``[grid]`` on) is each site's grid
    capacity, which with its upgrades limits the chargers' power there (else ``max_connection_kw`` does).
    """
    groups, windows = group_flows(instance)
    arrivals: dict[tuple[int, int], np.ndarray] = {}
    potential: dict[int, np.ndarray] = {}
    for g, (members, wins) in enumerate(zip(groups, windows, strict=True)):
        for k in sorted({k for w in wins for k in w}):
            a = sum(float(instance.volume[q]) * hours.arrival[hours.row(q, k)] for q in members)
            arrivals[g, k] = a
            potential[k] = potential.get(k, 0.0) + a
    rows = {k: tuple(sorted(np.argsort(-p, kind="stable")[:master_hours].tolist())) for k, p in potential.items()}
    return MasterSpec(
        types=costs.types,
        charger_annual=tuple(costs.charger_annual(ti) for ti in range(len(costs.types))),
        site_annual=costs.site_annual_eur,
        arrivals=arrivals,
        hours=rows,
        integer_levels=integer_levels,
        power_room={
            k: costs.power_room_kw(None if available_kw is None else float(available_kw[k])) / costs.simultaneity
            for k in sorted(potential)
        },
        existing=costs.existing,
    )
