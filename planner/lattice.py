"""Objective values on a lattice: a dual bound rounded to the next value a plan can have.

When every column with an objective coefficient is integer and every coefficient is a whole multiple
of one unit (a hub's 4,000,000 EUR, say), every plan's objective is the constant plus a whole number
of units. A minimisation's dual bound ``b`` then proves the next such value at or above ``b``: a
budget-bound coverage's capex goal whose bound sits between 36 and 37 hubs proves 37 hubs, which is
what its plan buys. HiGHS 1.16 rounds its *final* bound so ("Objective function is integral") but
does not stop its search on it: ``europe-2030-low-budget`` with 20,000 flows (2026-12-03) ran its second
goal to the time limit with a bound of 144,096,250 EUR against a 148,000,000 EUR plan at 4,000,000 EUR
a hub, then reported the bound 148,000,000. :class:`LatticeStop` stops a search whose rounded bound has
closed the gap, and :meth:`LatticeStop.prove` turns the rounded bound into the reported status.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce

import numpy as np

from planner.highs import relative_gap

__all__ = ["Lattice", "LatticeStop"]

#: A coefficient counts as whole when within this share of its size of the nearest integer.
_WHOLE = 1e-9
#: A bound within this many units of a lattice value is taken to be that value (solver tolerances).
_SNAP = 1e-6


@dataclass(frozen=True)
class Lattice:
    """The values ``offset + k * unit`` (``k`` whole) every plan's objective takes.

    Attributes
    ----------
    unit
        The greatest common divisor of the objective coefficients.
    offset
        The objective constant.
    maximize
        The objective's sense (a bound is rounded down when maximising).
    """

    unit: float
    offset: float
    maximize: bool = False

    @classmethod
    def of(cls, cost: np.ndarray, integer: np.ndarray, offset: float, maximize: bool) -> Lattice | None:
        """The lattice of an objective, or None when a continuous column has a cost, a coefficient is
        not a whole number, or the objective is zero.

        Parameters
        ----------
        cost
            Objective coefficient per column.
        integer
            Indices of the integer columns.
        offset
            The objective constant.
        maximize
            Whether the objective is maximised.
        """
        cost = np.asarray(cost, dtype=float)
        priced = np.flatnonzero(cost)
        if not len(priced) or not np.isin(priced, integer).all():
            return None
        c = np.abs(cost[priced])
        whole = np.round(c)
        if not np.all(np.isfinite(c)) or np.any(np.abs(c - whole) > _WHOLE * np.maximum(c, 1.0)) or whole.min() < 1:
            return None
        unit = reduce(math.gcd, sorted({int(v) for v in whole.tolist()}))
        return cls(float(unit), float(offset), maximize)

    def round(self, bound: float) -> float:
        """The lattice value next to ``bound`` on the side it bounds (up when minimising)."""
        if not math.isfinite(bound):
            return bound
        k = (bound - self.offset) / self.unit
        near = round(k)
        if abs(k - near) > _SNAP:
            near = math.floor(k) if self.maximize else math.ceil(k)
        return self.offset + near * self.unit


class LatticeStop:
    """A HiGHS MIP interrupt callback: stop once the plan is within ``tolerance`` (relative, as
    HiGHS's ``mip_rel_gap``) of the rounded dual bound. ``bound`` keeps the rounded bound of the stop."""

    def __init__(self, lattice: Lattice, tolerance: float) -> None:
        self.lattice, self.tolerance = lattice, tolerance
        self.fired = False
        self.bound: float | None = None

    def prove(self, value: float, bound: float) -> tuple[float, float, bool]:
        """The final ``bound`` rounded to the lattice (or the rounded one this stopped at, if tighter),
        its gap to the plan's ``value``, and whether that gap is within the tolerance."""
        lattice = self.lattice
        rounded = lattice.round(bound)
        if self.bound is not None:
            rounded = min(rounded, self.bound) if lattice.maximize else max(rounded, self.bound)
        if (rounded < value) if lattice.maximize else (rounded > value):
            rounded = value  # a plan's value bounds its own goal (solver tolerances aside)
        gap = relative_gap(value, rounded)
        return rounded, gap, gap <= self.tolerance + 1e-12

    def __call__(self, event: object) -> None:
        d = event.data_out
        primal, dual = float(d.mip_primal_bound), float(d.mip_dual_bound)
        if abs(primal) >= 1e30 or abs(dual) >= 1e30 or not math.isfinite(primal + dual):
            return
        rounded = self.lattice.round(dual)
        if relative_gap(primal, rounded) <= self.tolerance:
            self.bound = rounded
            event.data_in.user_interrupt = self.fired = True
