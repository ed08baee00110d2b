"""Long detour edges split at a via node, so the planner's loader accepts every edge.

The loader (:func:`planner.network.network_from_frames`) refuses a road edge whose
``length_km`` exceeds ``max_detour_ratio`` (default 3) times the great-circle distance
between its ends plus 10 km, a guard against swapped coordinates or wrong units. A real
road can be like that between two junctions: a coastal road around a headland that
leaves and rejoins a motorway a few km apart. Such an edge is split at the OSM node of
its geometry nearest to half its length (node ``n<osm id>``, kind ``via``), repeatedly,
until every part passes. Lengths are unchanged (the parts sum to the edge), attributes
are copied to both parts.
"""

from __future__ import annotations

import math

import numpy as np

from planner.osm.geo import GEOD

__all__ = ["DEFAULT_MAX_DETOUR_RATIO", "split_detours"]

#: The loader's default ``network.max_detour_ratio`` and its fixed slack (km).
DEFAULT_MAX_DETOUR_RATIO = 3.0
_SLACK_KM = 10.0
_EARTH_RADIUS_KM = 6371.0088  # as the loader's haversine


def _great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(min(max(h, 0.0), 1.0)))


def _too_long(rec: dict, ratio: float) -> bool:
    ends = rec["coords"][0], rec["coords"][-1]
    return rec["mode"] == "road" and rec["length_km"] > ratio * _great_circle_km(*ends) + _SLACK_KM


def _split(rec: dict) -> tuple[dict, dict, dict] | None:
    """The two halves of ``rec`` and the via node record, or None (no OSM vertex inside)."""
    points, ids = rec["coords"], rec["vertex_ids"]
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    seg = np.asarray(GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])[2], dtype=np.float64)
    connector = np.array([ids[j] is None or ids[j + 1] is None for j in range(len(seg))])
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    inner = [k for k in range(1, len(points) - 1) if ids[k] is not None]
    if not inner:
        return None
    k = min(inner, key=lambda j: (abs(cum[j] - cum[-1] / 2), j))
    via = f"n{ids[k]}"
    parts = []
    for lo, hi, u, v in ((0, k, rec["u"], via), (k, len(points) - 1, via, rec["v"])):
        part = dict(rec, u=u, v=v, coords=points[lo : hi + 1], vertex_ids=ids[lo : hi + 1])
        part["length_km"] = math.fsum(seg[lo:hi]) / 1000.0
        part["connector_km"] = math.fsum(seg[lo:hi][connector[lo:hi]]) / 1000.0
        parts.append(part)
    node = {
        "id": via,
        "name": "",
        "lon": points[k][0],
        "lat": points[k][1],
        "kind": "via",
        "osm_node_ids": str(ids[k]),
    }
    return parts[0], parts[1], node


def split_detours(edges: list[dict], nodes: list[dict], *, max_ratio: float = DEFAULT_MAX_DETOUR_RATIO) -> int:
    """Split, in place, every road edge the loader would find implausibly long.

    Returns
    -------
    int
        The number of via nodes added (edges and nodes stay sorted by id).
    """
    added = 0
    queue = [rec for rec in edges if _too_long(rec, max_ratio)]
    while queue:
        rec = queue.pop()
        halves = _split(rec)
        if halves is None:
            continue
        first, second, node = halves
        edges.remove(rec)
        edges.extend((first, second))
        nodes.append(node)
        added += 1
        queue.extend(part for part in (first, second) if _too_long(part, max_ratio))
    if added:
        edges.sort(key=lambda r: (r["u"], r["v"]))
        nodes.sort(key=lambda n: n["id"])
    return added
