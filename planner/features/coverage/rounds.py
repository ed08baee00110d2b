"""The round loop of lazily refined max coverage, shared by one year and by rollouts.

A lazy solve (:mod:`planner.features.coverage.lazy` for one year, :mod:`planner.features.rollout.lazy`
for the years of a rollout) solves relaxed models over kept windows in rounds. What a round is — build
the model, solve it, check its plan against every window and refine — is the caller's; this module
owns when rounds stop, how loosely each is solved, what they prove and how the outcome is reported:

* First goal (served weight, :func:`served_rounds`): rounds stop once the best true plan is within
  ``solver.mip_gap`` of the least round bound (every round's bound holds for the full model). Early
  rounds are solved loosely (5 % in the first, then a quarter of the last gap, never below half the
  target); a round solved within the target whose plan truly serves what it counted proves its own
  gap. A start plan is kept unless a round truly beats it.
* Second goal (least capex serving as much, :func:`cost_rounds`): the first round plan that truly
  serves the held weight; rounds stop when none refines a window or time runs out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import numpy as np
import pulp

from planner.highs import relative_gap
from planner.solve import SolveResult

__all__ = ["Round", "Served", "cost_rounds", "earlier_open", "rounds_message", "rounds_result", "served_rounds"]

#: Gap the first round is solved to; later rounds a quarter of the last gap (never below half the target).
FIRST_GAP = 0.05
#: Earlier improving plans of a round that refine the windows too (benchmarks/coverage_lazy.py --harvest).
HARVEST = 4


class _Valued(Protocol):
    value: float


P = TypeVar("P", bound=_Valued)
M = TypeVar("M")


@dataclass
class Round(Generic[M, P]):
    """One solved round: its model, the solver's result, its plan (None without one; ``value`` the
    plan's true served weight) and how many flows gained a window."""

    model: M
    result: SolveResult
    plan: P | None
    refined: int
    build_s: float = 0.0  # seconds spent building the model before the solver ran


#: Builds and solves one round: ``(gap, seconds for the solver, soft seconds or None, start plan or None)``.
SolveRound = Callable[[float, float, float | None, P | None], Round[M, P]]


@dataclass
class Served(Generic[M, P]):
    """Outcome of :func:`served_rounds`: the best true plan (a round's, or the start), its status,
    the least round bound and their gap, whether time ran out, the last round's model."""

    best: P | None
    status: str
    bound: float
    gap: float
    hit: bool
    model: M | None
    solver: str
    seconds: float


def served_rounds(
    solve_round: SolveRound,
    *,
    limit_s: float,
    share: float,
    target: float,
    solver: str,
    start: P | None = None,
    soft_limit_s: float | None = None,
    bound: float = math.inf,
    describe: Callable[[Round[M, P], float, float], str] = lambda _r, _b, _g: "",
    log: Callable[[str], None] = lambda _m: None,
    max_rounds: int = 200,
) -> Served[M, P]:
    """Rounds on the served weight until the best true plan is proven within ``target``.

    Parameters
    ----------
    solve_round
        Builds and solves one round (:data:`SolveRound`).
    limit_s
        The goal's time limit; before a plan is held a round may use all of it.
    share
        Once a plan is held, the rounds' share of ``limit_s`` (or of the soft limit); the rest is for
        moving hubs.
    target
        ``solver.mip_gap``.
    solver
        Reported when no round ran.
    start
        A plan meeting every limit; kept unless a round's plan truly serves more.
    soft_limit_s
        No new round starts after this many seconds once a plan is held; rounds get it as HiGHS's soft
        limit.
    bound
        A bound from elsewhere (:mod:`~planner.features.coverage.lp_bound`); a start within ``target`` needs no round.
    describe
        One progress line for a round, given the least bound and the gap so far.
    """
    t0 = time.perf_counter()
    stop_after = (limit_s if soft_limit_s is None else min(soft_limit_s, limit_s)) * share
    best, loose, gap = start, FIRST_GAP, math.inf if start is None else relative_gap(start.value, bound)
    # the last round's seconds outside the solver: checking its plan, and building it (as the next will)
    status, hit, model, check_s, overhead = "no_solution", False, None, 0.0, 0.0
    for _ in range(max_rounds if gap > target + 1e-12 else 0):
        elapsed = time.perf_counter() - t0
        if model is not None and best is not None and elapsed + overhead + 1.0 > stop_after:
            status, hit = "feasible", True
            break
        budget = limit_s if best is None else limit_s * share
        soft = None if soft_limit_s is None else max(stop_after - elapsed - overhead, 1.0)
        r0 = time.perf_counter()
        r = solve_round(loose, max(budget - elapsed - check_s, 1.0), soft, best)
        overhead = max(time.perf_counter() - r0 - r.result.seconds, 0.0)
        check_s = max(overhead - r.build_s, 0.0)
        model, solver = r.model, r.result.solver
        hit = r.result.time_limit_hit or time.perf_counter() - t0 >= limit_s
        if r.result.best_bound is not None:
            bound = min(bound, r.result.best_bound)
        if r.plan is None:
            status = r.result.status if best is None else "feasible"
            break
        if best is None or r.plan.value > best.value:
            best = r.plan
        gap = relative_gap(best.value, bound)
        log(describe(r, bound, gap))
        # a round whose plan truly serves what it counted proves its own gap for the full model
        exact = r.plan.value >= (r.result.objective or 0.0) - (1e-9 * abs(r.plan.value) + 1e-6)
        if gap <= target + 1e-12 or (exact and loose <= target and r.result.status == "optimal"):
            status = "optimal"
            break
        if hit:
            status = "feasible"
            break
        last = gap if math.isfinite(gap) else (r.result.mip_gap or loose)
        loose = max(target / 2, min(last, 1.0) / 4)
    else:
        status = "optimal" if gap <= target + 1e-12 else "feasible"
    seconds = time.perf_counter() - t0
    return Served(best, status, bound, gap, hit, model, solver, seconds)


def cost_rounds(
    solve_round: Callable[[float], Round[M, P]],
    hold: float,
    limit_s: float,
    *,
    solver: str,
    describe: Callable[[Round[M, P], bool], str],
    log: Callable[[str], None] = lambda _m: None,
    max_rounds: int = 200,
) -> tuple[Round[M, P] | None, SolveResult]:
    """Rounds on the capex with the served weight held at ``hold``: the first round whose plan truly
    serves as much, with its result; else None and a ``no_solution`` result. ``solve_round(seconds)``
    builds and solves one round within ``seconds``."""
    t0 = time.perf_counter()
    r, check_s, overhead = None, 0.0, 0.0
    for _ in range(max_rounds):
        left = limit_s - (time.perf_counter() - t0)
        if r is not None and left < overhead + 1.0:
            break
        r0 = time.perf_counter()
        r = solve_round(max(left - check_s, 1.0))
        overhead = max(time.perf_counter() - r0 - r.result.seconds, 0.0)
        check_s = max(overhead - r.build_s, 0.0)
        solver = r.result.solver
        ok = r.plan is not None and r.plan.value >= hold
        log(describe(r, ok))
        if ok:
            return r, r.result
        if r.plan is None or r.refined == 0:
            break
    seconds = time.perf_counter() - t0
    return None, SolveResult(
        "no_solution", solver, None, None, None, seconds, True, "no plan serving as much within the time"
    )


def earlier_open(
    problem: pulp.LpProblem, open_vars: dict, plans: list, harvest: int = HARVEST
) -> tuple[list, list[np.ndarray]]:
    """The keys of ``open_vars`` and, for each of up to ``harvest`` improving plans HiGHS found before its
    last one (column values in ``problem.variables()`` order), which of them it opens (variables fixed
    open count as open). They lie near the round's plan, so refining with them too saves rounds
    (``benchmarks/coverage_lazy.py --harvest``)."""
    keys = list(open_vars)
    if len(plans) < 2:  # the round's own plan only
        return keys, []
    column = {v.name: i for i, v in enumerate(problem.variables())}
    fixed = np.array([(v.lowBound or 0) >= 1 for v in open_vars.values()], dtype=bool)
    cols = np.array([column.get(v.name, -1) for v in open_vars.values()], dtype=np.int64)
    has = cols >= 0
    out = []
    for values in plans[-harvest - 1 : -1]:
        if len(values) != len(column):
            continue
        is_open = fixed.copy()
        is_open[has] |= np.asarray(values)[cols[has]] > 0.5
        out.append(is_open)
    return keys, out


def rounds_message(
    rounds: int, kept: int, total: int, what: str, status: str, has_plan: bool, gap: float, tail: str = ""
) -> str:
    """The message of a lazy solve: rounds, kept pairs, and the goal's gap to the least round bound."""
    head = f"lazy windows: {rounds} round(s), {kept:,} of {total:,} (flow, window) pairs kept"
    if has_plan and math.isfinite(gap):
        how = "within" if status == "optimal" else "at"
        return f"{head}; {what} {how} gap {gap:.2%} of the least round bound{tail}"
    return f"{head}; {'no plan' if not has_plan else 'no bound'}{tail}"


def rounds_result(
    status: str, solver: str, value: float | None, bound: float, gap: float, seconds: float, hit: bool, message: str
) -> SolveResult:
    """The honest result of lazy rounds: the best true plan's ``value`` (None without a plan), the least
    round ``bound`` and their ``gap`` where finite."""
    return SolveResult(
        status=status,
        solver=solver,
        objective=value,
        best_bound=bound if math.isfinite(bound) else None,
        mip_gap=gap if value is not None and math.isfinite(gap) else None,
        seconds=seconds,
        time_limit_hit=hit,
        message=message,
    )
