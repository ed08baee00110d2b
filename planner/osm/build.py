"""``build_network``: OSM data -> planner network GeoPackage (``nodes``, ``edges``, ``sites``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from planner.osm.accounting import account_build
from planner.osm.cache import cache_key, hash_file, load_cached, store_cached
from planner.osm.errors import OSMBuildError
from planner.osm.extract import OSMExtract
from planner.osm.network import build_tables
from planner.osm.options import resolve_source, validate_options
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
BUILD_VERSION = "1"

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
    drive_side: Literal["right", "left"] = "right",
    snap_radius_m: float = 500.0,
    include_ferries: bool = True,
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
        GeoPackage to write (replaced atomically) with layers ``nodes``, ``edges``,
        ``sites`` in EPSG:4326 (columns in ``docs/formats.md``; extra columns:
        nodes ``kind``/``osm_node_ids``, edges ``connector_km``, sites ``snap_m``).
    highway
        ``highway=*`` values kept as roads.
    consolidate_tolerance_m
        Node buffer radius (EPSG:3035 metres) for merging an interchange into one junction:
        nodes closer than about twice this distance, and connected to each other, merge.
        The default of 100 m merges a cloverleaf (consecutive ramp nodes ~100-200 m apart)
        and diamonds/trumpets, while adjacent interchanges (ramps of different junctions
        typically >= 400 m apart) stay separate. Carriageways are never merged (only
        nodes are), and unconnected nearby nodes are split apart again by osmnx. Very
        large directional interchanges may remain a few nodes joined by short edges.
        ``0`` disables consolidation.
    cache_dir
        If given, the built GeoPackage and report are stored under a key made of the
        input file's SHA-256, the parameters and the builder version; a later call with
        the same key just copies the cached file.
    progress
        Called as ``progress(stage, fraction)`` with ``fraction`` the overall progress in
        [0, 1], non-decreasing, ending with ``("done", 1.0)``.
    drive_side
        ``"right"`` (continental Europe) or ``"left"`` (UK, Ireland): a site on a
        carriageway's drive side serves that carriageway.
    snap_radius_m
        Sites farther from every edge are dropped (and listed in the report).
    include_ferries
        Keep ``route=ferry`` ways that connect kept roads (``mode="ferry"`` edges).
    min_fragment_km
        None keeps only the largest weakly connected component; a number also keeps other
        components of at least that many km (islands).

    Returns
    -------
    BuildReport

    Raises
    ------
    OSMBuildError
        On invalid parameters, an unreadable input, or when no selected road is found.
    """
    started = time.perf_counter()
    validate_options(highway, consolidate_tolerance_m, drive_side, snap_radius_m, min_fragment_km)
    out_path = Path(out_path)
    stage = StageProgress(progress)
    parameters = {
        "highway": list(highway),
        "consolidate_tolerance_m": float(consolidate_tolerance_m),
        "drive_side": drive_side,
        "snap_radius_m": float(snap_radius_m),
        "include_ferries": bool(include_ferries),
        "min_fragment_km": min_fragment_km,
        "build_version": BUILD_VERSION,
    }
    report = BuildReport(source=str(source), out_path=str(out_path), parameters=parameters)
    kind, where = resolve_source(source)
    if kind == "file":
        detect_format(where)  # fail fast on a missing or non-OSM file
        stage("hash", 0.0)
        report.cache_key = cache_key(hash_file(where, stage), parameters)
        if cache_dir is not None:
            cached = load_cached(Path(cache_dir), report.cache_key, out_path)
            if cached is not None:
                cached.source, cached.out_path = str(source), str(out_path)
                cached.cache_hit = True
                cached.seconds = time.perf_counter() - started
                stage("done", 1.0)
                return cached
    extract, report.input_format = _read_source(kind, where, parameters, stage)
    build_from_extract(extract, report, out_path, stage)
    stage("done", 1.0)
    report.stage_seconds = dict(stage.seconds)
    report.seconds = time.perf_counter() - started
    if kind == "file" and cache_dir is not None:
        store_cached(Path(cache_dir), report.cache_key, out_path, report)
    return report


def _read_source(
    kind: str, where: Any, parameters: dict[str, Any], stage: StageProgress  # noqa: ANN401
) -> tuple[OSMExtract, str]:
    way_filter = WayFilter(
        highway=tuple(parameters["highway"]), include_ferries=parameters["include_ferries"]
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
    if not extract.ways:
        selected = ", ".join(parameters["highway"])
        raise OSMBuildError(
            f"no way with highway in ({selected}) found in {report.source} "
            f"({extract.ways_read:,} ways read)"
        )
    result = build_tables(
        extract,
        source=report.source,
        tolerance_m=parameters["consolidate_tolerance_m"],
        min_fragment_km=parameters["min_fragment_km"],
        progress=progress,
    )
    progress("sites", 0.0)
    site_result = snap_sites(
        extract.features,
        result.tables.edges,
        drive_side=parameters["drive_side"],
        snap_radius_m=parameters["snap_radius_m"],
    )
    account_build(report, extract, result, site_result)
    progress("write", 0.0)
    nodes_gdf, edges_gdf, sites_gdf = to_frames(result.tables, site_result.sites)
    write_gpkg(out_path, nodes_gdf, edges_gdf, sites_gdf)
    report.node_count = len(nodes_gdf)
    report.edge_count = len(edges_gdf)
    report.oneway_edge_count = int(edges_gdf["oneway"].sum())
    report.site_count = len(sites_gdf)
    report.total_km = round(math.fsum(edges_gdf["length_km"].tolist()), 6)
