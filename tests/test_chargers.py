"""Charger catalogue (MCS and CCS) and on-site battery buffers, worked by hand.

Line N0–N1–N2, 100 km legs, hubs at nodes only: a truck N0→N2 must charge at N1. A session
takes 150 kWh (200 kWh battery, soc 0.05 → 0.80): 0.15 h on a 1,000 kW MCS point, 0.375 h on
a 400 kW CCS point (no plug overhead). With 10 % of the daily sessions in the peak hour and a
10-minute target, an M/M/1 point takes ``λ s / (1/s − λ) ≤ 1/6 h``: one MCS point up to
λ = 3.509/h (35.09 sessions/day), one CCS point up to λ = 0.8205/h (8.2/day); two CCS points
keep a 3.7-minute wait at 20 sessions/day.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from planner.api import solve_scenario
from planner.errors import InfeasibleError, ScenarioError
from planner.features.capacity.queueing import expected_wait_h
from planner.scenario import load_scenario
from planner.stages import verify
from tests.conftest import base_scenario, line_network, write_scenario

MCS = {"power_kw": 1000.0, "capex_eur": 100.0, "min_per_hub": 1, "max_per_hub": 10}
CCS = {"power_kw": 400.0, "capex_eur": 40.0, "min_per_hub": 0, "max_per_hub": 10}


def sized(folder: Path, volume: float, **chargers) -> object:
    line_network(folder, 3)
    data = base_scenario(
        folder,
        flows=[f"T,N0,N2,{volume}"],
        objective={"type": "min_cost", "max_hubs": None},
        chargers={"mcs": MCS, "ccs": CCS, **chargers},
        capacity={"enabled": True, "peak_hour_share": 0.1, "max_wait_min": 10.0, "plug_overhead_min": 0.0},
        afir={"mode": "off"},
        output={"maps": False, "tradeoff_points": 0},
    )
    return solve_scenario(load_scenario(write_scenario(folder / "s.toml", data)))


def test_the_numbers_in_the_docstring() -> None:
    assert expected_wait_h(1, 3.509, 0.15) == pytest.approx(1 / 6, rel=1e-3)
    assert expected_wait_h(1, 0.8205, 0.375) == pytest.approx(1 / 6, rel=1e-3)
    assert expected_wait_h(2, 2.0, 0.375) * 60 == pytest.approx(3.68, abs=0.01)


def test_low_demand_keeps_the_minimum_pool(tmp_path: Path) -> None:
    hub = sized(tmp_path, 8.0).hubs.set_index("site_id").loc["N1"]
    assert (hub["chargers_mcs"], hub["chargers_ccs"]) == (1, 0)
    assert hub["cost_eur"] == pytest.approx(1100.0)


def test_cheap_ccs_points_take_the_overflow(tmp_path: Path) -> None:
    # 50 sessions/day: one MCS point takes 35.09; the other 14.9 need two CCS points (80 EUR),
    # cheaper than a second MCS point (100 EUR); one MCS + one CCS take only 43.3.
    plan = sized(tmp_path, 50.0)
    hub = plan.hubs.set_index("site_id").loc["N1"]
    assert (hub["chargers_mcs"], hub["chargers_ccs"], hub["chargers"]) == (1, 2, 3)
    assert hub["cost_eur"] == pytest.approx(1000 + 100 + 2 * 40)
    assert hub["power_kw"] == pytest.approx(1800.0)
    assert hub["sessions_mcs"] + hub["sessions_ccs"] == pytest.approx(50.0)
    assert hub["sessions_mcs"] <= 35.1 and hub["expected_wait_min"] <= 10.0 + 1e-6
    assert plan.summary["chargers"]["points_by_type"] == {"mcs": 1, "ccs": 2}
    assert plan.verification.passed


def test_sessions_longer_than_the_break_leave_ccs_out(tmp_path: Path) -> None:
    # A CCS session takes 22.5 min > 20: only MCS is offered, two points.
    plan = sized(tmp_path, 50.0, max_session_min=20.0)
    hub = plan.hubs.set_index("site_id").loc["N1"]
    assert (hub["chargers_mcs"], hub["chargers_ccs"]) == (2, 0)
    assert plan.summary["total_cost_eur"] == pytest.approx(1200.0)


def test_a_required_type_that_cannot_be_used_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(
        ScenarioError,
        match=r"chargers.ccs.min_per_hub=1 but a ccs session takes 22 min, over chargers.max_session_min=20",
    ):
        sized(tmp_path, 8.0, ccs={**CCS, "min_per_hub": 1}, max_session_min=20.0)


def test_verifier_recomputes_the_queue_per_type(tmp_path: Path) -> None:
    plan = sized(tmp_path, 50.0)
    hubs = plan.hubs.copy()
    hubs["sessions_mcs"], hubs["sessions_ccs"] = 45.0, 5.0  # one MCS point cannot take 45/day
    result = reverify(plan, hubs)
    bad = {c.name: c for c in result.failures()}
    assert "hub_queueing" in bad and "N1 mcs" in bad["hub_queueing"].detail


def reverify(plan, hubs):
    """The verifier on a plan's run (scenario, network, flows) with tampered ``hubs``."""
    return verify(replace(plan, hubs=hubs))


def test_old_single_type_keys_say_where_they_went(tmp_path: Path) -> None:
    line_network(tmp_path, 3)
    data = base_scenario(tmp_path, flows=["T,N0,N2,1"], costs={"charger_eur": 1.0})
    with pytest.raises(
        ScenarioError, match=r"costs.charger_eur moved to the charger catalogue: set \[chargers.mcs\] capex"
    ):
        load_scenario(write_scenario(tmp_path / "s.toml", data))


def test_a_partial_type_table_keeps_its_defaults(tmp_path: Path) -> None:
    line_network(tmp_path, 3)
    data = base_scenario(tmp_path, flows=["T,N0,N2,1"], chargers={"ccs": {"max_per_hub": 3}})
    s = load_scenario(write_scenario(tmp_path / "s.toml", data))
    assert (
        s.chargers.ccs.power_kw == 400.0 and s.chargers.ccs.capex_eur == 160_000.0 and s.chargers.ccs.max_per_hub == 3
    )


# --- battery buffers -----------------------------------------------------------------------


def buffered(folder: Path, *, kwh: float, units: int, node_kw: float = 200.0, capacity: bool = False):
    # One 300 kW point at N1 (simultaneity 1) on a 200 kW connection, no upgrades: a buffer unit
    # adds min(kW, kWh / 1 h peak).
    line_network(folder, 3)
    data = base_scenario(
        folder,
        flows=["T,N0,N2,4"],
        objective={"type": "min_cost", "max_hubs": None},
        chargers={"mcs": {"power_kw": 300.0, "capex_eur": 100.0, "min_per_hub": 1}, "ccs": {"max_per_hub": 0}},
        capacity={"enabled": capacity, "peak_hour_share": 0.1, "max_wait_min": 10.0, "plug_overhead_min": 0.0},
        grid={
            "enabled": True,
            "default_node_kw": node_kw,
            "default_edge_kw": 0.0,
            "simultaneity": 1.0,
            "max_upgrade_steps": 0,
            "battery_kwh": kwh,
            "battery_kw": 100.0,
            "battery_eur": 50.0,
            "max_batteries_per_hub": units,
            "peak_duration_h": 1.0,
        },
        afir={"mode": "off"},
        output={"maps": False, "tradeoff_points": 0},
    )
    return solve_scenario(load_scenario(write_scenario(folder / "s.toml", data)))


def test_a_buffer_lets_the_hub_exceed_its_connection(tmp_path: Path) -> None:
    plan = buffered(tmp_path, kwh=150.0, units=2)  # 300 kW ≤ 200 + 1 × min(100, 150)
    hub = plan.hubs.set_index("site_id").loc["N1"]
    assert (hub["battery_units"], hub["battery_kwh"], hub["battery_kw"]) == (1, 150.0, 100.0)
    assert hub["cost_eur"] == pytest.approx(1000 + 100 + 50)
    assert plan.verification.passed


def test_a_small_battery_counts_only_what_it_sustains(tmp_path: Path) -> None:
    plan = buffered(tmp_path, kwh=50.0, units=2)  # 50 kWh over a 1 h peak: 50 kW per unit → 2 units
    hub = plan.hubs.set_index("site_id").loc["N1"]
    assert hub["battery_units"] == 2 and hub["cost_eur"] == pytest.approx(1200.0)


def test_without_buffers_the_short_connection_is_infeasible(tmp_path: Path) -> None:
    with pytest.raises(InfeasibleError):
        buffered(tmp_path, kwh=150.0, units=0)


def test_buffers_shift_energy_but_do_not_create_it(tmp_path: Path) -> None:
    # With sizing: 4 sessions × 150 kWh = 600 kWh a day. A 30 kW connection gives 720 kWh in 24 h
    # (three 100 kW units cover the peak); 20 kW gives 480 kWh, so no buffer can make it work.
    plan = buffered(tmp_path, kwh=150.0, units=5, node_kw=30.0, capacity=True)
    assert plan.hubs.set_index("site_id").loc["N1", "battery_units"] == 3
    with pytest.raises(InfeasibleError):
        buffered(tmp_path, kwh=150.0, units=5, node_kw=20.0, capacity=True)


def test_verifier_fails_a_plan_without_its_buffer(tmp_path: Path) -> None:
    plan = buffered(tmp_path, kwh=150.0, units=2)
    hubs = plan.hubs.copy()
    hubs["battery_units"] = 0
    result = reverify(plan, hubs)
    assert "grid_capacity" in {c.name for c in result.failures()}


def test_taper_lengthens_the_session_by_the_closed_form() -> None:
    # 150 kWh from soc 0.05 to 0.80 of 200 kWh at 1,000 kW, tapering above 0.6 to half power at
    # 100 %: 110 kWh at full power (0.11 h) plus 200/(1000·1.25)·ln(1/(1 − 1.25·0.2)) = 0.04603 h.
    from planner.chargers import type_session_h
    from planner.scenario import ChargerType, VehicleConfig

    vehicle = VehicleConfig(
        battery_kwh=200.0, consumption_kwh_per_km=1.0, soc_min=0.05, soc_max=0.8, soc_start=0.8, soc_arrival_min=0.05
    )
    flat = ChargerType(power_kw=1000.0, capex_eur=1.0)
    tapered = ChargerType(power_kw=1000.0, capex_eur=1.0, taper_soc=0.6, taper_floor=0.5)
    assert type_session_h(vehicle, flat, 0.0) == pytest.approx(0.15)
    assert type_session_h(vehicle, tapered, 6.0) == pytest.approx(0.11 + 0.16 * math.log(1 / 0.75) + 0.1)
