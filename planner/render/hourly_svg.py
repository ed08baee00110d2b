"""A hub's 24 hours as a small inline SVG for its popup on ``map.html`` (no library, offline).

Steps for the charging load and the grid draw, bars for the battery (discharging up, charging
down from zero), a dashed line for the grid connection. Styles are CSS classes
(:data:`POPUP_CSS`, added to the page once) and coordinates are rounded to 0.1 px, so a chart
costs about 2.4 kB in the page (JSON-escaped): a map of 1,000 hubs grows by about 2.4 MB.
"""

from __future__ import annotations

import math

import numpy as np

from . import _hourly as hr
from ._style import nice_number

WIDTH, HEIGHT = 296, 124  # viewBox units
SHOWN = 1.2  # shown at 355 × 149 px: 9.5-unit text is 11.4 px
X0, X1 = 34.0, 274.0  # plot area, px: 10 px an hour
Y_TOP, Y_BOT = 12.0, 90.0
BAR_PX = 7.6  # bar width (a stroke)
POPUP_CSS = f"""
.hub-chart {{ margin: 0 0 6px; }}
.hub-chart svg {{ display: block; width: {WIDTH * SHOWN:.0f}px; height: {HEIGHT * SHOWN:.0f}px; }}
.hub-chart text {{ font-size: 9.5px; fill: #5b6670; }}
.hub-chart .e {{ text-anchor: end; }}
.hub-chart .m {{ text-anchor: middle; }}
.hub-chart .gl {{ stroke: #e3e7eb; stroke-width: 1; }}
.hub-chart .z {{ stroke: #8a949d; stroke-width: 1; }}
.hub-chart .ld {{ fill: none; stroke: {hr.LOAD}; stroke-width: 1.9; }}
.hub-chart .gr {{ fill: none; stroke: {hr.GRID}; stroke-width: 1.4; }}
.hub-chart .cn {{ fill: none; stroke: {hr.CONNECTION}; stroke-width: 1.1; stroke-dasharray: 4 2.5; }}
.hub-chart .dc {{ fill: none; stroke: {hr.DISCHARGE}; stroke-width: {BAR_PX}; }}
.hub-chart .ch {{ fill: none; stroke: {hr.CHARGE}; stroke-width: {BAR_PX}; }}
.hub-chart .sw {{ stroke-width: 5; }}
"""


def _f(x: float) -> str:
    """``x`` rounded to 0.1 without trailing zeros (``12``, ``3.5``)."""
    text = f"{x:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _x(hour: float) -> float:
    return X0 + (X1 - X0) * hour / hr.HOURS


class _Scale:
    """Value (kW) to y (px): ``lo`` at the bottom of the plot, ``hi`` at its top."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = lo, hi if hi > lo else lo + 1.0

    def __call__(self, kw: float) -> float:
        return Y_BOT - (kw - self.lo) / (self.hi - self.lo) * (Y_BOT - Y_TOP)


def _steps(values: np.ndarray, y: _Scale) -> str:
    """Path of hourly means as steps: ``M x0 y H x1 V y' H x2 …`` (one ``H`` per run of equal values)."""
    ys = [_f(y(v)) for v in values]
    out = [f"M{_f(X0)} {ys[0]}"]
    for h in range(1, hr.HOURS):
        if ys[h] != ys[h - 1]:
            out.append(f"H{_f(_x(h))}V{ys[h]}")
    return "".join(out) + f"H{_f(X1)}"


def _bars(values: np.ndarray, y: _Scale, sign: float) -> str:
    """One path of bars (wide strokes) from zero, up (``sign`` 1) or down (-1); empty if all are < 0.1 px."""
    zero, parts = _f(y(0.0)), []
    for h, v in enumerate(values):
        top = _f(y(sign * v))
        if top != zero:
            parts.append(f"M{_f(_x(h + 0.5))} {zero}V{top}")
    return "".join(parts)


def _ticks(top: float) -> list[float]:
    """Two or three round values from 0 up to ``top`` (in the axis unit)."""
    if top <= 0 or not math.isfinite(top):
        return [0.0]
    step = nice_number(top / 2.0)
    return [k * step for k in range(int(top // step) + 1)]


def _legend(day: hr.HubDay) -> str:
    items = [('<path class="ld" d="M{x} 115h12"/>', "load", 30), ('<path class="gr" d="M{x} 115h12"/>', "grid", 30)]
    if math.isfinite(day.connection_kw):
        items.append(('<path class="cn" d="M{x} 115h13"/>', "connection", 60))
    if day.has_battery:
        items.append(('<path class="dc sw" d="M{x} 115h12"/>', "battery out", 62))
        items.append(('<path class="ch sw" d="M{x} 115h12"/>', "in", 14))
    out, x = [], 6.0
    for swatch, label, width in items:
        out.append(swatch.format(x=_f(x)) + f'<text x="{_f(x + 15)}" y="118">{label}</text>')
        x += 15 + width
    return "".join(out)


def hub_chart_svg(day: hr.HubDay) -> str:
    """The popup chart of one hub.

    Parameters
    ----------
    day : HubDay
        The hub's hours (:func:`planner.render._hourly.hub_days`).

    Returns
    -------
    str
        An ``<svg>`` element (CSS classes of :data:`POPUP_CSS`), deterministic for the same input.
    """
    unit, div = hr.power_unit(day.top_kw)
    top = day.top_kw / div
    low = float(day.charge.max()) / div if day.has_battery else 0.0
    y = _Scale(-low * 1.04, max(top, 1e-9) * 1.06)
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="24 hours: load, grid, battery">']
    for t in _ticks(top):
        yy = _f(y(t))
        parts.append(f'<path class="{"z" if t == 0 else "gl"}" d="M{_f(X0)} {yy}H{_f(X1)}"/>')
        parts.append(f'<text class="e" x="{_f(X0 - 3)}" y="{_f(y(t) + 3.2)}">{t:g}</text>')
    parts.append(f'<text class="e" x="{_f(X0 - 3)}" y="8">{unit}</text>')
    for h in range(0, hr.HOURS + 1, 6):
        parts.append(f'<text class="m" x="{_f(_x(h))}" y="101">{h}</text>')
    if day.has_battery:
        for cls, values, sign in (("dc", day.discharge, 1.0), ("ch", day.charge, -1.0)):
            d = _bars(values / div, y, sign)
            parts.append(f'<path class="{cls}" d="{d}"/>' if d else "")
    parts.append(f'<path class="gr" d="{_steps(day.grid / div, y)}"/>')
    parts.append(f'<path class="ld" d="{_steps(day.load / div, y)}"/>')
    if math.isfinite(day.connection_kw):
        yc = _f(y(day.connection_kw / div))
        parts.append(f'<path class="cn" d="M{_f(X0)} {yc}H{_f(X1)}"/>')
    parts.append(_legend(day))
    return "".join(parts) + "</svg>"


def hub_charts(days: dict[str, hr.HubDay]) -> dict[str, str]:
    """Popup chart per site id."""
    return {site: hub_chart_svg(day) for site, day in days.items()}
