"""The output GeoPackage: layer columns, GeoDataFrames and the write."""

from __future__ import annotations

import math
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from planner.osm.assemble import NetworkTables
from planner.osm.errors import OSMBuildError

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


def to_frames(
    tables: NetworkTables, sites: list[dict]
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


def write_gpkg(
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
