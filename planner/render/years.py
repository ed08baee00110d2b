"""Per-year figures of a rollout run, from ``summary.json["years"]`` (and ``hubs.csv`` as a fallback).

One table shared by the report, the web map's year slider and the comparison.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner.exports.xlsx import year_frame

from . import _style as st

# column, label, kind (count, mw, eur, share, year, bool)
YEAR_COLUMNS: list[tuple[str, str, str]] = [
    ("year", "Year", "year"),
    ("hubs", "Hubs open", "count"),
    ("new_hubs", "New hubs", "count"),
    ("points", "Charging points", "count"),
    ("points_added", "Points added", "count"),
    ("mw", "Installed power (MW)", "mw"),
    ("capex_eur", "Capex in the year", "eur"),
    ("budget_eur", "Budget of the year", "eur"),
    ("covered_share", "Served share", "share"),
    ("covered_volume", "Served trucks/day", "count"),
    ("afir_share", "AFIR compliant share", "share"),
    ("afir_required_share", "AFIR required share", "share"),
    ("afir_met", "AFIR milestone met", "bool"),
]


def _num(value: Any) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return f


def _mw_from_hubs(years: list[int], hubs: pd.DataFrame) -> np.ndarray | None:
    if not {"opened_year", "power_kw"} <= set(hubs.columns):
        return None
    opened = pd.to_numeric(hubs["opened_year"], errors="coerce")
    kw = pd.to_numeric(hubs["power_kw"], errors="coerce").fillna(0.0)
    return np.array([kw[opened <= y].sum() / 1000.0 for y in years])


def year_table(summary: dict, hubs: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per planning year (columns of :data:`YEAR_COLUMNS` that are known); empty if none.

    ``points`` and ``mw`` are cumulative: points from ``chargers_added``, MW the year table's
    ``power_mw`` (:func:`planner.exports.xlsx.year_frame`), else from the hubs open by the end of the
    year (``hubs.csv`` ``opened_year`` and ``power_kw``).
    """
    rows = summary.get("years") if isinstance(summary, dict) else None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) and "year" in r for r in rows):
        return pd.DataFrame(columns=[c for c, _, _ in YEAR_COLUMNS])
    rows = sorted(rows, key=lambda r: int(r["year"]))
    df = pd.DataFrame({c: [r.get(c) for r in rows] for c, _, _ in YEAR_COLUMNS if any(c in r for r in rows)})
    df["year"] = df["year"].astype(int)
    if any("chargers_added" in r for r in rows):
        df["points_added"] = [int(_num(r.get("chargers_added", 0)) or 0) for r in rows]
        df["points"] = df["points_added"].cumsum()
    flat = year_frame({**summary, "years": rows})  # the run's year table: its cumulative power_mw
    mw = flat["power_mw"].to_numpy(dtype=float) if "power_mw" in flat and flat["power_mw"].notna().all() else None
    if mw is None and hubs is not None:
        mw = _mw_from_hubs(df["year"].tolist(), hubs)
    if mw is not None:
        df["mw"] = mw
    return df[[c for c, _, _ in YEAR_COLUMNS if c in df.columns]]


def format_cell(value: Any, kind: str) -> str:
    """Text of a per-year cell of the given kind."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if kind == "year":
        return str(int(value))
    if kind == "eur":
        return st.fmt_eur(value)
    if kind == "share":
        return st.fmt_pct(value)
    if kind == "mw":
        return st.fmt_num(value, 1)
    if kind == "bool":
        return "yes" if bool(value) else "no"
    return st.fmt_num(value)


def year_info_html(row: pd.Series) -> str:
    """A few lines of a year's figures for the web map's year control (no user text: safe HTML)."""
    parts = []
    for col, label, kind in YEAR_COLUMNS[1:]:
        if col in row.index and col not in ("budget_eur", "afir_required_share", "covered_volume", "new_hubs"):
            parts.append(f"<div><span>{label}</span> <b>{format_cell(row[col], kind)}</b></div>")
    return "".join(parts)
