"""The output GeoPackage: layer columns, GeoDataFrames, finiteness checks and the write."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.osm.assemble import NetworkTables
from planner.osm.errors import OSMBuildError
from planner.osm.outfile import mark_gpkg, staged_file

__all__ = ["EDGE_COLUMNS", "NODE_COLUMNS", "SITE_COLUMNS", "to_frames", "write_gpkg"]

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


def to_frames(tables: NetworkTables, sites: list[dict]) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    nodes = pd.DataFrame(tables.nodes, columns=NODE_COLUMNS)
    nodes_gdf = gpd.GeoDataFrame(nodes, geometry=gpd.points_from_xy(nodes["lon"], nodes["lat"]), crs="EPSG:4326")
    edges = pd.DataFrame([{k: r[k] for k in EDGE_COLUMNS} for r in tables.edges], columns=EDGE_COLUMNS)
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
        [None if p is None or (isinstance(p, float) and math.isnan(p)) else int(p) for p in site_df["existing_points"]],
        dtype="Int64",
    )
    sites_gdf = gpd.GeoDataFrame(
        site_df,
        geometry=gpd.points_from_xy(site_df["lon"], site_df["lat"]),
        crs="EPSG:4326",
    )
    return nodes_gdf, edges_gdf, sites_gdf


def _check_finite(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, source: str) -> None:
    """Never write a node without finite coordinates or an edge without a positive length."""
    bad = ~(np.isfinite(nodes["lon"].to_numpy(float)) & np.isfinite(nodes["lat"].to_numpy(float)))
    if bad.any():
        raise OSMBuildError(
            f"{source}: node {nodes['id'].iloc[int(np.flatnonzero(bad)[0])]} has no "
            "finite coordinates; check the input nodes"
        )
    length = edges["length_km"].to_numpy(float)
    bad = ~(np.isfinite(length) & (length > 0))
    if bad.any():
        row = edges.iloc[int(np.flatnonzero(bad)[0])]
        raise OSMBuildError(
            f"{source}: edge {row['u']}-{row['v']} (ways {row['osm_way_ids']}) has length_km="
            f"{row['length_km']}; check those ways' nodes (duplicate or missing locations)"
        )


def write_gpkg(
    out_path: Path,
    frames: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame],
    *,
    source: str,
    parameters: dict,
) -> None:
    """Write the three layers and the planner marker, atomically (see :mod:`outfile`).

    Raises
    ------
    OutputError
        If ``out_path`` may not or cannot be written.
    OSMBuildError
        If a node or edge is not finite (never written).
    """
    nodes, edges, sites = frames
    _check_finite(nodes, edges, source)
    with staged_file(out_path) as tmp:
        for name, frame, geometry_type in (
            ("nodes", nodes, "Point"),
            ("edges", edges, "LineString"),
            ("sites", sites, "Point"),
        ):
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio", geometry_type=geometry_type)
        mark_gpkg(tmp, "osm-network", source=source, parameters=parameters)
