"""The raw piece graph: build it, prune dangling ramps, keep the main component, simplify.

:func:`build_raw_graph` makes an osmnx-compatible ``MultiDiGraph`` whose edges are pieces
(both directions for two-way ways, travel direction for one-way ways). Because
interstitial way vertices never enter the graph, a country fits easily in memory.
:func:`prune_dangling` removes ``*_link`` ramps and ferries that lead nowhere and
:func:`drop_fragments` keeps the largest weakly connected component;
``osmnx.simplify_graph`` then contracts degree-2 chains (:func:`simplify`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import networkx as nx
import numpy as np
import osmnx as ox

from planner.osm.extract import OSMExtract
from planner.osm.pieces import PieceTable
from planner.osm.tags import is_link_highway, way_direction

__all__ = [
    "build_raw_graph",
    "drop_fragments",
    "edge_pieces",
    "prune_dangling",
    "simplify",
]


def _ferry_direction(tags: dict[str, str]) -> int:
    value = tags.get("oneway", "").strip().lower()
    if value in {"yes", "true", "1"}:
        return 1
    if value in {"-1", "reverse"}:
        return -1
    return 0


def build_raw_graph(extract: OSMExtract, pieces: PieceTable) -> nx.MultiDiGraph:
    """Build an osmnx-compatible graph (EPSG:4326, ``x``/``y`` node attributes) of pieces.

    Each edge carries ``parts`` (list of signed 1-based piece ids in travel order),
    ``oneway`` (bool) and ``mode`` (``road``/``ferry``).
    """
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    used = np.unique(np.concatenate((pieces.start, pieces.end))) if len(pieces) else []
    coords = extract.coords
    for node in used:
        lon, lat = coords[int(node)]
        graph.add_node(int(node), x=lon, y=lat)
    directions = [
        way_direction(w.tags) if w.kind == "road" else _ferry_direction(w.tags)
        for w in extract.ways
    ]
    modes = [w.kind for w in extract.ways]
    for i in range(len(pieces)):
        wi = int(pieces.way_index[i])
        d = directions[wi]
        s, e = int(pieces.start[i]), int(pieces.end[i])
        attrs = {"oneway": d != 0, "mode": modes[wi]}
        if d >= 0:
            graph.add_edge(s, e, parts=[i + 1], **attrs)
        if d <= 0:
            graph.add_edge(e, s, parts=[-(i + 1)], **attrs)
    return graph


def edge_pieces(graph: nx.MultiDiGraph, node: int) -> Iterable[int]:
    """Signed piece ids of every edge into or out of ``node``."""
    for _, _, parts in graph.in_edges(node, data="parts"):
        yield from parts
    for _, _, parts in graph.out_edges(node, data="parts"):
        yield from parts


def prune_dangling(graph: nx.MultiDiGraph, extract: OSMExtract, pieces: PieceTable) -> set[int]:
    """Iteratively remove dead ends reached only through ramps (``*_link``) or ferries.

    Slip roads into services areas or onto roads that were not selected end in the void
    once the other roads are gone; they would attract sites and break strong
    connectivity. Dead ends of main roads (extract borders) are kept.

    Returns
    -------
    set of int
        0-based ids of the removed pieces.
    """
    prunable_way = [
        w.kind == "ferry" or is_link_highway(w.tags.get("highway", "")) for w in extract.ways
    ]

    def prunable(node: int) -> bool:
        neighbours = (set(graph.predecessors(node)) | set(graph.successors(node))) - {node}
        if len(neighbours) > 1:
            return False
        return all(
            prunable_way[int(pieces.way_index[abs(p) - 1])] for p in edge_pieces(graph, node)
        )

    removed: set[int] = set()
    queue = deque(sorted(graph.nodes))
    while queue:
        node = queue.popleft()
        if node not in graph or not prunable(node):
            continue
        removed.update(abs(p) - 1 for p in edge_pieces(graph, node))
        neighbours = sorted((set(graph.predecessors(node)) | set(graph.successors(node))) - {node})
        graph.remove_node(node)
        queue.extend(neighbours)
    return removed


def drop_fragments(
    graph: nx.MultiDiGraph, pieces: PieceTable, *, min_fragment_km: float | None
) -> set[int]:
    """Keep the largest weakly connected component (by km), plus any ≥ ``min_fragment_km``.

    Returns
    -------
    set of int
        0-based ids of the pieces removed with the dropped components.
    """
    components = []
    for nodes in nx.weakly_connected_components(graph):
        piece_ids = {abs(p) - 1 for n in nodes for p in edge_pieces(graph, n)}
        km = float(sum(pieces.length_m[i] for i in sorted(piece_ids))) / 1000.0
        components.append((km, min(nodes), nodes, piece_ids))
    if not components:
        return set()
    components.sort(key=lambda c: (-c[0], c[1]))
    removed: set[int] = set()
    for rank, (km, _, nodes, piece_ids) in enumerate(components):
        if rank == 0 or (min_fragment_km is not None and km >= min_fragment_km):
            continue
        removed.update(piece_ids)
        graph.remove_nodes_from(nodes)
    return removed


def _concat(values: list[list[int]]) -> list[int]:
    return [p for value in values for p in value]


def _first(values: list) -> object:  # noqa: ANN401 - osmnx aggregation callback
    return values[0]


def simplify(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Contract degree-2 chains with ``osmnx.simplify_graph``.

    Every edge attribute has an explicit, order-preserving aggregation, so osmnx never
    falls back to ``list(set(...))``; ``mode`` changes (road/ferry) stay nodes.
    """
    if graph.number_of_edges() == 0:
        graph.graph["simplified"] = True
        return graph
    return ox.simplify_graph(
        graph,
        edge_attrs_differ=["mode"],
        edge_attr_aggs={"parts": _concat, "oneway": _first, "mode": _first},
    )
