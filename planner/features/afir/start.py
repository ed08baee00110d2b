"""A feasible plan for a network-share milestone (2025: 15 %, 2027: 50 %), to start the solver from.

HiGHS finds plans for the share model late: on ``europe-2030-afir`` at the 2025 milestone its
first incumbent (1.28e9 EUR) cost 3.4 times its bound and held for 50 s, until its sub-MIPs found
4.4e8. This builds one (5.2e8 there) from the plan without AFIR, one quick solve, on top of which:

* **Add** — while a share group is short, certify the uncertified segment with the most
  direction-km per euro of sites it still needs (for each of its windows without an open site,
  the site meeting the most such windows, cheaper first), and open those sites.
* **Trim** — close the added sites again, last added first, wherever the shares still hold.

Plain arrays and site indices only, like the model (:class:`planner.features.afir.model.AfirShare`).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from planner.features.afir.model import AfirRequirement, AfirShare
from planner.features.afir.shares import Shares, missing_windows
from planner.features.coverage.model import PlanningModel, build_model, open_sites, start_from_open
from planner.scenario import SolverConfig
from planner.solve import solve_problem

__all__ = ["share_start", "start_share_model"]


def _sites_for(missing: list[tuple[int, ...]], cost: np.ndarray) -> list[int]:
    """Sites meeting every window in ``missing``: greedily the one in the most of them (cheaper, then
    lower index, first)."""
    picked: list[int] = []
    left = list(missing)
    while left:
        hits: dict[int, int] = defaultdict(int)
        for w in left:
            for k in w:
                hits[k] += 1
        k = min(hits, key=lambda s: (-hits[s], float(cost[s]), s))
        picked.append(k)
        left = [w for w in left if k not in w]
    return picked


def share_start(share: AfirShare, is_open: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Open sites on top of ``is_open`` until every share group reaches its share.

    Parameters
    ----------
    share
        The milestone's segments and windows.
    is_open
        Sites open already (existing hubs and a plan serving the flows); they stay open.
    cost
        Cost of opening each site.

    Returns
    -------
    tuple
        The open-site mask and, per segment, whether it is certified (every window has an open
        site). The shares may still be short if no segment is left to certify (the requirement
        already refuses milestones out of reach with every candidate open).
    """
    state = Shares(share, set(np.flatnonzero(is_open).tolist()))
    offer: dict[int, tuple[list[int], tuple[float, int]]] = {}  # segment → sites it needs, its rank
    added: list[int] = []
    while short := state.short():
        best = None
        for e in np.flatnonzero(~state.certified).tolist():
            if not share.coverable[e] or share.group[e] not in short:
                continue
            if e not in offer:
                sites = _sites_for(missing_windows(share.windows[e], state.opened), cost)
                offer[e] = sites, (-share.length_km[e] / max(float(cost[sites].sum()), 1e-9), e)
            if best is None or offer[e][1] < offer[best][1]:
                best = e
        if best is None:
            break
        sites = offer[best][0]
        state.toggle(sites, open_=True)
        added += sites
        for k in sites:  # offers through these sites are out of date
            for e in state.segments_of.get(k, ()):
                offer.pop(e, None)
    for k in reversed(added):
        state.toggle([k], open_=False)
        if state.short():
            state.toggle([k], open_=True)
    out = np.zeros(len(is_open), dtype=bool)
    out[sorted(state.opened)] = True
    return out, state.certified.copy()


def start_share_model(model: PlanningModel, req: AfirRequirement, solver: SolverConfig) -> None:
    """Start values for a single-year ``min_cost`` model with a share milestone: the cheapest plan
    without AFIR (solved within a tenth of the time limit), then :func:`share_start` on top. That solve's
    bound, a bound for this model too, goes to ``model.side_bounds``.

    The moves of :mod:`planner.features.afir.trim` on this start too were tried and not kept: the start
    got cheaper (europe-2030-afir, 120 s, 2026-12-04: 2025 with 4,000 flows 5.44e8 -> 5.08e8; 2027 with
    every flow 1.104e9 -> 1.048e9) but every final plan stayed the same (432 M, 808 M, 596 M, 1,048 M
    EUR after the moves at the end)."""
    if req.share is None or model.spec.objective != "min_cost":
        return
    instance = model.instance
    base = build_model(instance, model.spec.without("afir"))
    quick = solver.model_copy(update={"time_limit_s": 0.1 * solver.time_limit_s})
    result = solve_problem(base.problem, quick)
    if result.best_bound is not None and math.isfinite(result.best_bound):
        # the model without the share rows relaxes this one: its bound holds here too
        model.side_bounds.append(float(result.best_bound))
    if not result.has_solution:
        return
    is_open, certified = share_start(req.share, open_sites(base), instance.site_cost)
    start_from_open(model, is_open)
    for e, c in model.parts.get("afir", {}).items():
        c.setInitialValue(1.0 if certified[e] else 0.0)
