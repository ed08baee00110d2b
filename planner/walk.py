"""Route walks in arrays: the open hubs along many routes at once, and each trip's state of charge.

The verifier's walk (:mod:`planner.verify`) for every flow of a plan: the same rules as the per-trip
reference, :meth:`planner.verify.HubIndex.along` and :func:`planner.verify.simulate_legs` (a truck
charges to ``soc_max`` at every hub it passes before its destination), vectorised over routes.
Sums run in the reference's order (each route's kilometres arc by arc from 0, each trip's state of
charge leg by leg), so both give the same numbers; the tests compare them on random networks.
Like the reference, nothing here uses the optimisation model, the instance or its cover windows:
hubs are placed on routes from the network and the site table only.

Memory stays bounded: callers walk routes in chunks of :data:`CHUNK` (:meth:`RouteWalker.chunks`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.arrays import list_codes, offsets, run_positions
from planner.network import Network
from planner.scenario import BreaksConfig, VehicleConfig

__all__ = ["CHUNK", "RouteWalker", "Trips", "Walk", "simulate_walk"]

#: Routes walked at once: on europe-2030's 235,182 routes with 40 % of its candidates open, simulating every
#: trip took 1.95 s and 276 MB above the run's memory in chunks of 50,000, 1.33 s and 47 MB in chunks of
#: 10,000, 1.18 s and 1 MB in chunks of 5,000 (the same process, 2026-12-06, 2 cores).
CHUNK = 10_000
_TOL = 1e-7  # as planner.verify: state of charge compared with this tolerance


@dataclass(frozen=True)
class Walk:
    """Open hubs along ``n`` routes, route by route (CSR): route ``i``'s hubs are entries
    ``ptr[i]:ptr[i + 1]``, sorted by route km, driven km and site id, as the reference sorts them.

    Attributes
    ----------
    ptr
        Entry offsets per route (``n + 1``).
    route_km, drive_km
        Each hub entry's position along its route (km by the route's length and by its driven length).
    site
        Each entry's site, an index into ``site_ids``.
    total_drive
        Each route's driven length (km).
    round_trip
        The route starts and ends at one node (and has more than one node).
    site_ids
        The sites the entries index (sorted, so index order is id order).
    """

    ptr: np.ndarray
    route_km: np.ndarray
    drive_km: np.ndarray
    site: np.ndarray
    total_drive: np.ndarray
    round_trip: np.ndarray
    site_ids: np.ndarray

    @functools.cached_property
    def route_of(self) -> np.ndarray:
        """The route of each entry."""
        return np.repeat(np.arange(len(self.total_drive)), np.diff(self.ptr))

    def keep(self, mask: np.ndarray) -> Walk:
        """The walk with only the entries where ``mask`` holds (their order kept)."""
        counts = np.bincount(self.route_of[mask], minlength=len(self.total_drive))
        ptr = offsets(counts)
        return Walk(
            ptr,
            self.route_km[mask],
            self.drive_km[mask],
            self.site[mask],
            self.total_drive,
            self.round_trip,
            self.site_ids,
        )


def _arcs(network: Network, sites: pd.DataFrame, site_ids: np.ndarray) -> tuple[pd.Index, np.ndarray, list]:
    """Every arc of the network by node-pair code, with its length, driven length and the open hubs
    on it as (route km, driven km from its start, site index): first those at its start node (by id),
    then those on its edge (as :meth:`planner.verify.HubIndex._arc`)."""
    g = network.graph
    nodes = pd.Index(sorted(g.nodes))
    code = {s: i for i, s in enumerate(site_ids)}
    at_node: dict[str, list[int]] = {}
    on_edge: dict[str, list[tuple[str, int, float]]] = {}
    for s in sites[sites["site_id"].isin(code)].itertuples(index=False):
        if s.node:
            at_node.setdefault(s.node, []).append(code[s.site_id])
        else:
            on_edge.setdefault(g.edges[s.u, s.v]["edge_id"], []).append((s.u, code[s.site_id], float(s.offset_km)))
    keys, table = [], []
    for a, b, arc in g.edges(data=True):
        length, drive = arc["length_km"], arc["drive_km"]
        hubs = [(0.0, 0.0, k) for k in sorted(at_node.get(a, []))]
        for u_end, k, off in on_edge.get(arc["edge_id"], []):
            along = off if u_end == a else length - off
            hubs.append((along, along * drive / length, k))
        keys.append(nodes.get_loc(a) * len(nodes) + nodes.get_loc(b))
        table.append((length, drive, sorted(hubs)))
    order = np.argsort(keys)
    return nodes, np.asarray(keys, dtype=np.int64)[order], [table[i] for i in order]


def _by_step(first: np.ndarray, counts: np.ndarray) -> Iterator[np.ndarray]:
    """For runs of consecutive entries (their ``first`` entries and ``counts``): the entries at index
    1, 2, ... of their runs, one array per index."""
    order = np.argsort(-counts, kind="stable")  # longest runs first: those reaching index k are a prefix
    longest, starts = -counts[order], first[order]
    for k in range(1, int(counts.max(initial=0))):
        yield starts[: np.searchsorted(longest, -k)] + k


def _sequential_sum(first: np.ndarray, counts: np.ndarray, add: np.ndarray) -> np.ndarray:
    """Per run of entries (see :func:`_by_step`), the running total before each entry: 0, then
    ``+ add`` entry by entry (the order a loop adds)."""
    before = np.empty(len(add))
    before[first[counts > 0]] = 0.0
    for idx in _by_step(first, counts):
        before[idx] = before[idx - 1] + add[idx - 1]
    return before


def _walk_chunk(routes: Sequence[Sequence[str]], nodes: pd.Index, keys: np.ndarray, arc_cols: tuple) -> tuple:
    length_of, drive_of, hub_ptr, hub_r, hub_d, hub_site = arc_cols
    n = len(routes)
    sizes, flat = list_codes(nodes, routes)
    if (flat < 0).any():
        bad = next(x for r in routes for x in r if x not in nodes)
        raise ValueError(f"route node {bad!r} is not in the network")
    arcs = np.maximum(sizes - 1, 0)
    first = offsets(arcs)[:-1]
    route = np.repeat(np.arange(n), arcs)
    step = run_positions(arcs)
    at = offsets(sizes)[:-1][route] + step
    pair = flat[at] * len(nodes) + flat[at + 1]
    arc = np.searchsorted(keys, pair).clip(max=max(len(keys) - 1, 0))
    if len(pair) and (keys[arc] != pair).any():
        j = int(np.flatnonzero(keys[arc] != pair)[0])
        raise ValueError(f"route step {nodes[flat[at[j]]]!r} → {nodes[flat[at[j] + 1]]!r} is not a network edge")
    route_before = _sequential_sum(first, arcs, length_of[arc])
    drive_before = _sequential_sum(first, arcs, drive_of[arc])
    total = np.zeros(n)
    last = first[arcs > 0] + arcs[arcs > 0] - 1
    total[arcs > 0] = drive_before[last] + drive_of[arc[last]]
    per = np.diff(hub_ptr)[arc]  # hub entries of each step
    owner = np.repeat(np.arange(len(arc)), per)
    src = hub_ptr[arc][owner] + run_positions(per)
    r = route_before[owner] + hub_r[src]
    d = drive_before[owner] + hub_d[src]
    site, of = hub_site[src], route[owner]
    keep = d < total[of] - 1e-6
    r, d, site, of = r[keep], d[keep], site[keep], of[keep]
    # Each arc's hubs are sorted and arcs follow each other along the route, so the entries come
    # sorted by (route, route km, driven km, site) unless rounding ties two arcs' positions: checked.
    later = (of[1:] == of[:-1]) & (
        (r[1:] < r[:-1]) | ((r[1:] == r[:-1]) & ((d[1:] < d[:-1]) | ((d[1:] == d[:-1]) & (site[1:] < site[:-1]))))
    )
    order = np.lexsort((site, d, r, of)) if later.any() else np.arange(len(r))
    counts = np.bincount(of, minlength=n)
    round_trip = np.array([len(x) > 1 and x[0] == x[-1] for x in routes], dtype=bool)
    return counts, r[order], d[order], site[order], total, round_trip


class RouteWalker:
    """Walks routes (node sequences of the network) against one set of open hubs: the open hubs
    along each route as :meth:`planner.verify.HubIndex.along` finds them, at a route's nodes and on
    its edges, before its destination (driven km short of the route's by more than 1e-6).

    Each arc's hubs are placed once; :meth:`chunks` walks many routes :data:`CHUNK` at a time, so a
    caller holds one chunk's arrays at once.
    """

    def __init__(self, network: Network, sites: pd.DataFrame, open_ids: Iterable[str]) -> None:
        self.site_ids = np.array(sorted(set(open_ids)), dtype=object)
        self.site_index = pd.Index(self.site_ids, dtype=object)  # site id → its code in a walk
        self._nodes, self._keys, table = _arcs(network, sites, self.site_ids)
        counts = np.array([len(h) for _, _, h in table], dtype=np.int64)
        hubs = [h for _, _, arc_hubs in table for h in arc_hubs]
        self._arc_cols = (
            np.array([t[0] for t in table], dtype=float),
            np.array([t[1] for t in table], dtype=float),
            offsets(counts),
            np.array([h[0] for h in hubs], dtype=float),
            np.array([h[1] for h in hubs], dtype=float),
            np.array([h[2] for h in hubs], dtype=np.int64),
        )

    def walk(self, routes: Sequence[Sequence[str]]) -> Walk:
        """The open hubs along each of ``routes`` (all at once).

        Raises
        ------
        ValueError
            A route names a node not in the network, or steps between nodes no edge joins.
        """
        counts, r, d, site, total, round_trip = _walk_chunk(list(routes), self._nodes, self._keys, self._arc_cols)
        ptr = offsets(counts)
        return Walk(ptr, r, d, site, total, round_trip, self.site_ids)

    def codes(self, ids: Iterable[str]) -> np.ndarray:
        """Indices of ``ids`` among the open hubs (``-1``: not one of them), as :attr:`Walk.site` holds them."""
        return self.site_index.get_indexer(pd.Index(list(ids), dtype=object))

    def chunks(self, routes: Sequence[Sequence[str]]) -> Iterator[tuple[int, Walk]]:
        """``(first, walk)`` for ``routes[first : first + CHUNK]``, chunk after chunk."""
        for first in range(0, len(routes), CHUNK):
            yield first, self.walk(routes[first : first + CHUNK])


@dataclass(frozen=True)
class Trips:
    """Each walked trip's outcome: ``completed``, and for the others the reason (as
    :func:`planner.verify.simulate_legs` words it)."""

    completed: np.ndarray
    reasons: dict[int, str]


def simulate_walk(walk: Walk, vehicle: VehicleConfig, breaks: BreaksConfig, *, refuel_at_origin: bool = False) -> Trips:
    """Simulate every walked trip: charge to ``soc_max`` at each hub entry, fail below ``soc_min``
    (or over ``max_driving_h`` between stops with breaks enabled), arrive with ``soc_arrival_min``
    (a round trip with a hub at its origin under ``refuel_at_origin``: with ``soc_min``)."""
    n = len(walk.total_drive)
    share = vehicle.consumption_kwh_per_km / vehicle.battery_kwh
    max_drive = breaks.max_driving_h * breaks.speed_kmh if breaks.enabled else float("inf")
    floor, top = vehicle.soc_min - _TOL, vehicle.soc_max
    per = np.diff(walk.ptr) + 1  # the hubs, then the destination
    ptr = offsets(per)
    route = np.repeat(np.arange(n), per)
    step = np.arange(int(ptr[-1])) - ptr[:-1][route]
    end = ptr[1:] - 1
    hub = np.ones(int(ptr[-1]), dtype=bool)
    hub[end] = False
    pos = np.empty(int(ptr[-1]))
    pos[hub], pos[end] = walk.drive_km, walk.total_drive
    last = np.zeros(len(pos))
    last[step > 0] = pos[np.flatnonzero(step > 0) - 1]
    leg = pos - last
    first = ptr[:-1]
    if vehicle.soc_start <= top and (leg >= 0.0).all():
        # No entry arrives above soc_max, so each hub charges to exactly soc_max: the legs after one
        # start from it (the same floats as the loop below).
        soc = top - leg * share  # before charging at the entry
        soc[first] = vehicle.soc_start - leg[first] * share
    else:  # a start above soc_max is carried, leg by leg, until the charge falls below it
        soc = np.empty(len(pos))
        soc[first] = vehicle.soc_start - leg[first] * share
        for idx in _by_step(first, per):
            before = soc[idx - 1]
            soc[idx] = np.where(hub[idx - 1] & (top > before), top, before) - leg[idx] * share
    low, long = soc < floor, leg > max_drive + 1e-6
    bad = np.flatnonzero(low | long)
    failed_routes, at_first = np.unique(route[bad], return_index=True)
    reasons = {}
    for q, j in zip(failed_routes.tolist(), bad[at_first].tolist(), strict=True):
        reasons[q] = (
            f"state of charge {soc[j]:.3f} below soc_min at km {pos[j]:.1f}"
            if low[j]
            else f"{leg[j]:.1f} km driven without a stop (limit {max_drive:.1f} km) before km {pos[j]:.1f}"
        )
    at_origin = np.zeros(n, dtype=bool)
    if refuel_at_origin:
        near = walk.route_of[walk.drive_km <= 1e-9]
        at_origin[near] = True
        at_origin &= walk.round_trip
    need = np.where(at_origin, vehicle.soc_min, vehicle.soc_arrival_min)
    arrives = soc[end] >= need - _TOL
    for q in np.flatnonzero(~arrives).tolist():
        if q not in reasons:
            reasons[q] = f"arrives with {soc[end[q]]:.3f} < {'soc_min' if at_origin[q] else 'soc_arrival_min'}"
    completed = arrives.copy()
    completed[failed_routes] = False
    return Trips(completed, reasons)
