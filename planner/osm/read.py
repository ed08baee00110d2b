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

from planner.osm.errors import OSMBuildError
from planner.osm.extract import (
    OSMExtract,
    OSMFeature,
    OSMWay,
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
        extract = pbf_read(file_path, way_filter, report)
    else:
        extract, nodes_sorted = xml_pass_one(
            file_path, fmt, way_filter, lambda f: report("read ways", f)
        )
        extract.coords = xml_pass_two(
            file_path,
            fmt,
            needed_nodes(extract),
            nodes_sorted,
            lambda f: report("read node locations", f),
        )
    return finish_extract(extract), fmt
