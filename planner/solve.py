"""Solving: HiGHS (highspy) by default, CBC (:mod:`planner.cbc`) as fallback or by choice.

The result reports what the solver says: status, objective, best bound, relative MIP gap
and seconds. A time limit that stops the search with an incumbent is ``feasible``, never
``optimal``.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pulp

from planner.errors import RunInterruptedError, SolverError
from planner.highs import Direct, Outcome, build_direct, relative_gap, solve_direct
from planner.lattice import Lattice, LatticeStop
from planner.scenario import SolverConfig

__all__ = [
    "Goal",
    "LexResult",
    "SolveLog",
    "SolveResult",
    "attach_log",
    "column_values",
    "combine_goals",
    "finite",
    "quiet_stdout",
    "restore_values",
    "second_stage_seconds",
    "solve_lexicographic",
    "solve_problem",
    "start_value",
]


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

    def only_empty_plan(self) -> bool:
        """Whether a maximisation (served weight) stopped unproven holding only a plan worth nothing —
        in practice opening no hub — while its bound says a plan worth more may exist.

        HiGHS finds that trivial plan at once; at its time limit it is no plan a user can act on
        (its gap is undefined: ``mip_gap`` is None), so it counts as no solution."""
        return (
            self.status == "feasible"
            and self.objective is not None
            and self.objective <= 1e-9
            and self.best_bound is not None
            and self.best_bound > 1e-6
        )

    @property
    def holds_a_plan(self) -> bool:
        """An incumbent a user can act on: :attr:`has_solution` and not :meth:`only_empty_plan`."""
        return self.has_solution and not self.only_empty_plan()

    def refuse_empty_plan(self, where: str) -> None:
        """Raise :class:`~planner.errors.SolverError` naming ``where`` if :meth:`only_empty_plan`."""
        if self.only_empty_plan():
            raise SolverError(
                f"{where}: within its time {self.solver} found no plan serving more than opening no hub (bound "
                f"{self.best_bound:,.6g}); raise solver.time_limit_s or set demand.max_flows lower."
            )

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
def quiet_stdout() -> Iterator[None]:
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


def finite(x: float | None) -> float | None:
    """``x`` as a float, or None when it is missing or not finite (HiGHS's ±1e30 and beyond count as infinite)."""
    return None if x is None or not math.isfinite(x) or abs(x) >= 1e30 else float(x)


@dataclass(frozen=True)
class SolveLog:
    """Where a solve reports while it runs.

    Attributes
    ----------
    progress
        Receives one line every ``every_s`` seconds of a MIP search: elapsed time, incumbent, bound, gap.
    log_file
        The solver's own log is appended to this file (every solve of the run, in order).
    echo
        Also passes every line of the solver's own log to ``progress`` (verbose mode).
    every_s
        Seconds between progress lines.
    """

    progress: Callable[[str], None] | None = None
    log_file: Path | None = None
    echo: bool = False
    every_s: float = 10.0


def attach_log(h: object, log: SolveLog | None, label: str) -> Callable[[], None]:
    """Subscribe to HiGHS's logging callbacks; returns a function that closes what was opened."""
    if log is None or (log.progress is None and log.log_file is None):
        return lambda: None
    h.setOptionValue("output_flag", True)
    h.setOptionValue("log_to_console", False)
    fh = log.log_file.open("a", encoding="utf-8") if log.log_file is not None else None
    if fh is not None:
        fh.write(f"--- solve: {label} ---\n")
    last = [time.monotonic()]

    def on_log(event: object) -> None:
        if fh is not None:
            fh.write(event.message)
        if log.echo and log.progress is not None and event.message.strip():
            log.progress(f"  {event.message.rstrip()}")

    def on_mip(event: object) -> None:
        now = time.monotonic()
        if log.progress is None or now - last[0] < log.every_s:
            return
        last[0] = now
        d = event.data_out
        gap = "n/a" if not math.isfinite(d.mip_gap) or d.mip_gap >= 1e30 else f"{d.mip_gap:.2%}"
        inc = "none yet" if abs(d.mip_primal_bound) >= 1e30 else f"{d.mip_primal_bound:,.6g}"
        bound = "n/a" if abs(d.mip_dual_bound) >= 1e30 else f"{d.mip_dual_bound:,.6g}"
        log.progress(f"{label}: {d.running_time:.0f} s, incumbent {inc}, bound {bound}, gap {gap}")

    h.cbLogging.subscribe(on_log)
    h.cbMipLogging.subscribe(on_mip)
    return (lambda: fh.close()) if fh is not None else (lambda: None)


def _run_interruptible(h: object) -> None:
    """Run HiGHS in its own thread so that Ctrl-C stops the search within seconds.

    On Ctrl-C the solve is cancelled through HiGHS's interrupt callbacks; once it has stopped, the run
    ends with :class:`~planner.errors.RunInterruptedError` (nothing has been written yet).
    """
    h.HandleUserInterrupt = True
    h.startSolve()
    try:
        while not h.wait(0.1)[0]:
            pass
    except KeyboardInterrupt:
        h.cancelSolve()
        while True:
            try:
                if h.wait(0.1)[0]:
                    break
            except KeyboardInterrupt:
                continue
        raise RunInterruptedError("interrupted during the solve (Ctrl-C); nothing was written.") from None


class _SoftStop:
    """A HiGHS MIP interrupt callback: once ``soft_s`` seconds have passed since ``t0``
    (``time.perf_counter``), stop a search that holds a plan; one without a plan runs on to its
    time limit. HiGHS then reports the interrupt (status ``feasible``, the bound and gap it had);
    ``fired`` says the stop was this one's. Subscribed to ``highs`` when one is given."""

    def __init__(self, t0: float, soft_s: float, highs: object | None = None) -> None:
        self.t0, self.soft_s, self.fired = t0, soft_s, False
        if highs is not None:
            highs.cbMipInterrupt.subscribe(self)

    def __call__(self, event: object) -> None:
        if time.perf_counter() - self.t0 >= self.soft_s and abs(event.data_out.mip_primal_bound) < 1e30:
            event.data_in.user_interrupt = self.fired = True


def _solve_highs(
    problem: pulp.LpProblem,
    config: SolverConfig,
    *,
    warm_start: bool = False,
    log: SolveLog | None = None,
    options: dict | None = None,
    soft_limit_s: float | None = None,
    plans: list[np.ndarray] | None = None,
) -> SolveResult:
    """Solve with HiGHS, the model handed over directly (:mod:`planner.highs`), lazy cover rows
    added while the plan misses windows; Ctrl-C stops it (:func:`_run_interruptible`), and so does
    :class:`_SoftStop` after ``soft_limit_s``."""
    import highspy

    bulk = getattr(problem, "lazy_cover", None)
    t0 = time.perf_counter()
    with quiet_stdout():
        direct = build_direct(problem, bulk)
    h = direct.highs
    start = np.array([v.varValue or 0.0 for v in direct.variables]) if warm_start else None
    close = attach_log(h, log, problem.name)
    refused = _refused(_set_options(h, config, options), problem.name, log)
    soft = _SoftStop(t0, soft_limit_s, h) if soft_limit_s is not None else None
    stop = _lattice_stop(direct, float(config.mip_gap))  # a lazy cover's rounds are stopped by solve_direct
    if plans is not None and bulk is None:
        h.cbMipImprovingSolution.subscribe(lambda e: plans.append(np.array(e.data_out.mip_solution, dtype=float)))

    def run(highs: object, left: float) -> None:
        highs.setOptionValue("time_limit", float(left))
        _run_interruptible(highs)

    try:
        with quiet_stdout():
            left = config.time_limit_s - (time.perf_counter() - t0)
            outcome = solve_direct(direct, run, time_limit_s=left, start=start)
    finally:
        close()
    seconds = time.perf_counter() - t0
    problem.solve_rounds = outcome.rounds
    model_status = h.getModelStatus()
    info = h.getInfo()
    ours = outcome.value is not None  # a repaired plan (or the start), not HiGHS's last solution
    has_sol = info.primal_solution_status == 2 or ours  # kSolutionStatusFeasible
    obj = finite(outcome.value) if ours else finite(info.objective_function_value) if has_sol else None
    bound = finite(outcome.bound)
    gap = finite(info.mip_gap)
    if bulk is not None and obj is not None and bound is not None:  # the bound may be an earlier round's
        gap = relative_gap(obj, bound)
    is_mip = len(direct.integer) > 0
    if not is_mip:
        bound, gap = obj, 0.0 if obj is not None else None
    status, time_hit = _highs_status(model_status, outcome, has_sol)
    if status == "optimal" and bulk is not None and gap is not None and gap > config.mip_gap + 1e-9:
        status = "feasible"  # HiGHS's status is its last round's; the gap is the whole model's
    head = "Within the gap: the plan repaired to meet every window" if outcome.proven else None
    if stop is not None and obj is not None and bound is not None:
        bound, gap, proof = stop.prove(obj, bound)
        if proof and status != "optimal":
            status, time_hit = "optimal", time_hit and not stop.fired
            head = f"Within the gap of the bound rounded to a whole multiple of {stop.lattice.unit:,.0f}"
    if head is None and outcome.out_of_time:  # rows were added after HiGHS's last run: its status is reset
        head = "Time limit reached; the best plan meeting every window"
    if head is None and soft is not None and soft.fired and model_status == highspy.HighsModelStatus.kInterrupt:
        head = f"Stopped holding a plan after the {soft.soft_s:.0f} s soft limit"
    head = head or h.modelStatusToString(model_status)
    lazy = ""
    if bulk is not None:
        rows = f"{len(bulk.active):,} of {len(bulk.windows):,} cover rows"
        lazy = f"; {outcome.rounds} lazy round(s), {rows}" if bulk.lazy else f"; every cover row at once ({rows})"
    return SolveResult(
        status=status,
        solver="highs",
        objective=obj,
        best_bound=bound,
        mip_gap=gap if status in ("optimal", "feasible") else None,
        seconds=seconds,
        time_limit_hit=time_hit,
        message=head + lazy + refused,
    )


def _refused(names: list[str], label: str, log: SolveLog | None) -> str:
    """Say in the run's log which HiGHS options were refused; returns the phrase for the solver message."""
    if not names:
        return ""
    text = f"HiGHS refused option(s) {', '.join(names)} and solved without them"
    if log is not None and log.progress is not None:
        log.progress(f"{label}: {text}")
    return f"; {text}"


def _set_options(h: object, config: SolverConfig, options: dict | None) -> list[str]:
    """The configured gap and threads, then any further HiGHS ``options``; returns the names HiGHS
    refused (an option this HiGHS version does not know, or a value out of its range). HiGHS only warns
    in its own log about those, and a run goes on without them: the caller says so in the run's log."""
    import highspy

    wanted: dict[str, object] = {"mip_rel_gap": float(config.mip_gap)}
    if config.threads:
        wanted["threads"] = int(config.threads)
    wanted.update(options or {})
    return [key for key, value in wanted.items() if h.setOptionValue(key, value) != highspy.HighsStatus.kOk]


def _lattice_stop(direct: Direct, tolerance: float) -> LatticeStop | None:
    """A :class:`LatticeStop` for a MIP whose objective lies on a lattice (subscribed to HiGHS unless the
    model has lazy cover rows, whose runs' bounds only :func:`planner.highs.solve_direct` combines)."""
    lattice = Lattice.of(direct.cost, direct.integer, direct.offset, direct.maximize) if len(direct.integer) else None
    if lattice is None:
        return None
    stop = LatticeStop(lattice, tolerance)
    if direct.bulk is None:
        direct.highs.cbMipInterrupt.subscribe(stop)
    return stop


def _highs_status(model_status: object, outcome: Outcome, has_sol: bool) -> tuple[str, bool]:
    """The status HiGHS's run earns (``optimal`` only when proven) and whether a limit stopped it
    (time, iterations, solutions, or an interrupt: Ctrl-C or a soft limit)."""
    import highspy

    ms = highspy.HighsModelStatus
    time_hit = outcome.out_of_time or (
        not outcome.proven and model_status in (ms.kTimeLimit, ms.kIterationLimit, ms.kSolutionLimit, ms.kInterrupt)
    )
    if outcome.proven or (model_status == ms.kOptimal and not time_hit):
        return "optimal", time_hit
    if model_status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        return "infeasible", time_hit
    if time_hit:
        return ("feasible" if has_sol else "no_solution"), time_hit
    return "error", time_hit


def solve_problem(
    problem: pulp.LpProblem,
    config: SolverConfig,
    *,
    warm_start: bool = False,
    log: SolveLog | None = None,
    highs_options: dict | None = None,
    soft_limit_s: float | None = None,
    plans: list[np.ndarray] | None = None,
) -> SolveResult:
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
    log
        Progress lines and the solver's own log (HiGHS; CBC writes its log to ``log.log_file`` too).
    highs_options
        Further HiGHS options (e.g. ``{"solver": "ipm"}`` for a large linear relaxation); ignored by CBC.
    soft_limit_s
        HiGHS: after this many seconds a MIP search that holds a plan stops (reported ``feasible``
        with its gap); one without a plan runs on to ``config.time_limit_s``. Ignored by CBC.
    plans
        HiGHS, a model without lazy cover rows: each improving plan HiGHS finds is appended (column
        values in ``problem.variables()`` order). Left empty by CBC.

    Returns
    -------
    SolveResult
        Status, objective, bound, gap and time as the solver reports them.

    Raises
    ------
    SolverError
        If no solver could run.
    """
    from planner.cbc import solve_cbc  # planner.cbc builds on this module's SolveResult

    if not problem.variables():
        return SolveResult("optimal", config.name, 0.0, 0.0, 0.0, 0.0, False, "empty model: nothing to decide")
    if config.name == "highs":
        try:
            result = _solve_highs(
                problem,
                config,
                warm_start=warm_start,
                log=log,
                options=highs_options,
                soft_limit_s=soft_limit_s,
                plans=plans,
            )
        except (ImportError, pulp.PulpSolverError) as exc:
            if not config.fallback:
                raise SolverError(f'HiGHS failed ({exc}); set solver.name = "cbc" or solver.fallback = true.') from None
            return solve_cbc(problem, config, log=log)
        if result.status == "error" and config.fallback:
            return solve_cbc(problem, config, log=log)
        return result
    return solve_cbc(problem, config, log=log)


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


def start_value(v: pulp.LpVariable, value: float) -> float:
    """``value`` as a MIP start of ``v``: rounded if ``v`` is integer, clipped to its bounds (a solver may
    return -6.6e-08 for a 0, which PuLP refuses as a start and HiGHS would take as infeasible)."""
    value = float(value)
    if v.cat == pulp.LpInteger:
        value = float(round(value))
    if v.lowBound is not None:
        value = max(value, v.lowBound)
    if v.upBound is not None:
        value = min(value, v.upBound)
    return value


def column_values(problem: pulp.LpProblem) -> dict[str, float | None]:
    """Every column's current value, by name (to put back with :func:`restore_values`)."""
    return {v.name: v.varValue for v in problem.variables()}


def restore_values(problem: pulp.LpProblem, values: dict[str, float | None]) -> None:
    """Set every column of ``problem`` back to ``values`` (by name; a column not in it gets None)."""
    for v in problem.variables():
        v.varValue = values.get(v.name)


def second_stage_seconds(limit_s: float, first_s: float) -> float:
    """Time for a lexicographic second goal: what the first left of ``limit_s``, at least a quarter of it."""
    return max(limit_s - first_s, 0.25 * limit_s)


def combine_goals(r1: SolveResult, r2: SolveResult | None, value: float | None) -> SolveResult:
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
    log: SolveLog | None = None,
    soft_limit_s: float | None = None,
) -> LexResult:
    """Optimise ``first``; then, with ``first`` held at the value found (within a relative 1e-9 and
    an absolute 1e-6 tolerance), optimise ``second`` as a solve of its own, started from the first
    stage's plan.

    The second stage gets the time the first left (at least a quarter of ``time_limit_s``). If it
    finds nothing, the first stage's plan is kept. The first goal's bound and gap are reported as
    the solver gave them; the second stage's own status, bound and gap are in ``second``.
    ``soft_limit_s`` (see :func:`solve_problem`) is shared the same way; the second stage, started
    from a plan, stops at its share of it.
    """
    problem.sense = first.sense
    problem.setObjective(first.expression)
    r1 = solve_problem(problem, config, warm_start=warm_start, log=log, soft_limit_s=soft_limit_s)
    if second is None or not r1.has_solution:
        return LexResult(r1, None, r1, first.name, None)
    value = float(pulp.value(first.expression) or 0.0)
    slack = 1e-9 * abs(value) + 1e-6
    if first.sense == pulp.LpMaximize:
        problem += (first.expression >= value - slack, f"{tag}_keep_{first.name}")
    else:
        problem += (first.expression <= value + slack, f"{tag}_keep_{first.name}")
    kept = column_values(problem)
    problem.sense = second.sense
    problem.setObjective(second.expression)
    left = second_stage_seconds(config.time_limit_s, r1.seconds)
    if soft_limit_s is not None:  # the second stage starts from a plan: its soft limit is a hard one
        left = min(left, max(soft_limit_s - r1.seconds, 0.25 * soft_limit_s))
    r2 = solve_problem(problem, config.model_copy(update={"time_limit_s": left}), warm_start=True, log=log)
    if not r2.has_solution:
        restore_values(problem, kept)
    final = float(pulp.value(first.expression) or 0.0)
    return LexResult(r1, r2, combine_goals(r1, r2, final), first.name, second.name)
