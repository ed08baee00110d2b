"""Later years of a backward plan hold an earlier year's hubs and only those of their own they need.

The backward start (:func:`planner.features.rollout.backward.backward_start`) plans its last year first,
the whole network at once, and each earlier year within the next one's hubs, spending at least what
the next year's budget cannot pay for. Its last year's second goal (the cheapest plan serving as much)
is stopped by its time limit on large instances, and every earlier year then inherits the extra
hubs through that least spend. On ``europe-rollout-afir`` with every flow (2026-12-05) the backward
plan held 1,100 hubs in 2030, 1,330 in 2032 and 1,364 in 2035, and the hubs added after 2030 served
no flow the 2030 hubs did not: 1,056 M EUR for nothing. Here a year holds the hubs of the year before
plus, of its own, a site in each window its flows (:meth:`planner.windows.CoverSet.served`: the true
windows, not a model's) or its AFIR spacing leave empty, where that meets its share milestone and
leaves the next year that keeps its own hubs within its budget. The flows every year serves stay the
same, the capex falls, and the plan still meets every limit of the foresight model it starts. Until
2026-12-06 a year held the year before's hubs only when those alone served every flow it served: in
one run that day the backward 2030 plan missed 154 flows (its lazy rounds stopped at a 0.12 % gap,
where other runs' missed none), so 2032 and 2035 kept every hub of their own and the rollout ended
at 1,307 hubs by 2035 instead of 1,087. Plain arrays and site indices only.
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
    """The backward plan with each later year holding the year before's hubs and only those of its own
    that it needs (:func:`_top_up`), where that loses nothing.

    Years are taken in order: a year's new hubs are the year before's (as now held) plus, of its own, a
    site in each window of its flows and AFIR spacing windows those leave empty. It takes them if they
    meet its share milestone and leave the next year, should that keep its own hubs, within its budget;
    it then serves every flow it served and costs no more.

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
        The open sites per year, and the indices of the years that now hold fewer hubs.
    """
    out = [s.copy() for s in sets]
    price = np.where(locked, 0.0, cost).astype(float)
    need = cover.servable & ~cover.free
    kept: list[int] = []
    for t in range(1, len(out)):
        served = cover.served(sets[t]) & need
        held = _top_up(cover, out[t - 1], sets[t], served, required[t])
        share = shares[t] if shares else None
        if not (sets[t] & ~held).any() or (
            share is not None and Shares(share, set(np.flatnonzero(held).tolist())).short()
        ):
            continue
        if not _fits(sets, t + 1, held, price, budgets):  # the next year keeping its own hubs pays for more
            continue
        out[t] = held
        kept.append(t)
    return out, kept


def _top_up(
    cover: CoverSet, base: np.ndarray, own: np.ndarray, served: np.ndarray, required: tuple[tuple[int, ...], ...]
) -> np.ndarray:
    """``base`` plus, from ``own`` (which holds it), the first site of each window of a flow of ``served`` and
    of each of ``required`` that is left without an open site: then every such flow and window is met."""
    held = base.copy()
    lost = served & ~cover.served(held)
    ids = cover.needed_windows(lost) if lost.any() else np.zeros(0, dtype=np.int64)
    empty = ids[~cover.covered(held)[ids]]
    windows = [cover.window(int(w)) for w in empty]
    for w in [*windows, *required]:
        sites = list(w)
        if not held[sites].any():
            held[next(k for k in sites if own[k])] = True
    return held


def _fits(out: list[np.ndarray], j: int, base: np.ndarray, price: np.ndarray, budgets: Sequence[float | None]) -> bool:
    """Whether year ``j`` (if any) can open its hubs ``out[j]`` beyond ``base`` within its budget."""
    return j == len(out) or budgets[j] is None or float(price[out[j] & ~base].sum()) <= budgets[j] + 1e-6
