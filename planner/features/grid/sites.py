"""Grid capacity available at each candidate site (kW): defaults by site type, user points."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import DataError
from planner.network import great_circle_km
from planner.scenario import GridConfig
from planner.scenario.base import MAX_KW
from planner.tables import read_csv_table

__all__ = ["site_grid_kw"]

_GEO_KINDS = {".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON"}
_SUPPORTED = ".csv, " + ", ".join(_GEO_KINDS)


def site_grid_kw(sites: pd.DataFrame, config: GridConfig) -> np.ndarray:
    """Available grid capacity per candidate site (same order as ``sites``).

    Node sites get ``default_node_kw``, sites along edges ``default_edge_kw``; each point of
    ``capacity_file`` sets the capacity of its site (the nearest candidate within ``snap_radius_km``;
    the largest point wins). ``capacity_file`` is either

    * a CSV (``.csv``): ``available_kw`` with ``site_id``, or ``lon``/``lat`` (WGS84); or
    * a GeoPackage (``.gpkg``) or GeoJSON (``.geojson``/``.json``) with exactly one layer of features
      with an ``available_kw`` attribute. An optional ``site_id`` attribute takes precedence as in the
      CSV; other features are placed by their geometry, in any CRS (reprojected to EPSG:4326; a layer
      without CRS is an error). Non-point geometries (e.g. substation polygons) count at their
      representative point (``representative_point()``, taken in the layer's CRS: a point guaranteed
      to lie on the geometry, not its centroid).
    """
    avail = np.where(sites["node"].astype(bool), config.default_node_kw, config.default_edge_kw).astype(float)
    path = config.capacity_file
    if path is None:
        return avail
    suffix = path.suffix.lower()
    if suffix != ".csv" and suffix not in _GEO_KINDS:
        raise DataError(
            f"{path}: unsupported grid capacity file type {path.suffix or '(no extension)'!r}; use one of {_SUPPORTED}."
        )
    if not path.is_file():
        raise DataError(f"{path}: grid capacity file not found; check grid.capacity_file in the scenario.")
    if suffix == ".csv":
        frame, labels = read_csv_table(path, "grid capacity", setting="grid.capacity_file"), None
    else:
        frame, labels = _read_geo_points(path, _GEO_KINDS[suffix])
    for i, value in _snap_points(path, frame, labels, sites, config).items():
        avail[i] = value
    return avail


def _snap_points(
    path: Path, frame: pd.DataFrame, labels: Sequence[str] | None, sites: pd.DataFrame, config: GridConfig
) -> dict[int, float]:
    """Validate capacity points (string columns ``available_kw``, ``site_id``, ``lon``, ``lat``) and
    map them to candidate indices: ``{site index: largest available_kw}``.

    ``labels`` names each row in error messages (``None``: rows are not named, as for the CSV).
    """

    def of(k: int) -> str:
        return "" if labels is None else f" of {labels[k]}"

    if "available_kw" not in frame.columns:
        raise DataError(f"{path}: missing column 'available_kw' (kW available at the point).")
    kw = pd.to_numeric(frame["available_kw"], errors="coerce")
    bad = ~np.isfinite(kw.to_numpy(dtype=float)) | (kw < 0).to_numpy() | (kw > MAX_KW).to_numpy()
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{path}: available_kw {frame['available_kw'].iloc[k]!r}{of(k)} is not a finite number of kW between 0 "
            f"and {MAX_KW:g}; fix the value."
        )
    index = {sid: i for i, sid in enumerate(sites["site_id"])}
    given: dict[int, float] = {}
    lon_s, lat_s = sites["lon"].to_numpy(dtype=float), sites["lat"].to_numpy(dtype=float)
    for k, (row, value) in enumerate(zip(frame.itertuples(index=False), kw, strict=True)):
        sid = getattr(row, "site_id", "")
        if sid:
            if sid not in index:
                raise DataError(
                    f"{path}: site_id {sid!r}{of(k)} is not a candidate site; use an id from the candidates."
                )
            i = index[sid]
        else:
            try:
                lon, lat = float(row.lon), float(row.lat)
            except (AttributeError, ValueError):
                raise DataError(f"{path}: each row needs a site_id or numeric lon, lat.") from None
            if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
                raise DataError(f"{path}: point ({row.lon}, {row.lat}){of(k)} is not a WGS84 lon, lat; fix it.")
            d = great_circle_km(np.full(len(sites), lon), np.full(len(sites), lat), lon_s, lat_s)
            i = int(np.argmin(d))
            if d[i] > config.snap_radius_km:
                raise DataError(
                    f"{path}: point ({lon}, {lat}){of(k)} is {d[i]:.1f} km from the nearest candidate, beyond "
                    f"grid.snap_radius_km={config.snap_radius_km}; move it or raise the radius."
                )
        given[i] = max(given.get(i, 0.0), float(value))
    return given


def _read_geo_points(path: Path, kind: str) -> tuple[pd.DataFrame, list[str]]:
    """Read the single layer of a GeoPackage/GeoJSON into the CSV's string columns.

    Returns the table (``available_kw`` if present, ``site_id``, ``lon``/``lat`` in EPSG:4326 of the
    representative point of each feature without a site_id) and a label per row ("feature N", from 1).
    """
    import pyogrio

    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
        data = pyogrio.read_dataframe(path, layer=layers[0]) if len(layers) == 1 else None
    except Exception as exc:  # pyogrio raises several DataSourceError types
        raise DataError(f"{path}: cannot read as {kind} ({exc}); fix or re-export the file.") from None
    if data is None:
        if not layers:
            raise DataError(f"{path}: {kind} has no layer; add one layer of grid capacity points.")
        raise DataError(
            f"{path}: {kind} has {len(layers)} layers ({', '.join(layers)}); keep only the layer of grid "
            "capacity points."
        )
    n = len(data)
    labels = [f"feature {k + 1}" for k in range(n)]
    ids = [_text(v) for v in data["site_id"]] if "site_id" in data.columns else [""] * n
    lon, lat = [""] * n, [""] * n
    need = [k for k in range(n) if not ids[k]]
    if need:
        geometry = data.geometry if hasattr(data, "geometry") else pd.Series([None] * n)
        placed = geometry.iloc[need]
        missing = placed.isna().to_numpy()
        if missing.any():
            k = need[int(np.flatnonzero(missing)[0])]
            raise DataError(f"{path}: {labels[k]} has neither a geometry nor a site_id; give it a point or a site_id.")
        empty = placed.is_empty.to_numpy()
        if empty.any():
            k = need[int(np.flatnonzero(empty)[0])]
            raise DataError(f"{path}: {labels[k]} has an empty geometry; give it a point or a site_id.")
        if data.crs is None:
            raise DataError(
                f"{path}: layer '{layers[0]}' has no coordinate reference system; set one (e.g. EPSG:4326) "
                "when exporting it."
            )
        points = placed.representative_point().to_crs(4326)
        x, y = points.x.to_numpy(), points.y.to_numpy()
        bad = ~(np.isfinite(x) & np.isfinite(y))
        if bad.any():
            k = need[int(np.flatnonzero(bad)[0])]
            raise DataError(
                f"{path}: {labels[k]} cannot be reprojected from {data.crs.to_string()} to EPSG:4326; "
                "check the layer's CRS."
            )
        for k, xi, yi in zip(need, x, y, strict=True):
            lon[k], lat[k] = repr(round(float(xi), 7)), repr(round(float(yi), 7))  # 1 cm, readable messages
    columns = {"site_id": ids, "lon": lon, "lat": lat}
    if "available_kw" in data.columns:
        columns = {"available_kw": [_text(v) for v in data["available_kw"]], **columns}
    return pd.DataFrame(columns, dtype=object), labels


def _text(value: Any) -> str:
    """An attribute value as the CSV would hold it: missing is '', whole floats lose '.0' (ids read as float)."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
