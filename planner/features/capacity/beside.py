"""Stage 3 of the staged capacity solve in a process of its own, beside stages 1 and 2.

:mod:`~planner.features.capacity.two_stage` decides whether it applies (two cores or more, a positive
gap wanted, an objective of capex plus a non-negative charge) and which sites it leaves closed; this
module starts it (:func:`start_beside`: the exact model on every other site, minimising the capex
alone, handed to :class:`~planner.features.capacity.bound_process.BoundProcess` as arrays) and turns
its answer into stage 3's result once stage 2 has a plan (:func:`bound_result`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import pulp

from planner.features.capacity.bound_process import BoundOutcome, BoundProcess, bound_model
from planner.features.coverage.model import PlanningModel
from planner.highs import build_direct, relative_gap
from planner.solve import SolveLog, SolveResult, column_values, quiet_stdout, restore_values

__all__ = ["Beside", "bound_result", "cores", "need_for", "start_beside"]


@dataclass
class Beside:
    """Stage 3 in its own process: the process, the exact model's columns in its order, how many
    dominated sites it leaves closed, when it started (seconds into the staged solve) and its peak memory."""

    process: BoundProcess
    columns: list[pulp.LpVariable]
    closed: int
    started_s: float
    peak_mb: float | None = None  # the process's own peak memory, once it has answered


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def start_beside(
    m2: PlanningModel,
    closed: list[int],
    capex: pulp.LpAffineExpression,
    options: dict,
    time_limit_s: float,
    t0: float,
    log: Callable[[str], None],
    solve_log: SolveLog | None,
) -> Beside:
    """Start stage 3: ``m2`` with the sites ``closed`` shut and ``capex`` as its objective, as arrays in a
    process of its own with HiGHS ``options``, until ``time_limit_s`` after ``t0`` (``time.perf_counter``).
    ``m2`` is left as it was."""
    objective, sense = m2.problem.objective, m2.problem.sense
    bounds = {k: m2.variables.open[k].upBound for k in closed}
    try:
        for k in closed:
            m2.variables.open[k].upBound = 0
        m2.problem.sense = pulp.LpMinimize
        m2.problem.objective = pulp.LpAffineExpression(capex)  # a copy: the model keeps its capex
        with quiet_stdout():
            direct = build_direct(m2.problem, None)
        model = bound_model(direct.highs)
    finally:
        for k, up in bounds.items():
            m2.variables.open[k].upBound = up
        m2.problem.objective, m2.problem.sense = objective, sense
    started = time.perf_counter() - t0
    process = BoundProcess(
        model,
        options,
        time_limit_s - started,
        progress=solve_log.progress if solve_log is not None else None,
        every_s=solve_log.every_s if solve_log is not None else 10.0,
    )
    log(
        f"stage 3 started in a process of its own: exact levels on every site but {len(closed):,} dominated ones, "
        f"the capex alone, {model.n_rows:,} rows, {model.n_cols:,} columns"
    )
    return Beside(process, direct.variables, len(closed), started)


def need_for(r2: SolveResult, mip_gap: float) -> float:
    """The capex bound that proves ``mip_gap`` for stage 2's plan (capex plus charge, the charge
    non-negative: a bound on the capex alone bounds the whole objective)."""
    return float(r2.objective) * (1.0 - mip_gap)


def bound_result(
    m2: PlanningModel, beside: Beside, r2: SolveResult, mip_gap: float, solve_log: SolveLog | None
) -> SolveResult:
    """Stage 3's result from its own process: told the bound stage 2's plan needs (:func:`need_for`), its
    bound (on the capex alone, rounded up to the price lattice) and, if it found a strictly cheaper
    plan than stage 2's (valued with the charge), that plan in ``m2``'s columns."""
    process = beside.process
    process.need(need_for(r2, mip_gap))
    out = process.result()
    if out is None:
        why = process.error()
        return SolveResult(
            "error", "highs", None, None, None, 0.0, False,
            "stage 3's process ended without an answer" + (f": {why}" if why else ""),
        )  # fmt: skip
    beside.peak_mb = out.peak_mb
    if solve_log is not None and solve_log.log_file is not None:
        with solve_log.log_file.open("a", encoding="utf-8") as fh:
            fh.write(f"--- solve: {m2.problem.name} stage 3, in a process of its own ---\n{out.log}")
    value = _value_of(m2, beside.columns, out)
    status = "optimal" if out.optimal else "feasible" if value is not None else "no_solution"
    if out.reached:
        head = "Stopped at the bound stage 2's plan needs"
    elif out.interrupted:
        head = "Stopped by the run"
    else:
        head = out.status
    return SolveResult(
        status=status,
        solver="highs",
        objective=value,
        best_bound=out.bound,
        mip_gap=None if value is None or out.bound is None else relative_gap(value, out.bound),
        seconds=out.seconds,
        time_limit_hit=out.time_limit_hit,
        message=(
            f"{head}; in a process of its own beside stages 1 and 2 (peak {out.peak_mb:,.0f} MB), no start, its bound "
            "on the capex alone, rounded up to whole price steps"
        ),
    )


def _value_of(m2: PlanningModel, columns: list[pulp.LpVariable], out: BoundOutcome) -> float | None:
    """The value (capex plus charge) of stage 3's own plan, written into ``m2``'s columns if strictly
    cheaper than the plan they hold (else they are left as they are); None without a plan."""
    if out.solution is None or {v.name for v in columns} != {v.name for v in m2.problem.variables()}:
        return None
    kept = column_values(m2.problem)
    before = float(pulp.value(m2.problem.objective))
    for v, x in zip(columns, out.solution.tolist(), strict=True):
        v.varValue = x
    value = float(pulp.value(m2.problem.objective))
    if not value < before - (1e-9 * abs(before) + 1e-6):  # a tie keeps stage 2's plan (as two_stage._better)
        restore_values(m2.problem, kept)
    return value
