"""Hourly sizing, part by part, worked by hand: timetable, hour shares, itineraries, load above the
connection, one hub's sizing (battery against connection, night charging, grid limits), the simulation."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

from planner.features.capacity.model import TypeLevels
from planner.features.hourly import itineraries
from planner.features.hourly.costs import HubCosts
from planner.features.hourly.decode import without_battery_kw
from planner.features.hourly.excess import excess_tangents, expected_excess
from planner.features.hourly.hub_sizing import infeasible_reason, load_duals, size_hub
from planner.features.hourly.lp import Solver
from planner.features.hourly.simulate import SimHub, simulate_hub
from planner.features.hourly.timetable import Timetable, hour_shares

ONE_HOT_0 = np.eye(24)[[0]]  # every truck departs between 0:00 and 1:00


def test_timetable_counts_breaks_rests_and_crossings() -> None:
    tt = Timetable(speed_kmh=80.0, break_after_h=4.5, break_h=0.75, daily_driving_h=9.0, daily_rest_h=11.0)
    # 360 km = 4.5 h: the stop is the first break, none before it; 400 km = 5 h: one break before.
    # 800 km = 10 h: breaks at 4.5 h and 9 h, the second replaced by the 11-h daily rest.
    got = tt.elapsed_h(np.array([100.0, 360.0, 400.0, 800.0]), np.array([0.0, 0.0, 2.0, 0.0]))
    assert got == pytest.approx([1.25, 4.5, 5.0 + 0.75 + 2.0, 10.0 + 0.75 + 11.0])


def test_hour_shares_of_arrivals_and_energy() -> None:
    # Departures uniform in hour 6, stop 2.25 h later: arrivals 8:15–9:15, i.e. 75 % in hour 8.
    shapes, index = np.eye(24)[[6]], np.zeros(1, dtype=int)
    arrivals = hour_shares(np.array([2.25]), 0.0, shapes, index)[0]
    assert arrivals[8] == pytest.approx(0.75) and arrivals[9] == pytest.approx(0.25) and arrivals.sum() == 1
    # Half-hour sessions at constant power: P(U + S < 0.75) = (G(0.75) − G(0.25)) / 0.5 = 0.5, with
    # G(y) = y²/2 (U uniform on an hour, S on half an hour).
    energy = hour_shares(np.array([2.25]), 0.5, shapes, index)[0]
    assert energy[8] == pytest.approx(0.5) and energy[9] == pytest.approx(0.5)
    # Across midnight: departures in hour 23, 1.5 h later → half in hour 0, half in hour 1.
    wrap = hour_shares(np.array([1.5]), 0.0, np.eye(24)[[23]], index)[0]
    assert wrap[0] == pytest.approx(0.5) and wrap[1] == pytest.approx(0.5)


def test_itineraries_of_a_split_flow() -> None:
    assert doctest.testmod(itineraries).failed == 0
    # Two stops of one window at 0.3 / 0.7 and a common later stop: two itineraries.
    assert itineraries.split_itineraries([0.3, 0.7, 1.0]) == [
        (pytest.approx(0.3), [0, 2]),
        (pytest.approx(0.7), [1, 2]),
    ]


def test_expected_load_above_the_connection() -> None:
    load, s = np.array([1000.0, 0.0]), np.array([100.0, 0.0])
    # At the mean the excess is s φ(0) = 100 / √(2π); far above it vanishes; without spread it is L − C.
    assert expected_excess(load, s, 1000.0)[0] == pytest.approx(100 / math.sqrt(2 * math.pi))
    assert expected_excess(load, s, 2000.0)[0] == pytest.approx(0.0, abs=1e-12)
    assert expected_excess(np.array([1000.0]), np.array([0.0]), 600.0)[0] == pytest.approx(400.0)
    for a, b in excess_tangents(1000.0, 100.0):  # tangents lie below the convex excess everywhere
        for c in (0.0, 700.0, 1000.0, 1300.0, 5000.0):
            assert b - a * c <= expected_excess(np.array([1000.0]), np.array([100.0]), c)[0] + 1e-9


def hub_costs(**change) -> HubCosts:
    """One 1-kW charger type (its power cover and load spread stay small), flat 100 EUR/MWh, 100-kW
    connection steps at 200 EUR/kW/year, battery units of 1,000 kWh / 500 kW with a lossless round trip."""
    base = dict(
        types=(TypeLevels("mcs", (1,), (100.0,), 0.0, 1.0),),
        session_h={"mcs": 0.5},
        charge_h=0.5,
        charger_factor=0.1,
        site_annual_eur=0.0,
        step_kw=100.0,
        connection_eur_per_kw=0.0,
        connection_factor=0.1,
        capacity_charge=200.0,
        max_connection_kw=100_000.0,
        upgrade_step_kw=0.0,
        upgrade_step_eur=0.0,
        max_upgrades=0,
        battery_kwh=1000.0,
        battery_kw=500.0,
        battery_eur=100_000.0,
        battery_factor=0.1,
        max_units=10,
        eta_charge=1.0,
        eta_discharge=1.0,
        price=np.full(24, 100.0),
        simultaneity=0.8,
    )
    base.update(change)
    return HubCosts(**base)


EVENING_PEAK = np.where(np.isin(np.arange(24), [18, 19]), 1000.0, 200.0)  # kW; 6,400 kWh a day
ARRIVALS = np.full(24, 1.0)


def test_a_battery_beats_a_bigger_connection() -> None:
    # Without a battery: 1,000 kW peaks with spread √(1 kW × 1,000 kW) = 31.6 kW leave 12.6 kW above a
    # 1,000-kW connection (> the 2-kW allowance) but 0.007 kW above 1,100 kW: 1,100 kW × 200 EUR = 220,000.
    # With batteries (10,000 EUR/unit/year): 300 kW is the least connection that still recharges them
    # (22 hours × 100 kW of headroom ≥ the 2 × 700 kWh above it, within two units' 2,000 kWh and 1,000 kW):
    # 300 × 200 + 2 × 10,000 = 80,000 EUR/year. 200 kW leaves no headroom at all.
    solver = Solver()
    design = size_hub(ARRIVALS, EVENING_PEAK, None, hub_costs(), solver)
    assert design.connection_kw == 300.0 and design.battery_units == 2
    assert design.annual["capacity_charge"] + design.annual["battery"] == pytest.approx(80_000.0)
    assert design.annual["energy"] == pytest.approx(6400 * 0.1 * 365)  # lossless: grid energy = load
    assert without_battery_kw(EVENING_PEAK, hub_costs(), 1.0) == 1100.0
    assert design.discharge_kw[[18, 19]].sum() >= 1400.0 - 1e-6 and design.soc_kwh.max() <= 2000.0 + 1e-6
    assert design.grid_kw.max() <= 300.0 + 1e-6


def test_a_bigger_connection_beats_an_expensive_battery() -> None:
    # Battery units at 200,000 EUR/unit/year: the best battery plan (300 kW + 2 units = 460,000) or one
    # unit with 500 kW (300,000) lose against 1,100 kW without a battery (220,000).
    design = size_hub(ARRIVALS, EVENING_PEAK, None, hub_costs(battery_eur=2_000_000.0), Solver())
    assert design.battery_units == 0 and design.connection_kw == 1100.0
    assert design.annual["capacity_charge"] == pytest.approx(220_000.0)


def test_a_cheap_night_makes_the_battery_charge_at_night() -> None:
    # Flat 500-kW load; energy at 20 EUR/MWh from 0:00 to 6:00 and 200 EUR/MWh otherwise; round trip 90 %.
    # A kWh moved from day to night saves 200 − 20 / 0.9 = 177.8 EUR/MWh, 64.9 EUR a year per daily kWh:
    # far more than a unit's 1,000 EUR/year per 1,000 kWh. Connections are nearly free.
    price = np.where(np.arange(24) < 6, 20.0, 200.0)
    eta = math.sqrt(0.9)
    costs = hub_costs(price=price, eta_charge=eta, eta_discharge=eta, battery_eur=10_000.0, capacity_charge=1.0)
    design = size_hub(ARRIVALS, np.full(24, 500.0), None, costs, Solver())
    night = np.arange(24) < 6
    assert design.battery_units >= 1
    assert design.charge_kw[night].sum() > 1000 and design.charge_kw[~night].sum() == pytest.approx(0.0, abs=1e-6)
    assert design.discharge_kw[~night].sum() > 1000
    flat = size_hub(
        ARRIVALS, np.full(24, 500.0), None, hub_costs(price=price, max_units=0, capacity_charge=1.0), Solver()
    )
    assert design.annual["energy"] < flat.annual["energy"]


def test_a_grid_cap_that_no_battery_can_lift() -> None:
    # 6,400 kWh a day through a 200-kW site: 24 × 200 = 4,800 kWh < 6,400, whatever the battery.
    assert size_hub(ARRIVALS, EVENING_PEAK, 200.0, hub_costs(), Solver()) is None
    why, fix = infeasible_reason(ARRIVALS, EVENING_PEAK, 200.0, hub_costs())
    assert "6.4 MWh a day exceed 24 h × 200 kW" in why and "grid capacity" in fix
    why, fix = infeasible_reason(np.full(24, 150.0), EVENING_PEAK, None, hub_costs())
    assert "peak of 150.0 arrivals/h exceeds" in why and "max_per_hub" in fix
    # 400 kW with batteries: 9,600 kWh a day is enough (two units shave the evening peak).
    assert size_hub(ARRIVALS, EVENING_PEAK, 400.0, hub_costs(), Solver()).connection_kw <= 400.0


def test_duals_bound_the_relaxation_everywhere() -> None:
    # The duals at one point bound the energy-and-grid cost of any other load and power from below, and
    # of the exact design in particular.
    costs, solver = hub_costs(), Solver()
    pi, psi = load_duals(EVENING_PEAK, 100.0, costs, solver)
    assert pi @ EVENING_PEAK + psi * 100.0 <= 6400 * 36.5 + 80_000 + 1e-6
    for load in (np.full(24, 300.0), EVENING_PEAK * 2, np.roll(EVENING_PEAK, 5)):
        pi2, psi2 = load_duals(load, 100.0, costs, solver)
        exact = size_hub(ARRIVALS, load, None, costs, solver)
        lower = pi @ load + psi * 100.0
        assert lower <= pi2 @ load + psi2 * 100.0 + 1e-6  # its own duals are tight there
        assert lower <= exact.annual_total + 1e-6


def sim_hub(points: int, *, connection: float = 10_000.0, battery: float = 0.0, rate: float = 1.5) -> SimHub:
    return SimHub(
        site_id="H",
        points={"mcs": points, "ccs": 0},
        power_kw={"mcs": 1000.0, "ccs": 400.0},
        taper={"mcs": (None, 0.5), "ccs": (None, 0.5)},
        rate=np.full(24, rate),
        split={"mcs": np.ones(24), "ccs": np.zeros(24)},
        stop_kwh=np.array([420.0]),
        stop_soc=np.array([0.1]),
        stop_weight=np.ones((1, 24)),
        connection_kw=connection,
        battery_kwh=battery,
        battery_kw=battery / 2,
        eta_charge=1.0,
        eta_discharge=1.0,
        charge_plan_kw=np.full(24, battery / 24),
        soc_plan_kwh=np.full(24, battery / 2),
        truck_kwh=600.0,
        overhead_h=5 / 60,
    )


def test_simulation_measures_waits_grid_and_battery() -> None:
    # 1.5 trucks/h, 25 + 5 min sessions: 0.75 Erlang. Three points barely queue; one point queues long.
    run = dict(days=3, warmup_days=1, step_s=60.0, seed=7)
    ample = simulate_hub(sim_hub(3), **run)
    assert ample.unfinished == 0 and ample.served_kwh == pytest.approx(ample.demanded_kwh)
    assert ample.mean_wait_min < 3.0 and ample.throttled_share == 0.0
    assert ample.trucks == pytest.approx(3 * 24 * 1.5, rel=0.2)
    assert simulate_hub(sim_hub(3), **run) == ample  # deterministic
    scarce = simulate_hub(sim_hub(1), **run)
    assert scarce.mean_wait_min > 3 * ample.mean_wait_min
    # A 500-kW connection under a 1,000-kW charger: the grid never exceeds it, the battery never goes
    # below empty, and sessions are slowed (throttled) when the battery cannot help.
    tight = simulate_hub(sim_hub(1, connection=500.0, battery=200.0, rate=0.5), **run)
    assert tight.max_grid_kw <= 500.0 + 1e-9 and tight.min_battery_kwh >= -1e-9 and tight.throttled_share > 0


def test_a_hub_failing_in_simulation_gets_one_more_connection_step(monkeypatch) -> None:
    from planner.features.hourly import repair
    from planner.trips import StopTable

    verdicts = iter([False, True])  # the first design misses the wait in simulation, the second passes
    monkeypatch.setattr(repair, "_waits_ok", lambda hub, sc: next(verdicts))
    monkeypatch.setattr(repair, "design_sim_hub", lambda case, design, costs, sc: None)
    empty = StopTable(*(np.zeros(0, dtype=int),) * 2, *(np.zeros(0),) * 4)
    case = repair.HubCase("H", 0, ARRIVALS, EVENING_PEAK, None, 0.0, empty, None)
    design, added = repair.size_in_simulation(case, hub_costs(), None, Solver())
    assert added == 1 and design.connection_kw == 400.0  # the exact design with at least 300 + 100 kW


def test_energy_bound_is_the_cheapest_itinerary(tmp_path) -> None:
    # Line N0–N1–N2 (100-km legs), candidates every 50 km, 150 km of range, a truck starting at soc_max:
    # a stop at km p charges p kWh. At one price per kWh everywhere, the cheapest itinerary stops once,
    # as early as the last leg allows (km 50): 50 kWh; no earlier than km 100 (this plan's last stop): 100.
    from planner.context import RunContext
    from planner.features.hourly.arrivals import stop_hours
    from planner.features.hourly.bound import flow_bounds
    from planner.features.hourly.timetable import Timetable
    from planner.scenario import load_scenario
    from planner.stages import load_inputs, make_instance
    from tests.conftest import base_scenario, line_network, write_scenario

    line_network(tmp_path, 3)
    data = base_scenario(tmp_path, flows=["T,N0,N2,1"], candidates={"spacing_km": 50.0})
    ctx = RunContext(load_scenario(write_scenario(tmp_path / "s.toml", data)))
    load_inputs(ctx)
    make_instance(ctx)
    tt = Timetable(80.0, 4.5, 0.75, 9.0, 11.0)
    hours = stop_hours(
        ctx.instance,
        ctx.network,
        [list(ctx.flows["route_nodes"][0])],
        {},
        tt,
        np.ones((1, 24)) / 24,
        np.zeros(1, dtype=int),
        0.5,
    )
    prices = {k: np.full(24, 2.0) for k in range(len(ctx.instance.site_ids))}  # 2 EUR/year per daily kWh
    vehicle = ctx.scenario.vehicle
    assert flow_bounds(ctx.instance, hours, prices, vehicle, np.array([0]))[0] == pytest.approx(100.0)
    assert flow_bounds(ctx.instance, hours, prices, vehicle, np.array([0]), last_km={0: 100.0})[0] == pytest.approx(
        200.0
    )
