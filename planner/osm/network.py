"""Turn an :class:`~planner.osm.read.OSMExtract` into directed junction-to-junction edges.

Pipeline
--------
1. :func:`build_pieces` splits every kept way at the nodes it shares with other ways (and
   at its ends) into *pieces*, with their geodesic lengths (WGS84 ellipsoid, summed per
   OSM segment) and coordinates kept out of the graph in numpy arrays.
2. :func:`build_raw_graph` makes an osmnx-compatible ``MultiDiGraph`` whose edges are
   pieces (both directions for two-way ways, travel direction for one-way ways). Because
   interstitial way vertices never enter the graph, a country fits easily in memory.
3. :func:`prune_dangling` removes ``*_link`` ramps and ferries that lead nowhere (slip
   roads into services or onto roads that were not selected) and :func:`drop_fragments`
   keeps the largest weakly connected component (optionally also big islands).
4. ``osmnx.simplify_graph`` contracts degree-2 chains; the chain's pieces travel along in
   the ``parts`` attribute (aggregated in path order, so no hash-order dependence).
5. ``osmnx.projection.project_graph`` to EPSG:3035 and ``osmnx.consolidate_intersections``
   merge the nodes of one interchange (see :func:`consolidate`).
6. :func:`contract_arcs` contracts the degree-2 nodes consolidation may leave, drops
   self-loops and :func:`assemble_network` pairs the two directions of two-way roads
   into one edge, computes lengths, geometries and attributes, and sorts everything.
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import osmnx as ox
from pyproj import Geod, Transformer

from planner.osm.read import OSMExtract, fix_coordinate
from planner.osm.tags import is_link_highway, parse_speed_kmh, way_direction

__all__ = [
    "Arc",
    "NetworkTables",
    "PieceTable",
    "assemble_network",
    "build_pieces",
    "build_raw_graph",
    "consolidate",
    "contract_arcs",
    "drop_fragments",
    "prune_dangling",
    "simplify",
]

GEOD = Geod(ellps="WGS84")
PROJECTED_CRS = "EPSG:3035"


@functools.lru_cache(maxsize=4)
def get_transformer(source: str, target: str) -> Transformer:
    """Return a cached lon/lat-ordered transformer (creating one costs ~0.1 s)."""
    return Transformer.from_crs(source, target, always_xy=True)


@dataclass
class PieceTable:
    """Way pieces between graph nodes (columnar).

    ``coord_start[i]:coord_start[i + 1]`` indexes piece ``i``'s vertices in ``lon``/``lat``.
    """

    way_index: np.ndarray
    start: np.ndarray
    end: np.ndarray
    length_m: np.ndarray
    coord_start: np.ndarray
    lon: np.ndarray
    lat: np.ndarray

    def __len__(self) -> int:
        return len(self.way_index)

    def coords(self, signed_id: int) -> np.ndarray:
        """Vertices ``(k, 2)`` of piece ``abs(signed_id) - 1``, reversed for a negative id."""
        i = abs(signed_id) - 1
        lo, hi = self.coord_start[i], self.coord_start[i + 1]
        xy = np.column_stack((self.lon[lo:hi], self.lat[lo:hi]))
        return xy[::-1] if signed_id < 0 else xy


def build_pieces(extract: OSMExtract) -> PieceTable:
    """Split kept ways at shared nodes and measure each piece geodesically.

    A node becomes a graph node if it ends a way, or is referenced more than once by the
    kept ways (shared by two ways or revisited by one). Way node references missing from
    the input split the way (the gap is not bridged).
    """
    coords = extract.coords
    runs: list[tuple[int, list[int]]] = []
    for wi, way in enumerate(extract.ways):
        run: list[int] = []
        for ref in way.refs:
            if ref in coords:
                if not run or run[-1] != ref:
                    run.append(ref)
            else:
                if len(run) >= 2:
                    runs.append((wi, run))
                run = []
        if len(run) >= 2:
            runs.append((wi, run))

    counts: Counter[int] = Counter()
    for _, run in runs:
        counts.update(run)
        counts[run[0]] += 1
        counts[run[-1]] += 1
    graph_nodes = {n for n, c in counts.items() if c >= 2}

    way_index: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    coord_start: list[int] = [0]
    node_seq: list[int] = []
    for wi, run in runs:
        piece = [run[0]]
        for ref in run[1:]:
            piece.append(ref)
            if ref in graph_nodes:
                way_index.append(wi)
                starts.append(piece[0])
                ends.append(ref)
                node_seq.extend(piece)
                coord_start.append(len(node_seq))
                piece = [ref]

    xy = np.array([coords[n] for n in node_seq], dtype=np.float64).reshape(-1, 2)
    lon, lat = xy[:, 0].copy(), xy[:, 1].copy()
    offsets = np.asarray(coord_start, dtype=np.int64)
    if len(node_seq) >= 2:
        _, _, seg = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
        seg = np.asarray(seg, dtype=np.float64)
        seg[offsets[1:-1] - 1] = 0.0  # segments that straddle two pieces
        length = np.add.reduceat(seg, offsets[:-1]) if len(offsets) > 1 else np.zeros(0)
    else:
        length = np.zeros(0)
    return PieceTable(
        way_index=np.asarray(way_index, dtype=np.int64),
        start=np.asarray(starts, dtype=np.int64),
        end=np.asarray(ends, dtype=np.int64),
        length_m=np.asarray(length, dtype=np.float64),
        coord_start=offsets,
        lon=lon,
        lat=lat,
    )


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


def _ferry_direction(tags: dict[str, str]) -> int:
    value = tags.get("oneway", "").strip().lower()
    if value in {"yes", "true", "1"}:
        return 1
    if value in {"-1", "reverse"}:
        return -1
    return 0


def _edge_pieces(graph: nx.MultiDiGraph, node: int) -> Iterable[int]:
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
            prunable_way[int(pieces.way_index[abs(p) - 1])] for p in _edge_pieces(graph, node)
        )

    removed: set[int] = set()
    queue = deque(sorted(graph.nodes))
    while queue:
        node = queue.popleft()
        if node not in graph or not prunable(node):
            continue
        removed.update(abs(p) - 1 for p in _edge_pieces(graph, node))
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
        piece_ids = {abs(p) - 1 for n in nodes for p in _edge_pieces(graph, n)}
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


@dataclass
class NetworkTables:
    """Final nodes and edges as plain records (sorted), ready for GeoDataFrames."""

    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    parallel_dropped: int = 0
    used_way_ids: set[int] = field(default_factory=set)


def _speed_of(tags: dict[str, str], key: str, direction: int) -> float | None:
    if direction > 0:
        return parse_speed_kmh(tags.get(f"{key}:forward")) or parse_speed_kmh(tags.get(key))
    if direction < 0:
        return parse_speed_kmh(tags.get(f"{key}:backward")) or parse_speed_kmh(tags.get(key))
    values = [parse_speed_kmh(tags.get(k)) for k in (key, f"{key}:forward", f"{key}:backward")]
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _harmonic_speed(shares: list[tuple[float, float | None]]) -> float:
    """Length-weighted harmonic mean (= speed giving the same travel time), NaN if unknown."""
    known = [(length, speed) for length, speed in shares if speed is not None and length > 0]
    if not known:
        return math.nan
    total = math.fsum(length for length, _ in known)
    hours = math.fsum(length / speed for length, speed in known)
    return round(total / hours, 1) if hours > 0 else math.nan


def _join_values(values: Iterable[str]) -> str:
    out = set()
    for value in values:
        for token in value.split(";"):
            token = token.strip()
            if token:
                out.add(token)
    return ";".join(sorted(out))


def _reverse_items(items: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(k, -x if k == 0 else x) for k, x in reversed(items)]


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
    larger node id); one-way carriageways as directed edges. Of parallel edges with the
    same ends and direction only the shortest is kept (counted in ``parallel_dropped``).
    """
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

    # pair the two directions of two-way roads
    chosen: list[tuple[Arc, bool]] = []
    twoway_groups: dict[tuple, list[Arc]] = defaultdict(list)
    for arc in arcs:
        if arc.oneway:
            chosen.append((arc, True))
        else:
            forward = tuple(arc.items)
            backward = tuple(_reverse_items(arc.items))
            twoway_groups[min(forward, backward)].append(arc)
    for key in sorted(twoway_groups):
        group = twoway_groups[key]
        arc = min(group, key=lambda a: (node_id[a.u], node_id[a.v]))
        if node_id[arc.u] > node_id[arc.v]:
            arc = Arc(arc.v, arc.u, _reverse_items(arc.items), False, arc.mode)
        chosen.append((arc, False))

    ways = extract.ways
    records = []
    for n, (arc, oneway) in enumerate(chosen):
        if progress is not None and n % 5000 == 0:
            progress(n / max(len(chosen), 1))
        records.append(_edge_record(arc, oneway, node_id, node_xy, ways, pieces))

    # keep the shortest of parallel edges
    best: dict[tuple[str, str, bool], dict] = {}
    for rec in records:
        key = (rec["u"], rec["v"], rec["oneway"])
        rank = (rec["length_km"], rec["osm_way_ids"])
        if key not in best or rank < (best[key]["length_km"], best[key]["osm_way_ids"]):
            best[key] = rec
    edges = sorted(best.values(), key=lambda r: (r["u"], r["v"], r["oneway"]))

    used_clusters = set()
    cluster_of = {node_id[c]: c for c in clusters.members}
    ins: Counter[str] = Counter()
    outs: Counter[str] = Counter()
    neighbours: dict[str, set[str]] = defaultdict(set)
    ferry_nodes: set[str] = set()
    for rec in edges:
        used_clusters.update((rec["u"], rec["v"]))
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
    for nid in sorted(used_clusters):
        cluster = cluster_of[nid]
        members = clusters.members[cluster]
        names = sorted({extract.junctions[m][0] for m in members if m in extract.junctions} - {""})
        refs = sorted({extract.junctions[m][1] for m in members if m in extract.junctions} - {""})
        if ins[nid] == 0 or outs[nid] == 0 or len(neighbours[nid]) == 1:
            kind = "dead_end"
        elif nid in ferry_nodes:
            kind = "ferry_terminal"
        else:
            kind = "junction"
        lon, lat = node_xy[cluster]
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
    used_way_ids = {int(w) for rec in edges for w in rec["osm_way_ids"].split(";")}
    return NetworkTables(nodes, edges, len(records) - len(edges), used_way_ids)


def _edge_record(
    arc: Arc,
    oneway: bool,
    node_id: dict[int, str],
    node_xy: dict[int, tuple[float, float]],
    ways: list,
    pieces: PieceTable,
) -> dict:
    points: list[tuple[float, float]] = []
    lengths: list[float] = []
    connectors: list[float] = []
    way_lengths: dict[int, float] = defaultdict(float)
    way_dirs: dict[int, int] = {}
    for kind, value in arc.items:
        if kind == 1:
            centroid = node_xy[value]
            if points and points[-1] != centroid:
                d = float(GEOD.inv(points[-1][0], points[-1][1], centroid[0], centroid[1])[2])
                lengths.append(d)
                connectors.append(d)
                points.append(centroid)
            elif not points:
                points.append(centroid)
            continue
        xy = pieces.coords(value)
        first = (float(xy[0, 0]), float(xy[0, 1]))
        if points and points[-1] != first:
            d = float(GEOD.inv(points[-1][0], points[-1][1], first[0], first[1])[2])
            lengths.append(d)
            connectors.append(d)
            points.append(first)
        elif not points:
            points.append(first)
        points.extend((float(x), float(y)) for x, y in xy[1:])
        i = abs(value) - 1
        piece_length = float(pieces.length_m[i])
        lengths.append(piece_length)
        wi = int(pieces.way_index[i])
        way_lengths[wi] += piece_length
        way_dirs[wi] = 0 if not oneway else (1 if value > 0 else -1)
    u, v = node_xy[arc.u], node_xy[arc.v]
    if points[0] != u:
        points.insert(0, u)
    if points[-1] != v:
        points.append(v)

    order = sorted(way_lengths, key=lambda wi: ways[wi].id)
    tags = [ways[wi].tags for wi in order]
    speeds = [(way_lengths[wi], _speed_of(ways[wi].tags, "maxspeed", way_dirs[wi])) for wi in order]
    hgv_speeds = [
        (way_lengths[wi], _speed_of(ways[wi].tags, "maxspeed:hgv", way_dirs[wi])) for wi in order
    ]
    return {
        "u": node_id[arc.u],
        "v": node_id[arc.v],
        "length_km": math.fsum(lengths) / 1000.0,
        "connector_km": math.fsum(connectors) / 1000.0,
        "oneway": oneway,
        "road": _join_values(t.get("ref", "") for t in tags),
        "int_ref": _join_values(t.get("int_ref", "") for t in tags),
        "maxspeed_kmh": _harmonic_speed(speeds),
        "maxspeed_hgv_kmh": _harmonic_speed(hgv_speeds),
        "hgv": _join_values(t.get("hgv", "") for t in tags),
        "toll": _join_values(t.get("toll:hgv", t.get("toll", "")) for t in tags),
        "highway": _join_values(t.get("highway", "") for t in tags),
        "mode": arc.mode,
        "osm_way_ids": ";".join(str(ways[wi].id) for wi in order),
        "coords": points,
    }
