"""Grid capacity available at each candidate site (kW): defaults by site type, user points."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.errors import DataError
from planner.network import great_circle_km
from planner.scenario import GridConfig

__all__ = ["site_grid_kw"]


def site_grid_kw(sites: pd.DataFrame, config: GridConfig) -> np.ndarray:
    """Available grid capacity per candidate site (same order as ``sites``).

    Node sites get ``default_node_kw``, sites along edges ``default_edge_kw``; each point of
    ``capacity_file`` (``available_kw`` with ``site_id``, or ``lon``/``lat``) sets the capacity of
    its site (the nearest candidate within ``snap_radius_km``; the largest point wins).
    """
    avail = np.where(sites["node"].astype(bool), config.default_node_kw, config.default_edge_kw).astype(float)
    path = config.capacity_file
    if path is None:
        return avail
    if not path.is_file():
        raise DataError(f"{path}: grid capacity file not found; check grid.capacity_file in the scenario.")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    if "available_kw" not in frame.columns:
        raise DataError(f"{path}: missing column 'available_kw' (kW available at the point).")
    kw = pd.to_numeric(frame["available_kw"], errors="coerce")
    if kw.isna().any() or (kw < 0).any():
        bad = frame["available_kw"][kw.isna() | (kw < 0)].iloc[0]
        raise DataError(f"{path}: available_kw {bad!r} is not a non-negative number of kW.")
    index = {sid: i for i, sid in enumerate(sites["site_id"])}
    given: dict[int, float] = {}
    lon_s, lat_s = sites["lon"].to_numpy(dtype=float), sites["lat"].to_numpy(dtype=float)
    for row, value in zip(frame.itertuples(index=False), kw, strict=True):
        sid = getattr(row, "site_id", "")
        if sid:
            if sid not in index:
                raise DataError(f"{path}: site_id {sid!r} is not a candidate site; use an id from the candidates.")
            i = index[sid]
        else:
            try:
                lon, lat = float(row.lon), float(row.lat)
            except (AttributeError, ValueError):
                raise DataError(f"{path}: each row needs a site_id or numeric lon, lat.") from None
            d = great_circle_km(np.full(len(sites), lon), np.full(len(sites), lat), lon_s, lat_s)
            i = int(np.argmin(d))
            if d[i] > config.snap_radius_km:
                raise DataError(
                    f"{path}: point ({lon}, {lat}) is {d[i]:.1f} km from the nearest candidate, beyond "
                    f"grid.snap_radius_km={config.snap_radius_km}; move it or raise the radius."
                )
        given[i] = max(given.get(i, 0.0), float(value))
    for i, value in given.items():
        avail[i] = value
    return avail
