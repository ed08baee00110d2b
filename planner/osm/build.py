"""``build_network``: OSM data -> planner network GeoPackage (``nodes``, ``edges``, ``sites``)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import osmnx as ox
import pandas as pd
import shapely

from planner.osm import network
from planner.osm.errors import OSMBuildError
from planner.osm.read import OSMExtract, detect_format, read_osm
from planner.osm.sites import snap_sites
from planner.osm.tags import DEFAULT_HIGHWAYS, WayFilter

__all__ = [
    "DEFAULT_CONSOLIDATE_TOLERANCE_M",
    "BuildReport",
    "build_network",
]

#: Bump when the output of a build changes for the same input and parameters
#: (invalidates cached networks).
BUILD_VERSION = "1"

#: Default node buffer radius for junction consolidation, metres (see ``build_network``).
DEFAULT_CONSOLIDATE_TOLERANCE_M = 100.0

NODE_COLUMNS = ["id", "name", "lon", "lat", "kind", "osm_node_ids"]
EDGE_COLUMNS = [
    "u",
    "v",
    "length_km",
    "connector_km",
    "oneway",
    "road",
    "int_ref",
    "maxspeed_kmh",
    "maxspeed_hgv_kmh",
    "hgv",
    "toll",
    "highway",
    "mode",
    "osm_way_ids",
]
SITE_COLUMNS = [
    "site_id",
    "name",
    "kind",
    "lon",
    "lat",
    "u",
    "v",
    "offset_km",
    "snap_m",
    "locked",
    "existing_power_kw",
    "existing_points",
]

# overall progress fraction at the start of each stage
_STAGES = {
    "hash": 0.0,
    "read ways": 0.03,
    "read tagged nodes": 0.35,
    "read node locations": 0.40,
    "pieces": 0.55,
    "prune": 0.60,
    "simplify": 0.63,
    "consolidate": 0.72,
    "contract": 0.85,
    "assemble": 0.87,
    "sites": 0.93,
    "write": 0.96,
    "done": 1.0,
}
_STAGE_ORDER = list(_STAGES)


@dataclass
class BuildReport:
    """What a build read, kept and dropped.

    Attributes
    ----------
    source, out_path, input_format
        Input (path or online query), output GeoPackage and detected input format.
    cache_key, cache_hit
        Cache key (input file SHA-256 + parameters + builder version) and whether the
        network was copied from the cache.
    ways_read
        Ways in the input.
    ways_kept
        OSM ways that contribute to at least one output edge.
    ferries_kept
        Ferry ways among ``ways_kept``.
    ways_absorbed
        Selected ways that lie entirely inside consolidated junctions (ramps of an
        interchange) or only in dropped parallel edges.
    dropped
        Count by reason. Ways: ``non_highway_way`` (no ``highway`` tag: railways, buildings,
        ...), ``highway_not_selected`` (``highway`` type not in the selection: footways,
        residential, services areas, ...), ``hgv_forbidden``, ``dangling_link_spur``
        (ramps leading only to unselected roads or services), ``ferry_not_connected``,
        ``disconnected_fragment``. Sites: ``site_beyond_snap_radius``, ``site_not_public``,
        ``site_without_location``. Edges: ``self_loop_edge``, ``parallel_edge``.
    dropped_km
        Road km removed as ``dangling_link_spur``/``ferry_not_connected``/
        ``disconnected_fragment``.
    missing_node_refs
        Way node references whose node is not in the input (a clipped extract).
    sites_read
        Candidate features found.
    sites_side_fallback
        Sites snapped to the nearest edge although it is on the wrong side of the road.
    dropped_site_ids
        Ids of the sites beyond the snap radius.
    node_count, edge_count, oneway_edge_count, site_count, total_km
        Output size; ``total_km`` sums ``length_km`` over edges (a two-way road counts once,
        each carriageway of a dual carriageway counts).
    seconds
        Wall time of this call.
    stage_seconds
        Wall time per stage (``hash``, ``read ways``, ..., ``write``).
    parameters
        The build parameters.
    """

    source: str
    out_path: str
    input_format: str = ""
    cache_key: str = ""
    cache_hit: bool = False
    ways_read: int = 0
    ways_kept: int = 0
    ferries_kept: int = 0
    ways_absorbed: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    dropped_km: dict[str, float] = field(default_factory=dict)
    missing_node_refs: int = 0
    sites_read: int = 0
    sites_side_fallback: int = 0
    dropped_site_ids: list[str] = field(default_factory=list)
    node_count: int = 0
    edge_count: int = 0
    oneway_edge_count: int = 0
    site_count: int = 0
    total_km: float = 0.0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildReport:
        """Rebuild a report from :meth:`to_dict` output."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def summary(self) -> str:
        """Return a printable multi-line summary."""
        lines = [
            f"OSM network build: {self.source} -> {self.out_path}",
            f"  input format {self.input_format or '?'}"
            + (" (cache hit)" if self.cache_hit else ""),
            f"  ways: {self.ways_read:,} read, {self.ways_kept:,} kept "
            f"({self.ferries_kept:,} ferries), {self.ways_absorbed:,} absorbed in junctions",
        ]
        if self.dropped:
            lines.append("  dropped:")
            for reason in sorted(self.dropped):
                km = self.dropped_km.get(reason)
                extra = f" ({km:,.1f} km)" if km else ""
                lines.append(f"    {reason}: {self.dropped[reason]:,}{extra}")
        if self.missing_node_refs:
            lines.append(f"  missing node references: {self.missing_node_refs:,}")
        lines.append(
            f"  network: {self.node_count:,} nodes, {self.edge_count:,} edges "
            f"({self.oneway_edge_count:,} one-way), {self.total_km:,.1f} km"
        )
        lines.append(
            f"  sites: {self.site_count:,} of {self.sites_read:,} candidates "
            f"({self.sites_side_fallback:,} snapped against the side rule)"
        )
        timing = ", ".join(f"{k} {v:.1f}" for k, v in self.stage_seconds.items())
        lines.append(f"  {self.seconds:.2f} s" + (f" ({timing})" if timing else ""))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


class _Progress:
    """Maps ``(stage, fraction of stage)`` to a monotone overall fraction."""

    def __init__(self, callback: Callable[[str, float], None] | None) -> None:
        self._callback = callback
        self._last = -1.0
        self._stage: str | None = None
        self._stage_started = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def __call__(self, stage: str, fraction: float = 0.0) -> None:
        if stage != self._stage:
            now = time.perf_counter()
            if self._stage is not None:
                elapsed = now - self._stage_started
                self.seconds[self._stage] = round(self.seconds.get(self._stage, 0.0) + elapsed, 3)
            self._stage, self._stage_started = stage, now
        if self._callback is None:
            return
        start = _STAGES[stage]
        index = _STAGE_ORDER.index(stage)
        stop = _STAGES[_STAGE_ORDER[index + 1]] if index + 1 < len(_STAGE_ORDER) else 1.0
        overall = start + (stop - start) * min(max(fraction, 0.0), 1.0)
        if overall >= self._last:
            self._last = overall
            self._callback(stage, round(overall, 4))


def _hash_file(path: Path, progress: _Progress) -> str:
    digest = hashlib.sha256()
    total = max(path.stat().st_size, 1)
    done = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
            done += len(chunk)
            progress("hash", done / total)
    return digest.hexdigest()


def _resolve_source(source: str | Path) -> tuple[str, Any]:
    if isinstance(source, Path):
        return "file", source
    text = str(source).strip()
    if text.startswith("bbox:"):
        try:
            west, south, east, north = (float(x) for x in text[5:].split(","))
        except ValueError as exc:
            raise OSMBuildError(
                f"bbox source must be 'bbox:west,south,east,north' in degrees, got {text!r}"
            ) from exc
        if not (west < east and south < north):
            raise OSMBuildError(f"bbox must have west < east and south < north: {text!r}")
        return "bbox", (west, south, east, north)
    if text.startswith("place:"):
        return "place", text[6:].strip()
    path = Path(text)
    if path.exists():
        return "file", path
    if re.search(r"\.(osm|pbf|gz|bz2|xz|xml)$", text, re.IGNORECASE) or os.sep in text:
        raise OSMBuildError(f"OSM input file not found: {text}")
    return "place", text


def _validate(
    highway: tuple[str, ...],
    consolidate_tolerance_m: float,
    drive_side: str,
    snap_radius_m: float,
    min_fragment_km: float | None,
) -> None:
    if isinstance(highway, str) or not highway or not all(isinstance(h, str) for h in highway):
        raise OSMBuildError(
            f"highway must be a non-empty tuple of highway=* values, got {highway!r}"
        )
    if not math.isfinite(consolidate_tolerance_m) or consolidate_tolerance_m < 0:
        raise OSMBuildError(
            f"consolidate_tolerance_m must be a finite number >= 0, got {consolidate_tolerance_m}"
        )
    if drive_side not in {"right", "left"}:
        raise OSMBuildError(f"drive_side must be 'right' or 'left', got {drive_side!r}")
    if not math.isfinite(snap_radius_m) or snap_radius_m <= 0:
        raise OSMBuildError(f"snap_radius_m must be a positive number, got {snap_radius_m}")
    if min_fragment_km is not None and (not math.isfinite(min_fragment_km) or min_fragment_km < 0):
        raise OSMBuildError(f"min_fragment_km must be None or >= 0, got {min_fragment_km}")


def _frames(
    tables: network.NetworkTables, sites: list[dict]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    nodes = pd.DataFrame(tables.nodes, columns=NODE_COLUMNS)
    nodes_gdf = gpd.GeoDataFrame(
        nodes, geometry=gpd.points_from_xy(nodes["lon"], nodes["lat"]), crs="EPSG:4326"
    )
    edges = pd.DataFrame(
        [{k: r[k] for k in EDGE_COLUMNS} for r in tables.edges], columns=EDGE_COLUMNS
    )
    edges["oneway"] = edges["oneway"].astype(bool)
    edges_gdf = gpd.GeoDataFrame(
        edges,
        geometry=[shapely.LineString(r["coords"]) for r in tables.edges],
        crs="EPSG:4326",
    )
    site_df = pd.DataFrame(sites, columns=SITE_COLUMNS)
    site_df["locked"] = site_df["locked"].astype(bool)
    site_df["existing_power_kw"] = site_df["existing_power_kw"].astype("float64")
    site_df["existing_points"] = pd.array(
        [
            None if p is None or (isinstance(p, float) and math.isnan(p)) else int(p)
            for p in site_df["existing_points"]
        ],
        dtype="Int64",
    )
    sites_gdf = gpd.GeoDataFrame(
        site_df,
        geometry=gpd.points_from_xy(site_df["lon"], site_df["lat"]),
        crs="EPSG:4326",
    )
    return nodes_gdf, edges_gdf, sites_gdf


def _write_gpkg(
    out_path: Path,
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
) -> None:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.partial.gpkg")
    if tmp.exists():
        tmp.unlink()
    try:
        for name, frame, geometry_type in (
            ("nodes", nodes, "Point"),
            ("edges", edges, "LineString"),
            ("sites", sites, "Point"),
        ):
            frame.to_file(
                tmp, layer=name, driver="GPKG", engine="pyogrio", geometry_type=geometry_type
            )
        os.replace(tmp, out_path)
    except Exception as exc:
        if tmp.exists():
            tmp.unlink()
        if isinstance(exc, OSError):
            raise OSMBuildError(f"cannot write {out_path}: {exc}") from exc
        raise


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
    _validate(highway, consolidate_tolerance_m, drive_side, snap_radius_m, min_fragment_km)
    highway = tuple(highway)
    out_path = Path(out_path)
    report_progress = _Progress(progress)
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
    kind, where = _resolve_source(source)
    way_filter = WayFilter(highway=highway, include_ferries=include_ferries)

    cache_gpkg = cache_json = None
    if kind == "file":
        detect_format(where)  # fail fast on a missing or non-OSM file
        report_progress("hash", 0.0)
        file_hash = _hash_file(where, report_progress)
        key_text = json.dumps(
            {"sha256": file_hash, "osmnx": ox.__version__, **parameters}, sort_keys=True
        )
        report.cache_key = hashlib.sha256(key_text.encode()).hexdigest()[:32]
        if cache_dir is not None:
            cache_dir = Path(cache_dir)
            cache_gpkg = cache_dir / f"{report.cache_key}.gpkg"
            cache_json = cache_dir / f"{report.cache_key}.json"
            if cache_gpkg.is_file() and cache_json.is_file():
                try:
                    cached = BuildReport.from_dict(json.loads(cache_json.read_text()))
                except (ValueError, TypeError):
                    cached = None
                if cached is not None:
                    out_path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.partial.gpkg")
                    shutil.copyfile(cache_gpkg, tmp)
                    os.replace(tmp, out_path)
                    cached.source, cached.out_path = str(source), str(out_path)
                    cached.cache_hit = True
                    cached.seconds = time.perf_counter() - started
                    report_progress("done", 1.0)
                    return cached

    def read_progress(stage: str, fraction: float) -> None:
        report_progress(stage, fraction)

    if kind == "file":
        extract, fmt = read_osm(where, way_filter=way_filter, progress=read_progress)
    else:
        from planner.osm.online import fetch_extract

        extract = fetch_extract(kind, where, way_filter=way_filter)
        fmt = "overpass"
    report.input_format = fmt
    _build_from_extract(
        extract,
        report,
        out_path,
        consolidate_tolerance_m=consolidate_tolerance_m,
        drive_side=drive_side,
        snap_radius_m=snap_radius_m,
        min_fragment_km=min_fragment_km,
        progress=report_progress,
    )
    report_progress("done", 1.0)
    report.stage_seconds = dict(report_progress.seconds)
    report.seconds = time.perf_counter() - started
    if cache_gpkg is not None and cache_json is not None:
        cache_gpkg.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_gpkg.with_name(f".{cache_gpkg.stem}.{os.getpid()}.partial.gpkg")
        shutil.copyfile(out_path, tmp)
        os.replace(tmp, cache_gpkg)
        cache_json.write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    return report


def _build_from_extract(
    extract: OSMExtract,
    report: BuildReport,
    out_path: Path,
    *,
    consolidate_tolerance_m: float,
    drive_side: Literal["right", "left"],
    snap_radius_m: float,
    min_fragment_km: float | None,
    progress: _Progress,
) -> None:
    report.ways_read = extract.ways_read
    dropped: dict[str, int] = dict(extract.dropped)
    report.missing_node_refs = extract.missing_refs
    if not extract.ways:
        selected = ", ".join(report.parameters["highway"])
        raise OSMBuildError(
            f"no way with highway in ({selected}) found in {report.source} "
            f"({extract.ways_read:,} ways read)"
        )

    progress("pieces", 0.0)
    pieces = network.build_pieces(extract)
    graph = network.build_raw_graph(extract, pieces)
    progress("prune", 0.0)
    spur_pieces = network.prune_dangling(graph, extract, pieces)
    fragment_pieces = network.drop_fragments(graph, pieces, min_fragment_km=min_fragment_km)
    if graph.number_of_edges() == 0:
        raise OSMBuildError(
            f"no connected network left in {report.source} after removing dangling ramps "
            "and fragments"
        )
    progress("simplify", 0.0)
    simplified = network.simplify(graph)
    del graph
    progress("consolidate", 0.0)
    arcs, clusters = network.consolidate(simplified, tolerance_m=consolidate_tolerance_m)
    del simplified
    progress("contract", 0.0)
    arcs, self_loops = network.contract_arcs(arcs)
    progress("assemble", 0.0)
    tables = network.assemble_network(
        arcs, clusters, extract, pieces, progress=lambda f: progress("assemble", f)
    )

    # way accounting
    pieces_of_way: dict[int, set[int]] = {}
    for i, wi in enumerate(pieces.way_index.tolist()):
        pieces_of_way.setdefault(wi, set()).add(i)
    gone = spur_pieces | fragment_pieces
    reason_km: dict[str, float] = {}

    def spur_reason(wi: int) -> str:
        return "ferry_not_connected" if extract.ways[wi].kind == "ferry" else "dangling_link_spur"

    for wi, ids in sorted(pieces_of_way.items()):
        if ids <= spur_pieces:
            why = spur_reason(wi)
        elif ids <= gone:
            why = "disconnected_fragment"
        else:
            continue
        dropped[why] = dropped.get(why, 0) + 1
    for i in sorted(gone):
        wi = int(pieces.way_index[i])
        why = spur_reason(wi) if i in spur_pieces else "disconnected_fragment"
        reason_km[why] = reason_km.get(why, 0.0) + float(pieces.length_m[i]) / 1000.0
    ways_without_pieces = sum(1 for wi in range(len(extract.ways)) if wi not in pieces_of_way)
    if ways_without_pieces:
        dropped["way_without_nodes"] = ways_without_pieces
    used = tables.used_way_ids
    report.ways_kept = len(used)
    report.ferries_kept = sum(1 for w in extract.ways if w.kind == "ferry" and w.id in used)
    report.ways_absorbed = sum(
        1
        for wi, ids in pieces_of_way.items()
        if extract.ways[wi].id not in used and not ids <= gone
    )
    if self_loops:
        dropped["self_loop_edge"] = self_loops
    if tables.parallel_dropped:
        dropped["parallel_edge"] = tables.parallel_dropped

    progress("sites", 0.0)
    site_result = snap_sites(
        extract.features, tables.edges, drive_side=drive_side, snap_radius_m=snap_radius_m
    )
    if site_result.beyond_radius:
        dropped["site_beyond_snap_radius"] = len(site_result.beyond_radius)
    if site_result.not_public:
        dropped["site_not_public"] = len(site_result.not_public)
    report.sites_read = len(extract.features) + extract.dropped.get("site_without_location", 0)
    report.sites_side_fallback = len(site_result.side_fallback)
    report.dropped_site_ids = list(site_result.beyond_radius)
    report.dropped = {k: int(v) for k, v in sorted(dropped.items()) if v}
    report.dropped_km = {k: round(v, 3) for k, v in sorted(reason_km.items()) if v}

    progress("write", 0.0)
    nodes_gdf, edges_gdf, sites_gdf = _frames(tables, site_result.sites)
    _write_gpkg(out_path, nodes_gdf, edges_gdf, sites_gdf)
    report.node_count = len(nodes_gdf)
    report.edge_count = len(edges_gdf)
    report.oneway_edge_count = int(edges_gdf["oneway"].sum())
    report.site_count = len(sites_gdf)
    report.total_km = round(math.fsum(edges_gdf["length_km"].tolist()), 6)
