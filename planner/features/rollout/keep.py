"""Later years of a backward plan that serve no more than an earlier year keep that year's hubs.

The backward start (:func:`planner.features.rollout.solve._backward_start`) plans its last year first,
the whole network at once, and each earlier year within the next one's hubs, spending at least what
the next year's budget cannot pay for. Its last year's second goal (the cheapest plan serving as much)
is stopped by its time limit on large instances, and every earlier year then inherits the extra
hubs through that least spend. On ``europe-rollout-afir`` with every flow (2026-12-05) the backward
plan held 1,100 hubs in 2030, 1,330 in 2032 and 1,364 in 2035, and the hubs added after 2030 served
no flow the 2030 hubs did not: 1,056 M EUR for nothing. Here a year keeps the hubs of the year before
when those serve every flow it serves (:meth:`planner.windows.CoverSet.served`: the true windows, not
a model's), meet its AFIR requirement, and leave the next year that keeps its own hubs within its
budget. The served weight of every year stays the same, the capex falls, and the plan still meets
every limit of the foresight model it starts. Plain arrays and site indices only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planner.features.afir.model import AfirShare
from planner.features.afir.shares import Shares
from planner.windows import CoverSet

__all__ = ["keep_earlier_hubs"]


def keep_earlier_hubs(
    cover: CoverSet,
    sets: list[np.ndarray],
    cost: np.ndarray,
    locked: np.ndarray,
    budgets: Sequence[float | None],
    required: Sequence[tuple[tuple[int, ...], ...]],
    shares: Sequence[AfirShare | None],
) -> tuple[list[np.ndarray], list[int]]:
    """The backward plan with each later year holding the year before's hubs where that loses nothing.

    Parameters
    ----------
    cover
        The instance's cover windows.
    sets
        Per year, its open sites (nested: each year's within the next); not modified.
    cost, locked
        Per site, the cost of opening it and whether it is open already (costs nothing).
    budgets
        Per year, the most its new hubs may cost (None: no limit).
    required, shares
        Per year, the AFIR spacing windows and share milestone it must meet (empty / None: none).

    Returns
    -------
    tuple
        The open sites per year, and the indices of the years that now hold an earlier year's hubs.
    """
    out = [s.copy() for s in sets]
    price = np.where(locked, 0.0, cost).astype(float)
    need = cover.servable & ~cover.free
    served = [cover.served(s) & need for s in out]
    kept: list[int] = []
    i = 1
    while i < len(out):
        base = out[i - 1]
        j = i  # years i..j-1 may hold the hubs of year i-1
        while j < len(out) and _no_loss(served[i - 1], served[j], base, required[j], shares[j] if shares else None):
            j += 1
        while j > i and not _fits(out, j, base, price, budgets):  # year j keeps its own hubs: pays for more
            j -= 1
        if j > i:
            for t in range(i, j):
                if (out[t] & ~base).any():
                    kept.append(t)
                out[t], served[t] = base.copy(), served[i - 1]
        i = max(j, i + 1)
    return out, kept


def _fits(out: list[np.ndarray], j: int, base: np.ndarray, price: np.ndarray, budgets: Sequence[float | None]) -> bool:
    """Whether year ``j`` (if any) can open its hubs beyond ``base`` within its budget."""
    return j == len(out) or budgets[j] is None or float(price[out[j] & ~base].sum()) <= budgets[j] + 1e-6


def _no_loss(
    before: np.ndarray, served: np.ndarray, base: np.ndarray, required: tuple, share: AfirShare | None
) -> bool:
    """Whether the hubs ``base`` (serving ``before``) serve every flow of ``served`` and meet the year's
    AFIR spacing windows and share milestone."""
    if (served & ~before).any():
        return False
    if not all(base[list(w)].any() for w in required):
        return False
    return share is None or not Shares(share, set(np.flatnonzero(base).tolist())).short()
