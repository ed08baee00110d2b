"""Final node and edge tables: ids, coordinates, two-way pairing, parallel edges, node kinds."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from planner.osm.consolidate import Arc, Clusters
from planner.osm.detours import split_detours
from planner.osm.edges import edge_record, reverse_items
from planner.osm.extract import OSMExtract, fix_coordinate
from planner.osm.geo import PROJECTED_CRS, get_transformer
from planner.osm.pieces import PieceTable

__all__ = ["NetworkTables", "assemble_network"]


@dataclass
class NetworkTables:
    """Final nodes and edges as plain records (sorted), ready for GeoDataFrames."""

    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    parallel_dropped: int = 0
    used_way_ids: set[int] = field(default_factory=set)
    used_pieces: set[int] = field(default_factory=set)
    via_nodes: int = 0


def _node_ids(clusters: Clusters, extract: OSMExtract) -> tuple[dict[int, str], dict[int, tuple[float, float]]]:
    """``n<smallest member>`` ids and lon/lat (OSM node, or the cluster centroid)."""
    to_wgs84 = get_transformer(PROJECTED_CRS, "EPSG:4326")
    node_id: dict[int, str] = {}
    node_xy: dict[int, tuple[float, float]] = {}
    for cluster, members in clusters.members.items():
        node_id[cluster] = f"n{members[0]}"
        if cluster in clusters.xy:
            x, y = clusters.xy[cluster]
            lon, lat = to_wgs84.transform(x, y)
            node_xy[cluster] = (fix_coordinate(lon), fix_coordinate(lat))
        else:
            node_xy[cluster] = extract.coords[members[0]]
    return node_id, node_xy


def _pair_two_way(arcs: list[Arc], node_id: dict[int, str]) -> list[tuple[Arc, bool]]:
    """One-way arcs as they are; the two directions of a two-way road as one arc."""
    chosen: list[tuple[Arc, bool]] = []
    twoway_groups: dict[tuple, list[Arc]] = defaultdict(list)
    for arc in arcs:
        if arc.oneway:
            chosen.append((arc, True))
        else:
            forward = tuple(arc.items)
            backward = tuple(reverse_items(arc.items))
            twoway_groups[min(forward, backward)].append(arc)
    for key in sorted(twoway_groups):
        group = twoway_groups[key]
        arc = min(group, key=lambda a: (node_id[a.u], node_id[a.v]))
        if node_id[arc.u] > node_id[arc.v]:
            arc = Arc(arc.v, arc.u, reverse_items(arc.items), False, arc.mode)
        chosen.append((arc, False))
    return chosen


def _rank(rec: dict) -> tuple:
    return (rec["length_km"], rec["osm_way_ids"], rec["oneway"])


def _resolve_parallels(built: list[tuple[Arc, dict]], rebuild: Callable[[Arc], dict]) -> tuple[list[dict], int]:
    """Keep, for each direction between two nodes, its shortest edge.

    A two-way edge serves both directions. When it is the shortest both ways it stays one
    two-way edge; when a one-way edge is shorter in one direction, that one-way edge serves
    it and the two-way road serves the other direction as a one-way edge (rebuilt in that
    direction by ``rebuild``). So no direction is lost, each keeps its shortest length, and
    two nodes never share a two-way edge and another edge (the loader refuses both).

    Returns
    -------
    edges, dropped
        The edge records sorted by ``(u, v)`` and the number of edges left unused.
    """
    groups: dict[tuple[str, str], list[tuple[Arc, dict]]] = defaultdict(list)
    for arc, rec in built:
        groups[(min(rec["u"], rec["v"]), max(rec["u"], rec["v"]))].append((arc, rec))
    edges: list[dict] = []
    dropped = 0
    for (a, b), items in sorted(groups.items()):
        chosen = []
        for u, v in ((a, b), (b, a)):
            serving = [x for x in items if not x[1]["oneway"] or (x[1]["u"], x[1]["v"]) == (u, v)]
            if serving:
                chosen.append((min(serving, key=lambda x: _rank(x[1])), u, v))
        if len(chosen) == 2 and chosen[0][0] is chosen[1][0] and not chosen[0][0][1]["oneway"]:
            edges.append(chosen[0][0][1])
            dropped += len(items) - 1
            continue
        for (arc, rec), u, _ in chosen:
            if rec["oneway"]:
                edges.append(rec)
            else:
                forward = rec["u"] == u
                one = (
                    Arc(arc.u, arc.v, arc.items, True, arc.mode)
                    if forward
                    else Arc(arc.v, arc.u, reverse_items(arc.items), True, arc.mode)
                )
                edges.append(rebuild(one))
        dropped += len(items) - len({id(x[0]) for x in chosen})
    edges.sort(key=lambda r: (r["u"], r["v"]))
    return edges, dropped


def _node_records(
    edges: list[dict],
    clusters: Clusters,
    node_id: dict[int, str],
    node_xy: dict[int, tuple[float, float]],
    extract: OSMExtract,
) -> list[dict]:
    """Nodes used by ``edges``: name (junction names/refs), coordinates, kind, OSM ids."""
    cluster_of = {node_id[c]: c for c in clusters.members}
    ins: Counter[str] = Counter()
    outs: Counter[str] = Counter()
    neighbours: dict[str, set[str]] = defaultdict(set)
    ferry_nodes: set[str] = set()
    for rec in edges:
        outs[rec["u"]] += 1
        ins[rec["v"]] += 1
        if not rec["oneway"]:
            outs[rec["v"]] += 1
            ins[rec["u"]] += 1
        neighbours[rec["u"]].add(rec["v"])
        neighbours[rec["v"]].add(rec["u"])
        if rec["mode"] == "ferry":
            ferry_nodes.update((rec["u"], rec["v"]))
    nodes = []
    for nid in sorted(neighbours):
        members = clusters.members[cluster_of[nid]]
        junctions = [extract.junctions[m] for m in members if m in extract.junctions]
        names = sorted({name for name, _ in junctions} - {""})
        refs = sorted({ref for _, ref in junctions} - {""})
        if ins[nid] == 0 or outs[nid] == 0 or len(neighbours[nid]) == 1:
            kind = "dead_end"
        elif nid in ferry_nodes:
            kind = "ferry_terminal"
        else:
            kind = "junction"
        lon, lat = node_xy[cluster_of[nid]]
        nodes.append(
            {
                "id": nid,
                "name": ";".join(names) if names else ";".join(refs),
                "lon": lon,
                "lat": lat,
                "kind": kind,
                "osm_node_ids": ";".join(str(m) for m in members),
            }
        )
    return nodes


def assemble_network(
    arcs: list[Arc],
    clusters: Clusters,
    extract: OSMExtract,
    pieces: PieceTable,
    progress: Callable[[float], None] | None = None,
) -> NetworkTables:
    """Compute ids, coordinates, lengths, geometries and attributes; sort everything.

    Node ids are ``n<smallest OSM node id of the cluster>``. A single-node cluster keeps
    the OSM coordinates; a consolidated junction sits at its cluster centroid (computed in
    EPSG:3035, rounded to 1e-7°). ``length_km`` is the sum of the geodesic lengths of the
    OSM segments the edge replaces plus, where an end is a consolidated junction, the
    geodesic connector from the centroid to the first kept OSM node (reported separately
    as ``connector_km``, so ``length_km - connector_km`` is the pure OSM sum).

    Two-way roads come out as one edge (``oneway=False``, oriented from the smaller to the
    larger node id); one-way carriageways as directed edges. Between two nodes each
    direction keeps its shortest edge (see :func:`_resolve_parallels`; unused edges are
    counted in ``parallel_dropped``), so every ``(u, v)`` is unique. A road edge the loader
    would find implausibly long for its ends is split at a via node
    (:mod:`planner.osm.detours`).
    """
    node_id, node_xy = _node_ids(clusters, extract)
    chosen = _pair_two_way(arcs, node_id)

    def build(arc: Arc, oneway: bool) -> dict:
        return edge_record(arc, oneway, node_id, node_xy, extract.ways, pieces)

    built = []
    for n, (arc, oneway) in enumerate(chosen):
        if progress is not None and n % 5000 == 0:
            progress(n / max(len(chosen), 1))
        built.append((arc, build(arc, oneway)))
    edges, dropped = _resolve_parallels(built, lambda arc: build(arc, True))
    nodes = _node_records(edges, clusters, node_id, node_xy, extract)
    via = split_detours(edges, nodes)
    used_way_ids = {int(w) for rec in edges for w in rec["osm_way_ids"].split(";")}
    used_pieces = {i for rec in edges for i in rec["pieces"]}
    return NetworkTables(nodes, edges, dropped, used_way_ids, used_pieces, via)
