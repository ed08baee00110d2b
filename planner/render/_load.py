"""Read a run folder (see ``docs/formats.md``) into plain pandas/geopandas objects.

Everything optional may be missing: a layer, a file, a column. Readers return empty
frames or ``None`` rather than raising, so the renderers can draw what exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely.geometry import LineString, MultiLineString

from planner.exports.geometry import edge_volumes
from planner.plan import kpi_year_factor
from planner.runfolder import read_run_csv, read_summary

WGS84 = "EPSG:4326"
_ID_COLUMNS = (
    "site_id",
    "name",
    "node_or_edge",
    "country",
    "tier",
    "flow_id",
    "origin",
    "destination",
    "route_nodes",
    "stops",
    "stops_km",
    "u",
    "v",
    "corridor",
    "road",
    "mode",
)
_TRUE = {"true", "1", "yes", "y", "t"}


@dataclass
class RunData:
    """Everything the renderers need from one run folder.

    Attributes
    ----------
    run_dir : Path
        The run folder.
    summary : dict
        Parsed ``summary.json`` (empty if absent).
    hubs : geopandas.GeoDataFrame
        One row per open hub (EPSG:4326 points), columns as in ``hubs.csv``;
        ``locked`` is normalised to bool.
    flows : pandas.DataFrame
        Columns of ``flows.csv``; ``served`` normalised to bool, ``volume`` to float.
    network : geopandas.GeoDataFrame or None
        Layer ``network`` (lines) with ``served_volume``/``unserved_volume`` (trucks/day) as the
        run wrote them, or added by :func:`aggregate_edge_flows` where the layer lacks them.
    afir_gaps : geopandas.GeoDataFrame or None
        Optional layer ``afir_gaps``.
    flow_lines : geopandas.GeoDataFrame or None
        Route lines, read only when flows could not be aggregated onto the network.
    hourly : pandas.DataFrame or None
        ``hub_hourly.csv`` of an hourly-sized run (one row per hub and hour 0–23, numeric columns
        as floats, sorted by ``site_id`` and ``hour``); ``None`` when absent or unusable.
    """

    run_dir: Path
    summary: dict[str, Any] = field(default_factory=dict)
    hubs: gpd.GeoDataFrame = field(default_factory=lambda: _empty_points())
    flows: pd.DataFrame = field(default_factory=pd.DataFrame)
    network: gpd.GeoDataFrame | None = None
    afir_gaps: gpd.GeoDataFrame | None = None
    flow_lines: gpd.GeoDataFrame | None = None
    hourly: pd.DataFrame | None = None

    @property
    def label(self) -> str:
        """Short name of the run: the scenario name, else the folder name."""
        name = self.summary.get("scenario")
        return str(name) if name not in (None, "") else self.run_dir.name

    @property
    def title_label(self) -> str:
        """Name for titles of a single run: the scenario name, else ``"plan"``.

        Not the folder name: ``planner run`` renders inside a temporary folder.
        """
        name = self.summary.get("scenario")
        return str(name) if name not in (None, "") else "plan"


def _empty_points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"site_id": pd.Series(dtype=str)}, geometry=[], crs=WGS84)


def as_bool(values: pd.Series) -> pd.Series:
    """Normalise ``true``/``false``/1/0/bool/NaN values to a bool Series (NaN -> False)."""

    def conv(x: object) -> bool:
        if isinstance(x, bool | np.bool_):
            return bool(x)
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return False
        if isinstance(x, int | float | np.integer | np.floating):
            return bool(x)
        return str(x).strip().lower() in _TRUE

    return values.map(conv).astype(bool)


def _read_csv(path: Path) -> pd.DataFrame | None:
    if not path.is_file() or path.stat().st_size == 0:
        return None
    dtypes = dict.fromkeys(_ID_COLUMNS, str)
    # keep "NA" (Namibia) etc. as text in id columns, but empty cells as NaN
    return read_run_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""])


def _layers(gpkg: Path) -> set[str]:
    if not gpkg.is_file():
        return set()
    try:
        return {str(row[0]) for row in pyogrio.list_layers(gpkg)}
    except Exception:  # unreadable file: behave as if it were absent
        return set()


def _read_layer(run_dir: Path, name: str, layers: set[str]) -> gpd.GeoDataFrame | None:
    """Read layer ``name`` from plan.gpkg, else ``<name>.geojson``; ``None`` if absent."""
    gdf: gpd.GeoDataFrame | None = None
    if name in layers:
        gdf = gpd.read_file(run_dir / "plan.gpkg", layer=name, engine="pyogrio")
    elif (run_dir / f"{name}.geojson").is_file():
        gdf = gpd.read_file(run_dir / f"{name}.geojson", engine="pyogrio")
    if gdf is None:
        return None
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    elif not gdf.crs.equals(WGS84):
        gdf = gdf.to_crs(WGS84)
    for col in _ID_COLUMNS:
        if col in gdf.columns:
            gdf[col] = gdf[col].map(lambda x: x if x is None or isinstance(x, str) else str(x))
    return gdf


def _load_hubs(run_dir: Path, layers: set[str]) -> gpd.GeoDataFrame:
    df = _read_csv(run_dir / "hubs.csv")
    if df is not None and {"lon", "lat"} <= set(df.columns):
        hubs = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=WGS84)
    else:
        hubs = _read_layer(run_dir, "hubs", layers)
        if hubs is None:
            return _empty_points()
        if "lon" not in hubs.columns:
            hubs["lon"] = hubs.geometry.x
            hubs["lat"] = hubs.geometry.y
    if "site_id" not in hubs.columns:
        hubs["site_id"] = [f"hub-{i}" for i in range(len(hubs))]
    hubs["site_id"] = hubs["site_id"].astype(str)
    hubs["locked"] = as_bool(hubs["locked"]) if "locked" in hubs.columns else False
    hubs = hubs[~hubs.geometry.is_empty & hubs.geometry.notna()]
    return hubs.reset_index(drop=True)


def _load_flows(run_dir: Path, layers: set[str]) -> pd.DataFrame:
    df = _read_csv(run_dir / "flows.csv")
    if df is None and "flows" in layers:
        df = pyogrio.read_dataframe(run_dir / "plan.gpkg", layer="flows", read_geometry=False)
    if df is None:
        return pd.DataFrame(columns=["flow_id", "origin", "destination", "volume", "served"])
    df = pd.DataFrame(df)
    if "flow_id" not in df.columns:
        df["flow_id"] = [str(i) for i in range(len(df))]
    df["volume"] = pd.to_numeric(df.get("volume", 0.0), errors="coerce").fillna(0.0)
    df["served"] = as_bool(df["served"]) if "served" in df.columns else False
    return df.reset_index(drop=True)


def _load_hourly(run_dir: Path) -> pd.DataFrame | None:
    """``hub_hourly.csv``: rows with a site id and an hour 0–23; ``None`` without the file or its key columns."""
    df = _read_csv(run_dir / "hub_hourly.csv")
    if df is None or not {"site_id", "hour", "load_kw"} <= set(df.columns):
        return None
    df = pd.DataFrame(df)
    df["site_id"] = df["site_id"].astype(str)
    for col in df.columns:
        if col != "site_id":
            df[col] = pd.to_numeric(df[col], errors="coerce")
    df = df[df["hour"].between(0, 23) & (df["hour"] % 1 == 0)].copy()
    if not len(df):
        return None
    df["hour"] = df["hour"].astype(int)
    return df.sort_values(["site_id", "hour"], kind="stable").reset_index(drop=True)


def aggregate_edge_flows(network: gpd.GeoDataFrame, flows: pd.DataFrame, factor: float = 1.0) -> int:
    """Add ``served_volume`` and ``unserved_volume`` (trucks/day) per network edge
    (:func:`planner.exports.geometry.edge_volumes` on the flows' ``route_nodes``).

    Each flow's volume (times ``factor``: a rollout's :func:`~planner.plan.kpi_year_factor`) counts on
    every edge its route uses (direction ignored). Works in place on ``network``.

    Returns
    -------
    int
        Number of route steps that matched a network edge.
    """
    if "route_nodes" in flows.columns and len(flows):
        routes = [r.split(";") if isinstance(r, str) and r else [] for r in flows["route_nodes"]]
        volumes, served = [float(v) * factor for v in flows["volume"]], flows["served"]
    else:
        routes, volumes, served = [], [], []
    keys = [(str(u), str(v)) for u, v in zip(network["u"], network["v"], strict=True)]
    s_col, u_col, matched = edge_volumes(routes, volumes, served, keys)
    network["served_volume"] = s_col.tolist()
    network["unserved_volume"] = u_col.tolist()
    return matched


def _written_volumes(network: gpd.GeoDataFrame) -> int | None:
    """The number of edges with trucks on them when the layer already has ``served_volume`` and
    ``unserved_volume`` (``planner run`` writes them, a rollout's for its last year, see
    :func:`planner.exports.geometry.network_layer`); ``None`` when it lacks them or a value is not a number."""
    cols = ["served_volume", "unserved_volume"]
    if not set(cols) <= set(network.columns):
        return None
    values = network[cols].apply(pd.to_numeric, errors="coerce")
    if values.isna().to_numpy().any():
        return None
    network[cols] = values.astype(float)
    return int((values.to_numpy() > 0).sum())


def _load_network(run_dir: Path, layers: set[str]) -> gpd.GeoDataFrame | None:
    net = _read_layer(run_dir, "network", layers)
    if net is None:
        return None
    net = net[net.geometry.notna() & ~net.geometry.is_empty].reset_index(drop=True)
    for col, default in (("u", ""), ("v", ""), ("tier", "core"), ("mode", "road")):
        if col not in net.columns:
            net[col] = default
        net[col] = net[col].fillna(default).astype(str)
    # a tier column with an empty value is a road outside the TEN-T (planner/network.py); no column: core
    net["tier"] = net["tier"].str.strip().str.lower().replace("", "non_ten_t")
    net["mode"] = net["mode"].str.strip().str.lower().replace("", "road")
    return net


def load_run(run_dir: Path, *, need_flow_lines: bool = True) -> RunData:
    """Read a run folder.

    Parameters
    ----------
    run_dir : Path
        Folder written by ``planner run``.
    need_flow_lines : bool
        Read the ``flows`` route lines when flows cannot be put on network edges.

    Returns
    -------
    RunData
    """
    run_dir = Path(run_dir)
    summary: dict[str, Any] = read_summary(run_dir, complete=False) if (run_dir / "summary.json").is_file() else {}
    layers = _layers(run_dir / "plan.gpkg")
    data = RunData(run_dir=run_dir, summary=summary)
    data.hubs = _load_hubs(run_dir, layers)
    data.flows = _load_flows(run_dir, layers)
    data.network = _load_network(run_dir, layers)
    data.afir_gaps = _read_layer(run_dir, "afir_gaps", layers)
    data.hourly = _load_hourly(run_dir)
    matched = 0
    if data.network is not None:
        matched = _written_volumes(data.network)
        if matched is None:  # a layer without them: put the flows on the edges here
            matched = aggregate_edge_flows(data.network, data.flows, kpi_year_factor(data.summary))
    if need_flow_lines and matched == 0 and len(data.flows):
        lines = _read_layer(run_dir, "flows", layers)
        if lines is not None and len(lines):
            lines["volume"] = pd.to_numeric(lines.get("volume", 0.0), errors="coerce").fillna(0)
            lines["served"] = as_bool(lines["served"]) if "served" in lines else False
            lines = lines[lines.geometry.notna() & ~lines.geometry.is_empty]
            # keep the largest flows only: the fallback is for small or odd runs
            data.flow_lines = lines.sort_values("volume", ascending=False).head(500)
    return data


def explode_lines(geom: object) -> list[np.ndarray]:
    """Coordinates arrays of the parts of a (multi)line geometry."""
    if isinstance(geom, LineString):
        return [np.asarray(geom.coords)[:, :2]]
    if isinstance(geom, MultiLineString):
        return [np.asarray(g.coords)[:, :2] for g in geom.geoms]
    return []
