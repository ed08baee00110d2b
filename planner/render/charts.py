"""Report charts (matplotlib figures, inlined as SVG). Each returns ``None`` if no data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from . import _style as st
from ._figure import figure_style, new_figure

CHART_SIZE = (6.2, 3.4)
BAR = "#0072B2"
BAR2 = "#56B4E9"
LINE2 = "#D55E00"
LINE3 = "#AA3377"
MAX_COUNTRIES = 20


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").fillna(0.0)


def _style_axes(ax: Axes) -> None:
    ax.grid(axis="both", color="#e3e7eb", linewidth=0.6)
    ax.set_axisbelow(True)


def _min_slots(ax: Axes, n: int, slots: int = 5) -> None:
    """Keep bars thin when there are few: reserve room for ``slots`` bars, top-aligned."""
    ax.set_ylim(-0.6 - max(0, slots - n), n - 0.4)


def tradeoff_chart(summary: dict[str, Any]) -> Figure | None:
    """Served share against the number of hubs, from ``summary["tradeoff"]``."""
    points = summary.get("tradeoff")
    if not isinstance(points, list):
        return None
    rows = [(p.get("hubs"), p.get("covered_share"), p.get("bound_share")) for p in points if isinstance(p, dict)]
    rows = sorted(
        (float(h), float(s), float(b) if isinstance(b, int | float) else float(s))
        for h, s, b in rows
        if h is not None and s is not None
    )
    if not rows:
        return None
    x, y, upper = np.array(rows).T
    with figure_style():
        fig = new_figure(*CHART_SIZE)
        ax = fig.add_subplot()
        if (upper > y + 1e-9).any():
            ax.fill_between(x, y, np.maximum(upper, y), color=BAR, alpha=0.18, lw=0, label="room up to the bound")
        ax.plot(x, y, marker="o", color=BAR, lw=1.6, ms=4, label="plan with this many hubs")
        if "hub_count" in summary and "covered_share" in summary:
            ax.scatter(
                [summary["hub_count"]],
                [summary["covered_share"]],
                s=70,
                zorder=5,
                color=st.HUB_SINGLE,
                edgecolor="black",
                label="this plan",
            )
        ax.legend(loc="lower right", frameon=False)
        ax.set_xlabel("Number of hubs")
        ax.set_ylabel("Served share of volume")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, max(1.0, float(y.max())) * 1.02)
        _style_axes(ax)
        fig.tight_layout()
    return fig


def cost_components(summary: dict[str, Any]) -> dict[str, float]:
    """Cost items in EUR from ``cost_breakdown`` or the ``*_eur`` entries of ``totals``."""
    src = summary.get("cost_breakdown")
    if not isinstance(src, dict):
        src = summary.get("totals") if isinstance(summary.get("totals"), dict) else {}
        src = {k: v for k, v in src.items() if "eur" in k.lower() and "total" not in k.lower()}
    out = {}
    for k, v in src.items():
        try:
            out[str(k)] = float(v)
        except (TypeError, ValueError):
            continue
    return out


def _eur_axis(ax: Axes, axis: str = "x") -> None:
    fmt = FuncFormatter(lambda v, _pos: st.fmt_eur(v).replace("€ ", "€"))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def cost_chart(summary: dict[str, Any], hubs: pd.DataFrame) -> tuple[Figure, str] | None:
    """Cost breakdown: summary components if given, else hub cost by country."""
    comps = cost_components(summary)
    if comps:
        labels = [k.replace("_eur", "").replace("_", " ") for k in comps]
        values = list(comps.values())
        caption = "Cost breakdown (summary.json)"
    elif "cost_eur" in hubs.columns and len(hubs):
        by = _num(hubs["cost_eur"]).groupby(hubs.get("country", pd.Series("?", index=hubs.index)).fillna("?")).sum()
        by = by[by > 0].sort_values(ascending=False).head(MAX_COUNTRIES)
        if by.empty:
            return None
        labels, values = [str(k) for k in by.index], [float(v) for v in by]
        caption = "Hub cost by country (hubs.csv)"
    else:
        return None
    with figure_style():
        fig = new_figure(CHART_SIZE[0], max(2.4, 1.0 + 0.32 * len(labels)))
        ax = fig.add_subplot()
        ypos = np.arange(len(labels))[::-1]
        ax.barh(ypos, values, color=BAR, height=0.65)
        ax.set_yticks(ypos, [st.mpl_text(lab) for lab in labels])
        _min_slots(ax, len(labels))
        for yp, v in zip(ypos, values, strict=True):
            ax.text(v, yp, " " + st.fmt_eur(v), va="center", fontsize=9.5)
        _eur_axis(ax)
        ax.set_xlim(0, max(values) * 1.25 if max(values) > 0 else 1)
        _style_axes(ax)
        fig.tight_layout()
    return fig, caption


def country_table(hubs: pd.DataFrame) -> pd.DataFrame:
    """Hubs, chargers, MW and cost per country (from hubs.csv)."""
    if not len(hubs):
        return pd.DataFrame()
    country = hubs["country"].fillna("?").astype(str) if "country" in hubs else pd.Series("?", index=hubs.index)
    df = pd.DataFrame({"country": country, "hubs": 1})
    for col in ("chargers", "chargers_mcs", "chargers_ccs", "power_kw", "cost_eur"):
        if col in hubs.columns:
            df[col] = _num(hubs[col])
    out = df.groupby("country").sum(numeric_only=True)
    if "power_kw" in out:
        out["MW"] = out.pop("power_kw") / 1000.0
    sort_by = "chargers" if "chargers" in out else "hubs"
    return out.sort_values([sort_by, "hubs"], ascending=False)


def country_chart(hubs: pd.DataFrame) -> Figure | None:
    """Charging points (and MW if known) per country."""
    tab = country_table(hubs)
    if tab.empty or "chargers" not in tab:
        return None
    tab = tab.head(MAX_COUNTRIES)
    panels = 2 if "MW" in tab else 1
    labels = [st.mpl_text(c) for c in tab.index]
    ypos = np.arange(len(tab))[::-1]
    with figure_style():
        fig = new_figure(CHART_SIZE[0], max(2.6, 1.1 + 0.3 * len(tab)))
        axes = fig.subplots(1, panels, sharey=True, squeeze=False)[0]
        ax = axes[0]
        if {"chargers_mcs", "chargers_ccs"} <= set(tab.columns) and (tab["chargers_mcs"] + tab["chargers_ccs"]).gt(
            0
        ).any():
            ax.barh(ypos, tab["chargers_mcs"], color=BAR, height=0.65, label="MCS")
            ax.barh(
                ypos,
                tab["chargers_ccs"],
                left=tab["chargers_mcs"],
                color=BAR2,
                height=0.65,
                label="CCS",
            )
            ax.legend(
                frameon=False,
                loc="lower right",
                bbox_to_anchor=(1.0, 1.0),
                ncol=2,
                borderaxespad=0.2,
            )
        else:
            ax.barh(ypos, tab["chargers"], color=BAR, height=0.65)
        ax.set_title("Charging points", loc="left")
        ax.set_yticks(ypos, labels)
        _min_slots(ax, len(tab))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _style_axes(ax)
        if panels == 2:
            axes[1].barh(ypos, tab["MW"], color=LINE2, height=0.65)
            axes[1].set_title("Installed power (MW)", loc="left")
            _style_axes(axes[1])
        fig.tight_layout()
    return fig


def rollout_chart(hubs: pd.DataFrame) -> Figure | None:
    """Hubs opened per year and the cumulative number of charging points."""
    if "opened_year" not in hubs.columns:
        return None
    years = pd.to_numeric(hubs["opened_year"], errors="coerce")
    if years.notna().sum() == 0:
        return None
    df = pd.DataFrame({"year": years.astype("Int64"), "hubs": 1})
    if "chargers" in hubs:
        df["chargers"] = _num(hubs["chargers"])
    if "power_kw" in hubs:
        df["MW"] = _num(hubs["power_kw"]) / 1000.0
    per = df.dropna(subset=["year"]).groupby("year").sum(numeric_only=True).sort_index()
    x = per.index.astype(int).to_numpy()
    with figure_style():
        fig = new_figure(*CHART_SIZE)
        ax = fig.add_subplot()
        ax.bar(x, per["hubs"], color=BAR2, width=0.7, label="hubs opened")
        ax.set_ylabel("Hubs opened")
        ax.set_xticks(x, [str(v) for v in x])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        _style_axes(ax)
        cum_col = "MW" if "MW" in per else "chargers" if "chargers" in per else None
        if cum_col:
            ax2 = ax.twinx()
            ax2.plot(
                x,
                per[cum_col].cumsum(),
                color=LINE2,
                marker="o",
                lw=1.8,
                label=f"cumulative {cum_col if cum_col == 'MW' else 'charging points'}",
            )
            ax2.set_ylabel("Cumulative " + ("MW" if cum_col == "MW" else "charging points"))
            ax2.set_ylim(0, None)
            ax2.spines["right"].set_visible(True)
            h1, l1 = ax.get_legend_handles_labels()
            h2, l2 = ax2.get_legend_handles_labels()
            ax.legend(
                h1 + h2,
                l1 + l2,
                loc="lower left",
                bbox_to_anchor=(0.0, 1.0),
                ncol=2,
                frameon=False,
                borderaxespad=0.2,
            )
        fig.tight_layout()
    return fig


def _year_axis(ax: Axes, years: np.ndarray) -> None:
    ax.set_xticks(years, [str(int(y)) for y in years])
    _style_axes(ax)


def year_build_chart(table: pd.DataFrame) -> Figure | None:
    """Hubs open (bars) and installed MW (line) at the end of each planning year."""
    if len(table) < 1 or "hubs" not in table:
        return None
    x = table["year"].to_numpy(dtype=int)
    with figure_style():
        fig = new_figure(*CHART_SIZE)
        ax = fig.add_subplot()
        ax.bar(x, _num(table["hubs"]), color=BAR2, width=0.7 * _bar_step(x), label="hubs open")
        ax.set_ylabel("Hubs open")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        _year_axis(ax, x)
        handles, labels = ax.get_legend_handles_labels()
        if "mw" in table:
            ax2 = ax.twinx()
            ax2.plot(x, _num(table["mw"]), color=LINE2, marker="o", lw=2.0, label="installed MW")
            ax2.set_ylabel("Installed power (MW)")
            ax2.set_ylim(0, None)
            ax2.spines["right"].set_visible(True)
            h2, l2 = ax2.get_legend_handles_labels()
            handles, labels = handles + h2, labels + l2
        ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False,
                  borderaxespad=0.2)  # fmt: skip
        fig.tight_layout()
    return fig


def _bar_step(x: np.ndarray) -> float:
    return float(np.min(np.diff(x))) if len(x) > 1 else 1.0


def year_money_chart(table: pd.DataFrame) -> Figure | None:
    """Capex spent in each planning year, with the year's budget as a black tick."""
    if "capex_eur" not in table or not len(table):
        return None
    x = table["year"].to_numpy(dtype=int)
    step = _bar_step(x)
    with figure_style():
        fig = new_figure(*CHART_SIZE)
        ax = fig.add_subplot()
        ax.bar(x, _num(table["capex_eur"]), color=BAR, width=0.7 * step, label="capex")
        if "budget_eur" in table and pd.to_numeric(table["budget_eur"], errors="coerce").notna().any():
            budget = pd.to_numeric(table["budget_eur"], errors="coerce")
            ax.hlines(budget, x - 0.42 * step, x + 0.42 * step, colors="black", lw=2.2, label="budget")
        _eur_axis(ax, "y")
        ax.set_ylabel("Capex in the year")
        _year_axis(ax, x)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False, borderaxespad=0.2)
        fig.tight_layout()
    return fig


def year_share_chart(table: pd.DataFrame) -> Figure | None:
    """Served share and AFIR compliant share per planning year (and the AFIR requirement)."""
    if "covered_share" not in table or not len(table):
        return None
    x = table["year"].to_numpy(dtype=int)
    with figure_style():
        fig = new_figure(*CHART_SIZE)
        ax = fig.add_subplot()
        ax.plot(x, _num(table["covered_share"]), color=BAR, marker="o", lw=2.0, label="served share of volume")
        if "afir_share" in table and pd.to_numeric(table["afir_share"], errors="coerce").notna().any():
            afir = pd.to_numeric(table["afir_share"], errors="coerce")
            ax.plot(x, afir, color=LINE3, marker="s", lw=2.0, label="AFIR compliant share")
            if "afir_required_share" in table:
                req = pd.to_numeric(table["afir_required_share"], errors="coerce")
                ax.plot(x, req, color=LINE3, ls="--", lw=1.2, label="AFIR required")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("Share")
        _year_axis(ax, x)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False, borderaxespad=0.2)
        fig.tight_layout()
    return fig
