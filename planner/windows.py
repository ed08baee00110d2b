"""Cover windows of many flows at once, without a Python object per flow.

A flow's cover windows (:func:`planner.instance.flow_windows`) depend only on the stretch of road
behind each checkpoint: the sites within ``between_km`` before it (and, for the final window,
within ``last_km`` before the destination). Flows share that stretch whenever their routes share
it, so the windows are computed once per distinct *context* rather than once per flow:

1. Routes are threaded into a prefix tree of arcs (one root per origin): flows from the same origin
   share their route prefix, and a node of the tree stands for "this arc, reached this way".
2. A tree node's *context* is its arc plus the arcs behind it up to ``between_km`` back (and its
   distance from the origin when that decides whether its checkpoints lie within ``start_km``).
   Equal contexts give equal windows; each distinct context is evaluated once, vectorised.
3. Windows are deduplicated across contexts by a 128-bit hash of their site sets (two independent
   64-bit weights per site, summed over a prefix array), so a window is materialised once.

The result, :class:`CoverSet`, gives the distinct windows, each flow's windows (on demand), which
flows need no hub or can never be served, and, for a set of open sites, which flows are served.
It reproduces :func:`planner.instance.flow_windows` exactly on one-way routes (tested against it);
routes that visit a node twice (round trips) are evaluated flow by flow with that function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.arrays import offsets, unique_ints, up_the_tree
from planner.network import Network
from planner.ranges import Ranges
from planner.tree_stops import tree_open_stops

__all__ = ["ArcStops", "CoverSet", "arc_stops", "cover_set"]

_EPS = 1e-6  # km, as in planner.instance
_SEED = 20261202


@dataclass(frozen=True)
class ArcStops:
    """Candidate stops of every arc, in driving order (flat arrays with per-arc slices).

    Attributes
    ----------
    arcs
        ``(tail, head)`` per arc; ``index`` maps them back.
    drive, length
        Driven km (0 on ferries and shuttles) and route km of each arc.
    start
        ``start[a]:start[a + 1]`` slices the flat arrays for arc ``a``: the sites at its tail node,
        then the sites along it.
    site, drive_off, route_off
        Site index, driven km and route km from the arc's tail.
    """

    arcs: list[tuple[str, str]]
    index: dict[tuple[str, str], int]
    drive: np.ndarray
    length: np.ndarray
    start: np.ndarray
    site: np.ndarray
    drive_off: np.ndarray
    route_off: np.ndarray


def arc_stops(network: Network, sites: pd.DataFrame) -> ArcStops:
    """Stops of every arc: its tail node's sites, then the sites along it (both directions of a
    two-way edge), sorted by driven km then route km."""
    graph = network.graph
    arcs = sorted(graph.edges())
    index = {a: i for i, a in enumerate(arcs)}
    node_sites: dict[str, list[int]] = {}
    along: dict[int, list[tuple[int, float]]] = {}
    for i, s in enumerate(sites.itertuples(index=False)):
        if s.node:
            node_sites.setdefault(s.node, []).append(i)
            continue
        data = graph.edges[s.u, s.v]
        along.setdefault(index[s.u, s.v], []).append((i, float(s.offset_km)))
        back = index.get((s.v, s.u))
        if back is not None and graph.edges[s.v, s.u]["edge_id"] == data["edge_id"]:
            along.setdefault(back, []).append((i, float(data["length_km"]) - float(s.offset_km)))
    drive = np.array([graph.edges[a]["drive_km"] for a in arcs], dtype=float)
    length = np.array([graph.edges[a]["length_km"] for a in arcs], dtype=float)
    site, doff, roff, start = [], [], [], [0]
    for a, (u, _v) in enumerate(arcs):
        scale = drive[a] / length[a] if length[a] > 0 else 0.0
        entries = [(0.0, 0.0, k) for k in node_sites.get(u, ())]
        entries += sorted((off * scale, off, k) for k, off in along.get(a, ()))
        entries.sort(key=lambda e: (e[0], e[1]))  # stable: node sites first at equal positions
        site += [e[2] for e in entries]
        doff += [e[0] for e in entries]
        roff += [e[1] for e in entries]
        start.append(len(site))
    return ArcStops(
        arcs,
        index,
        drive,
        length,
        np.array(start, dtype=np.int64),
        np.array(site, dtype=np.int64),
        np.array(doff, dtype=float),
        np.array(roff, dtype=float),
    )


@dataclass
class _Trie:
    """Routes threaded into a prefix tree of arcs (one root per origin)."""

    arc: list[int]
    parent: list[int]
    start: list[float]  # driven km from the origin to the node's arc tail
    start_route: list[float]
    leaf: np.ndarray  # per flow: its last tree node (-1: no arc, the flow stays at its origin)


def _thread(routes: Sequence[list[str]], stops: ArcStops) -> _Trie:
    children: dict[tuple[int, int], int] = {}
    arc, parent, start, start_route = [], [], [], []
    roots: dict[str, int] = {}
    leaf = np.full(len(routes), -1, dtype=np.int64)
    for q, route in enumerate(routes):
        node = roots.setdefault(route[0], -2 - len(roots))  # a virtual root per origin (negative id)
        pos = rpos = 0.0
        for a, b in zip(route[:-1], route[1:], strict=True):
            k = stops.index[a, b]
            child = children.get((node, k))
            if child is None:
                child = children[node, k] = len(arc)
                arc.append(k)
                parent.append(node)
                start.append(pos)
                start_route.append(rpos)
            node = child
            pos += stops.drive[k]
            rpos += stops.length[k]
        leaf[q] = node if node >= 0 else -1
    return _Trie(arc, parent, start, start_route, leaf)


class _Segments:
    """The stops each tree node owns (sites, driven km and route km from its arc's tail): stops
    carried from parent arcs without driving (ferries), then its arc's own stops if it is driven.
    Stops of an arc without driving sit at its end and are carried to the next arc (a flow ending
    there does not stop at them)."""

    def __init__(self, stops: ArcStops, trie: _Trie) -> None:
        self.stops, self.trie = stops, trie
        self._carried: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _arc(self, a: int) -> tuple[np.ndarray, np.ndarray]:
        sl = slice(self.stops.start[a], self.stops.start[a + 1])
        return self.stops.site[sl], self.stops.drive_off[sl]

    def carried_in(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        p = self.trie.parent[n]
        if p < 0 or self.stops.drive[self.trie.arc[p]] > _EPS:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        if p not in self._carried:
            site_in, _ = self.carried_in(p)
            own, _ = self._arc(self.trie.arc[p])
            self._carried[p] = (np.concatenate([site_in, own]), np.zeros(len(site_in) + len(own)))
        return self._carried[p]

    def __call__(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        site_in, pos_in = self.carried_in(n)
        a = self.trie.arc[n]
        if self.stops.drive[a] <= _EPS:
            return site_in, pos_in
        own_site, own_pos = self._arc(a)
        if not len(site_in):
            return own_site, own_pos
        return np.concatenate([site_in, own_site]), np.concatenate([pos_in, own_pos])


@dataclass
class CoverSet:
    """Cover windows of every flow, shared (see the module docstring).

    Attributes
    ----------
    window_ptr, window_sites
        Distinct windows as CSR: window ``w`` holds ``window_sites[window_ptr[w]:window_ptr[w + 1]]``
        (sorted site indices).
    node_windows_ptr, node_windows
        Per tree node, the ids of its checkpoint windows (CSR).
    node_parent
        Parent tree node (negative: the flow's origin).
    flow_leaf, flow_final
        Per flow: its last tree node and the id of its final window (-1: none).
    servable, free
        Per flow: some set of hubs can serve it; it needs no new hub (no window, or every window
        holds an existing hub when those are dropped).
    """

    window_ptr: np.ndarray
    window_sites: np.ndarray
    node_windows_ptr: np.ndarray
    node_windows: np.ndarray
    node_parent: np.ndarray
    flow_leaf: np.ndarray
    flow_final: np.ndarray
    servable: np.ndarray
    free: np.ndarray
    extra: dict[int, list[int] | None] | None = None  # flows evaluated one by one: their window ids
    node_arc: np.ndarray | None = None  # per tree node: its arc (for walking routes)
    node_start: np.ndarray | None = None  # per tree node: driven km from the origin to its arc's tail
    node_start_route: np.ndarray | None = None  # the same in route km
    flow_leaf_all: np.ndarray | None = None  # per flow: its last tree node (also when free; -1: none)

    def open_stops(self, arcs: ArcStops, is_open: np.ndarray) -> list[tuple[list[int], list[float], list[float]]]:
        """Per flow evaluated in the tree (others: empty): the open sites it passes before its
        destination, with driven and route km, in order — every flow at once, each tree node once
        (:func:`planner.tree_stops.tree_open_stops`).

        A stop on an arc without driving (a ferry) sits at its end and belongs to the next arc."""
        return tree_open_stops(self, arcs, is_open)

    @property
    def n_windows(self) -> int:
        """Number of distinct windows."""
        return len(self.window_ptr) - 1

    def window(self, w: int) -> tuple[int, ...]:
        """Sites of window ``w``."""
        return tuple(self.window_sites[self.window_ptr[w] : self.window_ptr[w + 1]].tolist())

    def flow_window_ids(self, q: int) -> list[int]:
        """Ids of the windows of flow ``q`` (empty if free, even if unservable)."""
        if self.free[q] or not self.servable[q]:
            return []
        if self.extra and q in self.extra:
            return sorted(set(self.extra[q] or []))
        out = [] if self.flow_final[q] < 0 else [int(self.flow_final[q])]
        n = int(self.flow_leaf[q])
        while n >= 0:
            out += self.node_windows[self.node_windows_ptr[n] : self.node_windows_ptr[n + 1]].tolist()
            n = int(self.node_parent[n])
        return sorted(set(out))

    def needed_windows(self, flows: np.ndarray | None = None) -> np.ndarray:
        """Ids of the windows some servable flow that needs a hub has (the rows of a full cover); with
        ``flows`` (a mask), of those flows only."""
        wanted = self.servable & ~self.free if flows is None else flows & self.servable & ~self.free
        need = np.zeros(len(self.node_parent), dtype=bool)
        for q in np.flatnonzero(wanted):
            n = int(self.flow_leaf[q])
            while n >= 0 and not need[n]:
                need[n] = True
                n = int(self.node_parent[n])
        ids = [self.node_windows[self.node_windows_ptr[n] : self.node_windows_ptr[n + 1]] for n in np.flatnonzero(need)]
        finals = self.flow_final[wanted]
        extra = [
            np.array(w, dtype=np.int64) for q, w in (self.extra or {}).items() if w and (flows is None or flows[q])
        ]
        parts = [*ids, finals[finals >= 0], *extra, np.zeros(0, dtype=np.int64)]
        return unique_ints(np.concatenate(parts).astype(np.int64))

    def group_window_pairs(self) -> int:
        """At most how many (group, window) pairs a model with one served-variable per group of flows
        with the same windows has: per distinct (last tree node, final window) of the flows that
        need a hub, the windows on its path (flows with the same pair have the same windows; the
        count is an upper bound, as different pairs can share windows). Computed from the arrays,
        without listing any flow's windows."""
        need = self.servable & ~self.free
        if self.extra:
            need[list(self.extra)] = False
        upto = up_the_tree(np.diff(self.node_windows_ptr).astype(np.int64), self.node_parent, np.add)
        keys = np.unique(np.stack([self.flow_leaf[need], self.flow_final[need]], 1), axis=0)
        leaf_sum = np.concatenate([upto, [0]])[keys[:, 0]]  # -1 (no node) reads the 0
        extra = sum(len(w or ()) for q, w in (self.extra or {}).items() if self.servable[q] and not self.free[q])
        return int(leaf_sum.sum() + (keys[:, 1] >= 0).sum()) + extra

    def window_weights(self, weight: np.ndarray) -> np.ndarray:
        """Per window, the summed ``weight`` of the flows needing a hub whose windows include it: a
        score for where hubs are wanted (a window on two tree nodes of one route counts that flow
        twice). Each tree node carries the weight of the flows ending at or below it, summed up the
        tree one depth at a time."""
        n = len(self.node_parent)
        need = self.servable & ~self.free
        tree = need & (self.flow_leaf >= 0)
        if self.extra:
            tree[list(self.extra)] = False
        below = np.bincount(self.flow_leaf[tree], weights=weight[tree], minlength=n).astype(float)
        depth = up_the_tree(np.ones(n, dtype=np.int64), self.node_parent, np.add)
        order = np.argsort(-depth, kind="stable")
        bounds = np.flatnonzero(np.diff(depth[order])) + 1
        for nodes in np.split(order, bounds):
            if len(nodes) and depth[nodes[0]] > 1:
                np.add.at(below, self.node_parent[nodes], below[nodes])
        counts = np.diff(self.node_windows_ptr)
        out = np.bincount(self.node_windows, weights=np.repeat(below, counts), minlength=self.n_windows)
        final = need & (self.flow_final >= 0)
        if self.extra:
            final[list(self.extra)] = False
        out += np.bincount(self.flow_final[final], weights=weight[final], minlength=self.n_windows)
        for q, ids in (self.extra or {}).items():
            if ids and need[q]:
                out[sorted(set(ids))] += weight[q]
        return out

    def window_sums(self, per_site: np.ndarray) -> np.ndarray:
        """Per window: the sum of ``per_site`` over its sites."""
        if not len(self.window_sites):
            return np.zeros(len(self.window_ptr) - 1, dtype=per_site.dtype)
        sums = np.add.reduceat(per_site[self.window_sites], self.window_ptr[:-1])
        return np.where(np.diff(self.window_ptr) > 0, sums, 0)

    def covered(self, is_open: np.ndarray) -> np.ndarray:
        """Per window: one of its sites is open."""
        return self.window_sums(is_open.astype(np.int64)) > 0

    def served(self, is_open: np.ndarray) -> np.ndarray:
        """Per flow: every window has an open site (free flows always; unservable never)."""
        cov = self.covered(is_open)
        counts = np.diff(self.node_windows_ptr)
        owner = np.repeat(np.arange(len(counts)), counts)
        node_ok = np.ones(len(counts), dtype=bool)
        if len(self.node_windows):
            bad = owner[~cov[self.node_windows]]
            node_ok[bad] = False
        ok_path = up_the_tree(node_ok, self.node_parent, np.logical_and)  # every node to the root ok
        out = self.free.copy()
        need = self.servable & ~self.free
        leaf_ok = np.concatenate([ok_path, [True]])[self.flow_leaf]  # -1 (no node) reads the dummy
        final_ok = np.concatenate([cov, [True]])[self.flow_final]
        out[need] = (leaf_ok & final_ok)[need]
        for q, w in (self.extra or {}).items():
            out[q] = w is not None and bool(cov[w].all()) if w else w is not None
        return out


class _WindowTable:
    """Distinct windows by the 128-bit hash of their site sets."""

    def __init__(self, n_sites: int) -> None:
        rng = np.random.default_rng(_SEED)
        self.w1 = rng.integers(0, 2**63, size=n_sites, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.w2 = rng.integers(0, 2**63, size=n_sites, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.ids: dict[tuple[int, int], int] = {}
        self.sites: list[np.ndarray] = []

    def prefix(self, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Prefix sums (mod 2^64) of the two weights along a stop sequence."""
        zero = np.zeros(1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            one = np.concatenate([zero, np.cumsum(self.w1[sites])])
            return one, np.concatenate([zero, np.cumsum(self.w2[sites])])

    def add_ranges(
        self, sites: np.ndarray, pre: tuple[np.ndarray, np.ndarray], lo: np.ndarray, hi: np.ndarray
    ) -> list[int]:
        """Ids of the windows ``sites[lo[i]:hi[i]]`` (new ones are stored)."""
        with np.errstate(over="ignore"):
            h1 = (pre[0][hi] - pre[0][lo]).tolist()
            h2 = (pre[1][hi] - pre[1][lo]).tolist()
        out = []
        for a, b, i, j in zip(h1, h2, lo.tolist(), hi.tolist(), strict=True):
            w = self.ids.get((a, b))
            if w is None:
                w = self.ids[a, b] = len(self.sites)
                self.sites.append(unique_ints(sites[i:j]))
            out.append(w)
        return out

    def add_set(self, members: Sequence[int]) -> int:
        """Id of the window holding exactly ``members`` (distinct sites)."""
        arr = np.array(sorted(set(members)), dtype=np.int64)
        with np.errstate(over="ignore"):
            key = (int(self.w1[arr].sum(dtype=np.uint64)), int(self.w2[arr].sum(dtype=np.uint64)))
        w = self.ids.get(key)
        if w is None:
            w = self.ids[key] = len(self.sites)
            self.sites.append(arr)
        return w


def _context_key(trie: _Trie, stops: ArcStops, n: int, ranges: Ranges) -> tuple:
    """What a tree node's windows depend on: its arc, the arcs behind it within ``between_km``, and
    its distance from the origin when that decides which of its checkpoints lie within ``start_km``
    (or when the walk reaches the origin)."""
    arcs = [trie.arc[n]]
    start = trie.start[n]
    m = trie.parent[n]
    while m >= 0 and start - (trie.start[m] + stops.drive[trie.arc[m]]) <= ranges.between_km + 2 * _EPS:
        arcs.append(trie.arc[m])
        m = trie.parent[m]
    near = m < 0 or start <= ranges.start_km + stops.drive[trie.arc[n]] + _EPS
    return (tuple(arcs), round(start, 6) if near else None)


def _chain(trie: _Trie, stops: ArcStops, seg: _Segments, n: int, depth: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Sites and positions (driven km from node ``n``'s arc tail) of node ``n`` and the ``depth - 1``
    nodes behind it; the index where ``n``'s own stops start."""
    sites, pos = [], []
    m = n
    for _ in range(depth):
        s, p = seg(m)
        sites.append(s)
        pos.append(p + (trie.start[m] - trie.start[n]))
        m = trie.parent[m]
    sites.reverse()
    pos.reverse()
    own = sum(len(s) for s in sites[:-1])
    return np.concatenate(sites), np.concatenate(pos), own


def _minimal(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ranges, without those containing a neighbouring one (as
    :func:`planner.instance.flow_windows`; the ranges are monotone in both ends)."""
    if len(lo) > 1:
        new = np.ones(len(lo), dtype=bool)
        new[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
        lo, hi = lo[new], hi[new]
    keep = np.ones(len(lo), dtype=bool)
    if len(lo) > 1:
        keep[:-1] &= hi[:-1] != hi[1:]
        keep[1:] &= lo[1:] != lo[:-1]
    return lo[keep], hi[keep]


@dataclass
class _Context:
    """Windows of one distinct context: its checkpoint windows, its final window (-1 if empty)."""

    windows: list[int]
    final: int
    blocked: bool


def _evaluate(
    table: _WindowTable, trie: _Trie, stops: ArcStops, seg: _Segments, n: int, depth: int, ranges: Ranges
) -> _Context:
    """Windows of node ``n``'s context (``depth`` nodes of chain, ``n`` included)."""
    sites, pos, own = _chain(trie, stops, seg, n, depth)
    start = trie.start[n]
    t = pos[own:]
    t = t[start + t > ranges.start_km + _EPS]
    lo = np.searchsorted(pos, t - ranges.between_km - _EPS, side="left")
    hi = np.searchsorted(pos, t - _EPS, side="left")
    blocked = bool((lo >= hi).any())
    pre = table.prefix(sites)
    windows = [] if blocked else table.add_ranges(sites, pre, *_minimal(lo, hi))
    drive = stops.drive[trie.arc[n]]
    f_lo = int(np.searchsorted(pos, drive - ranges.last_km - _EPS, side="left"))
    final = -1 if f_lo >= len(pos) else table.add_ranges(sites, pre, np.array([f_lo]), np.array([len(pos)]))[0]
    return _Context(windows, final, blocked)


def cover_set(
    stops: ArcStops,
    routes: Sequence[list[str]],
    ranges: Ranges,
    n_sites: int,
    *,
    locked: np.ndarray | None = None,
    per_flow: dict[int, list[tuple[int, ...]] | None] | None = None,
) -> CoverSet:
    """Every flow's cover windows, shared by context (see the module docstring).

    Parameters
    ----------
    stops
        Candidate stops per arc (:func:`arc_stops`).
    routes
        Node sequence of each flow.
    ranges
        Leg ranges.
    n_sites
        Number of candidate sites.
    locked
        Existing hubs: windows holding one are always met and dropped.
    per_flow
        Flows evaluated one by one (e.g. round trips), ``{flow: windows or None if unservable}``;
        their routes are not threaded.
    """
    per_flow = per_flow or {}
    threaded = [r if q not in per_flow else r[:1] for q, r in enumerate(routes)]
    trie = _thread(threaded, stops)
    seg = _Segments(stops, trie)
    table = _WindowTable(n_sites)
    contexts: dict[tuple, int] = {}
    evaluated: list[_Context] = []
    node_ctx = np.zeros(len(trie.arc), dtype=np.int64)
    for n in range(len(trie.arc)):
        key = _context_key(trie, stops, n, ranges)
        c = contexts.get(key)
        if c is None:
            c = contexts[key] = len(evaluated)
            evaluated.append(_evaluate(table, trie, stops, seg, n, len(key[0]), ranges))
        node_ctx[n] = c
    return _assemble(table, trie, stops, evaluated, node_ctx, ranges, locked, per_flow)


def _assemble(
    table: _WindowTable,
    trie: _Trie,
    stops: ArcStops,
    evaluated: list[_Context],
    node_ctx: np.ndarray,
    ranges: Ranges,
    locked: np.ndarray | None,
    per_flow: dict[int, list[tuple[int, ...]] | None],
) -> CoverSet:
    """Drop windows holding an existing hub, and classify every flow (free, servable)."""
    extra = {q: None if w is None else [table.add_set(s) for s in w] for q, w in per_flow.items()}
    sizes = np.array([len(s) for s in table.sites], dtype=np.int64)
    ptr = offsets(sizes)
    flat = np.concatenate([*table.sites, np.zeros(0, dtype=np.int64)]).astype(np.int64)
    dropped = np.zeros(len(sizes), dtype=bool)
    if locked is not None and len(flat):
        dropped = np.add.reduceat(locked[flat].astype(np.int64), ptr[:-1]) > 0 if len(sizes) else dropped
    live = [[w for w in c.windows if not dropped[w]] for c in evaluated]
    counts = np.array([len(live[c]) for c in node_ctx], dtype=np.int64)
    node_ptr = offsets(counts)
    node_windows = np.array([w for c in node_ctx for w in live[c]], dtype=np.int64)
    parent = np.array(trie.parent, dtype=np.int64)
    blocked = np.array([evaluated[c].blocked for c in node_ctx], dtype=bool)
    path_blocked, path_live = blocked.copy(), counts > 0
    for n in range(len(parent)):
        if parent[n] >= 0:
            path_blocked[n] |= path_blocked[parent[n]]
            path_live[n] |= path_live[parent[n]]
    n_flows = len(trie.leaf)
    leaf = trie.leaf
    length = np.array([trie.start[n] + stops.drive[trie.arc[n]] if n >= 0 else 0.0 for n in leaf])
    final_raw = np.array([evaluated[node_ctx[n]].final if n >= 0 else -1 for n in leaf], dtype=np.int64)
    short = length <= ranges.direct_km + _EPS
    pad = np.concatenate  # index with a dummy last entry so that -1 (no node / window) is safe
    leaf_blocked = pad([path_blocked, [True]])[leaf]
    leaf_live = pad([path_live, [False]])[leaf]
    servable = short | ((leaf >= 0) & ~leaf_blocked & (final_raw >= 0))
    final = np.where((final_raw >= 0) & ~pad([dropped, [True]])[final_raw], final_raw, -1)
    has_live = (final >= 0) | ((leaf >= 0) & leaf_live)
    free = short | (servable & ~has_live)
    flow_leaf = np.where(short, -1, leaf)
    final = np.where(short, -1, final)
    cover = CoverSet(ptr, flat, node_ptr, node_windows, parent, flow_leaf, final, servable, free)
    cover.node_arc = np.array(trie.arc, dtype=np.int64)
    cover.node_start = np.array(trie.start, dtype=float)
    cover.node_start_route = np.array(trie.start_route, dtype=float)
    cover.flow_leaf_all = leaf.copy()  # every flow's last tree node, free flows too
    cover.extra = {q: None if w is None else [x for x in w if not dropped[x]] for q, w in extra.items()}
    for q, w in cover.extra.items():
        cover.flow_leaf[q], cover.flow_final[q] = -1, -1
        cover.servable[q] = w is not None
        cover.free[q] = w is not None and not w
    assert len(cover.servable) == n_flows
    return cover
