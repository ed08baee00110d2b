"""A plan for one year of a rollout's backward start, built greedily, to start the solver from.

A backward start year (:func:`planner.features.rollout.backward.backward_start`) may open only the
sites open the year after, must spend at least what that year's own budget cannot pay for, and
meets its AFIR milestone. HiGHS finds plans for such a year late: on ``europe-rollout-afir`` with
every flow its 2026 year (the 2025 milestone, 15 % of the core network, and exactly 400 M EUR among
the 2028 year's 350 hubs) held no plan until 26.6 s of its 30 s, and without one the year cannot be
stopped at its soft limit, nor, on a slower machine, be planned at all. This builds one in a fraction
of a second:

* **Requirements** — for each AFIR spacing window without an open site, the allowed site in the
  most such windows (cheaper first); then the share milestone's segments
  (:func:`planner.features.afir.start.share_start` on the allowed sites only).
* **Fill** — while the budget allows (and, to spend the year's least, beyond what helps), the allowed
  site whose windows not yet holding an open site carry the most weight per euro: a window's weight
  is that of the flows (served by the allowed sites) whose route has it
  (:meth:`planner.windows.CoverSet.window_weights`).
* **Moves** — unless the plan already serves within the solver's ``mip_gap`` of what every allowed
  site serves, the fill's hubs move to allowed sites sharing windows with them while the true served
  weight rises (:func:`planner.features.coverage.polish.polish`), at most :data:`MOVES` plans scored
  (a count, not a time: the same plan on any machine); the requirements' hubs stay.

Measured on that 2026 year within the 2028 hubs HiGHS had planned (2026-12-05, 2 cores): the
requirements take 69 hubs (276 M EUR) serving 12.3 M truck-km/day of weight, the fill 31 more serving
20.9 M in all (0.1 s); the moves raise it to 21.4 M after 105 plans (3 s), 22.0 M after 305 (8 s) and
22.5 M after 756 (20 s), against 22.0 M for HiGHS's own first plan, at 26.6 s. In the run (its 2028
year now from this start too) HiGHS, started from it, held a plan serving 3.23 M discounted against
2.94 M before, and stopped at its soft limit: 16 s for the year instead of 31 s. The 2028 year (the
2027 milestone, 1,400 M EUR among the 2030 year's 1,100 hubs): the fill serves all that its allowed
sites serve (no moves, 0.3 s), so the lazy solve keeps it without a search (it took HiGHS 7.7-8.4 s
to a plan 1.48 % below its bound). Plain arrays and site indices only.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from planner.features.afir.model import AfirShare
from planner.features.afir.shares import Shares, missing_windows
from planner.features.afir.start import share_start, sites_for
from planner.features.coverage.polish import polish
from planner.features.rollout.model import RolloutSpec
from planner.highs import site_incidence
from planner.windows import CoverSet

__all__ = ["backward_year_start"]


#: Plans the moves score at most (about 26 ms each with every European flow).
MOVES = 300


def backward_year_start(
    cover: CoverSet,
    weight: np.ndarray,
    cost: np.ndarray,
    locked: np.ndarray,
    spec: RolloutSpec,
    allowed: np.ndarray,
    floor: float | None,
    gap: float = 0.0,
) -> np.ndarray | None:
    """Open sites for one backward start year meeting every limit of its model, or None.

    Parameters
    ----------
    cover
        The instance's cover windows.
    weight
        Per flow, its objective weight (flows needing no hub are skipped).
    cost, locked
        Per site, the cost of opening it and whether it is open already (paid for: costs nothing).
    spec
        The year's one-year model spec: its budget (all years up to it together) and the rollout's
        total budget, hub limit, AFIR spacing windows and share milestone. Only ``max_coverage``
        without a coverage target (no greedy plan can promise to serve a given share); None otherwise.
    allowed
        Per site, whether it may open (the sites open the year after).
    floor
        The least the year must spend (None: no least).
    gap
        No moves when the fill serves within this relative gap of what every allowed site serves
        (the solver's ``mip_gap``): no plan can serve more.

    Returns
    -------
    numpy.ndarray or None
        The open-site mask (``locked`` sites included), or None when the greedy plan misses a
        limit: the solver then starts without a plan, as before.
    """
    if spec.objective != "max_coverage" or any(t is not None for t in spec.coverage_target):
        return None
    price = np.where(locked, 0.0, cost).astype(float)
    allowed = allowed | locked
    is_open = _requirements(spec, allowed, locked, price)
    caps = [b for b in (spec.budget_eur[0], spec.budget_total_eur) if b is not None]
    budget, limit = (min(caps) if caps else None), spec.max_hubs
    if is_open is None or (
        (budget is not None and price[is_open].sum() > budget + 1e-6)
        or (limit is not None and int((is_open & ~locked).sum()) > limit)
    ):
        return None
    need = cover.servable & ~cover.free
    weight = np.where(need, weight, 0.0).astype(float)
    ceiling = cover.served(allowed)  # what every allowed site serves: no plan of the year serves more
    out = _fill(cover, np.where(ceiling, weight, 0.0), price, is_open, allowed, (budget, limit, floor or 0.0), locked)
    least = -np.inf if floor is None else floor - 1e-6
    if price[out].sum() < least:
        return None
    if float(weight[cover.served(out)].sum()) >= (1.0 - gap) * float(weight[ceiling].sum()):
        return out
    moved = polish(cover, weight, out, allowed & ~is_open, price, np.inf, MOVES).is_open
    return moved if price[moved].sum() >= least else out


def _requirements(spec: RolloutSpec, allowed: np.ndarray, locked: np.ndarray, price: np.ndarray) -> np.ndarray | None:
    """The locked sites and allowed sites meeting the year's AFIR spacing windows and share milestone,
    or None when the allowed sites cannot."""
    is_open = locked.copy()
    windows = spec.required_windows[0] if spec.required_windows else ()
    missing = missing_windows(windows, set(np.flatnonzero(is_open).tolist()))
    restricted = [tuple(k for k in w if allowed[k]) for w in missing]
    if any(not w for w in restricted):
        return None
    is_open[sites_for(restricted, price)] = True
    share = spec.required_shares[0] if spec.required_shares else None
    if share is not None:
        is_open = share_start(_within(share, allowed), is_open, price)[0]
        if Shares(share, set(np.flatnonzero(is_open).tolist())).short():
            return None
    return is_open


def _within(share: AfirShare, allowed: np.ndarray) -> AfirShare:
    """``share`` with only the ``allowed`` sites in its windows (a segment with an emptied window can
    no longer be certified)."""
    windows = tuple(tuple(tuple(k for k in w if allowed[k]) for w in ws) for ws in share.windows)
    coverable = tuple(ok and all(ws) for ok, ws in zip(share.coverable, windows, strict=True))
    return replace(share, windows=windows, coverable=coverable)


def _fill(
    cover: CoverSet,
    weight: np.ndarray,
    price: np.ndarray,
    is_open: np.ndarray,
    allowed: np.ndarray,
    limits: tuple[float | None, int | None, float],
    locked: np.ndarray,
) -> np.ndarray:
    """Open allowed sites by the ``weight`` (per flow: of those the allowed sites serve) of their
    windows without an open site, per euro, while the budget and the hub limit (``limits``: budget,
    hub limit, least spend) allow and a site adds weight or the least spend is not yet reached (every
    allowed site when neither budget nor hub limit binds: the most any plan serves)."""
    budget, limit, floor = limits
    out = is_open.copy()
    if budget is None and limit is None:
        return out | allowed
    window_weight = cover.window_weights(weight)
    ptr, windows_of = site_incidence(cover, np.arange(cover.n_windows), len(out))  # per site, its windows
    site = np.repeat(np.arange(len(out)), np.diff(ptr))
    keep = allowed[site]
    site, window = site[keep], windows_of[keep]
    covered = cover.covered(out)
    spent = float(price[out].sum())
    hubs = int((out & ~locked).sum())
    while limit is None or hubs < limit:
        live = ~covered[window]
        score = np.bincount(site[live], weights=window_weight[window[live]], minlength=len(out))
        fits = allowed & ~out
        if budget is not None:
            fits &= price <= budget - spent + 1e-6
        ratio = np.where(fits, score / np.maximum(price, 1e-9), -1.0)
        k = int(np.argmax(ratio))  # ties: the lowest index
        if ratio[k] < 0 or (ratio[k] == 0 and spent >= floor - 1e-6):
            break
        out[k] = True
        spent += float(price[k])
        hubs += 1
        covered[windows_of[ptr[k] : ptr[k + 1]]] = True
    return out
