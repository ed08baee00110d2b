"""The fewest-stop trips (planner/fewest_stops.py) against brute force and the verifier's simulation.

On the random networks of ``tests/test_walk.py`` (random vehicles, a start above ``soc_max`` too,
breaks on and off), every route's fewest-stop trip completes exactly when charging at every hub it
passes does, its stops are a trip the verifier's :func:`~planner.verify.simulate_legs` completes with
the energy it charges at each, and no smaller set of the hubs along it completes (every subset tried,
on routes with up to 9 hubs).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from planner.fewest_stops import fewest_stops
from planner.scenario import BreaksConfig, VehicleConfig
from planner.verify import simulate_legs
from planner.walk import RouteWalker, Walk, simulate_walk
from tests.test_walk import _case


def _hubs(walk: Walk, q: int, entries: np.ndarray | None = None) -> list[tuple[float, float, str]]:
    idx = np.arange(walk.ptr[q], walk.ptr[q + 1]) if entries is None else entries
    return [(float(walk.route_km[e]), float(walk.drive_km[e]), str(walk.site_ids[walk.site[e]])) for e in idx]


def _fewest_by_brute_force(hubs: list, total: float, vehicle: VehicleConfig, breaks: BreaksConfig) -> int | None:
    for k in range(len(hubs) + 1):
        for chosen in combinations(hubs, k):
            if simulate_legs(list(chosen), total, vehicle, breaks).completed:
                return k
    return None


@pytest.mark.parametrize("seed", range(6))
def test_fewest_stops_are_fewest_and_complete_as_the_verifier_does(seed: int) -> None:
    rng, net, sites, flows, vehicle, breaks = _case(seed)
    routes = [list(r) for r in flows["route_nodes"]]
    ids = sites["site_id"].to_numpy()
    checked = stopped = 0
    for share in (0.2, 0.5, 1.0):
        walk = RouteWalker(net, sites, set(ids[rng.random(len(ids)) < share])).walk(routes)
        entries, kwh, completed = fewest_stops(walk, vehicle, breaks)
        assert (completed == simulate_walk(walk, vehicle, breaks).completed).all()
        of_route = walk.route_of[entries]
        for q in range(len(routes)):
            mine, mine_kwh = entries[of_route == q], kwh[of_route == q]
            assert (np.diff(mine) > 0).all()  # in driving order, each hub once
            if not completed[q]:
                assert not len(mine)  # only the completed trips' stops
                continue
            total = float(walk.total_drive[q])
            trip = simulate_legs(_hubs(walk, q, mine), total, vehicle, breaks)
            assert trip.completed and mine_kwh.tolist() == pytest.approx(list(trip.charged_kwh), abs=1e-9)
            if walk.ptr[q + 1] - walk.ptr[q] <= 9:
                assert len(mine) == _fewest_by_brute_force(_hubs(walk, q), total, vehicle, breaks)
                checked += 1
                stopped += len(mine) > 0
    assert checked > 10 and stopped > 5  # the cases hold trips that need stops, checked against every subset


def test_a_truck_stops_at_the_last_hub_it_can_reach() -> None:
    # 400 km at 1 kWh/km on a 300-kWh battery between 10 % and 100 %, starting full: 270 km of range.
    # Each stop charges to 100 %.
    # Hubs at km 100, 200, 250 and 300: the truck passes 100 and 200 and charges at 250 (the last one
    # within 270 km), from where the 150 km left need no other stop.
    walk = Walk(
        ptr=np.array([0, 4]),
        route_km=np.array([100.0, 200.0, 250.0, 300.0]),
        drive_km=np.array([100.0, 200.0, 250.0, 300.0]),
        site=np.array([0, 1, 2, 3]),
        total_drive=np.array([400.0]),
        round_trip=np.array([False]),
        site_ids=np.array(["a", "b", "c", "d"]),
    )
    vehicle = VehicleConfig(battery_kwh=300.0, consumption_kwh_per_km=1.0, soc_min=0.1, soc_max=1.0, soc_start=1.0)
    entries, kwh, completed = fewest_stops(walk, vehicle, BreaksConfig(enabled=False))
    assert entries.tolist() == [2] and completed.tolist() == [True]
    assert kwh.tolist() == pytest.approx([250.0])  # arrives at 1.0 - 250/300, charges back to 1.0
    # With a 2-hour driving limit at 80 km/h (160 km between stops) it stops at km 100 (the last hub
    # within 160 km), then at 250 (the last within 160 km of it), from where the destination is 150 km on.
    entries, kwh, completed = fewest_stops(walk, vehicle, BreaksConfig(enabled=True, max_driving_h=2.0, speed_kmh=80.0))
    assert entries.tolist() == [0, 2] and completed.tolist() == [True]
    assert kwh.tolist() == pytest.approx([100.0, 150.0])


def test_a_route_without_hubs_that_needs_one_does_not_complete() -> None:
    # 400 km with 270 km of range and no open hub (none on any route): no stop, not completed; the
    # 200-km route beside it completes without one.
    walk = Walk(
        ptr=np.array([0, 0, 0]),
        route_km=np.zeros(0),
        drive_km=np.zeros(0),
        site=np.zeros(0, dtype=np.int64),
        total_drive=np.array([400.0, 200.0]),
        round_trip=np.array([False, False]),
        site_ids=np.array([], dtype=object),
    )
    vehicle = VehicleConfig(battery_kwh=300.0, consumption_kwh_per_km=1.0, soc_min=0.1, soc_start=1.0)
    entries, kwh, completed = fewest_stops(walk, vehicle, BreaksConfig(enabled=False))
    assert entries.tolist() == [] and kwh.tolist() == [] and completed.tolist() == [False, True]
