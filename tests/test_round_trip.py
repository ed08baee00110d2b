"""Round trips under the classic rule: a hub at the origin refuels the truck on its return."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.api import solve_scenario
from planner.errors import InfeasibleError
from planner.scenario import load_scenario
from tests.conftest import base_scenario, write_csv, write_scenario

# Full tank 300 km, half 150 km (soc 0.5 out, 0.5 back without a station at the origin).
VEHICLE = {
    "battery_kwh": 300.0,
    "consumption_kwh_per_km": 1.0,
    "soc_min": 0.0,
    "soc_max": 1.0,
    "soc_start": 0.5,
    "soc_arrival_min": 0.5,
}


def plan_for(folder: Path, rule: str, sites: list[str]):
    write_csv(folder / "sites.csv", "site_id,node", sites)
    data = base_scenario(
        folder,
        flows=["RT,N0,N1,10"],  # N0 → N1 → N0: 200 km
        vehicle=VEHICLE,
        demand={"round_trip": True, "round_trip_rule": rule},
        candidates={"include_nodes": False, "sites": "sites.csv"},
        objective={"type": "max_coverage", "max_hubs": 1},
    )
    return solve_scenario(load_scenario(write_scenario(folder / "s.toml", data)))


def test_hub_at_origin_serves_the_round_trip(line5: Path) -> None:
    # Leaves full (300 km), back at N0 with 100 km left: enough, since it refuels at N0.
    plan = plan_for(line5, "refuel_at_origin", ["H0,N0"])
    assert plan.summary["covered_share"] == 1.0 and list(plan.hubs["site_id"]) == ["H0"]
    assert plan.verification.passed  # the verifier applies the same rule, from the network


def test_reserve_on_return_wants_half_a_tank_back(line5: Path) -> None:
    # 100 km back < the 150 km reserve, whatever is open: RT, the only flow, is unservable, and a plan
    # serving nothing is refused
    with pytest.raises(InfeasibleError, match="no flow can be served, even with every candidate site open"):
        plan_for(line5, "reserve_on_return", ["H0,N0"])


@pytest.mark.parametrize("rule", ["refuel_at_origin", "reserve_on_return"])
def test_hub_at_the_turning_point_serves_under_both_rules(line5: Path, rule: str) -> None:
    # Starts with 150, refuels at N1 (km 100), back at N0 with 200 ≥ 150.
    plan = plan_for(line5, rule, ["H1,N1"])
    assert plan.summary["covered_share"] == 1.0 and plan.verification.passed
