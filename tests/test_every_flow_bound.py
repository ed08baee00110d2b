"""``[capacity] every_flow_bound``: what sizing hubs for every flow costs at least, after a ``max_flows`` cut.

Line N0–N1–…, 100 km steps, 150 km range (``tests.conftest.base_scenario``), so a 200 km trip stops once
between km 50 and 150 of its route. MCS points of 450 kW charging 150 kWh (20-minute sessions), 10 % of a
day's sessions in the busiest hour, a 10-minute mean wait: one point takes 10 sessions/day (M/M/1,
``λ/(3 (3 − λ)) ≤ 1/6`` for ``λ ≤ 1`` an hour) and two take 34.64 (M/M/2, ``a²/(2 + a) = (2 − a)/2``
for ``a = 2/√3``). The levels stop at the first taking every session of the demand with 1 % headroom, so
with 12 sessions in all the level of two points holds 12.12; each is 0.01 % less in the model (its
margin). A site costs 1,000 EUR, a point 100.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from planner.api import run as run_plan
from planner.compare import compare_runs, format_kpis, write_comparison
from planner.errors import ScenarioError
from planner.features.capacity.every_flow import BOUND_SLACK
from planner.scenario import load_scenario
from tests.conftest import base_scenario, line_network, write_csv, write_scenario

ONE = 10.0 * (1 - 1e-4)  # sessions/day one point takes in the model
assert 30.0 * 2 / math.sqrt(3) > 12.12  # two points take every session of the flows below (12 a day)
TWO = 12.0 * 1.01 * (1 - 1e-4)  # their level, cut at the demand's sessions with 1 % headroom


def _sized(folder: Path, trips: list[str], nodes: int, **extra: dict) -> Path:
    line_network(folder, nodes)
    write_csv(folder / "trips.csv", "origin,destination,trips_per_day", trips)
    data = base_scenario(
        folder,
        flows=["F1,N0,N2,1"],
        objective={"type": "min_cost", "max_hubs": None},
        chargers={
            "mcs": {"capex_eur": 100.0, "min_per_hub": 1, "power_kw": 450.0},
            "ccs": {"max_per_hub": 0},
        },
        capacity={
            "enabled": True,
            "peak_hour_share": 0.1,
            "max_wait_min": 10.0,
            "plug_overhead_min": 0.0,
            "every_flow_bound": True,
        },
        output={"maps": False, "tradeoff_points": 0},
    )
    data["demand"] = {"trips": "trips.csv", "max_flows": 1}
    data.update(extra)
    return write_scenario(folder / "sized.toml", data)


def test_the_bound_of_a_cut_flow_sharing_the_hub_interpolates_its_second_point(tmp_path: Path) -> None:
    # 8 trucks/day N0→N2 are kept: one hub with one point (8 sessions ≤ 10). The 4 trucks back N2→N0 are cut;
    # served, they stop in the same window: 12 sessions, more than one point takes, so every flow needs two
    # points (1,200 EUR). The relaxation prices the second point pro rata between the levels:
    # 1,000 + 100 + 100 (12 − ONE) / (TWO − ONE) = 1,194.4 EUR.
    lines: list[str] = []
    path = _sized(tmp_path, ["N0,N2,8", "N2,N0,4"], 3, output={"maps": True, "tradeoff_points": 0})
    plan = run_plan(load_scenario(path), out_dir=tmp_path / "cut", log=lines.append)
    assert plan.verification.passed and plan.summary["total_cost_eur"] == pytest.approx(1100.0)
    bound = plan.summary["demand"]["cut_flows_sessions"]["every_flow_bound"]
    expected = 1000.0 + 100.0 + 100.0 * (12.0 - ONE) / (TWO - ONE)
    assert bound["every_flow_capex_bound_eur"] == math.floor(expected * (1 - BOUND_SLACK))  # rounded down
    assert (bound["status"], bound["cut_flows"], bound["load_windows"]) == ("optimal", 1, 1)
    assert bound["cut_trucks_per_day"] == pytest.approx(4.0) and bound["load_sessions_per_day"] == pytest.approx(4.0)
    said = (
        f"sizing hubs for every flow costs at least {round(expected):,} EUR, 1.09× this plan's 1,100 EUR (a linear "
        "relaxation with the 1 cut flows served, each stopping once in each of its pairwise-disjoint windows)"
    )
    assert any(line.startswith("demand: ") and line.endswith(said) for line in lines), lines
    report = (tmp_path / "cut" / "report.html").read_text(encoding="utf-8").replace("&#x27;", "'")
    assert said in report
    # planned with every flow, the exact plan costs more than the bound: it needs the whole second point
    cut = load_scenario(path)
    whole = cut.model_copy(update={"demand": cut.demand.model_copy(update={"max_flows": None})})
    every = run_plan(whole, out_dir=tmp_path / "whole")
    assert every.summary["total_cost_eur"] == pytest.approx(1200.0)
    assert every.summary["total_cost_eur"] > bound["every_flow_capex_bound_eur"] > plan.summary["total_cost_eur"]
    assert "cut_flows_sessions" not in every.summary["demand"]  # nothing cut, nothing bounded
    kpis, _ = compare_runs([tmp_path / "cut", tmp_path / "whole"])
    assert kpis["every_flow_capex_bound_eur"].iloc[0] == pytest.approx(round(expected))
    assert pd.isna(kpis["every_flow_capex_bound_eur"].iloc[1])
    table = format_kpis(kpis).splitlines()
    at = table[0].index("every flow ≥ EUR")
    assert [row[at : at + len("every flow ≥ EUR")].strip() for row in table[1:]] == [f"{round(expected):,}", "–"]
    write_comparison([tmp_path / "cut", tmp_path / "whole"], tmp_path / "cmp")
    page = (tmp_path / "cmp" / "compare.html").read_text(encoding="utf-8")
    label = "Capex sizing hubs for every flow needs (at least)"
    row = page[page.index(label) : page.index("</tr>", page.index(label))]
    assert row.endswith("<td class=n>€ 1.2 k</td><td class=n>–</td>")  # the page's money format


def test_a_cut_flow_elsewhere_needs_a_hub_of_its_own(tmp_path: Path) -> None:
    # Kept: 8 trucks/day N0→N2 (a hub near N1). Cut: 4 trucks/day N2→N4, whose window (km 250-350) no kept flow
    # reaches: served, it needs a second hub with one point, and the bound is the exact 2 × 1,100 EUR.
    plan = run_plan(load_scenario(_sized(tmp_path, ["N0,N2,8", "N2,N4,4"], 5)), out_dir=tmp_path / "cut")
    assert plan.verification.passed and plan.summary["hub_count"] == 1
    bound = plan.summary["demand"]["cut_flows_sessions"]["every_flow_bound"]
    assert bound["every_flow_capex_bound_eur"] == math.floor(2200.0 * (1 - BOUND_SLACK))  # 2,199: rounded down
    assert (bound["cover_windows"], bound["cut_flows_unservable"], bound["plan_capex_eur"]) == (1, 0, 1100.0)


def test_planner_run_names_the_bound_on_its_last_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    path = _sized(tmp_path, ["N0,N2,8", "N2,N0,4"], 3)
    ran = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert ran.exit_code == 0, ran.output
    said = "(100.0% of all flows' trucks/day by range; the hubs lack ≥ 1 point for them; sizing for every flow costs"
    assert f"{said} ≥ 1,194 EUR)" in ran.output.splitlines()[-1]


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"objective": {"type": "max_coverage", "budget_eur": 5000.0}}, "objective.type = 'min_cost'"),
        ({"hourly": {"enabled": True}}, "sizes the hubs hour by hour"),
    ],
)
def test_the_bound_is_refused_where_it_bounds_nothing(tmp_path: Path, change: dict, names: str) -> None:
    path = _sized(tmp_path, ["N0,N2,8", "N2,N0,4"], 3, **change)
    with pytest.raises(ScenarioError, match="capacity.every_flow_bound") as err:
        run_plan(load_scenario(path), out_dir=tmp_path / "out")
    assert names in str(err.value) and "sized.toml" in str(err.value)


def test_the_cut_rows_cover_every_window_and_carry_the_loads() -> None:
    # Windows {0, 1} and {1, 2} must each hold an open site; 4 trucks/day stop in {0, 1}. Sites cost 1, 2, 1:
    # the loads alone would open site 0 (cost 1), the cover rows need site 1 or both ends (cost 2).
    import numpy as np
    import pulp

    from planner.features.capacity.cut_load import CutLoad, add_cut_load
    from planner.scenario.solver import SolverConfig
    from planner.solve import solve_problem

    cut = CutLoad(cover=((0, 1), (1, 2)), loads=(((0, 1), 4.0),), flows=1, trucks_per_day=4.0, unservable=0)
    assert cut.sites == (0, 1, 2)
    problem = pulp.LpProblem("cut", pulp.LpMinimize)
    x = {k: problem.add_variable(f"x_{k}", 0, 1) for k in range(3)}
    sessions: dict[int, pulp.LpAffineExpression] = {}
    reach = np.zeros(3)
    add_cut_load(problem, x, cut, sessions, reach)
    problem.setObjective(x[0] + 2 * x[1] + x[2])
    result = solve_problem(problem, SolverConfig())
    assert result.status == "optimal" and result.objective == pytest.approx(2.0)
    assert reach.tolist() == [4.0, 4.0, 0.0] and sorted(sessions) == [0, 1]
    assert sorted(v.name for v in problem.variables() if v.name.startswith("cut_load")) == [
        "cut_load_0_0",
        "cut_load_0_1",
    ]
    assert sum(s.value() for s in sessions.values()) == pytest.approx(4.0)


@pytest.mark.parametrize("seed", [0, 2, 4, 8, 12, 14, 16])  # one-way trips, some needing a hub
def test_each_cut_flow_keeps_as_many_disjoint_windows_as_it_needs_stops(seed: int) -> None:
    # On the random one-way networks of tests/test_walk.py, every flow's disjoint windows are pairwise disjoint
    # and as many as the fewest stops it can make with every candidate open (planner/fewest_stops.py): each
    # disjoint window needs a stop of its own (the load is a lower bound), and none is missed.
    import numpy as np

    from planner.features.capacity.cut_load import _backwards, cut_load
    from planner.features.tradeoff.pairs import disjoint_windows
    from planner.fewest_stops import fewest_stops
    from planner.instance import build_instance
    from planner.ranges import vehicle_ranges
    from planner.walk import RouteWalker
    from tests.test_walk import _case

    _rng, net, sites, flows, vehicle, breaks = _case(seed)
    instance = build_instance(
        net, sites, flows, vehicle_ranges(vehicle, breaks), site_cost=np.ones(len(sites)), drop_locked=False
    )
    cover, masks = instance.cover, {}
    walk = RouteWalker(net, sites, set(sites["site_id"])).walk([list(r) for r in flows["route_nodes"]])
    entries, _kwh, completed = fewest_stops(walk, vehicle, breaks)
    stops = np.bincount(walk.route_of[entries], minlength=len(flows))
    checked = 0
    for q in np.flatnonzero(instance.servable & ~instance.free).tolist():
        kept = disjoint_windows(_backwards(cover, q), cover.window_ptr, cover.window_sites, masks)
        sets = [set(cover.window(w)) for w in kept]
        assert all(not (a & b) for i, a in enumerate(sets) for b in sets[i + 1 :])
        assert completed[q] and len(kept) == stops[q]
        checked += 1
    assert checked > 10 and stops.max() >= 2  # trips needing several stops are among them
    load = cut_load(instance, np.ones(len(flows)))
    assert sum(t for _w, t in load.loads) == pytest.approx(float(stops[instance.servable & ~instance.free].sum()))
