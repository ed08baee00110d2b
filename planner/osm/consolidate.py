"""Junction consolidation: merge the nodes of each interchange, then contract what is left.

``osmnx.projection.project_graph`` to EPSG:3035 and ``osmnx.consolidate_intersections``
find the nodes of one interchange (see :func:`consolidate`); :func:`contract_arcs`
contracts the degree-2 nodes consolidation may leave and drops self-loops.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
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


#: A merged junction may change the length of the main (non-``*_link``) roads through it by
#: at most this share of their length inside it, plus :data:`KM_SLACK_M`; a cluster that
#: would change more is re-clustered with half the radius (see :func:`consolidate`).
KM_SHARE = 0.02
KM_SLACK_M = 10.0
#: Radius below which a rejected cluster is left as separate nodes.
MIN_TOLERANCE_M = 5.0


@dataclass
class _Incidence:
    """Per node: the simplified edges at it, with their main-road metres (for the km check)."""

    xy: dict[int, tuple[float, float]]
    edges: dict[int, list[tuple[int, int, float, bool, bool]]]  # (u, v, main_m, main_end, twoway)


def _incidence(graph: nx.MultiDiGraph, projected: nx.MultiDiGraph, main_m: np.ndarray) -> _Incidence:
    xy = {n: (float(d["x"]), float(d["y"])) for n, d in projected.nodes(data=True)}
    edges: dict[int, list[tuple[int, int, float, bool, bool]]] = defaultdict(list)
    for u, v, data in graph.edges(data=True):
        parts = data["parts"]
        metres = float(sum(main_m[abs(p) - 1] for p in parts))
        first, last = main_m[abs(parts[0]) - 1] > 0, main_m[abs(parts[-1]) - 1] > 0
        twoway = not data["oneway"]
        edges[u].append((u, v, metres, bool(first), twoway))
        if v != u:
            edges[v].append((u, v, metres, bool(last), twoway))
    return _Incidence(xy, edges)


def _km_change_ok(members: list[int], centre: tuple[float, float], inc: _Incidence) -> bool:
    """True if merging ``members`` at ``centre`` keeps main-road km within the bounds.

    Main-road metres inside the cluster vanish; each main road leaving it gains a
    connector from ``centre`` to its member node. A two-way road counts once.
    """
    inside = set(members)
    lost = gained = 0.0
    for node in members:
        x, y = inc.xy[node]
        for u, v, metres, main_end, twoway in inc.edges[node]:
            weight = 0.5 if twoway else 1.0
            if u in inside and v in inside:
                lost += weight * metres / (1 if u == v else 2)  # seen from both ends
            elif main_end:
                gained += weight * math.hypot(x - centre[0], y - centre[1])
    return abs(gained - lost) <= KM_SHARE * lost + KM_SLACK_M


def _find_clusters(
    projected: nx.MultiDiGraph, tolerance_m: float, inc: _Incidence
) -> list[tuple[list[int], tuple[float, float] | None]]:
    """``(members, centroid)`` of each junction; rejected clusters re-clustered smaller."""
    merged = ox.consolidate_intersections(
        projected, tolerance=tolerance_m, rebuild_graph=True, dead_ends=True, reconnect_edges=False
    )
    found: list[tuple[list[int], tuple[float, float] | None]] = []
    for _, data in merged.nodes(data=True):
        original = data["osmid_original"]
        if not isinstance(original, list):
            found.append(([int(original)], None))
            continue
        members = sorted(int(m) for m in original)
        centre = (float(data["x"]), float(data["y"]))
        if _km_change_ok(members, centre, inc):
            found.append((members, centre))
        elif tolerance_m / 2 >= MIN_TOLERANCE_M:
            found.extend(_find_clusters(projected.subgraph(members).copy(), tolerance_m / 2, inc))
        else:
            found.extend(([m], None) for m in members)
    return found


def consolidate(graph: nx.MultiDiGraph, *, tolerance_m: float, main_m: np.ndarray) -> tuple[list[Arc], Clusters]:
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

    A cluster is kept only if it preserves main-road length: the main (non-link) road
    metres inside it, which vanish, and the connectors it adds must differ by at most
    :data:`KM_SHARE` of the former plus :data:`KM_SLACK_M`. An interchange passes (its
    through carriageways are replaced by connectors of about the same length; its ramps
    are turns, not corridor km); a blob of town streets chained together by the radius
    does not, and is re-clustered with half the radius, down to :data:`MIN_TOLERANCE_M`.
    ``main_m`` gives each piece's main-road metres (its length; 0 for ``*_link`` ramps).

    ``tolerance_m <= 0`` disables consolidation, except for nodes joined by a 0 km edge
    (duplicate OSM nodes), which are always merged.
    """
    if tolerance_m <= 0 or graph.number_of_edges() == 0:
        found: list[tuple[list[int], tuple[float, float] | None]] = [([n], None) for n in graph.nodes]
    else:
        # Only nodes and connectivity matter for clustering: project a bare copy (no edge
        # geometries), let osmnx find the clusters, and reconnect the edges ourselves as
        # osmnx's ``reconnect_edges`` does (drop edges inside a cluster, keep self-loops),
        # but carrying the pieces instead of extending geometries.
        bare = nx.MultiDiGraph(crs=graph.graph["crs"])
        bare.add_nodes_from((n, {"x": d["x"], "y": d["y"]}) for n, d in graph.nodes(data=True))
        bare.add_edges_from(graph.edges(keys=True))
        projected = ox.projection.project_graph(bare, to_crs=PROJECTED_CRS)
        found = _find_clusters(projected, tolerance_m, _incidence(graph, projected, main_m))
    return _reconnect(graph, _merge_coincident(graph, found))


def _merge_coincident(
    graph: nx.MultiDiGraph, found: list[tuple[list[int], tuple[float, float] | None]]
) -> list[tuple[list[int], tuple[float, float] | None]]:
    """Merge single nodes joined by an edge of length 0 (duplicate OSM nodes at one place).

    The loader refuses a 0 km edge; such nodes are one junction whatever the radius. They
    keep their common OSM location (no centroid, no connectors).
    """
    single = {members[0] for members, _ in found if len(members) == 1}
    parent = {n: n for n in single}

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for u, v in graph.edges():
        if u != v and u in single and v in single:
            du, dv = graph.nodes[u], graph.nodes[v]
            if (du["x"], du["y"]) == (dv["x"], dv["y"]):
                a, b = sorted((root(u), root(v)))
                parent[b] = a
    if all(root(n) == n for n in single):
        return found
    groups: dict[int, list[int]] = {}
    for n in sorted(single):
        groups.setdefault(root(n), []).append(n)
    merged = [entry for entry in found if len(entry[0]) > 1]
    return merged + [(members, None) for members in groups.values()]


def _reconnect(
    graph: nx.MultiDiGraph, found: list[tuple[list[int], tuple[float, float] | None]]
) -> tuple[list[Arc], Clusters]:
    """Cluster-to-cluster arcs: edges inside a cluster vanish, the others get connectors."""
    clusters = Clusters()
    arcs: list[Arc] = []
    cluster_of: dict[int, int] = {}
    for label, (members, centre) in enumerate(sorted(found)):
        clusters.members[label] = members
        cluster_of.update((m, label) for m in members)
        if centre is not None:
            clusters.xy[label] = centre
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
                merged = Arc(first.u, second.v, first.items + second.items, first.oneway, first.mode)
                alive[next_id] = merged
                outs[merged.u].add(next_id)
                ins[merged.v].add(next_id)
                next_id += 1
    kept = [a for a in alive.values() if a.u != a.v]
    return kept, len(alive) - len(kept)
