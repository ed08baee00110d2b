"""Charger sizing: queueing size levels per charger type, and the two-stage solve.

:func:`capacity_levels` turns the scenario's catalogue and wait target into size levels per
offered type (:func:`planner.queueing.size_levels`). :func:`solve_two_stage` is the solve for
``capacity.size_levels = "relaxed"``: an LP bound, then exact sizing on its support.

Stage 1 solves the linear relaxation of the capacity model (hubs, assignments and size
levels all continuous). Erlang-C capacity grows faster than linearly in the number of points
(pooling), so a hub's cost as a function of its sessions is concave and the relaxation only
ever uses the vertices of the lower convex hull of the (capacity, cost) levels; the other
levels are dropped (:func:`hull_levels`) without changing its optimum. Its objective is a lower
bound on the exact problem.

Stage 2 solves the exact model (binary hubs, one binary per size level) restricted to the
sites the relaxation opens at all (its support), started from the relaxation rounded up: every
support site open, the relaxation's assignments, each hub and type at the smallest level taking
its sessions (a feasible plan, since a support site opened fully can take what the relaxation
sends it). Stage 2 may close support sites and re-balance flows so hubs fill whole levels. The
reported gap is between the stage-2 plan and the stage-1 bound.

Measured on ``europe-2030-capacity`` (2,193 candidates, 4,000 flows): the relaxation's support
is 126 sites (Σ x = 113.3); stage 1 takes about 60 s on 2 cores, stage 2 between 16 s and 200 s
depending on HiGHS's search path (README).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pulp

from planner.chargers import offered_types
from planner.instance import PlanningInstance
from planner.model import ModelSpec, build_model
from planner.model.build import PlanningModel
from planner.model.capacity import CapacitySpec, TypeLevels
from planner.model.variables import group_weight
from planner.queueing import size_levels
from planner.scenario import Scenario, SolverConfig
from planner.solve import SolveResult, solve_problem

__all__ = ["capacity_levels", "hull_levels", "session_hours", "TwoStage", "solve_two_stage"]

_STAGE1_SHARE = 0.5  # share of the time limit for stage 1; stage 2 gets the rest
_STAGE2_GAP_SHARE = 0.5  # stage 2's own gap target, as a share of solver.mip_gap
_SUPPORT_EPS = 1e-6  # sites the relaxation opens by more than this form stage 2's candidates


def hull_levels(levels: TypeLevels) -> TypeLevels:
    """Keep the levels on the lower convex hull of (capacity, cost) points.

    A level above the hull is a convex combination of cheaper ones with at least its capacity,
    so a model with continuous levels never needs it.
    """
    pts = sorted(
        zip(levels.capacity, levels.servers, strict=True), key=lambda p: (p[0], p[1])
    )  # (capacity, servers); cost ∝ servers
    hull: list[tuple[float, int]] = []
    for p in pts:
        if hull and hull[-1][0] == p[0]:
            continue  # same capacity, more servers: dominated
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            # drop the middle point if it lies on or above the chord from hull[-2] to p
            if (y2 - y1) * (p[0] - x1) >= (p[1] - y1) * (x2 - x1):
                hull.pop()
            else:
                break
        hull.append(p)
    return replace(levels, servers=tuple(s for _, s in hull), capacity=tuple(c for c, _ in hull))


@dataclass
class TwoStage:
    """Outcome of the two stages: the exact model (decoded as the plan) and both solves."""

    model: PlanningModel
    result: SolveResult
    stage1: SolveResult
    stage2: SolveResult
    hubs_stage1: int


def solve_two_stage(
    instance: PlanningInstance,
    spec: ModelSpec,
    config: SolverConfig,
    *,
    log: Callable[[str], None] = lambda _m: None,
) -> TwoStage:
    """Solve ``spec`` (exact integer levels in ``spec.capacity``) in two stages.

    Returns
    -------
    TwoStage
        ``result`` combines them: the stage-2 objective, the stage-1 bound and the gap between
        them; status ``optimal`` only if that gap is within ``config.mip_gap``.
    """
    exact: CapacitySpec = spec.capacity
    relaxed = replace(exact, types=tuple(hull_levels(t) for t in exact.types), integer_levels=False)
    t0 = time.perf_counter()
    m1 = build_model(instance, replace(spec, capacity=relaxed))
    for v in m1.problem.variables():
        v.cat = pulp.LpContinuous
    s1 = m1.size()
    log(
        f"stage 1 (linear relaxation, {sum(len(t.servers) for t in relaxed.types)} hull levels per site): "
        f"{s1['rows']:,} rows, {s1['columns']:,} columns"
    )
    r1 = solve_problem(m1.problem, config.model_copy(update={"time_limit_s": config.time_limit_s * _STAGE1_SHARE}))
    log(f"stage 1: {r1.describe()}")
    if not r1.has_solution:
        return TwoStage(m1, r1, r1, r1, 0)
    support = {k: (v.value() or 0.0) > _SUPPORT_EPS for k, v in m1.variables.open.items()}
    m2 = build_model(instance, spec)
    _start_from(m2, m1, exact, support, group_weight(instance, m2.variables.groups, instance.volume))
    left = max(config.time_limit_s - (time.perf_counter() - t0), 0.1 * config.time_limit_s)
    log(f"stage 2 (exact levels on the {sum(support.values())} sites the relaxation opens): {left:.0f} s left")
    # Stage 2 is small: solve it tighter than the overall target, whose gap is measured against
    # the weaker stage-1 bound.
    stage2 = config.model_copy(update={"time_limit_s": left, "mip_gap": config.mip_gap * _STAGE2_GAP_SHARE})
    r2 = solve_problem(m2.problem, stage2, warm_start=True)
    log(f"stage 2: {r2.describe()}")
    if not r2.has_solution:
        return TwoStage(m2, r2, r1, r2, sum(support.values()))
    bound = r1.objective if r1.status == "optimal" else None  # an LP stopped early proves nothing
    cost = r2.objective
    gap = None if bound is None or cost is None or cost <= 0 else max(cost - bound, 0.0) / cost
    status = "optimal" if gap is not None and gap <= config.mip_gap + 1e-12 else "feasible"
    result = SolveResult(
        status=status,
        solver=r2.solver,
        objective=cost,
        best_bound=bound,
        mip_gap=gap,
        seconds=r1.seconds + r2.seconds,
        time_limit_hit=r1.time_limit_hit or r2.time_limit_hit,
        message=f"two-stage: linear relaxation {r1.status}, exact levels on its support {r2.status} ({r2.message})",
    )
    return TwoStage(m2, result, r1, r2, sum(support.values()))


def _start_from(
    m2: PlanningModel, m1: PlanningModel, exact: CapacitySpec, x1: dict[int, bool], volume: np.ndarray
) -> None:
    """Restrict stage 2 to the relaxation's support and start it from the relaxation rounded up."""
    v1, v2 = m1.variables, m2.variables
    for k, x in v2.open.items():
        x.setInitialValue(1.0 if x1[k] else 0.0)
        if not x1[k]:
            x.upBound = 0
    # Served groups in the relaxation are served fully; their assignments scaled to 1.
    scale = {}
    for g, y in v2.served.items():
        y1 = float(v1.served[g].value() or 0.0)
        y.setInitialValue(1.0 if y1 > 1e-6 else 0.0)
        scale[g] = 1.0 / y1 if y1 > 1e-6 else 0.0
    c1, c2 = m1.capacity, m2.capacity
    sessions = {k: 0.0 for k in v2.open}
    for (g, k), a in c2.assign.items():
        value = min(max(float(c1.assign[g, k].value() or 0.0) * scale[g], 0.0), 1.0) if x1[k] else 0.0
        a.setInitialValue(value)
        sessions[k] += value * float(volume[g])
    for k in v2.open:
        if len(exact.types) == 1:
            shares = [1.0]
        else:
            raw = [
                max(float(c1.split[k, ti].value() or 0.0), 0.0) if (k, ti) in c1.split else 0.0
                for ti in range(len(exact.types))
            ]
            shares = [r / sum(raw) for r in raw] if sum(raw) > 0 else [1.0 / len(raw)] * len(raw)
        for ti, tl in enumerate(exact.types):
            s_t = sessions[k] * shares[ti]
            pick = tl.level_for(s_t)
            for li in range(len(tl.servers)):
                c2.level[k, ti, li].setInitialValue(1.0 if x1[k] and li == pick else 0.0)
            if (k, ti) in c2.split:
                c2.split[k, ti].setInitialValue(s_t if x1[k] else 0.0)


def session_hours(scenario: Scenario) -> dict[str, float]:
    """Mean session time per offered charger type (hours)."""
    return {t.name: t.session_h for t in offered_types(scenario)}


def capacity_levels(scenario: Scenario, total_sessions: float) -> CapacitySpec:
    """Queueing size levels per offered charger type, from its ``min_per_hub`` to ``max_per_hub``."""
    cap = scenario.capacity
    types = []
    for t in offered_types(scenario):
        levels = size_levels(
            max(total_sessions * 1.01, 1e-9),  # headroom: the top level still takes all after the margin
            t.session_h,
            cap.peak_hour_share,
            cap.max_wait_min / 60.0,
            max_servers=t.spec.max_per_hub,
        )
        # 0.01 % below the exact Erlang-C capacity: near saturation the wait is steep in the arrival
        # rate, and the margin absorbs the solver's feasibility tolerance on the session sums.
        lo = t.spec.min_per_hub
        kept = [(lv.servers, lv.max_sessions_per_day * (1 - 1e-4)) for lv in levels if lv.servers >= lo]
        if lo == 0:
            kept.insert(0, (0, 0.0))
        elif not kept:  # the smallest allowed pool already takes every session
            kept = [(lo, total_sessions * 1.01)]
        servers, capacity = zip(*kept, strict=True)
        types.append(TypeLevels(t.name, tuple(servers), tuple(capacity), t.spec.capex_eur, t.spec.power_kw))
    return CapacitySpec(tuple(types), scenario.costs.site_fixed_eur, cap.size_levels == "integer")
