"""Turn an :class:`~planner.osm.extract.OSMExtract` into directed junction-to-junction edges.

Pipeline
--------
1. :func:`~planner.osm.pieces.build_pieces` splits every kept way at the nodes it shares
   with other ways (and at its ends) into *pieces*, with their geodesic lengths (WGS84
   ellipsoid, summed per OSM segment) and coordinates kept out of the graph.
2. :func:`~planner.osm.graph.build_raw_graph` makes an osmnx-compatible ``MultiDiGraph``
   whose edges are pieces (both directions for two-way ways, travel direction for one-way
   ways).
3. :func:`~planner.osm.graph.prune_dangling` removes ``*_link`` ramps and ferries that
   lead nowhere (slip roads into services or onto roads that were not selected);
   :func:`~planner.osm.components.join_components` joins the other weakly connected
   components to the largest over ``join_via`` roads (when asked) and
   :func:`~planner.osm.components.drop_fragments` removes what is still apart.
4. ``osmnx.simplify_graph`` contracts degree-2 chains; the chain's pieces travel along in
   the ``parts`` attribute (aggregated in path order, so no hash-order dependence).
5. :func:`~planner.osm.consolidate.consolidate` merges the nodes of one interchange.
6. :func:`~planner.osm.consolidate.contract_arcs` contracts the degree-2 nodes
   consolidation may leave, drops self-loops and
   :func:`~planner.osm.assemble.assemble_network` pairs the two directions of two-way
   roads into one edge, computes lengths, geometries and attributes, and sorts everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from planner.osm import graph as graph_steps
from planner.osm.assemble import NetworkTables, assemble_network
from planner.osm.components import Fragments, drop_fragments, join_components
from planner.osm.consolidate import consolidate, contract_arcs
from planner.osm.errors import OSMBuildError
from planner.osm.extract import OSMExtract
from planner.osm.pieces import PieceTable, build_pieces
from planner.osm.tags import is_link_highway

__all__ = ["NetworkResult", "build_tables", "main_road_metres"]


@dataclass
class NetworkResult:
    """The network tables and what the steps removed (for the build report)."""

    tables: NetworkTables
    pieces: PieceTable
    spur_pieces: set[int] = field(default_factory=set)
    fragments: Fragments = field(default_factory=Fragments)
    joined_pieces: set[int] = field(default_factory=set)
    self_loops: int = 0


def main_road_metres(extract: OSMExtract, pieces: PieceTable) -> np.ndarray:
    """Each piece's length in metres if its way is a main road, 0 for ``*_link`` ramps."""
    link = np.array([is_link_highway(w.tags.get("highway", "")) for w in extract.ways], dtype=bool)
    if not len(pieces):
        return np.zeros(0, dtype=np.float64)
    return np.where(link[pieces.way_index], 0.0, pieces.length_m)


def build_tables(
    extract: OSMExtract,
    *,
    source: str,
    tolerance_m: float,
    min_fragment_km: float | None,
    progress: Callable[[str, float], None],
) -> NetworkResult:
    """Run the network steps on ``extract`` (see the module docstring).

    Raises
    ------
    OSMBuildError
        If nothing connected is left after pruning ramps and fragments.
    """
    progress("pieces", 0.0)
    pieces = build_pieces(extract)
    graph = graph_steps.build_raw_graph(extract, pieces)
    progress("prune", 0.0)
    spur_pieces = graph_steps.prune_dangling(graph, extract, pieces)
    join = {i for i, wi in enumerate(pieces.way_index.tolist()) if extract.ways[wi].kind == "join"}
    joined: set[int] = set()
    if join:
        spare = sorted(spur_pieces | join)
        joined = join_components(graph, extract, pieces, spare, min_fragment_km=min_fragment_km)
        spur_pieces -= joined
    fragments = drop_fragments(graph, pieces)
    if graph.number_of_edges() == 0:
        raise OSMBuildError(f"no connected network left in {source} after removing dangling ramps and fragments")
    progress("simplify", 0.0)
    simplified = graph_steps.simplify(graph)
    del graph
    progress("consolidate", 0.0)
    arcs, clusters = consolidate(simplified, tolerance_m=tolerance_m, main_m=main_road_metres(extract, pieces))
    del simplified
    progress("contract", 0.0)
    arcs, self_loops = contract_arcs(arcs)
    progress("assemble", 0.0)
    tables = assemble_network(arcs, clusters, extract, pieces, progress=lambda f: progress("assemble", f))
    return NetworkResult(tables, pieces, spur_pieces, fragments, joined, self_loops)
