"""``build_network``: OSM data -> planner network GeoPackage (``nodes``, ``edges``, ``sites``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from planner.osm.accounting import account_build
from planner.osm.cache import cache_key, cache_problem, hash_file, load_cached, store_cached
from planner.osm.drive_side import detect_drive_side
from planner.osm.errors import OSMBuildError
from planner.osm.extract import OSMExtract
from planner.osm.network import build_tables
from planner.osm.options import resolve_source, validate_options
from planner.osm.outfile import check_file_target
from planner.osm.output import to_frames, write_gpkg
from planner.osm.read import detect_format, read_osm
from planner.osm.report import BuildReport, StageProgress
from planner.osm.sites import snap_sites
from planner.osm.tags import DEFAULT_HIGHWAYS, WayFilter

__all__ = [
    "BUILD_VERSION",
    "DEFAULT_CONSOLIDATE_TOLERANCE_M",
    "build_from_extract",
    "build_network",
]

#: Bump when the output of a build changes for the same input and parameters
#: (invalidates cached networks).
BUILD_VERSION = "2"

#: Default node buffer radius for junction consolidation, metres (see ``build_network``).
DEFAULT_CONSOLIDATE_TOLERANCE_M = 100.0


def build_network(
    source: str | Path,
    out_path: Path,
    *,
    highway: tuple[str, ...] = DEFAULT_HIGHWAYS,
    consolidate_tolerance_m: float = DEFAULT_CONSOLIDATE_TOLERANCE_M,
    cache_dir: Path | None = None,
    progress: Callable[[str, float], None] | None = None,
    drive_side: Literal["auto", "right", "left"] = "auto",
    snap_radius_m: float = 500.0,
    include_ferries: bool = True,
    join_via: tuple[str, ...] = (),
    min_fragment_km: float | None = None,
) -> BuildReport:
    """Build a planner network GeoPackage from OpenStreetMap data.

    Parameters
    ----------
    source
        An OSM file (``.osm``, ``.osm.gz``, ``.osm.bz2``, ``.osm.xz``; ``.osm.pbf`` with the
        optional ``osmium`` package), or, online only, ``"bbox:west,south,east,north"``,
        ``"place:<name>"`` or a place name (fetched through osmnx/Overpass).
    out_path
        ``.gpkg`` file to write, with layers ``nodes``, ``edges``, ``sites`` in EPSG:4326
        (columns in ``docs/formats.md``). It must be absent or a GeoPackage the planner
        wrote; it is replaced atomically (see :mod:`planner.osm.outfile`).
    highway
        ``highway=*`` values kept as roads.
    consolidate_tolerance_m
        Node buffer radius (EPSG:3035 metres) for merging an interchange into one junction
        (see :func:`planner.osm.consolidate.consolidate`: a merge must keep the main-road
        km through it). ``0`` disables consolidation.
    cache_dir
        If given, the built GeoPackage and report are stored under a key made of the
        input file's SHA-256, the parameters and the builder version; a later call with
        the same key just copies the cached file.
    progress
        Called as ``progress(stage, fraction)`` with ``fraction`` the overall progress in
        [0, 1], non-decreasing, ending with ``("done", 1.0)``.
    drive_side
        ``"right"``, ``"left"`` or ``"auto"`` (left in GB, IE, IM, the Channel Islands, MT
        and CY, detected from the extract's nodes; see :mod:`planner.osm.drive_side`): a
        site on a carriageway's drive side serves that carriageway.
    snap_radius_m
        Sites farther from every edge are dropped (and listed in the report).
    include_ferries
        Keep ``route=ferry`` ways that connect kept roads (``mode="ferry"`` edges).
    join_via
        ``highway=*`` values read only to join the components of the kept network (e.g.
        the two carriageways of a motorway that meet outside the extract): each other
        component is joined to the largest over the shortest such path, both ways where
        possible (see :mod:`planner.osm.components`). Empty: keep the largest only.
    min_fragment_km
        With ``join_via``: components shorter than this are dropped without being joined.

    Returns
    -------
    BuildReport

    Raises
    ------
    OSMBuildError
        On invalid parameters, an unreadable input, or when no selected road is found.
    OutputError
        If ``out_path`` may not or cannot be written.
    """
    started = time.perf_counter()
    validate_options(highway, consolidate_tolerance_m, drive_side, snap_radius_m, min_fragment_km, join_via)
    parameters = {
        "highway": list(highway),
        "consolidate_tolerance_m": float(consolidate_tolerance_m),
        "drive_side": drive_side,
        "snap_radius_m": float(snap_radius_m),
        "include_ferries": bool(include_ferries),
        "join_via": list(join_via),
        "min_fragment_km": min_fragment_km,
        "build_version": BUILD_VERSION,
    }
    out_path = Path(out_path)
    report = BuildReport(source=str(source), out_path=str(out_path), parameters=parameters)
    check_file_target(Path(out_path).absolute())  # refuse before reading a large file
    kind, where = resolve_source(source)
    stage = StageProgress(progress)
    if kind == "file":
        cached = _try_cache(where, out_path, cache_dir, report, stage)
        if cached is not None:
            cached.seconds = time.perf_counter() - started
            return cached
    extract, report.input_format = _read_source(kind, where, parameters, stage)
    build_from_extract(extract, report, out_path, stage)
    stage("done", 1.0)
    report.stage_seconds = dict(stage.seconds)
    report.seconds = time.perf_counter() - started
    if kind == "file" and cache_dir is not None and not report.cache_note:
        store_cached(Path(cache_dir), report.cache_key, out_path, report)
    return report


def _try_cache(
    path: Path, out_path: Path, cache_dir: Path | None, report: BuildReport, stage: StageProgress
) -> BuildReport | None:
    """Hash the input; on a cache hit copy the cached network and return its report."""
    detect_format(path)  # fail fast on a missing or non-OSM file
    stage("hash", 0.0)
    report.cache_key = cache_key(hash_file(path, stage), report.parameters)
    if cache_dir is None:
        return None
    problem = cache_problem(Path(cache_dir))
    if problem is not None:
        report.cache_note = f"cache not used: {problem}"
        return None
    cached = load_cached(Path(cache_dir), report.cache_key, out_path)
    if cached is None:
        return None
    cached.source, cached.out_path = report.source, report.out_path
    cached.cache_hit = True
    stage("done", 1.0)
    return cached


def _read_source(
    kind: str, where: Any, parameters: dict[str, Any], stage: StageProgress  # noqa: ANN401
) -> tuple[OSMExtract, str]:
    way_filter = WayFilter(
        highway=tuple(parameters["highway"]),
        include_ferries=parameters["include_ferries"],
        join_via=tuple(parameters["join_via"]),
    )
    if kind == "file":
        return read_osm(where, way_filter=way_filter, progress=stage)
    from planner.osm.online import fetch_extract

    return fetch_extract(kind, where, way_filter=way_filter), "overpass"


def build_from_extract(
    extract: OSMExtract, report: BuildReport, out_path: Path, progress: StageProgress
) -> None:
    """Build the network of ``extract`` with ``report.parameters`` and write ``out_path``.

    Raises
    ------
    OSMBuildError
        If the extract holds no selected way or nothing connected is left.
    """
    parameters = report.parameters
    if not any(w.kind != "join" for w in extract.ways):
        selected = ", ".join(parameters["highway"])
        raise OSMBuildError(
            f"no way with highway in ({selected}) found in {report.source} "
            f"({extract.ways_read:,} ways read); check --highway against the file"
        )
    result = build_tables(
        extract,
        source=report.source,
        tolerance_m=parameters["consolidate_tolerance_m"],
        min_fragment_km=parameters["min_fragment_km"],
        progress=progress,
    )
    progress("sites", 0.0)
    report.drive_side = parameters["drive_side"]
    if report.drive_side == "auto":
        report.drive_side = detect_drive_side(extract.coords)
    site_result = snap_sites(
        extract.features,
        result.tables.edges,
        drive_side=report.drive_side,  # type: ignore[arg-type]
        snap_radius_m=parameters["snap_radius_m"],
    )
    account_build(report, extract, result, site_result)
    progress("write", 0.0)
    frames = to_frames(result.tables, site_result.sites)
    write_gpkg(out_path, frames, source=report.source, parameters=parameters)
    nodes_gdf, edges_gdf, sites_gdf = frames
    report.node_count = len(nodes_gdf)
    report.edge_count = len(edges_gdf)
    report.oneway_edge_count = int(edges_gdf["oneway"].sum())
    report.site_count = len(sites_gdf)
    report.total_km = round(math.fsum(edges_gdf["length_km"].tolist()), 6)
