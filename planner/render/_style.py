"""Styling shared by the static map, the web map and the report, and number formatting."""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize, to_hex

# Colour-blind-safe choices: Okabe & Ito (2008) for categorical colours (served blue,
# unserved vermillion, runs), Paul Tol's purple for AFIR gaps, viridis / plasma for scales.
SEA = "#dfe9f0"
LAND = "#f2efe9"
BORDER = "#c4beb4"
TIER_STYLE: dict[str, tuple[str, float]] = {  # tier -> (colour, width in points)
    "core": ("#56616b", 0.8),
    "comprehensive": ("#98a3ad", 0.55),
}
OTHER_TIER = ("#b0b8bf", 0.5)  # roads outside the TEN-T (empty tier, e.g. Great Britain, Switzerland)
TIER_LABELS = {
    "core": "Core TEN-T network",
    "comprehensive": "Comprehensive TEN-T network",
    "non_ten_t": "Roads outside the TEN-T",
}
FERRY_MODES = ("ferry", "rail_shuttle")
SERVED = "#0072B2"
UNSERVED = "#D55E00"
SERVED_BAND = SERVED
UNSERVED_BAND = UNSERVED
AFIR = "#AA3377"
HUB_SINGLE = "#1f1f1f"
LOCKED_EDGE = "#000000"
NEW_EDGE = "#ffffff"
RUN_COLOURS = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#8c564b",
)
BAND_MIN_PT = 1.4  # wider than the core network line it covers
CORE_MIN_PT = 0.8
RIM_PT = 0.5  # a partly served edge keeps at least this much served rim around its unserved core
BAND_MAX_PT = 10.0
BAND_TOP_PERCENTILE = 98.0  # bands reach full width here; the few busier edges are drawn at full width
POWER_CLASSES_MW = (2.0, 5.0, 10.0, 20.0, 50.0)  # upper bounds; the last class is open
CHARGER_CLASSES = (4, 8, 16, 32, 64)


def tier_label(tier: str) -> str:
    """Legend label of a network tier (``Core TEN-T network``; other values as given)."""
    return TIER_LABELS.get(tier, f"{tier.replace('_', ' ').capitalize()} network")


def tier_style(tier: str) -> tuple[str, float]:
    """Colour and line width (points) for a network tier."""
    return TIER_STYLE.get(tier, OTHER_TIER)


def band_width(volume: float | np.ndarray, vmax: float, *, scale: float = 1.0, wmin: float = BAND_MIN_PT) -> np.ndarray:
    """Flow band width for a volume (trucks/day): ``BAND_MAX_PT·√(volume / vmax)``, at least ``wmin``.

    In points (times ``scale``, e.g. for pixels). The square root keeps the median corridor
    readable next to the busiest one; volumes above ``vmax`` get the full width; the floor keeps
    the smallest volumes visible. The map legends draw sample widths with this same function, so
    what the legend shows is what the map draws.
    """
    frac = np.sqrt(np.clip(np.asarray(volume, dtype=float), 0.0, None) / vmax) if vmax > 0 else np.zeros(1)
    return scale * np.maximum(BAND_MAX_PT * np.minimum(frac, 1.0), wmin)


def core_width(unserved: np.ndarray, total: np.ndarray, vmax: float, *, scale: float = 1.0) -> np.ndarray:
    """Width of the unserved core drawn on a band: by the same scale, but a partly served edge
    keeps a served rim (the core is at most the band width less ``RIM_PT``)."""
    band = band_width(total, vmax, scale=scale)
    core = band_width(unserved, vmax, scale=scale, wmin=CORE_MIN_PT)
    partly = np.asarray(unserved) < np.asarray(total)
    return np.where(partly, np.minimum(core, np.maximum(band - RIM_PT * scale, CORE_MIN_PT * scale)), band)


def band_scale(volumes: np.ndarray) -> float:
    """The volume (trucks/day) drawn at full band width: the 98th percentile of the edges carrying
    flow, rounded down to 1, 2 or 5 × 10^k (so the legend's top entry is a round ``≥`` value).

    Scaling to the maximum would let one hotspot (the Rotterdam hinterland) make every other
    corridor a hairline.
    """
    v = np.asarray(volumes, dtype=float)
    v = v[v > 0]
    if not len(v):
        return 0.0
    top = nice_number(float(np.percentile(v, BAND_TOP_PERCENTILE)))
    return top if top > 0 else float(v.max())


def band_legend_values(vmax: float) -> list[float]:
    """Three round volumes (trucks/day) for a band-width legend, the largest = ``vmax``."""
    if vmax <= 0 or not math.isfinite(vmax):
        return []
    vals = {vmax}
    for div in (5, 25):
        v = nice_number(vmax / div)
        if v > 0:
            vals.add(v)
    return sorted(vals)


def _numeric(hubs: pd.DataFrame, col: str) -> pd.Series | None:
    if col not in hubs.columns:
        return None
    s = pd.to_numeric(hubs[col], errors="coerce")
    return s if s.notna().any() else None


def _class_label(lo: float, hi: float | None, unit: str) -> str:
    def f(x: float) -> str:
        return f"{x:g}"

    if hi is None:
        return f"≥ {f(lo)} {unit}"
    if lo <= 0:
        return f"< {f(hi)} {unit}"
    return f"{f(lo)}–{f(hi)} {unit}"


@dataclass
class HubStyle:
    """Per-hub marker size (by class) and colour, plus what they encode (for legends).

    Attributes
    ----------
    size_by : str or None
        Column the size classes come from (``power_kw`` in MW classes, ``chargers``) or ``None``.
    classes : list of (label, radius, class index)
        The size classes present on the map, smallest first.
    hub_class : numpy.ndarray
        Class index per hub (into the full class list; ``-1`` without ``size_by``).
    radius : numpy.ndarray
        Marker radius in points per hub.
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
    classes: list[tuple[str, float, int]]
    hub_class: np.ndarray
    radius: np.ndarray
    colour_by: str | None
    colours: list[str]
    categories: list[tuple[str, str]]
    norm: Normalize | None = None
    cmap: mpl.colors.Colormap | None = None


def base_radius(n_hubs: int) -> float:
    """Radius (points) of the smallest hub class: smaller on crowded maps so 1,000 hubs stay legible."""
    return 3.4 if n_hubs <= 60 else 2.8 if n_hubs <= 200 else 2.0 if n_hubs <= 500 else 1.2


def class_radius(k: int, r0: float) -> float:
    """Radius of size class ``k`` (0 = smallest)."""
    return r0 * (1.0 + 0.42 * k)


def _size_classes(hubs: pd.DataFrame) -> tuple[str | None, np.ndarray, list[str]]:
    """Column, class index per hub and the labels of all classes."""
    n = len(hubs)
    power = _numeric(hubs, "power_kw")
    if power is not None and (power.fillna(0) > 0).any():
        mw = power.fillna(0.0).to_numpy(dtype=float) / 1000.0
        bounds = [0.0, *POWER_CLASSES_MW]
        labels = [_class_label(lo, hi, "MW") for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
        labels.append(_class_label(bounds[-1], None, "MW"))
        return "power_kw", np.searchsorted(np.array(POWER_CLASSES_MW), mw, side="right"), labels
    chargers = _numeric(hubs, "chargers")
    if chargers is not None and (chargers.fillna(0) > 0).any():
        c = chargers.fillna(0.0).to_numpy(dtype=float)
        edges = [1, *[b + 1 for b in CHARGER_CLASSES]]
        labels = [f"{lo}–{hi} points" for lo, hi in zip(edges[:-1], CHARGER_CLASSES, strict=True)]
        labels.append(f"> {CHARGER_CLASSES[-1]} points")
        return "chargers", np.searchsorted(np.array(CHARGER_CLASSES), c, side="left"), labels
    return None, np.full(n, -1), []


def hub_style(hubs: pd.DataFrame) -> HubStyle:
    """Decide marker sizes (by power class) and colours (by opening year or utilisation)."""
    n = len(hubs)
    size_by, cls, labels = _size_classes(hubs)
    r0 = base_radius(n)
    if size_by is None:
        radius = np.full(n, class_radius(1, r0))
        classes: list[tuple[str, float, int]] = []
    else:
        present = sorted({int(k) for k in cls})
        radius = np.array([class_radius(int(k), r0) for k in cls]) if n else np.zeros(0)
        classes = [(labels[k], class_radius(k, r0), k) for k in present]
    style = HubStyle(size_by, classes, cls, radius, None, [HUB_SINGLE] * n, [])
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
        style.colours = [to_hex(style.cmap(style.norm(u))) if pd.notna(u) else "#999999" for u in util]
    return style


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
