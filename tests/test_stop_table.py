"""The served flows' charging stops (:func:`planner.trips.stop_table`): energy and state of charge per
stop, by hand and against a stop-by-stop walk of each trip."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from planner.trips import stop_table

TRUCK = SimpleNamespace(consumption_kwh_per_km=1.2, battery_kwh=600.0, soc_start=0.9, soc_max=0.8)


def _instance(n_sites: int, volume: list[float]) -> SimpleNamespace:
    return SimpleNamespace(site_ids=[f"S{k}" for k in range(n_sites)], volume=np.asarray(volume, dtype=float))


def walk(instance, served, share, vehicle, every) -> dict[str, list]:
    """Each trip stop by stop: the definition the table must reproduce exactly."""
    per_km = vehicle.consumption_kwh_per_km / vehicle.battery_kwh
    cols: dict[str, list] = {k: [] for k in ("flow", "site", "drive_km", "soc_in", "energy_kwh", "trucks")}
    for q in np.flatnonzero(served).tolist():
        if not share[q]:
            continue
        soc, last = vehicle.soc_start, 0.0
        for k, pos in zip(every[q][0], every[q][1], strict=True):
            if k not in share[q]:
                continue
            soc -= (pos - last) * per_km
            last = pos
            cols["flow"].append(q)
            cols["site"].append(k)
            cols["drive_km"].append(pos)
            cols["soc_in"].append(soc)
            cols["energy_kwh"].append(max(vehicle.soc_max - soc, 0.0) * vehicle.battery_kwh)
            cols["trucks"].append(float(instance.volume[q]) * round(share[q][k], 6))
            soc = max(soc, vehicle.soc_max)
    return cols


def test_a_truck_above_soc_max_from_the_depot_keeps_its_charge() -> None:
    # 1.2 kWh/km on 600 kWh: 0.2 % per km. Stop at km 30: 0.90 - 0.06 = 0.84, above 0.80, nothing
    # charged, kept; stop at km 300: 0.84 - 0.54 = 0.30, charged to 0.80 (300 kWh); km 500: 0.40 (240).
    every = [([4, 2, 7, 1], [30.0, 120.0, 300.0, 500.0], [30.0, 120.0, 300.0, 500.0])]
    share = [{4: 1.0, 7: 1 / 3, 1: 1.0}]  # site 2 is open on the route but not a stop of this flow
    table = stop_table(_instance(8, [6.0]), np.array([True]), share, TRUCK, every=every)
    assert table.site.tolist() == [4, 7, 1] and table.flow.tolist() == [0, 0, 0]
    assert table.soc_in == pytest.approx([0.84, 0.30, 0.40])
    assert table.energy_kwh == pytest.approx([0.0, 300.0, 240.0])
    assert table.trucks.tolist() == [6.0, 6.0 * 0.333333, 6.0]  # shares as flows.csv states them
    assert table.energy_by_site(8).tolist() == pytest.approx([0, 1440, 0, 0, 0, 0, 0, 600])


@pytest.mark.parametrize("seed", range(6))
def test_the_table_is_the_stop_by_stop_walk_to_the_last_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_sites, n_flows = 25, 300
    every, share = [], []
    for _ in range(n_flows):
        n = int(rng.integers(0, 9))
        near = rng.choice([0.0, 10.0, 25.0, 40.0, 48.0, 60.0], n)  # near the depot, some at the same km
        drive = np.sort(near + rng.uniform(0, 900, n) * (rng.random(n) < 0.7))
        sites = rng.integers(0, n_sites, n).tolist()  # a site may repeat along a route (round trips)
        every.append((sites, drive.tolist(), drive.tolist()))
        named = {k: float(rng.choice([1.0, 1 / 3, 0.1234567891, 0.5])) for k in sites if rng.random() < 0.8}
        named.update({int(k): 0.25 for k in rng.integers(0, n_sites, 2) if int(k) not in sites})  # not on route
        share.append(named if rng.random() < 0.9 else {})
    served = rng.random(n_flows) < 0.85
    instance = _instance(n_sites, rng.uniform(0.1, 50, n_flows).tolist())
    truck = SimpleNamespace(consumption_kwh_per_km=1.3, battery_kwh=540.0, soc_start=0.95, soc_max=0.8)
    table = stop_table(instance, served, share, truck, every=every)
    want = walk(instance, served, share, truck, every)
    assert len(want["flow"]) > 500
    for name, values in want.items():
        got = getattr(table, name)
        assert got.dtype == (np.int64 if name in ("flow", "site") else np.float64), name
        assert np.array_equal(got, np.array(values, dtype=got.dtype)), name  # bit for bit


def test_no_served_flow_gives_an_empty_table() -> None:
    every = [([1], [100.0], [100.0])]
    table = stop_table(_instance(3, [5.0]), np.array([False]), [{1: 1.0}], TRUCK, every=every)
    assert all(len(getattr(table, c)) == 0 for c in ("flow", "site", "drive_km", "soc_in", "energy_kwh", "trucks"))
    assert table.energy_by_site(3).tolist() == [0.0, 0.0, 0.0]


def test_every_open_stop_with_all_trucks_gives_the_same_table_and_hub_sums() -> None:
    # Without assigned stops (share=None) every open stop a served flow passes is a stop with all its
    # trucks: the same table as naming each of them at 1.0, and the same per-site flows and trucks/day
    # (a flow passing a site twice, as a round trip does, counts once there).
    from planner.features.coverage.decode import _charging_at_every_stop, _charging_by_shares

    rng = np.random.default_rng(7)
    n_sites, n_flows = 12, 40
    every = []
    for _ in range(n_flows):
        sites = rng.choice(n_sites, size=int(rng.integers(0, 6)), replace=True).tolist()
        km = np.cumsum(rng.uniform(40.0, 200.0, size=len(sites))).tolist()
        every.append((sites, km, km))
    served = rng.random(n_flows) < 0.7
    instance = _instance(n_sites, rng.uniform(0.01, 9.0, size=n_flows).round(6).tolist())
    share = [dict.fromkeys(s, 1.0) if served[q] else {} for q, (s, _, _) in enumerate(every)]
    assert any(len(set(s)) < len(s) for s, _, _ in every)  # some flow passes a site twice
    fast = stop_table(instance, served, None, TRUCK, every=every)
    named = stop_table(instance, served, share, TRUCK, every=every)
    for col in ("flow", "site", "drive_km", "soc_in", "energy_kwh", "trucks"):
        assert getattr(fast, col).tolist() == getattr(named, col).tolist()
    count, volume = _charging_at_every_stop(instance, fast)
    count_named, volume_named = _charging_by_shares(instance, served, share)
    assert count.tolist() == count_named.tolist() and count.sum() > 0
    assert volume.tolist() == volume_named.tolist()  # the same floats, summed in the same order
    with pytest.raises(ValueError, match="share=None needs every"):
        stop_table(instance, served, None, TRUCK)
