"""Capacity: stops assigned to hubs, chargers sized by queueing (worked by hand).

Line N0–N1–N2, 100 km legs, 150 km range: a truck N0→N2 must charge once between km 50 and
150. Battery 200 kWh, soc 0.05 → 0.80: a session takes 150 kWh; at 300 kW that is 0.5 h, so a
charger serves μ = 2 trucks/h. With 10 % of the daily sessions in the peak hour and a 10-minute
wait target, one charger (M/M/1: Wq = λ / (μ(μ − λ)) ≤ 1/6 h) takes λ ≤ 0.5 /h, i.e. 5 sessions/day.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.api import solve_scenario
from planner.features.capacity.queueing import expected_wait_h
from planner.scenario import load_scenario
from tests.conftest import base_scenario, line_network, write_scenario


def sized_sections(max_chargers: int = 10) -> dict[str, dict]:
    """The sections of a sized plan on the line: 300 kW MCS points at 100 EUR (no CCS), a site at 1,000 EUR,
    10 % of the sessions in the peak hour and a 10-minute wait target, no AFIR, no maps."""
    return {
        "costs": {"site_fixed_eur": 1000.0},
        "chargers": {
            "mcs": {"capex_eur": 100.0, "min_per_hub": 1, "power_kw": 300.0, "max_per_hub": max_chargers},
            "ccs": {"max_per_hub": 0},
        },
        "capacity": {"enabled": True, "peak_hour_share": 0.1, "max_wait_min": 10.0, "plug_overhead_min": 0.0},
        "afir": {"mode": "off"},
        "output": {"maps": False, "tradeoff_points": 0},
    }


def solve(folder: Path, volume: float, *, max_chargers: int = 10, spacing: float | None = None):
    line_network(folder, 3)
    data = base_scenario(
        folder,
        flows=[f"T,N0,N2,{volume}"],
        candidates={"spacing_km": spacing} if spacing else {},
        objective={"type": "min_cost", "max_hubs": None},
        **sized_sections(max_chargers),
    )
    return solve_scenario(load_scenario(write_scenario(folder / "s.toml", data)))


def relaxed(
    folder: Path,
    flows: list[str],
    *,
    max_chargers: int | None = None,
    spacing: float | None = None,
    mip_gap: float = 0.0,
    threads: int | None = None,
):
    """Plan ``flows`` on the line in ``folder`` with relaxed size levels (the two-stage solve)."""
    mcs = {"capex_eur": 100.0, "min_per_hub": 1, "power_kw": 300.0}
    if max_chargers is not None:
        mcs["max_per_hub"] = max_chargers
    data = base_scenario(
        folder,
        flows=flows,
        candidates={"spacing_km": spacing} if spacing else {},
        objective={"type": "min_cost", "max_hubs": None},
        costs={"site_fixed_eur": 1000.0},
        chargers={"mcs": mcs, "ccs": {"max_per_hub": 0}},
        capacity={
            "enabled": True,
            "peak_hour_share": 0.1,
            "max_wait_min": 10.0,
            "plug_overhead_min": 0.0,
            "size_levels": "relaxed",
        },
        afir={"mode": "off"},
        output={"maps": False, "tradeoff_points": 0},
        solver={"mip_gap": mip_gap} | ({"threads": threads} if threads is not None else {}),
    )
    return solve_scenario(load_scenario(write_scenario(folder / "s.toml", data)))


def test_one_charger_takes_five_trucks_a_day(tmp_path: Path) -> None:
    assert expected_wait_h(1, 0.5, 0.5) == pytest.approx(1 / 6)
    plan = solve(tmp_path, 4.99)  # just under 5: the model keeps a 0.01 % margin below capacity
    hub = plan.hubs.set_index("site_id").loc["N1"]
    assert hub["chargers"] == 1 and hub["cost_eur"] == pytest.approx(1100.0)
    assert hub["expected_wait_min"] <= 10.0 + 1e-6


def test_demand_forces_a_second_charger(tmp_path: Path) -> None:
    plan = solve(tmp_path, 8.0)
    hubs = plan.hubs.set_index("site_id")
    assert list(hubs.index) == ["N1"]
    assert hubs.loc["N1", "chargers"] == 2
    assert hubs.loc["N1", "sessions_per_day"] == pytest.approx(8.0)
    assert hubs.loc["N1", "expected_wait_min"] <= 10.0
    assert plan.summary["total_cost_eur"] == pytest.approx(1000.0 + 2 * 100.0)
    assert "hub_queueing" in {c.name for c in plan.verification.checks} and plan.verification.passed


def test_charger_limit_splits_the_flow_over_two_hubs(tmp_path: Path) -> None:
    # One charger per hub at most (5 trucks/day each): 8 trucks/day need two hubs in the window
    # km 50–150 (candidates every 50 km), the flow's trucks split between them.
    plan = solve(tmp_path, 8.0, max_chargers=1, spacing=50.0)
    assert len(plan.hubs) == 2
    assert plan.hubs["sessions_per_day"].sum() == pytest.approx(8.0)
    assert (plan.hubs["sessions_per_day"] <= 5.0 + 1e-6).all()
    flow = plan.flows.iloc[0]
    assert flow["served"] and sum(flow["stops_share"]) == pytest.approx(1.0)
    assert plan.verification.passed


def test_capacity_too_small_is_infeasible(tmp_path: Path) -> None:
    from planner.errors import InfeasibleError

    with pytest.raises(InfeasibleError, match="chargers.mcs.max_per_hub"):
        solve(tmp_path, 30.0, max_chargers=1, spacing=50.0)  # 3 sites × 5/day < 30


def test_energy_and_economics_are_measured(tmp_path: Path) -> None:
    # The truck reaches N1 (100 km) with 0.80 − 100/200 = 0.30 and charges back to 0.80: 100 kWh.
    plan = solve(tmp_path, 8.0)
    hub = plan.hubs.set_index("site_id").loc["N1"]
    assert hub["energy_mwh_per_year"] == pytest.approx(8 * 100 * 365 / 1000)
    assert hub["margin_eur_per_year"] == pytest.approx(8 * 100 * 365 * 0.10)
    assert hub["opex_eur_per_year"] == pytest.approx(0.03 * hub["capex_eur"])
    from planner.features.economics.money import capital_recovery_factor

    assert capital_recovery_factor(0.06, 12) == pytest.approx(0.119277, abs=1e-6)
    assert plan.summary["economics"]["energy_gwh_per_year"] == pytest.approx(0.292)


def test_relaxed_size_levels_round_up_and_report_an_honest_gap(tmp_path: Path) -> None:
    line_network(tmp_path, 3)
    plan = relaxed(tmp_path, ["T,N0,N2,8"])
    hub = plan.hubs.set_index("site_id").loc["N1"]
    assert hub["chargers"] == 2 and hub["expected_wait_min"] <= 10.0  # rounded up to a whole level
    s = plan.summary
    assert s["objective_value"] == pytest.approx(1200.0)
    # The relaxation alone leaves a gap (its bound prices N1's 8 sessions between 1 and 2 points);
    # stage 3 (the exact model on every site) proves the rounded plan optimal.
    assert s["two_stage"]["stage1_relaxation"]["objective"] < 1200.0 - 1.0
    assert s["two_stage"]["stage3_every_site"]["status"] == "optimal"
    assert s["status"] == "optimal" and s["best_bound"] == pytest.approx(1200.0) and s["mip_gap"] == pytest.approx(0.0)
    assert plan.verification.passed


def test_hull_keeps_only_the_levels_a_relaxation_uses() -> None:
    from planner.features.capacity.model import TypeLevels, site_levels

    # Pooling: 1, 2, 3 points take 5, 20, 37.2 sessions/day (increments grow), so cost per
    # capacity is concave and the chord from the first to the last level lies below the middle.
    levels = TypeLevels("mcs", (1, 2, 3), (5.0, 20.0, 37.2), 100.0, 300.0)
    assert site_levels(levels, None, hull=True) == [0, 2]
    assert site_levels(levels, None, hull=False) == [0, 1, 2]
    # At most 10 sessions reach the site: no level above the 20-session one (the smallest taking 10).
    assert site_levels(levels, 10.0, hull=False) == [0, 1]
    with_zero = TypeLevels("mcs", (0, 1, 2, 3), (0.0, 5.0, 20.0, 37.2), 100.0, 300.0)
    assert site_levels(with_zero, None, hull=True) == [0, 3]
    # A level with no more capacity than a cheaper one is dropped too.
    flat = TypeLevels("mcs", (1, 2), (5.0, 5.0), 100.0, 300.0)
    assert site_levels(flat, None, hull=True) == [0]


def test_two_stage_reports_both_stages_and_a_valid_bound(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    exact = solve(tmp_path / "a", 30.0, max_chargers=3, spacing=50.0)
    line_network(tmp_path / "b", 3)
    two = relaxed(tmp_path / "b", ["T,N0,N2,30"], max_chargers=3, spacing=50.0)
    s = two.summary
    assert s["two_stage"]["stage1_relaxation"]["status"] == "optimal"
    # The LP bound is below the exact optimum; the bound reported (stage 3's) is not above it either.
    assert s["two_stage"]["stage1_relaxation"]["objective"] < exact.summary["objective_value"]
    assert s["best_bound"] <= exact.summary["objective_value"] + 1e-6
    assert s["total_cost_eur"] == pytest.approx(exact.summary["total_cost_eur"])  # and the plan is the exact optimum
    assert s["mip_gap"] == pytest.approx((s["objective_value"] - s["best_bound"]) / s["objective_value"])
    assert two.verification.passed


def test_a_site_keeps_only_the_levels_the_trucks_passing_it_can_need() -> None:
    from planner.features.capacity.model import TypeLevels, site_levels

    levels = TypeLevels("mcs", (1, 2, 3), (5.0, 20.0, 37.2), 100.0, 300.0)
    assert site_levels(levels, None, hull=False) == [0, 1, 2]
    assert site_levels(levels, None, hull=True) == [0, 2]  # the hull of every level
    # At most 8 sessions a day can reach the site: 2 points take them all, 3 are never needed,
    # and a relaxation has to price those 8 sessions on the hull of 1 and 2 points.
    assert site_levels(levels, 8.0, hull=False) == [0, 1]
    assert site_levels(levels, 8.0, hull=True) == [0, 1]
    assert site_levels(levels, 0.0, hull=True) == [0]  # no truck can reach it: the smallest pool
    assert site_levels(levels, 19.9, hull=False) == [0, 1]
    assert site_levels(levels, 20.0, hull=False) == [0, 1, 2]  # a level's capacity exactly: margin for tolerances
    assert site_levels(levels, 99.0, hull=False) == [0, 1, 2]  # more than the largest: all


def _lp_price(caps: list[float], servers: list[int], need: float) -> float:
    """Fewest points (fractional) a relaxation pays to take ``need`` sessions with levels ``caps``:
    a convex combination of two levels (brute force over every pair)."""
    best = float("inf")
    for i, (ci, si) in enumerate(zip(caps, servers, strict=True)):
        for cj, sj in list(zip(caps, servers, strict=True))[i:]:
            if ci <= need <= cj:
                best = min(best, si if cj == ci else si + (sj - si) * (need - ci) / (cj - ci))
    return best


def test_the_relaxation_prices_a_site_at_the_levels_its_trucks_can_fill(tmp_path: Path) -> None:
    # Line N0..N4, 100 km legs, 150 km range, nodes the only candidates: T1 (8 trucks/day, N0→N2)
    # can only charge at N1, T2 (100 trucks/day, N2→N4) only at N3. The relaxation opens both fully
    # and prices each hub's sessions on the levels its own trucks can fill: N1 on 1 and 2 points
    # (2 take 20 a day), N3 on the levels up to the first taking 100. Pricing N1 on the larger
    # levels' better pooling (as if N3's trucks could reach it) would give a lower, weaker bound.
    from planner.features.capacity.queueing import size_levels

    line_network(tmp_path, 5)
    plan = relaxed(tmp_path, ["T1,N0,N2,8", "T2,N2,N4,100"], max_chargers=10)
    levels = size_levels(108.0 * 1.01, 0.5, 0.1, 1 / 6, max_servers=10)
    caps = [lv.max_sessions_per_day * (1 - 1e-4) for lv in levels]
    servers = [lv.servers for lv in levels]
    assert servers[:2] == [1, 2] and caps[1] > 8.0 and caps[-1] > 100.0
    top = next(i for i, c in enumerate(caps) if c >= 100.0)
    n1 = _lp_price(caps[:2], servers[:2], 8.0)
    n3 = _lp_price(caps[: top + 1], servers[: top + 1], 100.0)
    assert _lp_price(caps, servers, 8.0) < n1 - 1e-3  # every level would price N1 lower
    expected = 2 * 1000.0 + 100.0 * (n1 + n3) + 1e-6 * 100.0 * 108.0  # + the tie-break per session
    s = plan.summary
    assert s["two_stage"]["stage1_relaxation"]["objective"] == pytest.approx(expected, rel=1e-7)
    assert expected < s["best_bound"] <= s["objective_value"] and plan.verification.passed  # stage 3 raised it


def _narrow_support(monkeypatch: pytest.MonkeyPatch, cores: int | None = None) -> object:
    """Make stage 2 see every site but site 3 (the hub T1 and T2 can share on the 4-node line of
    :func:`_shared_hub`), and the staged solve see ``cores`` cores (if given); returns its module."""
    import planner.features.capacity.two_stage as two_stage

    start_from = two_stage._start_from
    monkeypatch.setattr(
        two_stage, "_start_from", lambda m2, m1, exact, x1, vol: start_from(m2, m1, exact, {k: k != 3 for k in x1}, vol)
    )
    if cores is not None:
        monkeypatch.setattr(two_stage, "_cores", lambda: cores)
    return two_stage


def _shared_hub(folder: Path, mip_gap: float = 0.01, threads: int | None = None):
    """Line N0..N3, candidates every 50 km, T1 (N0→N2) and T2 (N1→N3), 8 trucks a day each: one hub at
    km 150 (site 3) can take both (1200 EUR), two hubs elsewhere cost 2400 EUR."""
    line_network(folder, 4)
    flows = ["T1,N0,N2,8", "T2,N1,N3,8"]
    return relaxed(folder, flows, max_chargers=3, spacing=50.0, mip_gap=mip_gap, threads=threads)


def _options_spy(monkeypatch: pytest.MonkeyPatch, two_stage: object) -> list:
    """The HiGHS options of each ``solve_problem`` call of the staged solve, in order (stage 2's calls go
    through ``solve_lexicographic`` and are not listed)."""
    options = []
    solve_problem = two_stage.solve_problem

    def spy(problem, config, **kwargs):
        options.append(kwargs.get("highs_options"))
        return solve_problem(problem, config, **kwargs)

    monkeypatch.setattr(two_stage, "solve_problem", spy)
    return options


def test_stage3_finds_the_plan_a_narrow_support_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Line N0..N3, candidates every 50 km: T1 (N0→N2) and T2 (N1→N3) can share one hub at km 150
    # (site 3; 16 sessions, 2 points: 1200 EUR). Stage 2 is made to see every site but that one, so
    # its best plan is two hubs (2400 EUR); stage 3, on every site from that plan, finds the shared
    # hub and proves it optimal, and the plan decoded is stage 3's. Stage 3 finds it without HiGHS's
    # primal heuristics (off in stage 3, which is there for the bound).
    two_stage = _narrow_support(monkeypatch)
    options = _options_spy(monkeypatch, two_stage)
    plan = _shared_hub(tmp_path, mip_gap=0.0)
    # stage 1 (dual simplex with parallel iterations), stage 3 (stage 2 is lexicographic)
    assert options == [two_stage.STAGE1_HIGHS_OPTIONS, two_stage.STAGE3_HIGHS_OPTIONS]
    s = plan.summary
    assert s["two_stage"]["stage2_exact_levels"]["objective"] == pytest.approx(2400.0, abs=0.01)  # + tie-break
    assert s["two_stage"]["stage3_every_site"]["objective"] == pytest.approx(1200.0, abs=0.01)
    assert "a cheaper plan" in s["solver_message"]
    assert s["status"] == "optimal" and s["total_cost_eur"] == pytest.approx(1200.0)
    assert list(plan.hubs["sessions_per_day"]) == pytest.approx([16.0]) and list(plan.hubs["chargers"]) == [2]
    assert plan.verification.passed


def test_stage3_beside_stage2_finds_the_plan_a_narrow_support_misses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As above, with a 1 % gap and two cores: stage 3 runs in a process of its own from before stage 1,
    # with no start, on the capex alone; stage 1 runs on the serial simplex. Its own plan, the shared
    # hub, is cheaper than stage 2's and is decoded; its bound (a multiple of the 100-EUR lattice, at
    # most the capex) proves it.
    two_stage = _narrow_support(monkeypatch, cores=2)
    options = _options_spy(monkeypatch, two_stage)
    plan = _shared_hub(tmp_path)
    assert options == [two_stage.STAGE1_BESIDE_HIGHS_OPTIONS]  # stage 1 only: stage 2 is lexicographic
    s = plan.summary
    stage3 = s["two_stage"]["stage3_every_site"]
    assert "in a process of its own" in stage3["message"] and "no start" in stage3["message"]
    assert s["two_stage"]["stage2_exact_levels"]["objective"] == pytest.approx(2400.0, abs=0.01)
    assert 1200.0 < stage3["objective"] < 1200.01  # its plan valued with the charge
    assert stage3["best_bound"] % 100.0 == 0.0 and stage3["best_bound"] <= 1200.0
    assert s["status"] == "optimal" and "a cheaper plan" in s["solver_message"]
    assert s["total_cost_eur"] == pytest.approx(1200.0) and list(plan.hubs["chargers"]) == [2]
    assert s["solve_seconds"] >= stage3["seconds"]  # stages side by side: the wall time, not a sum
    assert s["two_stage"]["stage3_process_peak_mb"] > 0  # the second process's own memory, reported
    assert plan.verification.passed


def test_stage3_beside_stage2_that_ends_without_an_answer_runs_after_stage2_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stage-3 process that ends without an answer (made so here) is reported, and stage 3 runs after
    # stage 2 instead, from its plan, with the time left: it finds the shared hub and proves it.
    from planner.features.capacity.bound_process import BoundProcess

    _narrow_support(monkeypatch, cores=2)
    monkeypatch.setattr(BoundProcess, "result", lambda self: None)
    plan = _shared_hub(tmp_path)
    s = plan.summary
    stage3 = s["two_stage"]["stage3_every_site"]
    assert "ended without an answer, so after stage 2: started from stage 2's plan" in stage3["message"]
    assert s["status"] == "optimal" and s["total_cost_eur"] == pytest.approx(1200.0) and plan.verification.passed


def test_stage3_beside_stage2_without_an_answer_nor_time_leaves_stage1s_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without an answer and with no time left for stage 3 after stage 2, the error is reported: the plan is
    # stage 2's, against stage 1's bound, and the run says so rather than claiming a proof.
    from planner.features.capacity.bound_process import BoundProcess

    two_stage = _narrow_support(monkeypatch, cores=2)
    monkeypatch.setattr(two_stage, "_STAGE3_MIN_S", 1e9)
    monkeypatch.setattr(BoundProcess, "result", lambda self: None)
    plan = _shared_hub(tmp_path)
    s = plan.summary
    assert s["two_stage"]["stage3_every_site"]["status"] == "error"
    assert "ended without an answer" in s["solver_message"]
    assert s["best_bound"] == pytest.approx(s["two_stage"]["stage1_relaxation"]["objective"])
    assert s["status"] == "feasible" and s["total_cost_eur"] == pytest.approx(2400.0) and plan.verification.passed


def test_stage3_runs_after_stage2_on_one_core(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One core: no process beside (it would halve stage 2's), stage 3 after stage 2 from its plan (as with a
    # zero gap, test_stage3_finds_the_plan_a_narrow_support_misses).
    _narrow_support(monkeypatch, cores=1)
    plan = _shared_hub(tmp_path)
    stage3 = plan.summary["two_stage"]["stage3_every_site"]
    assert "started from stage 2's plan" in stage3["message"] and "process of its own" not in stage3["message"]
    assert plan.summary["two_stage"]["stage3_process_peak_mb"] is None
    assert plan.summary["status"] == "optimal" and plan.summary["total_cost_eur"] == pytest.approx(1200.0)


def test_stage3_runs_after_stage2_with_one_solver_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two cores, but solver.threads = 1: the user asked for one busy thread, so no second process either;
    # stage 3 runs after stage 2 from its plan and still finds and proves the shared hub.
    _narrow_support(monkeypatch, cores=2)
    plan = _shared_hub(tmp_path, threads=1)
    stage3 = plan.summary["two_stage"]["stage3_every_site"]
    assert "started from stage 2's plan" in stage3["message"] and "process of its own" not in stage3["message"]
    assert plan.summary["two_stage"]["stage3_process_peak_mb"] is None
    assert plan.summary["status"] == "optimal" and plan.summary["total_cost_eur"] == pytest.approx(1200.0)


def _cover_model(n_sites: int = 40, n_windows: int = 160, seed: int = 7):
    """A set cover as :class:`~planner.features.capacity.bound_process.BoundModel` arrays: each window of
    3-5 random sites must hold an open one; sites cost whole hundreds of EUR; and its optimum (HiGHS)."""
    import highspy

    from planner.features.capacity.bound_process import bound_model

    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 10, n_sites).astype(float) * 100.0
    rows = [np.sort(rng.choice(n_sites, rng.integers(3, 6), replace=False)) for _ in range(n_windows)]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_sites, n_windows
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, np.zeros(n_sites), np.ones(n_sites)
    lp.row_lower_, lp.row_upper_ = np.ones(n_windows), np.full(n_windows, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int32)
    lp.a_matrix_.index_ = np.concatenate(rows).astype(np.int32)
    lp.a_matrix_.value_ = np.ones(sum(len(r) for r in rows))
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_sites
    h = highspy.Highs()
    h.silent()
    h.passModel(lp)
    model = bound_model(h)  # column-wise, as HiGHS holds it
    h.run()
    return model, h.getInfo().objective_function_value


def test_bound_process_stops_at_the_bound_it_needs_and_rounds_it_to_the_lattice() -> None:
    from planner.features.capacity.bound_process import BoundProcess

    model, optimum = _cover_model()
    assert model.n_rows == 160 and model.n_cols == 40 and len(model.integer) == 40
    lines: list[str] = []
    # Presolve off, so that HiGHS reaches its search (and the interrupt callback) on so small a model.
    process = BoundProcess(model, {"presolve": "off"}, 60.0, progress=lines.append, every_s=0.0)
    try:
        process.need(100.0)  # any plan costs at least one site: the root bound reaches it at once
        out = process.result()
    finally:
        process.close()
    assert out is not None and out.reached and out.status == "Interrupted by user" and not out.optimal
    assert 100.0 <= out.bound <= optimum and out.bound % 100.0 == 0.0  # rounded up to whole hundreds
    assert out.seconds < 60.0 and out.peak_mb > 0 and "HiGHS" in out.log
    assert process._process.returncode == 0


def test_bound_process_without_a_need_proves_the_optimum_and_sends_its_plan() -> None:
    from planner.features.capacity.bound_process import BoundProcess

    model, optimum = _cover_model()
    process = BoundProcess(model, {}, 60.0)
    try:
        out = process.result()
    finally:
        process.close()
    assert out is not None and out.optimal and not out.reached
    assert out.value == pytest.approx(optimum) and out.bound == pytest.approx(optimum)
    x = out.solution
    assert x is not None and float(model.cost @ x) == pytest.approx(optimum)
    rows = np.repeat(np.arange(model.n_cols), np.diff(model.start))  # column of each entry
    covered = np.zeros(model.n_rows)
    np.add.at(covered, model.index, x[rows])
    assert (covered >= 1 - 1e-6).all()  # the plan covers every window


def test_bound_process_halted_stops_and_a_closed_one_is_gone() -> None:
    from planner.features.capacity.bound_process import BoundProcess

    model, optimum = _cover_model()
    process = BoundProcess(model, {"presolve": "off"}, 60.0)
    process.halt()  # before it starts: it stops at its first chance, holding whatever bound it has
    out = process.result()
    process.close()
    assert out is not None and not out.reached and out.status in ("Interrupted by user", "Optimal")
    assert out.bound is None or out.bound <= optimum + 1e-6
    assert process._process.poll() is not None  # the child has ended
    process = BoundProcess(model, {}, 60.0)
    process.close()  # closed without waiting for it: stopped, not left running
    assert process._process.poll() is not None
    from planner.features.capacity.bound_process import _package_root

    assert (Path(_package_root()) / "planner" / "__init__.py").is_file()  # on the child's PYTHONPATH


def test_stage3_keeps_stage2s_plan_unless_it_finds_a_cheaper_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stage 3 is made to return a dearer plan (every site open): the plan decoded must still be
    # stage 2's (values restored), and the sites stage 2 could not use open to the model again (but
    # for the dominated ones stage 2's plan does not use).
    import pulp

    import planner.features.capacity.two_stage as two_stage
    from planner.solve import SolveResult, solve_problem

    seen = {}

    def tie(problem, config, *, warm_start=False, log=None, highs_options=None):
        if not warm_start:  # stage 1, the linear relaxation
            return solve_problem(problem, config, log=log)
        seen["closed"] = [v.name for v in problem.variables() if v.name.startswith("open_") and v.upBound == 0]
        objective = pulp.value(problem.objective)  # stage 2's plan's capex (stage 3 prices capex alone)
        for v in problem.variables():  # a dearer plan: every site open
            if v.name.startswith("open_"):
                v.varValue = 1.0
        return SolveResult(
            "feasible", "highs", pulp.value(problem.objective), objective - 1.0, None, 0.1, True, "dearer"
        )

    monkeypatch.setattr(two_stage, "solve_problem", tie)
    line_network(tmp_path, 3)
    plan = relaxed(tmp_path, ["T,N0,N2,30"], max_chargers=3, spacing=50.0)
    s = plan.summary
    # Stage 3 sees every site but one: the truck charges at km 50, 100 (N1) or 150, sites 1, 2 and 3, all
    # in its only window, so 2 and 3 are dominated by 1; stage 2's plan uses 2, which stays open.
    assert seen["closed"] == ["open_3"]
    assert "no cheaper plan" in s["solver_message"]
    assert s["total_cost_eur"] == pytest.approx(1300.0) and list(plan.hubs["chargers"]) == [3]
    assert s["best_bound"] == pytest.approx(s["objective_value"] - 1.0)  # stage 3's bound, above stage 1's
    assert s["status"] == "feasible" and plan.verification.passed


def test_combine_stages_takes_the_cheaper_plan_and_the_higher_valid_bound() -> None:
    from planner.features.capacity.two_stage import combine_stages
    from planner.solve import SolveResult

    def result(status: str, objective: float | None, bound: float | None, limit: bool = False) -> SolveResult:
        return SolveResult(status, "highs", objective, bound, None, 1.0, limit, status)

    lp = result("optimal", 90.0, 90.0)
    support = result("optimal", 100.0, 99.0)  # stage 2's bound holds only on the support: never reported
    r = combine_stages(lp, support, None, 0.01)
    assert (r.status, r.objective, r.best_bound, r.mip_gap) == ("feasible", 100.0, 90.0, pytest.approx(0.10))
    r = combine_stages(lp, support, result("feasible", 100.0, 96.0, limit=True), 0.01)  # a tie, a higher bound
    assert (r.objective, r.best_bound, r.mip_gap, r.time_limit_hit) == (100.0, 96.0, pytest.approx(0.04), True)
    assert "no cheaper plan" in r.message and r.seconds == pytest.approx(3.0)
    r = combine_stages(lp, support, result("optimal", 97.0, 96.5), 0.01)  # a cheaper plan, proven
    assert (r.status, r.objective, r.best_bound) == ("optimal", 97.0, 96.5) and "a cheaper plan" in r.message
    r = combine_stages(lp, support, result("feasible", 98.0, 85.0), 0.01)  # stage 1's bound is higher
    assert (r.objective, r.best_bound) == (98.0, 90.0)
    r = combine_stages(lp, support, result("optimal", 100.0, 100.0 + 1e-7), 0.01)  # capped at the plan's cost
    assert r.best_bound == 100.0 and r.mip_gap == 0.0 and r.status == "optimal"
    r = combine_stages(lp, support, result("error", None, None), 0.01)  # a stage 3 without a plan is ignored
    assert (r.objective, r.best_bound) == (100.0, 90.0)
    r = combine_stages(result("time_limit", None, None), support, None, 0.01)  # an unfinished LP proves nothing
    assert (r.status, r.best_bound, r.mip_gap) == ("feasible", None, None)


def test_stage3_prices_capex_alone_so_its_bound_rounds_to_the_price_lattice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stage 3 minimises the capex without the tie-breaking charge: every priced column is an integer
    # one with a whole price (a lattice, which rounds HiGHS's bound up), its gap target is tightened
    # so that the bound proves the gap for the plan's capex plus charge, and the model gets its whole
    # objective back afterwards. (Stage 3 is forced here by a stage 2 that sees one site less.)
    import pulp

    import planner.features.capacity.two_stage as two_stage
    from planner.lattice import Lattice

    _narrow_support(monkeypatch)
    monkeypatch.setattr(two_stage, "STAGE3_BESIDE_STAGE2", False)  # stage 3 after stage 2, in this process
    seen = {}
    solve_problem = two_stage.solve_problem

    def spy(problem, config, **kwargs):
        if kwargs.get("warm_start"):
            priced = [(v, c) for v, c in problem.objective.items() if c]
            seen["integer"] = all(v.cat == pulp.LpInteger for v, _ in priced)
            seen["lattice"] = Lattice.of(
                np.array([c for _, c in priced]), np.arange(len(priced)), problem.objective.constant, False
            )
            seen["gap"] = config.mip_gap
            seen["problem"] = problem
        return solve_problem(problem, config, **kwargs)

    monkeypatch.setattr(two_stage, "solve_problem", spy)
    plan = _shared_hub(tmp_path)
    assert seen["integer"] and seen["lattice"] is not None and seen["lattice"].unit == 100.0  # points 100, sites 1000
    assert 0.0 < seen["gap"] < 0.01  # the scenario's 1 %, less the charge's share of stage 2's plan
    assert any(v.name.startswith("assign_") for v, c in seen["problem"].objective.items() if c)  # the charge is back
    s = plan.summary
    assert s["status"] == "optimal" and s["best_bound"] <= 1200.0  # a bound on capex alone bounds capex plus charge
    assert "its bound is on the capex alone" in s["solver_message"]
    # stage 3's plan (the shared hub) valued with its charge: above its capex
    assert 1200.0 < s["two_stage"]["stage3_every_site"]["objective"] < 1200.01
    assert s["best_bound"] <= s["objective_value"] and plan.verification.passed


def test_stage2_without_a_plan_of_its_own_falls_back_to_the_relaxation_rounded_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # HiGHS gets no start in stage 2 (STAGE2_WARM_START); a stage 2 stopped before any plan (made so
    # here) reports the relaxation rounded up instead: every support site open at the smallest level
    # taking its sessions. Line N0..N2, the only window {km 50, 100 (N1), 150}: 30 trucks a day need
    # 3 points; the rounded-up plan is the relaxation's support, verified like any plan.
    import planner.features.capacity.two_stage as two_stage
    from planner.solve import LexResult, SolveResult

    starts = []

    def stopped(problem, first, second, config, *, warm_start=False, log=None, **kwargs):
        starts.append(warm_start)
        r = SolveResult("no_solution", "highs", None, None, None, 0.1, True, "Time limit reached")
        return LexResult(r, None, r, first.name, None)

    monkeypatch.setattr(two_stage, "solve_lexicographic", stopped)
    line_network(tmp_path, 3)
    plan = relaxed(tmp_path, ["T,N0,N2,30"], max_chargers=3, spacing=50.0)
    assert starts == [two_stage.STAGE2_WARM_START] == [False]
    stage2 = plan.summary["two_stage"]["stage2_exact_levels"]
    assert stage2["status"] == "feasible" and "the relaxation rounded up" in stage2["message"]
    assert stage2["objective"] == pytest.approx(1300.0, abs=0.01)  # one site, 3 points (+ tie-break)
    assert plan.summary["total_cost_eur"] == pytest.approx(1300.0) and list(plan.hubs["chargers"]) == [3]
    assert plan.verification.passed


def test_capex_gap_proves_the_whole_objectives_gap() -> None:
    from planner.features.capacity.two_stage import _capex_only, capex_gap

    plan, capex = 964_013_145.29, 964_000_000.0  # europe-2030-capacity's stage-2 plan, with and without its charge
    tight = capex_gap(0.01, plan, capex)
    assert tight < 0.01
    bound = capex * (1.0 - tight)  # the lowest capex bound stage 3 may stop at
    assert (plan - bound) / plan == pytest.approx(0.01, abs=1e-12)  # is exactly 1 % below the whole plan
    assert capex_gap(0.01, capex, capex) == 0.01  # no charge: the same target
    assert capex_gap(0.01, None, capex) == 0.01 and capex_gap(0.01, plan, None) == 0.01
    assert capex_gap(0.01, 2.0, 1.0) == 0.0  # a charge above the gap: nothing short of the plan proves it
    import pulp

    problem = pulp.LpProblem("charge")
    a, b = problem.add_variable("a", 0), problem.add_variable("b")
    assert _capex_only(2.0 * a) and not _capex_only(-2.0 * a) and not _capex_only(2.0 * b)
    assert not _capex_only(0) and not _capex_only(pulp.LpAffineExpression()) and not _capex_only(0 * a)
    assert _capex_only(2.0 * a + 0 * b)  # a column the capex and the objective price alike


def test_highs_knows_every_stage1_and_stage3_option() -> None:
    # HiGHS only warns about an option it does not know, so a misspelt name would silently leave the
    # heuristics on (or stage 1 on the serial simplex): each one must be accepted and read back.
    import highspy

    import planner.features.capacity.two_stage as two_stage

    h = highspy.Highs()
    h.silent()
    for options in (
        two_stage.STAGE1_HIGHS_OPTIONS,
        two_stage.STAGE1_BESIDE_HIGHS_OPTIONS,
        two_stage.STAGE3_HIGHS_OPTIONS,
        two_stage.STAGE3_BESIDE_HIGHS_OPTIONS,
    ):
        for key, value in options.items():
            assert h.setOptionValue(key, value) == highspy.HighsStatus.kOk
            assert h.getOptionValue(key) == (highspy.HighsStatus.kOk, value)


def test_max_coverage_with_sizing_passes_its_cost_stage_check(tmp_path: Path) -> None:
    # The cost stage minimises capex plus the tie-breaking charge per assigned session (10⁻⁶ of a point's
    # 100 EUR): its bound holds for that sum, not for the capex alone. Until 2026-12-06 the verifier compared
    # it with the capex alone and every capacity plan with max coverage failed verification.
    line_network(tmp_path, 3)
    data = base_scenario(
        tmp_path,
        flows=["T,N0,N2,8", "U,N2,N0,4"],
        objective={"type": "max_coverage", "max_hubs": 1},
        **sized_sections(),
    )
    plan = solve_scenario(load_scenario(write_scenario(tmp_path / "s.toml", data)))
    assert plan.summary["verification"]["passed"] is True
    assert plan.summary["covered_share"] == pytest.approx(1.0) and len(plan.hubs) == 1
    check = next(c for c in plan.summary["verification"]["checks"] if c["name"] == "cost_at_coverage_bounded")
    charge = plan.summary["lexicographic"]["charge_priced_eur"]
    assert charge == pytest.approx(1e-4 * 12) and "EUR of tie-breaking charge" in check["detail"]
    assert plan.summary["lexicographic"]["second"]["best_bound"] > plan.summary["total_cost_eur"]


def test_round_trips_are_refused_with_sizing_as_with_hourly(tmp_path: Path) -> None:
    """A round trip passes a site twice; the stop assignment sizes a group's stops at a site as one
    session, while the truck stops there on both legs. Until 2026-12-06 such a run solved and then
    failed verification ("FRA (sessions by type 623.39 ≠ 1051.77 from flows)" on the example corridor);
    it is now refused before anything is built, as [hourly] refuses round trips."""
    from planner.errors import ScenarioError
    from planner.stages import prepare_run

    line_network(tmp_path, 3)
    data = base_scenario(tmp_path, flows=["T,N0,N2,10"], capacity={"enabled": True}, demand={"round_trip": True})
    data["demand"]["flows"] = "flows.csv"
    scenario = load_scenario(write_scenario(tmp_path / "s.toml", data))
    with pytest.raises(ScenarioError) as err:
        prepare_run(scenario)
    assert str(err.value).startswith(f"{tmp_path / 's.toml'}: capacity.enabled sizes hubs for one-way trips")
    assert str(err.value).endswith("set demand.round_trip = false or [capacity] enabled = false.")
