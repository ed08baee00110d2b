"""AFIR targets for heavy-duty vehicles and spacing checks on a corridor network.

Regulation (EU) 2023/1804 (AFIR), Article 4(1), sets the targets for publicly accessible recharging
pools dedicated to heavy-duty electric vehicles (HDV) along the TEN-T road network:

* point (a), by 31 Dec 2025: along at least 15 % of the length of the TEN-T road network, pools in
  each direction of travel at most 120 km apart, each with >= 1 400 kW and >= 1 recharging point
  of >= 350 kW;
* point (b), by 31 Dec 2027: along at least 50 % of the length of the TEN-T road network, pools in
  each direction at most 120 km apart; on the core network each pool >= 2 800 kW with >= 2 points
  of >= 350 kW, on the comprehensive network >= 1 400 kW with >= 1 point of >= 350 kW;
* point (c), by 31 Dec 2030: along the TEN-T core network, pools in each direction at most 60 km
  apart, each >= 3 600 kW with >= 2 points of >= 350 kW;
* point (d), by 31 Dec 2030: along the TEN-T comprehensive network, pools in each direction at most
  100 km apart, each >= 1 500 kW with >= 1 point of >= 350 kW;
* points (e)-(f): safe and secure parking areas, >= 2 (2027) and >= 4 (2030) recharging stations of
  >= 100 kW each; points (g)-(h): urban nodes, >= 900 kW (2025) and >= 1 800 kW (2030) aggregated
  output from stations of >= 150 kW each. These two are kept as data only (:data:`PARKING_TARGETS`,
  :data:`URBAN_NODE_TARGETS`) and are not measured here.

The derogations of the later paragraphs of Article 4 (low-traffic sections, islands, cross-border
coordination) are not modelled.

Spacing on a network
--------------------
The regulation states a maximum distance between consecutive pools "in each direction of travel",
which is exact on a single road but needs a definition on a network. This module uses:

*Scope.* Tier ``T`` is measured on its own directed road arcs (a two-way edge gives two directions,
a oneway edge one). Distances for ``T`` run on the scope graph ``H_T``: the core arcs for ``core``;
the core and comprehensive arcs for ``comprehensive`` (the TEN-T comprehensive network contains the
core network). Ferry and rail-shuttle links are never part of ``H_T``: they carry no length and no
pool, and the road chain ends at the terminal.

*Pools.* An open site counts for ``T`` if its :class:`PoolSpec` meets ``T``'s
:class:`PoolRequirement` of the milestone and the site lies on ``H_T``. A node site serves every
arc through its node; an edge site on a two-way edge serves both directions at the same point, on a
oneway edge only ``u→v``.

*Routes.* A route is a directed walk on ``H_T`` that never makes a U-turn (arc ``u→v`` is never
followed by ``v→u``), so a pool on the other carriageway does not serve this direction.

*Chain ends.* An arc with no possible predecessor (a dead end, a oneway start, a road ending at a
ferry terminal, the border of ``H_T``) starts at an *entry*; an arc with no possible successor ends
at an *exit*. A network end is measured like a pool placed ``(1 - end_fraction) * S`` km beyond it,
i.e. the stretch between a chain end and the first pool may be at most ``end_fraction * S``. The
default ``end_fraction = 1`` treats the end of the network as a pool: AFIR bounds the distance
*between* pools, and a truck enters or leaves the covered network there. ``end_fraction = 0.5`` is
the conservative choice for cuts at borders: two neighbouring networks measured that way keep the
joint gap within ``S``.

*Served point.* For a point ``p`` of the tier's arcs, ``d_up(p)`` is the length of the shortest route
from a pool (or entry, with its offset) to ``p`` and ``d_down(p)`` the shortest route from ``p`` to a
pool (or exit). ``p`` is *served* iff ``d_up(p) <= S`` and ``d_down(p) <= S``, where ``S`` is the
tier's maximum spacing. Both are multi-source Dijkstra labels on the arc graph (arcs are the states,
so U-turns can be excluded), forward for ``d_up`` and on the reversed arcs for ``d_down``.

*Gap stretches and compliant km.* A point is *non-compliant* iff it lies on a shortest route from
the nearest pool (or entry) to an unserved point ``q`` of the tier with ``d_up(q) > S``, or on a
shortest route from an unserved point with ``d_down(q) > S`` to its nearest pool (or exit). On a
single road this marks exactly the stretches between consecutive pools that are more than ``S``
apart (the whole gap, not only its excess beyond ``S``), and ``gap_km`` is their distance. On a
network, ``gap_km`` is the largest ``d_up`` (or ``d_down``) of the unserved points whose routes run
through the stretch, i.e. the length of the longest of those pool-to-pool runs. Each km is counted
per direction; every other km is compliant.

*Equivalence.* The tier has no gap iff every point is served iff, for every *checkpoint* (the point
just before each site position on an arc and the end of each arc, for ``d_up``; mirrored for
``d_down``), either a chain end is close enough or some open site is within ``S`` along a route.
:func:`spacing_windows` lists these site sets, so "one site of every window is open" is exactly
"no gap" when every open site is a compliant pool.

*Known leniency.* Distances take the nearest pool over all routes, so a junction lends a point the
pools of every branch. A branch whose own pools are too far apart is still reported (from a pool on
branch A, the next pool is more than ``S`` ahead even if a merging branch B has one near the
junction), but a through route can pass more than ``S`` km between its own pools without being
reported when every point on it has another pool within ``S`` through side roads (one just up a
merging road and one just down a diverging road). Checking every route exactly would be a
longest-path problem (exponential in general) and is not done.

The ``tiers`` argument only selects what is measured and reported; the scope graphs do not depend on
it.

Shares count direction-km: a two-way edge contributes its length once per direction. Per country,
an edge counts for the first country it lists (as in :mod:`planner.candidates`); per corridor, an
edge counts fully for every corridor it lists.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from planner.network import Network, edge_point

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "TIERS",
    "PoolSpec",
    "PoolRequirement",
    "HdvMilestone",
    "ParkingRequirement",
    "UrbanNodeRequirement",
    "HDV_MILESTONES",
    "PARKING_TARGETS",
    "URBAN_NODE_TARGETS",
    "milestone_for",
    "Coverage",
    "DirectionCoverage",
    "GapStretch",
    "AfirReport",
    "measure_spacing",
    "SpacingWindow",
    "SpacingWindows",
    "spacing_windows",
    "SegmentWindows",
    "TierSegments",
    "segment_windows",
    "gaps_geodataframe",
]

TIERS: tuple[str, ...] = ("core", "comprehensive")
_SCOPE = {"core": frozenset({"core"}), "comprehensive": frozenset({"core", "comprehensive"})}
_TOL = 1e-9
_INF = math.inf


# --------------------------------------------------------------------------------------------
# Requirements (data)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolSpec:
    """What an open hub offers, for checking it against an AFIR pool requirement.

    Attributes
    ----------
    power_kw
        Total power output of the recharging pool (kW).
    points_350kw
        Number of recharging points with an individual power output of at least 350 kW.
    """

    power_kw: float
    points_350kw: int

    def __post_init__(self) -> None:
        if not math.isfinite(self.power_kw) or self.power_kw < 0:
            raise ValueError(f"PoolSpec.power_kw must be a non-negative number of kW, got {self.power_kw!r}.")
        if isinstance(self.points_350kw, bool) or int(self.points_350kw) != self.points_350kw or self.points_350kw < 0:
            raise ValueError(f"PoolSpec.points_350kw must be a non-negative integer, got {self.points_350kw!r}.")


@dataclass(frozen=True)
class PoolRequirement:
    """One tier's requirement at one AFIR milestone.

    Attributes
    ----------
    tier
        ``core`` or ``comprehensive``.
    max_spacing_km
        Largest distance between consecutive pools in each direction of travel.
    min_pool_kw
        Smallest total power output of a pool.
    min_points_350kw
        Smallest number of recharging points of at least 350 kW in a pool.
    article
        Where the requirement is stated.
    """

    tier: str
    max_spacing_km: float
    min_pool_kw: float
    min_points_350kw: int
    article: str

    def is_met_by(self, pool: PoolSpec) -> bool:
        """True if ``pool`` counts as a compliant pool for this requirement."""
        return pool.power_kw >= self.min_pool_kw - _TOL and pool.points_350kw >= self.min_points_350kw


@dataclass(frozen=True)
class HdvMilestone:
    """The HDV pool targets that fall due on 31 December of ``year``.

    Attributes
    ----------
    year
        The deadline is 31 December of this year.
    network_share
        Share of the network length (direction-km) that must be covered.
    share_basis
        ``network``: the share applies to the measured TEN-T road network as a whole (core and
        comprehensive together); ``tier``: it applies to each tier separately.
    requirements
        One :class:`PoolRequirement` per tier.
    article
        Where the milestone is stated.
    """

    year: int
    network_share: float
    share_basis: str
    requirements: tuple[PoolRequirement, ...]
    article: str

    @property
    def deadline(self) -> str:
        """ISO date of the deadline."""
        return f"{self.year}-12-31"

    def requirement(self, tier: str) -> PoolRequirement:
        """The requirement for ``tier`` (``core`` or ``comprehensive``)."""
        for req in self.requirements:
            if req.tier == tier:
                return req
        raise ValueError(f"unknown tier {tier!r}; use one of {', '.join(TIERS)}.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "year": self.year,
            "deadline": self.deadline,
            "network_share": self.network_share,
            "share_basis": self.share_basis,
            "article": self.article,
            "requirements": [
                {
                    "tier": r.tier,
                    "max_spacing_km": r.max_spacing_km,
                    "min_pool_kw": r.min_pool_kw,
                    "min_points_350kw": r.min_points_350kw,
                    "article": r.article,
                }
                for r in self.requirements
            ],
        }


@dataclass(frozen=True)
class ParkingRequirement:
    """HDV recharging in each safe and secure parking area (data only, not measured)."""

    year: int
    min_stations: int
    min_station_kw: float
    article: str


@dataclass(frozen=True)
class UrbanNodeRequirement:
    """HDV recharging in each TEN-T urban node (data only, not measured)."""

    year: int
    min_total_kw: float
    min_station_kw: float
    article: str


_REG = "Regulation (EU) 2023/1804"

HDV_MILESTONES: tuple[HdvMilestone, ...] = (
    HdvMilestone(
        2025,
        0.15,
        "network",
        (
            PoolRequirement("core", 120.0, 1400.0, 1, f"{_REG}, Art. 4(1)(a)"),
            PoolRequirement("comprehensive", 120.0, 1400.0, 1, f"{_REG}, Art. 4(1)(a)"),
        ),
        f"{_REG}, Art. 4(1)(a)",
    ),
    HdvMilestone(
        2027,
        0.50,
        "network",
        (
            PoolRequirement("core", 120.0, 2800.0, 2, f"{_REG}, Art. 4(1)(b)(i)"),
            PoolRequirement("comprehensive", 120.0, 1400.0, 1, f"{_REG}, Art. 4(1)(b)(ii)"),
        ),
        f"{_REG}, Art. 4(1)(b)",
    ),
    HdvMilestone(
        2030,
        1.0,
        "tier",
        (
            PoolRequirement("core", 60.0, 3600.0, 2, f"{_REG}, Art. 4(1)(c)"),
            PoolRequirement("comprehensive", 100.0, 1500.0, 1, f"{_REG}, Art. 4(1)(d)"),
        ),
        f"{_REG}, Art. 4(1)(c) and (d)",
    ),
)
"""Article 4(1)(a)-(d) HDV pool targets, by deadline."""

PARKING_TARGETS: tuple[ParkingRequirement, ...] = (
    ParkingRequirement(2027, 2, 100.0, f"{_REG}, Art. 4(1)(e)"),
    ParkingRequirement(2030, 4, 100.0, f"{_REG}, Art. 4(1)(f)"),
)
"""Article 4(1)(e)-(f): recharging stations in each safe and secure parking area."""

URBAN_NODE_TARGETS: tuple[UrbanNodeRequirement, ...] = (
    UrbanNodeRequirement(2025, 900.0, 150.0, f"{_REG}, Art. 4(1)(g)"),
    UrbanNodeRequirement(2030, 1800.0, 150.0, f"{_REG}, Art. 4(1)(h)"),
)
"""Article 4(1)(g)-(h): aggregated HDV recharging output in each urban node."""


def milestone_for(year: int) -> HdvMilestone:
    """The milestone in force at the end of ``year``: the latest one due by 31 December of ``year``.

    Raises
    ------
    ValueError
        If ``year`` is before the first deadline (2025).
    """
    if isinstance(year, bool) or int(year) != year:
        raise ValueError(f"year must be an integer, got {year!r}.")
    due = [m for m in HDV_MILESTONES if m.year <= year]
    if not due:
        raise ValueError(
            f"no AFIR HDV target is due by the end of {year}; the first falls due on 31 Dec "
            f"{HDV_MILESTONES[0].year}. Use year >= {HDV_MILESTONES[0].year}."
        )
    return due[-1]


# --------------------------------------------------------------------------------------------
# The arc graph of one tier's scope
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _System:
    """Road arcs of one scope, with U-turn-free predecessor and successor lists."""

    arcs: tuple[tuple[str, str], ...]
    index: Mapping[tuple[str, str], int]
    length: tuple[float, ...]
    edge_id: tuple[str, ...]
    forward: tuple[bool, ...]
    tier: tuple[str, ...]
    corridor: tuple[str, ...]
    country: tuple[str, ...]
    preds: tuple[tuple[int, ...], ...]
    succs: tuple[tuple[int, ...], ...]
    nodes: frozenset[str]


def _system(network: Network, scope: frozenset[str]) -> _System:
    graph = network.graph
    arcs = sorted((u, v) for u, v, d in graph.edges(data=True) if d["mode"] == "road" and d["tier"] in scope)
    index = {arc: i for i, arc in enumerate(arcs)}
    into: dict[str, list[int]] = defaultdict(list)
    out: dict[str, list[int]] = defaultdict(list)
    for i, (u, v) in enumerate(arcs):
        out[u].append(i)
        into[v].append(i)
    rev = [index.get((v, u), -1) for u, v in arcs]
    data = [graph.edges[a] for a in arcs]
    return _System(
        arcs=tuple(arcs),
        index=index,
        length=tuple(float(d["length_km"]) for d in data),
        edge_id=tuple(d["edge_id"] for d in data),
        forward=tuple(bool(d.get("forward", True)) for d in data),
        tier=tuple(d["tier"] for d in data),
        corridor=tuple(d.get("corridor", "") or "" for d in data),
        country=tuple(d.get("country", "") or "" for d in data),
        preds=tuple(tuple(j for j in into[u] if j != rev[i]) for i, (u, _v) in enumerate(arcs)),
        succs=tuple(tuple(j for j in out[v] if j != rev[i]) for i, (_u, v) in enumerate(arcs)),
        nodes=frozenset(n for arc in arcs for n in arc),
    )


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _place_sites(
    network: Network, sites: pd.DataFrame, system: _System
) -> tuple[list[list[tuple[float, str]]], dict[str, list[str]], set[str]]:
    """Positions of the sites on the scope's arcs.

    Returns per arc the sorted ``(position from the arc's tail, site_id)`` of its edge sites, the
    node sites by node, and the ids of all sites inside the scope.
    """
    missing = [c for c in ("site_id", "node", "u", "v", "offset_km") if c not in sites.columns]
    if missing:
        raise ValueError(f"site table lacks column(s) {', '.join(missing)}; build it with build_candidates.")
    graph = network.graph
    arc_sites: list[list[tuple[float, str]]] = [[] for _ in system.arcs]
    node_sites: dict[str, list[str]] = defaultdict(list)
    placed: set[str] = set()
    seen: set[str] = set()
    for row in sites[["site_id", "node", "u", "v", "offset_km"]].itertuples(index=False):
        sid = _text(row.site_id)
        if not sid:
            raise ValueError("a site has an empty site_id; give every site an id.")
        if sid in seen:
            raise ValueError(f"site id {sid!r} appears more than once in the site table.")
        seen.add(sid)
        node = _text(row.node)
        if node:
            if node not in graph:
                raise ValueError(f"site {sid!r} names node {node!r}, which is not in the network.")
            if node in system.nodes:
                node_sites[node].append(sid)
                placed.add(sid)
            continue
        u, v = _text(row.u), _text(row.v)
        if not graph.has_edge(u, v):
            raise ValueError(f"site {sid!r} lies on edge {u}–{v}, which is not in the network.")
        data = graph.edges[u, v]
        length = float(data["length_km"])
        try:
            offset = float(row.offset_km)
        except (TypeError, ValueError):
            raise ValueError(f"site {sid!r} needs a numeric offset_km, got {row.offset_km!r}.") from None
        if not -1e-6 <= offset <= length + 1e-6:
            raise ValueError(f"site {sid!r} has offset_km={offset} outside edge {u}–{v} (0–{length:g} km).")
        offset = min(max(offset, 0.0), length)
        for a, b, pos in ((u, v, offset), (v, u, length - offset)):
            i = system.index.get((a, b))
            if i is not None and system.edge_id[i] == data["edge_id"]:
                arc_sites[i].append((pos, sid))
                placed.add(sid)
    for lst in arc_sites:
        lst.sort()
    return arc_sites, dict(node_sites), placed


# --------------------------------------------------------------------------------------------
# Distance labels and gap runs (one direction; the other is the same on the mirrored view)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _View:
    """Arcs seen in one direction of measurement: ``up`` (as driven) or ``down`` (mirrored)."""

    length: Sequence[float]
    preds: Sequence[Sequence[int]]
    succs: Sequence[Sequence[int]]
    tail: Sequence[str]
    head: Sequence[str]
    pools: Sequence[Sequence[float]]  # sorted pool positions from the view's tail


def _views(system: _System, arc_pools: Sequence[Sequence[float]]) -> tuple[_View, _View]:
    up = _View(
        length=system.length,
        preds=system.preds,
        succs=system.succs,
        tail=[u for u, _ in system.arcs],
        head=[v for _, v in system.arcs],
        pools=arc_pools,
    )
    down = _View(
        length=system.length,
        preds=system.succs,
        succs=system.preds,
        tail=[v for _, v in system.arcs],
        head=[u for u, _ in system.arcs],
        pools=[sorted(length - p for p in pos) for length, pos in zip(system.length, arc_pools, strict=True)],
    )
    return up, down


def _labels(view: _View, node_pools: set[str], spacing: float, end_fraction: float) -> tuple[list[float], list[float]]:
    """Per arc, the distance from the nearest pool (or entry) when entering it, and that source's offset."""
    n = len(view.length)
    entry = (1.0 - end_fraction) * spacing
    h = [_INF] * n
    off = [0.0] * n
    for i in range(n):
        if view.tail[i] in node_pools:
            h[i] = 0.0
        elif not view.preds[i]:
            h[i], off[i] = entry, entry
    for a in range(n):
        if view.pools[a] and view.head[a] not in node_pools:
            left = view.length[a] - view.pools[a][-1]
            for b in view.succs[a]:
                if left < h[b]:
                    h[b], off[b] = left, 0.0
    heap = [(h[i], i) for i in range(n) if h[i] < _INF]
    heapq.heapify(heap)
    done = [False] * n
    while heap:
        d, i = heapq.heappop(heap)
        if done[i] or d > h[i]:
            continue
        done[i] = True
        if view.pools[i] or view.head[i] in node_pools:
            continue  # successors already hold a smaller or reset label
        reach = d + view.length[i]
        for b in view.succs[i]:
            if reach < h[b]:
                h[b], off[b] = reach, off[i]
                heapq.heappush(heap, (reach, b))
    return h, off


def _runs(
    view: _View, node_pools: set[str], h: Sequence[float], off: Sequence[float], measured: Sequence[bool]
) -> list[list[tuple[float, float]]]:
    """Per measured arc, per segment between its pools (from the view's tail), ``(worst, offset)``.

    ``worst`` is the largest label of a measured point whose shortest route runs through the
    segment (``-inf`` if none); ``offset`` is the entry offset of the segment's source.
    """
    n = len(view.length)

    def reach_out(i: int) -> float:
        pools = view.pools[i]
        return view.length[i] - pools[-1] if pools else h[i] + view.length[i]

    def onward(i: int, head: list[float]) -> float:
        if view.head[i] in node_pools:
            return -_INF
        out = reach_out(i)
        best = -_INF
        for b in view.succs[i]:
            if h[b] < _INF and abs(h[b] - out) <= _TOL * max(1.0, out):
                best = max(best, head[b])
        return best

    head = [-_INF] * n  # worst over the segment from the arc's tail to its first pool (or head)
    for i in sorted(range(n), key=lambda k: -h[k]):
        if h[i] == _INF:
            head[i] = _INF
            continue
        pools = view.pools[i]
        end = pools[0] if pools else view.length[i]
        own = h[i] + end if measured[i] else -_INF
        head[i] = own if pools else max(own, onward(i, head))

    result: list[list[tuple[float, float]]] = [[] for _ in range(n)]
    for i in range(n):
        if not measured[i]:
            continue
        pools = view.pools[i]
        segs = [(head[i], off[i])]
        segs += [(pools[k + 1] - pools[k], 0.0) for k in range(len(pools) - 1)]
        if pools:
            segs.append((max(view.length[i] - pools[-1], onward(i, head)), 0.0))
        result[i] = segs
    return result


def _arc_gaps(
    system: _System,
    arc_pools: Sequence[Sequence[float]],
    node_pools: set[str],
    spacing: float,
    end_fraction: float,
    measured: Sequence[bool],
) -> list[list[tuple[float, float, float]]]:
    """Per arc, the non-compliant segments ``(from, to, gap_km)`` in positions from the arc's tail."""
    up, down = _views(system, arc_pools)
    h, off = _labels(up, node_pools, spacing, end_fraction)
    runs_up = _runs(up, node_pools, h, off, measured)
    h, off = _labels(down, node_pools, spacing, end_fraction)
    runs_down = _runs(down, node_pools, h, off, measured)
    limit = spacing + _TOL * max(1.0, spacing)
    gaps: list[list[tuple[float, float, float]]] = [[] for _ in system.arcs]
    for i in range(len(system.arcs)):
        if not measured[i]:
            continue
        bounds = [0.0, *arc_pools[i], system.length[i]]
        last = len(bounds) - 2
        for k in range(len(bounds) - 1):
            start, end = bounds[k], bounds[k + 1]
            if end - start <= _TOL:
                continue
            worst = [w - o for w, o in (runs_up[i][k], runs_down[i][last - k]) if w > limit]
            if worst:
                gaps[i].append((start, end, max(worst)))
    return gaps


# --------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Compliant and total direction-km of some part of the network."""

    total_km: float
    compliant_km: float

    @property
    def share(self) -> float:
        """Compliant share of the length (0 for an empty part)."""
        return self.compliant_km / self.total_km if self.total_km > 0 else 0.0

    def to_dict(self) -> dict[str, float]:
        """JSON-friendly form."""
        return {"total_km": self.total_km, "compliant_km": self.compliant_km, "share": self.share}


@dataclass(frozen=True)
class DirectionCoverage:
    """One direction of travel on one edge.

    ``direction`` is ``forward`` (``u→v`` as listed in the edge table) or ``backward``.
    """

    edge_id: str
    direction: str
    tier: str
    total_km: float
    compliant_km: float


@dataclass(frozen=True)
class GapStretch:
    """A non-compliant stretch of one direction of one edge.

    ``from_km < to_km`` are measured from the edge's ``u`` end whatever the direction. ``gap_km`` is
    the length of the longest pool-to-pool (or network-end) run through the stretch; on a single
    road, the distance between the pools bounding the gap (``inf`` if no pool or end can be
    reached at all). ``corridor`` and ``country`` are the edge's (``;``-joined) values.
    """

    edge_id: str
    direction: str
    from_km: float
    to_km: float
    gap_km: float
    tier: str
    corridor: str
    country: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (an infinite gap becomes ``None``)."""
        return {
            "edge_id": self.edge_id,
            "direction": self.direction,
            "from_km": self.from_km,
            "to_km": self.to_km,
            "gap_km": self.gap_km if math.isfinite(self.gap_km) else None,
            "tier": self.tier,
            "corridor": self.corridor,
            "country": self.country,
        }


@dataclass(frozen=True)
class AfirReport:
    """Result of :func:`measure_spacing`.

    Attributes
    ----------
    year, milestone
        The plan year and the milestone in force at its end.
    tiers
        Measured tiers.
    end_fraction
        Chain-end rule used (see the module docstring).
    directions
        Per edge and direction of the measured tiers: total and compliant km.
    gaps
        Non-compliant stretches.
    overall, by_tier, by_corridor, by_country
        Aggregated direction-km. ``by_country`` uses each edge's first listed country; edges
        without a corridor or country are left out of those two tables (not of ``overall``).
    compliant_pools
        Per tier, the open sites that count as compliant pools for it.
    required_share
        Share of the network the milestone requires.
    met
        Whether the milestone's share is reached (over all measured tiers together, or for each
        tier present, following ``milestone.share_basis``); False if nothing was measured.
    """

    year: int
    milestone: HdvMilestone
    tiers: tuple[str, ...]
    end_fraction: float
    directions: tuple[DirectionCoverage, ...]
    gaps: tuple[GapStretch, ...]
    overall: Coverage
    by_tier: Mapping[str, Coverage]
    by_corridor: Mapping[str, Coverage]
    by_country: Mapping[str, Coverage]
    compliant_pools: Mapping[str, tuple[str, ...]]
    required_share: float
    met: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (for ``summary.json``)."""
        return {
            "year": self.year,
            "milestone": self.milestone.to_dict(),
            "tiers": list(self.tiers),
            "end_fraction": self.end_fraction,
            "required_share": self.required_share,
            "share": self.overall.share,
            "met": self.met,
            "overall": self.overall.to_dict(),
            "by_tier": {k: v.to_dict() for k, v in self.by_tier.items()},
            "by_corridor": {k: v.to_dict() for k, v in self.by_corridor.items()},
            "by_country": {k: v.to_dict() for k, v in self.by_country.items()},
            "compliant_pools": {k: list(v) for k, v in self.compliant_pools.items()},
            "directions": [
                {
                    "edge_id": d.edge_id,
                    "direction": d.direction,
                    "tier": d.tier,
                    "total_km": d.total_km,
                    "compliant_km": d.compliant_km,
                }
                for d in self.directions
            ],
            "gaps": [g.to_dict() for g in self.gaps],
        }


def _check_tiers(tiers: Iterable[str]) -> tuple[str, ...]:
    if isinstance(tiers, str):
        tiers = (tiers,)
    out = tuple(dict.fromkeys(tiers))
    bad = [t for t in out if t not in TIERS]
    if bad or not out:
        raise ValueError(f"tiers must be a non-empty selection of {', '.join(TIERS)}; got {list(out)}.")
    return out


def _check_end_fraction(end_fraction: float) -> float:
    if not 0.0 <= end_fraction <= 1.0:
        raise ValueError(
            f"end_fraction must be in [0, 1] (share of the spacing allowed at a network end), got {end_fraction!r}."
        )
    return float(end_fraction)


def _direction(system: _System, i: int) -> str:
    return "forward" if system.forward[i] else "backward"


def _edge_km(system: _System, i: int, a: float, b: float) -> tuple[float, float]:
    """Arc positions ``a <= b`` as km from the edge's listed ``u`` end, ascending."""
    if system.forward[i]:
        return a, b
    length = system.length[i]
    return length - b, length - a


def _add(table: dict[str, list[float]], key: str, total: float, ok: float) -> None:
    row = table.setdefault(key, [0.0, 0.0])
    row[0] += total
    row[1] += ok


def measure_spacing(
    network: Network,
    sites: pd.DataFrame,
    pools: Mapping[str, PoolSpec],
    *,
    year: int,
    tiers: Iterable[str] = TIERS,
    end_fraction: float = 1.0,
) -> AfirReport:
    """Measure AFIR Art. 4(1) HDV pool spacing on the network (definitions in the module docstring).

    Parameters
    ----------
    network
        The corridor network.
    sites
        Site table (columns of :data:`planner.candidates.SITE_COLUMNS`; ``site_id, node, u, v,
        offset_km`` are used).
    pools
        Open site id → what its pool offers. Sites on ferry or rail-shuttle links never count.
    year
        Plan year; the milestone in force at its end applies (:func:`milestone_for`).
    tiers
        Tiers to measure.
    end_fraction
        Share of the spacing allowed between a network end and the first pool (1: the end counts
        like a pool; 0.5: conservative rule for cuts at borders).

    Returns
    -------
    AfirReport

    Raises
    ------
    ValueError
        On an unknown tier, a pool that is not in the site table, a malformed site table, or a
        year before the first milestone.
    """
    milestone = milestone_for(year)
    tiers = _check_tiers(tiers)
    end_fraction = _check_end_fraction(end_fraction)
    known = set(sites["site_id"].map(_text)) if "site_id" in sites.columns else set()
    unknown = sorted(set(pools) - known)
    if unknown:
        raise ValueError(f"pool site(s) {', '.join(map(repr, unknown[:5]))} are not in the site table.")
    for sid, spec in pools.items():
        if not isinstance(spec, PoolSpec):
            raise ValueError(f"pools[{sid!r}] must be a PoolSpec(power_kw, points_350kw), got {spec!r}.")

    directions: list[DirectionCoverage] = []
    gaps: list[GapStretch] = []
    compliant_pools: dict[str, tuple[str, ...]] = {}
    by_tier: dict[str, list[float]] = {}
    by_corridor: dict[str, list[float]] = {}
    by_country: dict[str, list[float]] = {}
    for tier in tiers:
        req = milestone.requirement(tier)
        system = _system(network, _SCOPE[tier])
        measured = [t == tier for t in system.tier]
        if not any(measured):
            continue
        arc_sites, node_sites, placed = _place_sites(network, sites, system)
        ok = {sid for sid, spec in pools.items() if sid in placed and req.is_met_by(spec)}
        compliant_pools[tier] = tuple(sorted(ok))
        arc_pools = [[p for p, sid in lst if sid in ok] for lst in arc_sites]
        node_pools = {n for n, ids in node_sites.items() if any(s in ok for s in ids)}
        arc_gaps = _arc_gaps(system, arc_pools, node_pools, req.max_spacing_km, end_fraction, measured)
        for i in range(len(system.arcs)):
            if not measured[i]:
                continue
            length = system.length[i]
            bad = sum(b - a for a, b, _ in arc_gaps[i])
            good = length - bad if arc_gaps[i] else length
            directions.append(DirectionCoverage(system.edge_id[i], _direction(system, i), tier, length, good))
            _add(by_tier, tier, length, good)
            for name in {c.strip() for c in system.corridor[i].split(";") if c.strip()}:
                _add(by_corridor, name, length, good)
            country = system.country[i].split(";")[0].strip()
            if country:
                _add(by_country, country, length, good)
            for a, b, gap in arc_gaps[i]:
                lo, hi = _edge_km(system, i, a, b)
                gaps.append(
                    GapStretch(
                        system.edge_id[i],
                        _direction(system, i),
                        lo,
                        hi,
                        gap,
                        tier,
                        system.corridor[i],
                        system.country[i],
                    )
                )

    def coverage(table: dict[str, list[float]]) -> dict[str, Coverage]:
        return {k: Coverage(v[0], v[1]) for k, v in sorted(table.items())}

    tier_cov = coverage(by_tier)
    overall = Coverage(sum(c.total_km for c in tier_cov.values()), sum(c.compliant_km for c in tier_cov.values()))
    need = milestone.network_share - 1e-9
    shares = [c.share for c in tier_cov.values()] if milestone.share_basis == "tier" else [overall.share]
    met = overall.total_km > 0 and all(share >= need for share in shares)
    directions.sort(key=lambda d: (d.edge_id, d.direction))
    gaps.sort(key=lambda g: (g.tier, g.edge_id, g.direction, g.from_km))
    return AfirReport(
        year=int(year),
        milestone=milestone,
        tiers=tiers,
        end_fraction=end_fraction,
        directions=tuple(directions),
        gaps=tuple(gaps),
        overall=overall,
        by_tier=tier_cov,
        by_corridor=coverage(by_corridor),
        by_country=coverage(by_country),
        compliant_pools=compliant_pools,
        required_share=milestone.network_share,
        met=met,
    )


# --------------------------------------------------------------------------------------------
# Enforcement windows
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpacingWindow:
    """A set of sites of which at least one must be open, and the checkpoint it protects.

    Attributes
    ----------
    sites
        Sorted site ids (empty for an uncoverable checkpoint).
    tier
        Tier of the protected arc.
    edge_id, u, v, direction
        The protected direction of travel on edge ``u–v`` (``forward`` is ``u→v`` as listed).
    at_km
        Checkpoint, in km from the edge's ``u`` end.
    side
        ``upstream``: the checkpoint needs a pool within the spacing behind it (it is just before
        a site or at the end of the arc); ``downstream``: ahead of it.
    spacing_km
        The maximum spacing enforced.
    """

    sites: tuple[str, ...]
    tier: str
    edge_id: str
    u: str
    v: str
    direction: str
    at_km: float
    side: str
    spacing_km: float

    def describe(self) -> str:
        """One line for messages."""
        where = "behind" if self.side == "upstream" else "ahead of"
        travel = f"{self.u}→{self.v}" if self.direction == "forward" else f"{self.v}→{self.u}"
        return (
            f"{self.tier} edge {self.u}–{self.v}, travelling {travel}, {self.at_km:.1f} km from {self.u}: "
            f"needs an open pool within {self.spacing_km:g} km {where} this point"
        )


@dataclass(frozen=True)
class SpacingWindows:
    """Result of :func:`spacing_windows`.

    ``windows`` are minimal and deduplicated, sorted by their site tuples; ``uncoverable`` lists
    the checkpoints that no candidate site can serve (enforcement is infeasible).
    """

    tier: str
    year: int
    spacing_km: float
    end_fraction: float
    windows: tuple[SpacingWindow, ...]
    uncoverable: tuple[SpacingWindow, ...]

    @property
    def site_sets(self) -> list[tuple[str, ...]]:
        """The window site sets: "one site of each is open" ⟺ "no gap above the spacing"."""
        return [w.sites for w in self.windows]


def _search(
    system: _System,
    start: int,
    spacing: float,
    end_fraction: float,
    arc_sites: Sequence[Sequence[tuple[float, str]]],
    node_sites: Mapping[str, Sequence[str]],
    *,
    upstream: bool,
) -> tuple[dict[str, float], float]:
    """Sites within ``spacing`` of the tail (upstream) or head (downstream) of arc ``start``.

    Returns the distance of each site found and the effective distance of the nearest chain end
    (with its ``(1 - end_fraction) * spacing`` offset).
    """
    nexts = system.preds if upstream else system.succs
    limit = spacing + _TOL * max(1.0, spacing)
    offset = (1.0 - end_fraction) * spacing
    pivot = system.arcs[start][0 if upstream else 1]
    near: dict[str, float] = dict.fromkeys(node_sites.get(pivot, ()), 0.0)
    end = offset if not nexts[start] else _INF
    heap = [(0.0, j) for j in nexts[start]]
    done: set[int] = set()
    while heap:
        d, j = heapq.heappop(heap)
        if j in done:
            continue
        done.add(j)
        length = system.length[j]
        for pos, sid in arc_sites[j]:
            dist = d + (length - pos if upstream else pos)
            if dist <= limit and dist < near.get(sid, _INF):
                near[sid] = dist
        reach = d + length
        if reach > limit:
            continue
        for sid in node_sites.get(system.arcs[j][0 if upstream else 1], ()):
            if reach < near.get(sid, _INF):
                near[sid] = reach
        if not nexts[j]:
            end = min(end, reach + offset)
        for k in nexts[j]:
            if k not in done:
                heapq.heappush(heap, (reach, k))
    return near, end


def _minimal(sets: Sequence[frozenset[str]]) -> list[int]:
    """Indices of the inclusion-minimal sets (``sets`` must be distinct and non-empty)."""
    order = sorted(range(len(sets)), key=lambda k: (len(sets[k]), sorted(sets[k])))
    kept: list[int] = []
    holders: dict[str, list[int]] = defaultdict(list)
    for k in order:
        hits: dict[int, int] = defaultdict(int)
        dominated = False
        for sid in sets[k]:
            for j in holders[sid]:
                hits[j] += 1
                if hits[j] == len(sets[kept[j]]):
                    dominated = True
                    break
            if dominated:
                break
        if not dominated:
            for sid in sets[k]:
                holders[sid].append(len(kept))
            kept.append(k)
    return kept


def _tier_setup(network: Network, sites: pd.DataFrame, year: int, tier: str, end_fraction: float) -> tuple:
    """Checked tier and end fraction, the milestone's spacing, the tier's arc system, the sites
    placed on it, and the spacing with its float tolerance (shared by the window builders)."""
    tier = _check_tiers((tier,))[0]
    end_fraction = _check_end_fraction(end_fraction)
    spacing = milestone_for(year).requirement(tier).max_spacing_km
    system = _system(network, _SCOPE[tier])
    arc_sites, node_sites, _ = _place_sites(network, sites, system)
    return tier, end_fraction, spacing, system, arc_sites, node_sites, spacing + _TOL * max(1.0, spacing)


def spacing_windows(
    network: Network,
    sites: pd.DataFrame,
    *,
    year: int,
    tier: str,
    end_fraction: float = 1.0,
) -> SpacingWindows:
    """Site sets that enforce the tier's spacing in an optimisation model.

    With every open site a compliant pool, "at least one site of each window is open" holds iff
    :func:`measure_spacing` (same ``year``, ``end_fraction``) reports no gap on ``tier``. Windows
    come from the checkpoints of the module docstring: for the point just before each site position
    and at the end of each arc of the tier, the sites from which it can be reached within the
    spacing (any route, no U-turns); mirrored for the points just after each site and at the start
    of each arc. Checkpoints close enough to a network end need no window. Sites on ferry or
    rail-shuttle links, or outside the tier's scope, are never in a window.

    Parameters
    ----------
    network, sites
        As for :func:`measure_spacing`.
    year
        Plan year; the milestone in force at its end gives the spacing.
    tier
        ``core`` or ``comprehensive``.
    end_fraction
        Chain-end rule, as for :func:`measure_spacing`.

    Returns
    -------
    SpacingWindows
        Minimal, deduplicated windows (``site_sets`` gives the plain tuples) and, separately, the
        checkpoints no candidate can serve.
    """
    tier, end_fraction, spacing, system, arc_sites, node_sites, limit = _tier_setup(
        network, sites, year, tier, end_fraction
    )
    found: dict[frozenset[str], SpacingWindow] = {}
    empty: list[SpacingWindow] = []

    def record(ids: set[str], i: int, pos: float, side: str) -> None:
        tail, head = system.arcs[i]
        u, v = (tail, head) if system.forward[i] else (head, tail)
        at = pos if system.forward[i] else system.length[i] - pos
        window = SpacingWindow(
            tuple(sorted(ids)), tier, system.edge_id[i], u, v, _direction(system, i), at, side, spacing
        )
        if not ids:
            empty.append(window)
        elif frozenset(ids) not in found:
            found[frozenset(ids)] = window

    for i in range(len(system.arcs)):
        if system.tier[i] != tier:
            continue
        length = system.length[i]
        own = arc_sites[i]
        near, end = _search(system, i, spacing, end_fraction, arc_sites, node_sites, upstream=True)
        for x in sorted({p for p, _ in own if p > _TOL} | {length}):
            if end + x <= limit:
                continue
            ids = {s for p, s in own if p < x - _TOL and x - p <= limit}
            ids |= {s for s, d in near.items() if d + x <= limit}
            record(ids, i, x, "upstream")
        near, end = _search(system, i, spacing, end_fraction, arc_sites, node_sites, upstream=False)
        for x in sorted({p for p, _ in own if p < length - _TOL} | {0.0}):
            if end + (length - x) <= limit:
                continue
            ids = {s for p, s in own if p > x + _TOL and p - x <= limit}
            ids |= {s for s, d in near.items() if d + (length - x) <= limit}
            record(ids, i, x, "downstream")

    sets = list(found)
    windows = sorted((found[sets[k]] for k in _minimal(sets)), key=lambda w: w.sites)
    empty.sort(key=lambda w: (w.edge_id, w.direction, w.side, w.at_km))
    return SpacingWindows(
        tier=tier,
        year=int(year),
        spacing_km=spacing,
        end_fraction=end_fraction,
        windows=tuple(windows),
        uncoverable=tuple(empty),
    )


# --------------------------------------------------------------------------------------------
# Per-segment windows (network-share milestones)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentWindows:
    """One direction of travel on one edge of the measured tier, and the windows that certify it.

    If every open site is a compliant pool and at least one site of each window is open,
    :func:`measure_spacing` counts the whole segment as compliant, whatever other sites are open
    (see :func:`segment_windows`). The converse need not hold: the windows are sufficient.

    Attributes
    ----------
    tier, edge_id, u, v, direction
        The segment: ``direction`` ``forward`` is ``u→v`` as listed in the edge table.
    length_km
        Its length (direction-km).
    windows
        Minimal site-id windows (sorted; empty tuple: compliant with no pool at all).
    uncoverable
        Checkpoints of the segment's zone that no candidate can serve: while any is listed, the
        segment cannot be certified by opening sites.
    """

    tier: str
    edge_id: str
    u: str
    v: str
    direction: str
    length_km: float
    windows: tuple[tuple[str, ...], ...]
    uncoverable: tuple[SpacingWindow, ...] = ()

    @property
    def coverable(self) -> bool:
        """Whether opening candidates can certify the segment."""
        return not self.uncoverable


@dataclass(frozen=True)
class TierSegments:
    """Result of :func:`segment_windows`: one entry per measured arc (direction) of the tier."""

    tier: str
    year: int
    spacing_km: float
    end_fraction: float
    segments: tuple[SegmentWindows, ...]

    @property
    def total_km(self) -> float:
        """Direction-km of the tier (what :func:`measure_spacing` reports as its total)."""
        return float(sum(s.length_km for s in self.segments))


def _zone(system: _System, start: int, limit: float, *, downstream: bool) -> dict[int, float]:
    """Arcs reachable from the head (downstream) or tail (upstream) of arc ``start`` without a U-turn
    within ``limit`` km, with the shortest distance to their near end (tail downstream, head upstream)."""
    nexts = system.succs if downstream else system.preds
    dist: dict[int, float] = {}
    heap = [(0.0, j) for j in nexts[start]]
    while heap:
        d, j = heapq.heappop(heap)
        if j in dist:
            continue
        dist[j] = d
        reach = d + system.length[j]
        if reach >= limit:
            continue
        for k in nexts[j]:
            if k not in dist:
                heapq.heappush(heap, (reach, k))
    return dist


def segment_windows(
    network: Network,
    sites: pd.DataFrame,
    *,
    year: int,
    tier: str,
    end_fraction: float = 1.0,
) -> TierSegments:
    """Per direction of travel on each edge of ``tier``, site sets that certify it as compliant.

    For the network-share milestones (2025: 15 %, 2027: 50 %) a model needs to know which km a set
    of pools makes compliant, not only whether the whole tier is. This gives, per *segment* (one
    measured arc: one edge in one direction, ``length_km`` direction-km), windows such that

        every window of the segment has an open site  ⇒  :func:`measure_spacing` (same ``year``,
        ``end_fraction``, every open site a compliant pool) counts the whole segment compliant,

    whatever else is open. Windows are reduced to the minimal ones per segment only; segments keep
    their own lists (a window may appear under several segments).

    *Why.* :func:`measure_spacing` marks a stretch of arc ``e`` non-compliant only if some measured
    point ``q`` with ``d_up(q) > S`` has its (tie-inclusive) shortest route from its pool or entry
    running through the stretch, or the mirror with ``d_down``. Along that route the label grows
    continuously, so the first point ``r`` with label above ``S`` is unserved and lies on ``e`` or
    less than ``S`` km of driving beyond ``e``'s head (the label at the head is positive). Hence
    ``e`` is compliant if every point of ``e`` and every point within ``S`` km downstream of its head
    (any route, no U-turns, on any arc of the tier's scope, measured or not) has ``d_up <= S``, and
    the mirror for ``d_down`` upstream of its tail. ``d_up`` grows between site positions, so
    "``d_up <= S`` on a stretch" is checked at the point just before each site in it and at its far
    end, with the windows of :func:`spacing_windows` (``d_down``: just after each site and at the
    near end). On a single road this is exact; on a network it is conservative (a point near ``e``
    whose shortest route does not pass through ``e``, or that is not measured, can still block
    it).

    Parameters
    ----------
    network, sites, year, tier, end_fraction
        As for :func:`spacing_windows`.

    Returns
    -------
    TierSegments
        Segments in arc order, with their windows and uncoverable checkpoints.
    """
    tier, end_fraction, spacing, system, arc_sites, node_sites, limit = _tier_setup(
        network, sites, year, tier, end_fraction
    )
    bound = limit - _TOL  # zone depth: points an unserved point can lie beyond the segment
    searches: dict[tuple[int, bool], tuple[dict[str, float], float]] = {}

    def search(j: int, upstream: bool) -> tuple[dict[str, float], float]:
        if (j, upstream) not in searches:
            searches[j, upstream] = _search(system, j, spacing, end_fraction, arc_sites, node_sites, upstream=upstream)
        return searches[j, upstream]

    def checkpoint(j: int, x: float, side: str) -> SpacingWindow | None:
        """The window of the point just before (upstream) / after (downstream) position ``x`` of arc ``j``."""
        length = system.length[j]
        near, end = search(j, side == "upstream")
        if side == "upstream":
            if end + x <= limit:
                return None
            ids = {s for p, s in arc_sites[j] if p < x - _TOL and x - p <= limit}
            ids |= {s for s, d in near.items() if d + x <= limit}
        else:
            if end + (length - x) <= limit:
                return None
            ids = {s for p, s in arc_sites[j] if p > x + _TOL and p - x <= limit}
            ids |= {s for s, d in near.items() if d + (length - x) <= limit}
        tail, head = system.arcs[j]
        u, v = (tail, head) if system.forward[j] else (head, tail)
        at = x if system.forward[j] else length - x
        return SpacingWindow(
            tuple(sorted(ids)), system.tier[j], system.edge_id[j], u, v, _direction(system, j), at, side, spacing
        )

    segments: list[SegmentWindows] = []
    for i in range(len(system.arcs)):
        if system.tier[i] != tier:
            continue
        length = system.length[i]
        checks: list[tuple[int, float, str]] = []
        # The arc itself: every point served in both directions of measurement.
        checks += [(i, x, "upstream") for x in {p for p, _ in arc_sites[i] if p > _TOL} | {length}]
        checks += [(i, x, "downstream") for x in {p for p, _ in arc_sites[i] if p < length - _TOL} | {0.0}]
        # Within the spacing beyond its head: d_up; before its tail: d_down. (A route through the
        # arc's head carries the label of its last piece, longer than _TOL if that piece counts.)
        for j, d in _zone(system, i, bound, downstream=True).items():
            far = bound - d
            lj = system.length[j]
            checks += [(j, x, "upstream") for x in {p for p, _ in arc_sites[j] if _TOL < p < far} | {min(far, lj)}]
        for j, d in _zone(system, i, bound, downstream=False).items():
            lj = system.length[j]
            near_end = lj - (bound - d)
            checks += [
                (j, x, "downstream")
                for x in {p for p, _ in arc_sites[j] if near_end < p < lj - _TOL} | {max(near_end, 0.0)}
            ]
        found: set[frozenset[str]] = set()
        empty: dict[tuple[str, str, str, float], SpacingWindow] = {}
        for j, x, side in checks:
            window = checkpoint(j, x, side)
            if window is None:
                continue
            if window.sites:
                found.add(frozenset(window.sites))
            else:
                empty.setdefault((window.edge_id, window.direction, side, round(window.at_km, 9)), window)
        sets = list(found)
        windows = sorted(tuple(sorted(sets[k])) for k in _minimal(sets))
        tail, head = system.arcs[i]
        u, v = (tail, head) if system.forward[i] else (head, tail)
        segments.append(
            SegmentWindows(
                tier,
                system.edge_id[i],
                u,
                v,
                _direction(system, i),
                length,
                tuple(windows),
                tuple(empty[k] for k in sorted(empty)),
            )
        )
    return TierSegments(
        tier=tier, year=int(year), spacing_km=spacing, end_fraction=end_fraction, segments=tuple(segments)
    )


# --------------------------------------------------------------------------------------------
# Map layer
# --------------------------------------------------------------------------------------------


def gaps_geodataframe(network: Network, report: AfirReport) -> gpd.GeoDataFrame:
    """The report's gap stretches as lines (EPSG:4326), for the ``afir_gaps`` layer.

    Points along an edge are interpolated between its end nodes in proportion to ``length_km``
    (as :func:`planner.network.edge_point`); each line runs in the direction of travel.
    Columns: ``edge_id, direction, from_km, to_km, gap_km, tier, corridor, country, geometry``.
    """
    import geopandas as gpd
    from shapely.geometry import LineString

    columns = ["edge_id", "direction", "from_km", "to_km", "gap_km", "tier", "corridor", "country"]
    ends = network.edges.set_index("edge_id")[["u", "v"]]
    rows, geoms = [], []
    for g in report.gaps:
        u, v = ends.loc[g.edge_id, "u"], ends.loc[g.edge_id, "v"]
        a, b = edge_point(network, u, v, g.from_km), edge_point(network, u, v, g.to_km)
        geoms.append(LineString([a, b] if g.direction == "forward" else [b, a]))
        rows.append({c: getattr(g, c) for c in columns})
    frame = pd.DataFrame(rows, columns=columns)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")
