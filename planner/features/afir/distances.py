"""Distance labels and gap runs on one tier's arc graph (one direction of measurement).

*Served point.* For a point ``p`` of the tier's arcs, ``d_up(p)`` is the length of the shortest route
from a pool (or entry, with its offset) to ``p`` and ``d_down(p)`` the shortest route from ``p`` to a
pool (or exit). ``p`` is *served* iff ``d_up(p) <= S`` and ``d_down(p) <= S``, where ``S`` is the
tier's maximum spacing. Both are multi-source Dijkstra labels on the arc graph (arcs are the states,
so U-turns can be excluded), forward for ``d_up`` and on the reversed arcs for ``d_down``. The other
direction is the same computation on the mirrored view.

*Chain ends.* An arc with no possible predecessor (a dead end, a oneway start, a road ending at a
ferry terminal, the border of ``H_T``) starts at an *entry*; an arc with no possible successor ends
at an *exit*. A network end is measured like a pool placed ``(1 - end_fraction) * S`` km beyond it.

*Gap stretches.* A point is *non-compliant* iff it lies on a shortest route from the nearest pool
(or entry) to an unserved point ``q`` of the tier with ``d_up(q) > S``, or on a shortest route from
an unserved point with ``d_down(q) > S`` to its nearest pool (or exit).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

from planner.features.afir.scope import _System

_TOL = 1e-9
_INF = math.inf


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
