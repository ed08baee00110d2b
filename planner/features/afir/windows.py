"""Spacing windows: site sets that enforce a tier's AFIR spacing in an optimisation model.

*Equivalence.* The tier has no gap iff every point is served iff, for every *checkpoint* (the point
just before each site position on an arc and the end of each arc, for ``d_up``; mirrored for
``d_down``), either a chain end is close enough or some open site is within ``S`` along a route.
:func:`spacing_windows` lists these site sets, so "one site of every window is open" is exactly
"no gap" when every open site is a compliant pool.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from planner.features.afir.measure import _check_end_fraction, _check_tiers, _direction
from planner.features.afir.milestones import milestone_for
from planner.features.afir.scope import _SCOPE, _place_sites, _System, _system
from planner.network import Network

_TOL = 1e-9
_INF = math.inf


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


def _tier_setup(
    network: Network,
    sites: pd.DataFrame,
    year: int,
    tier: str,
    end_fraction: float,
    area: frozenset[str] | None = None,
) -> tuple:
    """Checked tier and end fraction, the milestone's spacing, the tier's arc system, the sites
    placed on it, and the spacing with its float tolerance (shared by the window builders)."""
    tier = _check_tiers((tier,))[0]
    end_fraction = _check_end_fraction(end_fraction)
    spacing = milestone_for(year).requirement(tier).max_spacing_km
    system = _system(network, _SCOPE[tier], area)
    arc_sites, node_sites, _ = _place_sites(network, sites, system)
    return tier, end_fraction, spacing, system, arc_sites, node_sites, spacing + _TOL * max(1.0, spacing)


def _window(system: _System, i: int, ids: set[str], pos: float, side: str, tier: str, spacing: float) -> SpacingWindow:
    """The window of checkpoint ``pos`` (from the arc's tail) on arc ``i``, in the edge's terms."""
    tail, head = system.arcs[i]
    u, v = (tail, head) if system.forward[i] else (head, tail)
    at = pos if system.forward[i] else system.length[i] - pos
    return SpacingWindow(tuple(sorted(ids)), tier, system.edge_id[i], u, v, _direction(system, i), at, side, spacing)


def _arc_checkpoints(
    system: _System,
    i: int,
    spacing: float,
    end_fraction: float,
    arc_sites: Sequence[Sequence[tuple[float, str]]],
    node_sites: Mapping[str, Sequence[str]],
    limit: float,
) -> list[tuple[set[str], float, str]]:
    """The sites that serve each checkpoint of arc ``i`` (just before each site position and at the
    arc's end, upstream; mirrored downstream); checkpoints near a network end are skipped."""
    out: list[tuple[set[str], float, str]] = []
    length, own = system.length[i], arc_sites[i]
    near, end = _search(system, i, spacing, end_fraction, arc_sites, node_sites, upstream=True)
    for x in sorted({p for p, _ in own if p > _TOL} | {length}):
        if end + x <= limit:
            continue
        ids = {s for p, s in own if p < x - _TOL and x - p <= limit}
        out.append((ids | {s for s, d in near.items() if d + x <= limit}, x, "upstream"))
    near, end = _search(system, i, spacing, end_fraction, arc_sites, node_sites, upstream=False)
    for x in sorted({p for p, _ in own if p < length - _TOL} | {0.0}):
        if end + (length - x) <= limit:
            continue
        ids = {s for p, s in own if p > x + _TOL and p - x <= limit}
        out.append((ids | {s for s, d in near.items() if d + (length - x) <= limit}, x, "downstream"))
    return out


def spacing_windows(
    network: Network,
    sites: pd.DataFrame,
    *,
    year: int,
    tier: str,
    end_fraction: float = 1.0,
    area: frozenset[str] | None = None,
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
    end_fraction, area
        Chain-end rule and AFIR area, as for :func:`measure_spacing`.

    Returns
    -------
    SpacingWindows
        Minimal, deduplicated windows (``site_sets`` gives the plain tuples) and, separately, the
        checkpoints no candidate can serve.
    """
    tier, end_fraction, spacing, system, arc_sites, node_sites, limit = _tier_setup(
        network, sites, year, tier, end_fraction, area
    )
    found: dict[frozenset[str], SpacingWindow] = {}
    empty: list[SpacingWindow] = []
    for i in range(len(system.arcs)):
        if system.tier[i] != tier:
            continue
        for ids, x, side in _arc_checkpoints(system, i, spacing, end_fraction, arc_sites, node_sites, limit):
            window = _window(system, i, ids, x, side, tier, spacing)
            if not ids:
                empty.append(window)
            elif frozenset(ids) not in found:
                found[frozenset(ids)] = window

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
