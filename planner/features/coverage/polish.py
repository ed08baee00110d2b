"""Swap local search on a max-coverage plan, scored by the true served weight.

A lazily refined max-coverage model (:mod:`planner.features.coverage.lazy`) keeps only some windows
of each flow, so its plan is optimal for what the model counts, not for what the plan truly serves.
When the rounds end without proof, :func:`polish` moves one hub at a time to a site sharing windows
with it, keeping the move that most raises the weight of the flows whose every window holds an
open site (:meth:`planner.windows.CoverSet.served`), until no move helps. A move never raises a
hub's cost and never changes the number of hubs, so a budget and a hub limit still hold.

Measured on ``europe-2030-low-budget`` with every flow (2026-12-03, 2 cores): the rounds' best plan
served 33,532 trucks/day of the flows that need a hub; 15 moves in 1,665 evaluations of 33 ms
(44 s) raised it to 35,666 against a round bound of 37,327.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from planner.highs import site_incidence
from planner.windows import CoverSet

__all__ = ["Polished", "polish"]

#: Sites tried per hub: those sharing the most windows with it.
NEIGHBOURS = 15


@dataclass(frozen=True)
class Polished:
    """Outcome of :func:`polish`.

    Attributes
    ----------
    is_open
        The plan after the moves.
    value
        Its served weight (flows that need a hub).
    moves, evaluations
        Hubs moved, plans scored.
    converged
        No move improved the last plan (False: stopped by the deadline).
    """

    is_open: np.ndarray
    value: float
    moves: int
    evaluations: int
    converged: bool


def _neighbours(
    cover: CoverSet, index: tuple[np.ndarray, np.ndarray], hub: int, allowed: np.ndarray, cap: int
) -> np.ndarray:
    """Up to ``cap`` allowed sites sharing the most windows with ``hub`` (ties by site index)."""
    ptr, ids = index
    wins = ids[ptr[hub] : ptr[hub + 1]]
    if not len(wins):
        return np.zeros(0, dtype=np.int64)
    wp, ws = cover.window_ptr, cover.window_sites
    sites = np.concatenate([ws[wp[w] : wp[w + 1]] for w in wins.tolist()])
    uniq, count = np.unique(sites, return_counts=True)
    keep = allowed[uniq] & (uniq != hub)
    uniq, count = uniq[keep], count[keep]
    return uniq[np.lexsort((uniq, -count))][:cap]


def polish(
    cover: CoverSet,
    weight: np.ndarray,
    is_open: np.ndarray,
    movable: np.ndarray,
    cost: np.ndarray,
    deadline: float,
) -> Polished:
    """Move hubs one at a time while the true served weight rises (best move per hub, hubs in index order).

    Parameters
    ----------
    cover
        The instance's windows.
    weight
        Per flow, its weight if it needs a hub (0 otherwise).
    is_open
        The plan (existing hubs included); not modified.
    movable
        Per site, whether it may be opened or closed (new sites with a model variable).
    cost
        Per site, its capex: a hub moves only to a site costing no more.
    deadline
        ``time.perf_counter()`` value after which no further plan is scored.
    """
    plan = is_open.copy()
    needed = cover.needed_windows()
    ptr, position = site_incidence(cover, needed, len(plan))
    index = (ptr, needed[position])  # per site, the ids of the needed windows holding it
    value = float(weight[cover.served(plan)].sum())
    moves = evaluations = 0
    improved = True
    while improved:
        improved = False
        for hub in np.flatnonzero(plan & movable).tolist():  # a move closes only its own hub
            best: tuple[float, int] | None = None
            allowed = movable & ~plan & (cost <= cost[hub] + 1e-9)
            for site in _neighbours(cover, index, hub, allowed, NEIGHBOURS).tolist():
                if time.perf_counter() >= deadline:
                    return Polished(plan, value, moves, evaluations, False)
                plan[hub], plan[site] = False, True
                score = float(weight[cover.served(plan)].sum())
                plan[hub], plan[site] = True, False
                evaluations += 1
                if score > value + 1e-9 * max(abs(value), 1.0) and (best is None or score > best[0]):
                    best = (score, site)
            if best is not None:
                plan[hub], plan[best[1]] = False, True
                value, moves, improved = best[0], moves + 1, True
    return Polished(plan, value, moves, evaluations, True)
