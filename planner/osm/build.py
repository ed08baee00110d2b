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
from planner.osm.options import build_parameters, resolve_source
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
        OSM file (``.osm[.gz|.bz2|.xz]``, ``.osm.pbf`` with ``osmium``) or, online,
        ``"bbox:west,south,east,north"`` / ``"place:<name>"`` (osmnx/Overpass).
    out_path
        ``.gpkg`` to write (layers ``nodes``, ``edges``, ``sites``; ``docs/formats.md``):
        absent or written by the planner before (:mod:`planner.osm.outfile`).
    highway
        ``highway=*`` values kept as roads.
    consolidate_tolerance_m
        Node buffer radius (EPSG:3035 m) merging an interchange into one junction, if the
        merge keeps the main-road km (:func:`planner.osm.consolidate.consolidate`); 0: off.
    cache_dir
        Store/reuse the built file by input SHA-256 and parameters (:mod:`~.cache`).
    progress
        ``progress(stage, fraction)``, fraction non-decreasing to ``("done", 1.0)``.
    drive_side
        ``"right"``, ``"left"`` or ``"auto"`` (from the extract's location,
        :mod:`planner.osm.drive_side`): a site on a carriageway's drive side serves it.
    snap_radius_m
        Sites farther from every edge are dropped (and listed in the report).
    include_ferries
        Keep ``route=ferry`` ways that connect kept roads (``mode="ferry"`` edges).
    join_via
        ``highway=*`` values read only to join the other components to the largest (e.g.
        carriageways meeting outside the extract; :mod:`planner.osm.components`). Empty:
        keep the largest component only (the others are reported with their km).
    min_fragment_km
        With ``join_via``: components shorter than this are dropped, not joined.

    Returns
    -------
    BuildReport

    Raises
    ------
    OSMBuildError
        Invalid parameters, unusable input (:class:`OSMInputError`), no selected road.
    OutputError
        If ``out_path`` may not or cannot be written.
    """
    started = time.perf_counter()
    settings = (highway, consolidate_tolerance_m, drive_side, snap_radius_m, include_ferries, join_via, min_fragment_km)
    parameters = build_parameters(*settings, BUILD_VERSION)
    out_path = Path(out_path)
    report = BuildReport(source=str(source), out_path=str(out_path), parameters=parameters)
    check_file_target(out_path.absolute())  # refuse before reading a large file
    kind, where = resolve_source(source)
    stage = StageProgress(progress)
    cached = _try_cache(where, out_path, cache_dir, report, stage) if kind == "file" else None
    if cached is not None:
        cached.seconds = time.perf_counter() - started
        return cached
    extract, report.input_format = _read_source(kind, where, parameters, stage)
    build_from_extract(extract, report, out_path, stage)
    stage("done", 1.0)
    report.stage_seconds, report.seconds = dict(stage.seconds), time.perf_counter() - started
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
    kind: str,
    where: Any,  # noqa: ANN401
    parameters: dict[str, Any],
    stage: StageProgress,
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


def build_from_extract(extract: OSMExtract, report: BuildReport, out_path: Path, progress: StageProgress) -> None:
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
