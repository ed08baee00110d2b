"""Staged rollouts on the 5-node line (hubs needed: B N0→N2 at N1; C N2→N4 at N3; A N0→N4 at
N1, N2 and N3; D N1→N2 none). Every hub costs 1,000 EUR."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from planner.api import solve_scenario
from planner.errors import ScenarioError
from planner.scenario import load_scenario
from tests.conftest import base_scenario, write_scenario

FLOWS = ["A,N0,N4,10", "B,N0,N2,7", "C,N2,N4,6", "D,N1,N2,5"]


def solve(folder: Path, rollout: dict, objective: dict, **sections):
    data = base_scenario(
        folder,
        flows=FLOWS,
        objective=objective,
        rollout=rollout,
        costs={"site_fixed_eur": 1000.0, "discount_rate": 0.0},
        chargers={"mcs": {"capex_eur": 0.0, "min_per_hub": 1, "power_kw": 300.0}},
        output={"maps": False, "tradeoff_points": 0},
        **sections,
    )
    return solve_scenario(load_scenario(write_scenario(folder / "s.toml", data)))


def test_budget_makes_the_second_hub_wait_a_year(line5: Path) -> None:
    plan = solve(
        line5,
        {"years": [2026, 2027], "budget_per_year_eur": [1000.0, 1000.0]},
        objective={"type": "max_coverage", "max_hubs": 2},
    )
    opened = dict(zip(plan.hubs["site_id"], plan.hubs["opened_year"], strict=True))
    assert opened == {"N1": 2026, "N3": 2027}  # B (7) before C (6)
    years = {r["year"]: r for r in plan.summary["years"]}
    assert years[2026]["covered_volume"] == pytest.approx(12.0)  # B + D
    assert years[2027]["covered_volume"] == pytest.approx(18.0)  # + C
    assert years[2027]["new_hubs"] == 1 and years[2027]["capex_eur"] == 1000.0
    assert plan.verification.passed
    assert {"rollout_budget_per_year", "rollout_hubs_stay_open"} <= {c.name for c in plan.verification.checks}


def test_bev_share_scales_each_year(line5: Path) -> None:
    plan = solve(
        line5,
        {"years": [2026, 2030], "bev_share": [0.5, 1.0], "budget_per_year_eur": [3000.0, 0.0]},
        objective={"type": "max_coverage", "max_hubs": 3},
    )
    years = plan.summary["years"]
    assert years[0]["total_volume"] == pytest.approx(14.0) and years[1]["total_volume"] == pytest.approx(28.0)
    assert years[1]["covered_share"] == pytest.approx(1.0)


def test_foresight_is_never_worse_than_myopic(line5: Path) -> None:
    rollout = {"years": [2026, 2027, 2028], "budget_per_year_eur": [1000.0, 1000.0, 1000.0]}
    fore = solve(line5, {**rollout, "mode": "foresight"}, objective={"type": "max_coverage", "max_hubs": 3})
    myo = solve(line5, {**rollout, "mode": "myopic"}, objective={"type": "max_coverage", "max_hubs": 3})
    f = fore.summary["rollout"]["discounted_covered_truck_km"]
    m = myo.summary["rollout"]["discounted_covered_truck_km"]
    assert f >= m - 1e-6
    assert fore.verification.passed and myo.verification.passed


def sized_rollout(folder: Path, mode: str, budgets: list[float] | None, **sections):
    # Line N0–N1–N2 (see tests/test_capacity.py): a truck N0→N2 charges at N1; one 300 kW point
    # takes 5 sessions/day at a 10-minute wait, two take 20. 16 trucks/day at 50 % BEV is 8 BEV
    # trucks; the rollout has 25 % in 2026 (4 trucks: one point) and 50 % in 2028 (8: two points).
    from tests.conftest import line_network

    line_network(folder, 3)
    rollout = {"years": [2026, 2028], "bev_share": [0.25, 0.5], "mode": mode}
    if budgets is not None:
        rollout["budget_per_year_eur"] = budgets
    data = base_scenario(
        folder,
        flows=["T,N0,N2,16"],
        objective={"type": "min_cost", "max_hubs": None},
        rollout=rollout,
        costs={"site_fixed_eur": 1000.0, "discount_rate": 0.0},
        chargers={"mcs": {"capex_eur": 100.0, "min_per_hub": 1, "power_kw": 300.0}, "ccs": {"max_per_hub": 0}},
        capacity={"enabled": True, "peak_hour_share": 0.1, "max_wait_min": 10.0, "plug_overhead_min": 0.0},
        demand={"bev_share": 0.5},
        output={"maps": False, "tradeoff_points": 0},
        **sections,
    )
    return solve_scenario(load_scenario(write_scenario(folder / "s.toml", data)))


@pytest.mark.parametrize("mode", ["foresight", "myopic"])
def test_points_are_added_as_demand_grows(tmp_path: Path, mode: str) -> None:
    plan = sized_rollout(tmp_path, mode, None)
    years = plan.summary["years"]
    assert [r["hubs"] for r in years] == [1, 1]
    assert [r["chargers_added"] for r in years] == [1, 1]
    assert [r["capex_eur"] for r in years] == [1100.0, 100.0]
    hub = plan.hubs.set_index("site_id").loc["N1"]
    assert hub["chargers"] == 2 and hub["sessions_per_day"] == pytest.approx(8.0)
    assert hub["expected_wait_min"] <= 10.0 and plan.verification.passed


def test_foresight_buys_points_early_when_the_late_budget_is_gone(tmp_path: Path) -> None:
    # No budget in 2028: the second point must come in 2026 (1,200 EUR). Myopic buys one point
    # in 2026 and then cannot add the second.
    (tmp_path / "f").mkdir()
    (tmp_path / "m").mkdir()
    plan = sized_rollout(tmp_path / "f", "foresight", [1200.0, 0.0])
    assert [r["chargers_added"] for r in plan.summary["years"]] == [2, 0]
    assert [r["capex_eur"] for r in plan.summary["years"]] == [1200.0, 0.0]
    from planner.errors import InfeasibleError

    with pytest.raises(InfeasibleError, match="year 2028"):
        sized_rollout(tmp_path / "m", "myopic", [1200.0, 0.0])


def test_compare_writes_per_year_kpis(line5: Path) -> None:
    from planner.api import run
    from planner.compare import write_comparison

    dirs = []
    for mode in ("foresight", "myopic"):
        data = base_scenario(
            line5,
            flows=FLOWS,
            objective={"type": "max_coverage", "max_hubs": 2},
            rollout={"years": [2026, 2027], "budget_per_year_eur": [1000.0, 1000.0], "mode": mode},
            costs={"site_fixed_eur": 1000.0},
            output={"maps": False, "tradeoff_points": 0},
        )
        data["name"] = mode
        run(write_scenario(line5 / f"{mode}.toml", data), out_dir=line5 / mode)
        dirs.append(line5 / mode)
    files = write_comparison(dirs, line5 / "cmp", html=False)
    import json

    import pandas as pd

    # each run's years.csv is its summary's year table
    years = pd.read_csv(line5 / "foresight" / "years.csv")
    summary_years = json.loads((line5 / "foresight" / "summary.json").read_text())["years"]
    assert years["year"].tolist() == [2026, 2027]
    assert years["covered_share"].tolist() == pytest.approx([y["covered_share"] for y in summary_years], abs=1e-6)
    assert years["chargers_added_by_type_mcs"].tolist() == [y["chargers_added_by_type"]["mcs"] for y in summary_years]

    by_year = pd.read_csv(line5 / "cmp" / "kpis_by_year.csv")
    assert (line5 / "cmp" / "kpis_by_year.csv") in files
    assert list(by_year["run"]) == ["foresight", "foresight", "myopic", "myopic"]
    assert list(by_year["year"]) == [2026, 2027, 2026, 2027]
    assert {"chargers_added_by_type_mcs", "chargers_added_by_type_ccs"} <= set(by_year.columns)
    from planner.compare import compare_runs, format_kpis

    kpis = pd.read_csv(line5 / "cmp" / "kpis.csv")
    assert kpis["kpi_year"].tolist() == [2027, 2027]  # the year the rollouts' KPIs are of
    text = format_kpis(compare_runs(dirs)[0]).splitlines()
    assert text[0].split()[:3] == ["run", "year", "status"] and text[1].split()[:2] == ["foresight", "2027"]
    files_html = write_comparison(dirs, line5 / "cmp-html")
    page = next(f for f in files_html if f.name == "compare.html").read_text(encoding="utf-8")
    assert re.search(r"Rollout: figures of the year</span></td><td[^>]*>2027</td><td[^>]*>2027<", page)
    # one year table: the run's years.csv and its rows in the comparison agree, points and MW cumulative
    mine = by_year[by_year["run"] == "foresight"].reset_index(drop=True)
    assert years["points"].tolist() == mine["points"].tolist() == years["chargers_added"].cumsum().tolist()
    assert years["power_mw"].tolist() == pytest.approx(mine["power_mw"].tolist())
    assert years["power_mw"].tolist() == pytest.approx((years["points"] * 1.0).tolist())  # 1,000 kW MCS points


def test_foresight_beats_myopic_when_the_best_first_hub_is_a_dead_end(tmp_path: Path) -> None:
    """Corridor A0–A1–J–B1–B2 (100 km legs) and a spur J–M–K; hubs may only go to A1, B1, M.
    Range: 150 km from the depot, 200 km after a charge. Flows: J→K needs M (9 trucks/day);
    A0→J needs A1 (4); J→B2 needs B1 (4); A0→B2 needs A1 and B1 (10). One new hub per year,
    BEV share 0.5 then 1.0, no discounting.
    Myopic: 2026 takes M (9 × 0.5 = 4.5), 2027 adds A1 or B1 (13) → 17.5.
    Foresight: 2026 A1 (4 × 0.5 = 2), 2027 A1 + B1 (18) → 20.
    """
    import math

    from tests.conftest import write_csv

    kx = 1 / (111.32 * math.cos(math.radians(45.0))) / 1.1  # degrees per road km eastwards (roads 10 % longer)
    ky = 1 / 111.32 / 1.1
    nodes = [
        f"{n},{n},{5 + x * kx:.6f},{45 - y * ky:.6f}"
        for n, x, y in [
            ("A0", 0, 0),
            ("A1", 100, 0),
            ("J", 200, 0),
            ("B1", 300, 0),
            ("B2", 400, 0),
            ("M", 200, 100),
            ("K", 200, 200),
        ]
    ]
    write_csv(tmp_path / "nodes.csv", "id,name,lon,lat", nodes)
    write_csv(
        tmp_path / "edges.csv",
        "u,v,length_km",
        ["A0,A1,100", "A1,J,100", "J,B1,100", "B1,B2,100", "J,M,100", "M,K,100"],
    )
    write_csv(tmp_path / "sites.csv", "site_id,node", ["hub-A1,A1", "hub-B1,B1", "hub-M,M"])
    write_csv(
        tmp_path / "flows.csv", "id,origin,destination,volume", ["E,J,K,9", "FA,A0,J,4", "FB,J,B2,4", "AB,A0,B2,10"]
    )
    plans = {}
    for mode in ("foresight", "myopic"):
        data = base_scenario(
            tmp_path,
            flows=["E,J,K,9", "FA,A0,J,4", "FB,J,B2,4", "AB,A0,B2,10"],
            candidates={"include_nodes": False, "sites": "sites.csv"},
            vehicle={
                "battery_kwh": 200.0,
                "consumption_kwh_per_km": 1.0,
                "soc_min": 0.0,
                "soc_max": 1.0,
                "soc_start": 0.75,
                "soc_arrival_min": 0.0,
            },
            objective={"type": "max_coverage", "max_hubs": 2},
            costs={"site_fixed_eur": 1000.0, "discount_rate": 0.0},
            rollout={
                "years": [2026, 2027],
                "bev_share": [0.5, 1.0],
                "budget_per_year_eur": [1000.0, 1000.0],
                "mode": mode,
            },
            output={"maps": False, "tradeoff_points": 0},
        )
        plans[mode] = solve_scenario(load_scenario(write_scenario(tmp_path / f"{mode}.toml", data)))
    served = {m: [r["covered_volume"] for r in p.summary["years"]] for m, p in plans.items()}
    assert served["myopic"] == pytest.approx([4.5, 13.0])
    assert served["foresight"] == pytest.approx([2.0, 18.0])
    opened = dict(zip(plans["foresight"].hubs["site_id"], plans["foresight"].hubs["opened_year"], strict=True))
    assert set(opened) == {"hub-A1", "hub-B1"}
    assert plans["foresight"].verification.passed and plans["myopic"].verification.passed


def test_grid_upgrade_waits_for_its_lead_time(line5: Path) -> None:
    # B (N0→N2) needs a hub at N1 (nodes only). N1 has 100 kW; one 300 kW charger needs an upgrade
    # step, ordered in 2026 and energised after 3 years: B is served from 2029, not in 2027.
    plan = solve(
        line5,
        {"years": [2027, 2029], "budget_per_year_eur": [5000.0, 5000.0]},
        objective={"type": "max_coverage", "max_hubs": 1},
        grid={
            "enabled": True,
            "default_node_kw": 100.0,
            "default_edge_kw": 100.0,
            "simultaneity": 1.0,
            "upgrade_step_kw": 500.0,
            "upgrade_eur_per_mw": 1000.0,
            "max_upgrade_steps": 1,
            "start_year": 2026,
            "plan_year": 2029,
            "upgrade_lead_time_years": 3,
        },
    )
    years = {r["year"]: r for r in plan.summary["years"]}
    assert years[2027]["hubs"] == 0 and years[2029]["hubs"] == 1
    assert years[2029]["grid_upgrade_mw"] == 0.5
    assert years[2029]["capex_eur"] == pytest.approx(1000.0 + 500.0)
    hub = plan.hubs.iloc[0]
    assert hub["opened_year"] == 2029 and hub["grid_upgrade_kw"] == 500.0
    assert plan.verification.passed


def test_cumulative_budget_limits_all_years_together(line5: Path) -> None:
    # Per-year budgets would allow three hubs; the 2,000 EUR total allows two (N1 for B, N3 for C).
    plan = solve(
        line5,
        {"years": [2026, 2027, 2028], "budget_per_year_eur": [1000.0, 1000.0, 1000.0], "budget_total_eur": 2000.0},
        objective={"type": "max_coverage", "max_hubs": 3},
    )
    assert plan.summary["years"][-1]["hubs"] == 2
    assert sum(r["capex_eur"] for r in plan.summary["years"]) == pytest.approx(2000.0)
    assert "rollout_budget_total" in {c.name for c in plan.verification.checks} and plan.verification.passed


def test_a_rollout_that_needs_no_hub_opens_none(tmp_path: Path) -> None:
    # D (N1→N2, 100 km) needs no charging stop: no site is ever a variable, the plan is empty.
    from tests.conftest import line_network

    line_network(tmp_path, 5)
    data = base_scenario(
        tmp_path,
        flows=["D,N1,N2,5"],
        objective={"type": "min_cost", "max_hubs": None},
        rollout={"years": [2026, 2028]},
        output={"maps": False, "tradeoff_points": 0},
    )
    plan = solve_scenario(load_scenario(write_scenario(tmp_path / "s.toml", data)))
    assert len(plan.hubs) == 0 and plan.flows["served"].all()
    assert [r["hubs"] for r in plan.summary["years"]] == [0, 0] and plan.verification.passed


def test_backward_start_when_the_myopic_plan_fails(line5: Path) -> None:
    # 40 % of the volume in 2026 needs N1 (flow B); 100 % in 2027 needs N1, N2 and N3. Budgets
    # 2,000 then 1,000 EUR: myopic opens only N1 in 2026 and cannot add two hubs in 2027.
    # Planned backwards (2027: all three; 2026: two of them, spending ≥ 3,000 − 1,000) the start
    # is feasible, and foresight opens two hubs in 2026 and the third in 2027.
    rollout = {"years": [2026, 2027], "budget_per_year_eur": [2000.0, 1000.0], "coverage_target": [0.4, 1.0]}
    objective = {"type": "min_cost", "max_hubs": None}
    from planner.errors import InfeasibleError

    with pytest.raises(InfeasibleError) as err:
        solve(line5, {**rollout, "mode": "myopic"}, objective=objective)
    # the limits set, no others (until 2026-12-06: "within rollout.budget_per_year_eur / coverage_target / max_hubs")
    assert str(err.value).endswith(
        ": year 2027 has no plan within rollout.budget_per_year_eur = [2,000, 1,000] EUR and "
        "rollout.coverage_target = [0.4, 1]; relax one of them."
    )
    messages: list[str] = []
    data = base_scenario(
        line5,
        flows=FLOWS,
        objective=objective,
        rollout=rollout,
        costs={"site_fixed_eur": 1000.0, "discount_rate": 0.0},
        chargers={"mcs": {"capex_eur": 0.0, "min_per_hub": 1, "power_kw": 300.0}},
        output={"maps": False, "tradeoff_points": 0},
    )
    plan = solve_scenario(load_scenario(write_scenario(line5 / "f.toml", data)), log=messages.append)
    assert any("backward start" in m for m in messages)
    assert any("foresight, started from the backward plan" in m for m in messages)
    assert [r["hubs"] for r in plan.summary["years"]] == [2, 3]
    assert "N1" in set(plan.hubs.loc[plan.hubs["opened_year"] == 2026, "site_id"])
    assert plan.verification.passed


def test_energy_is_that_of_the_last_year(tmp_path: Path) -> None:
    # 8 BEV trucks/day in the base (16 × 50 %), twice that in 2028 (100 % BEV). Each charges
    # 100 kWh at N1 (arrives at 0.80 − 100/200 = 0.30, leaves at 0.80): 1,600 kWh/day in 2028.
    from tests.conftest import line_network

    line_network(tmp_path, 3)
    data = base_scenario(
        tmp_path,
        flows=["T,N0,N2,16"],
        objective={"type": "min_cost", "max_hubs": None},
        rollout={"years": [2026, 2028], "bev_share": [0.5, 1.0]},
        demand={"bev_share": 0.5},
        output={"maps": False, "tradeoff_points": 0},
    )
    plan = solve_scenario(load_scenario(write_scenario(tmp_path / "s.toml", data)))
    assert plan.hubs.set_index("site_id").loc["N1", "energy_mwh_per_year"] == pytest.approx(1600 * 365 / 1000)


def test_sized_rollout_buys_the_grid_upgrade_when_the_second_point_comes(tmp_path: Path) -> None:
    # As test_points_are_added_as_demand_grows, with a 500 kW connection at N1: one 300 kW point
    # fits in 2026, two (600 kW) need one 500 kW upgrade step, energised from 2026 + 2 = 2028.
    grid = {
        "enabled": True,
        "default_node_kw": 500.0,
        "default_edge_kw": 0.0,
        "simultaneity": 1.0,
        "upgrade_step_kw": 500.0,
        "upgrade_eur_per_mw": 100.0,
        "max_upgrade_steps": 2,
        "start_year": 2026,
        "plan_year": 2028,
        "upgrade_lead_time_years": 2,
    }
    plan = sized_rollout(tmp_path, "foresight", None, grid=grid)
    years = plan.summary["years"]
    assert [r["grid_upgrade_mw"] for r in years] == [0.0, 0.5]
    assert [r["capex_eur"] for r in years] == [1100.0, 100.0 + 50.0]
    hub = plan.hubs.set_index("site_id").loc["N1"]
    assert hub["chargers"] == 2 and hub["grid_upgrade_kw"] == 500.0 and plan.verification.passed


def test_relaxed_size_levels_are_refused_in_rollouts(tmp_path: Path) -> None:
    from tests.conftest import line_network

    line_network(tmp_path, 3)
    data = base_scenario(
        tmp_path,
        flows=["T,N0,N2,16"],
        objective={"type": "min_cost", "max_hubs": None},
        rollout={"years": [2026, 2028]},
        capacity={"enabled": True, "size_levels": "relaxed"},
        output={"maps": False, "tradeoff_points": 0},
    )
    with pytest.raises(ScenarioError, match="'relaxed' is for single-year plans; use 'integer'"):
        solve_scenario(load_scenario(write_scenario(tmp_path / "s.toml", data)))


def test_foresight_out_of_time_keeps_the_myopic_plan(line5: Path, monkeypatch) -> None:
    # The foresight MILP stops at its time limit without a plan of its own: the myopic plan it was
    # started from is kept (feasible, with the search's bound), not an error; the verifier checks it.
    from dataclasses import replace

    from planner.features.rollout import solve as rollout_solve

    real = rollout_solve.solve_lexicographic
    calls: list[str] = []

    def timed_out(problem, *args, **kw):
        out = real(problem, *args, **kw)
        calls.append(problem.name)
        if len(calls) <= 2:  # the two myopic years
            return out
        nothing = replace(out.combined, status="no_solution", objective=None, mip_gap=None, time_limit_hit=True)
        return replace(out, combined=nothing)

    monkeypatch.setattr(rollout_solve, "solve_lexicographic", timed_out)
    rollout = {"years": [2026, 2027], "budget_per_year_eur": [1000.0, 1000.0]}
    plan = solve(line5, rollout, objective={"type": "max_coverage", "max_hubs": 2})
    assert plan.summary["status"] == "feasible"
    opened = dict(zip(plan.hubs["site_id"], plan.hubs["opened_year"], strict=True))
    assert opened == {"N1": 2026, "N3": 2027}  # the myopic plan (here also the best)
    assert plan.verification.passed
    assert len(calls) == 3  # two myopic years, then the foresight model


@pytest.mark.parametrize("mode", ["foresight", "myopic"])
def test_a_rollout_holding_only_the_empty_plan_at_its_limit_is_an_error(line5: Path, monkeypatch, mode: str) -> None:
    # Every solve stops at its time limit holding only HiGHS's trivial plan (no hub, nothing served)
    # while its bound says more is possible: that is no plan (europe-rollout-2026-2035 with 20,000 flows
    # once "succeeded" with 0 hubs and gap n/a). A foresight start year without a real plan is dropped
    # like one without any, and the run ends with a one-line error naming what to change.
    from dataclasses import replace

    from planner.errors import SolverError
    from planner.features.rollout import solve as rollout_solve

    real = rollout_solve.solve_lexicographic
    calls: list[str] = []

    def empty(problem, *args, **kw):
        out = real(problem, *args, **kw)
        calls.append(problem.name)
        trivial = replace(
            out.combined, status="feasible", objective=0.0, best_bound=12.5, mip_gap=None, time_limit_hit=True
        )
        return replace(out, combined=trivial)

    monkeypatch.setattr(rollout_solve, "solve_lexicographic", empty)
    rollout = {"years": [2026, 2027], "budget_per_year_eur": [1000.0, 1000.0], "mode": mode}
    with pytest.raises(
        SolverError,
        match=r"no plan serving more than opening no hub \(bound 12.5\); raise "
        r"solver.time_limit_s or set demand.max_flows lower",
    ):
        solve(line5, rollout, objective={"type": "max_coverage", "max_hubs": 2})
    # foresight: the backward start's last year, the myopic start's first year, then the foresight model
    assert len(calls) == (3 if mode == "foresight" else 1)


def test_myopic_years_keep_the_earlier_hubs_as_lower_bounds(line5: Path, monkeypatch) -> None:
    # Each myopic year fixes the earlier years' hubs open by a lower bound of 1 on their variable
    # (PuLP resets the bounds of LpBinary variables to 0..1, which once let a year close them).
    from planner.features.rollout import solve as rollout_solve

    built = []
    real = rollout_solve.build_rollout_model

    def spy(instance, spec):
        model = real(instance, spec)
        built.append((spec, model))
        return model

    monkeypatch.setattr(rollout_solve, "build_rollout_model", spy)
    rollout = {"years": [2026, 2027, 2028], "budget_per_year_eur": [1000.0, 1000.0, 1000.0], "mode": "myopic"}
    plan = solve(line5, rollout, objective={"type": "max_coverage", "max_hubs": 3})
    fixed_years = [(spec, model) for spec, model in built if spec.fixed_open]
    assert fixed_years  # the later years had earlier hubs to keep
    for spec, model in fixed_years:
        assert all(model.open[k, 0].lowBound == 1 for k in spec.fixed_open)
    years = plan.summary["years"]
    assert [y["hubs"] for y in years] == sorted(y["hubs"] for y in years)
    assert plan.verification.passed


@pytest.mark.parametrize(
    ("mode", "start_s"), [("foresight", 0.0), ("foresight", 25.0), ("myopic", 0.0), ("myopic", 25.0), ("myopic", 39.0)]
)
def test_a_myopic_start_gets_a_share_of_the_time_the_plan_itself_gets_what_is_left(
    line5: Path, mode: str, start_s: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Foresight: each year of its start (the backward plan here) is only a MIP start, so it stops once it
    # holds a plan after 15 % of solver.time_limit_s (a quarter without one); the foresight model gets
    # what the start left of the limit, never less than half of it. Myopic: every year is the plan, and
    # the years share the limit: each its weight's part of what the earlier ones left (halving a year),
    # at least a quarter of an even split.
    # A fake clock makes each start year take ``start_s`` seconds.
    import planner.features.rollout.solve as rs

    limits: list[tuple[str, float, float | None]] = []
    real = rs.solve_lexicographic
    clock = [1000.0]

    def spy(problem, first, second, config, **kw):
        limits.append((problem.name, config.time_limit_s, kw.get("soft_limit_s")))
        clock[0] += start_s
        return real(problem, first, second, config, **kw)

    monkeypatch.setattr(rs, "solve_lexicographic", spy)
    monkeypatch.setattr(rs, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    plan = solve(
        line5,
        {"years": [2026, 2027], "budget_per_year_eur": [1000.0, 1000.0], "mode": mode},
        objective={"type": "max_coverage", "max_hubs": 2},
        solver={"time_limit_s": 40},
    )
    assert plan.verification.passed
    if mode == "myopic":
        # the first year weighs 1, the second 1/2: 40 · 1/1.5; the second what is left, at least 40/2 · 1/4
        assert [t[1:] for t in limits] == [(pytest.approx(40 / 1.5), None), (max(40 - start_s, 5), None)]
    else:  # two backward start years, then the foresight model with what they left: 40 s, or 40 − 2·25 → 20
        assert [t[1:] for t in limits] == [(10, 6), (10, 6), (40 - 2 * start_s if start_s < 10 else 20, None)]


def test_shared_windows_are_the_windows_several_groups_need() -> None:
    from planner.features.coverage.variables import shared_windows

    windows = [[(1, 2), (3,)], [(1, 2), (3,)], [(4, 5)], [(2, 6), (1, 2)]]
    assert shared_windows(windows) == [(1, 2)]  # (3,) is one site: its row is as short already


def test_foresight_with_shared_windows_finds_the_same_optimum(line5: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Candidates every 50 km: the flows' windows hold several sites and A shares them with B and C.
    import planner.features.rollout.model as rm

    def run(folder: Path):
        return solve(
            folder,
            {"years": [2026, 2027, 2028], "budget_per_year_eur": [1000.0, 1000.0, 1000.0], "mode": "foresight"},
            objective={"type": "max_coverage", "max_hubs": 3},
            candidates={"spacing_km": 50.0},
        )

    built: list[int] = []
    real = rm.build_rollout_model

    def spy(instance, spec):
        model = real(instance, spec)
        built.append(len(model.window))
        return model

    monkeypatch.setattr(rm, "build_rollout_model", spy)
    monkeypatch.setattr("planner.features.rollout.solve.build_rollout_model", spy)
    shared = run(line5)
    assert built[-1] > 0 and all(n == 0 for n in built[:-1])  # only the foresight model shares
    monkeypatch.setattr(rm, "shared_windows", lambda _w: {})
    plain = run(line5)
    for key in ("discounted_covered_truck_km",):
        assert shared.summary["rollout"][key] == pytest.approx(plain.summary["rollout"][key], rel=1e-9)
    assert [y["covered_volume"] for y in shared.summary["years"]] == pytest.approx(
        [y["covered_volume"] for y in plain.summary["years"]]
    )
    assert shared.verification.passed and plain.verification.passed


def _foresight_two_years(folder: Path, messages: list[str]):
    """Two years, 1,000 EUR each, two hubs at most: B (7) in 2026, then C (6)."""
    data = base_scenario(
        folder,
        flows=FLOWS,
        objective={"type": "max_coverage", "max_hubs": 2},
        rollout={"years": [2026, 2027], "budget_per_year_eur": [1000.0, 1000.0], "mode": "foresight"},
        costs={"site_fixed_eur": 1000.0, "discount_rate": 0.0},
        chargers={"mcs": {"capex_eur": 0.0, "min_per_hub": 1, "power_kw": 300.0}},
        output={"maps": False, "tradeoff_points": 0},
    )
    return solve_scenario(load_scenario(write_scenario(folder / "two.toml", data)), log=messages.append)


def test_foresight_starts_from_the_myopic_plan_when_the_backward_plan_fails(
    line5: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planner.features.rollout.solve as rs

    monkeypatch.setattr(rs, "backward_start", lambda ro: None)
    messages: list[str] = []
    plan = _foresight_two_years(line5, messages)
    assert any("(myopic start)" in m for m in messages)
    assert any("foresight, started from the myopic plan" in m for m in messages)
    assert plan.verification.passed
    assert dict(zip(plan.hubs["site_id"], plan.hubs["opened_year"], strict=True)) == {"N1": 2026, "N3": 2027}


def test_foresight_starts_from_the_backward_plan_first(line5: Path) -> None:
    messages: list[str] = []
    plan = _foresight_two_years(line5, messages)
    assert not any("(myopic start)" in m for m in messages)
    assert any("foresight, started from the backward plan" in m for m in messages)
    assert plan.verification.passed
    assert dict(zip(plan.hubs["site_id"], plan.hubs["opened_year"], strict=True)) == {"N1": 2026, "N3": 2027}


def test_a_myopic_rollout_is_optimal_only_if_every_year_is(line5: Path, monkeypatch) -> None:
    # Myopic years are solved one at a time: the headline takes the worst year's status and gap, sums
    # the years' objectives and gives no bound (each year's bound holds only given the earlier hubs).
    from dataclasses import replace

    from planner.features.rollout import solve as rollout_solve

    real = rollout_solve.solve_lexicographic
    calls: list[int] = []

    def first_year_unproven(problem, *args, **kw):
        out = real(problem, *args, **kw)
        calls.append(1)
        if len(calls) > 1:
            return out
        return replace(out, combined=replace(out.combined, status="feasible", mip_gap=0.05, time_limit_hit=True))

    monkeypatch.setattr(rollout_solve, "solve_lexicographic", first_year_unproven)
    rollout = {"years": [2026, 2027], "budget_per_year_eur": [1000.0, 1000.0], "mode": "myopic"}
    plan = solve(line5, rollout, objective={"type": "max_coverage", "max_hubs": 2})
    solves = plan.summary["rollout"]["solves"]
    assert [s["status"] for s in solves] == ["feasible", "optimal"]
    assert plan.summary["status"] == "feasible"
    assert plan.summary["mip_gap"] == pytest.approx(0.05)
    assert plan.summary["best_bound"] is None
    assert plan.summary["objective_value"] == pytest.approx(sum(s["objective"] for s in solves))
    assert "worst year's" in plan.summary["solver_message"]
    assert plan.verification.passed


def test_myopic_years_split_what_is_left_with_weights_halving_a_year() -> None:
    from planner.features.rollout.solve import myopic_share

    # five years, 300 s, no time used yet: 300 · 1/(1 + 1/2 + 1/4 + 1/8 + 1/16)
    assert myopic_share(300.0, 0, 5, 300.0) == pytest.approx(300 / 1.9375)
    assert myopic_share(150.0, 3, 5, 300.0) == pytest.approx(100.0)  # 150 · 1/(1 + 1/2)
    assert myopic_share(150.0, 4, 5, 300.0) == pytest.approx(150.0)  # the last year gets all that is left
    assert myopic_share(4.0, 4, 5, 300.0) == pytest.approx(15.0)  # never under a quarter of 300/5


def test_a_sized_rollout_of_the_example_starts_foresight_from_its_years(tmp_path: Path) -> None:
    # Its 2026 year's solve returned an assignment of -6.6e-08, which PuLP refused as the foresight model's
    # start: an internal error until 2026-12-06. Every start value is now brought within its bounds.
    from tests.conftest import ROOT

    path = tmp_path / "s.toml"
    path.write_text(
        f'extends = "{ROOT / "scenarios" / "example-corridor.toml"}"\nname = "ro-cap"\n'
        "[rollout]\nyears = [2026, 2030]\nbev_share = [0.1, 0.3]\n"
        '[capacity]\nenabled = true\nsize_levels = "integer"\n[objective]\nmax_hubs = 6\n[output]\nmaps = false\n'
    )
    plan = solve_scenario(load_scenario(path))
    assert plan.summary["verification"]["passed"] is True and plan.summary["hub_count"] == 6
    assert plan.summary["status"] == "optimal"


def test_a_start_value_is_brought_within_its_bounds() -> None:
    import pulp

    from planner.solve import start_value

    problem = pulp.LpProblem("p", pulp.LpMinimize)
    a = problem.add_variable("a", 0, 1)
    z = problem.add_variable("z", 0, 1, cat=pulp.LpBinary)
    s = problem.add_variable("s", 0, None)
    for v, given, kept in (
        (a, -6.6e-08, 0.0),
        (a, 1.0000002, 1.0),
        (z, 0.9999997, 1.0),
        (s, -1e-9, 0.0),
        (s, 7.5, 7.5),
    ):
        v.setInitialValue(start_value(v, given))
        assert v.varValue == kept


def test_a_rollout_below_full_coverage_is_verified_against_its_yearly_targets(line5: Path) -> None:
    # min_cost with rollout.coverage_target = [0.3, 0.5]: the plan serves half, not every servable flow.
    # Until 2026-12-06 the verifier checked it as a plan that must serve every servable flow and failed it.
    rollout = {"years": [2026, 2027], "coverage_target": [0.3, 0.5], "mode": "myopic"}
    plan = solve(line5, rollout, objective={"type": "min_cost", "max_hubs": None})
    checks = {c.name: c for c in plan.verification.checks}
    assert plan.verification.passed and "every_servable_flow_served" not in checks
    assert checks["coverage_target"].passed and "target 0.5" in checks["coverage_target"].detail
    assert checks["rollout_coverage_per_year"].passed
    shares = [r["covered_share"] for r in plan.summary["years"]]
    assert shares[0] >= 0.3 - 1e-9 and shares[1] >= 0.5 - 1e-9 and min(shares) < 1.0
    from planner.exports.columns import YEAR_UNITS

    # every column of the year table has a unit in plan.xlsx and docs/formats.md (total_truck_km had none)
    assert set(plan.summary["years"][0]) - {"chargers_added_by_type"} <= set(YEAR_UNITS)


def test_a_year_below_its_coverage_target_fails_the_check() -> None:
    from planner.features.rollout.report import rollout_target_check

    years = [
        {"year": 2026, "covered_share": 0.31, "covered_truck_km": 10.0, "total_truck_km": 40.0},
        {"year": 2030, "covered_share": 0.49, "covered_truck_km": 30.0, "total_truck_km": 50.0},
    ]
    volume = rollout_target_check(years, [0.3, 0.5], "volume")
    assert not volume.passed and volume.detail == "coverage target missed in 2030 (0.4900 < 0.5)"
    truck_km = rollout_target_check(years, [0.3, 0.5], "truck_km")
    assert not truck_km.passed and truck_km.detail == "coverage target missed in 2026 (0.2500 < 0.3)"
    assert rollout_target_check(years, [0.25, 0.6], "truck_km").passed


def test_a_rollouts_tables_count_the_trucks_of_its_last_year(line5: Path) -> None:
    # Demand grows by half from 2026 to 2027. The headline is 2027's; the hubs' trucks/day, the countries'
    # volumes and the network layer's bands must be too (they were the base year's beside 2027's energy
    # and shares). flows.csv keeps the volumes before growth, and the report says by how much they grow.
    import geopandas as gpd
    import pandas as pd

    from planner.api import run

    (line5 / "nodes.csv").write_text(
        (line5 / "nodes.csv").read_text().replace("id,name,lon,lat", "id,name,lon,lat,country")
    )
    rows = (line5 / "nodes.csv").read_text().splitlines()
    (line5 / "nodes.csv").write_text("\n".join([rows[0], *(r + ",DE" for r in rows[1:])]) + "\n")
    data = base_scenario(
        line5,
        flows=FLOWS,
        objective={"type": "max_coverage", "max_hubs": 3},
        rollout={"years": [2026, 2027], "demand_growth_per_year": 0.5},
        costs={"site_fixed_eur": 1000.0},
        output={"maps": True, "tradeoff_points": 0},
    )
    out = line5 / "out"
    plan = run(write_scenario(line5 / "s.toml", data), out_dir=out)
    s = plan.summary
    assert s["kpi_year"] == 2027 and s["total_volume"] == pytest.approx(1.5 * 28) and s["base_year_volume"] == 28
    flows = pd.read_csv(out / "flows.csv")
    assert flows["volume"].sum() == pytest.approx(28)  # before growth, as documented
    hubs = pd.read_csv(out / "hubs.csv").set_index("site_id")
    for site, row in hubs.iterrows():  # the trucks/day of the flows charging there, in 2027
        charging = flows[flows["stops"].fillna("").str.split(";").map(lambda stops, s=site: s in stops)]
        assert row["volume_charging"] == pytest.approx(1.5 * charging["volume"].sum()), site
    assert s["by_country"]["DE"]["volume"] == pytest.approx(42) and s["by_country"]["DE"]["served_volume"] == (
        pytest.approx(s["covered_volume"])
    )
    network = gpd.read_file(out / "plan.gpkg", layer="network").set_index("u")
    assert network.loc["N0", "served_volume"] + network.loc["N0", "unserved_volume"] == pytest.approx(1.5 * 17)
    report = (out / "report.html").read_text()
    assert "Trucks/day of 2027, as the headline" in report and "× 1.500 here" in report
    assert "Served share in 2027<" in report and "Covered volume (trucks/day) in 2027<" in report
    from planner.render._load import load_run  # the maps redrawn from the files: the same bands

    drawn = load_run(out).network.set_index("u")
    assert drawn.loc["N0", "served_volume"] + drawn.loc["N0", "unserved_volume"] == pytest.approx(1.5 * 17)
