"""Sections of ``compare.html``: the inputs that differ between runs and the per-year KPIs of rollouts."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from planner.run_inputs import input_differences

from . import _style as st
from ._figure import figure_style, new_figure, svg_text
from ._html import esc, table
from ._load import RunData
from .years import format_cell, year_table

# column of the per-year table, label, kind (see planner.render.years.format_cell)
YEAR_METRICS: list[tuple[str, str, str]] = [
    ("hubs", "Hubs open", "count"),
    ("points", "Charging points", "count"),
    ("mw", "Installed power (MW)", "mw"),
    ("capex_eur", "Capex in the year", "eur"),
    ("covered_share", "Served share of volume", "share"),
    ("afir_share", "AFIR compliant share", "share"),
]


def inputs_section(runs: list[RunData], labels: list[str]) -> str:
    """Table of the inputs whose values differ between the runs (from the resolved scenarios)."""
    if len(runs) < 2:
        return ""
    diff, notes = input_differences([r.run_dir for r in runs], labels)
    parts = ["<h2>Inputs that differ</h2>"]
    parts += [f'<p class="note">{esc(n)}</p>' for n in notes]
    if not len(diff):
        parts.append("<p>No input differs between the runs.</p>")
        return "".join(parts)
    rows = [[r["input"]] + [r[lab] for lab in labels] for _, r in diff.iterrows()]
    parts.append(table(["input"] + labels, rows))
    return "".join(parts)


def _by_year(runs: list[RunData], labels: list[str]) -> dict[str, pd.DataFrame]:
    return {lab: t for lab, r in zip(labels, runs, strict=True) if len(t := year_table(r.summary, r.hubs))}


def _year_chart(tables: dict[str, pd.DataFrame], metrics: list[tuple[str, str, str]]) -> Figure:
    panels = [m for m in metrics if any(m[0] in t for t in tables.values())]
    cols = 2
    rows = (len(panels) + 1) // 2
    with figure_style():
        fig = new_figure(11.0, 3.1 * rows + 0.4)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, (col, label, kind) in zip(axes.flat, panels, strict=False):
            for i, (run, t) in enumerate(tables.items()):
                if col in t:
                    colour = st.RUN_COLOURS[i % len(st.RUN_COLOURS)]
                    ax.plot(t["year"], pd.to_numeric(t[col], errors="coerce"), marker="o", lw=2, color=colour,
                            label=st.mpl_text(run))  # fmt: skip
            ax.set_title(label, loc="left")
            years = sorted({int(y) for t in tables.values() for y in t["year"]})
            if len(years) <= 12:
                ax.set_xticks(years, [str(y) for y in years])
            else:
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if kind == "share":
                ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
                ax.set_ylim(0, 1.05)
            elif kind == "eur":
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: st.fmt_eur(v).replace("€ ", "€")))
            ax.grid(color="#e3e7eb", linewidth=0.6)
            ax.set_axisbelow(True)
        for ax in list(axes.flat)[len(panels) :]:
            ax.set_axis_off()
        handles, names = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="upper left", ncol=min(len(names), 4), frameon=False)
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_figheight()))
    return fig


def years_section(runs: list[RunData], labels: list[str]) -> str:
    """Per-year KPIs of the rollout runs: one table per metric (years × runs) and line charts."""
    tables = _by_year(runs, labels)
    if not tables:
        return ""
    parts = [
        '<section class="years"><h2 class="page">Per year</h2>',
        f'<p class="note">Rollout runs: {esc(", ".join(tables))}. Figures at the end of each planning year; '
        "points and MW cumulative.</p>",
        "<figure>" + svg_text(_year_chart(tables, YEAR_METRICS)) + "</figure>",
    ]
    metrics = [m for m in YEAR_METRICS if any(m[0] in t for t in tables.values())]
    rows = []
    for run, t in tables.items():
        for _, r in t.iterrows():
            rows.append([run, str(int(r["year"]))] + [format_cell(r[c], k) if c in t else "–" for c, _, k in metrics])
    head = ["run", "year"] + [label for _, label, _ in metrics]
    parts.append(table(head, rows, [False, False] + [True] * len(metrics)))
    return "".join(parts) + "</section>"
