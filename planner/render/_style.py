"""Styling shared by the static map, the web map and the report, and number formatting."""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize, to_hex

SEA = "#dde9f2"
LAND = "#f3f0ea"
BORDER = "#b5afa4"
TIER_STYLE: dict[str, tuple[str, float]] = {  # tier -> (colour, width in points)
    "core": ("#24435f", 1.7),
    "comprehensive": ("#7b8fa3", 0.9),
}
OTHER_TIER = ("#9aa7b4", 0.8)
FERRY_MODES = ("ferry", "rail_shuttle")
SERVED = "#1a9850"
UNSERVED = "#d73027"
SERVED_BAND = "#a6d96a"
UNSERVED_BAND = "#f46d43"
AFIR = "#ff8c00"
HUB_SINGLE = "#7b3294"
LOCKED_EDGE = "#111111"
NEW_EDGE = "#ffffff"
RUN_COLOURS = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#1f78b4",
    "#b2df8a",
    "#fb9a99",
)


def tier_style(tier: str) -> tuple[str, float]:
    """Colour and line width (points) for a network tier."""
    return TIER_STYLE.get(tier, OTHER_TIER)


def _numeric(hubs: pd.DataFrame, col: str) -> pd.Series | None:
    if col not in hubs.columns:
        return None
    s = pd.to_numeric(hubs[col], errors="coerce")
    return s if s.notna().any() else None


@dataclass
class HubStyle:
    """Per-hub marker size and colour, plus what they encode (for legends).

    Attributes
    ----------
    size_by : str or None
        Column the marker area encodes (``power_kw``, ``chargers``) or ``None``.
    size_values : numpy.ndarray
        Values of that column (0 where missing).
    radius : numpy.ndarray
        Marker radius in points, area proportional to the value.
    colour_by : str or None
        ``opened_year``, ``utilisation`` or ``None`` (one colour).
    colours : list of str
        Hex colour per hub.
    categories : list of tuple
        For ``opened_year``: (label, colour) pairs.
    norm, cmap :
        For ``utilisation``: the continuous scale.
    """

    size_by: str | None
    size_values: np.ndarray
    radius: np.ndarray
    colour_by: str | None
    colours: list[str]
    categories: list[tuple[str, str]]
    norm: Normalize | None = None
    cmap: mpl.colors.Colormap | None = None

    r_max: float = 9.0

    R_MIN = 2.2

    def radius_for(self, value: float) -> float:
        """Marker radius (points) for a size value."""
        vmax = float(np.nanmax(self.size_values)) if len(self.size_values) else 0.0
        if self.size_by is None or vmax <= 0:
            return min(4.5, self.r_max)
        return self.R_MIN + (self.r_max - self.R_MIN) * math.sqrt(max(value, 0.0) / vmax)

    def legend_values(self) -> list[float]:
        """Up to three round values within the range of sizes on the map."""
        if self.size_by is None or not len(self.size_values):
            return []
        positive = self.size_values[self.size_values > 0]
        if not len(positive):
            return []
        vmin, vmax = float(positive.min()), float(positive.max())
        vals = {round_sig(vmax)}
        for v in (round_sig(vmax / 2), round_sig(vmax / 4)):
            if v >= vmin * 0.9 and v > 0:
                vals.add(v)
        if len(vals) < 3 and round_sig(vmin) < vmax * 0.9:
            vals.add(round_sig(vmin))
        return sorted(vals)

    def legend_label(self, value: float) -> str:
        """Text for a size legend entry, e.g. ``2.4 MW`` or ``1 charger``."""
        if self.size_by == "power_kw":
            return f"{value / 1000:g} MW" if value >= 1000 else f"{fmt_num(value)} kW"
        if self.size_by == "chargers":
            return f"{fmt_num(value)} charger" + ("" if value == 1 else "s")
        return fmt_num(value)


def nice_number(x: float) -> float:
    """Round ``x`` down to 1, 2 or 5 times a power of ten (used for legends and scale bars)."""
    if x <= 0:
        return 0.0
    exp = math.floor(math.log10(x))
    base = x / 10**exp
    step = 5 if base >= 5 else 2 if base >= 2 else 1
    return float(step * 10**exp)


def round_sig(x: float, digits: int = 2) -> float:
    """Round to ``digits`` significant digits."""
    if x == 0 or not math.isfinite(x):
        return 0.0
    return float(round(x, digits - 1 - math.floor(math.log10(abs(x)))))


def hub_style(hubs: pd.DataFrame) -> HubStyle:
    """Decide marker sizes and colours for the hubs of a run."""
    n = len(hubs)
    size_by = None
    values = np.zeros(n)
    for col in ("power_kw", "chargers"):
        s = _numeric(hubs, col)
        if s is not None and (s.fillna(0) > 0).any():
            size_by, values = col, s.fillna(0.0).to_numpy(dtype=float)
            break
    style = HubStyle(size_by, values, np.zeros(n), None, [HUB_SINGLE] * n, [])
    style.r_max = 9.0 if n <= 60 else 7.0 if n <= 150 else 5.5  # crowded maps: smaller
    style.radius = np.array([style.radius_for(v) for v in values]) if n else np.zeros(0)

    years = _numeric(hubs, "opened_year")
    util = _numeric(hubs, "utilisation")
    if years is not None:
        uniq = sorted({int(y) for y in years.dropna()})
        cmap = mpl.colormaps["viridis"]
        palette = {y: to_hex(cmap(i / max(len(uniq) - 1, 1) * 0.92)) for i, y in enumerate(uniq)}
        style.colour_by = "opened_year"
        style.colours = [palette[int(y)] if pd.notna(y) else "#999999" for y in years]
        style.categories = [(str(y), palette[y]) for y in uniq]
        if years.isna().any():
            style.categories.append(("unknown", "#999999"))
    elif util is not None:
        vmax = float(util.max())
        vmax = 1.0 if vmax <= 1.0 else (100.0 if vmax <= 100 else vmax)
        style.colour_by = "utilisation"
        style.norm = Normalize(0.0, vmax)
        style.cmap = mpl.colormaps["plasma_r"]
        style.colours = [
            to_hex(style.cmap(style.norm(u))) if pd.notna(u) else "#999999" for u in util
        ]
    return style


# ---------------------------------------------------------------- number formatting


def _finite(x: object) -> float | None:
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def fmt_num(x: object, digits: int = 0) -> str:
    """``12345.6`` -> ``12,346``; non-numbers are returned as text, ``None`` as a dash."""
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    f = _finite(x)
    if f is None:
        return str(x) if not (isinstance(x, float) and math.isnan(x)) else "–"
    return f"{f:,.{digits}f}"


def fmt_pct(x: object, digits: int = 1) -> str:
    """Share in [0, 1] as a percentage."""
    f = _finite(x)
    return "–" if f is None else f"{100 * f:.{digits}f} %"


def fmt_eur(x: object) -> str:
    """Money with an SI-like suffix: ``€ 12.3 M``."""
    f = _finite(x)
    if f is None:
        return "–"
    for div, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if abs(f) >= div:
            return f"€ {f / div:,.1f}{suffix}"
    return f"€ {f:,.0f}"


def mpl_text(s: object) -> str:
    """Text safe for matplotlib (no mathtext from ``$``)."""
    return str(s).replace("$", r"\$")
