"""A feasible plan for a network-share milestone (2025: 15 %, 2027: 50 %), to start the solver from.

HiGHS finds plans for the share model late: on ``europe-2030-afir`` at the 2025 milestone its
first incumbent cost 3.6 times its bound and a good one came after about a minute of sub-MIPs.
This builds one in well under a second from the plan without AFIR:

* **Add** — while a share group is short, certify the uncertified segment with the most
  direction-km per euro of sites it still needs (for each of its windows without an open site,
  the site meeting the most such windows, cheaper first), and open those sites.
* **Trim** — close the added sites again, last added first, wherever the shares still hold.

Plain arrays and site indices only, like the model (:class:`planner.features.afir.model.AfirShare`).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from planner.features.afir.model import AfirRequirement, AfirShare
from planner.features.coverage.model import PlanningModel, build_model, open_sites, start_from_open
from planner.scenario import SolverConfig
from planner.solve import solve_problem

__all__ = ["share_start", "start_share_model"]


def _missing(windows: tuple[tuple[int, ...], ...], is_open: np.ndarray) -> list[tuple[int, ...]]:
    return [w for w in windows if not is_open[list(w)].any()]


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


def _short(share: AfirShare, certified: np.ndarray) -> dict[str, float]:
    """Per share group, the direction-km still missing (groups that are met left out)."""
    done: dict[str, float] = defaultdict(float)
    for e in np.flatnonzero(certified).tolist():
        done[share.group[e]] += share.length_km[e]
    out = {}
    for group, total in share.total_km.items():
        gap = share.share * total - done[group]
        if gap > 1e-9 * max(total, 1.0):
            out[group] = gap
    return out


def _certified(share: AfirShare, is_open: np.ndarray) -> np.ndarray:
    return np.array(
        [ok and not _missing(ws, is_open) for ws, ok in zip(share.windows, share.coverable, strict=True)], dtype=bool
    )


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
    is_open = is_open.copy()
    certified = _certified(share, is_open)
    added: list[int] = []
    while short := _short(share, certified):
        best, best_key = None, None
        for e in np.flatnonzero(~certified & np.array(share.coverable, dtype=bool)).tolist():
            if share.group[e] not in short:
                continue
            sites = _sites_for(_missing(share.windows[e], is_open), cost)
            key = (-share.length_km[e] / max(float(cost[sites].sum()), 1e-9), e)
            if best_key is None or key < best_key:
                best, best_key = sites, key
        if best is None:
            break
        is_open[best] = True
        added += best
        certified = _certified(share, is_open)
    for k in reversed(added):
        is_open[k] = False
        trial = _certified(share, is_open)
        if _short(share, trial):
            is_open[k] = True
        else:
            certified = trial
    return is_open, certified


def start_share_model(model: PlanningModel, req: AfirRequirement, solver: SolverConfig) -> None:
    """Start values for a single-year ``min_cost`` model with a share milestone: the cheapest plan
    without AFIR (solved within a tenth of the time limit), then :func:`share_start` on top."""
    if req.share is None or model.spec.objective != "min_cost":
        return
    instance = model.instance
    base = build_model(instance, model.spec.without("afir"))
    quick = solver.model_copy(update={"time_limit_s": 0.1 * solver.time_limit_s})
    if not solve_problem(base.problem, quick).has_solution:
        return
    is_open, certified = share_start(req.share, open_sites(base), instance.site_cost)
    start_from_open(model, is_open)
    for e, c in model.parts.get("afir", {}).items():
        c.setInitialValue(1.0 if certified[e] else 0.0)
