"""A feasible plan for a network-share milestone (2025: 15 %, 2027: 50 %), to start the solver from.

HiGHS finds plans for the share model late: on ``europe-2030-afir`` at the 2025 milestone its
first incumbent (1.28e9 EUR) cost 3.4 times its bound and held for 50 s, until its sub-MIPs found
4.4e8. This builds one (5.2e8 there) from the plan without AFIR, one quick solve, on top of which:

* **Add** — while a share group is short, certify the uncertified segment with the most
  direction-km per euro of sites it still needs (for each of its windows without an open site,
  the site meeting the most such windows, cheaper first), and open those sites.
* **Trim** — close the added sites again, last added first, wherever the shares still hold.

Then :func:`share_extras` solves exactly which sites to add to the plan without AFIR (a small MIP:
only the segments that plan leaves uncertified, their windows without an open site, one share row per
group), started from the greedy sites, and keeps its sites when they cost less. Measured on
``europe-2030-afir`` at the 2027 milestone with every flow (2026-12-04, 2 cores): the greedy adds 138
sites to the 138 of the plan without AFIR, the MIP (1,791 binaries, 6,185 rows) proves 108 enough in
0.5 s.

Plain arrays and site indices only, like the model (:class:`planner.features.afir.model.AfirShare`).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pulp

from planner.features.afir.model import AfirRequirement, AfirShare
from planner.features.afir.shares import Shares, missing_windows
from planner.features.coverage.model import PlanningModel, build_model, open_sites, start_from_open
from planner.scenario import SolverConfig
from planner.solve import solve_problem

__all__ = ["share_extras", "share_start", "sites_for", "start_share_model"]


def sites_for(missing: list[tuple[int, ...]], cost: np.ndarray) -> list[int]:
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
                sites = sites_for(missing_windows(share.windows[e], state.opened), cost)
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


def share_extras(
    share: AfirShare, base: np.ndarray, cost: np.ndarray, greedy: np.ndarray, solver: SolverConfig
) -> np.ndarray | None:
    """The cheapest sites to open on top of ``base`` so that every share group reaches its share.

    A MIP over the sites in the windows ``base`` leaves without an open site: ``c_e ≤ Σ_{k∈W} x_k`` for
    each such window ``W`` of a segment ``e`` not certified by ``base`` alone, and per short group
    ``Σ_e len_e c_e`` at least what it still needs; minimise the sites' cost. Started from ``greedy``
    (a feasible answer, e.g. :func:`share_start`'s), solved within ``solver``'s limits.

    Returns
    -------
    numpy.ndarray or None
        The open-site mask (``base`` and the added sites), or ``None`` if the solve gave no plan.
    """
    state = Shares(share, set(np.flatnonzero(base).tolist()))
    need = {g: share.share * total - state.done[g] for g, total in share.total_km.items()}
    problem = pulp.LpProblem("afir_share_extras", pulp.LpMinimize)
    x: dict[int, pulp.LpVariable] = {}
    c: dict[int, pulp.LpVariable] = {}
    km: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)  # per group: (c_e, len_e)
    for e in np.flatnonzero(~state.certified).tolist():
        if not share.coverable[e] or need.get(share.group[e], 0.0) <= 0:
            continue
        c[e] = problem.add_variable(f"c_{e}", 0, 1)
        km[share.group[e]].append((c[e], share.length_km[e]))
        c[e].setInitialValue(1.0)
        for i, w in enumerate(missing_windows(share.windows[e], state.opened)):
            for k in w:
                if k not in x:
                    x[k] = problem.add_variable(f"x_{k}", 0, 1, cat=pulp.LpBinary)
                    x[k].setInitialValue(1.0 if greedy[k] else 0.0)
            problem += (c[e] <= pulp.lpSum(x[k] for k in w), f"window_{e}_{i}")
            if not greedy[list(w)].any():
                c[e].setInitialValue(0.0)
    for g in sorted(need):
        if need[g] > 0:
            problem += (pulp.lpSum(length * v for v, length in km[g]) >= need[g], f"share_{g}")
    problem += pulp.lpSum(float(cost[k]) * v for k, v in sorted(x.items()))
    result = solve_problem(problem, solver, warm_start=True)
    if not result.has_solution:
        return None
    out = base.copy()
    for k, v in x.items():
        out[k] |= (v.value() or 0.0) > 0.5
    return out


def start_share_model(model: PlanningModel, req: AfirRequirement, solver: SolverConfig) -> None:
    """Start values for a single-year ``min_cost`` model with a share milestone: the cheapest plan
    without AFIR (solved within a tenth of the time limit), then :func:`share_start` on top, or the sites
    :func:`share_extras` solves for (within another tenth) where they cost less. The first solve's bound,
    a bound for this model too, goes to ``model.side_bounds``.

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
    cost, without = instance.site_cost, open_sites(base)
    is_open, certified = share_start(req.share, without, cost)
    exact = share_extras(req.share, without, cost, is_open, quick.model_copy(update={"mip_gap": 0.0}))
    if exact is not None and float(cost[exact].sum()) < float(cost[is_open].sum()) - 1e-9:
        state = Shares(req.share, set(np.flatnonzero(exact).tolist()))
        if not state.short():  # the solver's plan, re-checked on the segments themselves
            is_open, certified = exact, state.certified.copy()
    start_from_open(model, is_open)
    for e, c in model.parts.get("afir", {}).items():
        c.setInitialValue(1.0 if certified[e] else 0.0)
