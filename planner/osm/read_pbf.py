"""OSM PBF reader (``.osm.pbf``) through pyosmium.

**pyosmium** (PyPI ``osmium``, the Python bindings of libosmium, maintained by the OSM
developers) is the reference reader for the format, installs as a binary wheel (no
GDAL/OGR configuration), exposes way node ids (GDAL's OSM driver, the other option
available offline here through pyogrio, only gives way geometries, so junction topology
and ``n<osmid>`` node ids would have to be guessed from coordinates), and filters in C++
(``KeyFilter``, ``IdFilter``), which makes country-sized extracts practical. It is an
optional dependency: without it a ``.osm.pbf`` raises
:class:`~planner.osm.errors.OSMBuildError` explaining how to install it or convert the
file with ``osmium cat in.osm.pbf -o out.osm``.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from pathlib import Path

from planner.osm.errors import OSMBuildError, OSMInputError
from planner.osm.extract import (
    OSMExtract,
    add_tagged_node,
    add_way,
    needed_nodes,
    parse_location,
)
from planner.osm.tags import WayFilter

__all__ = ["pbf_read"]


def _pbf_reader_module():  # noqa: ANN202 - returns the optional osmium module
    try:
        import osmium
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise OSMBuildError(
            "Reading .osm.pbf needs the optional package 'osmium' (pyosmium): "
            "`pip install osmium`. Alternatively convert the file to OSM XML with "
            "`osmium cat in.osm.pbf -o out.osm` (osmium-tool) and build from that."
        ) from exc
    return osmium


def _location(path: Path, node) -> tuple[float, float]:  # noqa: ANN001 - osmium.osm.Node
    """Validated lon/lat of a PBF node (libosmium marks out-of-range locations invalid)."""
    location = node.location
    if not location.valid():
        raise OSMInputError(
            f"{path}: node {node.id} has an invalid location (lon={location.x / 1e7:g}, "
            f"lat={location.y / 1e7:g}: outside [-180, 180] x [-90, 90] or missing); "
            "fix its coordinates or re-export the extract"
        )
    return parse_location(path, node.id, location.lon, location.lat)


def _read_ways(osmium, path: Path, extract: OSMExtract, way_filter: WayFilter) -> None:  # noqa: ANN001
    for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
        tags = way.tags
        if "highway" in tags or "route" in tags or "amenity" in tags:
            tag_dict = {t.k: t.v for t in tags}
            refs = array("q", [n.ref for n in way.nodes])
            add_way(extract, way.id, refs, tag_dict, way_filter)
        else:
            extract.ways_read += 1
            extract.dropped["non_highway_way"] += 1


def _read_tagged_nodes(osmium, path: Path, extract: OSMExtract) -> None:  # noqa: ANN001
    node_filter = osmium.filter.KeyFilter("highway", "amenity")
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(node_filter):
        lon, lat = _location(path, node)
        add_tagged_node(extract, node.id, lon, lat, {t.k: t.v for t in node.tags})


def _read_locations(osmium, path: Path, needed: set[int]) -> dict[int, tuple[float, float]]:  # noqa: ANN001
    coords: dict[int, tuple[float, float]] = {}
    if not needed:
        return coords
    id_filter = osmium.filter.IdFilter(needed)
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(id_filter):
        coords[node.id] = _location(path, node)
    return coords


def pbf_read(path: Path, way_filter: WayFilter, progress: Callable[[str, float], None]) -> OSMExtract:
    """Three filtered pyosmium passes: ways, tagged nodes, locations of the needed nodes."""
    osmium = _pbf_reader_module()
    extract = OSMExtract()
    try:
        progress("read ways", 0.0)
        _read_ways(osmium, path, extract, way_filter)
        progress("read ways", 1.0)
        _read_tagged_nodes(osmium, path, extract)
        progress("read tagged nodes", 1.0)
        extract.coords = _read_locations(osmium, path, needed_nodes(extract))
        progress("read node locations", 1.0)
    except RuntimeError as exc:
        raise OSMInputError(
            f"{path}: cannot read the PBF file ({exc}); check that it is complete or re-download it"
        ) from None
    return extract
