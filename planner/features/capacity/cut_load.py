"""The sessions a ``demand.max_flows`` cut leaves out, as rows a sized model can carry: a lower bound on
what sizing hubs for every flow costs.

A capacity model assigns each kept flow's stops to hubs; with every European flow that is 12.6 M
(group, window) pairs, too many. The cut flows are many but small, and their windows are few: on
``europe-2030-capacity`` the 225,582 cut flows that need a hub have 8,835 distinct cover windows. Each
keeps pairwise-disjoint windows taken from its destination back to its origin (:func:`_backwards`), as
many as the fewest stops its trip needs with every candidate open (windows are intervals of its route,
and for intervals the most disjoint ones are as many as the fewest points meeting them all; checked
against :mod:`planner.fewest_stops` on random networks): 7,435 distinct windows carrying 62,587
sessions/day (2026-12-07; 3,705 windows and 41,772 sessions when each flow took them among its 16
smallest windows, smallest first). So the cut flows enter as:

* cover rows ``Σ_{k∈W} x_k ≥ 1`` for every window of every cut flow (every flow is served), and
* per disjoint window ``W`` with ``D_W`` trucks/day (the cut flows keeping it), loads ``b[W,k] ≥ 0`` at
  its sites: ``b[W,k] ≤ D_W x_k``, ``Σ_{k∈W} b[W,k] ≥ D_W``, added to hub ``k``'s sessions.

This relaxes the problem of sizing hubs for every flow (every flow served, each assigned to stops):
given any such plan, a served cut flow stops at least once in each of its windows
(``Σ_{k∈W} a[f,k] ≥ 1``), so for each of its disjoint windows a share ``p[f,W,k] ≤ a[f,k]`` summing to 1
over ``W`` can be chosen; ``b[W,k] = Σ_f V_f p[f,W,k]`` meets the rows, and as a site lies in at most one
of a flow's disjoint windows, ``Σ_W b[W,k] ≤ Σ_f V_f a[f,k]``: no hub gets more sessions than in the
plan, so the plan's sizing meets this model at the same capex. The model's linear relaxation (every level
continuous on the hull) therefore bounds the capex of every plan sizing hubs for every flow. The loads sit
freely within each window (not on one itinerary per truck), so a plan of this model may still be short of
points for the trips it implies: it bounds, it does not plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp

from planner.features.tradeoff.pairs import disjoint_windows
from planner.instance import PlanningInstance
from planner.windows import CoverSet

__all__ = ["CutLoad", "add_cut_load", "cut_load"]


@dataclass(frozen=True)
class CutLoad:
    """The cut flows as rows of a sized model (site indices of the planning instance).

    Attributes
    ----------
    cover
        Distinct windows of the cut flows that need a hub: each needs an open site.
    loads
        Distinct pairwise-disjoint windows of those flows and the trucks/day that stop in each.
    flows, trucks_per_day
        How many cut flows need a hub, and their trucks/day.
    unservable
        Cut flows no plan can serve (left out).
    """

    cover: tuple[tuple[int, ...], ...]
    loads: tuple[tuple[tuple[int, ...], float], ...]
    flows: int
    trucks_per_day: float
    unservable: int

    @property
    def sites(self) -> tuple[int, ...]:
        """Every site of a cut window (each needs an open-variable)."""
        return tuple(sorted({k for w in self.cover for k in w} | {k for w, _ in self.loads for k in w}))


def cut_load(instance: PlanningInstance, volume: np.ndarray) -> CutLoad:
    """The rows of the cut flows ``instance`` holds (built on the planning instance's sites), ``volume``
    their trucks/day (a session per stop, as the run's model counts the kept flows')."""
    cover = instance.cover
    need = instance.servable & ~instance.free
    masks: dict[int, int] = {}
    trucks: dict[int, float] = {}
    for q in np.flatnonzero(need).tolist():
        for w in disjoint_windows(_backwards(cover, q), cover.window_ptr, cover.window_sites, masks):
            trucks[w] = trucks.get(w, 0.0) + float(volume[q])
    return CutLoad(
        cover=tuple(cover.window(int(w)) for w in cover.needed_windows()),
        loads=tuple((cover.window(w), trucks[w]) for w in sorted(trucks)),
        flows=int(need.sum()),
        trucks_per_day=float(volume[need].sum()),
        unservable=int((~instance.servable).sum()),
    )


def _backwards(cover: CoverSet, q: int) -> list[int]:
    """Flow ``q``'s windows from its destination back to its origin: its final window, then each node of its
    route's trie from the leaf up, a node's windows last first (the order :func:`disjoint_windows` keeps the
    most disjoint windows in; a flow evaluated alone has its own list, smallest first)."""
    if cover.extra and q in cover.extra:
        size = np.diff(cover.window_ptr)
        return sorted(set(cover.extra[q] or []), key=lambda w: (size[w], w))
    out = [] if cover.flow_final[q] < 0 else [int(cover.flow_final[q])]
    n = int(cover.flow_leaf[q])
    while n >= 0:
        out += cover.node_windows[cover.node_windows_ptr[n] : cover.node_windows_ptr[n + 1]][::-1].tolist()
        n = int(cover.node_parent[n])
    return list(dict.fromkeys(out))


def add_cut_load(
    problem: pulp.LpProblem,
    x: dict[int, pulp.LpVariable],
    cut: CutLoad,
    hub_sessions: dict[int, pulp.LpAffineExpression],
    reach: np.ndarray,
) -> None:
    """Add ``cut``'s cover and load rows on the open-variables ``x``; the loads join ``hub_sessions`` and
    ``reach`` (the most sessions each site can get, which bounds its size levels)."""
    for i, w in enumerate(cut.cover):
        problem += (pulp.lpSum(x[k] for k in w) >= 1, f"cut_cover_{i}")
    loads: dict[int, list[pulp.LpVariable]] = {}
    for i, (w, trucks) in enumerate(cut.loads):
        here = []
        for k in w:
            b = problem.add_variable(f"cut_load_{i}_{k}", 0, None)
            problem += (b <= trucks * x[k], f"cut_link_{i}_{k}")
            loads.setdefault(k, []).append(b)
            reach[k] += trucks
            here.append(b)
        problem += (pulp.lpSum(here) >= trucks, f"cut_stop_{i}")
    for k, bs in loads.items():
        hub_sessions[k] = hub_sessions.get(k, pulp.LpAffineExpression()) + pulp.lpSum(bs)
