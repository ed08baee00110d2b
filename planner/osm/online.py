"""Fetch a network through osmnx/Overpass (online only) and convert it to an OSMExtract.

osmnx keeps only the tags listed in ``ox.settings.useful_tags_way``/``useful_tags_node``
and, by default, rewrites ``oneway``. There is no streaming pass to recover the other
tags from here, so :func:`osmnx_settings` sets ``all_oneway=True`` (ways are added in
node order with their original ``oneway`` value) and adds the builder's tag keys, then
restores the previous settings in a ``finally`` block (under a lock; other threads that
use osmnx concurrently may still observe the temporary settings). The conversion itself,
:func:`extract_from_osmnx`, is tested offline with ``graph_from_xml``/``features_from_xml``.
"""

from __future__ import annotations

import threading
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import osmnx as ox
import pandas as pd

from planner.osm.errors import OSMBuildError
from planner.osm.extract import (
    OSMExtract,
    OSMFeature,
    OSMWay,
    finish_extract,
    fix_coordinate,
    parse_location,
)
from planner.osm.tags import (
    WAY_TAG_KEYS,
    WayFilter,
    classify_poi,
    classify_way,
    select_poi_tags,
    select_way_tags,
)

__all__ = ["POI_QUERY_TAGS", "extract_from_osmnx", "fetch_extract", "osmnx_settings"]

#: ``tags`` argument for ``osmnx.features_from_*``: candidate sites.
POI_QUERY_TAGS: dict[str, list[str]] = {
    "highway": ["services", "rest_area"],
    "amenity": ["fuel", "charging_station"],
}
_NODE_TAGS = ("highway", "name", "ref")
_SETTINGS_LOCK = threading.Lock()


@contextmanager
def osmnx_settings() -> Iterator[None]:
    """Temporarily make osmnx keep raw way direction and the tags the builder needs."""
    settings = ox.settings
    with _SETTINGS_LOCK:
        saved = (
            settings.all_oneway,
            list(settings.useful_tags_way),
            list(settings.useful_tags_node),
        )
        try:
            settings.all_oneway = True
            settings.useful_tags_way = sorted(set(saved[1]) | set(WAY_TAG_KEYS))
            settings.useful_tags_node = sorted(set(saved[2]) | set(_NODE_TAGS))
            yield
        finally:
            settings.all_oneway, settings.useful_tags_way, settings.useful_tags_node = (
                saved[0],
                saved[1],
                saved[2],
            )


def _custom_filter(way_filter: WayFilter) -> list[str]:
    classes = sorted(set(way_filter.highway) | set(way_filter.join_via))
    filters = ['["highway"~"^(' + "|".join(classes) + ')$"]']
    if way_filter.include_ferries:
        filters.append('["route"="ferry"]')
    return filters


def _way_sequences(pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Rebuild node sequences from a way's directed segments."""
    succ: dict[int, list[int]] = defaultdict(list)
    indeg: Counter[int] = Counter()
    for u, v in pairs:
        succ[u].append(v)
        indeg[v] += 1
    for targets in succ.values():
        targets.sort()
    remaining = sum(len(t) for t in succ.values())
    sequences = []
    while remaining:
        starts = sorted(n for n in succ if succ[n] and indeg[n] == 0) or sorted(n for n in succ if succ[n])
        node = starts[0]
        seq = [node]
        while succ.get(node):
            nxt = succ[node].pop(0)
            indeg[nxt] -= 1
            remaining -= 1
            seq.append(nxt)
            node = nxt
        sequences.append(seq)
    return sequences


def _scalar_tags(row: pd.Series) -> dict[str, str]:
    tags = {}
    for key, value in row.items():
        if key == "geometry" or value is None:
            continue
        if isinstance(value, float) and pd.isna(value):
            continue
        if isinstance(value, list | dict):
            continue
        tags[str(key)] = str(value)
    return tags


def extract_from_osmnx(
    graph: Any,  # noqa: ANN401 - networkx.MultiDiGraph
    features: Any,  # noqa: ANN401 - geopandas.GeoDataFrame or None
    *,
    way_filter: WayFilter,
) -> OSMExtract:
    """Convert an unsimplified osmnx graph (built under :func:`osmnx_settings`) and features.

    Parameters
    ----------
    graph
        ``MultiDiGraph`` from ``graph_from_*(..., simplify=False, retain_all=True)``
        created inside :func:`osmnx_settings`.
    features
        ``GeoDataFrame`` from ``features_from_*(..., tags=POI_QUERY_TAGS)`` or None.
    way_filter
        Selection applied to the ways (the same rules as the file readers).
    """
    extract = OSMExtract()
    pairs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    way_tags: dict[int, dict[str, str]] = {}
    for u, v, data in graph.edges(data=True):
        way_id = int(data["osmid"])
        pairs[way_id].append((int(u), int(v)))
        if way_id not in way_tags:
            way_tags[way_id] = {k: str(data[k]) for k in WAY_TAG_KEYS if k in data and not isinstance(data[k], list)}
    for node, data in graph.nodes(data=True):
        extract.coords[int(node)] = parse_location("osmnx graph", int(node), data.get("x"), data.get("y"))
        if data.get("highway") == "motorway_junction":
            name, ref = str(data.get("name", "")).strip(), str(data.get("ref", "")).strip()
            if name or ref:
                extract.junctions[int(node)] = (name, ref)
    for way_id in sorted(pairs):
        tags = way_tags[way_id]
        extract.ways_read += 1
        kind, reason = classify_way(tags, way_filter)
        if kind is None:
            extract.dropped[reason] += 1
            continue
        reverse = tags.get("oneway", "").strip().lower() in {"-1", "reverse", "t"}
        for seq in _way_sequences(pairs[way_id]):
            refs = seq[::-1] if reverse else seq
            extract.ways.append(OSMWay(way_id, array("q", refs), select_way_tags(tags), kind))
    _add_features(extract, features)
    return finish_extract(extract)


def _add_features(extract: OSMExtract, features: Any) -> None:  # noqa: ANN401 - GeoDataFrame
    if features is not None and len(features):
        for index, row in features.iterrows():
            element, osm_id = index if isinstance(index, tuple) else ("node", index)
            if element not in {"node", "way"}:
                continue
            tags = _scalar_tags(row)
            if classify_poi(tags) is None:
                continue
            centroid = row.geometry.centroid
            extract.features.append(
                OSMFeature(
                    "n" if element == "node" else "w",
                    int(osm_id),
                    select_poi_tags(tags),
                    fix_coordinate(centroid.x),
                    fix_coordinate(centroid.y),
                )
            )


def fetch_extract(kind: str, where: Any, *, way_filter: WayFilter) -> OSMExtract:  # noqa: ANN401
    """Download the selected ways and candidate sites through osmnx (needs internet).

    Parameters
    ----------
    kind
        ``"bbox"`` (``where`` = ``(west, south, east, north)``) or ``"place"`` (a name).
    where
        The bbox or place query.
    way_filter
        Which ways to download (``custom_filter`` Overpass QL built from it).
    """
    custom_filter = _custom_filter(way_filter)
    network_kwargs = {
        "custom_filter": custom_filter,
        "simplify": False,
        "retain_all": True,
        "truncate_by_edge": True,
    }
    try:
        with osmnx_settings():
            if kind == "bbox":
                graph = ox.graph_from_bbox(where, **network_kwargs)
            else:
                graph = ox.graph_from_place(where, **network_kwargs)
            try:
                if kind == "bbox":
                    features = ox.features_from_bbox(where, tags=POI_QUERY_TAGS)
                else:
                    features = ox.features_from_place(where, tags=POI_QUERY_TAGS)
            except ox._errors.InsufficientResponseError:
                features = None  # no candidate sites in the area
    except ox._errors.InsufficientResponseError as exc:
        raise OSMBuildError(f"OSM download for {where!r} returned no roads: {exc}") from exc
    except (ConnectionError, OSError, ValueError, TypeError) as exc:
        raise OSMBuildError(
            f"cannot fetch {where!r} through osmnx/Overpass ({exc}); this needs internet "
            "access: download an extract and pass the file instead"
        ) from exc
    return extract_from_osmnx(graph, features, way_filter=way_filter)
