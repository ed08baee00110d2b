"""PlanningInstance: the boundary between geography and optimisation.

Everything past this module sees plain arrays and ids: sites with costs, flows with volumes
and, per flow, the candidate stops along its route as (site index, driven km from origin).
From those and the :class:`~planner.ranges.Ranges` we derive each flow's *cover windows*:
sets of sites of which at least one must be open for the flow to be served (the arc-cover
path-cover idea of Capar et al. 2013 adapted to one-way trips; see docs/model.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.network import Network
from planner.ranges import Ranges
from planner.windows import ArcStops, CoverSet, arc_stops, cover_set

__all__ = ["PlanningInstance", "FlowStops", "build_instance", "flow_windows", "route_stops", "window_members"]

_EPS = 1e-6  # km; positions are sums of edge lengths


@dataclass(frozen=True)
class FlowStops:
    """Candidate stops of one flow, sorted along the route.

    Attributes
    ----------
    site
        Site index of each stop (a site may appear twice on a round trip).
    drive_km
        Driven km from the origin (energy and driving-time distance).
    route_km
        Route km from the origin (includes ferry legs), for reporting.
    """

    site: np.ndarray
    drive_km: np.ndarray
    route_km: np.ndarray


class _LazyStops(Sequence):
    """Candidate stops of each flow, computed when asked for (a flow's stops at fine candidate
    spacing number hundreds: holding them for every flow at once is what does not scale)."""

    def __init__(self, routes: Sequence[list[str]], network: Network, arcs: ArcStops, node_sites, arc_sites) -> None:
        self._routes, self._network, self._arcs = routes, network, arcs
        self._node_sites, self._arc_sites = node_sites, arc_sites

    def __len__(self) -> int:
        return len(self._routes)

    def __getitem__(self, q: int) -> FlowStops:  # type: ignore[override]
        if isinstance(q, slice):
            return [self[i] for i in range(*q.indices(len(self)))]
        return route_stops(list(self._routes[q]), self._network, self._node_sites, self._arc_sites)


@dataclass(frozen=True)
class PlanningInstance:
    """Plain-array planning instance.

    Attributes
    ----------
    site_ids, site_cost, site_locked
        Candidate sites, their capex (EUR) and whether they are existing hubs kept open.
    flow_ids, volume, length_km, drive_km
        Flows (BEV trucks/day), route length and driven length.
    cover
        Every flow's cover windows, shared across flows (:class:`planner.windows.CoverSet`).
    stops
        Candidate stops per flow (computed on demand).
    ranges
        The leg ranges used.
    arcs
        Candidate stops of every arc (for walking routes quickly).
    routes
        Node sequence of each flow.
    """

    site_ids: list[str]
    site_cost: np.ndarray
    site_locked: np.ndarray
    flow_ids: list[str]
    volume: np.ndarray
    length_km: np.ndarray
    drive_km: np.ndarray
    cover: CoverSet
    stops: Sequence[FlowStops]
    ranges: Ranges
    arcs: ArcStops | None = None
    routes: Sequence[list[str]] = ()
    _windows: list = field(default_factory=list, repr=False, compare=False)

    @property
    def servable(self) -> np.ndarray:
        """Boolean mask of flows some set of hubs could serve."""
        return self.cover.servable

    @property
    def free(self) -> np.ndarray:
        """Boolean mask of flows served without any new hub (no window, or existing hubs suffice)."""
        return self.cover.free

    @property
    def windows(self) -> list[list[tuple[int, ...]] | None]:
        """Per flow, its cover windows as sorted tuples of site indices (windows holding an existing
        hub removed when those are dropped); ``None`` when the flow can never be served. Built on
        first use: prefer :attr:`cover` for many flows."""
        if not self._windows:
            cover = self.cover
            self._windows.extend(
                None if not cover.servable[q] else [cover.window(w) for w in cover.flow_window_ids(q)]
                for q in range(len(self.flow_ids))
            )
        return self._windows

    def open_stop_lists(self, is_open: np.ndarray) -> list[tuple[list[int], list[float], list[float]]]:
        """:meth:`open_stops` for every flow at once (each stretch of road walked once)."""
        if self.arcs is None or self.cover.node_arc is None:
            return [self.open_stops(q, is_open) for q in range(len(self.flow_ids))]
        out = self.cover.open_stops(self.arcs, is_open)
        for q in self.cover.extra or {}:  # flows evaluated one by one (round trips)
            out[q] = self.open_stops(q, is_open)
        return out

    def open_stops(self, q: int, is_open: np.ndarray) -> tuple[list[int], list[float], list[float]]:
        """Sites, driven km and route km of the open sites flow ``q`` passes before its destination,
        in order (what :attr:`stops` filtered to ``is_open`` gives, without building every stop)."""
        fs = self.stops[q] if self.arcs is None else _open_stops(self.routes[q], self.arcs, is_open)
        if isinstance(fs, FlowStops):
            keep = is_open[fs.site]
            return fs.site[keep].tolist(), fs.drive_km[keep].tolist(), fs.route_km[keep].tolist()
        return fs


def _open_stops(
    route: Sequence[str], arcs: ArcStops, is_open: np.ndarray
) -> tuple[list[int], list[float], list[float]]:
    sites: list[int] = []
    drive: list[float] = []
    rkm: list[float] = []
    d = r = 0.0
    carried: list[tuple[int, float]] = []
    for a, b in zip(route[:-1], route[1:], strict=True):
        k = arcs.index[a, b]
        sl = slice(arcs.start[k], arcs.start[k + 1])
        here = [
            (int(s), float(dr), float(rr))
            for s, dr, rr in zip(arcs.site[sl], arcs.drive_off[sl], arcs.route_off[sl], strict=True)
            if is_open[s]
        ]
        if arcs.drive[k] <= _EPS:  # no driving: its stops sit at its end, taken only if the route goes on
            carried += [(s, r + rr) for s, _, rr in here]
        else:
            for s, rr in carried:
                sites.append(s), drive.append(d), rkm.append(rr)
            carried = []
            for s, dr, rr in here:
                sites.append(s), drive.append(d + dr), rkm.append(r + rr)
        d += arcs.drive[k]
        r += arcs.length[k]
    return sites, drive, rkm


def route_stops(
    route: list[str],
    network: Network,
    node_sites: dict[str, list[int]],
    arc_sites: dict[tuple[str, str], list[tuple[int, float]]],
) -> FlowStops:
    """Candidate stops along a route (sites at the destination itself excluded)."""
    graph = network.graph
    sites: list[int] = []
    drive: list[float] = []
    rkm: list[float] = []
    d = r = 0.0
    for i, node in enumerate(route):
        if i == len(route) - 1:
            break
        for s in node_sites.get(node, ()):
            sites.append(s)
            drive.append(d)
            rkm.append(r)
        nxt = route[i + 1]
        e = graph.edges[node, nxt]
        scale = e["drive_km"] / e["length_km"]
        for s, off in arc_sites.get((node, nxt), ()):
            sites.append(s)
            drive.append(d + off * scale)
            rkm.append(r + off)
        d += e["drive_km"]
        r += e["length_km"]
    site_arr, drive_arr, r_arr = np.array(sites, dtype=np.int64), np.array(drive), np.array(rkm)
    keep = drive_arr < d - _EPS
    order = np.lexsort((r_arr[keep], drive_arr[keep]))
    return FlowStops(site_arr[keep][order], drive_arr[keep][order], r_arr[keep][order])


def flow_windows(
    pos: np.ndarray, length: float, ranges: Ranges, *, refuel_at_origin: bool = False
) -> list[tuple[int, int]] | None:
    """Minimal cover windows of one flow as index ranges ``[lo, hi)`` into its sorted stops.

    A flow of driven length ``L`` with stops at sorted positions ``pos`` (all ``< L``) is
    served by an open set ``H`` iff

    * every point ``t`` in ``(start_km, L]`` has an open stop in ``[t - between_km, t)``, and
    * ``L <= direct_km`` or some open stop lies in ``[L - last_km, L)``.

    The first condition only needs checking just before each stop position beyond
    ``start_km`` (the window shrinks as ``t`` grows between stops); windows containing
    another are dropped.

    ``refuel_at_origin`` (a round trip under the classic flow-refuelling rule, Kuby & Lim 2005): a
    hub at the origin (the stops at position 0) also refuels the truck when it returns, so the second
    condition is met by an open origin stop too — then only the first must hold up to ``L``. The
    final window is returned as ``(lo, n)`` *together with* the origin stops ``[0, o)``: the pair
    ``(-o, lo)`` (a negative first entry marks it; see :func:`window_members`), and the window of
    ``t = L`` is added.

    Returns
    -------
    list of (lo, hi) or None
        ``[]`` if the flow needs no hub, ``None`` if no set of hubs can serve it.
    """
    if length <= ranges.direct_km + _EPS:
        return []
    raw: list[tuple[int, int]] = []
    n = len(pos)
    for j in range(n):
        t = pos[j]
        if t <= ranges.start_km + _EPS:
            continue
        lo = int(np.searchsorted(pos, t - ranges.between_km - _EPS, side="left"))
        hi = int(np.searchsorted(pos, t - _EPS, side="left"))
        raw.append((lo, hi))
    final = (int(np.searchsorted(pos, length - ranges.last_km - _EPS, side="left")), n)
    origin = int(np.searchsorted(pos, _EPS, side="left")) if refuel_at_origin else 0
    if origin:
        raw.append((int(np.searchsorted(pos, length - ranges.between_km - _EPS, side="left")), n))
    else:
        raw.append(final)
    if any(lo >= hi for lo, hi in raw):
        return None
    uniq = list(dict.fromkeys(raw))
    keep = []
    for k, (lo, hi) in enumerate(uniq):
        later_same_hi = k + 1 < len(uniq) and uniq[k + 1][1] == hi
        earlier_same_lo = k > 0 and uniq[k - 1][0] == lo
        if not later_same_hi and not earlier_same_lo:
            keep.append((lo, hi))
    if origin and not any(lo >= final[0] or hi <= origin for lo, hi in keep):
        keep.append((-origin, final[0]))  # the final window or the origin's stops (not implied by another)
    return keep


def window_members(fs: FlowStops, window: tuple[int, int]) -> tuple[int, ...]:
    """Site indices of one window of :func:`flow_windows` (sorted, distinct)."""
    lo, hi = window
    # lo < 0: the final window together with the origin's stops
    members = fs.site[:-lo].tolist() + fs.site[hi:].tolist() if lo < 0 else fs.site[lo:hi].tolist()
    return tuple(sorted(set(members)))


def build_instance(
    network: Network,
    sites: pd.DataFrame,
    flows: pd.DataFrame,
    ranges: Ranges,
    *,
    site_cost: np.ndarray,
    drop_locked: bool = True,
    refuel_at_origin: bool = False,
) -> PlanningInstance:
    """Turn routed flows and candidate sites into a :class:`PlanningInstance`.

    Parameters
    ----------
    network
        The network (for arc lengths and directions).
    sites
        Candidate table (see :mod:`planner.candidates`), sorted by ``site_id``.
    flows
        Routed flows (see :func:`planner.demand.route_flows`).
    ranges
        Leg ranges.
    site_cost
        Capex per site (EUR), 0 for locked sites.
    drop_locked
        Drop windows that contain an existing (locked) hub (always satisfied). Keep them when
        stops are assigned to hubs with finite capacity.
    refuel_at_origin
        Round trips (routes back to their origin) follow the classic rule: a hub at the origin
        refuels the returning truck (:func:`flow_windows`).
    """
    graph = network.graph
    node_sites: dict[str, list[int]] = {}
    arc_sites: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for i, s in enumerate(sites.itertuples(index=False)):
        if s.node:
            node_sites.setdefault(s.node, []).append(i)
            continue
        length = graph.edges[s.u, s.v]["length_km"]
        arc_sites.setdefault((s.u, s.v), []).append((i, float(s.offset_km)))
        back = graph.edges.get((s.v, s.u)) if graph.has_edge(s.v, s.u) else None
        if back is not None and back["edge_id"] == graph.edges[s.u, s.v]["edge_id"]:
            arc_sites.setdefault((s.v, s.u), []).append((i, length - float(s.offset_km)))
    for lst in arc_sites.values():
        lst.sort(key=lambda t: t[1])
    locked = sites["locked"].to_numpy(dtype=bool)
    routes = [list(r) for r in flows["route_nodes"]]
    # Routes through a node twice (round trips) are evaluated flow by flow; the rest share contexts.
    per_flow: dict[int, list[tuple[int, ...]] | None] = {}
    for q, route in enumerate(routes):
        if len(set(route)) < len(route):
            drive = float(flows["drive_km"].iat[q])
            per_flow[q] = _flow_sets(route, drive, network, node_sites, arc_sites, ranges, refuel_at_origin)
    arcs = arc_stops(network, sites)
    cover = cover_set(arcs, routes, ranges, len(sites), locked=locked if drop_locked else None, per_flow=per_flow)
    return PlanningInstance(
        site_ids=sites["site_id"].tolist(),
        site_cost=np.asarray(site_cost, dtype=float),
        site_locked=locked,
        flow_ids=flows["flow_id"].tolist(),
        volume=flows["volume"].to_numpy(dtype=float),
        length_km=flows["length_km"].to_numpy(dtype=float),
        drive_km=flows["drive_km"].to_numpy(dtype=float),
        cover=cover,
        stops=_LazyStops(routes, network, arcs, node_sites, arc_sites),
        ranges=ranges,
        arcs=arcs,
        routes=routes,
    )


def _flow_sets(
    route: list[str],
    drive_km: float,
    network: Network,
    node_sites: dict[str, list[int]],
    arc_sites: dict[tuple[str, str], list[tuple[int, float]]],
    ranges: Ranges,
    refuel_at_origin: bool,
) -> list[tuple[int, ...]] | None:
    """The windows of one flow, evaluated on its own (as site sets; ``None``: never servable)."""
    fs = route_stops(route, network, node_sites, arc_sites)
    classic = refuel_at_origin and len(route) > 1 and route[0] == route[-1]
    idx = flow_windows(fs.drive_km, drive_km, ranges, refuel_at_origin=classic)
    if idx is None:
        return None
    return sorted({window_members(fs, window) for window in idx})
