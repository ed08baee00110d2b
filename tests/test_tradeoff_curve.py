"""The trade-off curve (planner/features/tradeoff/curve.py) against brute force on random networks.

The greedy plans must be what they say (nested, the served weight the windows give), every bound
must be at least the best plan found by enumerating all hub sets, and the counts chosen must sit
where the curve bends.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from planner.candidates import build_candidates
from planner.demand import route_flows
from planner.features.tradeoff.curve import CoverageModel, choose_counts, flow_windows, greedy_drop
from planner.ranges import Ranges
from planner.scenario import CandidatesConfig, NetworkConfig
from planner.windows import arc_stops, cover_set
from tests.test_windows import random_network


def _instance(seed: int, *, round_trips: bool = False):
    rng = np.random.default_rng(500 + seed)
    net = random_network(seed)
    sites = build_candidates(net, CandidatesConfig(spacing_km=110.0), NetworkConfig(nodes="n", edges="e"))
    locked = rng.random(len(sites)) < 0.08
    nodes = sorted(net.graph.nodes)
    pairs = [(a, b) for a in nodes for b in nodes if a != b]
    table = [(f"F{i}", a, b, 1.0) for i, (a, b) in enumerate(pairs)]
    flows = route_flows(pd.DataFrame(table, columns=["flow_id", "origin", "destination", "volume"]), net)
    ranges = Ranges(start_km=150.0, between_km=220.0, last_km=160.0, direct_km=60.0, break_km=float("inf"))
    per_flow = None
    if round_trips:  # two flows evaluated one by one, with windows of their own
        per_flow = {0: [(0, 1), (2,)], 1: [(1, 3)]}
    routes = [list(r) for r in flows["route_nodes"]]
    cover = cover_set(arc_stops(net, sites), routes, ranges, len(sites), locked=locked, per_flow=per_flow)
    weight = rng.integers(1, 20, size=len(flows)).astype(float)
    cost = rng.choice([1.0, 2.0], size=len(sites))
    return cover, weight, locked, cost


def _served_weight(cover, weight, is_open) -> float:
    need = cover.servable & ~cover.free
    return float(weight[cover.served(is_open) & need].sum())


@pytest.mark.parametrize("seed", range(6))
def test_flow_windows_list_each_flows_windows(seed: int) -> None:
    cover, weight, _, _ = _instance(seed, round_trips=seed % 2 == 0)
    fw = flow_windows(cover, weight)
    assert fw.flows.tolist() == np.flatnonzero(cover.servable & ~cover.free).tolist()
    for i, q in enumerate(fw.flows.tolist()):
        assert fw.pair_window[fw.pair_flow == i].tolist() == cover.flow_window_ids(q)
    assert np.array_equal(fw.weight, weight[fw.flows])


@pytest.mark.parametrize("seed", range(6))
def test_greedy_plans_are_nested_and_weighed_by_the_windows(seed: int) -> None:
    cover, weight, locked, cost = _instance(seed, round_trips=seed % 3 == 0)
    fw = flow_windows(cover, weight)
    is_open = locked | (np.random.default_rng(seed).random(len(locked)) < 0.7)
    curve = greedy_drop(cover, fw, is_open, locked, cost)
    assert sorted(curve.dropped.tolist()) == np.flatnonzero(is_open & ~locked).tolist()
    for k in range(len(curve.dropped) + 1):
        opened = curve.open_after(is_open, k)
        assert (opened & ~locked).sum() == (is_open & ~locked).sum() - k
        assert curve.served_weight[k] == pytest.approx(_served_weight(cover, weight, opened))
    assert (np.diff(curve.served_weight) <= 1e-9).all()  # fewer hubs never serve more


@pytest.mark.parametrize("seed", range(5))
def test_each_drop_is_the_cheapest_in_served_weight(seed: int) -> None:
    cover, weight, locked, cost = _instance(seed)
    fw = flow_windows(cover, weight)
    is_open = locked | (np.random.default_rng(seed + 7).random(len(locked)) < 0.6)
    curve = greedy_drop(cover, fw, is_open, locked, cost)
    current = is_open.copy()
    for site in curve.dropped.tolist():
        losses = {}
        for k in np.flatnonzero(current & ~locked).tolist():
            trial = current.copy()
            trial[k] = False
            losses[k] = _served_weight(cover, weight, current) - _served_weight(cover, weight, trial)
        assert losses[site] == pytest.approx(min(losses.values()))
        current[site] = False


@pytest.mark.parametrize("seed", range(5))
def test_bounds_are_at_least_the_best_plan_by_enumeration(seed: int) -> None:
    cover, weight, locked, cost = _instance(seed)
    fw = flow_windows(cover, weight)
    free_sites = np.flatnonzero(~locked)
    relaxed = CoverageModel(cover, fw, locked)
    is_open = locked | ~locked
    curve = greedy_drop(cover, fw, is_open, locked, cost)
    top = len(curve.dropped)
    for p in range(1, min(3, len(free_sites)) + 1):
        best = 0.0
        for combo in combinations(free_sites.tolist(), p):
            trial = locked.copy()
            trial[list(combo)] = True
            best = max(best, _served_weight(cover, weight, trial))
        bound = relaxed.solve(p, 10.0)[0]
        assert bound is not None and bound >= best - 1e-6
        assert curve.served_weight[top - p] <= best + 1e-9  # greedy is a plan: never above the optimum


def test_the_line_curve_of_the_docs() -> None:
    # Served weight with 0…6 hubs: a knee at 2, a plateau, a jump at 5.
    value = np.array([0.0, 5.0, 9.0, 9.5, 10.0, 14.0, 14.2])
    assert choose_counts(value, 1) == [6]
    assert choose_counts(value, 2) == [2, 6]
    assert choose_counts(value, 3) == [2, 4, 6]
    assert choose_counts(value, 10) == [1, 2, 3, 4, 5, 6]
    assert choose_counts(value, 0) == [] and choose_counts(np.array([3.0]), 4) == []


@pytest.mark.parametrize("seed", range(4))
def test_simulating_several_hub_sets_at_once_matches_one_by_one(seed: int) -> None:
    from planner.scenario import BreaksConfig, VehicleConfig
    from planner.verify import served_by_simulation, served_by_simulation_sets

    rng = np.random.default_rng(900 + seed)
    net = random_network(seed)
    sites = build_candidates(net, CandidatesConfig(spacing_km=60.0), NetworkConfig(nodes="n", edges="e"))
    nodes = sorted(net.graph.nodes)
    table = [(f"F{i}", a, b, 1.0) for i, (a, b) in enumerate((a, b) for a in nodes for b in nodes if a != b)]
    flows = route_flows(pd.DataFrame(table, columns=["flow_id", "origin", "destination", "volume"]), net)
    vehicle = VehicleConfig(battery_kwh=300.0, consumption_kwh_per_km=1.2)
    breaks = BreaksConfig(enabled=bool(seed % 2))
    ids = sites["site_id"].tolist()
    nested = sorted(ids, key=lambda _: rng.random())
    sets = [set(nested[:n]) for n in (2, 5, 9, len(ids) // 2)]  # nested …
    sets += [set(rng.choice(ids, size=len(ids) // 3, replace=False).tolist()) for _ in range(3)]  # … and not
    together = served_by_simulation_sets(net, sites, flows, sets, vehicle, breaks, refuel_at_origin=True)
    for s, got in zip(sets, together, strict=True):
        alone = served_by_simulation(net, sites, flows, s, vehicle, breaks, refuel_at_origin=True)
        assert got.tolist() == alone.tolist()
    assert any(0 < g.sum() < len(flows) for g in together)  # the sets make a difference


@pytest.mark.parametrize("seed", range(6))
def test_greedy_on_open_sets_equals_greedy_on_all_windows(seed: int) -> None:
    # The curve's greedy runs on each window's open sites (windows with equal open sets merged),
    # walked a few flows at a time: the same drops and served weights as on every window.
    from planner.features.tradeoff import pairs

    cover, weight, locked, cost = _instance(seed, round_trips=seed % 2 == 0)
    is_open = locked | (np.random.default_rng(seed + 3).random(len(locked)) < 0.6)
    full = greedy_drop(cover, flow_windows(cover, weight), is_open, locked, cost)
    old = pairs.BLOCK_FLOWS
    pairs.BLOCK_FLOWS = 7  # several blocks on these small instances
    try:
        fw, sets = pairs.open_windows(cover, weight, is_open)
        listed = pairs.flow_windows(cover, weight)
        smallest = pairs.smallest_windows(cover, weight, 2)
    finally:
        pairs.BLOCK_FLOWS = old
    reduced = greedy_drop(sets, fw, is_open, locked, cost)
    assert reduced.dropped.tolist() == full.dropped.tolist()
    assert np.allclose(reduced.served_weight, full.served_weight)
    assert len(fw.pair_flow) <= len(listed.pair_flow)
    for w in range(sets.n_windows):  # every open set is distinct and open
        members = sets.window_sites[sets.window_ptr[w] : sets.window_ptr[w + 1]]
        assert is_open[members].all()
    reference = flow_windows(cover, weight)
    assert np.array_equal(listed.pair_flow, reference.pair_flow)
    assert np.array_equal(listed.pair_window, reference.pair_window)
    assert pairs.pair_count(cover) >= len(reference.pair_flow)
    size = np.diff(cover.window_ptr)
    for i in range(len(reference.flows)):  # each flow's two smallest windows (size, then id)
        mine = sorted(reference.pair_window[reference.pair_flow == i].tolist(), key=lambda w: (size[w], w))[:2]
        assert sorted(smallest.pair_window[smallest.pair_flow == i].tolist()) == sorted(mine)


def test_set_hashes_group_equal_sets_only() -> None:
    from planner.arrays import equal_sets, set_hashes

    # rows: {1, 2}, {}, {2, 1}, {3}, {1, 2, 3}
    row = np.array([0, 0, 2, 2, 3, 4, 4, 4])
    member = np.array([1, 2, 2, 1, 3, 1, 2, 3])
    order, new = equal_sets(set_hashes(row, member, 5, 4, seed=1))
    group = np.empty(5, dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    assert group[0] == group[2] and len(set(group.tolist())) == 4
