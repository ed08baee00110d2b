"""The open stops of every flow, read off the cover's route tree in arrays.

:meth:`planner.windows.CoverSet.open_stops` for plans that charge at every open hub passed: each
tree node (a stretch of road shared by the routes through it) lists its open sites once, and each
flow's stops are those of the nodes from its origin to its last node, in that order. A stop on an
arc without driving (a ferry) sits at the end of that arc and belongs to the next one: it is taken
only if the route goes on. Positions are the same floats as a walk node by node (the node's start
plus the site's offset along its arc).

This is the decoder's walk (the model's side); the verifier walks the routes on its own
(:mod:`planner.walk`) and checks the stops written from this one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from planner.arrays import offsets, row_entries, run_positions, up_the_tree, without_gc

if TYPE_CHECKING:
    from planner.windows import ArcStops, CoverSet

__all__ = ["tree_open_stops"]

_EPS = 1e-6  # km, as in planner.windows


def _node_entries(
    cover: CoverSet, arcs: ArcStops, is_open: np.ndarray, depth: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per tree node (CSR: ``ptr``), the open stops it adds: site, driven and route km from the origin
    (``depth``: each node's ancestors, so a chain of stretches without driving is read from the top)."""
    n_arcs = len(arcs.start) - 1
    keep = is_open[arcs.site]
    arc_cnt = np.bincount(np.repeat(np.arange(n_arcs), np.diff(arcs.start))[keep], minlength=n_arcs)
    arc_ptr = offsets(arc_cnt)
    site, d_off, r_off = arcs.site[keep], arcs.drive_off[keep], arcs.route_off[keep]
    node_arc, parent = cover.node_arc, cover.node_parent
    start, r_start = cover.node_start, cover.node_start_route
    no_drive = arcs.drive[node_arc] <= _EPS
    # a stretch without driving carries its stops (and those carried into it) to the next stretch
    chain: dict[int, tuple[list[int], list[float]]] = {}
    for v in sorted(np.flatnonzero(no_drive).tolist(), key=lambda v: depth[v]):
        p, sl = int(parent[v]), slice(arc_ptr[node_arc[v]], arc_ptr[node_arc[v] + 1])
        c_sites, c_route = chain[p] if p >= 0 and no_drive[p] else ([], [])
        chain[v] = (c_sites + site[sl].tolist(), c_route + [r_start[v] + r for r in r_off[sl].tolist()])
    carried = {
        v: chain[int(parent[v])] for v in np.flatnonzero(~no_drive & (parent >= 0)).tolist() if int(parent[v]) in chain
    }
    n_carried = np.zeros(len(node_arc), dtype=np.int64)
    for v, (c_sites, _) in carried.items():
        n_carried[v] = len(c_sites)
    own = np.where(no_drive, 0, arc_cnt[node_arc])
    ptr = offsets(n_carried + own)
    total = int(ptr[-1])
    out_site, out_drive, out_route = np.empty(total, dtype=np.int64), np.empty(total), np.empty(total)
    node = np.repeat(np.arange(len(node_arc)), own)
    within = run_positions(own)
    src = arc_ptr[node_arc[node]] + within
    at = ptr[node] + n_carried[node] + within
    out_site[at], out_drive[at], out_route[at] = site[src], start[node] + d_off[src], r_start[node] + r_off[src]
    for v, (c_sites, c_route) in carried.items():
        sl = slice(ptr[v], ptr[v] + len(c_sites))
        out_site[sl], out_drive[sl], out_route[sl] = c_sites, start[v], c_route
    return ptr, out_site, out_drive, out_route


def _objects(values: np.ndarray) -> np.ndarray:
    """``values`` as an object array of Python numbers (indexing it shares them)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values.tolist()
    return out


@without_gc
def tree_open_stops(
    cover: CoverSet, arcs: ArcStops, is_open: np.ndarray
) -> list[tuple[list[int], list[float], list[float]]]:
    """Per flow in the tree (others: empty): the open sites it passes before its destination, with
    driven and route km, in order (see the module docstring)."""
    parent, leaf = cover.node_parent, cover.flow_leaf_all
    depth = up_the_tree(np.ones(len(parent), dtype=np.int64), parent, np.add) - 1  # nodes above each node
    ptr, site, drive, route = _node_entries(cover, arcs, is_open, depth)
    flows = np.flatnonzero(leaf >= 0)
    length = depth[leaf[flows]] + 1
    path_ptr = offsets(length)
    path = np.empty(int(path_ptr[-1]), dtype=np.int64)
    cur, owner = leaf[flows].astype(np.int64), np.arange(len(flows))
    while len(cur):  # from each flow's last node up to its origin, each node at its depth
        path[path_ptr[owner] + depth[cur]] = cur
        cur = parent[cur]
        cur, owner = cur[cur >= 0].astype(np.int64), owner[cur >= 0]
    count, src = row_entries(ptr, path)
    per_flow = np.add.reduceat(count, path_ptr[:-1]) if len(path) else np.zeros(0, dtype=np.int64)
    cut = offsets(per_flow).tolist()
    # each node's stops as Python objects once, shared by every flow through the node (as a walk
    # node by node shares them): one float per flow and stop would take 0.7 GB more on europe-2030
    s, d, r = (_objects(values)[src].tolist() for values in (site, drive, route))
    out: list[tuple[list[int], list[float], list[float]]] = [([], [], []) for _ in range(len(leaf))]
    for i, q in enumerate(flows.tolist()):
        a, b = cut[i], cut[i + 1]
        out[q] = (s[a:b], d[a:b], r[a:b])
    return out
