"""AFIR milestones as yearly requirements: 2025 (15 %) and 2027 (50 %) network shares, 2030 full spacing.

Hand-worked networks (core tier, spacing 120 km in 2025/2027 and 60 km in 2030, network ends count
as pools):

* line N0–N4, 4 × 100 km (800 direction-km), candidates every 50 km. A pool at N1 makes the run
  N0–N1 (100 km) compliant in both directions (200 dkm = 25 % ≥ 15 %), so 2025 needs 1 hub; one pool
  certifies at most 2 × 120 dkm = 30 % < 50 %, while N1 + N2 give runs 100, 100, 200 → 400 dkm = 50 %,
  so 2027 needs 2; 2030 needs every candidate from 50 to 350 km: 7.
* T: A–M–C (2 × 100 km), C–B and C–D (100 km each), node candidates. A pool at the junction C makes
  both short branches compliant (C to the ends B, D: 100 km) = 400 of 800 dkm = 50 %; a pool at M
  only A–M (25 %); full 120-km spacing would need M and C.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pulp
import pytest

from planner.api import solve_scenario
from planner.errors import InfeasibleError, ScenarioError
from planner.features.afir import measure_spacing, segment_windows
from planner.features.afir.model import AfirShare, add_share_rows
from planner.features.afir.requirements import new_hub_pool
from planner.features.rollout.report import rollout_afir_check
from planner.scenario import load_scenario
from planner.stages import verify as reverify
from tests.conftest import base_scenario, line_network, write_csv, write_scenario
from tests.test_afir import BIG, make_network, random_case, site, site_table

POOL = {"mcs": {"capex_eur": 0.0, "min_per_hub": 4, "power_kw": 1000.0}}  # 4,000 kW: every milestone
FLOWS = ["D,N1,N2,5"]  # 100 km: needs no hub, so hubs are opened for AFIR only


def solve(folder: Path, flows: list[str] = FLOWS, **sections):
    data = base_scenario(folder, flows=flows, objective={"type": "min_cost", "max_hubs": None}, **sections)
    return solve_scenario(load_scenario(write_scenario(folder / "s.toml", data)))


def line_plan(folder: Path, year: int, **sections):
    line_network(folder, 5)
    sections = {"chargers": POOL, **sections}
    return solve(
        folder, candidates={"spacing_km": 50.0}, afir={"mode": "enforce", "year": year, "tiers": ["core"]}, **sections
    )


def check_names(plan) -> set[str]:
    return {c.name for c in plan.verification.checks}


# --- per-segment windows ----------------------------------------------------------------------------


def test_segment_windows_hand_example():
    # N0–N1–N2–N3, 100 km each, node sites. 2025: spacing 120 km.
    net = make_network(
        {"N0": 0, "N1": 95, "N2": 190, "N3": 285},
        [("N0", "N1", 100, "core"), ("N1", "N2", 100, "core"), ("N2", "N3", 100, "core")],
    )
    sites = site_table([site(n, node=n) for n in ("N0", "N1", "N2", "N3")])
    result = segment_windows(net, sites, year=2025, tier="core")
    got = {(s.edge_id, s.direction): s.windows for s in result.segments}
    assert result.total_km == pytest.approx(600.0) and result.spacing_km == 120.0
    # An end edge needs the pool at its inner node (the end counts as a pool); the middle edge needs
    # both: with N1 alone the run N1 → N3 is 200 km (its d_up check lies in the zone beyond N2).
    assert got[("N0~N1", "forward")] == got[("N0~N1", "backward")] == (("N1",),)
    assert got[("N2~N3", "forward")] == got[("N2~N3", "backward")] == (("N2",),)
    assert got[("N1~N2", "forward")] == got[("N1~N2", "backward")] == (("N1",), ("N2",))
    for open_sites, compliant in (({"N1"}, {"N0~N1"}), ({"N1", "N2"}, {"N0~N1", "N1~N2", "N2~N3"})):
        report = measure_spacing(net, sites, dict.fromkeys(open_sites, BIG), year=2025)
        assert {d.edge_id for d in report.directions if d.compliant_km == d.total_km} == compliant


def test_segment_windows_exact_on_a_chain():
    # On one road "all windows met" ⟺ measure_spacing counts the segment compliant.
    rng = np.random.default_rng(11)
    for _ in range(6):
        lengths = [round(float(x), 3) for x in rng.uniform(20, 130, size=rng.integers(2, 6))]
        xs = np.concatenate([[0.0], np.cumsum(lengths)])
        names = [f"N{i}" for i in range(len(xs))]
        net = make_network(
            dict(zip(names, xs * 0.95, strict=True)),
            [(names[i], names[i + 1], lengths[i], "core") for i in range(len(lengths))],
        )
        rows = [site(n, node=n) for n in names]
        for e, length in enumerate(lengths):
            rows += [
                site(f"e{e}_{k}", u=names[e], v=names[e + 1], offset=float(rng.uniform(0, length)))
                for k in range(int(rng.integers(0, 4)))
            ]
        sites = site_table(rows)
        for year, end_fraction in ((2025, 1.0), (2030, 0.5)):
            segs = segment_windows(net, sites, year=year, tier="core", end_fraction=end_fraction).segments
            for _ in range(6):
                chosen = {s for s in sites["site_id"] if rng.random() < 0.45}
                report = measure_spacing(net, sites, dict.fromkeys(chosen, BIG), year=year, end_fraction=end_fraction)
                ok = {(d.edge_id, d.direction): d.compliant_km >= d.total_km - 1e-9 for d in report.directions}
                for s in segs:
                    certified = s.coverable and all(chosen.intersection(w) for w in s.windows)
                    assert certified == ok[s.edge_id, s.direction]


@pytest.mark.parametrize("seed", range(8))
def test_segment_windows_imply_compliance_on_networks(seed):
    # Junctions, oneways, ferries, both tiers: certified segments are always fully compliant.
    net, sites = random_case(seed)
    rng = np.random.default_rng(2000 + seed)
    ids = list(sites["site_id"])
    for year in (2025, 2030):
        for tier in ("core", "comprehensive"):
            segs = segment_windows(net, sites, year=year, tier=tier, end_fraction=0.5 if seed % 2 else 1.0)
            for _ in range(5):
                chosen = {s for s in ids if rng.random() < rng.uniform(0.2, 0.9)}
                report = measure_spacing(
                    net, sites, dict.fromkeys(chosen, BIG), year=year, tiers=(tier,), end_fraction=segs.end_fraction
                )
                compliant = {(d.edge_id, d.direction): d.compliant_km for d in report.directions}
                assert len(compliant) == len(segs.segments)
                for s in segs.segments:
                    if s.coverable and all(chosen.intersection(w) for w in s.windows):
                        assert compliant[s.edge_id, s.direction] == pytest.approx(s.length_km)


# --- model rows on plain arrays ----------------------------------------------------------------------


def test_share_rows_pick_the_cheapest_certified_length():
    # Segments of 100, 100 and 150 dkm (total 400): segment 0 needs site 0; segment 1 sites 0 and 1;
    # segment 2 site 2. 50 % = 200 dkm: segments 0 + 1 (sites 0, 1) or 0 + 2 (sites 0, 2).
    share = AfirShare(2027, 0.5, (100.0, 100.0, 150.0), ("network",) * 3, (((0,),), ((0,), (1,)), ((2,),)),
                      (True, True, True), {"network": 400.0})  # fmt: skip
    cost = [1.0, 3.0, 2.0]

    def solve_rows(locked: list[bool]) -> set[int]:
        prob = pulp.LpProblem("t", pulp.LpMinimize)
        x = {k: prob.add_variable(f"x{k}", int(locked[k]), 1, cat=pulp.LpBinary) for k in range(3)}
        prob += pulp.lpSum(cost[k] * x[k] for k in range(3) if not locked[k])
        add_share_rows(prob, x, np.array(locked), share)
        prob.solve(pulp.HiGHS(msg=False))
        return {k for k in range(3) if (x[k].value() or 0.0) > 0.5 and not locked[k]}

    assert solve_rows([False, False, False]) == {0, 2}  # cost 3 < 4
    # Site 0 existing: segment 0 is free (100 dkm), 100 more: segment 1 (site 1, 3) or 2 (site 2, 2).
    assert solve_rows([True, False, False]) == {2}


def test_share_rows_give_segments_with_the_same_windows_one_variable():
    # Segments 0 and 1 are an edge's two directions: the same windows, listed in another order. They
    # share one variable worth both lengths in the share row, with its window rows once. Segment 2 has
    # the same windows in another share group and keeps its own; segment 3 its own windows. Core needs
    # 175 of 350 dkm: segment 3 alone (150) is short, segments 0 + 1 (200) need sites 0 and 1 or 2.
    share = AfirShare(2027, 0.5, (100.0, 100.0, 100.0, 150.0), ("core", "core", "comprehensive", "core"),
                      (((0,), (1, 2)), ((2, 1), (0,)), ((0,), (1, 2)), ((3,),)), (True,) * 4,
                      {"core": 350.0, "comprehensive": 100.0})  # fmt: skip
    cost = [1.0, 1.0, 3.0, 1.0]
    prob = pulp.LpProblem("t", pulp.LpMinimize)
    x = {k: prob.add_variable(f"x{k}", 0, 1, cat=pulp.LpBinary) for k in range(4)}
    prob += pulp.lpSum(cost[k] * x[k] for k in range(4))
    c = add_share_rows(prob, x, np.zeros(4, dtype=bool), share)
    assert c[0] is c[1] and c[2] is not c[0] and c[3] is not c[0] and c[3] is not c[2]
    assert sorted(r.name for r in prob.constraints() if r.name.startswith("afir_seg")) == [
        "afir_seg_0_w0",
        "afir_seg_0_w1",
        "afir_seg_2_w0",
        "afir_seg_2_w1",
        "afir_seg_3_w0",
    ]
    core = prob.get_constraint_by_name("afir_share_core")
    assert core.get(c[0], 0.0) == 200.0 and core.get(c[3], 0.0) == 150.0 and -core.constant == 175.0
    prob.solve(pulp.HiGHS(msg=False))
    assert {k for k in range(4) if (x[k].value() or 0.0) > 0.5} == {0, 1}
    assert c[1].value() == pytest.approx(1.0) and c[2].value() == pytest.approx(1.0)


def test_share_start_meets_the_share_and_keeps_only_needed_sites():
    from planner.features.afir.start import share_start

    # The example above: from nothing, segment 0 (100 dkm for cost 1), then segment 2 (150 dkm for 2).
    share = AfirShare(2027, 0.5, (100.0, 100.0, 150.0), ("network",) * 3, (((0,),), ((0,), (1,)), ((2,),)),
                      (True, True, True), {"network": 400.0})  # fmt: skip
    is_open, certified = share_start(share, np.zeros(3, dtype=bool), np.array([1.0, 3.0, 2.0]))
    assert is_open.tolist() == [True, False, True] and certified.tolist() == [True, False, True]
    # Site 1 open already (a plan for the flows): segment 0 alone (site 0) completes 1 as well.
    is_open, certified = share_start(share, np.array([False, True, False]), np.array([1.0, 3.0, 2.0]))
    assert is_open.tolist() == [True, True, False] and certified.tolist() == [True, True, False]


def random_share(rng: np.random.Generator, n_sites: int, n_seg: int, share: float, max_windows: int = 3) -> AfirShare:
    """Segments of random length and tier, each with 1..max_windows windows of 1..3 random sites."""
    windows = tuple(
        tuple(tuple(sorted(rng.choice(n_sites, size=int(rng.integers(1, 4)), replace=False).tolist()))
              for _ in range(int(rng.integers(1, max_windows + 1))))
        for _ in range(n_seg)
    )  # fmt: skip
    lengths = tuple(float(v) for v in rng.integers(10, 100, size=n_seg))
    groups = tuple(rng.choice(["core", "comprehensive"], size=n_seg).tolist())
    totals = {g: sum(x for x, h in zip(lengths, groups, strict=True) if h == g) for g in set(groups)}
    return AfirShare(2025, share, lengths, groups, windows, (True,) * n_seg, totals)


@pytest.mark.parametrize("seed", range(8))
def test_share_start_on_random_segments(seed: int):
    from planner.features.afir.start import share_start

    rng = np.random.default_rng(seed)
    n_sites, n_seg = 12, 15
    share = random_share(rng, n_sites, n_seg, 0.4)
    windows, lengths, groups, totals = share.windows, share.length_km, share.group, share.total_km
    base = rng.random(n_sites) < 0.2
    cost = rng.integers(1, 5, size=n_sites).astype(float)
    is_open, certified = share_start(share, base, cost)

    def done(opened: np.ndarray) -> dict[str, float]:
        out = dict.fromkeys(totals, 0.0)
        for e, ws in enumerate(windows):
            if all(opened[list(w)].any() for w in ws):
                out[groups[e]] += lengths[e]
        return out

    assert (is_open >= base).all()  # the plan for the flows stays
    assert certified.tolist() == [all(is_open[list(w)].any() for w in ws) for ws in windows]
    assert all(done(is_open)[g] >= 0.4 * totals[g] - 1e-9 for g in totals)
    for k in np.flatnonzero(is_open & ~base):  # no added site can be closed again
        trial = is_open.copy()
        trial[k] = False
        assert any(done(trial)[g] < 0.4 * totals[g] - 1e-9 for g in totals)


def test_share_extras_beats_the_greedy_where_segments_share_sites():
    from planner.features.afir.start import share_extras, share_start
    from planner.scenario import SolverConfig

    # 80 of 130 dkm needed. Segment 0 (40 dkm) needs sites 0 and 1, segment 1 (40) sites 1 and 2,
    # segment 2 (50) site 3 (cost 2). Greedy by dkm per euro: segment 2 (25/EUR), then segment 0
    # (20/EUR): sites 0, 1, 3 for 4 EUR, none of which can close again. Exact: segments 0 and 1 share
    # site 1: sites 0, 1, 2 for 3 EUR.
    share = AfirShare(2025, 80.0 / 130.0, (40.0, 40.0, 50.0), ("network",) * 3,
                      (((0,), (1,)), ((1,), (2,)), ((3,),)), (True,) * 3, {"network": 130.0})  # fmt: skip
    cost = np.array([1.0, 1.0, 1.0, 2.0])
    base = np.zeros(4, dtype=bool)
    greedy, _ = share_start(share, base, cost)
    assert greedy.tolist() == [True, True, False, True]
    exact = share_extras(share, base, cost, greedy, SolverConfig(time_limit_s=10))
    assert exact is not None and exact.tolist() == [True, True, True, False]
    # With sites 0-2 open already (the plan for the flows) the share is met and nothing is added.
    assert share_extras(share, exact, cost, exact, SolverConfig(time_limit_s=10)).tolist() == exact.tolist()


@pytest.mark.parametrize("seed", range(6))
def test_share_extras_is_the_cheapest_completion(seed: int):
    # Brute force over every set of sites added to the base: share_extras finds the cheapest one that
    # meets every group's share, and never costs more than the greedy start it is given.
    from itertools import combinations

    from planner.features.afir.shares import Shares
    from planner.features.afir.start import share_extras, share_start
    from planner.scenario import SolverConfig

    rng = np.random.default_rng(100 + seed)
    n_sites = 9
    share = random_share(rng, n_sites, 12, 0.45)
    base = rng.random(n_sites) < 0.2
    cost = rng.integers(1, 6, size=n_sites).astype(float)
    greedy, _ = share_start(share, base, cost)
    exact = share_extras(share, base, cost, greedy, SolverConfig(time_limit_s=10, mip_gap=0.0))
    assert exact is not None and (exact >= base).all()
    assert not Shares(share, set(np.flatnonzero(exact).tolist())).short()
    free = np.flatnonzero(~base).tolist()
    best = min(
        float(cost[list(extra)].sum())
        for r in range(len(free) + 1)
        for extra in combinations(free, r)
        if not Shares(share, set(np.flatnonzero(base).tolist()) | set(extra)).short()
    )
    assert float(cost[exact & ~base].sum()) == pytest.approx(best)
    assert float(cost[exact].sum()) <= float(cost[greedy].sum()) + 1e-9


# --- single-year plans ----------------------------------------------------------------------------------


def test_2025_needs_fewer_hubs_than_2027_and_2030(tmp_path: Path) -> None:
    counts = {}
    for year in (2025, 2027, 2030):
        folder = tmp_path / str(year)
        folder.mkdir()
        plan = line_plan(folder, year)
        counts[year] = plan.summary["new_hub_count"]
        afir = plan.summary["afir"]
        assert afir["met"] and plan.verification.passed
        if year < 2030:
            assert "afir_share" in check_names(plan) and "afir_spacing" not in check_names(plan)
            assert afir["gap_count"] > 0  # gaps elsewhere are allowed
        else:
            assert "afir_spacing" in check_names(plan) and afir["gap_count"] == 0
        counts[f"share {year}"] = afir["share"]
        counts[f"sites {year}"] = set(plan.hubs["site_id"])
    assert (counts[2025], counts[2027], counts[2030]) == (1, 2, 7)
    assert counts["sites 2025"] in ({"N1"}, {"N3"})  # a pool 100 km from an end
    assert counts["share 2025"] == pytest.approx(0.25) and counts["share 2027"] == pytest.approx(0.5)


def test_the_2027_share_gets_every_cover_row_at_once_2025_lazy_rows(tmp_path: Path, monkeypatch) -> None:
    # Measured on europe-2030-afir (planner/features/afir/feature.py, _ALL_ROWS_FROM): the 50 % milestone
    # plans better with every cover row from the start, the 15 % one with rows added lazily. The plans
    # stay those of the test above.
    from planner.features.coverage import feature

    real, lazy = feature.build_model, {}

    def spy(instance, spec, *args, **kwargs):
        model = real(instance, spec, *args, **kwargs)
        lazy[year] = model.problem.lazy_cover.lazy
        return model

    monkeypatch.setattr(feature, "build_model", spy)
    hubs = {}
    for year in (2025, 2027):
        (tmp_path / str(year)).mkdir()
        plan = line_plan(tmp_path / str(year), year)
        hubs[year] = plan.summary["new_hub_count"]
        assert plan.summary["afir"]["met"] and plan.verification.passed
        said = "every cover row at once" in plan.summary["solver_message"]
        assert said is (year == 2027), plan.summary["solver_message"]
    assert lazy == {2025: True, 2027: False} and hubs == {2025: 1, 2027: 2}


def write_t_network(folder: Path) -> None:
    deg_lon, deg_lat = 0.9 / 77.9, 0.9 / 111.0  # roads ~10 % longer than the straight line
    nodes = {"A": (0, 0), "M": (100, 0), "C": (200, 0), "B": (200, 100), "D": (200, -100)}
    rows = [f"{n},{n},{5 + x * deg_lon:.6f},{45.6 + y * deg_lat:.6f}" for n, (x, y) in nodes.items()]
    write_csv(folder / "nodes.csv", "id,name,lon,lat", rows)
    write_csv(folder / "edges.csv", "u,v,length_km", ["A,M,100", "M,C,100", "C,B,100", "C,D,100"])


def test_2027_half_the_network_from_one_junction_hub(tmp_path: Path) -> None:
    write_t_network(tmp_path)
    plan = solve(tmp_path, flows=["F,A,M,5"], afir={"mode": "enforce", "year": 2027, "tiers": ["core"]}, chargers=POOL)
    assert list(plan.hubs["site_id"]) == ["C"]
    assert plan.summary["afir"]["share"] == pytest.approx(0.5) and plan.summary["afir"]["met"]
    table = plan.extras["tables"]["afir.csv"]
    compliant = set(table.loc[table["compliant_km"] == table["total_km"], "edge_id"])
    assert compliant == {"C~B", "C~D"}  # both directions of both short branches
    # Full 120-km spacing would need a second hub (M): the A–C branch is a 200 km run.
    assert plan.summary["afir"]["gap_count"] > 0 and plan.verification.passed


def test_share_out_of_reach_is_infeasible(tmp_path: Path) -> None:
    # One 400 km edge, candidates only at its ends: no segment can be certified at 120 km.
    line_network(tmp_path, 2, step_km=400.0)
    with pytest.raises(InfeasibleError, match="15% of the network length"):
        solve(tmp_path, flows=["D,N0,N1,1"], afir={"mode": "enforce", "year": 2025, "tiers": ["core"]}, chargers=POOL)


def test_an_existing_hub_in_every_one_of_its_afir_windows_keeps_its_column(tmp_path: Path) -> None:
    """A locked (existing) hub costs nothing and its AFIR windows are met already, so its open-variable
    is in no PuLP row nor the objective, only in the cover rows HiGHS is given directly; until
    2026-12-06 that was an internal error (KeyError: 'open_36' on the example corridor with two
    existing hubs and the 2030 spacing enforced)."""
    (tmp_path / "sites.csv").write_text("site_id,name,node,locked\nOLD,Existing hub,N2,true\n")
    line_network(tmp_path, 5)
    afir = {"mode": "enforce", "year": 2030, "tiers": ["core"]}
    plan = solve(tmp_path, candidates={"spacing_km": 50.0, "sites": "sites.csv"}, afir=afir, chargers=POOL)
    assert plan.verification.passed and plan.summary["afir"]["met"]
    assert "OLD" in set(plan.hubs["site_id"]) and plan.summary["existing_hub_count"] == 1
    assert plan.summary["new_hub_count"] == 6  # pools every 50 km from km 50 to km 350, the existing one at km 200


# --- rollouts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["foresight", "myopic"])
def test_rollout_grows_from_15_to_50_to_100_percent(tmp_path: Path, mode: str) -> None:
    plan = line_plan(tmp_path, 2030, rollout={"years": [2025, 2027, 2030], "mode": mode})
    years = plan.summary["years"]
    assert [r["hubs"] for r in years] == [1, 2, 7]  # discounting defers every hub not yet due
    assert [r["afir_milestone"] for r in years] == [2025, 2027, 2030]
    assert [r["afir_share"] for r in years] == pytest.approx([0.25, 0.5, 1.0])
    assert all(r["afir_met"] for r in years)
    checks = {c.name: c for c in plan.verification.checks}
    assert checks["rollout_afir_per_year"].passed and checks["afir_spacing"].passed


@pytest.mark.parametrize("mode", ["foresight", "myopic"])
def test_a_sized_rollout_enforces_the_spacing_too(tmp_path: Path, mode: str) -> None:
    """With [capacity] the rollout model covers flows through stop assignments; until 2026-12-06 its AFIR
    spacing rows were skipped with the cover rows, so such a rollout planned no AFIR hub and its plan then
    failed verification (afir_spacing: 38 gaps on the example corridor)."""
    capacity = {"enabled": True, "size_levels": "integer"}
    plan = line_plan(tmp_path, 2030, rollout={"years": [2025, 2027, 2030], "mode": mode}, capacity=capacity)
    years = plan.summary["years"]
    assert [r["hubs"] for r in years] == [1, 2, 7]  # as without sizing: the flow needs no hub
    assert [r["afir_share"] for r in years] == pytest.approx([0.25, 0.5, 1.0])
    assert all(r["afir_met"] for r in years) and plan.verification.passed
    checks = {c.name: c for c in plan.verification.checks}
    assert checks["rollout_afir_per_year"].passed and checks["afir_spacing"].passed


def test_rollout_weak_pool_for_a_later_milestone_is_a_scenario_error(tmp_path: Path) -> None:
    weak = {"mcs": {"capex_eur": 0.0, "min_per_hub": 2, "power_kw": 1000.0}}  # 2,000 kW: 2025 yes, 2027 no
    plan = line_plan(tmp_path, 2025, chargers=weak)
    assert plan.summary["new_hub_count"] == 1
    with pytest.raises(ScenarioError, match="2027 core pool requirement"):
        line_plan(tmp_path, 2030, chargers=weak, rollout={"years": [2025, 2027]})


def test_rollout_afir_check_reports_the_missed_year() -> None:
    rows = [
        {"year": 2024, "afir_milestone": None, "afir_required_share": None, "afir_share": None, "afir_met": None},
        {"year": 2025, "afir_milestone": 2025, "afir_required_share": 0.15, "afir_share": 0.25, "afir_met": True},
        {"year": 2027, "afir_milestone": 2027, "afir_required_share": 0.5, "afir_share": 0.25, "afir_met": False},
    ]
    check = rollout_afir_check(rows)
    assert not check.passed and "2027" in check.detail and "0.250 < 0.5" in check.detail
    assert rollout_afir_check(rows[:2]).passed


# --- verification ---------------------------------------------------------------------------------------


def test_verifier_fails_a_plan_below_the_share(tmp_path: Path) -> None:
    plan = line_plan(tmp_path, 2025)
    scenario = plan.scenario
    network, sites = plan.context.network, plan.context.sites

    def verify(hubs):
        return reverify(replace(plan, hubs=hubs))

    assert {c.name: c.passed for c in verify(plan.hubs).checks}["afir_share"]
    # Tampered: the hub moved 50 km towards its end (N1 → km 50, N3 → km 350): only the 50 km stretch
    # to that end is compliant, 2 × 50 of 800 dkm = 12.5 % < 15 %.
    moved = plan.hubs.copy()
    moved["site_id"] = ["N0~N1@50.0" if s == "N1" else "N3~N4@50.0" for s in moved["site_id"]]
    failed = {c.name: c for c in verify(moved).failures()}
    assert "afir_share" in failed and "afir_pools" not in failed
    assert "network 0.1250" in failed["afir_share"].detail and "0.15" in failed["afir_share"].detail
    pools = dict.fromkeys(moved["site_id"], new_hub_pool(scenario.chargers))
    assert measure_spacing(network, sites, pools, year=2025).overall.share == pytest.approx(0.125)
