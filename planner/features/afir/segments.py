"""Per-segment windows for the network-share milestones (2025: 15 %, 2027: 50 %)."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from planner.features.afir.measure import _direction
from planner.features.afir.scope import _System
from planner.features.afir.windows import SpacingWindow, _minimal, _search, _tier_setup
from planner.network import Network

_TOL = 1e-9


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


class _Checkpoints:
    """The checkpoints around each arc of a tier and the windows that serve them (searches cached)."""

    def __init__(
        self,
        end_fraction: float,
        spacing: float,
        system: _System,
        arc_sites: Sequence[Sequence[tuple[float, str]]],
        node_sites: Mapping[str, Sequence[str]],
        limit: float,
    ) -> None:
        self.end_fraction, self.spacing, self.system = end_fraction, spacing, system
        self.arc_sites, self.node_sites, self.limit = arc_sites, node_sites, limit
        self.bound = limit - _TOL  # zone depth: points an unserved point can lie beyond the segment
        self.searches: dict[tuple[int, bool], tuple[dict[str, float], float]] = {}

    def search(self, j: int, upstream: bool) -> tuple[dict[str, float], float]:
        if (j, upstream) not in self.searches:
            self.searches[j, upstream] = _search(
                self.system, j, self.spacing, self.end_fraction, self.arc_sites, self.node_sites, upstream=upstream
            )
        return self.searches[j, upstream]

    def window(self, j: int, x: float, side: str) -> SpacingWindow | None:
        """The window of the point just before (upstream) / after (downstream) position ``x`` of arc ``j``."""
        system, limit = self.system, self.limit
        length = system.length[j]
        near, end = self.search(j, side == "upstream")
        if side == "upstream":
            if end + x <= limit:
                return None
            ids = {s for p, s in self.arc_sites[j] if p < x - _TOL and x - p <= limit}
            ids |= {s for s, d in near.items() if d + x <= limit}
        else:
            if end + (length - x) <= limit:
                return None
            ids = {s for p, s in self.arc_sites[j] if p > x + _TOL and p - x <= limit}
            ids |= {s for s, d in near.items() if d + (length - x) <= limit}
        tail, head = system.arcs[j]
        u, v = (tail, head) if system.forward[j] else (head, tail)
        at = x if system.forward[j] else length - x
        return SpacingWindow(
            tuple(sorted(ids)), system.tier[j], system.edge_id[j], u, v, _direction(system, j), at, side, self.spacing
        )

    def points(self, i: int) -> list[tuple[int, float, str]]:
        """Checkpoints that must be served for arc ``i`` to be certified."""
        system, arc_sites, bound = self.system, self.arc_sites, self.bound
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
        return checks

    def segment(self, i: int, tier: str) -> SegmentWindows:
        """Arc ``i`` with its minimal windows and uncoverable checkpoints."""
        found: set[frozenset[str]] = set()
        empty: dict[tuple[str, str, str, float], SpacingWindow] = {}
        for j, x, side in self.points(i):
            window = self.window(j, x, side)
            if window is None:
                continue
            if window.sites:
                found.add(frozenset(window.sites))
            else:
                empty.setdefault((window.edge_id, window.direction, side, round(window.at_km, 9)), window)
        sets = list(found)
        windows = sorted(tuple(sorted(sets[k])) for k in _minimal(sets))
        system = self.system
        tail, head = system.arcs[i]
        u, v = (tail, head) if system.forward[i] else (head, tail)
        return SegmentWindows(
            tier,
            system.edge_id[i],
            u,
            v,
            _direction(system, i),
            system.length[i],
            tuple(windows),
            tuple(empty[k] for k in sorted(empty)),
        )


def segment_windows(
    network: Network,
    sites: pd.DataFrame,
    *,
    year: int,
    tier: str,
    end_fraction: float = 1.0,
    area: frozenset[str] | None = None,
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
    setup = _tier_setup(network, sites, year, tier, end_fraction, area)
    tier, end_fraction, spacing = setup[0], setup[1], setup[2]
    finder = _Checkpoints(*setup[1:])
    segments = [finder.segment(i, tier) for i in range(len(finder.system.arcs)) if finder.system.tier[i] == tier]
    return TierSegments(
        tier=tier, year=int(year), spacing_km=spacing, end_fraction=end_fraction, segments=tuple(segments)
    )
