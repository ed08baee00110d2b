"""One output edge from an arc: its geometry, length and the attributes of its OSM ways."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from planner.osm.consolidate import Arc
from planner.osm.extract import OSMWay
from planner.osm.geo import GEOD
from planner.osm.pieces import PieceTable
from planner.osm.tags import parse_speed_kmh

__all__ = ["edge_record", "reverse_items"]


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


def reverse_items(items: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(k, -x if k == 0 else x) for k, x in reversed(items)]


def edge_record(
    arc: Arc,
    oneway: bool,
    node_id: dict[int, str],
    node_xy: dict[int, tuple[float, float]],
    ways: list[OSMWay],
    pieces: PieceTable,
) -> dict:
    """Edge record (columns of the ``edges`` layer plus ``coords``) of ``arc``."""
    points: list[tuple[float, float]] = []
    vertex_ids: list[int | None] = []  # OSM node id of each point, None for a centroid
    lengths: list[float] = []
    connectors: list[float] = []
    way_lengths: dict[int, float] = defaultdict(float)
    way_dirs: dict[int, int] = {}
    for kind, value in arc.items:
        if kind == 1:
            centroid = node_xy[value]
            if not points or points[-1] != centroid:
                if points:
                    d = float(GEOD.inv(points[-1][0], points[-1][1], centroid[0], centroid[1])[2])
                    lengths.append(d)
                    connectors.append(d)
                points.append(centroid)
                vertex_ids.append(None)
            continue
        xy, ids = pieces.coords(value), pieces.vertices(value).tolist()
        first = (float(xy[0, 0]), float(xy[0, 1]))
        if not points or points[-1] != first:
            if points:
                d = float(GEOD.inv(points[-1][0], points[-1][1], first[0], first[1])[2])
                lengths.append(d)
                connectors.append(d)
            points.append(first)
            vertex_ids.append(ids[0])
        points.extend((float(x), float(y)) for x, y in xy[1:])
        vertex_ids.extend(ids[1:])
        i = abs(value) - 1
        piece_length = float(pieces.length_m[i])
        lengths.append(piece_length)
        wi = int(pieces.way_index[i])
        way_lengths[wi] += piece_length
        way_dirs[wi] = 0 if not oneway else (1 if value > 0 else -1)
    u, v = node_xy[arc.u], node_xy[arc.v]
    if points[0] != u:
        points.insert(0, u)
        vertex_ids.insert(0, None)
    if points[-1] != v:
        points.append(v)
        vertex_ids.append(None)

    order = sorted(way_lengths, key=lambda wi: ways[wi].id)
    tags = [ways[wi].tags for wi in order]
    speeds = [(way_lengths[wi], _speed_of(ways[wi].tags, "maxspeed", way_dirs[wi])) for wi in order]
    hgv_speeds = [(way_lengths[wi], _speed_of(ways[wi].tags, "maxspeed:hgv", way_dirs[wi])) for wi in order]
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
        "vertex_ids": vertex_ids,
        "pieces": sorted({abs(value) - 1 for kind, value in arc.items if kind == 0}),
    }
