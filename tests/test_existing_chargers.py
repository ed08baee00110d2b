"""Existing charging points at existing hubs: kept by every sized plan and never paid again.

Line N0–N1–N2, 100 km legs, 150 km range, as in ``test_capacity``: a truck N0→N2 charges once at
N1, one 300 kW point takes 5 sessions a day at the 10-minute wait target, so 8 trucks/day need two
points (site 1,000 EUR, point 100 EUR). An existing hub ``EX`` (locked) stands at N1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.api import solve_scenario
from planner.candidates import build_candidates
from planner.chargers import existing_by_type
from planner.errors import DataError
from planner.features.capacity.model import TypeLevels, site_levels
from planner.scenario import load_scenario
from tests.conftest import base_scenario, line_network, write_csv, write_scenario
from tests.test_capacity import sized_sections
from tests.test_hourly import scenario as hourly_scenario

SITES_HEADER = "site_id,node,locked,existing_mcs,existing_ccs,existing_points,existing_power_kw"


def sized(folder: Path, volume: float, site: str, **sections: dict) -> pd.DataFrame:
    """Plan one N0→N2 flow of ``volume`` trucks/day with the sites file row ``site``; the plan."""
    line_network(folder, 3)
    write_csv(folder / "sites.csv", SITES_HEADER, [site])
    data = base_scenario(
        folder,
        flows=[f"T,N0,N2,{volume}"],
        candidates={"sites": "sites.csv"},
        objective={"type": "min_cost", "max_hubs": None},
        **sized_sections(),
    )
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    return solve_scenario(load_scenario(write_scenario(folder / "s.toml", data)))


@pytest.mark.parametrize(
    ("site", "points", "cost"),
    [
        ("EX,N1,true,,,,", 2, 200.0),  # no points listed: both paid (as before)
        ("EX,N1,true,1,,,", 2, 100.0),  # one stands: one more paid
        ("EX,N1,true,2,,,", 2, 0.0),  # both stand: nothing to pay
        ("EX,N1,true,5,,,", 5, 0.0),  # more than the trucks need: all five stay, none paid
        ("EX,N1,true,,,3,300", 3, 0.0),  # 3 points of 300 kW: MCS points of the catalogue's power
        ("EX,N1,true,,,3,150", 2, 200.0),  # 150 kW points are slower than the sizing assumes: none kept
    ],
)
def test_an_existing_hub_keeps_its_points_and_pays_only_for_more(
    tmp_path: Path, site: str, points: int, cost: float
) -> None:
    plan = sized(tmp_path, 8.0, site)
    hubs = plan.hubs.set_index("site_id")
    assert list(hubs.index) == ["EX"]  # the locked hub's site costs nothing: cheaper than N1
    assert hubs.loc["EX", "chargers_mcs"] == points and hubs.loc["EX", "cost_eur"] == pytest.approx(cost)
    assert plan.summary["total_cost_eur"] == pytest.approx(cost)
    assert plan.summary["chargers"]["capex_points_eur"] == pytest.approx(cost)  # only the points bought
    assert plan.verification.passed  # the verifier recomputes the cost from the sites file
    standing = points if cost == 0.0 else (1 if ",1,," in site else 0)
    if standing:
        assert hubs.loc["EX", "chargers_mcs_existing"] == standing
        assert plan.summary["existing_chargers"] == standing
    else:
        assert "chargers_mcs_existing" not in hubs and "existing_chargers" not in plan.summary


def test_the_run_line_says_how_many_points_stood_already(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    sized(tmp_path, 8.0, "EX,N1,true,1,,,")  # writes the scenario and its files
    res = CliRunner().invoke(app, ["run", str(tmp_path / "s.toml"), "-o", str(tmp_path / "out"), "-q"])
    assert res.exit_code == 0
    assert "1 hub (2 MCS + 0 CCS points, 1 of them existing, 0.6 MW)" in res.stdout


@pytest.mark.parametrize(("listed", "points"), [("", 2), ("1", 2), ("3", 3)])
def test_without_sizing_an_existing_hub_shows_its_points_and_buys_none(
    tmp_path: Path, listed: str, points: int
) -> None:
    # No sizing: an existing hub is taken to have the minimum pool (2 points) at no cost, and shows the points
    # listed for it where they are more.
    line_network(tmp_path, 3)
    write_csv(tmp_path / "sites.csv", SITES_HEADER, [f"EX,N1,true,{listed},,,", "NEW,N1,false,,,,"])
    data = base_scenario(
        tmp_path,
        flows=["T,N0,N2,8"],
        candidates={"sites": "sites.csv"},
        objective={"type": "min_cost", "max_hubs": None},
        chargers={"mcs": {"capex_eur": 100.0, "min_per_hub": 2}},
    )
    plan = solve_scenario(load_scenario(write_scenario(tmp_path / "s.toml", data)))
    assert plan.hubs["site_id"].tolist() == ["EX"] and plan.hubs["chargers_mcs"].tolist() == [points]
    assert plan.summary["total_cost_eur"] == 0.0 and plan.summary["chargers"]["capex_points_eur"] == 0.0
    if listed:
        assert plan.hubs["chargers_mcs_existing"].tolist() == [int(listed)]
        assert plan.summary["existing_chargers"] == int(listed)
    else:
        assert "chargers_mcs_existing" not in plan.hubs and "existing_chargers" not in plan.summary
    assert plan.verification.passed


def test_relaxed_levels_and_the_two_stage_solve_credit_them_too(tmp_path: Path) -> None:
    plan = sized(tmp_path, 8.0, "EX,N1,true,1,,,", capacity={"size_levels": "relaxed"})
    hubs = plan.hubs.set_index("site_id")
    assert hubs.loc["EX", "chargers_mcs"] == 2 and plan.summary["total_cost_eur"] == pytest.approx(100.0)
    assert plan.summary["status"] == "optimal" and plan.summary["best_bound"] == pytest.approx(100.0, abs=0.01)
    assert plan.verification.passed


def test_a_budget_counts_only_the_points_bought(tmp_path: Path) -> None:
    # Two points needed, one standing: 100 EUR within a 150 EUR budget (200 EUR would not be).
    plan = sized(tmp_path, 8.0, "EX,N1,true,1,,,", objective={"type": "max_coverage", "budget_eur": 150.0})
    assert plan.flows["served"].all() and plan.summary["total_cost_eur"] == pytest.approx(100.0)
    assert plan.verification.passed


def test_hourly_sizing_keeps_them_and_pays_only_for_more(tmp_path: Path) -> None:
    # 4 trucks/day leaving at midnight need three 300 kW points at N1 (test_hourly); two stand at EX.
    cost, annual = {}, {}
    for name, row in (("none", "EX,N1,true,,,,"), ("two", "EX,N1,true,2,,,")):
        folder = tmp_path / name
        folder.mkdir()
        line_network(folder, 3)
        write_csv(folder / "sites.csv", SITES_HEADER, [row])
        plan = solve_scenario(
            load_scenario(hourly_scenario(folder, flows=["T,N0,N2,4"], candidates={"sites": "sites.csv"}))
        )
        hub = plan.hubs.set_index("site_id").loc["EX"]
        assert hub["chargers_mcs"] == 3 and plan.verification.passed
        cost[name], annual[name] = float(hub["cost_eur"]), plan.summary["hourly"]["totals"]["annual_cost_eur"]
    assert hub["chargers_mcs_existing"] == 2 and plan.summary["existing_chargers"] == 2
    assert cost["none"] - cost["two"] == pytest.approx(2 * 100_000.0)  # the same design, two points fewer paid
    assert annual["two"] < annual["none"]


def test_a_rollout_starts_from_them(tmp_path: Path) -> None:
    # 4 trucks/day in 2026 (one point), 8 in 2030 (two); one stands at EX: only the second is bought, in 2030.
    plan = sized(
        tmp_path,
        8.0,
        "EX,N1,true,1,,,",
        rollout={"years": [2026, 2030], "bev_share": [0.5, 1.0], "mode": "foresight"},
        demand={"bev_share": 1.0},
    )
    years = {r["year"]: r for r in plan.summary["years"]}
    assert years[2026]["new_hubs"] == 0 and years[2026]["capex_eur"] == pytest.approx(0.0)
    assert years[2026]["chargers_added"] == 0
    assert years[2030]["chargers_added"] == 1 and years[2030]["capex_eur"] == pytest.approx(100.0)
    assert plan.hubs.set_index("site_id").loc["EX", "chargers_mcs"] == 2
    assert plan.summary["total_cost_eur"] == pytest.approx(100.0) and plan.verification.passed


def test_points_count_by_type_only_at_existing_hubs() -> None:
    sites = pd.DataFrame(
        {
            "site_id": ["a", "b", "c", "d", "e", "f"],
            "locked": [True, True, True, True, False, True],
            "existing_mcs": [2, np.nan, np.nan, np.nan, np.nan, np.nan],
            "existing_ccs": [3, np.nan, np.nan, np.nan, np.nan, np.nan],
            "existing_points": [9, 4, 6, 5, 7, np.nan],
            "existing_power_kw": [1000, 1200, 400, 350, 1000, 1000],
        }
    )
    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "example-capacity.toml")
    got = existing_by_type(sites, scenario.chargers)  # MCS 1,000 kW, CCS 400 kW
    assert got["mcs"].tolist() == [2, 4, 0, 0, 0, 0]  # listed per type wins; ≥ 1,000 kW is MCS
    assert got["ccs"].tolist() == [3, 0, 6, 0, 0, 0]  # 400 kW is CCS; 350 kW is neither; unlocked none


def test_no_level_below_the_points_standing() -> None:
    levels = TypeLevels("mcs", (1, 2, 3, 4), (5.0, 12.0, 20.0, 28.0), 100.0, 300.0)
    assert site_levels(levels, None, hull=False, existing=2) == [1, 2, 3]
    assert site_levels(levels, 4.0, hull=False, existing=2) == [1]  # the trucks need one: the two stay
    assert site_levels(levels, 4.0, hull=False, existing=9) == [3]  # more than any level: the largest
    # Costs 0, 100, 200 over capacities 12, 20, 28: on a line, the hull keeps its ends.
    assert site_levels(levels, None, hull=True, existing=2) == [1, 3]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("EX,N1,false,2,,,", "site 'EX' lists existing_mcs but is not locked"),
        ("EX,N1,true,-1,,,", "site 'EX' has existing_mcs='-1'; give a whole number of points ≥ 0"),
        ("EX,N1,true,,1.5,,", "site 'EX' has existing_ccs='1.5'; give a whole number of points ≥ 0"),
        ("EX,N1,true,,,four,", "site 'EX' has existing_points='four'"),
        ("EX,N1,true,,,4,-5", "site 'EX' has existing_power_kw='-5'; give the power of one point in kW"),
    ],
)
def test_bad_existing_points_name_the_file_the_site_and_the_column(tmp_path: Path, row: str, message: str) -> None:
    line_network(tmp_path, 3)
    path = write_csv(tmp_path / "sites.csv", SITES_HEADER, [row])
    data = base_scenario(tmp_path, flows=["T,N0,N2,1"], candidates={"sites": "sites.csv"})
    sc = load_scenario(write_scenario(tmp_path / "s.toml", data))
    from planner.network import load_network

    with pytest.raises(DataError, match=str(path).replace(".", r"\.") + ".*" + message.replace(".", r"\.")):
        build_candidates(load_network(sc.network), sc.candidates, sc.network)


def test_points_not_counted_are_named_in_the_log() -> None:
    from planner.chargers import existing_notes

    sites = pd.DataFrame(
        {
            "site_id": ["a", "b", "c"],
            "locked": [True, True, True],
            "existing_mcs": [np.nan, np.nan, 0],
            "existing_ccs": [np.nan, np.nan, 6],
            "existing_points": [4, 8, np.nan],
            "existing_power_kw": [1000, 150, np.nan],
        }
    )
    existing = {"mcs": np.array([4, 0, 0]), "ccs": np.array([0, 0, 6])}
    assert existing_notes(sites, existing, ["mcs", "ccs"], {}) == [
        "8 point(s) at existing hubs not counted: their existing_power_kw is unknown or below every charger "
        "type's power_kw (list existing_mcs / existing_ccs in the sites file to count them)"
    ]
    lines = existing_notes(sites, existing, ["mcs"], {(0, 0): 4})
    assert lines[1].startswith("6 CCS point(s) at existing hubs not counted") and "max_per_hub = 0" in lines[1]
    assert lines[2] == "1 existing hub(s) keep their 4 points (not paid again)"
