"""The raw piece graph: build it, prune dangling ramps, keep the main component, simplify.

:func:`build_raw_graph` makes an osmnx-compatible ``MultiDiGraph`` whose edges are pieces
(both directions for two-way ways, travel direction for one-way ways). Because
interstitial way vertices never enter the graph, a country fits easily in memory.
:func:`prune_dangling` removes ``*_link`` ramps and ferries that lead nowhere;
``osmnx.simplify_graph`` contracts degree-2 chains (:func:`simplify`).
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
    "add_piece",
    "build_raw_graph",
    "edge_pieces",
    "prune_dangling",
    "simplify",
    "way_directions",
]


def _ferry_direction(tags: dict[str, str]) -> int:
    value = tags.get("oneway", "").strip().lower()
    if value in {"yes", "true", "1"}:
        return 1
    if value in {"-1", "reverse"}:
        return -1
    return 0


def way_directions(extract: OSMExtract) -> list[int]:
    """Direction of travel of each way (1, -1 or 0 for two-way; see ``way_direction``)."""
    return [_ferry_direction(w.tags) if w.kind == "ferry" else way_direction(w.tags) for w in extract.ways]


def add_piece(graph: nx.MultiDiGraph, extract: OSMExtract, pieces: PieceTable, i: int, direction: int) -> None:
    """Add piece ``i`` (0-based) in its direction(s) of travel, with its end nodes."""
    way = extract.ways[int(pieces.way_index[i])]
    s, e = int(pieces.start[i]), int(pieces.end[i])
    for node in (s, e):
        if node not in graph:
            lon, lat = extract.coords[node]
            graph.add_node(node, x=lon, y=lat)
    attrs = {"oneway": direction != 0, "mode": "ferry" if way.kind == "ferry" else "road"}
    if direction >= 0:
        graph.add_edge(s, e, parts=[i + 1], **attrs)
    if direction <= 0:
        graph.add_edge(e, s, parts=[-(i + 1)], **attrs)


def build_raw_graph(extract: OSMExtract, pieces: PieceTable) -> nx.MultiDiGraph:
    """Build an osmnx-compatible graph (EPSG:4326, ``x``/``y`` node attributes) of pieces.

    Each edge carries ``parts`` (list of signed 1-based piece ids in travel order),
    ``oneway`` (bool) and ``mode`` (``road``/``ferry``). Pieces of ``join`` ways (read only
    to join components) are left out.
    """
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    kept = [i for i in range(len(pieces)) if extract.ways[int(pieces.way_index[i])].kind != "join"]
    used = np.unique(np.concatenate((pieces.start[kept], pieces.end[kept]))) if kept else []
    for node in used:
        lon, lat = extract.coords[int(node)]
        graph.add_node(int(node), x=lon, y=lat)
    directions = way_directions(extract)
    for i in kept:
        add_piece(graph, extract, pieces, i, directions[int(pieces.way_index[i])])
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
    prunable_way = [w.kind == "ferry" or is_link_highway(w.tags.get("highway", "")) for w in extract.ways]

    def prunable(node: int) -> bool:
        neighbours = (set(graph.predecessors(node)) | set(graph.successors(node))) - {node}
        if len(neighbours) > 1:
            return False
        return all(prunable_way[int(pieces.way_index[abs(p) - 1])] for p in edge_pieces(graph, node))

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
