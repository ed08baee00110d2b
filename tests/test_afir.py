"""AFIR Art. 4 HDV targets: requirement table, spacing measurement, enforcement windows."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.candidates import SITE_COLUMNS, build_candidates
from planner.features.afir import (
    HDV_MILESTONES,
    PARKING_TARGETS,
    URBAN_NODE_TARGETS,
    PoolSpec,
    gaps_geodataframe,
    measure_spacing,
    milestone_for,
    spacing_windows,
)
from planner.network import Network, great_circle_km, network_from_frames
from planner.scenario import CandidatesConfig, NetworkConfig

BIG = PoolSpec(power_kw=4000.0, points_350kw=4)  # compliant for every tier and milestone
LAT = 45.6
KM_PER_DEG_LON = 77.9  # at 45.6° N


# --- builders ---------------------------------------------------------------------------------


def make_network(nodes: dict[str, float], edges: list[tuple]) -> Network:
    """Nodes on a west-east line (name → km from the origin); edges (u, v, km, tier[, mode, oneway, corridor,
    country])."""
    node_rows = [{"id": n, "name": n, "lon": f"{x / KM_PER_DEG_LON:.6f}", "lat": str(LAT)} for n, x in nodes.items()]
    edge_rows = []
    for u, v, km, tier, *rest in edges:
        mode, oneway, corridor, country = [*rest, *["road", "false", "", ""][len(rest) :]]
        edge_rows.append(
            {
                "u": u,
                "v": v,
                "length_km": str(km),
                "tier": tier,
                "mode": mode,
                "oneway": oneway,
                "corridor": corridor,
                "country": country,
            }
        )
    return network_from_frames(pd.DataFrame(node_rows), pd.DataFrame(edge_rows), source="test")


def site(sid: str, *, node: str = "", u: str = "", v: str = "", offset: float = 0.0) -> dict:
    return {
        "site_id": sid,
        "name": sid,
        "kind": "node" if node else "edge",
        "node": node,
        "u": u,
        "v": v,
        "offset_km": offset,
        "lon": 0.0,
        "lat": 0.0,
        "country": "",
        "tier": "",
        "locked": False,
    }


def site_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=SITE_COLUMNS)


def gaps_of(report, tier: str) -> list:
    return [g for g in report.gaps if g.tier == tier]


# --- requirement table --------------------------------------------------------------------------


def test_milestone_table_matches_article_4():
    by_year = {m.year: m for m in HDV_MILESTONES}
    assert sorted(by_year) == [2025, 2027, 2030]
    m25, m27, m30 = by_year[2025], by_year[2027], by_year[2030]
    assert (m25.network_share, m25.share_basis) == (0.15, "network")
    assert (m27.network_share, m27.share_basis) == (0.50, "network")
    assert (m30.network_share, m30.share_basis) == (1.0, "tier")

    def figures(m, tier):
        r = m.requirement(tier)
        return r.max_spacing_km, r.min_pool_kw, r.min_points_350kw

    assert figures(m25, "core") == figures(m25, "comprehensive") == (120, 1400, 1)
    assert figures(m27, "core") == (120, 2800, 2)
    assert figures(m27, "comprehensive") == (120, 1400, 1)
    assert figures(m30, "core") == (60, 3600, 2)
    assert figures(m30, "comprehensive") == (100, 1500, 1)
    assert "Art. 4(1)(c)" in m30.requirement("core").article
    assert [(p.year, p.min_stations, p.min_station_kw) for p in PARKING_TARGETS] == [(2027, 2, 100), (2030, 4, 100)]
    assert [(u.year, u.min_total_kw, u.min_station_kw) for u in URBAN_NODE_TARGETS] == [
        (2025, 900, 150),
        (2030, 1800, 150),
    ]


def test_milestone_for_year():
    assert milestone_for(2025).year == 2025
    assert milestone_for(2026).year == 2025
    assert milestone_for(2029).year == 2027
    assert milestone_for(2040).year == 2030
    with pytest.raises(ValueError, match="first falls due"):
        milestone_for(2024)


def test_pool_requirement_thresholds():
    core27 = milestone_for(2027).requirement("core")
    assert core27.is_met_by(PoolSpec(2800, 2))
    assert not core27.is_met_by(PoolSpec(2799, 2))
    assert not core27.is_met_by(PoolSpec(5000, 1))
    with pytest.raises(ValueError, match="points_350kw"):
        PoolSpec(1000, -1)


# --- hand-worked examples ---------------------------------------------------------------------


@pytest.fixture
def straight():
    """A 200 km two-way core edge A–B with sites at km 50 and 150."""
    net = make_network({"A": 0, "B": 180}, [("A", "B", 200, "core", "road", "false", "North;East", "DE;AT")])
    sites = site_table([site("s50", u="A", v="B", offset=50), site("s150", u="A", v="B", offset=150)])
    return net, sites


def test_hand_example_end_counts_as_pool(straight):
    # Each direction: 50 (end to pool), 100 (pool to pool), 50 (pool to end); spacing 60 km (core, 2030).
    # With end_fraction=1 the ends behave like pools: only the 100 km gap fails, in both directions.
    net, sites = straight
    report = measure_spacing(net, sites, {"s50": BIG, "s150": BIG}, year=2030)
    assert [(d.direction, d.total_km, d.compliant_km) for d in report.directions] == [
        ("backward", 200, 100),
        ("forward", 200, 100),
    ]
    assert [(g.direction, g.from_km, g.to_km, g.gap_km) for g in report.gaps] == [
        ("backward", 50, 150, 100),
        ("forward", 50, 150, 100),
    ]
    assert report.overall.share == pytest.approx(0.5)
    assert not report.met
    assert report.by_corridor["North"].compliant_km == report.by_corridor["East"].compliant_km == 200
    assert list(report.by_country) == ["DE"]  # first listed country
    # In 2027 (120 km, 2800 kW, 2 points) the same pools pass and 50 % of the network is enough.
    report27 = measure_spacing(net, sites, {"s50": BIG, "s150": BIG}, year=2027)
    assert report27.gaps == () and report27.met
    nothing = measure_spacing(net, sites, {"s50": BIG}, year=2030, tiers=("comprehensive",))
    assert nothing.overall.total_km == 0 and nothing.by_tier == {} and not nothing.met


def test_hand_example_half_spacing_at_ends(straight):
    # With end_fraction=0.5 the 50 km end stretches exceed 30 km: the whole edge fails.
    net, sites = straight
    report = measure_spacing(net, sites, {"s50": BIG, "s150": BIG}, year=2030, end_fraction=0.5)
    assert report.overall.compliant_km == 0
    forward = [(g.from_km, g.to_km, g.gap_km) for g in report.gaps if g.direction == "forward"]
    assert forward == [(0, 50, 50), (50, 150, 100), (150, 200, 50)]


def test_weak_pool_does_not_count(straight):
    net, sites = straight
    weak = PoolSpec(power_kw=1500, points_350kw=1)  # enough for comprehensive, not for core 2030
    report = measure_spacing(net, sites, {"s50": BIG, "s150": weak}, year=2030)
    assert report.compliant_pools == {"core": ("s50",)}
    # Forward: 50 km end stretch fine, then 150 km from the only pool to the end; backward mirrored.
    assert report.overall.compliant_km == 100
    assert [(g.direction, g.from_km, g.to_km, g.gap_km) for g in report.gaps] == [
        ("backward", 50, 200, 150),
        ("forward", 50, 200, 150),
    ]


def test_windows_hand_example():
    # Candidates every 40 km on a 200 km edge. Core 2030 (60 km): every candidate is needed.
    rows = [site(f"s{k}", u="A", v="B", offset=k) for k in (40, 80, 120, 160)]
    core_net = make_network({"A": 0, "B": 180}, [("A", "B", 200, "core")])
    core = spacing_windows(core_net, site_table(rows), year=2030, tier="core")
    assert core.site_sets == [("s120",), ("s160",), ("s40",), ("s80",)]
    assert core.uncoverable == ()
    # Comprehensive 2030 (100 km) on the same geometry: consecutive pairs.
    comp_net = make_network({"A": 0, "B": 180}, [("A", "B", 200, "comprehensive")])
    comp = spacing_windows(comp_net, site_table(rows), year=2030, tier="comprehensive")
    assert comp.site_sets == [("s120", "s160"), ("s120", "s80"), ("s40", "s80")]
    assert "needs an open pool within 100 km" in comp.windows[0].describe()


def test_windows_report_uncoverable_checkpoints(straight):
    net, sites = straight
    result = spacing_windows(net, sites, year=2030, tier="core")
    assert result.site_sets == [("s150",), ("s50",)]
    # 100 km between the two candidates: both directions, both sides of the gap.
    assert len(result.uncoverable) == 4
    assert all(w.sites == () for w in result.uncoverable)
    assert {round(w.at_km) for w in result.uncoverable} == {50, 150}
    assert "travelling B→A" in " ".join(w.describe() for w in result.uncoverable)


def test_oneway_carriageways_do_not_serve_each_other():
    # Two carriageways A→B and B→A (oneway). A pool 10 km before B on A→B does not serve B→A (no U-turns).
    net = make_network(
        {"A": 0, "B": 90}, [("A", "B", 100, "core", "road", "true"), ("B", "A", 100, "core", "road", "true")]
    )
    sites = site_table([site("p", u="A", v="B", offset=90), site("q", u="A", v="B", offset=30)])
    report = measure_spacing(net, sites, {"p": BIG, "q": BIG}, year=2030)
    by_edge = {d.edge_id: d for d in report.directions}
    assert by_edge["A~B"].total_km == 100 and by_edge["A~B"].compliant_km == 100
    assert by_edge["B~A"].compliant_km == 0
    assert report.overall.total_km == 200  # one direction per oneway edge
    assert [(g.edge_id, g.gap_km) for g in report.gaps] == [("B~A", 100)]


def test_ferry_is_a_break_and_carries_no_pool():
    # A–B road 100, B–C ferry 60, C–D road 100; pools mid-road at km 50 and one "on the ferry".
    net = make_network(
        {"A": 0, "B": 90, "C": 140, "D": 230},
        [("A", "B", 100, "core"), ("B", "C", 60, "core", "ferry"), ("C", "D", 100, "core")],
    )
    sites = site_table(
        [
            site("ab", u="A", v="B", offset=50),
            site("ferry", u="B", v="C", offset=30),
            site("cd", u="C", v="D", offset=50),
        ]
    )
    pools = {"ab": BIG, "ferry": BIG, "cd": BIG}
    report = measure_spacing(net, sites, pools, year=2030)
    assert report.overall.total_km == 400  # the ferry has no length here
    assert report.gaps == ()
    assert report.compliant_pools["core"] == ("ab", "cd")
    # Terminals end the chain: with half spacing at ends, the 50 km to each terminal fails.
    half = measure_spacing(net, sites, pools, year=2030, end_fraction=0.5)
    assert half.overall.compliant_km == 0
    windows = spacing_windows(net, sites, year=2030, tier="core")
    assert all("ferry" not in w.sites for w in windows.windows)


def test_merge_checks_the_downstream_side():
    # Branch A (pool 55 km before the merge M) and branch B (pool 5 km before M) join; a pool 55 km after M.
    # A truck from A drives 110 km between pools: the A branch and the trunk lie on that run.
    net = make_network(
        {"A": 0, "B": 10, "M": 60, "C": 120},
        [
            ("A", "M", 55, "core", "road", "true"),
            ("B", "M", 55, "core", "road", "true"),
            ("M", "C", 55, "core", "road", "true"),
        ],
    )
    sites = site_table([site("a", node="A"), site("b", u="B", v="M", offset=50), site("c", node="C")])
    report = measure_spacing(net, sites, {"a": BIG, "b": BIG, "c": BIG}, year=2030)
    by_edge = {g.edge_id: g for g in report.gaps}
    assert set(by_edge) == {"A~M", "M~C"}
    assert by_edge["A~M"].gap_km == pytest.approx(110)
    assert (by_edge["A~M"].from_km, by_edge["A~M"].to_km) == (0, 55)
    windows = spacing_windows(net, sites, year=2030, tier="core")
    assert ("a",) not in windows.site_sets  # A's own stretch is within 60 km of A's pool...
    assert any(w.edge_id == "A~M" and w.side == "downstream" for w in windows.uncoverable)  # ...but not of the next


def test_comprehensive_spur_uses_core_pools():
    # Core A–B (100 km) with a comprehensive spur B–C (70 km). One 1500 kW pool on the core edge, 20 km from B.
    net = make_network({"A": 0, "B": 90, "C": 150}, [("A", "B", 100, "core"), ("B", "C", 70, "comprehensive")])
    sites = site_table([site("p", u="A", v="B", offset=80)])
    report = measure_spacing(net, sites, {"p": PoolSpec(1500, 1)}, year=2030)
    assert report.compliant_pools == {"core": (), "comprehensive": ("p",)}
    assert report.by_tier["comprehensive"].share == 1.0  # spur within 100 km of p in both directions
    assert report.by_tier["core"].share == 0.0
    assert not report.met  # 2030: each tier must be fully covered
    comp_windows = spacing_windows(net, sites, year=2030, tier="comprehensive")
    assert comp_windows.site_sets == [("p",)] and comp_windows.uncoverable == ()  # the ends are 170 km apart


def test_pool_free_ring_has_infinite_gaps_and_json():
    net = make_network(
        {"A": 0, "B": 90, "C": 45}, [("A", "B", 100, "core"), ("B", "C", 100, "core"), ("C", "A", 100, "core")]
    )
    sites = site_table([site("a", node="A")])
    report = measure_spacing(net, sites, {}, year=2030)
    assert report.overall.compliant_km == 0
    assert all(math.isinf(g.gap_km) for g in report.gaps)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["gaps"][0]["gap_km"] is None
    assert data["milestone"]["deadline"] == "2030-12-31"
    assert data["met"] is False
    open_a = measure_spacing(net, sites, {"a": BIG}, year=2030)  # ring of 300 km, one pool
    assert open_a.gaps and all(g.gap_km == pytest.approx(300) for g in open_a.gaps)


def test_gaps_layer_geometry(straight):
    net, sites = straight
    report = measure_spacing(net, sites, {"s50": BIG, "s150": BIG}, year=2030)
    layer = gaps_geodataframe(net, report)
    assert layer.crs.to_epsg() == 4326
    assert {"corridor", "tier", "country", "gap_km"} <= set(layer.columns)
    lon_b = 180 / KM_PER_DEG_LON
    fwd = layer[layer["direction"] == "forward"].geometry.iloc[0]
    bwd = layer[layer["direction"] == "backward"].geometry.iloc[0]
    assert fwd.coords[0][0] == pytest.approx(lon_b * 0.25) and fwd.coords[-1][0] == pytest.approx(lon_b * 0.75)
    assert bwd.coords[0][0] == pytest.approx(lon_b * 0.75)  # drawn in the direction of travel
    empty = gaps_geodataframe(net, measure_spacing(net, sites, {"s50": BIG, "s150": BIG}, year=2027))
    assert len(empty) == 0 and empty.crs.to_epsg() == 4326


def test_bad_input(straight):
    net, sites = straight
    with pytest.raises(ValueError, match="not in the site table"):
        measure_spacing(net, sites, {"nope": BIG}, year=2030)
    with pytest.raises(ValueError, match="tiers"):
        measure_spacing(net, sites, {}, year=2030, tiers=("motorway",))
    with pytest.raises(ValueError, match="end_fraction"):
        measure_spacing(net, sites, {}, year=2030, end_fraction=1.5)
    with pytest.raises(ValueError, match="tiers"):
        spacing_windows(net, sites, year=2030, tier="urban")
    bad = site_table([site("x", u="A", v="Z", offset=1)])
    with pytest.raises(ValueError, match="not in the network"):
        spacing_windows(net, bad, year=2030, tier="core")


def test_chain_matches_closed_form():
    # On a single chain of edges the non-compliant km per direction are the gaps above the spacing.
    rng = np.random.default_rng(7)
    lengths = [70.0, 45.0, 120.0, 30.0, 95.0]
    xs = np.concatenate([[0.0], np.cumsum(lengths)])
    names = [f"N{i}" for i in range(len(xs))]
    net = make_network(
        dict(zip(names, xs * 0.95, strict=True)),
        [(names[i], names[i + 1], lengths[i], "core") for i in range(len(lengths))],
    )
    total = xs[-1]
    for _ in range(20):
        positions = np.sort(rng.uniform(0, total, size=rng.integers(1, 8)))
        rows = []
        for k, p in enumerate(positions):
            e = int(np.searchsorted(xs, p, side="right") - 1)
            e = min(e, len(lengths) - 1)
            rows.append(site(f"p{k}", u=names[e], v=names[e + 1], offset=float(p - xs[e])))
        pools = {r["site_id"]: BIG for r in rows}
        for end_fraction in (1.0, 0.5):
            report = measure_spacing(net, site_table(rows), pools, year=2030, end_fraction=end_fraction)
            stops = [0.0, *positions, total]
            pieces = np.diff(stops)
            allowed = [60 * end_fraction] + [60.0] * (len(pieces) - 2) + [60 * end_fraction]
            expected = sum(p for p, a in zip(pieces, allowed, strict=True) if p > a + 1e-9)
            bad = {d: 0.0 for d in ("forward", "backward")}
            for d in report.directions:
                bad[d.direction] += d.total_km - d.compliant_km
            assert bad["forward"] == pytest.approx(expected)
            assert bad["backward"] == pytest.approx(expected)


# --- windows ⟺ measurement, on random networks ---------------------------------------------------


def random_case(seed: int) -> tuple[Network, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 9))
    lon = rng.uniform(0, 1.6, n)
    lat = rng.uniform(45, 46, n)
    km_per_site = rng.uniform(10, 40)
    nodes = pd.DataFrame(
        {"id": [f"N{i}" for i in range(n)], "name": "x", "lon": lon.astype(str), "lat": lat.astype(str)}
    )
    pairs = {(int(rng.integers(0, i)), i) for i in range(1, n)}  # spanning tree
    for _ in range(int(rng.integers(0, n))):
        a, b = rng.choice(n, size=2, replace=False)
        pairs.add((int(min(a, b)), int(max(a, b))))
    rows = []
    for a, b in sorted(pairs):
        gc = float(great_circle_km(lon[a], lat[a], lon[b], lat[b]))
        km = round(gc * rng.uniform(1.0, 1.4) + 1.0, 3)
        tier = "core" if rng.random() < 0.6 else "comprehensive"
        mode = "ferry" if rng.random() < 0.08 else "road"
        kind = rng.random()
        if kind < 0.15:  # two carriageways
            rows.append((f"N{a}", f"N{b}", km, tier, mode, "true"))
            rows.append((f"N{b}", f"N{a}", km, tier, mode, "true"))
        elif kind < 0.25:
            rows.append((f"N{a}", f"N{b}", km, tier, mode, "true"))
        else:
            rows.append((f"N{a}", f"N{b}", km, tier, mode, "false"))
    edges = pd.DataFrame(rows, columns=["u", "v", "length_km", "tier", "mode", "oneway"]).astype(str)
    net = network_from_frames(nodes, edges, source=f"random {seed}")
    sites = [site(f"n{i}", node=f"N{i}") for i in range(n) if rng.random() < 0.4]
    for e in net.edges.itertuples():
        for k in range(int(rng.poisson(e.length_km / km_per_site))):
            sites.append(site(f"{e.u}-{e.v}-{k}", u=e.u, v=e.v, offset=float(rng.uniform(0, e.length_km))))
    return net, site_table(sites)


def hits_all(windows, open_sites: set[str]) -> bool:
    return all(open_sites.intersection(w) for w in windows.site_sets)


@pytest.mark.parametrize("seed", range(24))
def test_windows_equivalent_to_measurement(seed):
    net, sites = random_case(seed)
    rng = np.random.default_rng(1000 + seed)
    ids = list(sites["site_id"])
    for year in (2027, 2030):
        for end_fraction in (1.0, 0.5):
            for tier in ("core", "comprehensive"):
                w = spacing_windows(net, sites, year=year, tier=tier, end_fraction=end_fraction)

                def no_gaps(open_sites, tier=tier, year=year, end_fraction=end_fraction):
                    pools = dict.fromkeys(open_sites, BIG)
                    report = measure_spacing(net, sites, pools, year=year, tiers=(tier,), end_fraction=end_fraction)
                    return not gaps_of(report, tier)

                # All candidates open: gap-free iff no checkpoint is uncoverable.
                assert no_gaps(set(ids)) == (not w.uncoverable)
                if w.uncoverable:
                    continue
                # A hitting set is gap-free; dropping one of its sites must agree with the windows.
                chosen = {rng.choice(s) for s in w.site_sets}
                assert no_gaps(chosen)
                for sid in sorted(chosen)[:4]:
                    reduced = chosen - {sid}
                    assert no_gaps(reduced) == hits_all(w, reduced)
                for _ in range(4):
                    subset = {s for s in ids if rng.random() < rng.uniform(0.3, 0.9)}
                    assert no_gaps(subset) == hits_all(w, subset)


def test_windows_from_build_candidates(tmp_path: Path):
    net = make_network({"A": 0, "B": 280, "C": 560}, [("A", "B", 300, "core"), ("B", "C", 300, "core")])
    cfg = CandidatesConfig(include_nodes=True, spacing_km=50)
    sites = build_candidates(net, cfg, NetworkConfig(nodes=tmp_path / "n.csv", edges=tmp_path / "e.csv"))
    result = spacing_windows(net, sites, year=2030, tier="core")
    assert result.uncoverable == ()
    every = dict.fromkeys(sites["site_id"], BIG)
    assert measure_spacing(net, sites, every, year=2030).met
    chosen = {s[0] for s in result.site_sets}
    assert not gaps_of(measure_spacing(net, sites, dict.fromkeys(chosen, BIG), year=2030), "core")


# --- speed ----------------------------------------------------------------------------------------


def test_speed_on_a_corridor_sized_network():
    # ~600 edges, ~2,000 sites: measurement well under a second.
    rng = np.random.default_rng(3)
    side = 18
    nodes, edges = [], []
    for i in range(side):
        for j in range(side):
            nodes.append({"id": f"G{i}_{j}", "name": "g", "lon": f"{j * 0.6:.6f}", "lat": f"{44 + i * 0.4:.6f}"})
            if j + 1 < side:
                edges.append(
                    {
                        "u": f"G{i}_{j}",
                        "v": f"G{i}_{j + 1}",
                        "length_km": "55",
                        "tier": "core" if i % 3 == 0 else "comprehensive",
                    }
                )
            if i + 1 < side and rng.random() < 0.9:
                edges.append({"u": f"G{i}_{j}", "v": f"G{i + 1}_{j}", "length_km": "52", "tier": "comprehensive"})
    net = network_from_frames(pd.DataFrame(nodes), pd.DataFrame(edges), source="grid")
    rows = [
        site(f"s{k}", u=e.u, v=e.v, offset=float(off))
        for k, (e, off) in enumerate((e, rng.uniform(0, 50)) for e in net.edges.itertuples() for _ in range(3))
    ]
    sites = site_table(rows)
    assert len(net.edges) > 550 and len(sites) > 1700
    pools = {s: BIG for s in sites["site_id"] if rng.random() < 0.5}
    start = time.perf_counter()
    report = measure_spacing(net, sites, pools, year=2030)
    elapsed = time.perf_counter() - start
    assert report.overall.total_km > 0
    assert elapsed < 1.0, f"measure_spacing took {elapsed:.2f} s"
    start = time.perf_counter()
    spacing_windows(net, sites, year=2030, tier="core")
    spacing_windows(net, sites, year=2030, tier="comprehensive")
    assert time.perf_counter() - start < 3.0
