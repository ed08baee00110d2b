"""The 24-hour series of an hourly-sized run (``hub_hourly.csv``), ready to draw.

Shared by the report's "Hour by hour" charts (:mod:`planner.render.hourly_charts`) and the
map popups (:mod:`planner.render.hourly_svg`): one :class:`HubDay` per hub, the network-wide sum,
the hubs to draw first and the power unit of an axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

HOURS = 24
# Okabe & Ito colours (colour-blind safe), the same in the report charts and the map popups.
LOAD = "#0072B2"  # blue: the chargers' load
GRID = "#D55E00"  # vermillion: drawn from the grid
DISCHARGE = "#009E73"  # bluish green: battery discharging (up)
CHARGE = "#56B4E9"  # sky blue: battery charging (down, below zero)
CONNECTION = "#1d2630"  # near black, dashed: the grid connection
PRICE = "#CC79A7"  # reddish purple: energy price (right axis)
SERIES = {"load": "load_kw", "grid": "grid_kw", "charge": "battery_charge_kw", "discharge": "battery_discharge_kw"}


@dataclass(frozen=True)
class HubDay:
    """One hub's (or the network's) representative day, hour 0–23.

    Attributes
    ----------
    site_id : str
        Hub id (``"network"`` for the sum over hubs).
    load, grid, charge, discharge : numpy.ndarray
        Hourly means in kW: charging load, grid draw, battery charging and discharging (both ≥ 0).
    price : numpy.ndarray
        Energy price per hour (EUR/MWh), NaN where unknown.
    connection_kw : float
        Grid connection (NaN if unknown); for the network the sum over hubs.
    battery_kwh : float
        Battery energy (NaN if unknown); for the network the sum over hubs.
    """

    site_id: str
    load: np.ndarray
    grid: np.ndarray
    charge: np.ndarray
    discharge: np.ndarray
    price: np.ndarray
    connection_kw: float
    battery_kwh: float

    @property
    def has_battery(self) -> bool:
        """Whether the battery ever charges or discharges."""
        return bool((self.charge > 0).any() or (self.discharge > 0).any())

    @property
    def top_kw(self) -> float:
        """Highest value an axis must show (load, grid, discharge or the connection)."""
        values = [self.load.max(), self.grid.max(), self.discharge.max()]
        if math.isfinite(self.connection_kw):
            values.append(self.connection_kw)
        return float(max(values))


def _hours(group: pd.DataFrame, col: str, fill: float) -> np.ndarray:
    if col not in group.columns:
        return np.full(HOURS, fill)
    s = group.groupby("hour")[col].mean().reindex(range(HOURS))
    return s.fillna(fill).to_numpy(dtype=float)


def _first(group: pd.DataFrame, col: str) -> float:
    if col not in group.columns:
        return math.nan
    s = group[col].dropna()
    return float(s.iloc[0]) if len(s) else math.nan


def hub_days(table: pd.DataFrame | None) -> dict[str, HubDay]:
    """One :class:`HubDay` per hub of ``hub_hourly.csv`` (missing hours and series count as 0 kW).

    Parameters
    ----------
    table : pandas.DataFrame or None
        :attr:`planner.render._load.RunData.hourly`.

    Returns
    -------
    dict
        By site id, in site-id order.
    """
    if table is None or not len(table):
        return {}
    out: dict[str, HubDay] = {}
    for site, group in table.groupby("site_id", sort=True):
        load, grid, charge, discharge = (np.clip(_hours(group, c, 0.0), 0.0, None) for c in SERIES.values())
        out[str(site)] = HubDay(
            str(site),
            load,
            grid,
            charge,
            discharge,
            _hours(group, "price_eur_per_mwh", math.nan),
            _first(group, "grid_connection_kw"),
            _first(group, "battery_kwh"),
        )
    return out


def network_day(days: dict[str, HubDay]) -> tuple[HubDay, bool] | None:
    """The sum over hubs, with the load-weighted mean price.

    Returns
    -------
    (HubDay, bool) or None
        The network's day and whether every hub has the same prices (else the price is the
        load-weighted mean); ``None`` without hubs.
    """
    if not days:
        return None
    items = list(days.values())
    load = np.sum([d.load for d in items], axis=0)
    prices = np.array([d.price for d in items])
    weights = np.array([d.load for d in items])
    same = bool(np.allclose(prices, prices[0], equal_nan=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        known = np.isfinite(prices)
        w = np.where(known, weights, 0.0)
        weighted = np.where(w.sum(axis=0) > 0, np.nansum(prices * w, axis=0) / w.sum(axis=0), np.nan)
        plain = np.where(known.any(axis=0), np.nansum(prices, axis=0) / np.maximum(known.sum(axis=0), 1), np.nan)
    price = prices[0] if same else np.where(np.isfinite(weighted), weighted, plain)
    conn = [d.connection_kw for d in items if math.isfinite(d.connection_kw)]
    batt = [d.battery_kwh for d in items if math.isfinite(d.battery_kwh)]
    day = HubDay(
        "network",
        load,
        np.sum([d.grid for d in items], axis=0),
        np.sum([d.charge for d in items], axis=0),
        np.sum([d.discharge for d in items], axis=0),
        price,
        float(sum(conn)) if conn else math.nan,
        float(sum(batt)) if batt else math.nan,
    )
    return day, same


def largest(days: dict[str, HubDay], hubs: pd.DataFrame, n: int) -> list[str]:
    """The ``n`` hubs with the highest peak load, then by site id (deterministic).

    The peak load is ``peak_load_kw`` of ``hubs.csv`` where given, else the highest hourly load.
    """
    peak = {site: float(day.load.max()) for site, day in days.items()}
    if {"site_id", "peak_load_kw"} <= set(hubs.columns):
        given = pd.to_numeric(hubs["peak_load_kw"], errors="coerce")
        for site, value in zip(hubs["site_id"].astype(str), given, strict=True):
            if site in peak and pd.notna(value):
                peak[site] = float(value)
    return sorted(peak, key=lambda s: (-peak[s], s))[: max(n, 0)]


def power_unit(top_kw: float) -> tuple[str, float]:
    """Unit of a power axis and its divisor: MW from 1,000 kW up, else kW."""
    return ("MW", 1000.0) if top_kw >= 1000.0 else ("kW", 1.0)


def hub_label(hubs: pd.DataFrame, site: str, width: int = 30) -> str:
    """The hub's name (else its site id), cut to ``width`` characters."""
    name = site
    if {"site_id", "name"} <= set(hubs.columns):
        match = hubs.loc[hubs["site_id"].astype(str) == site, "name"]
        if len(match) and isinstance(match.iloc[0], str) and match.iloc[0].strip():
            name = match.iloc[0].strip()
    return name if len(name) <= width else name[: width - 1].rstrip() + "…"
