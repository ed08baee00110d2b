"""A ``demand.max_flows`` cut of the gravity demand is never silent.

Three zones of equal mass at N0, N2 and N4 of a line with 50 km steps, ``distance_decay = 1``: the pairs
N0–N2 and N2–N4 (100 km) each carry twice the trucks of N0–N4 (200 km), both directions alike, so the
six flows split the trucks/day 2:2:2:2:1:1. ``max_flows = 2`` keeps the largest pair (N0–N2 and N2–N4
tie; ties go by node ids): 4 of 10 parts, 40 % of the trucks/day. Those trips (100 km) need no hub
within the 150 km range, so the cheapest plan opens none, and on every flow it completes all but the
200 km pair: 8 of 10 parts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.api import run as run_plan
from planner.compare import compare_runs, format_kpis, write_comparison
from planner.demand import describe_demand
from planner.scenario import load_scenario
from tests.conftest import base_scenario, line_network, write_csv, write_scenario

CUT = "the 2 largest of 6 flows (40.0% of the trucks/day, demand.max_flows); the rest is outside the plan"
ALL = "on all flows this plan's hubs complete 80.0% of the trucks/day"


def _gravity(folder: Path, max_flows: int | str) -> Path:
    line_network(folder, 5, step_km=50.0)
    write_csv(folder / "zones.csv", "zone_id,node,weight", ["Z0,N0,1", "Z2,N2,1", "Z4,N4,1"])
    data = base_scenario(
        folder,
        flows=["F1,N0,N4,1"],
        demand={"max_flows": max_flows, "total_trucks_per_day": 1000.0, "distance_decay": 1.0, "min_trip_km": 50.0},
        objective={"type": "min_cost"},
        output={"maps": max_flows == 2, "tradeoff_points": 0},
    )
    data["demand"] = {**data["demand"], "flows": None, "zones": "zones.csv"}
    data["name"] = f"cut-{max_flows}"
    return write_scenario(folder / f"cut-{max_flows}.toml", data)


def test_the_cut_is_in_the_summary_the_log_the_report_and_the_comparison(tmp_path: Path) -> None:
    lines: list[str] = []
    cut = run_plan(load_scenario(_gravity(tmp_path, 2)), out_dir=tmp_path / "cut", log=lines.append)
    whole = run_plan(load_scenario(_gravity(tmp_path, "all")), out_dir=tmp_path / "whole")
    assert cut.verification.passed and whole.verification.passed
    demand = cut.summary["demand"]
    assert (demand["flows"], demand["flows_kept"]) == (6, 2)
    assert demand["volume_kept_share"] == pytest.approx(0.4)
    assert demand["all_flows_served_share"] == pytest.approx(0.8) and cut.summary["hub_count"] == 0
    assert cut.summary["flows"] == 2 and whole.summary["flows"] == 6
    assert cut.summary["total_volume"] == pytest.approx(0.4 * whole.summary["total_volume"])
    assert f"demand: {CUT}" in lines
    assert "demand: on all 6 flows this plan's hubs complete 80.0% of the trucks/day" in lines
    assert "demand" not in whole.summary  # nothing was left out
    report = (tmp_path / "cut" / "report.html").read_text(encoding="utf-8").replace("&#x27;", "'")
    assert f"Demand: {CUT}; {ALL}." in report
    assert "What the demand cut leaves out" not in report  # hubs not sized: nothing more to count
    kpis, _ = compare_runs([tmp_path / "cut", tmp_path / "whole"])
    assert kpis["demand_planned_share"].tolist() == pytest.approx([0.4, 1.0])
    assert kpis["all_flows_served_share"].tolist() == pytest.approx([0.8, 1.0])
    table = format_kpis(kpis).splitlines()
    header = table[0]
    planned, every = header.index("of demand planned"), header.index("served of every flow")
    cut_row = next(line for line in table if line.split()[0] == "cut")
    assert cut_row[planned : planned + len("of demand planned")].strip() == "40.0 %"
    assert cut_row[every : every + len("served of every flow")].strip() == "80.0 %"
    write_comparison([tmp_path / "cut", tmp_path / "whole"], tmp_path / "cmp")
    page = (tmp_path / "cmp" / "compare.html").read_text(encoding="utf-8")
    rows = (("Share of the demand planned", "40.0", "60.0"), ("Served share of every flow", "80.0", "20.0"))
    for label, cut_share, points in rows:
        row = page[page.index(label) : page.index("</tr>", page.index(label))]
        assert f"<td class=n>{cut_share} %</td>" in row and f'100.0 % <span class="note">(+{points} pp)' in row


def test_validate_and_run_name_the_cut(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    path = _gravity(tmp_path, 2)
    checked = CliRunner().invoke(app, ["validate", str(path)])
    assert checked.exit_code == 0 and f"2 flows: {CUT}" in checked.output
    ran = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert ran.exit_code == 0, ran.output
    assert "trucks/day of the 2 largest flows (80.0% of all flows' trucks/day), capex" in ran.output.splitlines()[-1]


def test_without_a_cut_nothing_is_simulated_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner import demand_cut

    def never(*_a, **_k):
        raise AssertionError("the whole demand was simulated again")

    monkeypatch.setattr(demand_cut, "served_by_simulation", never)
    plan = run_plan(load_scenario(_gravity(tmp_path, "all")), out_dir=tmp_path / "whole")
    assert plan.verification.passed and "demand" not in plan.summary


def test_describe_demand_says_how_flows_were_read() -> None:
    assert describe_demand({}) == ""
    assert describe_demand({"trips": 8, "flows": 5}) == "from 8 trips"
    assert describe_demand({"trips": 8, "flows": 5, "flows_kept": 3, "volume_kept_share": 0.875}) == (
        "from 8 trips; the 3 largest of 5 flows (87.5% of the trucks/day, demand.max_flows); the rest is outside "
        "the plan"
    )


def _sized_cut(folder: Path, max_flows: int | str, max_per_hub: int = 40) -> Path:
    """Line N0–N1–N2 (100 km steps, 150 km range): 8 trucks/day N0→N2 (the largest flow), 4 back N2→N0
    and 3 N0→N1 (100 km, no stop), from a trips file; MCS points of 450 kW (150 kWh from soc_min to
    soc_max: 20-minute sessions), 10 % of a day's sessions in the busiest hour, a 10-minute mean wait."""
    line_network(folder, 3)
    write_csv(folder / "trips.csv", "origin,destination,trips_per_day", ["N0,N2,8", "N2,N0,4", "N0,N1,3"])
    data = base_scenario(
        folder,
        flows=["F1,N0,N2,1"],
        demand={"max_flows": max_flows},
        objective={"type": "min_cost", "max_hubs": None},
        chargers={
            "mcs": {"capex_eur": 100.0, "min_per_hub": 1, "power_kw": 450.0, "max_per_hub": max_per_hub},
            "ccs": {"max_per_hub": 0},
        },
        capacity={"enabled": True, "peak_hour_share": 0.1, "max_wait_min": 10.0, "plug_overhead_min": 0.0},
        output={"maps": max_flows == 1 and max_per_hub == 40, "tradeoff_points": 0},
    )
    data["demand"] = {"trips": "trips.csv", "max_flows": max_flows}
    data["name"] = f"sized-{max_flows}"
    return write_scenario(folder / f"sized-{max_flows}.toml", data)


def test_a_cut_of_sized_hubs_counts_the_sessions_and_points_it_leaves_out(tmp_path: Path) -> None:
    # The plan for the 8 trucks N0→N2 opens one hub between km 50 and 150 (each trip needs one stop),
    # sized for 8 sessions/day: 0.8 arrivals in the busiest hour at 3 sessions an hour per point wait
    # 0.8/3 / (3 - 0.8) h = 7.3 min on one point. The 4 trucks back pass it and stop there once (the
    # 3 to N1 need no stop): 12 sessions/day, 1.2 an hour, wait 0.4 / 1.8 h = 13.3 min on one point,
    # so the hub lacks one point (100 EUR). Planned with every flow, it gets two.
    lines: list[str] = []
    cut = run_plan(load_scenario(_sized_cut(tmp_path, 1)), out_dir=tmp_path / "cut", log=lines.append)
    assert cut.verification.passed and cut.summary["hub_count"] == 1
    assert cut.hubs["chargers_mcs"].tolist() == [1] and cut.hubs["sessions_mcs"].tolist() == pytest.approx([8.0])
    load = cut.summary["demand"]["cut_flows_sessions"]
    assert load["sessions_per_day"] == pytest.approx(4.0) and load["planned_sessions_per_day"] == pytest.approx(8.0)
    assert (load["hubs_with_sessions"], load["max_hub_increase"]) == (1, pytest.approx(0.5))
    assert load["points_short"] == {"mcs": 1} and load["hubs_short"] == 1
    assert load["points_short_capex_eur"] == pytest.approx(100.0) and load["hubs_over_max_per_hub"] == 0
    assert cut.hubs["cut_sessions_per_day"].tolist() == [4.0] and cut.hubs["cut_points_short"].tolist() == [1]
    # each of the 4 trucks back arrives at N1 at 30 % and charges 100 kWh to 80 %: 400 kWh/day, 146 MWh/year,
    # half the 8 trucks' 292 MWh/year the hub is planned for
    assert cut.hubs["cut_energy_mwh_per_year"].tolist() == pytest.approx([146.0])
    assert (load["energy_mwh_per_year"], load["planned_energy_mwh_per_year"]) == pytest.approx((146.0, 292.0))
    written = pd.read_csv(tmp_path / "cut" / "hubs.csv")
    assert written[["cut_sessions_per_day", "cut_points_short"]].values.tolist() == [[4.0, 1]]
    said = (
        "the cut flows the hubs serve bring at least 4.0 more sessions/day (+50.0% on the 8.0 planned) to 1 hub, "
        "each truck stopping as rarely as its range allows, and at least 146 MWh/year more (+50.0%); sized for "
        "the planned flows, 1 hub lacks at least "
        "1 MCS points (100 EUR at the points' capex)"
    )
    assert f"demand: {said}" in lines
    report = (tmp_path / "cut" / "report.html").read_text(encoding="utf-8").replace("&#x27;", "'")
    assert said in report
    section = report[report.index("<h2>What the demand cut leaves out</h2>") :]
    section = section[: section.index("</table>")]
    assert "cut sessions per day" in section and "cut points short" in section and "cut energy mwh per year" in section
    assert "<td class=n>146</td>" in section and "1 of 1 hubs, by the points they lack" in section
    whole = run_plan(load_scenario(_sized_cut(tmp_path, "all")), out_dir=tmp_path / "whole")
    assert whole.hubs["chargers_mcs"].tolist() == [2] and "cut_flows_sessions" not in whole.summary["demand"]
    assert "cut_sessions_per_day" not in whole.hubs
    kpis, _ = compare_runs([tmp_path / "cut", tmp_path / "whole"])
    assert kpis["cut_sessions_per_day"].iloc[0] == pytest.approx(4.0) and kpis["cut_points_short"].iloc[0] == 1
    assert kpis[["cut_sessions_per_day", "cut_points_short"]].iloc[1].isna().all()  # nothing cut
    table = format_kpis(kpis).splitlines()
    at = table[0].index("cut sessions/day ≥")
    assert [row[at : at + len("cut sessions/day ≥")].strip() for row in table[1:]] == ["4", "–"]
    write_comparison([tmp_path / "cut", tmp_path / "whole"], tmp_path / "cmp")
    page = (tmp_path / "cmp" / "compare.html").read_text(encoding="utf-8")
    label = "Points sized hubs lack for them (at least)"
    assert "<td class=n>1</td>" in page[page.index(label) : page.index("</tr>", page.index(label))]


def test_planner_run_says_what_a_cut_leaves_out_of_sized_hubs(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    ran = CliRunner().invoke(app, ["run", str(_sized_cut(tmp_path, 1)), "--out", str(tmp_path / "out"), "--quiet"])
    assert ran.exit_code == 0, ran.output
    said = "of the 1 largest flows (100.0% of all flows' trucks/day by range; the hubs lack ≥ 1 point for them)"
    assert said in ran.output.splitlines()[-1]


def test_a_cut_beyond_max_per_hub_is_named(tmp_path: Path) -> None:
    # As above with at most one MCS point per hub: the 12 sessions cannot meet the wait on one point.
    plan = run_plan(load_scenario(_sized_cut(tmp_path, 1, max_per_hub=1)), out_dir=tmp_path / "cut")
    load = plan.summary["demand"]["cut_flows_sessions"]
    assert load["hubs_over_max_per_hub"] == 1 and load["points_short"] == {"mcs": 0} and load["hubs_short"] == 0
    assert describe_demand(plan.summary["demand"]).endswith(
        "1 hub would need more than chargers.<type>.max_per_hub allows"
    )


def test_the_last_line_names_the_sessions_left_out_where_no_points_were_counted() -> None:
    # A sized run whose feature counts no points for the cut flows: the line names their sessions instead;
    # without the count, nothing is added.
    from planner.cli import _cut_load

    load = {"sessions_per_day": 39375.1, "planned_sessions_per_day": 26383.7, "hubs_with_sessions": 100}
    said = " by range; ≥ 39,375 sessions/day of theirs not in the hubs' sizing"
    assert _cut_load({"cut_flows_sessions": load}) == said
    assert _cut_load({"all_flows_served_share": 0.9}) == ""


def test_hourly_hubs_lack_what_24_hours_cannot_hold(tmp_path: Path) -> None:
    # MCS at 450 kW charging 150 kWh: 20-minute sessions (no plug overhead). Hub A holds 60 sessions/day on one
    # point and the cut flows add 48: 108 sessions are 36 point-hours, more than one point's 24, so A lacks a
    # point; hub B's 10 sessions fit one. A's 1,000 + 800 MWh/year are 205.5 kW on average, 55.5 kW above its
    # 150-kW connection; B's 100 MWh/year (11.4 kW) fit its 50 kW.
    from planner.features.hourly.cut import cut_flows_short

    line_network(tmp_path, 3)
    scenario = load_scenario(_sized_cut(tmp_path, 1))
    hubs = pd.DataFrame(
        {
            "site_id": ["A", "B"],
            "sessions_mcs": [60.0, 10.0],
            "sessions_ccs": [0.0, 0.0],
            "chargers_mcs": [1, 1],
            "chargers_ccs": [0, 0],
            "energy_mwh_per_year": [1000.0, 100.0],
            "cut_energy_mwh_per_year": [800.0, 0.0],
            "grid_connection_kw": [150.0, 50.0],
        }
    )
    out = cut_flows_short(hubs, np.array([48.0, 0.0]), scenario)
    assert out["points_short"] == {"mcs": 1} and out["hubs_short"] == 1 and out["points_short_capex_eur"] == 100.0
    assert hubs["cut_points_short"].tolist() == [1, 0]
    assert hubs["cut_connection_short_kw"].tolist() == pytest.approx([1800e3 / 365 / 24 - 150.0, 0.0], abs=0.05)
    assert out["connection_short_mw"] == pytest.approx(0.0555, abs=1e-3) and out["hubs_connection_short"] == 1
    said = describe_demand(
        {
            "cut_flows_sessions": {
                "sessions_per_day": 48.0,
                "planned_sessions_per_day": 70.0,
                "hubs_with_sessions": 1,
                **out,
            }
        }
    )
    assert said.endswith(
        "1 hub lacks at least 1 MCS points (100 EUR at the points' capex) (a point serves at most 24 session-hours "
        "a day); 1 hub lacks at least 0.1 MW of grid connection for the day's energy over 24 hours"
    )


def test_an_hourly_run_with_a_cut_counts_what_it_leaves_out(tmp_path: Path) -> None:
    # The hourly family's line: 4 trucks/day N0→N2 kept, 3 back N2→N0 cut. They pass the hub at N1 and stop
    # there once each, charging 100 kWh (30 % → 80 % of 200 kWh): 3 sessions and 109.5 MWh/year more. Seven
    # 30-minute sessions fit one point's 24 hours, and the day's 700 kWh need 29 kW on average: nothing lacks.
    from tests.test_hourly import scenario as hourly_scenario

    write_csv(tmp_path / "trips.csv", "origin,destination,trips_per_day", ["N0,N2,4", "N2,N0,3"])
    demand = {"flows": None, "trips": "trips.csv", "max_flows": 1}
    lines: list[str] = []
    path = hourly_scenario(tmp_path, flows=["F1,N0,N2,1"], demand=demand)
    plan = run_plan(load_scenario(path), out_dir=tmp_path / "out", log=lines.append)
    assert plan.verification.passed and plan.hubs["site_id"].tolist() == ["N1"]
    load = plan.summary["demand"]["cut_flows_sessions"]
    assert (load["sessions_per_day"], load["energy_mwh_per_year"]) == pytest.approx((3.0, 109.5))
    assert load["points_rule"] == "a point serves at most 24 session-hours a day"
    assert (load["hubs_short"], load["hubs_connection_short"], load["connection_short_mw"]) == (0, 0, 0.0)
    assert plan.hubs[["cut_points_short", "cut_connection_short_kw"]].values.tolist() == [[0, 0.0]]
    assert next(line for line in lines if line.startswith("demand: the cut")).endswith(
        "sized for the planned flows, no hub lacks points for them; no hub lacks grid connection for the day's "
        "energy over 24 hours"
    )
