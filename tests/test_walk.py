"""The verifier's array walk (planner/walk.py) against its per-trip reference.

On random networks (two-way and one-way edges, a ferry, candidates at nodes and along edges), for
random open sets, vehicles (a start above ``soc_max`` too), driver breaks and round trips, every
route gets the same hubs at the same kilometres (to the last bit), the same driven length and the
same outcome and reason as :meth:`planner.verify.HubIndex.along` with
:func:`planner.verify.simulate_legs`. The verifier's findings on tampered plans equal those of the
flow-by-flow loop it replaced (kept below as the oracle).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.candidates import build_candidates
from planner.demand import route_flows
from planner.scenario import BreaksConfig, CandidatesConfig, NetworkConfig, VehicleConfig
from planner.verify import HubIndex, _simulate_flows, served_by_simulation_sets, simulate_legs
from planner.walk import CHUNK, RouteWalker, simulate_walk
from tests.test_windows import random_network


def _case(seed: int) -> tuple:
    rng = np.random.default_rng(700 + seed)
    net = random_network(seed)
    spacing = float(rng.choice([30.0, 60.0, 120.0]))
    sites = build_candidates(net, CandidatesConfig(spacing_km=spacing), NetworkConfig(nodes="n", edges="e"))
    nodes = sorted(net.graph.nodes)
    table = [(f"F{i}", a, b, 1.0) for i, (a, b) in enumerate((a, b) for a in nodes for b in nodes if a != b)]
    frame = pd.DataFrame(table, columns=["flow_id", "origin", "destination", "volume"])
    flows = route_flows(frame, net, round_trip=bool(seed % 2))
    battery = float(rng.uniform(200, 600))
    soc_min = float(rng.uniform(0.0, 0.2))
    soc_max = float(rng.uniform(0.7, 1.0))
    vehicle = VehicleConfig(
        battery_kwh=battery,
        consumption_kwh_per_km=float(rng.uniform(0.9, 1.5)),
        soc_min=soc_min,
        soc_max=soc_max,
        soc_start=float(rng.uniform(soc_min, 1.0)),  # above soc_max in some cases
        soc_arrival_min=float(rng.uniform(soc_min, soc_max - 0.01)),
    )
    breaks = BreaksConfig(enabled=bool(rng.random() < 0.5), max_driving_h=float(rng.uniform(1.0, 4.5)))
    return rng, net, sites, flows, vehicle, breaks


@pytest.mark.parametrize("seed", range(8))
def test_walk_equals_the_per_trip_reference(seed: int) -> None:
    rng, net, sites, flows, vehicle, breaks = _case(seed)
    routes = [list(r) for r in flows["route_nodes"]]
    ids = sites["site_id"].to_numpy()
    outcomes = []
    for share in (0.0, 0.15, 0.4, 1.0):
        open_ids = set(ids[rng.random(len(ids)) < share])
        walk = RouteWalker(net, sites, open_ids).walk(routes)
        index = HubIndex(net, sites, open_ids)
        for rule in (False, True):
            trips = simulate_walk(walk, vehicle, breaks, refuel_at_origin=rule)
            for q, route in enumerate(routes):
                hubs, total = index.along(route)
                a, b = walk.ptr[q], walk.ptr[q + 1]
                at = walk.site_ids[walk.site[a:b]]
                got = list(zip(walk.route_km[a:b].tolist(), walk.drive_km[a:b].tolist(), at, strict=True))
                assert got == hubs and walk.total_drive[q] == total
                round_trip = rule and len(route) > 1 and route[0] == route[-1]
                ref = simulate_legs(hubs, total, vehicle, breaks, refuel_at_origin=round_trip)
                assert trips.completed[q] == ref.completed
                assert trips.reasons.get(q, "") == ref.reason
                outcomes.append(ref.completed)
    assert 0 < sum(outcomes) < len(outcomes)  # the cases mix served and failing trips


def test_walk_in_chunks_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # the verifier and the served-flow simulations walk chunk after chunk: the same findings
    rng, net, sites, flows, _, breaks = _case(3)
    vehicle = VehicleConfig(battery_kwh=80.0, consumption_kwh_per_km=1.2)  # some trips fail with every site open
    ids = sites["site_id"].to_numpy()
    hubs = pd.DataFrame({"site_id": ids[rng.random(len(ids)) < 0.3]})
    status = np.where(rng.random(len(flows)) < 0.3, "unservable", "served")
    flows = flows.assign(served=rng.random(len(flows)) < 0.6, stops=[[] for _ in range(len(flows))], status=status)
    sets = [set(hubs["site_id"]), set(ids[:5])]
    whole = _simulate_flows(net, sites, hubs, flows, vehicle, breaks, False, True)
    together = served_by_simulation_sets(net, sites, flows, sets, vehicle, breaks)
    assert len(flows) < CHUNK  # the shipped chunk takes them all at once
    monkeypatch.setattr("planner.walk.CHUNK", 7)
    assert _simulate_flows(net, sites, hubs, flows, vehicle, breaks, False, True) == whole
    assert whole.missed and whole.wrong_stops  # something to find in every chunk
    assert 0 < len(whole.false_unservable) < int((status == "unservable").sum())
    chunked = served_by_simulation_sets(net, sites, flows, sets, vehicle, breaks)
    assert [c.tolist() for c in chunked] == [t.tolist() for t in together]


def test_walk_refuses_a_route_off_the_network() -> None:
    _, net, sites, *_ = _case(0)
    nodes = sorted(net.graph.nodes)
    walker = RouteWalker(net, sites, [])
    with pytest.raises(ValueError, match="'XX' is not in the network"):
        walker.walk([[nodes[0], "XX"]])
    a, b = next((a, b) for a in nodes for b in nodes if a != b and not net.graph.has_edge(a, b))
    with pytest.raises(ValueError, match="is not a network edge"):
        walker.walk([[a, b]])
    empty = walker.walk([])
    assert len(empty.total_drive) == 0 and empty.ptr.tolist() == [0]
    assert simulate_walk(empty, VehicleConfig(), BreaksConfig()).completed.tolist() == []
    assert list(walker.chunks([])) == []


def _loop_findings(net, sites, hubs, flows, vehicle, breaks, assigned, rule) -> tuple:
    """The verifier's flow-by-flow loop before planner/walk.py (the oracle)."""
    failed, wrong, missed, false_unservable = [], [], [], []
    index_open = HubIndex(net, sites, set(hubs["site_id"]))
    index_all = HubIndex(net, sites, set(sites["site_id"]))
    for f in flows.itertuples(index=False):
        route = list(f.route_nodes)
        rt = rule and len(route) > 1 and route[0] == route[-1]
        along, total = index_open.along(route)
        trip = simulate_legs(along, total, vehicle, breaks, refuel_at_origin=rt)
        if f.served and assigned:
            if not set(f.stops) <= {h[2] for h in along}:
                wrong.append(f.flow_id)
            trip = simulate_legs(
                [h for h in along if h[2] in set(f.stops)], total, vehicle, breaks, refuel_at_origin=rt
            )
        if f.served:
            if not trip.completed:
                failed.append(f"{f.flow_id} ({trip.reason})")
            if not assigned and list(f.stops) != trip.stops:
                wrong.append(f.flow_id)
        elif trip.completed:
            missed.append(f.flow_id)
        if (
            f.status == "unservable"
            and simulate_legs(*index_all.along(route), vehicle, breaks, refuel_at_origin=rt).completed
        ):
            false_unservable.append(f.flow_id)
    return failed, wrong, missed, false_unservable


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("assigned", [False, True])
def test_verifier_findings_equal_the_flow_by_flow_loop(seed: int, assigned: bool) -> None:
    rng, net, sites, flows, vehicle, breaks = _case(seed)
    ids = sites["site_id"].to_numpy()
    hubs = pd.DataFrame({"site_id": ids[rng.random(len(ids)) < 0.4]})
    # a plan with every kind of mistake: served flags, stops and statuses drawn at random around the truth
    index = HubIndex(net, sites, set(hubs["site_id"]))
    stops, served = [], []
    for r in flows["route_nodes"]:
        along = [h[2] for h in index.along(list(r))[0]]
        pick = rng.random()
        if pick < 0.5:
            stops.append(along)  # the truth
        elif pick < 0.65:
            stops.append(along[::-1])  # order
        elif pick < 0.8:
            stops.append([s for s in along if rng.random() < 0.5])  # a subset
        else:
            stops.append(along + [str(rng.choice(ids)), "nowhere"][: int(rng.integers(1, 3))])  # off the route
        served.append(bool(rng.random() < 0.7))
    flows = flows.assign(stops=stops, served=served)
    flows["status"] = np.where(
        rng.random(len(flows)) < 0.2, "unservable", np.where(flows["served"], "served", "unserved")
    )
    for rule in (False, True):
        found = _simulate_flows(net, sites, hubs, flows, vehicle, breaks, assigned, rule)
        got = (found.failed, found.wrong_stops, found.missed, found.false_unservable)
        assert got == _loop_findings(net, sites, hubs, flows, vehicle, breaks, assigned, rule)


def test_several_hub_sets_equal_the_reference() -> None:
    rng, net, sites, flows, vehicle, breaks = _case(5)
    ids = sites["site_id"].to_numpy()
    sets = [set(ids[rng.random(len(ids)) < p]) for p in (0.1, 0.3, 0.6)]
    together = served_by_simulation_sets(net, sites, flows, sets, vehicle, breaks, refuel_at_origin=True)
    for open_ids, got in zip(sets, together, strict=True):
        index = HubIndex(net, sites, open_ids)
        want = []
        for r in flows["route_nodes"]:
            route = list(r)
            rt = len(route) > 1 and route[0] == route[-1]
            want.append(simulate_legs(*index.along(route), vehicle, breaks, refuel_at_origin=rt).completed)
        assert got.tolist() == want
    assert len({g.sum() for g in together}) > 1
