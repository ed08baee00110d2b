"""Fewer hubs for a solved network-share plan: close what the plan does not need, then exchange.

A share milestone's model (2025: 15 %, 2027: 50 % of the network length) stops at its time limit far
from its bound, and the plan it reports is HiGHS's best plan on the lazily added cover rows with
sites opened for the windows it missed (:func:`planner.highs._repair`), which closes nothing, since
the segment rows may need the plan's sites. Here the plan is improved by moves that keep it
feasible, checked against the data rather than the model:

* **Close** — an open site (dearest first, then the higher index) whose every needed cover window
  holds another open site, if every share group still reaches its share without it.
* **Exchange** — close one site ``k`` and open the one site ``j`` that meets every cover window ``k``
  alone met (the cheapest, then the lower index, among those holding all of them), if the shares
  still hold; kept only if some other open site can then be closed as above (the plan loses a hub
  net, or gets cheaper), undone otherwise.

Every served flow stays served (each window of a flow that needs a hub keeps an open site, which is
what :meth:`planner.windows.CoverSet.served` asks) and every share stays met (the segments' windows,
as :class:`planner.features.afir.shares.Shares` tracks them), so the verifier's checks hold as
before; the plan only gets cheaper. Plain arrays and site indices only.

Measured on ``europe-2030-afir`` with ``solver.time_limit_s = 120`` (2 cores, 2026-12-04): 2025 on its
4,000 largest flows 112 -> 108 hubs (448 -> 432 M EUR) in 1.9 s; 2027 205 -> 202 (820 -> 808 M EUR);
2025 with every flow 154 -> 149 (616 -> 596 M EUR). Taking out four sites around each open one and
re-opening greedily (cover, then the shares) found nothing more in 108 tries (156 s) and is not used.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pulp

from planner.features.afir.model import AfirRequirement, AfirShare
from planner.features.afir.shares import Shares
from planner.features.coverage.model import PlanningModel, open_sites
from planner.highs import relative_gap
from planner.scenario import SolverConfig
from planner.solve import SolveResult
from planner.windows import CoverSet

__all__ = ["TrimResult", "finish_share_model", "plan_windows", "trim_share_plan"]

#: Share of ``solver.time_limit_s`` the moves may take after the solve (at least 5 s). They took 1.9 s on
#: europe-2030-afir's 2025 milestone with its 4,000 largest flows (2026-12-04).
_TIME_SHARE = 0.1


@dataclass(frozen=True)
class TrimResult:
    """What :func:`trim_share_plan` did.

    Attributes
    ----------
    is_open
        The new open-site mask.
    certified
        Per segment, whether that plan certifies it (every window holds an open site).
    closed
        How many sites fewer it opens (net).
    exchanges
        How many of those moves were exchanges (a site for another, then one or more closed).
    """

    is_open: np.ndarray
    certified: np.ndarray
    closed: int
    exchanges: int


class _Plan:
    """Open sites with, per needed cover window, how many open sites it holds, and the shares."""

    def __init__(
        self, share: AfirShare, windows: Sequence[Sequence[int]], is_open: np.ndarray, can_open: np.ndarray
    ) -> None:
        self.is_open, self.can_open = is_open.copy(), can_open
        owner = np.repeat(np.arange(len(windows)), [len(w) for w in windows]).astype(np.int64)
        site = np.array([k for w in windows for k in w], dtype=np.int64)
        order = np.argsort(site, kind="stable")
        self.ptr, self.pos = np.searchsorted(site[order], np.arange(len(is_open) + 1)), owner[order]
        self.hits = np.bincount(owner[self.is_open[site]], minlength=len(windows))
        self.shares = Shares(share, set(np.flatnonzero(self.is_open).tolist()))

    def windows_of(self, k: int) -> np.ndarray:
        """Needed windows holding site ``k`` (positions)."""
        return self.pos[self.ptr[k] : self.ptr[k + 1]]

    def sole(self, k: int) -> np.ndarray:
        """Needed windows that open site ``k`` alone meets."""
        wins = self.windows_of(k)
        return wins[self.hits[wins] <= 1]

    def toggle(self, k: int, *, open_: bool) -> None:
        self.is_open[k] = open_
        self.hits[self.windows_of(k)] += 1 if open_ else -1
        self.shares.toggle([k], open_=open_)

    def try_close(self, k: int) -> bool:
        """Close ``k`` if the cover and every share still hold without it."""
        if len(self.sole(k)):
            return False
        self.toggle(k, open_=False)
        if self.shares.short():
            self.toggle(k, open_=True)
            return False
        return True


def _close_pass(plan: _Plan, order: list[int], deadline: float) -> None:
    for k in order:
        if time.perf_counter() > deadline:
            break
        if plan.is_open[k]:
            plan.try_close(k)


def trim_share_plan(
    share: AfirShare,
    windows: Sequence[Sequence[int]],
    is_open: np.ndarray,
    cost: np.ndarray,
    locked: np.ndarray,
    *,
    can_open: np.ndarray | None = None,
    seconds: float = 30.0,
) -> TrimResult:
    """Close and exchange sites of a feasible share plan while it stays feasible (see the module).

    Parameters
    ----------
    share
        The milestone's segments and windows; the plan meets every group's share.
    windows
        The cover windows (site indices) of the flows the plan serves; each holds an open site.
    is_open
        The plan's open sites (existing hubs included).
    cost
        Cost of each site.
    locked
        Sites that stay open (existing hubs).
    can_open
        Sites an exchange may open (default: every site); the model's sites without a variable are not.
    seconds
        Time allowed; the moves made so far are kept when it runs out.

    Returns
    -------
    TrimResult
        The cheaper (or the same) plan and how many closes and exchanges it took.
    """
    deadline = time.perf_counter() + seconds
    plan = _Plan(share, windows, is_open, np.ones(len(is_open), dtype=bool) if can_open is None else can_open)

    def dearest_first() -> list[int]:  # open movable sites, dearest first, then the higher index
        return sorted(np.flatnonzero(plan.is_open & ~locked).tolist(), key=lambda k: (-float(cost[k]), -k))

    _close_pass(plan, dearest_first(), deadline)
    holders = _holders(plan)
    exchanges = 0
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for k in dearest_first():
            if time.perf_counter() > deadline:
                break
            if plan.is_open[k] and _exchange(plan, k, cost, locked, holders):
                exchanges += 1
                improved = True
    closed = int(is_open.sum() - plan.is_open.sum())
    return TrimResult(plan.is_open, plan.shares.certified.copy(), closed, exchanges)


def _holders(plan: _Plan) -> tuple[np.ndarray, np.ndarray]:
    """Needed window → the sites holding it (CSR), the inverse of the plan's site incidence."""
    n_sites = len(plan.ptr) - 1
    owner = np.repeat(np.arange(n_sites), np.diff(plan.ptr))
    order = np.argsort(plan.pos, kind="stable")
    ptr = np.searchsorted(plan.pos[order], np.arange(len(plan.hits) + 1))
    return ptr, owner[order]


def _exchange(
    plan: _Plan, k: int, cost: np.ndarray, locked: np.ndarray, holders: tuple[np.ndarray, np.ndarray]
) -> bool:
    """Close ``k``, open its replacement, close what that makes redundant; keep it if the plan got
    cheaper (return True), else undo (return False)."""
    sole = plan.sole(k)
    hptr, hsite = holders
    if len(sole):
        cands = hsite[hptr[sole[0]] : hptr[sole[0] + 1]]
        for w in sole[1:].tolist():
            cands = np.intersect1d(cands, hsite[hptr[w] : hptr[w + 1]], assume_unique=True)
        cands = cands[~plan.is_open[cands] & plan.can_open[cands] & (cands != k)]
    else:
        cands = np.zeros(0, dtype=np.int64)
    if not len(cands):
        return False
    for j in sorted(cands.tolist(), key=lambda s: (float(cost[s]), s)):
        plan.toggle(k, open_=False)
        plan.toggle(j, open_=True)
        if plan.shares.short():
            plan.toggle(j, open_=False)
            plan.toggle(k, open_=True)
            continue
        near = _neighbours(plan, (k, j), holders, locked)
        closed = [r for r in near if plan.is_open[r] and plan.try_close(r)]
        if closed and float(cost[j] - cost[k] - cost[closed].sum()) < -1e-9:
            return True
        for r in reversed(closed):
            plan.toggle(r, open_=True)
        plan.toggle(j, open_=False)
        plan.toggle(k, open_=True)
    return False


def _segment_sites(plan: _Plan, k: int) -> set[int]:
    """Sites in the windows of the segments whose windows hold ``k``."""
    out: set[int] = set()
    for e in plan.shares.segments_of.get(k, ()):
        for win in plan.shares.share.windows[e]:
            out.update(win)
    return out


def _neighbours(
    plan: _Plan, sites: tuple[int, ...], holders: tuple[np.ndarray, np.ndarray], locked: np.ndarray
) -> list[int]:
    """Open, movable sites sharing a needed window or a segment with ``sites``, highest index first."""
    hptr, hsite = holders
    out: set[int] = set()
    for s in sites:
        for w in plan.windows_of(s).tolist():
            out.update(hsite[hptr[w] : hptr[w + 1]].tolist())
        out |= _segment_sites(plan, s)
    return sorted((r for r in out if plan.is_open[r] and not locked[r] and r not in sites), reverse=True)


def plan_windows(cover: CoverSet) -> list[tuple[int, ...]]:
    """The cover windows every servable flow that needs a hub has (site indices): what a plan serving
    every servable flow meets."""
    return [cover.window(int(w)) for w in cover.needed_windows()]


def finish_share_model(
    model: PlanningModel, req: AfirRequirement, result: SolveResult, solver: SolverConfig
) -> SolveResult:
    """After a single-year ``min_cost`` solve with a share milestone: :func:`trim_share_plan` on its plan,
    written back into the model's variables, and the result with the cheaper plan's objective and gap,
    against the tighter of the solver's bound and ``model.side_bounds`` (the bound of the model without
    AFIR that :func:`planner.features.afir.start.start_share_model` solved: a relaxation of this one).

    Only for a plan serving every servable flow with no part but AFIR's (sizing or grid rows read the
    points of the sites a move would close); otherwise ``result`` is returned unchanged.
    """
    spec, inst = model.spec, model.instance
    if req.share is None or spec.objective != "min_cost" or any(p.name != "afir" for p in spec.parts):
        return result
    is_open = open_sites(model)
    if not inst.cover.served(is_open)[inst.cover.servable].all():
        return result
    t0 = time.perf_counter()
    seconds = max(5.0, _TIME_SHARE * solver.time_limit_s)
    windows = plan_windows(inst.cover)
    can_open = np.zeros(len(is_open), dtype=bool)
    can_open[list(model.variables.open)] = True
    out = trim_share_plan(
        req.share, windows, is_open, inst.site_cost, inst.site_locked, can_open=can_open, seconds=seconds
    )
    bound, notes = result.best_bound, []
    side = max(model.side_bounds, default=-math.inf)
    if side > (bound if bound is not None else -math.inf):
        bound = side
        notes.append(f"bound {side:,.6g} from the model without AFIR (a relaxation of this one)")
    if out.closed:
        _write_plan(model, out)
        notes.insert(0, f"then {out.closed} hub(s) fewer by closing and {out.exchanges} exchange(s) (afir/trim.py)")
    if not notes:
        return result
    value = float(pulp.value(model.capex() + model.charge))
    gap = None if bound is None else relative_gap(value, bound)
    proven = gap is not None and gap <= solver.mip_gap + 1e-12
    return replace(
        result,
        status="optimal" if proven else result.status,
        objective=value,
        best_bound=bound,
        mip_gap=gap,
        seconds=result.seconds + time.perf_counter() - t0,
        message=f"{result.message}; {'; '.join(notes)}",
    )


def _write_plan(model: PlanningModel, out: TrimResult) -> None:
    """The moved plan's open sites, windows and certified segments as the model's variable values."""
    v = model.variables
    for k, x in v.open.items():
        x.varValue = 1.0 if out.is_open[k] else 0.0
    for w, z in v.window.items():
        z.varValue = 1.0 if out.is_open[list(w)].any() else 0.0
    for e, c in model.parts.get("afir", {}).items():
        c.varValue = 1.0 if out.certified[e] else 0.0
