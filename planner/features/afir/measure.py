"""Measuring a plan's AFIR Art. 4(1) HDV pool spacing on a corridor network.

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

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from planner.chargers import PoolSpec
from planner.features.afir.distances import _arc_gaps
from planner.features.afir.milestones import TIERS, HdvMilestone, PoolRequirement, milestone_for
from planner.features.afir.scope import _SCOPE, _place_sites, _System, _system, _text
from planner.network import Network, edge_point

if TYPE_CHECKING:
    import geopandas as gpd


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


def _check_pools(sites: pd.DataFrame, pools: Mapping[str, PoolSpec]) -> None:
    known = set(sites["site_id"].map(_text)) if "site_id" in sites.columns else set()
    unknown = sorted(set(pools) - known)
    if unknown:
        raise ValueError(f"pool site(s) {', '.join(map(repr, unknown[:5]))} are not in the site table.")
    for sid, spec in pools.items():
        if not isinstance(spec, PoolSpec):
            raise ValueError(f"pools[{sid!r}] must be a PoolSpec(power_kw, points_350kw), got {spec!r}.")


def _coverage(table: dict[str, list[float]]) -> dict[str, Coverage]:
    return {k: Coverage(v[0], v[1]) for k, v in sorted(table.items())}


@dataclass
class _Tally:
    """What :func:`measure_spacing` collects tier by tier."""

    directions: list[DirectionCoverage] = field(default_factory=list)
    gaps: list[GapStretch] = field(default_factory=list)
    pools: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_tier: dict[str, list[float]] = field(default_factory=dict)
    by_corridor: dict[str, list[float]] = field(default_factory=dict)
    by_country: dict[str, list[float]] = field(default_factory=dict)


def _measure_tier(
    tally: _Tally,
    network: Network,
    sites: pd.DataFrame,
    pools: Mapping[str, PoolSpec],
    tier: str,
    req: PoolRequirement,
    end_fraction: float,
    area: frozenset[str] | None = None,
) -> None:
    """Measure one tier's arcs: compliant km per direction, gap stretches, totals by group."""
    system = _system(network, _SCOPE[tier], area)
    measured = [t == tier for t in system.tier]
    if not any(measured):
        return
    arc_sites, node_sites, placed = _place_sites(network, sites, system)
    ok = {sid for sid, spec in pools.items() if sid in placed and req.is_met_by(spec)}
    tally.pools[tier] = tuple(sorted(ok))
    arc_pools = [[p for p, sid in lst if sid in ok] for lst in arc_sites]
    node_pools = {n for n, ids in node_sites.items() if any(s in ok for s in ids)}
    arc_gaps = _arc_gaps(system, arc_pools, node_pools, req.max_spacing_km, end_fraction, measured)
    for i in range(len(system.arcs)):
        if not measured[i]:
            continue
        length = system.length[i]
        bad = sum(b - a for a, b, _ in arc_gaps[i])
        good = length - bad if arc_gaps[i] else length
        tally.directions.append(DirectionCoverage(system.edge_id[i], _direction(system, i), tier, length, good))
        _add(tally.by_tier, tier, length, good)
        for name in {c.strip() for c in system.corridor[i].split(";") if c.strip()}:
            _add(tally.by_corridor, name, length, good)
        country = system.country[i].split(";")[0].strip()
        if country:
            _add(tally.by_country, country, length, good)
        for a, b, gap in arc_gaps[i]:
            lo, hi = _edge_km(system, i, a, b)
            tally.gaps.append(
                GapStretch(
                    system.edge_id[i], _direction(system, i), lo, hi, gap, tier, system.corridor[i], system.country[i]
                )
            )


def measure_spacing(
    network: Network,
    sites: pd.DataFrame,
    pools: Mapping[str, PoolSpec],
    *,
    year: int,
    tiers: Iterable[str] = TIERS,
    end_fraction: float = 1.0,
    area: frozenset[str] | None = None,
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
    area
        Countries where AFIR applies (ISO2; ``None``: every road arc): arcs lying partly outside are
        not measured.

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
    _check_pools(sites, pools)
    tally = _Tally()
    for tier in tiers:
        _measure_tier(tally, network, sites, pools, tier, milestone.requirement(tier), end_fraction, area)
    tier_cov = _coverage(tally.by_tier)
    overall = Coverage(sum(c.total_km for c in tier_cov.values()), sum(c.compliant_km for c in tier_cov.values()))
    need = milestone.network_share - 1e-9
    shares = [c.share for c in tier_cov.values()] if milestone.share_basis == "tier" else [overall.share]
    met = overall.total_km > 0 and all(share >= need for share in shares)
    return AfirReport(
        year=int(year),
        milestone=milestone,
        tiers=tiers,
        end_fraction=end_fraction,
        directions=tuple(sorted(tally.directions, key=lambda d: (d.edge_id, d.direction))),
        gaps=tuple(sorted(tally.gaps, key=lambda g: (g.tier, g.edge_id, g.direction, g.from_km))),
        overall=overall,
        by_tier=tier_cov,
        by_corridor=_coverage(tally.by_corridor),
        by_country=_coverage(tally.by_country),
        compliant_pools=tally.pools,
        required_share=milestone.network_share,
        met=met,
    )


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
