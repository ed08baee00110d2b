"""The shared window engine (planner/windows.py) against the flow-by-flow definition.

On random networks (two-way and one-way edges, a ferry, existing hubs, candidates along edges),
for random sets of open sites, a flow is served by the shared windows exactly when it is served by
the windows :func:`planner.instance.flow_windows` gives for that flow alone; both agree on which
flows need no hub and which can never be served.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.candidates import build_candidates
from planner.demand import route_flows
from planner.instance import flow_windows, route_stops, window_members
from planner.network import network_from_frames
from planner.ranges import Ranges
from planner.scenario import CandidatesConfig, NetworkConfig
from planner.windows import arc_stops, cover_set


def random_network(seed: int):
    import networkx as nx
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = 9
    g = nx.random_labeled_tree(n, seed=seed)
    for a, b in rng.integers(0, n, size=(4, 2)):
        if a != b:
            g.add_edge(int(a), int(b))
    xy = rng.uniform(0, 4.0, size=(n, 2)) + np.array([5.0, 45.0])
    nodes = pd.DataFrame(
        {"id": [f"N{i}" for i in range(n)], "name": "", "lon": xy[:, 0].astype(str), "lat": xy[:, 1].astype(str)}
    )
    from planner.network import great_circle_km

    rows = []
    for k, (a, b) in enumerate(sorted(tuple(sorted(e)) for e in g.edges)):
        gc = float(great_circle_km(xy[a, 0], xy[a, 1], xy[b, 0], xy[b, 1]))
        mode = "ferry" if k == 0 else "road"
        oneway = "true" if rng.random() < 0.3 else ""
        rows.append((f"N{a}", f"N{b}", f"{gc * rng.uniform(1.05, 1.3) + 1:.1f}", mode, oneway))
        if oneway:
            rows.append((f"N{b}", f"N{a}", f"{gc * rng.uniform(1.05, 1.3) + 1:.1f}", mode, oneway))
    edges = pd.DataFrame(rows, columns=["u", "v", "length_km", "mode", "oneway"])
    return network_from_frames(nodes.astype(str), edges.astype(str), source="random", max_detour_ratio=10.0)


def _random_cover(seed: int):
    """A random network, its candidates (5 % locked), every O-D flow routed, random ranges and the
    cover; and the random generator, for more draws."""
    import pandas as pd

    rng = np.random.default_rng(100 + seed)
    net = random_network(seed)
    sites = build_candidates(
        net, CandidatesConfig(spacing_km=float(rng.choice([30.0, 60.0, 120.0]))), NetworkConfig(nodes="n", edges="e")
    )
    sites["locked"] = rng.random(len(sites)) < 0.05
    nodes = sorted(net.graph.nodes)
    pairs = [(a, b) for a in nodes for b in nodes if a != b]
    flows = pd.DataFrame(
        [(f"F{i}", a, b, 1.0) for i, (a, b) in enumerate(pairs)], columns=["flow_id", "origin", "destination", "volume"]
    )
    flows = route_flows(flows, net)
    between = float(rng.uniform(120, 300))
    ranges = Ranges(
        start_km=float(rng.uniform(60, 360)),
        between_km=between,
        last_km=between * float(rng.uniform(0.5, 1.0)),
        direct_km=float(rng.uniform(0, 200)),
        break_km=float("inf"),
    )
    locked = sites["locked"].to_numpy(dtype=bool)
    cover = cover_set(arc_stops(net, sites), [list(r) for r in flows["route_nodes"]], ranges, len(sites), locked=locked)
    return net, sites, flows, ranges, locked, cover, rng


@pytest.mark.parametrize("seed", range(12))
def test_shared_windows_serve_exactly_like_per_flow_windows(seed: int) -> None:
    net, sites, flows, ranges, locked, cover, rng = _random_cover(seed)
    node_sites, arc_sites = _site_maps(net, sites)
    reference = []
    for f in flows.itertuples(index=False):
        fs = route_stops(list(f.route_nodes), net, node_sites, arc_sites)
        idx = flow_windows(fs.drive_km, float(f.drive_km), ranges)
        reference.append(
            None if idx is None else [w for w in (window_members(fs, x) for x in idx) if not locked[list(w)].any()]
        )
    assert cover.servable.tolist() == [w is not None for w in reference]
    assert cover.free.tolist() == [w is not None and not w for w in reference]
    for _ in range(25):
        is_open = locked | (rng.random(len(sites)) < rng.uniform(0.05, 0.6))
        expect = [w is not None and all(is_open[list(x)].any() for x in w) for w in reference]
        assert cover.served(is_open).tolist() == expect


def _site_maps(net, sites):
    node_sites: dict = {}
    arc_sites: dict = {}
    g = net.graph
    for i, s in enumerate(sites.itertuples(index=False)):
        if s.node:
            node_sites.setdefault(s.node, []).append(i)
            continue
        arc_sites.setdefault((s.u, s.v), []).append((i, float(s.offset_km)))
        if g.has_edge(s.v, s.u) and g.edges[s.v, s.u]["edge_id"] == g.edges[s.u, s.v]["edge_id"]:
            arc_sites.setdefault((s.v, s.u), []).append((i, g.edges[s.u, s.v]["length_km"] - float(s.offset_km)))
    for lst in arc_sites.values():
        lst.sort(key=lambda t: t[1])
    return node_sites, arc_sites


def test_open_stops_match_the_full_stop_list(tmp_path: Path) -> None:
    import pandas as pd

    from planner.instance import build_instance

    net = random_network(3)
    sites = build_candidates(net, CandidatesConfig(spacing_km=40.0), NetworkConfig(nodes="n", edges="e"))
    nodes = sorted(net.graph.nodes)
    flows = route_flows(
        pd.DataFrame(
            [(f"F{i}", a, b, 1.0) for i, (a, b) in enumerate((a, b) for a in nodes for b in nodes if a != b)],
            columns=["flow_id", "origin", "destination", "volume"],
        ),
        net,
    )
    inst = build_instance(net, sites, flows, Ranges(100, 200, 150, 50, float("inf")), site_cost=np.ones(len(sites)))
    rng = np.random.default_rng(0)
    is_open = rng.random(len(sites)) < 0.4
    for q in range(len(flows)):
        fs = inst.stops[q]
        keep = is_open[fs.site]
        got = inst.open_stops(q, is_open)
        assert got[0] == fs.site[keep].tolist()
        assert np.allclose(got[1], fs.drive_km[keep]) and np.allclose(got[2], fs.route_km[keep])


@pytest.mark.parametrize("seed", [1, 4, 7])
def test_open_stop_lists_walk_the_tree_like_each_route(seed: int) -> None:
    import pandas as pd

    from planner.instance import build_instance

    net = random_network(seed)
    sites = build_candidates(net, CandidatesConfig(spacing_km=35.0), NetworkConfig(nodes="n", edges="e"))
    nodes = sorted(net.graph.nodes)
    pairs = [(a, b) for a in nodes for b in nodes if a != b]
    table = pd.DataFrame(
        [(f"F{i}", a, b, 1.0) for i, (a, b) in enumerate(pairs)], columns=["flow_id", "origin", "destination", "volume"]
    )
    inst = build_instance(
        net, sites, route_flows(table, net), Ranges(100, 200, 150, 50, float("inf")), site_cost=np.ones(len(sites))
    )
    is_open = np.random.default_rng(seed).random(len(sites)) < 0.5
    every = inst.open_stop_lists(is_open)
    for q in range(len(pairs)):
        sites_q, drive_q, route_q = inst.open_stops(q, is_open)
        assert every[q][0] == sites_q
        assert np.allclose(every[q][1], drive_q) and np.allclose(every[q][2], route_q)


@pytest.mark.parametrize("seed", range(6))
def test_group_window_pairs_counts_the_windows_of_each_distinct_path(seed: int) -> None:
    # The size a served-variable model would have, from the arrays: per distinct (last tree node,
    # final window) of the flows needing a hub, the windows from the root to that node (walked here
    # node by node) and its final window; never below the pairs of the groups the model builds.
    *_, cover, _ = _random_cover(seed)
    need = np.flatnonzero(cover.servable & ~cover.free)
    walked = 0
    for leaf, final in sorted({(int(cover.flow_leaf[q]), int(cover.flow_final[q])) for q in need}):
        n = leaf
        while n >= 0:
            walked += int(cover.node_windows_ptr[n + 1] - cover.node_windows_ptr[n])
            n = int(cover.node_parent[n])
        walked += final >= 0
    assert len(need) and not cover.extra
    assert cover.group_window_pairs() == walked
    groups = {tuple(cover.flow_window_ids(int(q))) for q in need}
    assert sum(len(g) for g in groups) <= walked


@pytest.mark.parametrize("seed", range(6))
def test_window_weights_sum_each_flow_over_the_windows_of_its_path(seed: int) -> None:
    # Per window, the weight of the flows needing a hub whose path (walked here node by node) or final
    # window holds it; flows needing no hub and unservable ones add nothing.
    *_, cover, rng = _random_cover(seed)
    weight = rng.uniform(0.5, 3.0, len(cover.servable))
    expect = np.zeros(cover.n_windows)
    for q in np.flatnonzero(cover.servable & ~cover.free).tolist():
        n = int(cover.flow_leaf[q])
        while n >= 0:
            expect[cover.node_windows[cover.node_windows_ptr[n] : cover.node_windows_ptr[n + 1]]] += weight[q]
            n = int(cover.node_parent[n])
        if cover.flow_final[q] >= 0:
            expect[cover.flow_final[q]] += weight[q]
    assert not cover.extra and expect.sum() > 0
    assert np.allclose(cover.window_weights(weight), expect)


def test_open_stops_carry_across_consecutive_ferries() -> None:
    # N0 -road- N1 -ferry- N2 -ferry- N3 -road- N4: the sites at N1 and N2 sit at the start of ferries,
    # so a truck takes them where it drives again (at N3, with N3's own), and only if its route goes on.
    import pandas as pd

    from planner.instance import build_instance

    nodes = pd.DataFrame({"id": [f"N{i}" for i in range(5)], "name": "", "lon": [5.0, 5.5, 6.0, 6.5, 7.0], "lat": 45.0})
    edges = pd.DataFrame(
        [
            ("N0", "N1", "60", "road"),
            ("N1", "N2", "50", "ferry"),
            ("N2", "N3", "50", "ferry"),
            ("N3", "N4", "60", "road"),
        ],
        columns=["u", "v", "length_km", "mode"],
    )
    net = network_from_frames(nodes.astype(str), edges, source="ferries", max_detour_ratio=10.0)
    sites = build_candidates(net, CandidatesConfig(spacing_km=200.0), NetworkConfig(nodes="n", edges="e"))
    pairs = [("N0", "N4"), ("N0", "N3"), ("N0", "N2"), ("N4", "N0"), ("N1", "N4")]
    table = pd.DataFrame([(f"F{i}", a, b, 1.0) for i, (a, b) in enumerate(pairs)])
    table.columns = ["flow_id", "origin", "destination", "volume"]
    inst = build_instance(
        net, sites, route_flows(table, net), Ranges(100, 200, 150, 50, float("inf")), site_cost=np.ones(len(sites))
    )
    ids = list(inst.site_ids)
    every = inst.open_stop_lists(np.ones(len(ids), dtype=bool))
    named = [[ids[k] for k in stops] for stops, _, _ in every]
    assert named[0] == ["N0", "N1", "N2", "N3"] and named[1] == ["N0"] and named[2] == ["N0"]
    assert named[3] == ["N4", "N3", "N2", "N1"] and named[4] == ["N1", "N2", "N3"]
    assert every[0][1] == [0.0, 60.0, 60.0, 60.0] and every[0][2] == [0.0, 60.0, 110.0, 160.0]
    for q in range(len(pairs)):  # the tree walk and the walk of each route alone agree
        sites_q, drive_q, route_q = inst.open_stops(q, np.ones(len(ids), dtype=bool))
        assert (every[q][0], every[q][1], every[q][2]) == (sites_q, drive_q, route_q)
