"""Junction consolidation: merge the nodes of each interchange, then contract what is left.

``osmnx.projection.project_graph`` to EPSG:3035 and ``osmnx.consolidate_intersections``
find the nodes of one interchange (see :func:`consolidate`); :func:`contract_arcs`
contracts the degree-2 nodes consolidation may leave and drops self-loops.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx
import osmnx as ox

from planner.osm.geo import PROJECTED_CRS

__all__ = ["Arc", "Clusters", "consolidate", "contract_arcs"]


@dataclass
class Arc:
    """A directed edge between clusters with its path of pieces and junction connectors.

    ``items`` holds ``(0, signed_piece_id)`` for OSM pieces and ``(1, cluster)`` where the
    path passes through the centroid of a consolidated junction.
    """

    u: int
    v: int
    items: list[tuple[int, int]]
    oneway: bool
    mode: str


@dataclass
class Clusters:
    """Consolidated junctions: members (OSM node ids) and EPSG:3035 centroid per cluster."""

    members: dict[int, list[int]] = field(default_factory=dict)
    xy: dict[int, tuple[float, float]] = field(default_factory=dict)


def consolidate(graph: nx.MultiDiGraph, *, tolerance_m: float) -> tuple[list[Arc], Clusters]:
    """Merge the nodes of each interchange and return cluster-to-cluster arcs.

    The simplified graph is projected to EPSG:3035 (metres, equal-area Europe) with
    ``osmnx.projection.project_graph`` and ``osmnx.consolidate_intersections`` buffers
    every node by ``tolerance_m``: nodes whose buffers overlap (chains of nodes less than
    ``2 * tolerance_m`` apart) form a cluster, which osmnx then splits into its weakly
    connected parts (so two nearby but unconnected nodes, e.g. the dead ends of opposite
    carriageways at an extract border, or a road passing over a junction, stay apart).
    Only nodes are merged, never edges, so the carriageways of a dual carriageway remain
    separate directed edges between consecutive junctions. Edges inside a cluster
    (ramps, the carriageway through the interchange) disappear; the edges leaving it
    start at the cluster centroid through a connector (see :func:`assemble_network`).

    ``tolerance_m <= 0`` disables consolidation.
    """
    clusters = Clusters()
    arcs: list[Arc] = []
    if tolerance_m <= 0 or graph.number_of_edges() == 0:
        for node in graph.nodes:
            clusters.members[node] = [node]
        for u, v, data in graph.edges(data=True):
            arcs.append(Arc(u, v, [(0, p) for p in data["parts"]], data["oneway"], data["mode"]))
        return arcs, clusters

    # Only nodes and connectivity matter for clustering: project a bare copy (no edge
    # geometries), let osmnx find the clusters, and reconnect the edges ourselves exactly
    # as osmnx's ``reconnect_edges`` does (drop edges inside a cluster, keep self-loops),
    # but carrying the pieces instead of extending geometries.
    bare = nx.MultiDiGraph(crs=graph.graph["crs"])
    bare.add_nodes_from((n, {"x": d["x"], "y": d["y"]}) for n, d in graph.nodes(data=True))
    bare.add_edges_from(graph.edges(keys=True))
    projected = ox.projection.project_graph(bare, to_crs=PROJECTED_CRS)
    merged = ox.consolidate_intersections(
        projected,
        tolerance=tolerance_m,
        rebuild_graph=True,
        dead_ends=True,
        reconnect_edges=False,
    )
    cluster_of: dict[int, int] = {}
    for cluster, data in merged.nodes(data=True):
        original = data["osmid_original"]
        members = (
            sorted(int(m) for m in original) if isinstance(original, list) else [int(original)]
        )
        clusters.members[cluster] = members
        for member in members:
            cluster_of[member] = cluster
        if len(members) > 1:
            clusters.xy[cluster] = (float(data["x"]), float(data["y"]))
    for u, v, data in graph.edges(data=True):
        cu, cv = cluster_of[u], cluster_of[v]
        if cu == cv and u != v:
            continue  # inside a consolidated junction
        items: list[tuple[int, int]] = []
        if cu in clusters.xy:
            items.append((1, cu))
        items.extend((0, p) for p in data["parts"])
        if cv in clusters.xy:
            items.append((1, cv))
        arcs.append(Arc(cu, cv, items, bool(data["oneway"]), str(data["mode"])))
    return arcs, clusters


def contract_arcs(arcs: list[Arc]) -> tuple[list[Arc], int]:
    """Contract degree-2 nodes left after consolidation and drop self-loops.

    A node is contracted when it has exactly two neighbours, no self-loop, a single mode,
    and either one arc in and one out, or two in and two out (a two-way pass-through),
    the same rule as ``osmnx.simplify_graph``.

    Returns
    -------
    arcs, self_loops
        The contracted arcs (in a deterministic order) and the number of self-loops removed.
    """
    alive: dict[int, Arc] = dict(enumerate(arcs))
    next_id = len(arcs)
    ins: dict[int, set[int]] = defaultdict(set)
    outs: dict[int, set[int]] = defaultdict(set)
    for i, arc in alive.items():
        outs[arc.u].add(i)
        ins[arc.v].add(i)

    def contractible(node: int) -> bool:
        a_in, a_out = ins[node], outs[node]
        if (len(a_in), len(a_out)) not in {(1, 1), (2, 2)}:
            return False
        incident = [alive[i] for i in a_in | a_out]
        neighbours = {a.u for a in incident} | {a.v for a in incident}
        neighbours.discard(node)
        if any(a.u == a.v for a in incident) or len(neighbours) != 2:
            return False
        return len({a.mode for a in incident}) == 1 and len({a.oneway for a in incident}) == 1

    nodes = sorted(set(ins) | set(outs))
    for node in nodes:
        if not contractible(node):
            continue
        pairs = []
        for i in sorted(ins[node]):
            source = alive[i].u
            choices = sorted(j for j in outs[node] if alive[j].v != source)
            if len(choices) != 1:
                break
            pairs.append((i, choices[0]))
        else:
            if len({j for _, j in pairs}) != len(pairs):
                continue
            for i, j in pairs:
                first, second = alive.pop(i), alive.pop(j)
                outs[first.u].discard(i)
                ins[node].discard(i)
                outs[node].discard(j)
                ins[second.v].discard(j)
                merged = Arc(
                    first.u, second.v, first.items + second.items, first.oneway, first.mode
                )
                alive[next_id] = merged
                outs[merged.u].add(next_id)
                ins[merged.v].add(next_id)
                next_id += 1
    kept = [a for a in alive.values() if a.u != a.v]
    return kept, len(alive) - len(kept)
