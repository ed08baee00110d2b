"""Solving: HiGHS (highspy) by default, CBC (bundled with PuLP) as fallback or by choice.

The result reports what the solver says: status, objective, best bound, relative MIP gap
and seconds. A time limit that stops the search with an incumbent is ``feasible``, never
``optimal``.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pulp

from planner.errors import SolverError
from planner.scenario import SolverConfig

__all__ = ["Goal", "LexResult", "SolveResult", "solve_lexicographic", "solve_problem"]


@dataclass(frozen=True)
class SolveResult:
    """Honest solver outcome.

    Attributes
    ----------
    status
        ``optimal`` (proved within ``mip_gap``), ``feasible`` (stopped early with an
        incumbent, e.g. time limit), ``infeasible``, ``no_solution`` (stopped without one)
        or ``error``.
    solver
        ``highs`` or ``cbc``.
    objective
        Objective of the incumbent, in the model's sense (None without one).
    best_bound
        Best proven bound on the objective (None if unknown).
    mip_gap
        Relative gap as reported by the solver (None if unknown).
    seconds
        Wall-clock seconds in the solver.
    time_limit_hit
        True if the time limit stopped the search.
    message
        Solver-specific status text.
    """

    status: str
    solver: str
    objective: float | None
    best_bound: float | None
    mip_gap: float | None
    seconds: float
    time_limit_hit: bool
    message: str

    @property
    def has_solution(self) -> bool:
        """True if an incumbent exists (optimal or feasible)."""
        return self.status in ("optimal", "feasible")

    def describe(self) -> str:
        """One line for logs: status, objective, bound, gap and time."""
        gap = "n/a" if self.mip_gap is None else f"{self.mip_gap:.3%}"
        obj = "n/a" if self.objective is None else f"{self.objective:,.6g}"
        bound = "n/a" if self.best_bound is None else f"{self.best_bound:,.6g}"
        return f"{self.solver}: {self.status}, objective {obj}, bound {bound}, gap {gap}, {self.seconds:.1f} s"

    def to_dict(self) -> dict:
        """JSON-friendly dict."""
        return asdict(self)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level stdout (HiGHS prints a banner even with output off)."""
    try:
        fd = os.dup(1)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(fd, 1)
        os.close(fd)


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) or abs(x) >= 1e30 else float(x)


class _WarmHiGHS(pulp.HiGHS):
    """PuLP's HiGHS API with a MIP start taken from the variables' current values."""

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        import highspy

        values = [v.varValue if v.varValue is not None else 0.0 for v in lp.variables()]
        sol = highspy.HighsSolution()
        sol.col_value = values
        sol.value_valid = True
        lp.solverModel.setSolution(sol)
        lp.solverModel.run()


def _solve_highs(problem: pulp.LpProblem, config: SolverConfig, *, warm_start: bool = False) -> SolveResult:
    import highspy

    cls = _WarmHiGHS if warm_start else pulp.HiGHS
    solver = cls(msg=False, timeLimit=config.time_limit_s, gapRel=config.mip_gap, threads=config.threads)
    t0 = time.perf_counter()
    with _quiet_stdout():
        problem.solve(solver)
    seconds = time.perf_counter() - t0
    h = problem.solverModel
    model_status = h.getModelStatus()
    info = h.getInfo()
    sign = -1.0 if problem.sense == pulp.LpMaximize else 1.0
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    obj = _finite(info.objective_function_value) if has_sol else None
    bound = _finite(info.mip_dual_bound)
    gap = _finite(info.mip_gap)
    is_mip = any(v.cat == pulp.LpInteger for v in problem.variables())
    if not is_mip:
        bound, gap = obj, 0.0 if obj is not None else None
    ms = highspy.HighsModelStatus
    time_hit = model_status in (ms.kTimeLimit, ms.kIterationLimit, ms.kSolutionLimit, ms.kInterrupt)
    if model_status == ms.kOptimal:
        status = "optimal"
    elif model_status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        status = "infeasible"
    elif has_sol and time_hit:
        status = "feasible"
    elif time_hit:
        status = "no_solution"
    else:
        status = "error"
    return SolveResult(
        status=status,
        solver="highs",
        objective=None if obj is None else sign * obj,
        best_bound=None if bound is None else sign * bound,
        mip_gap=gap if status in ("optimal", "feasible") else None,
        seconds=seconds,
        time_limit_hit=time_hit,
        message=h.modelStatusToString(model_status),
    )


_CBC_PATTERNS = {
    "objective": re.compile(r"^Objective value:\s+(\S+)", re.M),
    "bound": re.compile(r"^(?:Lower|Upper) bound:\s+(\S+)", re.M),
    "gap": re.compile(r"^Gap:\s+(\S+)", re.M),
    "result": re.compile(r"^Result - (.+)$", re.M),
}


def _solve_cbc(problem: pulp.LpProblem, config: SolverConfig) -> SolveResult:
    with tempfile.TemporaryDirectory(prefix="planner-cbc-") as tmp:
        log = Path(tmp) / "cbc.log"
        solver = pulp.PULP_CBC_CMD(
            msg=False,
            timeLimit=config.time_limit_s,
            gapRel=config.mip_gap,
            threads=config.threads,
            logPath=str(log),
            keepFiles=False,
        )
        t0 = time.perf_counter()
        with _quiet_stdout(), contextlib.suppress(pulp.PulpSolverError):
            problem.solve(solver)
        seconds = time.perf_counter() - t0
        text = log.read_text() if log.exists() else ""
    found = {k: p.search(text) for k, p in _CBC_PATTERNS.items()}
    result = found["result"].group(1).strip() if found["result"] else pulp.LpStatus[problem.status]
    # CBC logs objective and bound in the problem's own sense ("Upper bound" when maximising);
    # its gap carries a sign by convention: report the magnitude.
    obj_log = float(found["objective"].group(1)) if found["objective"] else None
    bound_log = float(found["bound"].group(1)) if found["bound"] else None
    gap = abs(float(found["gap"].group(1))) if found["gap"] else None
    time_hit = "time" in result.lower() or "stopped" in result.lower()
    sol = problem.sol_status
    if sol == pulp.LpSolutionOptimal and not time_hit:
        status = "optimal"
    elif sol in (pulp.LpSolutionIntegerFeasible, pulp.LpSolutionOptimal):
        status = "feasible"
    elif sol == pulp.LpSolutionInfeasible or "infeasible" in result.lower():
        status = "infeasible"
    elif time_hit:
        status = "no_solution"
    else:
        status = "error"
    obj = pulp.value(problem.objective) if status in ("optimal", "feasible") else None
    if obj is None and status in ("optimal", "feasible"):
        obj = obj_log
    if status == "optimal":
        bound = bound_log if bound_log is not None else obj
        gap = gap if gap is not None else 0.0
    else:
        bound = bound_log
    return SolveResult(
        status=status,
        solver="cbc",
        objective=obj,
        best_bound=bound,
        mip_gap=gap if status in ("optimal", "feasible") else None,
        seconds=seconds,
        time_limit_hit=time_hit,
        message=result,
    )


def solve_problem(problem: pulp.LpProblem, config: SolverConfig, *, warm_start: bool = False) -> SolveResult:
    """Solve a PuLP problem with the configured solver (and CBC fallback).

    Parameters
    ----------
    problem
        The model.
    config
        Solver name, limits and fallback.
    warm_start
        Start HiGHS from the variables' current values (``var.setInitialValue``), e.g. a
        heuristic plan; ignored by CBC here.

    Returns
    -------
    SolveResult
        Status, objective, bound, gap and time as the solver reports them.

    Raises
    ------
    SolverError
        If no solver could run.
    """
    if not problem.variables():
        return SolveResult("optimal", config.name, 0.0, 0.0, 0.0, 0.0, False, "empty model: nothing to decide")
    if config.name == "highs":
        try:
            result = _solve_highs(problem, config, warm_start=warm_start)
        except (ImportError, pulp.PulpSolverError) as exc:
            if not config.fallback:
                raise SolverError(f'HiGHS failed ({exc}); set solver.name = "cbc" or solver.fallback = true.') from None
            return _solve_cbc(problem, config)
        if result.status == "error" and config.fallback:
            return _solve_cbc(problem, config)
        return result
    return _solve_cbc(problem, config)


@dataclass(frozen=True)
class Goal:
    """One objective of a lexicographic solve: an expression, its sense and a name for reports."""

    expression: pulp.LpAffineExpression
    sense: int  # pulp.LpMaximize or pulp.LpMinimize
    name: str


@dataclass(frozen=True)
class LexResult:
    """Both stages of a lexicographic solve and the combined, honest headline."""

    first: SolveResult
    second: SolveResult | None
    combined: SolveResult
    first_goal: str
    second_goal: str | None

    def to_dict(self) -> dict:
        """JSON-friendly form for summary.json."""
        return {
            "first": {"goal": self.first_goal, **self.first.to_dict()},
            "second": None if self.second is None else {"goal": self.second_goal, **self.second.to_dict()},
        }


def _values(problem: pulp.LpProblem) -> dict[str, float | None]:
    return {v.name: v.varValue for v in problem.variables()}


def _restore(problem: pulp.LpProblem, values: dict[str, float | None]) -> None:
    for v in problem.variables():
        v.varValue = values.get(v.name)


def _combine(r1: SolveResult, r2: SolveResult | None, value: float | None) -> SolveResult:
    """Headline of a lexicographic solve: the first goal's bound and gap as the solver gave them, its
    value at the final plan, and ``optimal`` only if every stage that ran was."""
    if r2 is None or not r2.has_solution:
        return r1
    status = "optimal" if r1.status == "optimal" and r2.status == "optimal" else "feasible"
    return SolveResult(
        status=status,
        solver=r1.solver,
        objective=value,
        best_bound=r1.best_bound,
        mip_gap=r1.mip_gap,
        seconds=r1.seconds + r2.seconds,
        time_limit_hit=r1.time_limit_hit or r2.time_limit_hit,
        message=f"lexicographic: first {r1.status} ({r1.message}), then {r2.status} ({r2.message})",
    )


def solve_lexicographic(
    problem: pulp.LpProblem,
    first: Goal,
    second: Goal | None,
    config: SolverConfig,
    *,
    warm_start: bool = False,
    tag: str = "lex",
) -> LexResult:
    """Optimise ``first``; then, with ``first`` held at the value found (within a relative 1e-9 and
    an absolute 1e-6 tolerance), optimise ``second`` as a solve of its own, started from the first
    stage's plan.

    The second stage gets the time the first left (at least a quarter of ``time_limit_s``). If it
    finds nothing, the first stage's plan is kept. The first goal's bound and gap are reported as
    the solver gave them; the second stage's own status, bound and gap are in ``second``.
    """
    problem.sense = first.sense
    problem.setObjective(first.expression)
    r1 = solve_problem(problem, config, warm_start=warm_start)
    if second is None or not r1.has_solution:
        return LexResult(r1, None, r1, first.name, None)
    value = float(pulp.value(first.expression) or 0.0)
    slack = 1e-9 * abs(value) + 1e-6
    if first.sense == pulp.LpMaximize:
        problem += (first.expression >= value - slack, f"{tag}_keep_{first.name}")
    else:
        problem += (first.expression <= value + slack, f"{tag}_keep_{first.name}")
    kept = _values(problem)
    problem.sense = second.sense
    problem.setObjective(second.expression)
    left = max(config.time_limit_s - r1.seconds, 0.25 * config.time_limit_s)
    r2 = solve_problem(problem, config.model_copy(update={"time_limit_s": left}), warm_start=True)
    if not r2.has_solution:
        _restore(problem, kept)
    final = float(pulp.value(first.expression) or 0.0)
    return LexResult(r1, r2, _combine(r1, r2, final), first.name, second.name)
