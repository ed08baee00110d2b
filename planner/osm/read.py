"""Streaming readers that reduce an OSM file to the ways, nodes and features the builder needs.

Two readers produce the same :class:`OSMExtract`:

* OSM XML (``.osm``, ``.osm.gz``, ``.osm.bz2``, ``.osm.xz``): the standard library's expat
  parser is fed 1 MiB chunks, so memory stays flat whatever the file size; no DOM or
  ``Element`` objects are built (faster than ``ElementTree.iterparse`` with clearing,
  same streaming behaviour). Two passes: the first keeps the selected ways, junction
  names and candidate sites; the second keeps the coordinates of just the nodes those
  ways reference (OSM files list nodes before ways, so the node ids needed are only
  known after the first pass). The second pass stops at the first ``<way>`` of a sorted
  file.
* PBF (``.osm.pbf``) through **pyosmium** (PyPI ``osmium``, the Python bindings of
  libosmium, maintained by the OSM developers): it is the reference reader for the
  format, installs as a binary wheel (no GDAL/OGR configuration), exposes way node ids
  (GDAL's OSM driver, the other option available offline here through pyogrio, only
  gives way geometries, so junction topology and ``n<osmid>`` node ids would have to be
  guessed from coordinates), and filters in C++ (``KeyFilter``, ``IdFilter``), which
  makes country-sized extracts practical. It is an optional dependency: without it a
  ``.osm.pbf`` raises :class:`~planner.osm.errors.OSMBuildError` explaining how to install
  it or convert the file with ``osmium cat in.osm.pbf -o out.osm``.

Coordinates are normalised to OSM's 1e-7 degree grid in both readers, so an XML file and
its PBF conversion give bit-identical networks.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import xml.parsers.expat
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import shapely

from planner.osm.errors import OSMBuildError
from planner.osm.tags import (
    WayFilter,
    classify_poi,
    classify_way,
    select_poi_tags,
    select_way_tags,
)

__all__ = [
    "OSMExtract",
    "finish_extract",
    "fix_coordinate",
    "OSMFeature",
    "OSMWay",
    "detect_format",
    "read_osm",
]

_CHUNK = 1 << 20
ProgressFn = Callable[[float], None]


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
    """

    ways: list[OSMWay] = field(default_factory=list)
    coords: dict[int, tuple[float, float]] = field(default_factory=dict)
    junctions: dict[int, tuple[str, str]] = field(default_factory=dict)
    features: list[OSMFeature] = field(default_factory=list)
    ways_read: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    missing_refs: int = 0


def fix_coordinate(value: float) -> float:
    """Snap a coordinate to OSM's 1e-7 degree grid (as libosmium stores it)."""
    return round(value * 1e7) / 1e7


def detect_format(path: Path) -> str:
    """Detect the input format from the file's first bytes (not its name).

    Returns
    -------
    str
        ``"osm"``, ``"osm.gz"``, ``"osm.bz2"``, ``"osm.xz"`` or ``"pbf"``.

    Raises
    ------
    OSMBuildError
        If the file is missing, empty or not OSM XML/PBF.
    """
    if not path.is_file():
        raise OSMBuildError(f"OSM input file not found: {path}")
    with path.open("rb") as fh:
        head = fh.read(64)
    if not head:
        raise OSMBuildError(f"OSM input file is empty: {path}")
    if head.startswith(b"\x1f\x8b"):
        return "osm.gz"
    if head.startswith(b"BZh"):
        return "osm.bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "osm.xz"
    if b"OSMHeader" in head[:32]:
        return "pbf"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "osm"
    raise OSMBuildError(
        f"{path} is neither OSM XML (.osm, .osm.gz, .osm.bz2, .osm.xz) nor OSM PBF (.osm.pbf)"
    )


class _Progress:
    """Reports the share of the (compressed) input consumed, at most every 1 %."""

    def __init__(self, fh: BinaryIO, total: int, callback: ProgressFn | None) -> None:
        self._fh = fh
        self._total = max(total, 1)
        self._callback = callback
        self._last = -1.0

    def update(self) -> None:
        if self._callback is None:
            return
        fraction = min(self._fh.tell() / self._total, 1.0)
        if fraction - self._last >= 0.01:
            self._last = fraction
            self._callback(fraction)


def _open_text_stream(raw: BinaryIO, fmt: str) -> BinaryIO:
    if fmt == "osm.gz":
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if fmt == "osm.bz2":
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    if fmt == "osm.xz":
        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    return raw


class _StopParsingError(Exception):
    """Raised from an expat handler to end a pass early."""


def _run_expat(
    path: Path,
    fmt: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None,
    progress: ProgressFn | None,
) -> None:
    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    total = path.stat().st_size
    with path.open("rb") as raw:
        reporter = _Progress(raw, total, progress)
        stream = _open_text_stream(raw, fmt)
        try:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    parser.Parse(b"", True)
                    break
                parser.Parse(chunk, False)
                reporter.update()
        except _StopParsingError:
            pass
        except xml.parsers.expat.ExpatError as exc:
            raise OSMBuildError(f"{path}: malformed OSM XML ({exc})") from exc
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise OSMBuildError(f"{path}: cannot decompress or read the file ({exc})") from exc
    if progress is not None:
        progress(1.0)


def _handle_way(
    extract: OSMExtract,
    way_id: int,
    refs: array,
    tags: dict[str, str] | None,
    way_filter: WayFilter,
) -> None:
    extract.ways_read += 1
    tags = tags or {}
    kind, reason = classify_way(tags, way_filter)
    if kind is None:
        extract.dropped[reason] += 1
    else:
        extract.ways.append(OSMWay(way_id, refs, select_way_tags(tags), kind))
    if ("highway" in tags or "amenity" in tags) and classify_poi(tags) is not None:
        extract.features.append(OSMFeature("w", way_id, select_poi_tags(tags), refs=refs))


def _handle_tagged_node(
    extract: OSMExtract, node_id: int, lon: float, lat: float, tags: dict[str, str]
) -> None:
    if tags.get("highway") == "motorway_junction":
        name, ref = tags.get("name", "").strip(), tags.get("ref", "").strip()
        if name or ref:
            extract.junctions[node_id] = (name, ref)
    if classify_poi(tags) is not None:
        extract.features.append(OSMFeature("n", node_id, select_poi_tags(tags), lon, lat))


def _xml_pass_one(
    path: Path, fmt: str, way_filter: WayFilter, progress: ProgressFn | None
) -> tuple[OSMExtract, bool]:
    extract = OSMExtract()
    kind = 0  # 0 outside, 1 node, 2 way, 3 relation
    cur_id = 0
    cur_lon = cur_lat = ""
    skip = seen_way = False
    tags: dict[str, str] | None = None
    refs: array | None = None
    nodes_sorted = True

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal kind, cur_id, cur_lon, cur_lat, skip, seen_way, tags, refs, nodes_sorted
        if name == "nd":
            if refs is not None:
                refs.append(int(attrs["ref"]))
        elif name == "tag":
            if kind:
                if tags is None:
                    tags = {}
                tags[attrs["k"]] = attrs["v"]
        elif name == "node":
            kind = 1
            cur_id = int(attrs["id"])
            cur_lon = attrs.get("lon", "")
            cur_lat = attrs.get("lat", "")
            skip = attrs.get("action") == "delete" or attrs.get("visible") == "false"
            tags = None
            if seen_way:
                nodes_sorted = False
        elif name == "way":
            kind = 2
            cur_id = int(attrs["id"])
            skip = attrs.get("action") == "delete" or attrs.get("visible") == "false"
            seen_way = True
            tags = None
            refs = array("q")
        elif name == "relation":
            kind = 3
            tags = None

    def end(name: str) -> None:
        nonlocal kind, tags, refs
        if name == "node":
            if tags and not skip and cur_lon and cur_lat:
                lon = fix_coordinate(float(cur_lon))
                lat = fix_coordinate(float(cur_lat))
                _handle_tagged_node(extract, cur_id, lon, lat, tags)
            kind = 0
            tags = None
        elif name == "way":
            if not skip and refs is not None:
                _handle_way(extract, cur_id, refs, tags, way_filter)
            kind = 0
            tags = None
            refs = None
        elif name == "relation":
            kind = 0
            tags = None

    _run_expat(path, fmt, start, end, progress)
    return extract, nodes_sorted


def _needed_nodes(extract: OSMExtract) -> set[int]:
    needed: set[int] = set()
    for way in extract.ways:
        needed.update(way.refs)
    for feature in extract.features:
        if feature.refs is not None:
            needed.update(feature.refs)
    return needed


def _xml_pass_two(
    path: Path,
    fmt: str,
    needed: set[int],
    nodes_sorted: bool,
    progress: ProgressFn | None,
) -> dict[int, tuple[float, float]]:
    coords: dict[int, tuple[float, float]] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "node":
            node_id = int(attrs["id"])
            if node_id in needed and "lon" in attrs and "lat" in attrs:
                if attrs.get("action") == "delete" or attrs.get("visible") == "false":
                    return
                lon, lat = float(attrs["lon"]), float(attrs["lat"])
                coords[node_id] = (fix_coordinate(lon), fix_coordinate(lat))
        elif name == "way" and nodes_sorted:
            raise _StopParsingError

    _run_expat(path, fmt, start, None, progress)
    return coords


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


def _pbf_read(
    path: Path, way_filter: WayFilter, progress: Callable[[str, float], None]
) -> OSMExtract:
    osmium = _pbf_reader_module()
    extract = OSMExtract()
    try:
        progress("read ways", 0.0)
        for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
            tags = way.tags
            if "highway" in tags or "route" in tags or "amenity" in tags:
                tag_dict = {t.k: t.v for t in tags}
                refs = array("q", [n.ref for n in way.nodes])
                _handle_way(extract, way.id, refs, tag_dict, way_filter)
            else:
                extract.ways_read += 1
                extract.dropped["non_highway_way"] += 1
        progress("read ways", 1.0)
        node_filter = osmium.filter.KeyFilter("highway", "amenity")
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(node_filter):
            if not node.location.valid():
                continue
            tag_dict = {t.k: t.v for t in node.tags}
            lon, lat = fix_coordinate(node.location.lon), fix_coordinate(node.location.lat)
            _handle_tagged_node(extract, node.id, lon, lat, tag_dict)
        progress("read tagged nodes", 1.0)
        needed = _needed_nodes(extract)
        coords: dict[int, tuple[float, float]] = {}
        if needed:
            id_filter = osmium.filter.IdFilter(needed)
            for node in osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(id_filter):
                if node.location.valid():
                    location = node.location
                    coords[node.id] = (fix_coordinate(location.lon), fix_coordinate(location.lat))
        extract.coords = coords
        progress("read node locations", 1.0)
    except RuntimeError as exc:
        raise OSMBuildError(f"{path}: cannot read the PBF file ({exc})") from exc
    return extract


def _feature_location(refs: Iterable[int], coords: dict[int, tuple[float, float]]):  # noqa: ANN202
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
    kept_refs = 0
    for way in extract.ways:
        kept_refs += sum(1 for r in way.refs if r not in extract.coords)
    extract.missing_refs = kept_refs
    return extract


def read_osm(
    path: str | os.PathLike[str],
    *,
    way_filter: WayFilter,
    progress: Callable[[str, float], None] | None = None,
) -> tuple[OSMExtract, str]:
    """Stream an OSM file and keep only what the network builder needs.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.gz``, ``.osm.bz2``, ``.osm.xz`` or ``.osm.pbf`` file (detected from
        the file's first bytes, not its name).
    way_filter
        Which ways to keep.
    progress
        Called as ``progress(stage, fraction_of_stage)``.

    Returns
    -------
    extract, fmt
        The reduced data and the detected format.

    Raises
    ------
    OSMBuildError
        On a missing, unreadable or malformed file, or a PBF without pyosmium.
    """
    file_path = Path(path)
    fmt = detect_format(file_path)

    def report(stage: str, fraction: float) -> None:
        if progress is not None:
            progress(stage, fraction)

    if fmt == "pbf":
        extract = _pbf_read(file_path, way_filter, report)
    else:
        extract, nodes_sorted = _xml_pass_one(
            file_path, fmt, way_filter, lambda f: report("read ways", f)
        )
        needed = _needed_nodes(extract)
        extract.coords = _xml_pass_two(
            file_path, fmt, needed, nodes_sorted, lambda f: report("read node locations", f)
        )
    return finish_extract(extract), fmt
