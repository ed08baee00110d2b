"""An OSM-built network runs end to end: build → scenario → plan → verifier."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.api import solve_scenario
from planner.osm import build_network
from planner.scenario import load_scenario
from tests.conftest import write_csv, write_scenario

FIXTURE = Path(__file__).parent / "fixtures" / "osm" / "dual_carriageway.osm"


@pytest.fixture(scope="module")
def osm_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("osm") / "net.gpkg"
    build_network(FIXTURE, out)
    return out


def _scenario(osm_gpkg: Path, folder: Path, **sections: dict) -> Path:
    """n1 → n4 eastbound (10 trucks/day) and back westbound (12), 11.5 km each way. A 10 kWh battery at 1
    kWh/km from 0.8 to 0.1 gives 7 km: each direction needs a stop on its own carriageway."""
    write_csv(folder / "flows.csv", "id,origin,destination,volume", ["east,n1,n4,10", "west,n4,n1,12"])
    return write_scenario(
        folder / "osm.toml",
        {
            "name": "osm-e2e",
            "network": {"gpkg": str(osm_gpkg)},
            "candidates": {"include_nodes": False},
            "demand": {"flows": "flows.csv"},
            "vehicle": {
                "battery_kwh": 10.0,
                "consumption_kwh_per_km": 1.0,
                "soc_min": 0.1,
                "soc_max": 0.8,
                "soc_start": 0.8,
                "soc_arrival_min": 0.1,
            },
            "breaks": {"enabled": False},
            "objective": {"type": "min_cost"},
            "output": {"maps": False},
            **sections,
        },
    )


def test_osm_network_plan_uses_the_carriageway_of_travel(osm_gpkg: Path, tmp_path: Path) -> None:
    sc = _scenario(osm_gpkg, tmp_path)
    plan = solve_scenario(load_scenario(sc))
    assert plan.verification.passed
    flows = plan.flows.set_index("flow_id")
    assert flows.loc["east", "served"] and flows.loc["west", "served"]
    # Eastbound charges at the existing MCS charger on the southern (eastbound) carriageway:
    # it is locked open, so no new hub is needed for that direction.
    assert "osm-n220" in flows.loc["east", "stops"]
    assert "osm-n220" not in flows.loc["west", "stops"]
    # Westbound needs the northern services: the only new hub.
    assert list(plan.hubs.loc[~plan.hubs["locked"], "site_id"]) == ["osm-w210"]
    assert flows.loc["west", "stops"] == ["osm-w210"]


def test_the_existing_chargers_points_from_openstreetmap_are_kept_in_a_sized_plan(
    osm_gpkg: Path, tmp_path: Path
) -> None:
    # osm-n220 carries 6 sockets of 1,000 kW (capacity=6, socket:mcs:output): six MCS points of the default
    # catalogue, which 10 trucks/day need no more of. Sized, the hub keeps them and its capex stays 0.
    sc = _scenario(osm_gpkg, tmp_path, capacity={"enabled": True})
    plan = solve_scenario(load_scenario(sc))
    assert plan.verification.passed
    hubs = plan.hubs.set_index("site_id")
    assert hubs.loc["osm-n220", "chargers_mcs"] == 6 and hubs.loc["osm-n220", "chargers_mcs_existing"] == 6
    assert hubs.loc["osm-n220", "cost_eur"] == 0.0 and plan.summary["existing_chargers"] == 6
    new = hubs.loc["osm-w210"]  # the new hub pays its site and every point
    assert new["chargers_mcs_existing"] == 0 and new["cost_eur"] == pytest.approx(
        plan.scenario.costs.site_fixed_eur
        + new["chargers_mcs"] * plan.scenario.chargers.mcs.capex_eur
        + new["chargers_ccs"] * plan.scenario.chargers.ccs.capex_eur
    )
