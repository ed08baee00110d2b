"""Classic flow-refuelling networks: MILP optimum equals exhaustive enumeration.

Two round-trip rules: the classic one (Kuby & Lim 2005; Capar et al. 2013 — a station at the origin
lets the vehicle leave full and come back with any fuel; without one it leaves with half a tank and
must come back with half) checked with a simulator written here from those definitions, independent
of the planner's model and verifier; and the stricter ``reserve_on_return`` rule checked with the
verifier's simulation.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from planner.candidates import build_candidates
from planner.demand import route_flows
from planner.features.coverage.model import ModelSpec, build_model, open_sites
from planner.frlm import frlm_flows, frlm_vehicle, read_frlm_network
from planner.instance import build_instance
from planner.ranges import vehicle_ranges
from planner.scenario import CandidatesConfig, NetworkConfig, SolverConfig
from planner.solve import solve_problem
from planner.verify import HubIndex, simulate_legs

FOLDER = Path(__file__).parent / "fixtures" / "frlm" / "25NODE"
CA339 = Path(__file__).parent / "fixtures" / "frlm" / "CA339"


def classic_served(route: list[str], graph, stations: set[str], full: float) -> bool:
    """The classic round-trip rule, straight from its definition (not the planner's code)."""
    origin = route[0]
    fuel = full if origin in stations else full / 2
    for i, (a, b) in enumerate(zip(route[:-1], route[1:], strict=True)):
        fuel -= graph.edges[a, b]["length_km"]
        if fuel < -1e-9:
            return False
        if b in stations and i + 2 < len(route):  # refuel at every station passed, not at the final return
            fuel = full
    return fuel >= (0.0 if origin in stations else full / 2) - 1e-9


def classic_optimum(instance_args, p: int, refuel: bool = True):
    net, sites, flows, vehicle, breaks = instance_args
    inst = build_instance(
        net, sites, flows, vehicle_ranges(vehicle, breaks), site_cost=np.ones(len(sites)), refuel_at_origin=refuel
    )
    model = build_model(inst, ModelSpec("max_coverage", max_hubs=p))
    res = solve_problem(model.problem, SolverConfig(mip_gap=0.0))
    assert res.status == "optimal"
    chosen = {inst.site_ids[k] for k in np.flatnonzero(open_sites(model))}
    return res.objective + model.objective_offset, chosen


@pytest.fixture(scope="module")
def case():
    net, weights = read_frlm_network(FOLDER)
    flows = route_flows(frlm_flows(net, weights), net, round_trip=True)
    sites = build_candidates(net, CandidatesConfig(), NetworkConfig(nodes="n", edges="e"))
    return net, flows, sites


def test_network_shape(case) -> None:
    net, flows, sites = case
    assert net.graph.number_of_nodes() == 25 and len(net.edges) == 43
    assert len(flows) == 300 and len(sites) == 25


@pytest.mark.parametrize("range_units", [8.0, 12.0])
@pytest.mark.parametrize("p", [1, 2])
def test_milp_equals_enumeration(case, range_units: float, p: int) -> None:
    net, flows, sites = case
    vehicle, breaks = frlm_vehicle(range_units)
    index = HubIndex(net, sites, set(sites["site_id"]))
    along = [index.along(list(r)) for r in flows["route_nodes"]]
    vol = flows["volume"].to_numpy()
    best = 0.0
    for combo in itertools.combinations(sites["site_id"], p):
        s = set(combo)
        ok = np.array(
            [simulate_legs([h for h in hubs if h[2] in s], tot, vehicle, breaks).completed for hubs, tot in along]
        )
        best = max(best, float(vol[ok].sum()))
    inst = build_instance(net, sites, flows, vehicle_ranges(vehicle, breaks), site_cost=np.ones(len(sites)))
    model = build_model(inst, ModelSpec("max_coverage", max_hubs=p))
    res = solve_problem(model.problem, SolverConfig(mip_gap=0.0))
    served = (res.objective + model.objective_offset) if res.objective is not None else model.objective_offset
    assert res.status == "optimal"
    assert served == pytest.approx(best, rel=1e-5)
    assert 0 < best < vol.sum()


@pytest.mark.parametrize("range_units", [8.0, 12.0, 16.0])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_classic_round_trip_rule_equals_enumeration(case, range_units: float, p: int) -> None:
    net, flows, sites = case
    vehicle, breaks = frlm_vehicle(range_units)
    routes = [list(r) for r in flows["route_nodes"]]
    vol = flows["volume"].to_numpy()
    best = max(
        float(vol[[classic_served(r, net.graph, set(combo), range_units) for r in routes]].sum())
        for combo in itertools.combinations(sites["site_id"], p)
    )
    served, chosen = classic_optimum((net, sites, flows, vehicle, breaks), p)
    assert served == pytest.approx(best, rel=1e-9)
    independent = float(vol[[classic_served(r, net.graph, chosen, range_units) for r in routes]].sum())
    assert independent == pytest.approx(served, rel=1e-9)  # the model's plan, re-checked by the rule itself


def test_a_station_at_the_origin_refuels_on_return(case) -> None:
    # 25NODE, range 8: with the classic rule a station at the origin lets a round trip of up to 8
    # units (4 out, 4 back) succeed; the stricter rule also wants half a tank (4) on return.
    net, flows, sites = case
    vehicle, breaks = frlm_vehicle(8.0)
    routes = [list(r) for r in flows["route_nodes"]]
    classic, _ = classic_optimum((net, sites, flows, vehicle, breaks), 1, refuel=True)
    strict, _ = classic_optimum((net, sites, flows, vehicle, breaks), 1, refuel=False)
    assert classic > strict
    length = [sum(net.graph.edges[a, b]["length_km"] for a, b in zip(r[:-1], r[1:], strict=True)) for r in routes]
    short = [r for r, km in zip(routes, length, strict=True) if 4 < km <= 8]
    assert short and all(classic_served(r, net.graph, {r[0]}, 8.0) for r in short)
    assert not any(classic_served(r, net.graph, set(), 8.0) for r in short)


def test_ca339_heaviest_51_nodes_classic_optimum() -> None:
    # The classic case of issue 13: the 51 heaviest CA339 nodes (1,275 round trips, w_i w_j / d^1.5
    # with d the shortest path on the whole network), range 200, 20 stations among the 339 nodes.
    import networkx as nx
    import pandas as pd

    net, weights = read_frlm_network(CA339)
    top = sorted(sorted(weights.index, key=lambda i: (-weights[i], int(i)))[:51], key=int)
    dist = dict(nx.all_pairs_dijkstra_path_length(net.graph, weight="length_km"))
    pairs = [(a, b) for i, a in enumerate(top) for b in top[i + 1 :]]
    rows = [(f"{a}-{b}", a, b, weights[a] * weights[b] / dist[a][b] ** 1.5) for a, b in pairs]
    table = pd.DataFrame(rows, columns=["flow_id", "origin", "destination", "volume"])
    flows = route_flows(table, net, round_trip=True)
    sites = build_candidates(net, CandidatesConfig(), NetworkConfig(nodes="n", edges="e"))
    vehicle, breaks = frlm_vehicle(200.0)
    served, chosen = classic_optimum((net, sites, flows, vehicle, breaks), 20)
    assert flows["volume"].sum() == pytest.approx(21006.68, abs=0.01)
    assert served == pytest.approx(20949.05, abs=0.01)
    routes = [list(r) for r in flows["route_nodes"]]
    vol = flows["volume"].to_numpy()
    assert float(vol[[classic_served(r, net.graph, chosen, 200.0) for r in routes]].sum()) == pytest.approx(served)
    strict, _ = classic_optimum((net, sites, flows, vehicle, breaks), 20, refuel=False)
    assert strict == pytest.approx(20917.82, abs=0.01)  # the stricter rule's optimum (what the project had)
