"""A small linear model handed to HiGHS directly (the per-hub subproblems and their LP relaxations).

The hub subproblems have a few hundred columns each and are solved once per hub (and their LP
relaxations once per candidate site for the bound), so they skip PuLP and pass sparse rows to
``highspy`` in one call. One :class:`Solver` (one HiGHS instance, created once with its banner
silenced) solves them all in turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["INF", "LinearModel", "LinearSolution", "Solver"]

INF = float("inf")


@dataclass(frozen=True)
class LinearSolution:
    """Outcome of one solve.

    Attributes
    ----------
    status
        ``optimal``, ``infeasible`` or the HiGHS status text otherwise.
    x
        Column values (empty without a solution).
    row_dual
        Row duals (LPs only; the objective's change per unit of a row's bound).
    objective, bound
        Objective of the solution and the solver's proven bound (MIPs; equal for LPs).
    """

    status: str
    x: np.ndarray
    row_dual: np.ndarray
    objective: float
    bound: float


class LinearModel:
    """Columns with bounds, costs and integrality; rows ``lo ≤ Σ a x ≤ hi``; minimised."""

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.cost: list[float] = []
        self.integer: list[bool] = []
        self._starts: list[int] = [0]
        self._index: list[int] = []
        self._value: list[float] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []

    def add_vars(
        self, n: int, *, lb: float = 0.0, ub: float = INF, cost: float = 0.0, integer: bool = False
    ) -> list[int]:
        """Add ``n`` columns with the same bounds and cost; return their indices."""
        first = len(self.lower)
        self.lower += [lb] * n
        self.upper += [ub] * n
        self.cost += [cost] * n
        self.integer += [integer] * n
        return list(range(first, first + n))

    def add_var(self, *, lb: float = 0.0, ub: float = INF, cost: float = 0.0, integer: bool = False) -> int:
        """Add one column; return its index."""
        return self.add_vars(1, lb=lb, ub=ub, cost=cost, integer=integer)[0]

    def add_row(self, index: Sequence[int], value: Sequence[float], *, lo: float = -INF, hi: float = INF) -> int:
        """Add the row ``lo ≤ Σ value · x[index] ≤ hi``; return its index."""
        self._index += [int(i) for i in index]
        self._value += [float(v) for v in value]
        self._starts.append(len(self._index))
        self.row_lower.append(lo)
        self.row_upper.append(hi)
        return len(self.row_lower) - 1

    @property
    def has_integers(self) -> bool:
        """Whether any column is integer."""
        return any(self.integer)

    def to_highs(self, *, relax: bool = False):
        """The model as a ``highspy.HighsLp`` (``relax``: all columns continuous)."""
        import highspy

        inf = highspy.kHighsInf

        def finite(a: list[float]) -> np.ndarray:
            return np.clip(np.array(a, dtype=float), -inf, inf)

        lp = highspy.HighsLp()
        lp.num_col_ = len(self.lower)
        lp.num_row_ = len(self.row_lower)
        lp.col_cost_ = np.array(self.cost, dtype=float)
        lp.col_lower_ = finite(self.lower)
        lp.col_upper_ = finite(self.upper)
        lp.row_lower_ = finite(self.row_lower)
        lp.row_upper_ = finite(self.row_upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(self._starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(self._index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(self._value, dtype=float)
        if self.has_integers and not relax:
            kinds = highspy.HighsVarType
            lp.integrality_ = [kinds.kInteger if i else kinds.kContinuous for i in self.integer]
        return lp


class Solver:
    """One HiGHS instance for many small models.

    Parameters
    ----------
    threads
        The run's solver threads (HiGHS fixes its thread count per process: keep it the same).
    mip_gap
        Relative gap at which a subproblem counts as solved (exact sizing: a tiny value).
    time_limit_s
        Limit per model.
    """

    def __init__(self, *, threads: int | None = None, mip_gap: float = 1e-7, time_limit_s: float = 60.0) -> None:
        import highspy

        from planner.solve import quiet_stdout

        with quiet_stdout():
            self._h = highspy.Highs()
        h = self._h
        h.setOptionValue("output_flag", False)
        h.setOptionValue("mip_rel_gap", mip_gap)
        h.setOptionValue("time_limit", float(time_limit_s))
        if threads is not None:
            h.setOptionValue("threads", int(threads))

    def solve(self, model: LinearModel, *, relax: bool = False) -> LinearSolution:
        """Solve ``model`` (minimise); ``relax`` solves its linear relaxation."""
        import highspy

        h = self._h
        h.clearModel()
        h.passModel(model.to_highs(relax=relax))
        h.run()
        status = h.getModelStatus()
        ms = highspy.HighsModelStatus
        if status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            return LinearSolution("infeasible", np.zeros(0), np.zeros(0), INF, INF)
        info = h.getInfo()
        sol = h.getSolution()
        if info.primal_solution_status != 2:  # no feasible solution
            return LinearSolution(h.modelStatusToString(status), np.zeros(0), np.zeros(0), INF, -INF)
        x = np.array(sol.col_value, dtype=float)
        objective = float(info.objective_function_value)
        mip = model.has_integers and not relax
        duals = np.zeros(0) if mip else np.array(sol.row_dual, dtype=float)
        bound = float(info.mip_dual_bound) if mip else objective
        name = "optimal" if status == ms.kOptimal else h.modelStatusToString(status)
        return LinearSolution(name, x, duals, objective, bound)
