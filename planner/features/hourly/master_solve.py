"""Solving the hourly master: one exact MILP, or two stages at scale (``capacity.size_levels``).

``integer``: the master with binary levels on all sites; its proven bound (the solver's dual bound)
bounds the master's part. ``relaxed``: stage 1 solves the linear relaxation (levels reduced to the lower
convex hull of (capacity, cost), which a relaxation never leaves; all columns continuous) — its optimum
is the bound — and stage 2 the master on the sites stage 1 opens at all, started from stage 1
rounded up (its support open, its assignments, each site at the cheapest levels taking its busiest
bounded hour), with rows for all 24 hours of those sites. Stage 2's sites are binary; its levels stay
the continuous hull of stage 1 (``capacity.size_levels = "relaxed"``): the master chooses sites and
assignments, and each hub's chargers come from its exact subproblem
(:func:`planner.features.hourly.decompose.size_plan`). Whole levels in stage 2 were measured on
``europe-2030-hourly`` (2 cores, 2026-12-05): stage 2 took 204.8 s instead of about 10 s and its plan sized
to 473.89 M EUR/year instead of 471.65 M. The same stages as :mod:`planner.features.capacity.two_stage`
(without its third), on the hourly rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pulp

from planner.features.capacity.model import TypeLevels
from planner.features.capacity.two_stage import STAGE2_GAP_SHARE
from planner.features.coverage.model import ModelSpec, PlanningModel, build_model
from planner.features.hourly.master import MasterSpec, master_part
from planner.instance import PlanningInstance
from planner.scenario import SolverConfig
from planner.solve import SolveResult, solve_problem

__all__ = ["MasterOutcome", "cheapest_levels", "solve_master"]

_STAGE1_SHARE = 0.4  # share of the time for stage 1 (an LP); stage 2 gets the rest
_SUPPORT_EPS = 1e-6
_CAPPED_GAP = 0.05  # a capped master proves nothing: a plan within 5 % steers load as well


@dataclass
class MasterOutcome:
    """The solved master and what it proves.

    Attributes
    ----------
    model, result
        The master whose plan is used, and its solve.
    bound
        A proven lower bound on the master's objective over all plans (``None`` if none is proven).
    stages
        Each solve (``stage1``/``stage2`` or ``exact``) as reported by the solver.
    """

    model: PlanningModel
    result: SolveResult
    bound: float | None
    stages: dict[str, SolveResult]


def cheapest_levels(types: tuple[TypeLevels, ...], costs: tuple[float, ...], rate: float) -> tuple[int, ...]:
    """Level index per type of the cheapest combination taking ``rate`` arrivals per hour."""
    best: tuple[float, tuple[int, ...]] | None = None
    first = types[0]
    for l0 in range(len(first.capacity)):
        rest = rate - first.capacity[l0]
        picks, cost = [l0], first.servers[l0] * costs[0]
        for tl, c in zip(types[1:], costs[1:], strict=True):
            li = tl.level_for(max(rest, 0.0))
            picks.append(li)
            cost += tl.servers[li] * c
            rest -= tl.capacity[li]
        if rest > 1e-9 and l0 < len(first.capacity) - 1:
            continue
        if best is None or cost < best[0] - 1e-9:
            best = (cost, tuple(picks))
    assert best is not None
    return best[1]


def _gap(spec: MasterSpec, config: SolverConfig) -> float:
    """The master's gap target: ``solver.mip_gap``; with session caps, which make it prove nothing, at least
    :data:`_CAPPED_GAP` (its plan only has to steer load away from hubs whose grid cannot carry it)."""
    return max(config.mip_gap, _CAPPED_GAP) if spec.caps else config.mip_gap


def _solve(
    problem: pulp.LpProblem, config: SolverConfig, seconds: float, gap: float, warm: bool, options: dict | None = None
) -> SolveResult:
    limits = config.model_copy(update={"time_limit_s": max(seconds, 1.0), "mip_gap": gap})
    return solve_problem(problem, limits, warm_start=warm, highs_options=options)


def solve_master(
    instance: PlanningInstance,
    core: ModelSpec,
    spec: MasterSpec,
    config: SolverConfig,
    *,
    two_stage: bool,
    seconds: float,
    log: Callable[[str], None],
) -> MasterOutcome:
    """Solve the master within ``seconds`` (exact MILP, or two stages)."""
    if not two_stage:
        model = build_model(instance, core.with_part(master_part(spec)))
        size = model.size()
        log(f"hourly master: {size['rows']:,} rows, {size['columns']:,} columns ({size['binaries']:,} binaries)")
        result = _solve(model.problem, config, seconds, _gap(spec, config), False)
        log(f"hourly master: {result.describe()}")
        proven = result.best_bound if result.has_solution and not spec.caps else None
        return MasterOutcome(model, result, proven, {"exact": result})
    t0 = time.perf_counter()
    relaxed = replace(spec, integer_levels=False)  # each site keeps the hull of the levels it can need
    m1 = build_model(instance, core.with_part(master_part(relaxed)))
    for v in m1.problem.variables():
        v.cat = pulp.LpContinuous
    size = m1.size()
    log(f"hourly master stage 1 (linear relaxation): {size['rows']:,} rows, {size['columns']:,} columns")
    # The interior-point method solves the European relaxation in ~40 s where the simplex took over 120 s.
    r1 = _solve(m1.problem, config, seconds * _STAGE1_SHARE, config.mip_gap, False, {"solver": "ipm"})
    log(f"hourly master stage 1: {r1.describe()}")
    if not r1.has_solution:
        return MasterOutcome(m1, r1, None, {"stage1": r1})
    support = {k: (x.value() or 0.0) > _SUPPORT_EPS for k, x in m1.variables.open.items()}
    # Stage 2 bounds every hour of the support's sites (its levels the hull of stage 1, continuous).
    every_hour = replace(spec, hours={k: tuple(range(24)) if support.get(k) else () for k in spec.hours})
    m2 = build_model(instance, core.with_part(master_part(every_hour)))
    _start_from(m2, m1, every_hour, support)
    left = max(seconds - (time.perf_counter() - t0), 0.1 * seconds)
    n = sum(support.values())
    log(f"hourly master stage 2 (whole sites, hull levels, every hour, on the {n} sites stage 1 opens): {left:.0f} s")
    r2 = _solve(m2.problem, config, left, _gap(spec, config) * STAGE2_GAP_SHARE, True)
    log(f"hourly master stage 2: {r2.describe()}")
    proven = r1.objective if r1.status == "optimal" and not spec.caps else None
    return MasterOutcome(m2, r2, proven, {"stage1": r1, "stage2": r2})


def _start_from(m2: PlanningModel, m1: PlanningModel, spec: MasterSpec, support: dict[int, bool]) -> None:
    """Restrict ``m2`` to the support and start it from ``m1`` rounded up."""
    v1, v2 = m1.variables, m2.variables
    for k, x in v2.open.items():
        x.setInitialValue(1.0 if support[k] else 0.0)
        if not support[k]:
            x.upBound = 0
    scale = {}
    for g, y in v2.served.items():
        y1 = float(v1.served[g].value() or 0.0)
        y.setInitialValue(1.0 if y1 > 1e-6 else 0.0)
        scale[g] = 1.0 / y1 if y1 > 1e-6 else 0.0
    a1, a2 = m1.parts["hourly"].assign, m2.parts["hourly"].assign
    rate = {k: np.zeros(24) for k in v2.open}
    for (g, k), a in a2.items():
        value = min(max(float(a1[g, k].value() or 0.0) * scale[g], 0.0), 1.0) if support[k] else 0.0
        a.setInitialValue(value)
        rate[k] += value * spec.arrivals[g, k]
    level = m2.parts["hourly"].level
    kept: dict[tuple[int, int], list[int]] = {}  # each site's levels per type (the hull of those it can need)
    for k, ti, li in sorted(level):
        kept.setdefault((k, ti), []).append(li)
    for k in v2.open:
        peak = max((rate[k][h] for h in spec.hours.get(k, ())), default=0.0)
        picks = cheapest_levels(spec.types, spec.point_costs(k), peak)
        for ti, tl in enumerate(spec.types):
            levels = kept.get((k, ti), [])
            if not levels:
                continue
            # The smallest of the site's levels taking the pick's capacity (its largest takes every arrival
            # the site can see): a pick off the hull would leave the site without a level, the start infeasible.
            need = tl.capacity[picks[ti]]
            pick = next((li for li in levels if tl.capacity[li] >= need - 1e-9), levels[-1])
            for li in levels:
                level[k, ti, li].setInitialValue(1.0 if support[k] and li == pick else 0.0)
