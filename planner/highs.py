"""Handing a model to HiGHS directly: PuLP's small rows plus bulk rows as arrays, solved lazily.

The model's features build their rows with PuLP (readable, small); the one family that grows with
the network — the cover rows ``Σ_{k∈W} x_k ≥ 1`` of the windows — stays as arrays
(:class:`LazyCover`) and is never turned into Python objects per row. :func:`solve_direct` builds
one HiGHS model from both in a few vectorised calls (``passModel``) and, when the cover rows are
lazy, solves on the rows violated so far: after each solve it checks every window against the
plan (one vectorised pass), adds the violated ones and solves again, until none is violated. The
final plan meets every window; every intermediate solve is a relaxation, so its bound is valid for
the whole model. After each round the plan is repaired to meet every window. On a plain set cover
(every servable flow served, no other rows) the repair is a greedy cover of the missed windows
with redundant sites closed; the best repaired plan is HiGHS's cutoff in the next round and ends
the solve once it is within ``mip_rel_gap`` of the best bound.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pulp

from planner.arrays import offsets, row_entries
from planner.windows import CoverSet

__all__ = ["Direct", "LazyCover", "Outcome", "build_direct", "site_incidence", "solve_direct"]

_INF = math.inf


@dataclass
class LazyCover:
    """Cover rows kept as arrays: for each window ``w`` in ``windows``, ``Σ_{k∈w} x_k ≥ 1``.

    Attributes
    ----------
    cover
        The instance's shared windows.
    windows
        Ids of the windows the model must meet.
    open
        Site index → its open-variable (sites without one are closed, or existing hubs whose
        windows were dropped).
    lazy
        Add rows only when violated (``False``: all rows from the start).
    active
        Ids of the windows currently in the model.
    """

    cover: CoverSet
    windows: np.ndarray
    open: dict[int, pulp.LpVariable]
    lazy: bool = True
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def initial(self) -> np.ndarray:
        """Rows to start from: every window if not lazy, else a spread sample (one in 16)."""
        if not self.lazy or len(self.windows) <= 2000:
            return self.windows
        return self.windows[::16]

    def violated(self, is_open: np.ndarray) -> np.ndarray:
        """Ids of the windows (of ``windows``) with no open site."""
        covered = self.cover.covered(is_open)
        return self.windows[~covered[self.windows]]

    def short(self, value: np.ndarray) -> np.ndarray:
        """Ids of the windows (of ``windows``) whose sites' (fractional) open-values sum below 1."""
        ptr, sites = self.cover.window_ptr, self.cover.window_sites
        if not len(sites):
            return np.zeros(0, dtype=np.int64)
        sums = np.add.reduceat(value[sites], ptr[:-1])
        sums[np.diff(ptr) == 0] = 0.0
        return self.windows[sums[self.windows] < 1.0 - 1e-6]

    def add_to_pulp(self, problem: pulp.LpProblem) -> None:
        """Add every window's row to ``problem`` as a PuLP constraint, once (for solvers reached through
        PuLP, i.e. CBC, which see only PuLP's rows)."""
        if self.in_pulp(problem):
            return
        ptr, sites = self.cover.window_ptr, self.cover.window_sites
        for w in self.windows.tolist():
            members = [self.open[k] for k in sites[ptr[w] : ptr[w + 1]].tolist() if k in self.open]
            problem += (pulp.lpSum(members) >= 1, f"cover_window_{w}")

    def in_pulp(self, problem: pulp.LpProblem) -> bool:
        """Whether :meth:`add_to_pulp` has put the rows into ``problem`` (its first row is there)."""
        first = f"cover_window_{int(self.windows[0])}" if len(self.windows) else None
        return first is None or problem.get_constraint_by_name(first) is not None

    def rows(self, ids: np.ndarray, column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """CSR (start, column index) of the rows of windows ``ids``; ``column[k]`` maps site → column."""
        sizes, at = row_entries(self.cover.window_ptr, ids)
        return offsets(sizes), column[self.cover.window_sites[at]]


@dataclass
class Direct:
    """A HiGHS model built from a PuLP problem (and its lazy cover rows), with the column order."""

    highs: object
    variables: list[pulp.LpVariable]
    bulk: LazyCover | None
    column: np.ndarray  # site index → column of its open-variable (-1: none)
    n_rows: int
    integer: np.ndarray  # columns that are integer
    cost: np.ndarray  # objective coefficients by column
    offset: float  # objective constant
    maximize: bool = False
    pure: bool = False  # a plain set cover: every column an open-variable, no rows but the cover rows
    lower: np.ndarray | None = None  # lower bound of each column (a locked site's is 1)
    incidence: tuple[np.ndarray, np.ndarray] | None = None  # see _incidence


def _row_bounds(c: pulp.LpConstraint) -> tuple[float, float]:
    rhs = -c.constant
    if c.sense == pulp.LpConstraintEQ:
        return rhs, rhs
    if c.sense == pulp.LpConstraintGE:
        return rhs, _INF
    return -_INF, rhs


def build_direct(problem: pulp.LpProblem, bulk: LazyCover | None) -> Direct:
    """Build the HiGHS model: columns in PuLP's order, PuLP's rows, the bulk rows to start with."""
    import highspy

    variables = list(problem.variables())  # a copy: PuLP returns its own list
    col = {v.name: i for i, v in enumerate(variables)}
    if bulk is not None:  # an open-variable in no PuLP row nor the objective (a locked site at no cost, whose
        for _, v in sorted(bulk.open.items()):  # AFIR rows are left out) still gets its column for the cover rows
            if v.name not in col:
                col[v.name] = len(variables)
                variables.append(v)
    n = len(variables)
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.col_lower_ = np.array([-_INF if v.lowBound is None else float(v.lowBound) for v in variables])
    lp.col_upper_ = np.array([_INF if v.upBound is None else float(v.upBound) for v in variables])
    cost = np.zeros(n)
    for v, a in (problem.objective or {}).items():
        cost[col[v.name]] = a
    lp.col_cost_ = cost
    lp.offset_ = float(problem.objective.constant) if problem.objective is not None else 0.0
    lp.sense_ = highspy.ObjSense.kMaximize if problem.sense == pulp.LpMaximize else highspy.ObjSense.kMinimize
    starts, index, value, lower, upper = [0], [], [], [], []
    for c in problem.constraints():
        for v, a in c.items():
            index.append(col[v.name])
            value.append(a)
        starts.append(len(index))
        lo, hi = _row_bounds(c)
        lower.append(lo)
        upper.append(hi)
    n_pulp_rows = len(lower)
    column = np.zeros(0, dtype=np.int64)
    if bulk is not None:
        size = max(max(bulk.open, default=-1), int(bulk.cover.window_sites.max(initial=-1))) + 1
        column = np.full(size, -1, dtype=np.int64)
        for k, v in bulk.open.items():
            column[k] = col[v.name]
        bulk.active = bulk.initial()
        b_start, b_index = bulk.rows(bulk.active, column)
        starts += (b_start[1:] + len(index)).tolist()
        index += b_index.tolist()
        value += [1.0] * len(b_index)
        lower += [1.0] * len(bulk.active)
        upper += [_INF] * len(bulk.active)
    lp.num_row_ = len(lower)
    lp.row_lower_ = np.array(lower, dtype=float)
    lp.row_upper_ = np.array(upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=float)
    kinds = highspy.HighsVarType
    lp.integrality_ = [kinds.kInteger if v.cat == pulp.LpInteger else kinds.kContinuous for v in variables]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    integer = np.array([i for i, v in enumerate(variables) if v.cat == pulp.LpInteger], dtype=np.int32)
    maximize = problem.sense == pulp.LpMaximize
    pure = bulk is not None and not maximize and n_pulp_rows == 0 and len(bulk.open) == n and bool((cost >= 0).all())
    lower = np.asarray(lp.col_lower_)
    return Direct(h, variables, bulk, column, lp.num_row_, integer, cost, lp.offset_, maximize, pure, lower)


def _write_back(direct: Direct, values: np.ndarray) -> None:
    for v, x in zip(direct.variables, values.tolist(), strict=True):
        v.varValue = x


def _open_mask(direct: Direct, values: np.ndarray, n_sites: int) -> np.ndarray:
    is_open = np.zeros(n_sites, dtype=bool)
    has = direct.column >= 0
    is_open[: len(direct.column)][has] = values[direct.column[has]] > 0.5
    return is_open


class Outcome(NamedTuple):
    """What :func:`solve_direct` did.

    Attributes
    ----------
    seconds
        Wall time.
    rounds
        Lazy rounds run.
    bound
        The tightest dual bound of its runs, each read before rows are added (adding rows resets
        HiGHS's info; a run on a subset of the rows is a relaxation, so its bound holds for the
        whole model; a run cut short by the time limit may have none).
    value
        Objective of the plan written back when it is not HiGHS's last solution (a plan repaired
        to meet every window, or the start), else None.
    out_of_time
        The time ran out with windows still missed, or before a plan replacing a start HiGHS
        mishandled was found: the plan written back is the best repaired one, or that start.
    proven
        The plan written back is a repaired one within HiGHS's ``mip_rel_gap`` of ``bound``: the
        solve stopped there, as HiGHS itself stops within that gap.
    """

    seconds: float
    rounds: int
    bound: float
    value: float | None = None
    out_of_time: bool = False
    proven: bool = False


def solve_direct(
    direct: Direct,
    run: Callable[[object, float], None],
    *,
    time_limit_s: float,
    start: np.ndarray | None,
    locked: np.ndarray | None = None,
) -> Outcome:
    """Solve (adding violated cover rows until none is left, within the time limit).

    ``run(highs, seconds_left)`` runs HiGHS once (options, interrupts and logging are the caller's).
    After each round the plan is repaired to meet every window (:func:`_repair`); on a plain set
    cover the best repaired plan ends the solve once it is within ``mip_rel_gap`` of the bound. The
    solution is written back to the PuLP variables.
    """
    h = direct.highs
    t0 = time.perf_counter()
    rounds = 0
    if direct.bulk is not None and direct.bulk.lazy and len(direct.integer):
        _relaxed_rows(direct, run, t0 + time_limit_s / 4, locked)
    started = start
    if started is not None:
        _set_start(h, started)
    best: tuple[float, np.ndarray] | None = None  # the best repaired plan so far (value, columns)
    bound = math.inf if direct.maximize else -math.inf  # every round's model relaxes the final one
    tolerance = float(h.getOptionValue("mip_rel_gap")[1])
    with _harvesting(direct) as plans:  # on a plain cover: HiGHS's improving plans of the round
        while True:
            rounds += 1
            plans.clear()
            found = _run_checked(direct, run, lambda: time_limit_s - (time.perf_counter() - t0), started)
            bound = _tighter(bound, float(h.getInfo().mip_dual_bound), direct.maximize)
            if not found:  # no plan in the time left after a mishandled start: the start is one
                _write_back(direct, started)
                value = float(direct.cost @ started) + direct.offset
                return Outcome(time.perf_counter() - t0, rounds, bound, value, out_of_time=True)
            started = None
            sol = h.getSolution()
            if direct.pure and best is not None and not sol.value_valid:
                # no plan below the cutoff: none exists (the best repaired plan is optimal), or none
                # was found in the time left
                none = _infeasible(h)
                bound = best[0] if none else bound
                _write_back(direct, best[1])
                return Outcome(time.perf_counter() - t0, rounds, bound, best[0], not none, none)
            if not sol.value_valid or direct.bulk is None or not direct.bulk.lazy:
                break
            values = np.array(sol.col_value)
            is_open = _open_mask(direct, values, len(direct.column))
            if locked is not None:
                is_open[: len(locked)] |= locked
            missing = direct.bulk.violated(is_open)
            if not len(missing):
                break
            _add_rows(direct, _with_harvest(direct, missing, plans, locked))
            repaired = _repair(direct, values, missing, is_open)
            value = float(direct.cost @ repaired) + direct.offset
            if best is None or (value > best[0] if direct.maximize else value < best[0]):
                best = (value, repaired)
            proven = direct.pure and relative_gap(best[0], bound) <= tolerance
            if proven or time.perf_counter() - t0 >= time_limit_s:
                # within the gap, or out of time: the best plan meeting every window, by repair (a
                # round cut short by the time limit can end with a worse one than an earlier round's)
                _write_back(direct, best[1])
                return Outcome(time.perf_counter() - t0, rounds, bound, best[0], not proven, proven)
            if direct.pure:
                # the best repaired plan meets every window: no better plan is worse than it. HiGHS
                # prunes with it as a cutoff (a start would meet HiGHS 1.16's start bug, below)
                h.setOptionValue("objective_bound", best[0])
            else:
                _set_start(h, repaired)
                started = repaired
    return _last(direct, best, Outcome(time.perf_counter() - t0, rounds, bound))


def _with_harvest(
    direct: Direct, missing: np.ndarray, plans: list[np.ndarray], locked: np.ndarray | None
) -> np.ndarray:
    """The windows the round's plan misses and those its earlier improving plans miss: they lie in
    the same region of plans, so the next rounds need fewer solves."""
    ids = [missing]
    for values in plans:
        if len(values) != len(direct.variables):
            continue
        is_open = _open_mask(direct, values, len(direct.column))
        if locked is not None:
            is_open[: len(locked)] |= locked
        ids.append(direct.bulk.violated(is_open))
    out = np.unique(np.concatenate(ids))
    return out[~np.isin(out, direct.bulk.active)]


@contextlib.contextmanager
def _harvesting(direct: Direct) -> Iterator[list[np.ndarray]]:
    """On a plain cover, collect HiGHS's improving plans (the caller clears the list each round);
    the cutoff a solve sets is removed at the end."""
    h = direct.highs
    plans: list[np.ndarray] = []

    def harvest(event: object) -> None:
        plans.append(np.array(event.data_out.mip_solution, dtype=float))

    on = direct.pure and direct.bulk.lazy
    if on:
        h.cbMipImprovingSolution.subscribe(harvest)
    try:
        yield plans
    finally:
        h.setOptionValue("objective_bound", _INF)
        if on:
            h.cbMipImprovingSolution.unsubscribe(harvest)


def _infeasible(h: object) -> bool:
    import highspy

    return h.getModelStatus() == highspy.HighsModelStatus.kInfeasible


def _run_checked(
    direct: Direct, run: Callable[[object, float], None], left: Callable[[], float], started: np.ndarray | None
) -> bool:
    """Run HiGHS once; False if it mishandled the start and then found no plan in the time left.

    HiGHS 1.16 with MIP presolve and a start can return the start as its solution while reporting
    the value of another (europe-2030's cover: 3.52e8 reported, 4.48e8 returned, 3.76e8 optimal):
    the returned solution's value is checked and, if it differs, HiGHS solves again without it.
    """
    h = direct.highs
    run(h, max(left(), 1e-3))
    if started is None or _consistent(direct):
        return True
    if left() < 1.0:
        # no time for a second run (HiGHS would still presolve and start the root whatever its limit):
        # the start stands
        return False
    h.clearSolver()
    run(h, max(left(), 1e-3))
    return bool(h.getSolution().value_valid)


def _last(direct: Direct, best: tuple[float, np.ndarray] | None, outcome: Outcome) -> Outcome:
    """Write back HiGHS's last solution, or on a plain cover the best repaired plan if that is
    cheaper (with the cutoff, HiGHS can end on a plan dearer than it when it finds none cheaper)."""
    sol = direct.highs.getSolution()
    if not sol.value_valid:
        return outcome
    values = np.array(sol.col_value)
    if direct.pure and best is not None and float(direct.cost @ values) + direct.offset > best[0]:
        _write_back(direct, best[1])
        return outcome._replace(value=best[0])
    _write_back(direct, values)
    return outcome


def relative_gap(value: float, bound: float) -> float:
    """Relative gap between a plan's value and a dual bound (inf when the bound is not finite)."""
    if not math.isfinite(bound):
        return math.inf
    return abs(value - bound) / max(abs(value), 1e-9)


def _tighter(bound: float, new: float, maximize: bool) -> float:
    """The tighter of two dual bounds (infinite or NaN ones ignored)."""
    if not math.isfinite(new):
        return bound
    return min(bound, new) if maximize else max(bound, new)


def _consistent(direct: Direct) -> bool:
    """Whether the solution HiGHS returns has the objective value it reports (no solution: True)."""
    sol = direct.highs.getSolution()
    if not sol.value_valid:
        return True
    reported = float(direct.highs.getInfo().objective_function_value)
    actual = float(direct.cost @ np.asarray(sol.col_value)) + direct.offset
    return abs(actual - reported) <= 1e-6 * max(1.0, abs(reported))


def _relaxed_rows(
    direct: Direct, run: Callable[[object, float], None], until: float, locked: np.ndarray | None
) -> None:
    """Add the cover rows the LP relaxation needs (rows its solution leaves short, until none or
    ``until``): the MIP then starts with nearly every row that binds, and takes few rounds."""
    import highspy

    h, n = direct.highs, len(direct.integer)
    kinds = highspy.HighsVarType
    h.changeColsIntegrality(n, direct.integer, np.full(n, kinds.kContinuous))
    try:
        while time.perf_counter() < until:
            run(h, max(until - time.perf_counter(), 1e-3))
            sol = h.getSolution()
            if not sol.value_valid:
                break
            values = np.array(sol.col_value)
            site_value = np.zeros(len(direct.column))
            has = direct.column >= 0
            site_value[has] = values[direct.column[has]]
            if locked is not None:
                site_value[: len(locked)][locked] = 1.0
            missing = direct.bulk.short(site_value)
            missing = missing[~np.isin(missing, direct.bulk.active)]
            if not len(missing):
                break
            _add_rows(direct, missing)
    finally:
        h.changeColsIntegrality(n, direct.integer, np.full(n, kinds.kInteger))
        h.clearSolver()


def _repair(direct: Direct, values: np.ndarray, missing: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    """The plan with sites opened so that it meets the windows it misses: feasible for the cover
    rows, a start for the next round (or the plan when time has run out).

    Few sites are opened: greedily, the one in most missed windows first (:func:`_open_greedily`).
    On a plain set cover, sites every window of which another open site meets are then closed
    (dearest first). Otherwise nothing is closed: other rows (an AFIR segment's windows) may need
    the sites the plan opened.
    """
    column = direct.column
    site_cost = np.zeros(len(column))
    site_cost[column >= 0] = direct.cost[column[column >= 0]]
    opened = _open_greedily(direct, missing, is_open, site_cost)
    if direct.pure:
        opened = _close_redundant(direct, opened, site_cost)
    out = values.copy()
    has = column >= 0
    out[column[has]] = opened[: len(column)][has].astype(float)
    return out


def _members(cover: CoverSet, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``ids``, site) of every member of the windows ``ids``."""
    sizes, at = row_entries(cover.window_ptr, ids)
    return np.repeat(np.arange(len(ids)), sizes), cover.window_sites[at]


def _open_greedily(direct: Direct, missing: np.ndarray, is_open: np.ndarray, site_cost: np.ndarray) -> np.ndarray:
    """``is_open`` with sites opened until every window in ``missing`` holds one: the site in most
    missed windows, then the cheaper (``site_cost``), then the lower index."""
    column = direct.column
    is_open = is_open.copy()
    owner, site = _members(direct.bulk.cover, missing)
    usable = column[site] >= 0
    owner, site = owner[usable], site[usable]
    left = np.ones(len(missing), dtype=bool)
    while left.any():
        live = left[owner]
        counts = np.bincount(site[live], minlength=len(column))
        if not counts.any():
            break  # a window without a site to open (cannot happen for a needed window)
        top = np.flatnonzero(counts == counts.max())
        k = int(top[np.argmin(site_cost[top])])
        is_open[k] = True
        left[owner[site == k]] = False
    return is_open


def _close_redundant(direct: Direct, is_open: np.ndarray, site_cost: np.ndarray) -> np.ndarray:
    """``is_open`` without the sites another open site makes redundant (every needed window holding
    them holds another), dearest first (``site_cost``), then the higher index; sites that must stay
    open stay."""
    column, bulk = direct.column, direct.bulk
    is_open = is_open.copy()
    site_ptr, site_windows = _incidence(direct)
    opened = np.flatnonzero(is_open[: len(column)])
    held = [site_windows[site_ptr[k] : site_ptr[k + 1]] for k in opened.tolist()]
    hits = np.bincount(np.concatenate([*held, np.zeros(0, dtype=np.int64)]), minlength=len(bulk.windows))
    closable = is_open & (column >= 0)
    closable[column >= 0] &= direct.lower[column[column >= 0]] < 0.5
    order = np.flatnonzero(closable)
    order = order[np.lexsort((-order, -site_cost[order]))]
    for k in order.tolist():
        wins = site_windows[site_ptr[k] : site_ptr[k + 1]]
        if (hits[wins] >= 2).all():
            hits[wins] -= 1
            is_open[k] = False
    return is_open


def _incidence(direct: Direct) -> tuple[np.ndarray, np.ndarray]:
    """Site → the needed windows holding it (positions in ``bulk.windows``), as CSR; built once."""
    if direct.incidence is None:
        direct.incidence = site_incidence(direct.bulk.cover, direct.bulk.windows, len(direct.column))
    return direct.incidence


def site_incidence(cover: CoverSet, ids: np.ndarray, n_sites: int) -> tuple[np.ndarray, np.ndarray]:
    """Per site ``0 … n_sites - 1``, the positions in ``ids`` of the windows holding it (CSR: pointer,
    positions; each site's in increasing order)."""
    owner, site = _members(cover, ids)
    order = np.argsort(site, kind="stable")
    return np.searchsorted(site[order], np.arange(n_sites + 1)), owner[order]


def _add_rows(direct: Direct, ids: np.ndarray) -> None:
    start, index = direct.bulk.rows(ids, direct.column)
    n = len(ids)
    cols = index.astype(np.int32)
    first = start[:-1].astype(np.int32)
    direct.highs.addRows(n, np.ones(n), np.full(n, _INF), len(cols), first, cols, np.ones(len(cols)))
    direct.bulk.active = np.concatenate([direct.bulk.active, ids])
    direct.n_rows += len(ids)


def _set_start(h: object, values: np.ndarray) -> None:
    import highspy

    sol = highspy.HighsSolution()
    sol.col_value = values.astype(float)
    sol.value_valid = True
    h.setSolution(sol)
