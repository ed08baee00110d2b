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
