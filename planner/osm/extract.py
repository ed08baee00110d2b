"""What the readers keep from an OSM source: ways, node locations, junctions, sites."""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import shapely

from planner.osm.errors import OSMInputError
from planner.osm.tags import (
    WayFilter,
    classify_poi,
    classify_way,
    select_poi_tags,
    select_way_tags,
)

__all__ = [
    "OSMExtract",
    "OSMFeature",
    "OSMWay",
    "add_tagged_node",
    "check_locations",
    "add_way",
    "finish_extract",
    "fix_coordinate",
    "needed_nodes",
    "parse_location",
]


@dataclass
class OSMWay:
    """A kept way: its id, node ids in order, the tags the builder uses and its kind."""

    id: int
    refs: array
    tags: dict[str, str]
    kind: str


@dataclass
class OSMFeature:
    """A candidate site: an OSM node (``osm_type="n"``) or closed/open way (``"w"``)."""

    osm_type: str
    id: int
    tags: dict[str, str]
    lon: float | None = None
    lat: float | None = None
    refs: array | None = None


@dataclass
class OSMExtract:
    """Everything the network builder needs from an OSM source.

    Attributes
    ----------
    ways
        Kept road and ferry ways, sorted by id.
    coords
        ``node id -> (lon, lat)`` for every node referenced by a kept way.
    junctions
        ``node id -> (name, ref)`` of ``highway=motorway_junction`` nodes.
    features
        Candidate sites, sorted by (type, id), with their location resolved.
    ways_read
        Number of ways in the input.
    dropped
        Ways dropped while reading, by reason.
    missing_refs
        Way node references whose node is not in the input (clipped extracts).
    missing_example
        ``(way id, node id)`` of the first missing reference (by way id), or None.
    """

    ways: list[OSMWay] = field(default_factory=list)
    coords: dict[int, tuple[float, float]] = field(default_factory=dict)
    junctions: dict[int, tuple[str, str]] = field(default_factory=dict)
    features: list[OSMFeature] = field(default_factory=list)
    ways_read: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    missing_refs: int = 0
    missing_example: tuple[int, int] | None = None


def fix_coordinate(value: float) -> float:
    """Snap a coordinate to OSM's 1e-7 degree grid (as libosmium stores it)."""
    return round(value * 1e7) / 1e7


def _coordinate(source: object, node_id: int, name: str, text: str, limit: float) -> float:
    fix = "fix its coordinates (decimal degrees) or re-export the extract"
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise OSMInputError(f"{source}: node {node_id} has {name}={text!r}, which is not a number; {fix}") from None
    if not math.isfinite(value):
        raise OSMInputError(f"{source}: node {node_id} has {name}={text!r}, not a finite number; {fix}")
    if abs(value) > limit:
        raise OSMInputError(f"{source}: node {node_id} has {name}={text!r}, outside [-{limit:g}, {limit:g}]; {fix}")
    return fix_coordinate(value)


def parse_location(
    source: object, node_id: int, lon: str | float | None, lat: str | float | None
) -> tuple[float, float]:
    """Validated ``(lon, lat)`` of a node, snapped to the 1e-7 degree grid.

    Raises
    ------
    OSMInputError
        Naming ``source`` and the node if a coordinate is missing, not a number, not finite
        or out of range (|lon| > 180, |lat| > 90).
    """
    if lon is None or lat is None or lon == "" or lat == "":
        raise OSMInputError(f"{source}: node {node_id} has no lat/lon; add its coordinates or delete the node")
    return (
        _coordinate(source, node_id, "lon", str(lon), 180.0),
        _coordinate(source, node_id, "lat", str(lat), 90.0),
    )


def add_way(
    extract: OSMExtract,
    way_id: int,
    refs: array,
    tags: dict[str, str] | None,
    way_filter: WayFilter,
) -> None:
    """Classify a way read from the input: keep it as a road/ferry and/or a candidate site."""
    extract.ways_read += 1
    tags = tags or {}
    kind, reason = classify_way(tags, way_filter)
    if kind is None:
        extract.dropped[reason] += 1
    else:
        extract.ways.append(OSMWay(way_id, refs, select_way_tags(tags), kind))
    if ("highway" in tags or "amenity" in tags) and classify_poi(tags) is not None:
        extract.features.append(OSMFeature("w", way_id, select_poi_tags(tags), refs=refs))


def add_tagged_node(extract: OSMExtract, node_id: int, lon: float, lat: float, tags: dict[str, str]) -> None:
    """Keep a tagged node if it names a motorway junction or is a candidate site."""
    if tags.get("highway") == "motorway_junction":
        name, ref = tags.get("name", "").strip(), tags.get("ref", "").strip()
        if name or ref:
            extract.junctions[node_id] = (name, ref)
    if classify_poi(tags) is not None:
        extract.features.append(OSMFeature("n", node_id, select_poi_tags(tags), lon, lat))


def needed_nodes(extract: OSMExtract) -> set[int]:
    """Ids of the nodes whose location the kept ways and way features need."""
    needed: set[int] = set()
    for way in extract.ways:
        needed.update(way.refs)
    for feature in extract.features:
        if feature.refs is not None:
            needed.update(feature.refs)
    return needed


def _feature_location(refs: Iterable[int], coords: dict[int, tuple[float, float]]) -> tuple[float, float] | None:
    points = [coords[r] for r in refs if r in coords]
    if not points:
        return None
    if len(points) >= 4 and points[0] == points[-1]:
        geom = shapely.Polygon(points)
        if not geom.is_valid or geom.area == 0:
            geom = shapely.MultiPoint(points[:-1])
    elif len(points) >= 2:
        geom = shapely.LineString(points)
    else:
        geom = shapely.Point(points[0])
    centroid = geom.centroid
    return fix_coordinate(centroid.x), fix_coordinate(centroid.y)


def finish_extract(extract: OSMExtract) -> OSMExtract:
    """Sort ways and features, locate way features at their centroid, count missing nodes."""
    extract.ways.sort(key=lambda w: w.id)
    located = []
    for feature in extract.features:
        if feature.refs is not None:
            where = _feature_location(feature.refs, extract.coords)
            if where is None:
                extract.dropped["site_without_location"] += 1
                continue
            feature.lon, feature.lat = where
            feature.refs = None
        located.append(feature)
    located.sort(key=lambda f: (f.osm_type, f.id))
    extract.features = located
    missing = 0
    for way in extract.ways:
        absent = [r for r in way.refs if r not in extract.coords]
        if absent and extract.missing_example is None:
            extract.missing_example = (way.id, absent[0])
        missing += len(absent)
    extract.missing_refs = missing
    return extract


def check_locations(extract: OSMExtract, source: object) -> None:
    """Refuse an extract whose kept ways reference no node present in the input.

    Some missing nodes are normal (a clipped extract: roads end at the clip); none at all
    means the file holds ways without their nodes.

    Raises
    ------
    OSMInputError
        Naming the first way and one of its missing nodes.
    """
    if not extract.ways or extract.missing_example is None:
        return
    if any(r in extract.coords for way in extract.ways for r in way.refs):
        return
    way_id, node_id = extract.missing_example
    raise OSMInputError(
        f"{source}: way {way_id} references node {node_id}, which is not in the file, and no "
        "selected way has any of its nodes; export the extract with its nodes "
        "(e.g. osmium extract, or JOSM with referenced nodes)"
    )
