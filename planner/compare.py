"""Several plans side by side: one KPI table, the inputs that differ, which sites they share,
per-year KPIs of rollouts, a comparison report.

Reads run folders written by ``planner run`` (``summary.json``, ``hubs.csv``,
``scenario.resolved.toml``), so plans made at different times or on different machines compare
the same way.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from planner.demand import demand_shares
from planner.errors import DataError
from planner.exports import write_csv
from planner.exports.xlsx import year_frame
from planner.outdir import staged_output
from planner.run_inputs import input_differences
from planner.runfolder import read_run_csv, read_summary

__all__ = [
    "KPI_COLUMNS",
    "compare_runs",
    "describe_inputs",
    "format_gaps",
    "format_kpis",
    "gap_note",
    "run_labels",
    "write_comparison",
    "years_table",
]

KPI_COLUMNS = [
    "run",
    "scenario",
    "objective",
    "kpi_year",
    "status",
    "mip_gap",
    "hub_count",
    "new_hub_count",
    "total_chargers",
    "points_mcs",
    "points_ccs",
    "power_mw",
    "total_cost_eur",
    "opex_eur_per_year",
    "annualised_cost_eur_per_year",
    "grid_upgrade_mw",
    "grid_upgrade_cost_eur",
    "hourly_annual_cost_eur_per_year",
    "energy_cost_eur_per_year",
    "connection_mw",
    "battery_mwh",
    "peak_load_mw",
    "total_volume",
    "covered_volume",
    "covered_share",
    "demand_planned_share",
    "all_flows_served_share",
    "cut_sessions_per_day",
    "cut_points_short",
    "every_flow_capex_bound_eur",
    "total_truck_km",
    "covered_truck_km",
    "cost_per_served_truck_km_day_eur",
    "afir_year",
    "afir_share",
    "afir_required_share",
    "afir_met",
    "verified",
]


def _read_run(run_dir: Path) -> tuple[dict, pd.DataFrame]:
    summary = read_summary(run_dir)
    hubs = read_run_csv(run_dir / "hubs.csv", dtype={"site_id": str})
    return summary, hubs if hubs is not None else pd.DataFrame(columns=["site_id"])


def _cut_kpis(summary: dict) -> dict[str, Any]:
    """What a ``max_flows`` cut leaves out of sized hubs (``demand.cut_flows_sessions``); empty elsewhere."""
    load = (summary.get("demand") or {}).get("cut_flows_sessions") or {}
    short = load.get("points_short")
    return {
        "cut_sessions_per_day": load.get("sessions_per_day"),
        "cut_points_short": sum(short.values()) if short is not None else None,
        "every_flow_capex_bound_eur": (load.get("every_flow_bound") or {}).get("every_flow_capex_bound_eur"),
    }


def _grid_kpis(summary: dict, hubs: pd.DataFrame) -> dict[str, Any]:
    """Grid upgrades and on-site batteries (``[grid]``, ``[hourly]``) and the hourly sizing's yearly
    cost, connection and peak load; empty where the run has none."""
    grid = summary.get("grid") or {}
    battery = hubs["battery_kwh"].sum() / 1e3 if "battery_kwh" in hubs.columns else None
    totals = (summary.get("hourly") or {}).get("totals") or {}
    return {
        "grid_upgrade_mw": grid.get("upgrade_mw"),
        "grid_upgrade_cost_eur": grid.get("upgrade_cost_eur"),
        "hourly_annual_cost_eur_per_year": totals.get("annual_cost_eur"),
        "energy_cost_eur_per_year": totals.get("energy_cost_eur_per_year"),
        "connection_mw": totals.get("connection_mw"),
        "battery_mwh": battery,
        "peak_load_mw": totals.get("peak_load_mw"),
    }


def run_labels(run_dirs: list[Path]) -> list[str]:
    """How the runs are labelled: their folder names, or as many trailing parts of their paths as tell
    them apart (``2030/run``, ``2035/run``).

    Raises
    ------
    DataError
        If a folder is given twice.
    """
    paths = [Path(os.path.abspath(d)) for d in run_dirs]
    if not paths:
        return []
    twice = sorted({str(d) for d, p in zip(run_dirs, paths, strict=True) if paths.count(p) > 1})
    if twice:
        raise DataError(f"{twice[0]}: the same run folder is given twice; give each run once.")
    for n in range(1, max(len(p.parts) for p in paths) + 1):
        labels = ["/".join(p.parts[-n:]) for p in paths]
        if len(set(labels)) == len(labels):
            return labels
    return [str(p) for p in paths]  # not reached: distinct absolute paths differ in some trailing parts


def compare_runs(run_dirs: list[Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """KPI table (one row per run) and site table (one row per site open in any run).

    Parameters
    ----------
    run_dirs
        Run folders, labelled by :func:`run_labels`.

    Returns
    -------
    (kpis, sites)
        ``kpis`` has :data:`KPI_COLUMNS`; ``sites`` has ``site_id, name, lon, lat``, one boolean
        column per run, ``runs`` (how many runs open it) and ``in_all``.
    """
    if not run_dirs:
        raise DataError("compare needs at least one run folder.")
    labels = run_labels(run_dirs)
    rows, site_frames = [], []
    for label, d in zip(labels, run_dirs, strict=True):
        s, hubs = _read_run(Path(d))
        served_tkm = s.get("covered_truck_km") or 0.0
        points = (s.get("chargers") or {}).get("points_by_type") or {}
        afir = s.get("afir") or {}
        planned, every = demand_shares(s)
        rows.append(
            {
                "run": label,
                "scenario": s.get("scenario"),
                "objective": s.get("objective"),
                "kpi_year": s.get("kpi_year"),
                "status": s.get("status"),
                "mip_gap": s.get("mip_gap"),
                "hub_count": s.get("hub_count"),
                "new_hub_count": s.get("new_hub_count"),
                "total_chargers": s.get("total_chargers"),
                "points_mcs": points.get("mcs"),
                "points_ccs": points.get("ccs"),
                "power_mw": (s.get("chargers") or {}).get("total_power_mw"),
                "total_cost_eur": s.get("total_cost_eur"),
                "opex_eur_per_year": (s.get("economics") or {}).get("opex_eur_per_year"),
                "annualised_cost_eur_per_year": (s.get("economics") or {}).get("annualised_cost_eur"),
                **_grid_kpis(s, hubs),
                "total_volume": s.get("total_volume"),
                "covered_volume": s.get("covered_volume"),
                "covered_share": s.get("covered_share"),
                "demand_planned_share": planned,
                "all_flows_served_share": every,
                **_cut_kpis(s),
                "total_truck_km": s.get("total_truck_km"),
                "covered_truck_km": served_tkm,
                "cost_per_served_truck_km_day_eur": (s.get("total_cost_eur") or 0.0) / served_tkm
                if served_tkm
                else None,
                "afir_year": afir.get("year"),
                "afir_share": afir.get("share"),
                "afir_required_share": afir.get("required_share"),
                "afir_met": afir.get("met"),
                "verified": (s.get("verification") or {}).get("passed"),
            }
        )
        cols = [c for c in ("site_id", "name", "lon", "lat") if c in hubs.columns]
        site_frames.append(hubs[cols].assign(run=label))
    kpis = pd.DataFrame(rows, columns=KPI_COLUMNS)
    allsites = pd.concat(site_frames, ignore_index=True)
    info = allsites.drop_duplicates("site_id").set_index("site_id").drop(columns="run")
    sites = info.sort_index()
    member = {label: sites.index.isin(allsites.loc[allsites["run"] == label, "site_id"]) for label in labels}
    sites = pd.concat([sites, pd.DataFrame(member, index=sites.index)], axis=1)  # one frame, not a column per run
    sites["runs"] = sites[labels].sum(axis=1)
    sites["in_all"] = sites["runs"] == len(labels)
    return kpis, sites.reset_index()


def years_table(run_dirs: list[Path]) -> pd.DataFrame:
    """Per-year KPIs of rollout runs (one row per run and year; empty if no run has years): each run's
    year table (:func:`planner.exports.xlsx.year_frame`, with the cumulative ``points`` and ``power_mw``)
    behind a ``run`` column."""
    frames = []
    for label, d in zip(run_labels(run_dirs), run_dirs, strict=True):
        summary, _ = _read_run(Path(d))
        years = year_frame(summary)
        if len(years):
            frames.append(years.assign(run=label)[["run", *years.columns]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _percent(shares: pd.Series) -> list[str]:
    """Shares 0–1 as "12.3 %" ("–" where missing)."""
    return [f"{100 * float(v):.1f} %" if pd.notna(v) else "–" for v in shares]


def format_gaps(gaps: pd.Series) -> list[str]:
    """Relative MIP gaps 0–1 as "0.81 %" ("–" where missing)."""
    return [f"{100 * float(v):.2f} %" if pd.notna(v) else "–" for v in gaps]


def gap_note(gaps: pd.Series) -> str | None:
    """A line for under a table of runs or sweep points, when some was not solved exactly: a difference
    between two of them smaller than their gaps may be the solver's tolerance, not their inputs (at
    ``solver.mip_gap = 0.01`` a larger battery can be reported serving less than a smaller one)."""
    known = pd.to_numeric(gaps, errors="coerce").dropna()
    if known.empty or float(known.max()) <= 0:
        return None
    return (
        f"gap: up to {100 * float(known.max()):.2f} %; a difference smaller than the gaps of the plans compared "
        "may be the solver's tolerance, not their inputs (a tighter solver.mip_gap tells them apart)"
    )


def _headline(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """Label, status, gap, hubs and served share of plans as text (counts as integers, shares in %)."""
    out = pd.DataFrame({label: frame[label], "status": frame["status"], "gap": format_gaps(frame["mip_gap"])})
    out["hubs"] = [f"{int(v):,}" if pd.notna(v) else "–" for v in frame["hub_count"]]
    out["served"] = _percent(frame["covered_share"])
    return out


def _whole(values: pd.Series) -> list[str]:
    """Whole numbers with thousands separators, EUR or sessions ("–" where missing)."""
    return [f"{float(v):,.0f}" if pd.notna(v) else "–" for v in values]


def format_kpis(kpis: pd.DataFrame) -> str:
    """The headline KPIs as a text table: counts as integers, shares in %, money in whole EUR."""
    out = _headline(kpis, "run")
    if kpis["kpi_year"].notna().any():  # a rollout's KPIs are of its last year
        out.insert(1, "year", [str(int(v)) if pd.notna(v) else "–" for v in kpis["kpi_year"]])
    out["of demand planned"] = _percent(kpis["demand_planned_share"])
    out["served of every flow"] = _percent(kpis["all_flows_served_share"])
    if kpis["cut_sessions_per_day"].notna().any():  # sized runs with a cut: what it leaves out of the hubs
        out["cut sessions/day ≥"] = _whole(kpis["cut_sessions_per_day"])
    out["capex EUR"] = _whole(kpis["total_cost_eur"])
    if kpis["every_flow_capex_bound_eur"].notna().any():  # capacity.every_flow_bound
        out["every flow ≥ EUR"] = _whole(kpis["every_flow_capex_bound_eur"])
    _hourly_cost(out, kpis)
    out["AFIR year"] = [str(int(v)) if pd.notna(v) else "–" for v in kpis["afir_year"]]
    return out.to_string(index=False)


def _hourly_cost(out: pd.DataFrame, table: pd.DataFrame) -> None:
    """Add the hourly sizing's objective, its cost per year, where a run has one."""
    if table["hourly_annual_cost_eur_per_year"].notna().any():
        out["EUR/year (hourly)"] = _whole(table["hourly_annual_cost_eur_per_year"])


def format_points(table: pd.DataFrame) -> str:
    """A sweep's points (:meth:`planner.sweep.SweepResult.table`) as the text table ``planner sweep`` prints,
    formatted as :func:`format_kpis`."""
    out = _headline(table, "point")
    out["status"] = out["status"].replace({"skipped": "resumed"})  # sweep.csv's "skipped": a finished run kept
    out["capex EUR"] = _whole(table["total_cost_eur"])
    _hourly_cost(out, table)
    return out.to_string(index=False)


def describe_inputs(run_dirs: list[Path]) -> str:
    """The inputs that differ between the runs as text lines (for the command line)."""
    labels = run_labels(run_dirs)
    diff, notes = input_differences([Path(d) for d in run_dirs], labels)
    if not len(diff):
        return "\n".join(["no input differs between the runs", *notes])
    lines = ["inputs that differ:"]
    for _, r in diff.iterrows():
        lines.append(f"  {r['input']}: " + " | ".join(f"{lab}={r[lab] or '–'}" for lab in labels))
    return "\n".join(lines + notes)


def write_comparison(
    run_dirs: list[Path], out_dir: Path, *, html: bool = True, tables: tuple[pd.DataFrame, pd.DataFrame] | None = None
) -> list[Path]:
    """Write ``kpis.csv``, ``kpis.json``, ``inputs.csv`` (the inputs that differ), ``sites.csv``,
    ``kpis_by_year.csv`` for rollouts (and ``compare.html``) atomically; ``tables`` reuses a
    :func:`compare_runs` result. CSVs as the run's: UTF-8, money in whole EUR."""
    kpis, sites = tables if tables is not None else compare_runs([Path(d) for d in run_dirs])
    by_year = years_table([Path(d) for d in run_dirs])
    inputs, _notes = input_differences([Path(d) for d in run_dirs], run_labels(run_dirs))
    with staged_output(Path(out_dir), kind="compare") as (tmp, written):
        write_csv(kpis, tmp / "kpis.csv", float_format=None)
        (tmp / "kpis.json").write_text(kpis.to_json(orient="records", indent=2) + "\n", encoding="utf-8")
        write_csv(inputs, tmp / "inputs.csv")
        write_csv(sites, tmp / "sites.csv")
        names = ["kpis.csv", "kpis.json", "inputs.csv", "sites.csv"]
        if not by_year.empty:
            write_csv(by_year, tmp / "kpis_by_year.csv", float_format=None)
            names.append("kpis_by_year.csv")
        if html:
            from planner.render import render_comparison

            render_comparison([Path(d) for d in run_dirs], tmp)
            names.append("compare.html")
        written += names
    return [Path(out_dir) / n for n in names]
