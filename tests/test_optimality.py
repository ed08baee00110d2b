"""The MILP against exhaustive enumeration with the independent trip simulator.

On small random networks every subset of candidate sites is tried; each flow is simulated
with :func:`planner.verify.simulate_trip` (which never looks at the model). The best coverage
for a hub budget, and the cheapest set serving all servable flows, must equal the MILP's.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from planner.api import solve_scenario
from planner.candidates import build_candidates
from planner.demand import load_flows, route_flows
from planner.network import load_network
from planner.scenario import load_scenario
from planner.verify import HubIndex, simulate_legs
from tests.conftest import write_csv, write_scenario


def random_case(folder: Path, seed: int, *, oneway: bool) -> None:
    rng = np.random.default_rng(seed)
    n = 7
    g = nx.random_labeled_tree(n, seed=seed)
    extra = [(int(a), int(b)) for a, b in rng.integers(0, n, size=(2, 2)) if a != b and not g.has_edge(a, b)]
    g.add_edges_from(extra)
    xy = rng.uniform(0, 3.0, size=(n, 2)) + np.array([5.0, 45.0])
    nodes = [f"N{i},n{i},{xy[i, 0]:.5f},{xy[i, 1]:.5f}" for i in range(n)]
    from planner.network import great_circle_km

    edges = []
    for a, b in sorted(tuple(sorted(e)) for e in g.edges):
        gc = float(great_circle_km(xy[a, 0], xy[a, 1], xy[b, 0], xy[b, 1]))
        length = round(gc * rng.uniform(1.05, 1.4) + 1.0, 1)
        edges.append(f"N{a},N{b},{length},false")
        if oneway:  # both carriageways as oneway edges with different lengths
            edges[-1] = f"N{a},N{b},{length},true"
            edges.append(f"N{b},N{a},{round(length * rng.uniform(1.0, 1.1), 1)},true")
    write_csv(folder / "nodes.csv", "id,name,lon,lat", nodes)
    write_csv(folder / "edges.csv", "u,v,length_km,oneway", edges)
    pairs = [(a, b) for a in range(n) for b in range(n) if a != b]
    pick = rng.choice(len(pairs), size=10, replace=False)
    flows = [f"F{k},N{pairs[i][0]},N{pairs[i][1]},{int(rng.integers(1, 50))}" for k, i in enumerate(sorted(pick))]
    write_csv(folder / "flows.csv", "id,origin,destination,volume", flows)


def scenario_dict(objective: dict, *, breaks: bool, round_trip: bool, soc_start: float = 0.7) -> dict:
    return {
        "name": "brute",
        "network": {"nodes": "nodes.csv", "edges": "edges.csv"},
        "candidates": {"include_nodes": True, "spacing_km": 150.0},
        "demand": {"flows": "flows.csv", "round_trip": round_trip},
        "vehicle": {
            "battery_kwh": 250.0,
            "consumption_kwh_per_km": 1.0,
            "soc_min": 0.1,
            "soc_max": 0.9,
            "soc_start": 0.7,
            "soc_arrival_min": 0.2,
        },
        "breaks": {"enabled": breaks, "max_driving_h": 2.0, "speed_kmh": 80.0},
        "costs": {"site_fixed_eur": 100.0},
        "chargers": {"mcs": {"capex_eur": 10.0, "min_per_hub": 1}},
        "objective": objective,
        "solver": {"name": "highs", "mip_gap": 0.0},
        "output": {"maps": False},
    }


def enumerate_best(sc_path: Path, max_hubs: int):
    """Best coverage with ≤ max_hubs hubs and fewest hubs serving all servable flows, by
    trying every subset of the candidate sites that lie on some route."""
    sc = load_scenario(sc_path)
    net = load_network(sc.network)
    sites = build_candidates(net, sc.candidates, sc.network)
    flows = route_flows(load_flows(sc.demand, net), net, round_trip=sc.demand.round_trip)
    index = HubIndex(net, sites, set(sites["site_id"]))
    along = [index.along(list(r)) for r in flows["route_nodes"]]
    cands = sorted({h[2] for hubs, _ in along for h in hubs})
    vol = flows["volume"].to_numpy()

    def served(open_set: set[str]) -> np.ndarray:
        return np.array(
            [
                simulate_legs([h for h in hubs if h[2] in open_set], total, sc.vehicle, sc.breaks).completed
                for hubs, total in along
            ]
        )

    servable = served(set(cands))
    best: dict[int, float] = {}
    fewest = None
    for k in range(len(cands) + 1):
        if k > max_hubs and (fewest is not None or k > 5):
            break
        for combo in itertools.combinations(cands, k):
            ok = served(set(combo))
            if k <= max_hubs:
                best[k] = max(best.get(k, 0.0), float(vol[ok].sum()))
            if fewest is None and (ok == servable).all():
                fewest = k
    return best, fewest, vol, servable


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("variant", ["plain", "breaks", "oneway", "round_trip", "full_start"])
def test_milp_matches_enumeration(tmp_path: Path, seed: int, variant: str) -> None:
    random_case(tmp_path, seed, oneway=variant == "oneway")
    breaks, rt = variant == "breaks", variant == "round_trip"
    start = 1.0 if variant == "full_start" else 0.7  # above soc_max: hubs passed early add nothing
    p = 2
    sc_path = write_scenario(
        tmp_path / "max.toml",
        scenario_dict({"type": "max_coverage", "max_hubs": p}, breaks=breaks, round_trip=rt, soc_start=start),
    )
    best_by_k, min_hubs_all, vol, servable = enumerate_best(sc_path, p)
    best = max(best_by_k.values())
    plan = solve_scenario(load_scenario(sc_path))
    assert plan.summary["status"] == "optimal"
    assert plan.summary["covered_volume"] == pytest.approx(best)
    assert 0 < best < vol.sum()  # the case is not trivial
    assert plan.verification.passed
    assert set(plan.summary["unservable_flows"]) == {
        f for f, s in zip(plan.flows["flow_id"], servable, strict=True) if not s
    }
    # Cheapest plan reaching the p-hub optimum: as many hubs as the fewest that reach it.
    target = float(best / vol.sum()) - 1e-9
    fewest_for_target = min(k for k, v in best_by_k.items() if v >= best - 1e-9)
    sc3 = write_scenario(
        tmp_path / "target.toml",
        scenario_dict({"type": "min_cost", "coverage_target": target}, breaks=breaks, round_trip=rt, soc_start=start),
    )
    plan3 = solve_scenario(load_scenario(sc3))
    assert plan3.summary["new_hub_count"] == fewest_for_target
    assert plan3.summary["total_cost_eur"] == pytest.approx(110.0 * fewest_for_target)
    if min_hubs_all is not None:
        sc2 = write_scenario(
            tmp_path / "min.toml", scenario_dict({"type": "min_cost"}, breaks=breaks, round_trip=rt, soc_start=start)
        )
        plan2 = solve_scenario(load_scenario(sc2))
        assert plan2.summary["new_hub_count"] == min_hubs_all
        assert plan2.summary["covered_volume"] == pytest.approx(float(vol[servable].sum()))
