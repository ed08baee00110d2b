"""Candidate hub sites from OSM features, snapped to the directed network.

Side-of-road rule
-----------------
A site on a one-way edge (a carriageway) serves only that edge's direction of travel, so
it must be snapped to the carriageway it is reachable from: the one on whose
*drive side* it lies. With ``drive_side="right"`` (continental Europe) a site south of an
eastbound carriageway serves the eastbound carriageway, a site north of the westbound one
serves the westbound one; with ``"left"`` (GB, IE, IM, the Channel Islands, MT, CY:
services on the left of the direction of travel) the other way round. Sides are decided
in EPSG:3035 by the sign of the cross product between the direction of the nearest
segment and the vector to the site. A two-way edge serves both sides. Among the edges
within ``snap_radius_m``, the nearest side-matching edge wins; if none matches (e.g. a
services area mapped as one polygon straddling the median) the nearest edge within the
radius is used and the site is counted as a side fallback. Sites with no edge within
the radius are dropped and reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import shapely

from planner.osm.extract import OSMFeature
from planner.osm.geo import PROJECTED_CRS, get_transformer
from planner.osm.tags import classify_poi, parse_points

__all__ = ["SiteResult", "snap_sites"]

DriveSide = Literal["right", "left"]


@dataclass
class SiteResult:
    """Snapped sites (sorted by ``site_id``) and what could not be snapped."""

    sites: list[dict] = field(default_factory=list)
    beyond_radius: list[str] = field(default_factory=list)
    not_public: list[str] = field(default_factory=list)
    side_fallback: list[str] = field(default_factory=list)


def _side_of(line_xy: np.ndarray, along: float, point: tuple[float, float]) -> float:
    """Cross product sign of the site relative to the segment at distance ``along``."""
    seg = np.diff(line_xy, axis=0)
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate(([0.0], np.cumsum(seg_len)))
    k = int(np.searchsorted(cum, along, side="right")) - 1
    k = min(max(k, 0), len(seg) - 1)
    # skip zero-length segments
    while seg_len[k] == 0 and k > 0:
        k -= 1
    x0, y0 = line_xy[k]
    dx, dy = seg[k]
    return float(dx * (point[1] - y0) - dy * (point[0] - x0))


class _RoadIndex:
    """Road edges (never ferries) projected to EPSG:3035 in an STR-tree."""

    def __init__(self, edges: list[dict], drive_side: DriveSide, snap_radius_m: float) -> None:
        to_proj = get_transformer("EPSG:4326", PROJECTED_CRS)
        self.edges = [rec for rec in edges if rec.get("mode", "road") != "ferry"]
        self.xy: list[np.ndarray] = []
        self.lines: list[shapely.LineString] = []
        for rec in self.edges:
            lonlat = np.asarray(rec["coords"], dtype=np.float64)
            px, py = to_proj.transform(lonlat[:, 0], lonlat[:, 1])
            self.xy.append(np.column_stack((px, py)))
            self.lines.append(shapely.LineString(self.xy[-1]))
        self.tree = shapely.STRtree(self.lines) if self.lines else None
        self.sign = -1.0 if drive_side == "right" else 1.0
        self.radius = snap_radius_m

    def nearest(self, x: float, y: float) -> tuple[bool, float, int, float] | None:
        """``(wrong side, distance m, edge index, metres along)`` of the best edge, or None.

        The nearest edge on the drive side wins; if none is within the radius, the
        nearest edge on the wrong side (``wrong side`` True).
        """
        if self.tree is None:
            return None
        point = shapely.Point(x, y)
        found = self.tree.query(point, predicate="dwithin", distance=self.radius)
        scored = []
        for idx in sorted(int(i) for i in found):
            line = self.lines[idx]
            dist = float(line.distance(point))
            if dist > self.radius:
                continue
            along = float(line.project(point))
            matches = True
            if self.edges[idx]["oneway"]:
                matches = _side_of(self.xy[idx], along, (x, y)) * self.sign >= 0.0
            scored.append((not matches, dist, idx, along))
        return min(scored) if scored else None


def _site_record(feature: OSMFeature, kind: str, rec: dict, fraction: float, dist: float) -> dict:
    power, points = parse_points(feature.tags) if kind == "existing_charger" else (None, None)
    tags = feature.tags
    return {
        "site_id": f"osm-{feature.osm_type}{feature.id}",
        "name": tags.get("name") or tags.get("brand") or tags.get("operator", ""),
        "kind": kind,
        "lon": feature.lon,
        "lat": feature.lat,
        "u": rec["u"],
        "v": rec["v"],
        "offset_km": round(min(max(fraction, 0.0), 1.0) * rec["length_km"], 6),
        "snap_m": round(dist, 1),
        "locked": kind == "existing_charger",
        "existing_power_kw": math.nan if power is None else float(power),
        "existing_points": points,
    }


def snap_sites(
    features: list[OSMFeature],
    edges: list[dict],
    *,
    drive_side: DriveSide = "right",
    snap_radius_m: float = 500.0,
) -> SiteResult:
    """Snap candidate sites to the nearest edge on the correct side of the road.

    Parameters
    ----------
    features
        Candidate features with resolved ``lon``/``lat``.
    edges
        Edge records with ``u``, ``v``, ``oneway``, ``mode``, ``length_km`` and ``coords``
        (WGS84 vertex list, travel direction ``u`` -> ``v``). Ferry edges are never used.
    drive_side
        ``"right"`` (continental Europe) or ``"left"`` (GB, IE, IM, Channel Islands, MT, CY;
        see :mod:`planner.osm.drive_side`).
    snap_radius_m
        Sites farther than this from every edge are dropped.

    Returns
    -------
    SiteResult
    """
    result = SiteResult()
    to_proj = get_transformer("EPSG:4326", PROJECTED_CRS)
    roads = _RoadIndex(edges, drive_side, snap_radius_m)
    for feature in features:
        kind = classify_poi(feature.tags)
        if kind is None or feature.lon is None or feature.lat is None:
            continue
        site_id = f"osm-{feature.osm_type}{feature.id}"
        if feature.tags.get("access") in {"private", "no"}:
            result.not_public.append(site_id)
            continue
        best = roads.nearest(*to_proj.transform(feature.lon, feature.lat))
        if best is None:
            result.beyond_radius.append(site_id)
            continue
        mismatched, dist, idx, along = best
        if mismatched:
            result.side_fallback.append(site_id)
        total = roads.lines[idx].length
        fraction = along / total if total > 0 else 0.0
        result.sites.append(_site_record(feature, kind, roads.edges[idx], fraction, dist))
    result.sites.sort(key=lambda s: s["site_id"])
    return result
