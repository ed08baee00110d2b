"""PlanningInstance: the boundary between geography and optimisation.

Everything past this module sees plain arrays and ids: sites with costs, flows with volumes
and, per flow, the candidate stops along its route as (site index, driven km from origin).
From those and the :class:`~planner.ranges.Ranges` we derive each flow's *cover windows*:
sets of sites of which at least one must be open for the flow to be served (the arc-cover
path-cover idea of Capar et al. 2013 adapted to one-way trips; see docs/model.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.network import Network
from planner.ranges import Ranges

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


@dataclass(frozen=True)
class PlanningInstance:
    """Plain-array planning instance.

    Attributes
    ----------
    site_ids, site_cost, site_locked
        Candidate sites, their capex (EUR) and whether they are existing hubs kept open.
    flow_ids, volume, length_km, drive_km
        Flows (BEV trucks/day), route length and driven length.
    stops
        Candidate stops per flow.
    windows
        Per flow, the minimal cover windows as sorted tuples of site indices (locked-satisfied
        windows removed); ``None`` when the flow can never be served.
    ranges
        The leg ranges used.
    """

    site_ids: list[str]
    site_cost: np.ndarray
    site_locked: np.ndarray
    flow_ids: list[str]
    volume: np.ndarray
    length_km: np.ndarray
    drive_km: np.ndarray
    stops: list[FlowStops]
    windows: list[list[tuple[int, ...]] | None]
    ranges: Ranges

    @property
    def servable(self) -> np.ndarray:
        """Boolean mask of flows some set of hubs could serve."""
        return np.array([w is not None for w in self.windows], dtype=bool)


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
    stops, windows = [], []
    for f in flows.itertuples(index=False):
        route = list(f.route_nodes)
        fs = route_stops(route, network, node_sites, arc_sites)
        stops.append(fs)
        classic = refuel_at_origin and len(route) > 1 and route[0] == route[-1]
        idx = flow_windows(fs.drive_km, float(f.drive_km), ranges, refuel_at_origin=classic)
        if idx is None:
            windows.append(None)
            continue
        sets = set()
        for window in idx:
            members = window_members(fs, window)
            if not (drop_locked and locked[list(members)].any()):
                sets.add(members)
        windows.append(sorted(sets))
    return PlanningInstance(
        site_ids=sites["site_id"].tolist(),
        site_cost=np.asarray(site_cost, dtype=float),
        site_locked=locked,
        flow_ids=flows["flow_id"].tolist(),
        volume=flows["volume"].to_numpy(dtype=float),
        length_km=flows["length_km"].to_numpy(dtype=float),
        drive_km=flows["drive_km"].to_numpy(dtype=float),
        stops=stops,
        windows=windows,
        ranges=ranges,
    )
