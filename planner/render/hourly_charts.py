"""Report charts of an hourly-sized run: the network's 24 hours and the largest hubs' 24 hours.

Hourly means are drawn as steps over each hour (0–24 h); battery discharging as bars up from
zero, charging as bars down from zero; the grid connection as a dashed line. Colours from
:mod:`planner.render._hourly` (Okabe & Ito), conventions as :mod:`planner.render.charts`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from . import _hourly as hr
from ._figure import figure_style, new_figure
from .charts import _style_axes

NETWORK_SIZE = (6.6, 4.0)
PANEL_SIZE = (2.75, 2.05)  # inches per small multiple
MAX_PANELS = 12
EDGES = np.arange(hr.HOURS + 1)
BAR_WIDTH = 0.78  # of an hour


def _hour_axis(ax: Axes, labels: bool = True) -> None:
    ax.set_xlim(0, hr.HOURS)
    ax.set_xticks(range(0, hr.HOURS + 1, 6), [str(h) for h in range(0, hr.HOURS + 1, 6)] if labels else [])
    ax.set_xticks(range(0, hr.HOURS + 1, 3), minor=True)


def _bars(ax: Axes, values: np.ndarray, colour: str) -> None:
    """One bar per hour from zero to ``values`` (a single collection: fast to draw, small SVG)."""
    a, b = 0.5 - BAR_WIDTH / 2, 0.5 + BAR_WIDTH / 2
    verts = [[(h + a, 0.0), (h + a, v), (h + b, v), (h + b, 0.0)] for h, v in enumerate(values) if v != 0]
    if verts:
        ax.add_collection(PolyCollection(verts, facecolors=colour, linewidths=0, zorder=2), autolim=False)


def _draw_day(ax: Axes, day: hr.HubDay, div: float, *, lw: float = 1.0) -> None:
    """Battery bars, load and grid steps and the connection line of one day on ``ax``."""
    if day.has_battery:
        _bars(ax, day.discharge / div, hr.DISCHARGE)
        _bars(ax, -day.charge / div, hr.CHARGE)
    ax.axhline(0.0, color="#8a949d", lw=0.7 * lw, zorder=2.5)
    ax.stairs(day.grid / div, EDGES, color=hr.GRID, lw=1.5 * lw, zorder=3, baseline=None)
    ax.stairs(day.load / div, EDGES, color=hr.LOAD, lw=1.9 * lw, zorder=4, baseline=None)
    if math.isfinite(day.connection_kw):
        ax.axhline(day.connection_kw / div, color=hr.CONNECTION, lw=1.1 * lw, ls=(0, (4, 2.5)), zorder=5)
    top = day.top_kw / div
    low = float(day.charge.max()) / div if day.has_battery else 0.0
    span = max(top, low, 1e-9)
    ax.set_ylim(-low - 0.06 * span if low > 0 else 0.0, top + 0.1 * span)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10], min_n_ticks=3))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"))


def legend_handles(day: hr.HubDay, *, price: bool, network: bool) -> list[Line2D | Patch]:
    """Legend entries in drawing order (battery entries only when a battery works)."""
    handles: list[Line2D | Patch] = [
        Line2D([], [], color=hr.LOAD, lw=1.9, label="charging load"),
        Line2D([], [], color=hr.GRID, lw=1.5, label="grid draw"),
    ]
    if math.isfinite(day.connection_kw):
        label = "grid connections (sum)" if network else "grid connection"
        handles.append(Line2D([], [], color=hr.CONNECTION, lw=1.1, ls=(0, (4, 2.5)), label=label))
    if day.has_battery:
        handles.append(Patch(color=hr.DISCHARGE, label="battery discharging"))
        handles.append(Patch(color=hr.CHARGE, label="battery charging (below 0)"))
    if price:
        handles.append(Line2D([], [], color=hr.PRICE, lw=1.4, ls=(0, (1.5, 1.5)), label="energy price (right)"))
    return handles


def _price_axis(ax: Axes, price: np.ndarray, same: bool) -> bool:
    """Price steps on a right axis whose zero sits on the power axis' zero; ``False`` without prices."""
    if not np.isfinite(price).any():
        return False
    ax2 = ax.twinx()
    ax2.stairs(price, EDGES, color=hr.PRICE, lw=1.4, ls=(0, (1.5, 1.5)), zorder=6, baseline=None)
    lo, hi = ax.get_ylim()
    pmin, pmax = float(np.nanmin(price)), float(np.nanmax(price))
    top = max(pmax, 0.0) * 1.12 or 1.0
    ratio = lo / hi if hi > 0 else 0.0  # ≤ 0: where zero sits on the power axis
    if pmin < 0 and ratio > pmin * 1.12 / top:  # negative prices: room below zero on both axes
        ratio = pmin * 1.12 / top
        ax.set_ylim(hi * ratio, hi)
    ax2.set_ylim(top * ratio, top)
    floor = top * ratio if pmin < 0 else 0.0
    ax2.set_yticks([t for t in MaxNLocator(nbins=5).tick_values(floor, top) if floor <= t <= top])
    ax2.set_ylabel("Energy price (EUR/MWh)" + ("" if same else ", load-weighted"), color="#6b3a5a")
    ax2.spines["right"].set_visible(True)
    ax2.tick_params(axis="y", colors="#6b3a5a")
    return True


def network_chart(day: hr.HubDay, same_price: bool) -> Figure:
    """All hubs summed, hour by hour: load, grid, battery, the summed connection and the price.

    Parameters
    ----------
    day : HubDay
        :func:`planner.render._hourly.network_day`.
    same_price : bool
        Every hub has the same prices (else the price line is the load-weighted mean).

    Returns
    -------
    matplotlib.figure.Figure
    """
    unit, div = hr.power_unit(day.top_kw)
    with figure_style():
        fig = new_figure(*NETWORK_SIZE)
        ax = fig.add_subplot()
        _draw_day(ax, day, div)
        _hour_axis(ax)
        ax.set_xlabel("Hour of the day")
        ax.set_ylabel(f"Power, all hubs ({unit})")
        _style_axes(ax)
        price = _price_axis(ax, day.price, same_price)
        ax.legend(
            handles=legend_handles(day, price=price, network=True),
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=2,
            frameon=False,
            borderaxespad=0.2,
            fontsize=9.5,
        )
        fig.tight_layout()
    return fig


def _grid_shape(n: int) -> tuple[int, int]:
    cols = 1 if n == 1 else 2 if n <= 4 else 3 if n <= 9 else 4
    return math.ceil(n / cols), cols


def hub_grid_chart(days: list[hr.HubDay], titles: list[str]) -> Figure | None:
    """Small multiples, one per hub (each on its own scale): load, grid, battery and connection.

    Parameters
    ----------
    days : list of HubDay
        The hubs to draw, in order (at most :data:`MAX_PANELS` are drawn).
    titles : list of str
        Panel titles, one per hub.

    Returns
    -------
    matplotlib.figure.Figure or None
        ``None`` without hubs.
    """
    days, titles = days[:MAX_PANELS], titles[:MAX_PANELS]
    if not days:
        return None
    rows, cols = _grid_shape(len(days))
    unit, div = hr.power_unit(max(d.top_kw for d in days))
    handles = legend_handles(_legend_day(days), price=False, network=False)
    ncol = min(len(handles), 5 if cols == 4 else 3)
    legend_in = 0.1 + 0.24 * math.ceil(len(handles) / ncol)
    width, height = max(PANEL_SIZE[0] * cols, 5.6), PANEL_SIZE[1] * rows + legend_in
    with figure_style():
        fig = new_figure(width, height)
        axes = fig.subplots(rows, cols, squeeze=False)
        for k, ax in enumerate(axes.flat):
            if k >= len(days):
                ax.set_visible(False)
                continue
            _draw_day(ax, days[k], div, lw=0.85)
            _hour_axis(ax, labels=k + cols >= len(days))
            ax.set_title(titles[k], loc="left", fontsize=9.5)
            ax.tick_params(labelsize=8.5)
            if k % cols == 0:
                ax.set_ylabel(unit, fontsize=9)
            _style_axes(ax)
        fig.legend(
            handles=handles,
            loc="upper left",
            ncol=ncol,
            frameon=False,
            bbox_to_anchor=(0.0, 1.0),
            fontsize=9.5,
            borderaxespad=0.3,
        )
        fig.tight_layout(rect=(0.0, 0.0, 1.0, 1.0 - legend_in / height), h_pad=0.8, w_pad=0.9)
    return fig


def _legend_day(days: list[hr.HubDay]) -> hr.HubDay:
    """A day whose legend lists every series any of ``days`` draws."""
    with_battery = next((d for d in days if d.has_battery), days[0])
    conn = next((d.connection_kw for d in days if math.isfinite(d.connection_kw)), math.nan)
    return hr.HubDay(
        "legend", *(getattr(with_battery, a) for a in ("load", "grid", "charge", "discharge", "price")), conn, math.nan
    )


def panel_titles(hubs: pd.DataFrame, sites: list[str]) -> list[str]:
    """Titles of the small multiples: each hub's name (else site id), short."""
    return [hr.hub_label(hubs, s, 28) for s in sites]
