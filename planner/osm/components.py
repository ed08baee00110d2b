"""Weakly connected components of the kept network: join them, or keep only the largest.

The planner's loader needs one connected network. A clipped extract often cuts a
motorway so that its two carriageways meet only outside the file, or a corridor joins
the rest only over a road class that was not selected. With ``join_via`` classes read
as well, :func:`join_components` links each other component to the main one over the
shortest path of ``join_via`` roads and pruned ramps, in both directions where one
exists (so flows can go and come back); :func:`drop_fragments` then removes what is
still apart and says how much.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from planner.osm.extract import OSMExtract
from planner.osm.graph import add_piece, edge_pieces, way_directions
from planner.osm.pieces import PieceTable

__all__ = ["Fragments", "drop_fragments", "join_components"]


@dataclass
class Fragments:
    """Components dropped: their count, pieces and km (largest first)."""

    pieces: set[int] = field(default_factory=set)
    km: list[float] = field(default_factory=list)


def _components(graph: nx.MultiDiGraph, pieces: PieceTable) -> list[tuple[float, int, set, set]]:
    """``(km, smallest node, nodes, piece ids)`` of each component, largest km first."""
    found = []
    for nodes in nx.weakly_connected_components(graph):
        piece_ids = {abs(p) - 1 for n in nodes for p in edge_pieces(graph, n)}
        km = float(sum(pieces.length_m[i] for i in sorted(piece_ids))) / 1000.0
        found.append((km, min(nodes), nodes, piece_ids))
    found.sort(key=lambda c: (-c[0], c[1]))
    return found


def _join_graph(extract: OSMExtract, pieces: PieceTable, spare: list[int]) -> nx.DiGraph:
    """Directed graph of the spare pieces (``join_via`` roads, pruned ramps) by length."""
    directions = way_directions(extract)
    joins = nx.DiGraph()
    for i in spare:
        d = directions[int(pieces.way_index[i])]
        s, e, metres = int(pieces.start[i]), int(pieces.end[i]), float(pieces.length_m[i])
        for a, b, ok in ((s, e, d >= 0), (e, s, d <= 0)):
            if ok and (not joins.has_edge(a, b) or joins[a][b]["weight"] > metres):
                joins.add_edge(a, b, weight=metres, piece=i)
    return joins


def _shortest(joins: nx.DiGraph, sources: set[int], targets: set[int]) -> list[int] | None:
    """Piece ids of the shortest directed path from any source to any target, or None."""
    src, dst = ("join-source",), ("join-target",)
    joins.add_edges_from((src, s, {"weight": 0.0}) for s in sorted(sources & set(joins)))
    joins.add_edges_from((t, dst, {"weight": 0.0}) for t in sorted(targets & set(joins)))
    try:
        _, path = nx.bidirectional_dijkstra(joins, src, dst)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        path = None
    finally:
        joins.remove_nodes_from([src, dst])
    if path is None:
        return None
    return [joins[a][b]["piece"] for a, b in zip(path[1:-2], path[2:-1], strict=True)]


def join_components(
    graph: nx.MultiDiGraph,
    extract: OSMExtract,
    pieces: PieceTable,
    spare: list[int],
    *,
    min_fragment_km: float | None,
) -> set[int]:
    """Join every other component to the largest over the ``spare`` pieces.

    Components are taken largest first (ties by smallest node id); each gets the shortest
    path from the joined network to it and the shortest path back, where they exist.
    Components shorter than ``min_fragment_km`` are not joined.

    Returns
    -------
    set of int
        0-based ids of the spare pieces added to ``graph``.
    """
    components = _components(graph, pieces)
    if len(components) < 2 or not spare:
        return set()
    joins = _join_graph(extract, pieces, spare)
    directions = way_directions(extract)
    joined: set[int] = set(components[0][2])
    added: set[int] = set()
    for km, _, nodes, _ in components[1:]:
        if min_fragment_km is not None and km < min_fragment_km:
            continue
        paths = [_shortest(joins, joined, nodes), _shortest(joins, nodes, joined)]
        for path in paths:
            for i in path or []:
                if i not in added:
                    added.add(i)
                    add_piece(graph, extract, pieces, i, directions[int(pieces.way_index[i])])
                    joined.update((int(pieces.start[i]), int(pieces.end[i])))
        if any(path is not None for path in paths):
            joined.update(nodes)
    return added


def drop_fragments(graph: nx.MultiDiGraph, pieces: PieceTable) -> Fragments:
    """Keep the largest weakly connected component (by km); drop and describe the rest."""
    dropped = Fragments()
    for rank, (km, _, nodes, piece_ids) in enumerate(_components(graph, pieces)):
        if rank == 0:
            continue
        dropped.pieces.update(piece_ids)
        dropped.km.append(round(km, 3))
        graph.remove_nodes_from(nodes)
    return dropped
