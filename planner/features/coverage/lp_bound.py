"""The linear relaxation of max coverage with every window, by row generation: a bound on every flow.

Max coverage links each flow that needs a hub to every one of its windows (``y_q <= z_w``,
``z_w <= sum of the window's sites``); with every European flow that is 13.5 M (flow, window) pairs.
Its linear relaxation needs only the pairs that bind: start from the windows each flow keeps in the
lazy rounds (:class:`~planner.features.coverage.lazy.KeptWindows`), solve, and give each flow whose
served value exceeds its least covered window (found for every flow at once up the instance's window
tree) that window; repeat until none does. Flows keeping the same windows share one column, and a flow
that gains a window moves to the group of its new set. The matrix is built as arrays and handed to
``highspy`` directly; each round is solved by interior point without crossover (the rounds' rows change
too much for the dual simplex's warm start to pay: ``europe-rollout-2026-2035``'s relaxation with every
flow and 100 M EUR took 290 s by dual simplex and 119 s by interior point, the same value, 2026-12-07), and
again with crossover when the interior point stalls (``Unknown``: seen at 40 M EUR with every flow and
209 k rows, where the second solve took 35 s).

Every solved round's value bounds every plan: its rows are some of the full model's (the budget, the
hub limit and the cover links of the windows it holds; the budget rounded down to whole hubs where their
prices allow), and a plan's open sites with its truly served flows meet them. So does the relaxation
of a round stopped by the time limit before converging.
Rows other parts add (AFIR, grid) are left out, which only loosens it. ``europe-2030-low-budget``,
every flow, from the windows of its start on the 20,000 largest flows (2026-12-07, 2 cores): 5 rounds,
132,596 rows, 36,302.4 trucks/day in 55 s (by dual simplex 8 rounds, 158,137 rows, 83 s; 36,528.2 with the
budget not rounded to whole hubs), where every flow's lazy MIP rounds bounded 36,878 in 200 s.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import highspy
import numpy as np

from planner.arrays import up_the_tree
from planner.lattice import Lattice
from planner.windows import CoverSet

__all__ = ["LpBound", "RowGeneration", "every_window_bound", "least_covered"]

#: A flow gains a window when its served value exceeds its least covered window's by more than this.
_TOL = 1e-6
#: The LP optimum is raised by this share (and as much absolutely) for the solver's tolerances.
_ROUND_UP = 1e-6
#: Units of budget within this of a whole number count as that number (floating-point division).
_SNAP = 1e-9
_NONE = (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))


@dataclass(frozen=True)
class LpBound:
    """The relaxation's outcome: its last solved value (an upper bound on the served weight; None when no
    round was solved in time), whether it holds every window that binds, its rounds, rows and seconds."""

    value: float | None
    converged: bool
    rounds: int
    rows: int
    seconds: float

    def describe(self) -> str:
        """One line for the log and the solver message."""
        if self.value is None:
            return f"no linear relaxation with every window solved in {self.seconds:.0f} s"
        how = "with every window" if self.converged else "with some windows (stopped by the time limit)"
        return (
            f"linear relaxation {how}: {self.value:,.1f} after {self.rounds} round(s), {self.rows:,} rows, "
            f"{self.seconds:.0f} s"
        )


class _Relaxation:
    """The growing LP: site columns, one column per window in use, one per group of flows."""

    def __init__(
        self, cover: CoverSet, site_cost: np.ndarray, locked: np.ndarray, budget: float | None, hubs: int | None
    ) -> None:
        self.cover, n = cover, len(site_cost)
        useful = np.zeros(n, dtype=bool)  # as the model: a site in no window has no variable, nor cost
        useful[cover.window_sites] = True
        self.h = h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("solver", "ipm")  # interior point without crossover (the module docstring says why)
        h.setOptionValue("run_crossover", "off")
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.addCols(n, np.zeros(n), (locked & useful).astype(float), useful.astype(float), 0, *_NONE)
        self.budget_row: int | None = None
        self.rhs = highspy.kHighsInf  # the budget row's right-hand side (its units)
        if budget is not None:
            self._budget(np.where(useful, site_cost, 0.0), locked & useful, budget)
        new = np.flatnonzero(~locked & useful)
        if hubs is not None and len(new):
            self._row(-highspy.kHighsInf, float(hubs), new, np.ones(len(new)))
        self.n_col, self.z, self.group, self.col, self.weight = n, {}, {}, [], []

    def _budget(self, cost: np.ndarray, fixed: np.ndarray, budget: float) -> None:
        """The model's capex row, its existing hubs' cost moved to the right-hand side. When every new
        site's cost is a whole multiple of one unit (4,000,000 EUR a hub on the European scenarios) every
        plan's new capex is a whole number of units, so the row is divided by the unit and its right-hand
        side rounded down (a Chvátal-Gomory cut: 150 M EUR buys 37 hubs, not 37.5)."""
        new = np.flatnonzero((cost > 0) & ~fixed)
        self.spent = float(cost[fixed].sum())
        lattice = Lattice.of(cost[new], np.arange(len(new)), 0.0, False) if len(new) else None
        self.unit, self.whole = (1e6, False) if lattice is None else (lattice.unit, True)
        self.budget_row, self.rhs = int(self.h.getNumRow()), self.units(budget)
        self._row(-highspy.kHighsInf, self.rhs, new, cost[new] / self.unit)

    def units(self, budget: float) -> float:
        """The budget row's right-hand side for ``budget`` EUR (``inf``: none)."""
        if not math.isfinite(budget):
            return highspy.kHighsInf
        left = (budget - self.spent) / self.unit
        return float(math.floor(left + _SNAP)) if self.whole else left

    def set_budget(self, budget: float) -> None:
        """Change the budget row's right-hand side (the row must exist; ``inf``: no limit)."""
        assert self.budget_row is not None
        self.rhs = self.units(budget)
        self.h.changeRowBounds(self.budget_row, -highspy.kHighsInf, self.rhs)

    def run(self) -> bool:
        """Solve by interior point without crossover; when that ends neither optimal nor at the time limit
        (``Unknown``: the interior point method stalled short of its tolerances), solve again with crossover.
        Whether the relaxation is solved to optimality."""
        h = self.h
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kUnknown:
            h.setOptionValue("run_crossover", "on")
            try:
                h.run()
            finally:
                h.setOptionValue("run_crossover", "off")
        return h.getModelStatus() == highspy.HighsModelStatus.kOptimal

    def _row(self, lower: float, upper: float, idx: np.ndarray, val: np.ndarray) -> None:
        self.h.addRows(
            1, np.array([lower]), np.array([upper]), len(idx), np.array([0], np.int32), idx.astype(np.int32), val
        )

    def _links(self, starts: list[int], idx: list[int], val: list[float]) -> None:
        m = len(starts)
        self.h.addRows(
            m, np.full(m, -highspy.kHighsInf), np.zeros(m), len(idx), np.array(starts, np.int32),
            np.array(idx, np.int32), np.array(val, dtype=float),
        )  # fmt: skip

    def _columns(self, m: int) -> int:
        self.h.addCols(m, np.zeros(m), np.zeros(m), np.ones(m), 0, *_NONE)
        first, self.n_col = self.n_col, self.n_col + m
        return first

    def _windows(self, windows: set[int]) -> None:
        new = sorted(w for w in windows if w not in self.z)
        if not new:
            return
        first = self._columns(len(new))
        ptr, sites = self.cover.window_ptr, self.cover.window_sites
        starts: list[int] = []
        idx: list[int] = []
        val: list[float] = []
        for j, w in enumerate(new):
            self.z[w] = first + j
            s = sites[ptr[w] : ptr[w + 1]].tolist()
            starts.append(len(idx))
            idx += [first + j, *s]
            val += [1.0] + [-1.0] * len(s)
        self._links(starts, idx, val)

    def add_groups(self, keys: list[tuple[int, ...]]) -> None:
        """Columns (weight 0 until :meth:`reweigh`) with their ``y_g <= z_w`` rows for new window sets."""
        keys = [k for k in keys if k not in self.group]
        if not keys:
            return
        self._windows({w for k in keys for w in k})
        first = self._columns(len(keys))
        starts: list[int] = []
        idx: list[int] = []
        val: list[float] = []
        for j, k in enumerate(keys):
            self.group[k] = len(self.col)
            self.col.append(first + j)
            self.weight.append(0.0)
            for w in k:
                starts.append(len(idx))
                idx += [first + j, self.z[w]]
                val += [1.0, -1.0]
        self._links(starts, idx, val)

    def reweigh(self, delta: dict[int, float]) -> None:
        """Add ``delta`` to groups' weights (their objective coefficients)."""
        for g, d in delta.items():
            self.weight[g] += d
        gs = sorted(delta)
        cols = np.array([self.col[g] for g in gs], np.int32)
        self.h.changeColsCost(len(gs), cols, np.array([max(self.weight[g], 0.0) for g in gs]))

    def hold(self, held: dict[int, bool]) -> None:
        """Fix the columns of groups no flow is in any more (a flow that gains a window leaves its group)
        to 0, and free those flows are in again: an empty group's rows bind only its own column, so the
        relaxation is the same, and HiGHS's presolve drops them. ``europe-rollout-2026-2035``, every flow
        from the first windows, 150 s (2026-12-07, 2 cores, ``benchmarks/rollout_lp_bound.py``): 9 rounds
        instead of 7, the first pass in 55 s instead of 81 s, a bound of 102.79 M instead of 103.41 M."""
        gs = sorted(held)
        cols = np.array([self.col[g] for g in gs], np.int32)
        self.h.changeColsBounds(len(gs), cols, np.zeros(len(gs)), np.array([float(held[g]) for g in gs]))


def least_covered(cover: CoverSet, x: np.ndarray, flows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per flow of ``flows``: the least ``min(1, sum of x)`` over its windows and that window's id
    (``inf`` and -1 for a flow without windows)."""
    nw, wp = cover.node_windows, cover.node_windows_ptr
    cw = np.minimum(cover.window_sums(np.asarray(x, dtype=float)), 1.0)
    counts = np.diff(wp)
    owner = np.repeat(np.arange(len(counts)), counts)
    val, wid = np.full(len(counts), np.inf), np.full(len(counts), -1)
    if len(nw):
        order = np.lexsort((cw[nw], owner))
        firsts = wp[:-1][counts > 0]
        val[counts > 0], wid[counts > 0] = cw[nw[order[firsts]]], nw[order[firsts]]
    # each node's least window on its path to the root: the node holding it, an ancestor only when less
    best = up_the_tree(np.arange(len(counts)), cover.node_parent, lambda own, up: np.where(val[up] < val[own], up, own))
    val, wid = val[best], wid[best]
    leaf, final = cover.flow_leaf[flows], cover.flow_final[flows]
    fv = np.where(leaf >= 0, np.concatenate([val, [np.inf]])[leaf], np.inf)
    fw = np.where(leaf >= 0, np.concatenate([wid, [-1]])[leaf], -1)
    fin = np.where(final >= 0, cw[np.maximum(final, 0)] if len(cw) else np.inf, np.inf)
    use = fin < fv
    least, window = np.where(use, fin, fv), np.where(use, final, fw)
    if cover.extra:  # flows outside the tree keep their own window lists
        for i in np.flatnonzero(np.isin(flows, list(cover.extra))).tolist():
            ids = cover.flow_window_ids(int(flows[i]))
            if ids:
                w = min(ids, key=lambda w: (cw[w], w))
                least[i], window[i] = cw[w], w
    return least, window


class RowGeneration:
    """Row generation of the linear relaxation with every window, the relaxation kept between solves
    (:meth:`solve` again after :meth:`set_budget` starts from every window added so far).

    Parameters
    ----------
    cover, site_cost, locked
        The instance's windows, each site's cost and the sites open in every plan (their cost is not
        counted against the budget).
    weight
        Per flow of the instance, the objective's weight.
    flows, windows
        The flows that need a hub (instance indices) and, per flow, the window ids it starts with
        (:attr:`KeptWindows.kept <planner.features.coverage.lazy.KeptWindows>`; not modified).
    budget_eur, max_hubs
        The model's limits (None: none). ``budget_eur`` may be ``inf`` (a row :meth:`set_budget` sets later).
    """

    def __init__(
        self,
        cover: CoverSet,
        site_cost: np.ndarray,
        locked: np.ndarray,
        weight: np.ndarray,
        flows: np.ndarray,
        windows: list[list[int]],
        *,
        budget_eur: float | None,
        max_hubs: int | None,
    ) -> None:
        self.cover, self.flows, self.n = cover, flows, len(site_cost)
        self.lp = lp = _Relaxation(cover, site_cost.astype(float), locked.astype(bool), budget_eur, max_hubs)
        self.keys = [tuple(sorted(ws)) for ws in windows]
        lp.add_groups(sorted(set(self.keys)))
        self.of = np.array([lp.group[k] for k in self.keys], dtype=np.int64)
        self.w = weight[flows].astype(float)
        #: Per solved round: the budget row's right-hand side, the value (raised) and the row's dual (see
        #: :meth:`tangent`).
        self.tangents: list[tuple[float, float, float]] = []
        lp.reweigh({int(g): float(v) for g, v in zip(*_sums(self.of, self.w), strict=True)})

    def set_budget(self, budget_eur: float) -> None:
        """The budget of the next :meth:`solve` (built with a budget row)."""
        self.lp.set_budget(budget_eur)

    def tangent(self, budget_eur: float) -> float:
        """The least bound the solved rounds give the relaxation with ``budget_eur`` (``inf`` without one).

        A relaxation's value is concave and nondecreasing in its budget row's right-hand side, and a
        solved round's row dual ``λ`` (the worth of one more unit) is a supergradient, so every solved
        round ``r`` (any budget, converged or not: it relaxes every window's model) bounds the value at any
        right-hand side ``b`` by ``value_r + λ_r (b - b_r)``. A round without a finite right-hand side
        bounds every budget by its value."""
        out = math.inf
        b = self.lp.units(budget_eur)
        for rhs, value, dual in self.tangents:
            if rhs >= highspy.kHighsInf:
                out = min(out, value)
            elif b < highspy.kHighsInf:
                out = min(out, value + dual * (b - rhs))
        return out

    def solve(
        self, seconds: float, log: Callable[[str], None] = lambda _m: None, max_rounds: int | None = None
    ) -> LpBound:
        """Rounds until no flow gains a window, ``seconds`` pass or ``max_rounds`` rounds are solved; a round
        the limit stops unsolved is not counted. Returns the last solved round's value, raised for the
        solver's tolerances."""
        t0, lp, of = time.perf_counter(), self.lp, self.of
        value, rounds, converged = None, 0, False
        while max_rounds is None or rounds < max_rounds:
            left = seconds - (time.perf_counter() - t0)
            if left < 1.0:
                break
            lp.h.setOptionValue("time_limit", lp.h.getRunTime() + float(left))  # HiGHS's clock runs on over runs
            if not lp.run():
                break
            rounds += 1
            raw = float(lp.h.getInfo().objective_function_value)
            value = raw + _ROUND_UP * max(abs(raw), 1.0)
            solution = lp.h.getSolution()
            dual = 0.0 if lp.budget_row is None else abs(float(solution.row_dual[lp.budget_row]))
            self.tangents.append((lp.rhs, value, dual))
            col = np.asarray(solution.col_value)
            least, window = least_covered(self.cover, col[: self.n], self.flows)
            bad = np.flatnonzero(col[np.asarray(lp.col)][of] > least + _TOL)
            log(f"relaxation round {rounds}: {raw:,.1f}, {lp.h.getNumRow():,} rows, {len(bad):,} flow(s) gain a window")
            if not len(bad):
                converged = True
                break
            self._extend(bad, window)
        return LpBound(value, converged, rounds, int(lp.h.getNumRow()), time.perf_counter() - t0)

    def _extend(self, bad: np.ndarray, window: np.ndarray) -> None:
        """Each flow of ``bad`` gains its least covered window: it moves to the group of its new set."""
        lp, keys, of, w = self.lp, self.keys, self.of, self.w
        delta: dict[int, float] = {}
        for q in bad.tolist():
            keys[q] = tuple(sorted({*keys[q], int(window[q])}))
        lp.add_groups(sorted({keys[q] for q in bad.tolist()}))
        for q in bad.tolist():
            g = lp.group[keys[q]]
            delta[int(of[q])] = delta.get(int(of[q]), 0.0) - w[q]
            delta[g] = delta.get(g, 0.0) + w[q]
            of[q] = g
        lp.reweigh(delta)
        held = np.bincount(of, minlength=len(lp.col))
        lp.hold({g: bool(held[g]) for g in delta})


def every_window_bound(
    cover: CoverSet,
    site_cost: np.ndarray,
    locked: np.ndarray,
    weight: np.ndarray,
    flows: np.ndarray,
    windows: list[list[int]],
    *,
    budget_eur: float | None,
    max_hubs: int | None,
    seconds: float,
    log: Callable[[str], None] = lambda _m: None,
) -> LpBound:
    """Solve the linear relaxation of max coverage with every window by row generation
    (:class:`RowGeneration`; the parameters are its own).

    Parameters
    ----------
    seconds
        Time for every round together; a round the limit stops unsolved is not counted.
    log
        A line per solved round.

    Returns
    -------
    LpBound
        The last solved round's value, raised for the solver's tolerances, and how far it got.
    """
    t0 = time.perf_counter()
    rows = RowGeneration(cover, site_cost, locked, weight, flows, windows, budget_eur=budget_eur, max_hubs=max_hubs)
    out = rows.solve(seconds - (time.perf_counter() - t0), log)
    return replace(out, seconds=time.perf_counter() - t0)


def _sums(of: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The groups used and each one's summed weight."""
    groups, inverse = np.unique(of, return_inverse=True)
    return groups, np.bincount(inverse, weights=w, minlength=len(groups))
