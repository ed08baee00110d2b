"""Multi-year rollout: hubs open year by year, stay open, within yearly budgets.

Variables per planning year ``t``: ``x[k,t]`` binary (site ``k`` open in ``t``) with
``x[k,t] ≥ x[k,t-1]`` (hubs stay open), ``y[g,t] ∈ [0,1]`` (group served in ``t``, binary
with coverage targets). Coverage as in the single-year model: ``y[g,t] ≤ Σ_{k∈W} x[k,t]``.
Capex in ``t`` is ``Σ_k c_k (x[k,t] − x[k,t-1])``; a yearly budget bounds it. Objectives:
maximise the discounted served weight ``Σ_t δ_t f_t Σ_g w_g y[g,t]`` (``f_t`` the year's volume
factor), or minimise discounted capex ``Σ_t δ_t capex_t`` subject to yearly coverage targets.
AFIR: each year carries the requirement of the milestone due by its end, full spacing windows
(``required_windows[t]``) or a segment share (``required_shares[t]``, with its own ``c[e,t]``;
see :mod:`planner.model.afir`). Myopic planning solves the years one at a
time, each keeping the previous years' hubs (``fixed_open``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pulp

from planner.features.afir.model import AfirShare, add_share_rows
from planner.features.capacity.model import CapacitySpec, add_assignments, add_hub_sizing
from planner.features.coverage.variables import group_flows, shared_windows
from planner.features.grid.model import GridSpec
from planner.instance import PlanningInstance
from planner.solve import Goal

__all__ = ["RolloutModel", "RolloutSpec", "build_rollout_model", "open_in_year", "set_start"]


@dataclass(frozen=True)
class RolloutSpec:
    """What a (possibly one-year) rollout model optimises."""

    years: tuple[int, ...]
    volume_factor: tuple[float, ...]
    discount: tuple[float, ...]
    budget_eur: tuple[float | None, ...]
    coverage_target: tuple[float | None, ...]
    objective: str
    weight: np.ndarray
    max_hubs: int | None = None
    required_windows: tuple[tuple[tuple[int, ...], ...], ...] = ()
    fixed_open: frozenset[int] = field(default_factory=frozenset)
    grid: GridSpec | None = None
    upgrade_allowed: tuple[bool, ...] = ()
    fixed_upgrade: dict[int, int] = field(default_factory=dict)
    budget_total_eur: float | None = None
    required_shares: tuple[AfirShare | None, ...] = ()
    capacity: CapacitySpec | None = None
    group_volume: np.ndarray | None = None
    fixed_chargers: dict[tuple[int, int], int] = field(default_factory=dict)
    second_stage: bool = True
    shared_windows: bool = False  # one z[w,t] per window several groups need (coverage.variables.shared_windows)


@dataclass
class RolloutModel:
    """Built rollout problem and its variables."""

    problem: pulp.LpProblem
    open: dict[tuple[int, int], pulp.LpVariable]
    served: dict[tuple[int, int], pulp.LpVariable]
    groups: list[list[int]]
    group_windows: list[list[tuple[int, ...]]]
    sites: list[int]
    upgrade: dict[tuple[int, int], pulp.LpVariable] = field(default_factory=dict)
    segment: dict[tuple[int, int], pulp.LpVariable] = field(default_factory=dict)  # AFIR c[e,t]
    window: dict[tuple[tuple[int, ...], int], pulp.LpVariable] = field(default_factory=dict)  # shared z[w,t]
    assign: dict[tuple[int, int, int], pulp.LpVariable] = field(default_factory=dict)  # a[g,k,t]
    level: dict[tuple[int, int, int, int], pulp.LpVariable] = field(default_factory=dict)  # z[k,t,type,level]
    split: dict[tuple[int, int, int], pulp.LpVariable] = field(default_factory=dict)  # s[k,t,type]
    session_charge: pulp.LpAffineExpression = field(default_factory=pulp.LpAffineExpression)
    site_cost: dict[int, float] = field(default_factory=dict)  # capex of opening each site (0: fixed or existing)
    served_weight: pulp.LpAffineExpression | None = None  # discounted served weight
    cost: pulp.LpAffineExpression | None = None  # discounted capex (+ the no-needless-stops charge)
    objective: str = "max_coverage"
    has_targets: bool = False
    second_stage: bool = True

    def goals(self) -> tuple[Goal, Goal | None]:
        """Lexicographic goals: discounted served weight then discounted capex (max coverage), or
        discounted capex then served weight (min cost with coverage targets)."""
        served = Goal(self.served_weight, pulp.LpMaximize, "discounted_served_weight")
        cost = Goal(self.cost, pulp.LpMinimize, "discounted_capex_eur")
        if self.objective == "max_coverage":
            return served, cost if self.second_stage else None
        return cost, served if self.second_stage and self.has_targets else None

    def chargers(self, spec: CapacitySpec, k: int, t: int, ti: int) -> pulp.LpAffineExpression:
        """Points of type ``ti`` at site ``k`` in year ``t`` (from its size level)."""
        tl = spec.types[ti]
        return pulp.lpSum(
            tl.servers[li] * self.level[k, t, ti, li] for li in range(len(tl.servers)) if (k, t, ti, li) in self.level
        )


def _sites(instance: PlanningInstance, spec: RolloutSpec, group_windows: list[list[tuple[int, ...]]]) -> list[int]:
    """Sites that need variables: in a flow window, an AFIR window or share, or fixed open."""
    required = [w for ws in spec.required_windows for w in ws]
    return sorted(
        {k for ws in group_windows for w in ws for k in w}
        | {k for w in required for k in w}
        | {k for share in spec.required_shares if share is not None for k in share.sites()}
        | set(spec.fixed_open)
    )


def _coverage_rows(
    problem: pulp.LpProblem, instance: PlanningInstance, spec: RolloutSpec, model: RolloutModel, capex: list
) -> None:
    """Per year: hubs stay open, capex of the hubs opened that year, AFIR spacing windows and window
    cover (without sizing; with it coverage goes through the assignments). Until 2026-12-06 the AFIR
    windows came after the skip for sizing, so a rollout with [capacity] never enforced the spacing
    (its plans failed verification)."""
    x, y, sites, locked = model.open, model.served, model.sites, instance.site_locked
    cap = spec.capacity
    fixed_cost = (lambda k: float(instance.site_cost[k])) if cap is None else (lambda k: cap.site_fixed_eur)
    cost = {k: 0.0 if (locked[k] or k in spec.fixed_open) else fixed_cost(k) for k in sites}
    shared = {w: j for j, w in enumerate(shared_windows(model.group_windows))} if spec.shared_windows else {}
    for t in range(len(spec.years)):
        for k in sites:
            if t > 0:
                problem += (x[k, t] >= x[k, t - 1], f"stay_open_{k}_{t}")
        new = [cost[k] * (x[k, t] - (x[k, t - 1] if t > 0 else 0)) for k in sites if cost[k] > 0]
        capex.append(pulp.lpSum(new))
        for i, w in enumerate(spec.required_windows[t] if spec.required_windows else ()):
            if not locked[list(w)].any():
                problem += (pulp.lpSum(x[k, t] for k in w) >= 1, f"afir_{i}_t{t}")
        if cap is not None:
            continue  # coverage through assignments
        for w, j in shared.items():
            z = model.window[w, t] = problem.add_variable(f"window_{j}_{t}", 0, 1)
            problem += (pulp.lpSum(x[k, t] for k in w) >= z, f"shared_{j}_{t}")
        for g, wins in enumerate(model.group_windows):
            for i, w in enumerate(wins):
                rhs = model.window[w, t] if w in shared else pulp.lpSum(x[k, t] for k in w)
                problem += (rhs >= y[g, t], f"cover_g{g}_w{i}_t{t}")
    model.site_cost = cost


def _grid_rows(problem: pulp.LpProblem, spec: RolloutSpec, model: RolloutModel, sized, capex: list) -> None:
    """Hub power ≤ grid capacity + upgrade steps; steps only once their lead time has passed, never
    removed, paid in the year they are added."""
    grid, cap, x = spec.grid, spec.capacity, model.open
    for t in range(len(spec.years)):
        steps = grid.max_steps if spec.upgrade_allowed[t] else 0
        for k in model.sites:
            done = spec.fixed_upgrade.get(k, 0)
            up = problem.add_variable(f"upgrade_{k}_{t}", done, max(steps, done), cat=pulp.LpInteger)
            model.upgrade[k, t] = up
            if t > 0:
                problem += (up >= model.upgrade[k, t - 1], f"upgrade_stays_{k}_{t}")
            if cap is None:
                power = grid.simultaneity * grid.fixed_power_kw * x[k, t]
            else:
                power = grid.simultaneity * pulp.lpSum(
                    tl.power_kw * sized.chargers(cap, k, t, ti) for ti, tl in enumerate(cap.types)
                )
            problem += (power <= float(grid.available_kw[k]) * x[k, t] + grid.step_kw * up, f"grid_{k}_{t}")
            new_steps = up - (model.upgrade[k, t - 1] if t > 0 else done)
            capex[t] = capex[t] + grid.step_eur * new_steps


def _objective(
    problem: pulp.LpProblem, instance: PlanningInstance, spec: RolloutSpec, model: RolloutModel, sized, capex: list
) -> None:
    """Discounted served weight (max coverage) or discounted capex meeting each year's target (min
    cost); both kept on the model for the lexicographic second stage (:meth:`RolloutModel.goals`)."""
    n_years, groups, y = len(spec.years), model.groups, model.served
    gweight = np.array([spec.weight[g].sum() for g in groups], dtype=float)
    charge = sized.session_charge if sized is not None else 0
    model.cost = pulp.lpSum(spec.discount[t] * capex[t] for t in range(n_years)) + charge
    model.served_weight = pulp.lpSum(
        spec.discount[t] * spec.volume_factor[t] * float(gweight[g]) * y[g, t]
        for g in range(len(groups))
        for t in range(n_years)
    )
    if spec.objective == "max_coverage":
        problem += (model.served_weight, "discounted_served_weight")
        return
    problem += (model.cost, "discounted_capex")
    free_weight = float(spec.weight[instance.free].sum())
    total_weight = float(spec.weight.sum())
    for t in range(n_years):
        target = spec.coverage_target[t]
        if target is not None:
            problem += (
                pulp.lpSum(float(gweight[g]) * y[g, t] for g in range(len(groups)))
                >= target * total_weight - free_weight,
                f"coverage_target_{t}",
            )
        else:
            for g in range(len(groups)):
                y[g, t].lowBound = 1


def build_rollout_model(
    instance: PlanningInstance,
    spec: RolloutSpec,
    grouping: tuple[list[list[int]], list[list[tuple[int, ...]]]] | None = None,
) -> RolloutModel:
    """Build the rollout MILP (see the module docstring). The groups of flows and their windows are
    :func:`~planner.features.coverage.variables.group_flows`'s unless ``grouping`` gives them (the kept
    windows of :mod:`planner.features.rollout.lazy`)."""
    groups, group_windows = grouping if grouping is not None else group_flows(instance)
    sites = _sites(instance, spec, group_windows)
    n_years = len(spec.years)
    sense = pulp.LpMaximize if spec.objective == "max_coverage" else pulp.LpMinimize
    problem = pulp.LpProblem("planner_rollout", sense)
    locked = instance.site_locked
    binary_y = spec.objective == "min_cost"
    # integer in [lb, 1], not LpBinary: PuLP resets a binary's bounds to 0..1, which would let a solve
    # close an existing hub (or, in a myopic rollout year, an earlier year's hub)
    x = {
        (k, t): problem.add_variable(f"open_{k}_{t}", int(locked[k] or k in spec.fixed_open), 1, cat=pulp.LpInteger)
        for k in sites
        for t in range(n_years)
    }
    y = {
        (g, t): problem.add_variable(f"served_{g}_{t}", 0, 1, cat=pulp.LpBinary if binary_y else pulp.LpContinuous)
        for g in range(len(groups))
        for t in range(n_years)
    }
    model = RolloutModel(problem, x, y, groups, group_windows, sites)
    model.objective, model.second_stage = spec.objective, spec.second_stage
    model.has_targets = any(target is not None for target in spec.coverage_target)
    capex: list = []
    _coverage_rows(problem, instance, spec, model, capex)
    for t, share in enumerate(spec.required_shares):
        if share is not None:
            c = add_share_rows(problem, {k: x[k, t] for k in sites}, locked, share, tag=f"_t{t}")
            model.segment.update({(e, t): var for e, var in c.items()})
    sized = _add_capacity(problem, spec, x, y, group_windows, sites, capex) if spec.capacity is not None else None
    if spec.grid is not None:
        _grid_rows(problem, spec, model, sized, capex)
    for t in range(n_years):
        if spec.budget_eur[t] is not None:
            problem += (capex[t] <= spec.budget_eur[t], f"budget_{t}")
    if spec.budget_total_eur is not None:
        problem += (pulp.lpSum(capex) <= spec.budget_total_eur, "budget_total")
    if spec.max_hubs is not None:
        last = n_years - 1
        problem += (pulp.lpSum(x[k, last] for k in sites if not locked[k]) <= spec.max_hubs, "max_hubs")
    _objective(problem, instance, spec, model, sized, capex)
    if sized is not None:
        model.assign, model.level, model.split = sized.assign, sized.level, sized.split
    return model


def _add_capacity(
    problem: pulp.LpProblem,
    spec: RolloutSpec,
    x: dict[tuple[int, int], pulp.LpVariable],
    y: dict[tuple[int, int], pulp.LpVariable],
    group_windows: list[list[tuple[int, ...]]],
    sites: list[int],
    capex: list,
) -> RolloutModel:
    """Per year: stops assigned to open hubs, points per type sized by queueing levels for that
    year's sessions (``f_t`` × base volume), points only ever added, paid the year they are added.

    Returns a partial :class:`RolloutModel` holding the assignment, level and split variables.
    """
    cap = spec.capacity
    assert cap is not None and spec.group_volume is not None
    holder = RolloutModel(problem, x, y, [], group_windows, sites)
    n_years = len(spec.years)
    cheapest = min(tl.capex_eur for tl in cap.types)
    for t in range(n_years):
        f = spec.volume_factor[t]
        assign, demand = add_assignments(
            problem,
            group_windows,
            {k: x[k, t] for k in sites},
            {g: y[g, t] for g in range(len(group_windows))},
            f * np.asarray(spec.group_volume, dtype=float),
            suffix=f"_{t}",
            stop_suffix=f"_t{t}",
        )
        holder.assign.update({(g, k, t): a for (g, k), a in assign.items()})
        for k in sites:
            level, split = add_hub_sizing(problem, cap, k, x[k, t], demand.get(k), tag=f"_{t}")
            holder.level.update({(k, t, ti, li): v for (ti, li), v in level.items()})
            holder.split.update({(k, t, ti): v for ti, v in split.items()})
            for ti, tl in enumerate(cap.types):
                now = holder.chargers(cap, k, t, ti)
                # the first year starts from the points fixed earlier and those standing at existing hubs
                first = max(spec.fixed_chargers.get((k, ti), 0), min(cap.existing_at(k, ti), tl.servers[-1]))
                before = holder.chargers(cap, k, t - 1, ti) if t > 0 else first
                problem += (now >= before, f"points_stay_{k}_{t}_{tl.name}")
                capex[t] = capex[t] + tl.capex_eur * (now - before)
            if k in demand:
                holder.session_charge += 1e-6 * cheapest * spec.discount[t] * demand[k]  # no needless stops
    return holder


def open_in_year(model: RolloutModel, locked: np.ndarray, t: int) -> np.ndarray:
    """Sites open in year ``t`` of a solved model: existing hubs (``locked``), those the solve opened and
    those fixed open (a variable whose lower bound is 1, an earlier year's hub in a myopic year, may
    have been presolved away, without a value)."""
    out = locked.copy()
    for k in model.sites:
        v = model.open[k, t]
        if (v.lowBound or 0) >= 1 or (v.value() or 0.0) > 0.5:
            out[k] = True
    return out


def set_start(
    model: RolloutModel,
    open_sets: list[np.ndarray],
    shares: tuple[AfirShare | None, ...] | list[AfirShare | None],
    upgrades: list[dict[int, int]],
) -> None:
    """Start values of a plan (open sites per year) on a rollout model: open sites, each group's and shared
    window's cover in the model's windows, the AFIR segments the plan certifies (``shares``, per year) and
    the grid upgrade steps (``upgrades``, per year). Sites of the plan without a variable stay closed."""
    for t, is_open in enumerate(open_sets):
        for k in model.sites:
            model.open[k, t].setInitialValue(1.0 if is_open[k] else 0.0)
        for g, wins in enumerate(model.group_windows):
            model.served[g, t].setInitialValue(1.0 if all(is_open[list(w)].any() for w in wins) else 0.0)
        for (w, te), z in model.window.items():
            if te == t:
                z.setInitialValue(1.0 if is_open[list(w)].any() else 0.0)
        share = shares[t] if shares else None
        for (e, te), c in model.segment.items():
            if te == t and share is not None:  # certified by the start's hubs: keeps it feasible
                c.setInitialValue(1.0 if all(is_open[list(w)].any() for w in share.windows[e]) else 0.0)
        for (k, te), up in model.upgrade.items():
            if te == t:
                up.setInitialValue(upgrades[t].get(k, 0))
