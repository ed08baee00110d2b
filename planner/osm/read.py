"""Read an OSM file: detect its format, stream it, keep only what the builder needs.

Two readers produce the same :class:`~planner.osm.extract.OSMExtract`: expat for OSM
XML (:mod:`planner.osm.read_xml`) and pyosmium for PBF (:mod:`planner.osm.read_pbf`).
Coordinates are normalised to OSM's 1e-7 degree grid in both readers, so an XML file and
its PBF conversion give bit-identical networks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from planner.osm.errors import OSMInputError
from planner.osm.extract import (
    OSMExtract,
    OSMFeature,
    OSMWay,
    check_locations,
    finish_extract,
    fix_coordinate,
    needed_nodes,
)
from planner.osm.read_pbf import pbf_read
from planner.osm.read_xml import xml_pass_one, xml_pass_two
from planner.osm.tags import WayFilter

__all__ = [
    "OSMExtract",
    "OSMFeature",
    "OSMWay",
    "detect_format",
    "finish_extract",
    "fix_coordinate",
    "read_osm",
]


def detect_format(path: Path) -> str:
    """Detect the input format from the file's first bytes (not its name).

    Returns
    -------
    str
        ``"osm"``, ``"osm.gz"``, ``"osm.bz2"``, ``"osm.xz"`` or ``"pbf"``.

    Raises
    ------
    OSMInputError
        If the file is missing, unreadable, empty or not OSM XML/PBF.
    """
    if path.is_dir():
        raise OSMInputError(f"{path}: is a folder, not an OSM file; give the extract's file path")
    if not path.is_file():
        raise OSMInputError(f"OSM input file not found: {path}; check the path")
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise OSMInputError(f"{path}: cannot read the file ({exc.strerror or exc}); check its permissions") from None
    if not head:
        raise OSMInputError(f"OSM input file is empty: {path}; download or export it again")
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
    raise OSMInputError(
        f"{path} is neither OSM XML (.osm, .osm.gz, .osm.bz2, .osm.xz) nor OSM PBF (.osm.pbf); "
        "give an OpenStreetMap extract (e.g. from Geofabrik)"
    )


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
        On a missing, unreadable or malformed file (:class:`OSMInputError`, naming the
        element at fault), or a PBF without pyosmium.
    """
    file_path = Path(path)
    fmt = detect_format(file_path)

    def report(stage: str, fraction: float) -> None:
        if progress is not None:
            progress(stage, fraction)

    if fmt == "pbf":
        extract = pbf_read(file_path, way_filter, report)
    else:
        extract, nodes_sorted = xml_pass_one(file_path, fmt, way_filter, lambda f: report("read ways", f))
        extract.coords = xml_pass_two(
            file_path,
            fmt,
            needed_nodes(extract),
            nodes_sorted,
            lambda f: report("read node locations", f),
        )
    extract = finish_extract(extract)
    check_locations(extract, file_path)
    return extract, fmt
