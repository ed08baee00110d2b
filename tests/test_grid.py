"""Grid capacity: a capped site moves the hub; upgrades cost money and need lead time.

Line N0–N1–N2 (100 km legs, candidates every 50 km): the truck N0→N2 must charge once at
km 50 (N0~N1@50.0), 100 (N1) or 150 (N1~N2@50.0). One 300 kW charger draws 300 kW
(simultaneity 1). Nodes have 1,000 kW, points along edges 100 kW unless a capacity file says
otherwise; an upgrade step adds 500 kW for 125 EUR (250,000 EUR/MW).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.api import solve_scenario
from planner.errors import InfeasibleError
from planner.scenario import load_scenario
from tests.conftest import base_scenario, line_network, write_csv, write_scenario


def solve(folder: Path, *, capacity_rows: list[str] | None = None, lead: int = 4, capacity: bool = False):
    line_network(folder, 3)
    grid = {
        "enabled": True,
        "default_node_kw": 1000.0,
        "default_edge_kw": 100.0,
        "simultaneity": 1.0,
        "upgrade_step_kw": 500.0,
        "upgrade_eur_per_mw": 250.0,
        "max_upgrade_steps": 2,
        "start_year": 2026,
        "plan_year": 2030,
        "upgrade_lead_time_years": lead,
    }
    if capacity_rows is not None:
        write_csv(folder / "grid.csv", "site_id,available_kw", capacity_rows)
        grid["capacity_file"] = "grid.csv"
    data = base_scenario(
        folder,
        flows=["T,N0,N2,4"],
        candidates={"spacing_km": 50.0},
        objective={"type": "min_cost", "max_hubs": None},
        costs={"site_fixed_eur": 1000.0},
        chargers={"mcs": {"capex_eur": 100.0, "min_per_hub": 1, "power_kw": 300.0}, "ccs": {"max_per_hub": 0}},
        capacity={"enabled": capacity, "peak_hour_share": 0.1, "max_wait_min": 10.0, "plug_overhead_min": 0.0},
        grid=grid,
        afir={"mode": "off"},
        output={"maps": False, "tradeoff_points": 0},
    )
    return solve_scenario(load_scenario(write_scenario(folder / "s.toml", data)))


@pytest.mark.parametrize("capacity", [False, True])
def test_hub_sits_where_the_grid_allows(tmp_path: Path, capacity: bool) -> None:
    plan = solve(tmp_path, capacity=capacity)
    assert list(plan.hubs["site_id"]) == ["N1"]  # the only site without an upgrade
    assert plan.hubs["grid_upgrade_kw"].sum() == 0


@pytest.mark.parametrize("capacity", [False, True])
def test_grid_cap_moves_the_hub(tmp_path: Path, capacity: bool) -> None:
    plan = solve(tmp_path, capacity_rows=["N1,100", "N1~N2@50.0,1000"], capacity=capacity)
    hub = plan.hubs.set_index("site_id")
    assert list(hub.index) == ["N1~N2@50.0"]
    assert hub.iloc[0]["grid_available_kw"] == 1000 and hub.iloc[0]["grid_upgrade_kw"] == 0
    assert {"grid_capacity"} <= {c.name for c in plan.verification.checks} and plan.verification.passed


def test_upgrade_is_bought_when_every_site_is_short(tmp_path: Path) -> None:
    plan = solve(tmp_path, capacity_rows=["N1,100"])
    hub = plan.hubs.iloc[0]
    assert hub["grid_upgrade_kw"] == 500.0
    assert hub["cost_eur"] == pytest.approx(1000 + 100 + 125)
    assert plan.summary["grid"]["upgrade_steps"] == 1


def test_upgrade_lead_time_makes_it_infeasible(tmp_path: Path) -> None:
    # 2026 + 5 > 2030: no upgrade possible, and the message names the grid among the limits
    limit = "the sites' grid capacity (grid.capacity_file grid.csv, no upgrade ready by grid.plan_year = 2030"
    with pytest.raises(InfeasibleError, match=f"no plan meets the limit {re.escape(limit)}.* while serving every"):
        solve(tmp_path, capacity_rows=["N1,100"], lead=5)


def test_a_grid_no_site_can_power_a_hub_on_is_refused_before_the_solve(tmp_path: Path) -> None:
    # Every site 100 kW, no upgrade: the 300 kW minimum pool fits nowhere, so every plan would be empty
    # (refused in the grid feature's prepare, which planner validate runs too).
    with pytest.raises(InfeasibleError) as err:
        solve(tmp_path, capacity_rows=["N0,100", "N1,100", "N2,100", "N0~N1@50.0,100", "N1~N2@50.0,100"], lead=5)
    assert "no candidate site can power a new hub: its minimum pool draws 300 kW" in str(err.value)
    assert "give a site at most 100 kW with every upgrade and buffer" in str(err.value)
