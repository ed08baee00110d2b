"""The staged solve for ``capacity.size_levels = "relaxed"``: an LP bound, exact sizing on its support, a proof.

Stage 1 solves the linear relaxation of the capacity model (hubs, assignments and size
levels all continuous). Erlang-C capacity grows faster than linearly in the number of points
(pooling), so a hub's cost as a function of its sessions is concave and the relaxation only
ever uses the vertices of the lower convex hull of the (capacity, cost) levels. Each site keeps
the hull of the levels its own trucks can fill (:func:`~planner.features.capacity.model.site_levels`:
no level above the smallest one taking every group that passes it), so a site few flows pass is
not priced at the largest hub's pooling. Its objective is a lower bound on the exact problem.

Stage 2 solves the exact model (binary hubs, one binary per size level) restricted to the
sites the relaxation opens at all (its support). Its fallback is the relaxation rounded up: every
support site open, the relaxation's assignments, each hub and type at the smallest level taking
its sessions (a feasible plan, since a support site opened fully can take what the relaxation
sends it); HiGHS does not get it as a start (:data:`STAGE2_WARM_START`). Stage 2 may close support
sites and re-balance flows so hubs fill whole levels.

Stage 3 solves the same exact model on every site, with HiGHS's primal heuristics and strong
branching off (:data:`STAGE3_HIGHS_OPTIONS`: it is there for the bound). On two cores or more, with a
positive ``solver.mip_gap``, it runs in a process of its own (:mod:`~planner.features.capacity.bound_process`,
:data:`STAGE3_BESIDE_STAGE2`) from before stage 1, with no start, until its bound proves the gap for
stage 2's plan (which it is told once stage 2 ends), stage 2 ends within the gap of stage 1's bound, or
the time limit; otherwise it runs after stage 2, while the gap to stage 1's bound is above
``solver.mip_gap``, started from stage 2's plan, for the rest of the time limit. Its
dual bound holds for the whole problem (stage 2's does not: it sees only the support), and HiGHS's cuts at its root
raise it above the relaxation's; a strictly cheaper plan it finds replaces stage 2's. The reported
gap is between the cheaper plan and the higher of the two valid bounds (:func:`combine_stages`).
Stage 3 leaves closed the sites another site dominates (:mod:`~planner.features.capacity.dominance`)
that stage 2's plan does not open (in its own process, every one: stage 2's plan is not known yet):
some optimal plan opens none of them, so its bound still holds,
and on the smaller model it rises faster (measured in docs/measurements.md, *Capacity*). Stage 3 minimises the
capex alone, without the tie-breaking charge per session (non-negative, so a bound on the capex
bounds capex plus charge): the capex takes only whole multiples of the sites' and points' prices
(500,000 EUR on the European scenarios), so its bound rounds up to that lattice
(:class:`~planner.lattice.LatticeStop`) and proves 1 % for a 964.0 M EUR plan once it passes
954.0 M EUR instead of 954.37 M (:func:`capex_gap`). Beside stages 1 and 2 it proved that on
``europe-2030-capacity`` after a 62-67 s solve (2026-12-06, 2 cores; docs/measurements.md, *Capacity*), where after
stage 2 it needed 116 s.

Measured on ``europe-2030-capacity`` (2,777 candidates, 4,000 flows, 2026-12-03, 2 cores): the
per-site levels raise the relaxation's bound from 9.359e8 to 9.420e8 EUR; its support is 116 sites;
stage 1 takes about 30 s, stage 2 74 s (a plan at 9.670e8, gap 2.59 % against the bound, where the
bound on every site's full level list left 3.11 %). Stage 3 from that plan (2026-12-04): HiGHS stays
in its root cut loop, its bound 9.455e8 after 39 s, 9.503e8 after 71 s, 9.525e8 after 150 s and
9.529e8 after 200 s (gap 2.23, 1.72, 1.50, 1.46 %); it found no cheaper plan. Since 2026-12-05 stage 2
stops at a tighter target (:data:`STAGE2_GAP_SHARE`, with the measurements that chose it).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pulp

from planner.features.capacity.beside import Beside, bound_result, need_for, start_beside
from planner.features.capacity.beside import cores as _cores
from planner.features.capacity.dominance import dominated_sites
from planner.features.capacity.model import CapacitySpec, capacity_part
from planner.features.coverage.model import ModelSpec, PlanningModel, build_model, open_sites
from planner.features.coverage.variables import group_weight
from planner.highs import relative_gap
from planner.instance import PlanningInstance
from planner.scenario import SolverConfig
from planner.solve import (
    SolveLog,
    SolveResult,
    column_values,
    restore_values,
    solve_lexicographic,
    solve_problem,
    start_value,
)

__all__ = [
    "STAGE1_BESIDE_HIGHS_OPTIONS",
    "STAGE1_HIGHS_OPTIONS",
    "STAGE2_GAP_SHARE",
    "STAGE2_WARM_START",
    "STAGE3_BESIDE_HIGHS_OPTIONS",
    "STAGE3_BESIDE_STAGE2",
    "STAGE3_HIGHS_OPTIONS",
    "TwoStage",
    "capex_gap",
    "combine_stages",
    "solve_two_stage",
]

_STAGE1_SHARE = 0.5  # share of the time limit for stage 1; stage 2 gets the rest


# Stage 2's own gap target, as a share of solver.mip_gap. Stage 2 is small and its plan is what stage 3
# is measured against, whose bound rises slowly: a tighter target is worth its seconds. HiGHS prunes
# against the target, so it changes the search path; chosen by measurement on europe-2030-capacity
# (2 cores): 0.5 gave 967.0 M EUR after 97 s (2026-12-04); on 2026-12-05 0.3 gave 966.0 M (stopped by a
# 120 s limit), 0.2 gave 964.0 M after 39 s and left stage 3 time to prove 1.07 % (1.30 % at a 120 s
# limit), 0.1 had 965.5 M after 157 s. The hourly master's stage 2 uses it too (there its plan sized
# 1 M EUR/year cheaper, gap 4.41 % instead of 4.82 %). Best of four on one scenario, not a rule.
STAGE2_GAP_SHARE = 0.2


# Whether HiGHS gets the relaxation rounded up as stage 2's start. Not since 2026-12-06 (stop 56): that
# plan (1,006.5 M EUR on europe-2030-capacity) is 3-4 % dearer than those HiGHS finds itself within 6 s,
# and with it HiGHS took another path to the same capex: its 964.0 M EUR plan after 29.3 s instead of
# 20.0 s (stage 2 written out from a run and solved alone, 2 cores; in whole runs 28.5-31.5 s against
# 19.3-20.1 s). The rounded-up plan stays stage 2's fallback: a stage 2 that ends without a plan of its
# own reports it (feasible by construction, :func:`_start_from`), so stage 2 always has a plan.
STAGE2_WARM_START = False


# Stage 1's dual simplex with single-iteration parallelism (SIP): each iteration's pricing and updates split
# over the threads, the pivots those of the serial dual simplex. On europe-2030-capacity's relaxation
# (63,024 rows, 2026-12-06, 2 cores, the LP alone): 43,549 iterations either way and the same solution
# value for value, 10.7-12.1 s against 14.2-15.2 s serial. PAMI (strategy 3) took 10.7 s but another
# path (38,377 iterations); HiGHS's MIP solves ignore the option (stage 3's bound, 60 s, identical).
STAGE1_HIGHS_OPTIONS = {"simplex_strategy": 2}


# Stage 1 while stage 3 searches in its own process (:data:`STAGE3_BESIDE_STAGE2`): the serial dual simplex.
# SIP's threads wait for each other at every iteration, and with stage 3 on one of the two cores the
# relaxation did not finish within its 60 s (europe-2030-capacity, 2026-12-06, 2 cores, two runs); serial,
# it took 16.2-19.1 s beside stage 3 (ten runs; 12.0 s alone in the same hour).
STAGE1_BESIDE_HIGHS_OPTIONS = {"simplex_strategy": 1}


# Stage 3 in its own process runs HiGHS on one thread: it shares two cores with stages 1 and 2, and HiGHS's
# MIP search runs on one core anyway. Measured on europe-2030-capacity (2026-12-06, 2 cores): its bound
# reached the 954.5 M EUR stage 2's plan needs after 59.3-63.5 s of its own with one thread (nine runs),
# 66.3 s with HiGHS's default thread count (one run).
STAGE3_BESIDE_HIGHS_OPTIONS = {"threads": 1}


_SUPPORT_EPS = 1e-6  # sites the relaxation opens by more than this form stage 2's candidates


_STAGE3_MIN_S = 5.0  # stage 3 runs only if at least this much of the time limit is left


# Stage 3 is there for its bound: its plan is stage 2's (it has found no cheaper one on europe-2030-capacity
# in any run measured), so HiGHS runs it without primal heuristics. Measured on that scenario as shipped
# (300 s, 2 cores, one run each, alone on the machine, 2026-12-05, stop 46; stage 2 took 53-55 s): with
# them, sub-MIP heuristics took 93 s of stage 3's 217 s after its first root cut loop (with RINS and RENS
# off, still 82 s), HiGHS restarted its root only at 182 s and the run ended feasible at 1.03 % (bound
# 954.07 M EUR); without them the restart came at 84 s, the bound reached 954.07 M at 122 s and 954.38 M
# at 198 s: optimal at 0.999 % after a 276-278 s solve (two runs). The plan is the same (964.0 M EUR).
# After the root, HiGHS's reliability branching then spent 50 s (37,000 LP iterations of strong branching) on
# its first node; with pseudo-costs trusted from the first observation (mip_pscost_minreliable = 0) the same
# run proved 1 % at 156.5-156.7 s of stage 3 instead of 199 s (a 235-236 s solve instead of 277.5 s; two runs).
STAGE3_HIGHS_OPTIONS = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_pscost_minreliable": 0,
}


# Whether stage 3 searches for its bound in a process of its own beside stages 1 and 2
# (:mod:`~planner.features.capacity.bound_process`), when the machine has two cores or more, the gap
# wanted is positive and stage 3 could price the capex alone (:func:`_beside`). Otherwise it runs after
# stage 2, started from its plan (:func:`_every_site`).
STAGE3_BESIDE_STAGE2 = True


@dataclass
class TwoStage:
    """Outcome of the stages: the exact model (decoded as the plan) and each solve (``stage3`` if it ran)."""

    model: PlanningModel
    result: SolveResult
    stage1: SolveResult
    stage2: SolveResult
    hubs_stage1: int
    stage3: SolveResult | None = None
    stage3_peak_mb: float | None = None  # stage 3's process's own peak memory, when it ran in one


def solve_two_stage(
    instance: PlanningInstance,
    spec: ModelSpec,
    config: SolverConfig,
    *,
    log: Callable[[str], None] = lambda _m: None,
    solve_log: SolveLog | None = None,
) -> TwoStage:
    """Solve ``spec`` (exact integer levels in its capacity part) in two stages.

    Returns
    -------
    TwoStage
        ``result`` combines them (:func:`combine_stages`): the cheaper plan of stages 2 and 3, the
        higher of the stage-1 and stage-3 bounds and the gap between them; status ``optimal`` only
        if that gap is within ``config.mip_gap``. ``stage3`` is ``None`` when stage 3 did not run
        (stage 2 already within the gap, under ``_STAGE3_MIN_S`` left, or a second goal to keep).
    """
    exact: CapacitySpec = spec.part("capacity").data
    relaxed = replace(exact, integer_levels=False)  # each site keeps the hull of the levels it can need
    t0 = time.perf_counter()
    m2 = build_model(instance, spec)
    volume = group_weight(instance, m2.variables.groups, instance.volume)  # trucks/day per group of flows
    beside = _beside(instance, spec, m2, volume, config, t0, log, solve_log)
    try:
        return _stages(instance, spec, config, m2, volume, relaxed, t0, beside, log, solve_log)
    finally:
        if beside is not None:
            beside.process.close()


def _stages(
    instance: PlanningInstance,
    spec: ModelSpec,
    config: SolverConfig,
    m2: PlanningModel,
    volume: np.ndarray,
    relaxed: CapacitySpec,
    t0: float,
    beside: Beside | None,
    log: Callable[[str], None],
    solve_log: SolveLog | None,
) -> TwoStage:
    """Stages 1, 2 and 3 of :func:`solve_two_stage` (``m2`` the exact model, stage 3 searching for its
    bound in ``beside`` if not None)."""
    exact: CapacitySpec = spec.part("capacity").data
    m1 = build_model(instance, spec.with_part(capacity_part(relaxed)))
    for v in m1.problem.variables():
        v.cat = pulp.LpContinuous
    s1 = m1.size()
    log(
        f"stage 1 (linear relaxation, {len(m1.parts['capacity'].level):,} hull levels over "
        f"{len(m1.variables.open):,} sites): {s1['rows']:,} rows, {s1['columns']:,} columns"
    )
    stage1 = config.model_copy(update={"time_limit_s": config.time_limit_s * _STAGE1_SHARE})
    # Dual simplex, not interior point: on europe-2030-capacity IPM reached the same optimum in 11 s
    # instead of 23 s, but its crossover vertex opened 134-146 sites instead of 116, and stage 2
    # on them took 190-285 s instead of 74 s for a plan no better (2026-12-03, 2 cores).
    options = STAGE1_HIGHS_OPTIONS if beside is None else STAGE1_BESIDE_HIGHS_OPTIONS
    r1 = solve_problem(m1.problem, stage1, log=solve_log, highs_options=options)
    log(f"stage 1: {r1.describe()}")
    if not r1.has_solution:
        return TwoStage(m1, r1, r1, r1, 0)
    support = {k: (v.value() or 0.0) > _SUPPORT_EPS for k, v in m1.variables.open.items()}
    reopen = _start_from(m2, m1, exact, support, volume)
    left = max(config.time_limit_s - (time.perf_counter() - t0), 0.1 * config.time_limit_s)
    n_support = sum(support.values())
    log(f"stage 2 (exact levels on the {n_support} sites the relaxation opens): {left:.0f} s left")
    # Stage 2 is small: solve it tighter than the overall target, whose gap is measured against
    # the weaker stage-1 bound.
    stage2 = config.model_copy(update={"time_limit_s": left, "mip_gap": config.mip_gap * STAGE2_GAP_SHARE})
    # The relaxation rounded up is stage 2's fallback, not HiGHS's start (:data:`STAGE2_WARM_START`).
    rounded = column_values(m2.problem)
    r2 = solve_lexicographic(m2.problem, *m2.goals(), stage2, warm_start=STAGE2_WARM_START, log=solve_log).combined
    if r2.status == "no_solution":  # stopped (time limit, Ctrl-C) before a plan of its own
        r2 = _rounded_up(m2, rounded, r2)
    log(f"stage 2: {r2.describe()}")
    if not r2.has_solution:
        return TwoStage(m2, r2, r1, r2, n_support)
    left = config.time_limit_s - (time.perf_counter() - t0)
    r3 = None
    wanted = _gap(r2.objective, _stage1_bound(r1)) > config.mip_gap and m2.goals()[1] is None
    if wanted and beside is not None:
        log(
            f"stage 3 (exact levels on every site but {beside.closed:,} dominated ones, no start, in a process of "
            f"its own since {beside.started_s:.0f} s): searching for a bound of {need_for(r2, config.mip_gap):,.6g}"
        )
        r3 = bound_result(m2, beside, r2, config.mip_gap, solve_log)
        log(f"stage 3: {r3.describe()}")
    failed = None
    if r3 is not None and r3.status == "error":  # no answer from its process: stage 3 after stage 2 instead
        failed, r3 = r3, None
        left = config.time_limit_s - (time.perf_counter() - t0)
        if wanted and left >= _STAGE3_MIN_S:
            log(f"stage 3: {failed.message}; it runs after stage 2 instead")
    if wanted and r3 is None and left >= _STAGE3_MIN_S:
        closed = _dominated(instance, spec, m2, volume)
        log(
            f"stage 3 (exact levels on every site but {len(closed):,} dominated ones, started from stage 2's "
            f"plan): {left:.0f} s left"
        )
        r3 = _every_site(m2, reopen, closed, r2, config.model_copy(update={"time_limit_s": left}), solve_log)
        log(f"stage 3: {r3.describe()}")
    if failed is not None:
        r3 = failed if r3 is None else replace(r3, message=f"{failed.message}, so after stage 2: {r3.message}")
    wall = None if beside is None else time.perf_counter() - t0  # stages side by side: the wall time
    result = combine_stages(r1, r2, r3, config.mip_gap, wall_s=wall)
    return TwoStage(m2, result, r1, r2, n_support, r3, None if beside is None else beside.peak_mb)


def _beside(
    instance: PlanningInstance,
    spec: ModelSpec,
    m2: PlanningModel,
    volume: np.ndarray,
    config: SolverConfig,
    t0: float,
    log: Callable[[str], None],
    solve_log: SolveLog | None,
) -> Beside | None:
    """Start stage 3 in a process of its own (:data:`STAGE3_BESIDE_STAGE2`): the exact model ``m2`` on every
    site but the dominated ones, minimising the capex alone, with no start; None where it does not apply
    (HiGHS not the solver, a zero gap, one core, ``solver.threads = 1``, a second goal, an objective that is
    not capex plus a non-negative charge, or cover rows kept as arrays)."""
    if not STAGE3_BESIDE_STAGE2 or config.name != "highs" or config.mip_gap <= 0 or _cores() < 2:
        return None
    if config.threads is not None and config.threads < 2:  # a second busy process would break the user's limit
        return None
    first, second = m2.goals()
    if second is not None or first.sense != pulp.LpMinimize or getattr(m2.problem, "lazy_cover", None) is not None:
        return None
    capex = m2.capex()
    if not _capex_only(first.expression - capex):
        return None
    closed = _dominated(instance, spec, m2, volume, keep_plan=False)
    options = STAGE3_HIGHS_OPTIONS | STAGE3_BESIDE_HIGHS_OPTIONS
    return start_beside(m2, closed, capex, options, config.time_limit_s, t0, log, solve_log)


def _rounded_up(m2: PlanningModel, rounded: dict[str, float | None], r2: SolveResult) -> SolveResult:
    """Stage 2 without a plan of its own: the relaxation rounded up (the values ``rounded`` of every
    column, set by :func:`_start_from`), a feasible plan, as its result."""
    restore_values(m2.problem, rounded)
    value = pulp.value(m2.problem.objective)
    if value is None:  # a column without a value: no plan to fall back on
        return r2
    return replace(
        r2,
        status="feasible",
        objective=float(value),
        best_bound=None,
        mip_gap=None,
        message=f"{r2.message}; no plan of its own: the relaxation rounded up",
    )


def _dominated(
    instance: PlanningInstance, spec: ModelSpec, m2: PlanningModel, volume: np.ndarray, keep_plan: bool = True
) -> list[int]:
    """The sites stage 3 may leave closed: those another site dominates
    (:func:`~planner.features.capacity.dominance.dominated_sites`; ``volume`` per group of flows) and,
    with ``keep_plan``, stage 2's plan does not open (else every dominated site).

    Some optimal plan opens no dominated site, so stage 3's bound still holds for the whole problem,
    and keeping stage 2's sites keeps its plan as the start. Only when the capacity part is the only
    one in the model (another part's rows could need the site itself).
    """
    if [p.name for p in spec.parts] != ["capacity"]:
        return []
    sizing: CapacitySpec = spec.part("capacity").data
    locked = instance.site_locked
    cost = np.full(len(locked), sizing.site_fixed_eur)  # every new site's (locked ones are never dominated)
    found = dominated_sites(m2.variables.group_windows, volume, sizing, cost, locked)
    is_open = open_sites(m2) if keep_plan else np.zeros(len(locked), dtype=bool)
    return [k for k in found if k in m2.variables.open and not is_open[k]]


def _stage1_bound(r1: SolveResult) -> float | None:
    """Stage 1's objective if it is a bound (a relaxation solved to optimality; one stopped early proves nothing)."""
    return r1.objective if r1.status == "optimal" else None


def _gap(cost: float | None, bound: float | None) -> float:
    """Relative gap of ``cost`` to ``bound`` capped at it (infinite when either is unknown or the cost
    is not positive)."""
    if cost is None or bound is None or cost <= 0:
        return math.inf
    return relative_gap(cost, min(bound, cost))


def _better(r3: SolveResult | None, r2: SolveResult) -> bool:
    """Whether stage 3 found a plan strictly cheaper than stage 2's (ties keep stage 2's, for stable plans)."""
    if r3 is None or not r3.has_solution or r3.objective is None or r2.objective is None:
        return False
    return r3.objective < r2.objective - (1e-9 * abs(r2.objective) + 1e-6)


def combine_stages(
    r1: SolveResult, r2: SolveResult, r3: SolveResult | None, mip_gap: float, *, wall_s: float | None = None
) -> SolveResult:
    """The reported result: the cheaper plan of stages 2 and 3 against the higher of their valid bounds.

    Stage 1's optimum and stage 3's dual bound (the exact model on every site, also when a time limit
    stopped it, and also without a plan of its own) are both lower bounds on the whole problem; stage
    2's is not (it sees only the support). The bound is capped at the plan's cost. Status ``optimal``
    only if the gap is within ``mip_gap``. ``seconds`` is ``wall_s`` if given (stage 3 ran beside the
    others), else the stages' sum.
    """
    bounds = [b for b in (_stage1_bound(r1),) if b is not None]
    if r3 is not None and r3.status in ("optimal", "feasible", "no_solution") and r3.best_bound is not None:
        bounds.append(r3.best_bound)
    better = _better(r3, r2)
    cost = r3.objective if better else r2.objective
    bound = None if not bounds or cost is None else min(max(bounds), cost)
    gap: float | None = _gap(cost, bound)
    gap = None if math.isinf(gap) else gap
    message = f"two-stage: linear relaxation {r1.status}, exact levels on its support {r2.status} ({r2.message})"
    if r3 is not None:
        found = "a cheaper plan" if better else "no cheaper plan"
        message += f"; stage 3, exact levels on every site: {r3.status}, {found} ({r3.message})"
    return SolveResult(
        status="optimal" if gap is not None and gap <= mip_gap + 1e-12 else "feasible",
        solver=r2.solver,
        objective=cost,
        best_bound=bound,
        mip_gap=gap,
        seconds=wall_s if wall_s is not None else r1.seconds + r2.seconds + (r3.seconds if r3 is not None else 0.0),
        time_limit_hit=r1.time_limit_hit or r2.time_limit_hit or (r3 is not None and r3.time_limit_hit),
        message=message,
    )


def _every_site(
    m2: PlanningModel,
    reopen: dict[int, float | None],
    closed: list[int],
    r2: SolveResult,
    config: SolverConfig,
    solve_log: SolveLog | None,
) -> SolveResult:
    """Stage 3: the exact model on every site but ``closed``, started from stage 2's plan, for its bound
    (and a cheaper plan, which HiGHS's branching may still find with its primal heuristics and strong
    branching off, :data:`STAGE3_HIGHS_OPTIONS`).

    Stage 2's values are kept (restored after the solve) unless stage 3 finds a strictly cheaper
    plan, so the decoded plan never gets worse and does not change on a tie.
    """
    kept = {}
    for v in m2.problem.variables():
        value = start_value(v, v.varValue or 0.0)
        v.varValue = value  # a start inside the bounds, which HiGHS accepts as is
        kept[v.name] = value
    for k, up in reopen.items():
        m2.variables.open[k].upBound = up
    for k in closed:
        m2.variables.open[k].upBound = 0
    objective, capex = m2.problem.objective, m2.capex()
    target = capex_gap(config.mip_gap, r2.objective, pulp.value(capex))
    priced = _capex_only(objective - capex) and target > 0.0  # the rest: the tie-breaking charge
    if priced:  # stage 3 proves a bound on the capex alone (:func:`capex_gap`)
        config = config.model_copy(update={"mip_gap": target})
        m2.problem.objective = pulp.LpAffineExpression(capex)  # a copy: the model keeps its capex
    try:
        r3 = solve_problem(m2.problem, config, warm_start=True, log=solve_log, highs_options=STAGE3_HIGHS_OPTIONS)
    finally:
        m2.problem.objective = objective
    r3 = replace(r3, message=f"started from stage 2's plan; {r3.message}")
    if priced and r3.has_solution:  # its plan's value with the charge, to compare with stage 2's
        value = float(pulp.value(objective))
        gap = relative_gap(value, r3.best_bound) if r3.best_bound is not None else None
        message = f"{r3.message}; its bound is on the capex alone, rounded up to whole price steps"
        r3 = replace(r3, objective=value, mip_gap=gap, message=message)
    if not _better(r3, r2):
        restore_values(m2.problem, kept)
    return r3


def _capex_only(rest: object) -> bool:
    """Whether stage 3 may leave ``rest`` (the objective less the capex: the tie-breaking charge) out of
    its objective: a linear expression with a term on some column, every term non-negative on its
    column's bounds, so the capex alone bounds the whole objective from below."""
    if not isinstance(rest, pulp.LpAffineExpression) or not any(rest.values()):
        return False
    return rest.constant >= 0 and all(
        c >= 0 and (c == 0 or (v.lowBound is not None and v.lowBound >= 0)) for v, c in rest.items()
    )


def capex_gap(mip_gap: float, plan: float | None, plan_capex: float | None) -> float:
    """Stage 3's gap target on the capex alone, so that it proves ``mip_gap`` for the plan's capex plus charge.

    Stage 3 minimises the capex without the tie-breaking charge (non-negative): its bound bounds the
    whole objective too, and the capex takes only whole multiples of the points' and sites' prices, so
    HiGHS's bound rounds up to that lattice (:class:`~planner.lattice.LatticeStop`; with the charge in
    the objective no lattice is known and the bound cannot be rounded). A capex bound ``b`` proves the
    gap for stage 2's plan (``plan`` with the charge, ``plan_capex`` without) once
    ``b >= plan * (1 - mip_gap)``, that is once the capex gap ``1 - b / plan_capex`` is at most the
    value returned.

    Parameters
    ----------
    mip_gap
        The relative gap wanted for the plan's whole objective.
    plan, plan_capex
        Stage 2's plan: its objective, and its capex alone.
    """
    if plan is None or plan_capex is None or plan_capex <= 0 or plan <= plan_capex:
        return mip_gap
    return max(1.0 - (1.0 - mip_gap) * plan / plan_capex, 0.0)


def _start_from(
    m2: PlanningModel, m1: PlanningModel, exact: CapacitySpec, x1: dict[int, bool], volume: np.ndarray
) -> dict[int, float | None]:
    """Restrict stage 2 to the relaxation's support and start it from the relaxation rounded up.

    Returns the upper bounds of the sites it closed (stage 3 opens them again).
    """
    v1, v2 = m1.variables, m2.variables
    reopen: dict[int, float | None] = {}
    for k, x in v2.open.items():
        x.setInitialValue(1.0 if x1[k] else 0.0)
        if not x1[k]:
            reopen[k] = x.upBound
            x.upBound = 0
    # Served groups in the relaxation are served fully; their assignments scaled to 1.
    scale = {}
    for g, y in v2.served.items():
        y1 = float(v1.served[g].value() or 0.0)
        y.setInitialValue(1.0 if y1 > 1e-6 else 0.0)
        scale[g] = 1.0 / y1 if y1 > 1e-6 else 0.0
    c1, c2 = m1.parts["capacity"], m2.parts["capacity"]
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
            # the smallest level taking the sessions, at least the points already standing (site_levels)
            lowest = min((li for li in range(len(tl.servers)) if (k, ti, li) in c2.level), default=0)
            pick = max(tl.level_for(s_t), lowest)
            for li in range(len(tl.servers)):
                if (k, ti, li) in c2.level:  # the levels this site can need (site_levels)
                    c2.level[k, ti, li].setInitialValue(1.0 if x1[k] and li == pick else 0.0)
            if (k, ti) in c2.split:
                c2.split[k, ti].setInitialValue(s_t if x1[k] else 0.0)
    return reopen
