"""The classic 25-node flow-refuelling network: MILP optimum equals exhaustive enumeration."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from planner.candidates import build_candidates
from planner.demand import route_flows
from planner.features.coverage.model import ModelSpec, build_model
from planner.frlm import frlm_flows, frlm_vehicle, read_frlm_network
from planner.instance import build_instance
from planner.ranges import vehicle_ranges
from planner.scenario import CandidatesConfig, NetworkConfig, SolverConfig
from planner.solve import solve_problem
from planner.verify import HubIndex, simulate_legs

FOLDER = Path(__file__).parent / "fixtures" / "frlm" / "25NODE"


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
        ok = np.array([simulate_legs([h for h in hubs if h[2] in s], tot, vehicle, breaks).completed
                       for hubs, tot in along])
        best = max(best, float(vol[ok].sum()))
    inst = build_instance(net, sites, flows, vehicle_ranges(vehicle, breaks), site_cost=np.ones(len(sites)))
    model = build_model(inst, ModelSpec("max_coverage", max_hubs=p))
    res = solve_problem(model.problem, SolverConfig(mip_gap=0.0))
    served = (res.objective + model.objective_offset) if res.objective is not None else model.objective_offset
    assert res.status == "optimal"
    assert served == pytest.approx(best, rel=1e-5)
    assert 0 < best < vol.sum()
