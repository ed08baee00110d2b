"""Hourly sizing end to end, worked by hand on small line networks.

Line N0–N1–N2, 100 km legs, 150 km range (conftest): a truck N0→N2 charges once, at N1 (100 km,
arriving with 0.30 and charging 100 kWh). A full-swing session (150 kWh at 300 kW) takes 0.5 h, so one
point takes 0.5 arrivals/h at a 10-minute mean wait (M/M/1: Wq = λ / (μ (μ − λ)) ≤ 1/6 h with μ = 2).
Breaks and daily rests are off here, so N1 is reached 100 / 80 = 1.25 h after departure.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.api import solve_scenario
from planner.errors import DataError, InfeasibleError, ScenarioError
from planner.export import write_plan
from planner.exports.columns import HOURLY_UNITS, HUB_UNITS, SIMULATION_UNITS
from planner.features import enabled_features
from planner.features.hourly import decompose, master_solve
from planner.features.hourly.master import MasterSpec
from planner.scenario import load_scenario
from planner.stages import verify
from tests.conftest import ROOT, base_scenario, line_network, write_csv, write_scenario

AT_MIDNIGHT = [1.0] + [0.0] * 23  # every truck departs between 0:00 and 1:00
FLAT = [1.0] * 24


def scenario(folder: Path, *, flows: list[str], hourly: dict | None = None, **sections) -> Path:
    folder.mkdir(exist_ok=True)
    if not (folder / "nodes.csv").exists():
        line_network(folder, 3)
    data = base_scenario(
        folder,
        flows=flows,
        objective={"type": "min_cost", "max_hubs": None},
        chargers={
            "mcs": {"capex_eur": 100_000.0, "min_per_hub": 1, "power_kw": 300.0, "max_per_hub": 10},
            "ccs": {"max_per_hub": 0},
        },
        capacity={"enabled": True, "peak_hour_share": 0.1, "max_wait_min": 10.0, "plug_overhead_min": 0.0},
        hourly={
            "enabled": True,
            "departure_profile": AT_MIDNIGHT,
            "break_min": 0.0,
            "daily_rest_h": 0.0,
            "simulation_days": 1,
            "simulation_warmup_days": 0,
            **(hourly or {}),
        },
        afir={"mode": "off"},
        output={"maps": False, "tradeoff_points": 0},
    )
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    return write_scenario(folder / "s.toml", data)


def run(folder: Path, **kw):
    return solve_scenario(load_scenario(scenario(folder, **kw)))


def test_the_peak_hour_not_the_daily_average_sets_the_charger_count(tmp_path: Path) -> None:
    # 4 trucks/day, all leaving at 0:00–1:00: 75 % reach N1 in hour 1 → 3 arrivals/h. M/M/c at 0.5 h:
    # two points wait 0.643 h (Erlang C 0.643 / (4 − 3)), three 0.079 h = 4.7 min ≤ 10: three points.
    # The daily-average model (10 % of 4 sessions in the peak hour: 0.4/h) and a flat profile (1/6 per
    # hour) both get one point.
    plan = run(tmp_path, flows=["T,N0,N2,4"])
    hub = plan.hubs.set_index("site_id").loc["N1"]
    assert hub["chargers_mcs"] == 3 and hub["peak_hour"] == 1
    assert hub["peak_arrivals_per_hour"] == pytest.approx(3.0) and hub["peak_wait_min"] == pytest.approx(
        4.737, abs=1e-3
    )
    hours = plan.extras["tables"]["hub_hourly.csv"].set_index("hour")
    assert hours.loc[1, "arrivals"] == pytest.approx(3.0) and hours.loc[2, "arrivals"] == pytest.approx(1.0)
    assert hours["arrivals"].sum() == pytest.approx(4.0) and hours["load_kw"].sum() == pytest.approx(400.0)
    assert plan.verification.passed
    names = {c.name for c in plan.verification.checks}
    assert {"hourly_balance", "hourly_demand", "hourly_queueing", "queue_simulation"} <= names
    assert "hub_queueing" not in names and "grid_capacity" not in names  # superseded
    flat = run(tmp_path / "flat", flows=["T,N0,N2,4"], hourly={"departure_profile": FLAT})
    assert flat.hubs["chargers_mcs"].tolist() == [1]
    daily = solve_scenario(load_scenario(scenario(tmp_path / "flat", flows=["T,N0,N2,4"], hourly={"enabled": False})))
    assert daily.hubs["chargers_mcs"].tolist() == [1]


def test_outputs_summary_and_bound(tmp_path: Path) -> None:
    plan = run(tmp_path, flows=["T,N0,N2,4"])
    s = plan.summary
    block = s["hourly"]
    assert block["charge_efficiency"] == pytest.approx(math.sqrt(0.88))
    assert block["discharge_efficiency"] == pytest.approx(math.sqrt(0.88))
    assert block["departure_profiles"]["shares"]["default"][0] == 1.0 and len(block["tariff_eur_per_mwh"]) == 24
    bound = block["bound"]
    assert bound["lower_eur_per_year"] <= bound["upper_eur_per_year"] + 1e-6
    assert s["objective_value"] == pytest.approx(bound["upper_eur_per_year"])
    assert s["mip_gap"] == pytest.approx(
        (bound["upper_eur_per_year"] - bound["lower_eur_per_year"]) / bound["upper_eur_per_year"]
    )
    assert block["totals"]["energy_gwh_per_year"] == pytest.approx(400 * 365 / 1e6)
    assert block["simulation"]["energy_served_share"] == pytest.approx(1.0)
    # The daily-average rule (10 % of 4 sessions: 0.4/h) gives one point, missing the 3/h peak hour.
    assert block["daily_average"] == {
        "peak_hour_share": 0.1,
        "points_daily_average": 1,
        "points_hourly": 3,
        "hubs_missing_their_peak_hour": 1,
        "hubs_sized_for_more_than_their_peak": 0,
    }
    hub = plan.hubs.iloc[0]
    # Capex: site 1,000 + 3 points × 100,000 + connection × 200 EUR/kW + battery units × 500,000.
    capex = 1000 + 3 * 100_000 + hub["grid_connection_kw"] * 200 + hub["battery_units"] * 500_000
    assert hub["cost_eur"] == pytest.approx(capex)
    assert hub["capacity_charge_eur_per_year"] == pytest.approx(hub["grid_connection_kw"] * 100.0)
    out = tmp_path / "out"
    write_plan(plan, out)
    table = pd.read_csv(out / "hub_hourly.csv")
    issue_columns = [
        "site_id",
        "hour",
        "arrivals",
        "sessions",
        "load_kw",
        "grid_kw",
        "battery_charge_kw",
        "battery_discharge_kw",
        "battery_soc_kwh",
        "price_eur_per_mwh",
        "wait_min",
    ]
    assert set(issue_columns) <= set(table.columns) and len(table) == 24
    assert table["price_eur_per_mwh"].tolist()[13] == pytest.approx(55.0 + 50.0)
    hubs = pd.read_csv(out / "hubs.csv")
    assert {
        "grid_connection_kw",
        "battery_kwh",
        "battery_kw",
        "peak_hour",
        "peak_load_kw",
        "energy_mwh_per_year",
        "energy_cost_eur_per_year",
        "capacity_charge_eur_per_year",
    } <= set(hubs.columns)
    assert (out / "hub_simulation.csv").exists()
    # every column written has its unit and meaning (docs/formats.md, plan.xlsx headers)
    tables = {"hubs.csv": HUB_UNITS, "hub_hourly.csv": HOURLY_UNITS, "hub_simulation.csv": SIMULATION_UNITS}
    for name, units in tables.items():
        columns = pd.read_csv(out / name, nrows=0).columns
        assert set(columns) <= set(units), (name, set(columns) - set(units))
    sheets = pd.read_excel(out / "plan.xlsx", sheet_name=None)
    assert len(sheets["hub_hourly"]) == 24 and "load_kw [kW]" in sheets["hub_hourly"].columns
    assert len(sheets["hub_simulation"]) == 1


def test_split_flow_energy_per_itinerary(tmp_path: Path) -> None:
    # Candidates every 50 km; one point per hub (≤ 0.5 arrivals/h); 16 trucks/day spread flat over the day
    # (0.67/h) need two hubs in the window km 50–150: the flow splits. Each truck charges on its own
    # itinerary (start at 0.80 = soc_max): a stop at km p takes p × 1 kWh/km.
    line_network(tmp_path, 3)
    plan = run(
        tmp_path,
        flows=["T,N0,N2,16"],
        hourly={"departure_profile": FLAT},
        candidates={"spacing_km": 50.0},
        chargers={"mcs": {"capex_eur": 100_000.0, "min_per_hub": 1, "power_kw": 300.0, "max_per_hub": 1}},
    )
    flow = plan.flows.iloc[0]
    assert len(flow["stops"]) == 2 and sum(flow["stops_share"]) == pytest.approx(1.0)
    hubs = plan.hubs.set_index("site_id")
    for sid, km, share in zip(flow["stops"], flow["stops_km"], flow["stops_share"], strict=True):
        assert hubs.loc[sid, "energy_mwh_per_year"] == pytest.approx(16 * share * km * 365 / 1000, rel=1e-4)
    assert plan.verification.passed


def test_ferry_crossing_delays_arrivals(tmp_path: Path) -> None:
    # N0 –ferry 60 km– N1 –100 km– N2 –100 km– N3: the charge must be at N2 (100 driven km, the ferry uses
    # none). Crossing 2.5 h (edge column): N2 is reached after 1.25 + 2.5 = 3.75 h → 25 % in hour 3, 75 % in
    # hour 4. Without the column: 60 km / 30 km/h + 1 h check-in = 3 h → hours 4 (75 %) and 5.
    nodes = ["N0,Node 0,0.0,45.6", "N1,Node 1,0.7,45.6", "N2,Node 2,1.9,45.6", "N3,Node 3,3.1,45.6"]
    write_csv(tmp_path / "nodes.csv", "id,name,lon,lat", nodes)
    edges = ["N0,N1,60,ferry,2.5", "N1,N2,100,road,", "N2,N3,100,road,"]
    write_csv(tmp_path / "edges.csv", "u,v,length_km,mode,crossing_h", edges)
    plan = run(tmp_path, flows=["T,N0,N3,4"])
    hours = plan.extras["tables"]["hub_hourly.csv"].set_index("hour")["arrivals"]
    assert plan.hubs["site_id"].tolist() == ["N2"]
    assert hours[3] == pytest.approx(1.0) and hours[4] == pytest.approx(3.0)
    write_csv(tmp_path / "edges.csv", "u,v,length_km,mode", [e.rsplit(",", 1)[0] for e in edges])
    hours = run(tmp_path, flows=["T,N0,N3,4"]).extras["tables"]["hub_hourly.csv"].set_index("hour")["arrivals"]
    assert hours[4] == pytest.approx(3.0) and hours[5] == pytest.approx(1.0)
    write_csv(tmp_path / "edges.csv", "u,v,length_km,mode,crossing_h", [e.replace("2.5", "soon") for e in edges])
    with pytest.raises(DataError, match="edge N0–N1 has crossing_h 'soon'"):
        run(tmp_path, flows=["T,N0,N3,4"])


def test_flow_classes_shift_their_arrivals(tmp_path: Path) -> None:
    # T1 departs 22:00–23:00 (class "night"): N1 at 23:15–0:15 → 0.75 × 4 in hour 23, 0.25 × 4 in hour 0.
    # T2 keeps the scenario's profile (hour 0 → hours 1 and 2).
    write_csv(
        tmp_path / "profiles.csv",
        "class," + ",".join(f"h{h}" for h in range(24)),
        ["night," + ",".join("1" if h == 22 else "0" for h in range(24))],
    )
    write_csv(tmp_path / "classes.csv", "flow_id,class", ["T1,night"])
    files = {"profiles_file": "profiles.csv", "flow_classes_file": "classes.csv"}
    plan = run(tmp_path, flows=["T1,N0,N2,4", "T2,N0,N2,2"], hourly=files)
    hours = plan.extras["tables"]["hub_hourly.csv"].set_index("hour")["arrivals"]
    assert hours[23] == pytest.approx(3.0) and hours[0] == pytest.approx(1.0)
    assert hours[1] == pytest.approx(1.5) and hours[2] == pytest.approx(0.5)
    assert plan.summary["hourly"]["departure_profiles"]["flows_by_class"] == {"default": 1, "night": 1}
    write_csv(tmp_path / "classes.csv", "flow_id,class", ["T9,night"])
    with pytest.raises(DataError, match="flow 'T9' \\(row 2\\) is not a flow of the scenario"):
        run(tmp_path, flows=["T1,N0,N2,4"], hourly=files)
    write_csv(tmp_path / "classes.csv", "flow_id,class", ["T1,day"])
    with pytest.raises(DataError, match="class 'day' of flow 'T1' \\(row 2\\) is not in profiles.csv"):
        run(tmp_path, flows=["T1,N0,N2,4"], hourly=files)
    write_csv(tmp_path / "profiles.csv", "class,h0", ["night,1"])
    with pytest.raises(DataError, match="missing column\\(s\\) h1, h2"):
        run(tmp_path, flows=["T1,N0,N2,4"], hourly=files)
    write_csv(
        tmp_path / "profiles.csv", "class," + ",".join(f"h{h}" for h in range(24)), ["night," + ",".join(["x"] * 24)]
    )
    with pytest.raises(DataError, match="class 'night' column h0 is not a share ≥ 0 \\(row 2\\)"):
        run(tmp_path, flows=["T1,N0,N2,4"], hourly=files)
    (tmp_path / "profiles.csv").write_text("class;h0;h1\nnight;1;0\n")
    with pytest.raises(DataError, match="profiles.csv: the hourly profiles file separates its columns with ';'"):
        run(tmp_path, flows=["T1,N0,N2,4"], hourly=files)
    write_csv(tmp_path / "profiles.csv", "class," + ",".join(f"h{h}" for h in range(24)), ["night," + "1," * 23 + "1"])
    (tmp_path / "classes.csv").write_bytes(b"flow_id,class\nT1,n\xe4cht\n")
    with pytest.raises(DataError, match="classes.csv: flow classes file is not UTF-8 text \\(line 2"):
        run(tmp_path, flows=["T1,N0,N2,4"], hourly=files)
    (tmp_path / "classes.csv").unlink()
    with pytest.raises(
        DataError, match="flow classes file not found; check the path \\(check hourly.flow_classes_file"
    ):
        run(tmp_path, flows=["T1,N0,N2,4"], hourly=files)


def test_a_grid_cap_no_battery_can_lift_is_an_error(tmp_path: Path) -> None:
    # 20 trucks × 100 kWh = 2 MWh a day at N1 (the only possible stop) through 50 kW: 24 × 50 = 1.2 MWh.
    # The busy-day reserve adds 2 standard deviations of the daily energy: 2 × √(20 × 100²) = 894 kWh.
    grid = {"enabled": True, "default_node_kw": 50.0, "default_edge_kw": 50.0, "max_upgrade_steps": 0}
    message = (
        "no plan of 1 hourly round\\(s\\) sizes every hub: hub N1 has no design \\(its 2.0 MWh a day \\(\\+ a reserve "
        "of 0.9 MWh for busy days\\) exceed 24 h × 50 kW"
    )
    with pytest.raises(InfeasibleError, match=message) as err:
        run(tmp_path, flows=["T,N0,N2,20"], grid=grid, hourly={"connection_step_kw": 10.0})
    assert "rounds more room" not in str(err.value)  # its one round capped nothing: more rounds would repeat it


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"capacity": {"enabled": False}}, "set \\[capacity\\] enabled = true"),
        ({"rollout": {"years": [2026, 2030]}}, "remove rollout.years"),
        ({"objective": {"type": "max_coverage", "max_hubs": 1}}, "use objective.type = 'min_cost'"),
        (
            {"grid": {"enabled": True, "max_batteries_per_hub": 2, "battery_kwh": 100.0, "battery_kw": 50.0}},
            "set grid.max_batteries_per_hub = 0",
        ),
        ({"demand": {"round_trip": True}}, "set demand.round_trip = false"),
    ],
)
def test_contradictory_settings_are_refused(tmp_path: Path, sections: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        run(tmp_path, flows=["T,N0,N2,4"], **sections)


@pytest.mark.parametrize(
    ("hourly", "message"),
    [
        ({"departure_profile": [1.0] * 23}, "departure_profile needs 24 values"),
        ({"tariff_eur_per_mwh": [-1.0] * 24}, "tariff_eur_per_mwh values must be ≥ 0"),
        ({"departure_profile": [0.0] * 24}, "at least one positive share"),
        ({"flow_classes_file": "classes.csv"}, "flow_classes_file needs profiles_file"),
    ],
)
def test_bad_hourly_fields_name_the_field(tmp_path: Path, hourly: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_scenario(scenario(tmp_path, flows=["T,N0,N2,4"], hourly=hourly))


def test_the_verifier_catches_tampered_tables(tmp_path: Path) -> None:
    plan = run(tmp_path, flows=["T,N0,N2,4"])
    table = plan.extras["tables"]["hub_hourly.csv"]
    good = table.copy()

    def failed() -> set[str]:
        return {c.name for c in verify(plan).checks if not c.passed}

    table.loc[5, "grid_kw"] += 50.0
    assert failed() == {"hourly_balance"}
    plan.extras["tables"]["hub_hourly.csv"] = table = good.copy()
    table.loc[1, "arrivals"] += 1.0
    assert "hourly_demand" in failed()
    plan.extras["tables"]["hub_hourly.csv"] = good.copy()
    plan.hubs.loc[:, "chargers_mcs"] = 2
    assert "hourly_queueing" in failed()


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("grid_connection_kw", 501.0, "connection 501 kW is not whole 500 kW steps"),
        ("battery_units", 1.5, "1.5 battery units not allowed"),
        ("battery_kwh", 2001.0, "battery_kwh / battery_kw do not match the units"),
        ("chargers_mcs", 10, "kW of chargers > connection + battery"),
        ("energy_cost_eur_per_year", 17_425.0, "EUR/year from the dispatch"),
        ("capacity_charge_eur_per_year", 50_005.0, "capacity charge ≠ connection × capacity_charge_eur_per_kw_year"),
    ],
)
def test_the_verifier_recomputes_each_hubs_limits_and_money(
    tmp_path: Path, column: str, value: float, reason: str
) -> None:
    # The plan of the first test: N1 with 3 points, a 500 kW connection, one battery unit (2,000 kWh, 1,000 kW).
    # Each field changed alone breaks the hub's row of hourly_balance, naming what is wrong.
    plan = run(tmp_path, flows=["T,N0,N2,4"])
    assert plan.verification.passed
    hub = plan.hubs.iloc[0]
    assert (hub["grid_connection_kw"], hub["battery_units"], hub["battery_kwh"]) == (500.0, 1, 2000.0)
    plan.hubs[column] = plan.hubs[column].astype(float)
    plan.hubs.loc[0, column] = value
    failed = {c.name: c.detail for c in verify(plan).checks if not c.passed}
    assert "hourly_balance" in failed and reason in failed["hourly_balance"], failed


def test_hourly_supersedes_capacity_and_grid(tmp_path: Path) -> None:
    sc = load_scenario(scenario(tmp_path, flows=["T,N0,N2,4"], grid={"enabled": True}))
    names = [f.name for f in enabled_features(sc)]
    assert "hourly" in names and "capacity" not in names and "grid" not in names
    assert np.isclose(sc.hourly.charge_efficiency**2, 0.88)


def test_the_staged_master_leaves_the_charger_count_to_the_hub_subproblem(tmp_path: Path) -> None:
    # capacity.size_levels = "relaxed" (as europe-2030-hourly): stage 1, the master's linear relaxation, bounds
    # the master and picks the sites; stage 2 makes those sites binary but keeps the levels on the hull, so
    # here it prices N1's points between whole levels as stage 1 does, below the exact master's optimum
    # (docs/hourly.md). The charger count is the hub subproblem's: N1 gets the three points of the first test,
    # at the exact master's annual cost, and the staged bound is the weaker one.
    exact = run(tmp_path / "exact", flows=["T,N0,N2,4"])
    staged = run(tmp_path / "staged", flows=["T,N0,N2,4"], capacity={"size_levels": "relaxed"})
    optimum = exact.summary["hourly"]["master"]["exact"]["objective"]
    stages = staged.summary["hourly"]["master"]
    assert stages["stage1"]["status"] == "optimal" and stages["stage2"]["status"] == "optimal"
    assert stages["stage1"]["objective"] < optimum - 1.0
    assert stages["stage2"]["objective"] == pytest.approx(stages["stage1"]["objective"])
    assert staged.hubs[["site_id", "chargers_mcs"]].values.tolist() == [["N1", 3]]
    assert staged.summary["objective_value"] == pytest.approx(exact.summary["objective_value"])
    lower = {name: p.summary["hourly"]["bound"]["lower_eur_per_year"] for name, p in [("e", exact), ("s", staged)]}
    assert lower["s"] < lower["e"] <= exact.summary["objective_value"]
    assert staged.verification.passed


def test_the_staged_masters_start_gives_every_site_a_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Stage 2 starts from stage 1 rounded up: each support site at the cheapest levels taking its busiest hour.
    # Its levels are the hull of those it can need, so a pick off the hull must round up to the next hull
    # level; until 2026-12-05 it left the site without one (Σ_l z = x broken for 9 of the example's 20 support
    # (site, charger type) pairs), and HiGHS was handed an infeasible start.
    class StopError(Exception):
        pass

    starts: dict[tuple[int, int], float] = {}
    original = master_solve._start_from

    def check(m2, m1, spec, support):
        original(m2, m1, spec, support)
        for (k, ti, _li), z in m2.parts["hourly"].level.items():
            if support.get(k):
                starts[k, ti] = starts.get((k, ti), 0.0) + float(z.varValue or 0.0)
        raise StopError

    monkeypatch.setattr(master_solve, "_start_from", check)
    example = ROOT / "scenarios" / "example-hourly.toml"
    path = tmp_path / "s.toml"
    path.write_text(f'extends = "{example.as_posix()}"\nname = "staged"\n[capacity]\nsize_levels = "relaxed"\n')
    with pytest.raises(StopError):
        solve_scenario(load_scenario(path))
    assert len(starts) >= 10 and all(v == pytest.approx(1.0) for v in starts.values())


def test_a_round_that_adds_nothing_ends_the_rounds(tmp_path: Path) -> None:
    # Without batteries the master misses no hour and the plan's prices equal those it was solved with:
    # another round would solve the same master to the same plan and proof (until 2026-12-06 all three ran).
    messages: list[str] = []
    path = scenario(
        tmp_path,
        flows=["T,N0,N2,4", "U,N2,N0,3"],
        hourly={"max_rounds": 3, "max_battery_units": 0},
        solver={"mip_gap": 0.0},
    )
    plan = solve_scenario(load_scenario(path), log=messages.append)
    hourly = plan.summary["hourly"]
    assert len(hourly["rounds"]) == 1 and hourly["bound"]["gap"] > 0  # above the target, yet nothing to add
    assert "hourly: round 1 added no hour, cap or price; another round would repeat it" in messages
    assert plan.verification.passed


def test_a_grid_cap_spreads_the_stops_over_every_site_it_would_overload(tmp_path: Path) -> None:
    # 60 trucks N0→N2 may charge at any of the five sites 25 km apart between km 50 and 150 (range 150 km);
    # each charges the kWh it drove. No site's 250 kW connection carries them all (one site: 9.0 MWh a day
    # > 24 h × 250 kW = 6 MWh), so round 1's hub has no design. Its session cap alone moved the trucks to
    # the next site, which then had no design either (until 2026-12-06 round 2 failed so); now every site
    # whose grid could be outgrown is capped from what the failed hub's trucks charged, and round 2 splits
    # the trucks over two hubs that each fit.
    plan = run(
        tmp_path,
        flows=["T,N0,N2,60"],
        candidates={"spacing_km": 25.0},
        hourly={"max_rounds": 2, "departure_profile": FLAT, "max_connection_kw": 250.0, "connection_step_kw": 10.0},
        solver={"mip_gap": 0.01},
    )
    hubs = plan.hubs
    assert len(plan.summary["hourly"]["rounds"]) == 2 and len(hubs) == 2
    assert hubs["sessions_per_day"].sum() == pytest.approx(60.0, abs=1e-3)
    assert (hubs["grid_connection_kw"] <= 250.0).all()
    assert plan.verification.passed


def test_chargers_no_connection_can_power_leave_no_plan_at_once(tmp_path: Path) -> None:
    # Every hub needs a 300 kW point; without batteries a 200 kW connection carries 0.8 × 250 kW at most, so
    # no hub design exists anywhere: the master has no plan and says which settings (before 2026-12-06 the
    # rounds opened hubs whose subproblems then found no design).
    with pytest.raises(InfeasibleError, match="hourly.max_connection_kw=200 with hourly.max_battery_units=0") as err:
        run(
            tmp_path,
            flows=["T,N0,N2,20"],
            candidates={"spacing_km": 25.0},
            hourly={"max_battery_units": 0, "departure_profile": FLAT, "max_connection_kw": 200.0},
        )
    assert "hourly.simultaneity=0.8" in str(err.value) and "no design" not in str(err.value)
    # With [grid] on, each site's own capacity and upgrades set the limit.
    grid = {"enabled": True, "default_node_kw": 100.0, "default_edge_kw": 100.0, "max_upgrade_steps": 0}
    with pytest.raises(InfeasibleError, match="each site's grid capacity plus grid.max_upgrade_steps=0"):
        run(tmp_path / "grid", flows=["T,N0,N2,20"], grid=grid, hourly={"max_battery_units": 0})


def test_a_capped_master_is_solved_to_a_looser_gap() -> None:
    # A master with session caps proves nothing; its plan only steers load (since 2026-12-06).
    spec = MasterSpec((), (), 0.0, {}, {})
    config = load_scenario(ROOT / "scenarios" / "example-hourly.toml").solver.model_copy(update={"mip_gap": 0.01})
    assert master_solve._gap(spec, config) == 0.01
    assert master_solve._gap(replace(spec, caps={3: 10.0}), config) == master_solve._CAPPED_GAP == 0.05


def test_the_closest_plan_names_the_hub_without_a_design() -> None:
    # Rounds whose plans all leave hubs without a design: the error names a hub of the round with the fewest
    # (until 2026-12-06 always round 1's, though a later round might have sized it); a costed plan beats any.
    def plan(designs: list, upper: float) -> decompose.HubPlan:
        n = len(designs)
        return decompose.HubPlan(
            None, np.arange(n), None, np.zeros((n, 24)), np.zeros((n, 24)), np.zeros(n), designs, upper
        )

    two, one, sized = plan([None, None, object()], np.inf), plan([None, object()], np.inf), plan([object()], 9.0)
    assert decompose._better(one, two) and not decompose._better(two, one) and not decompose._better(one, one)
    assert decompose._better(sized, one) and not decompose._better(one, sized)
    assert decompose._better(plan([object()], 8.0), sized) and not decompose._better(sized, sized)


def test_a_level_without_standing_points_costs_its_points_as_before() -> None:
    # Without points standing, a level costs its points times one point's annuity plus power, as the master
    # priced it before existing points (2026-12-06: the same sum taken apart changed the last bits of the
    # coefficients, and HiGHS then broke a tie in example-hourly another way, 59 EUR a year dearer).
    from planner.features.capacity.model import TypeLevels

    mcs = TypeLevels("mcs", (0, 1, 3, 7), (0.0, 10.0, 40.0, 99.0), 400_000.0, 1000.0)
    ccs = TypeLevels("ccs", (0, 2, 5), (0.0, 15.0, 50.0), 90_000.0, 400.0)
    spec = MasterSpec(
        (mcs, ccs), (12_958.418, 11_987.61), 0.0, {}, {}, power_price={4: 42.52}, existing={(4, 1): 3, (5, 0): 1}
    )
    for k in (4, 5, 6):
        point = spec.point_costs(k)
        for ti, tl in enumerate(spec.types):
            for li, n in enumerate(tl.servers):
                standing = spec.existing.get((k, ti), 0)
                want = (
                    n * point[ti]
                    if standing == 0
                    else max(n - standing, 0) * spec.charger_annual[ti]
                    + n * (spec.power_price.get(k, 0.0) * tl.power_kw)
                )
                assert spec.level_cost(k, ti, li) == pytest.approx(want, rel=1e-15)
                if standing == 0:
                    assert spec.level_cost(k, ti, li) == n * point[ti]  # to the last bit
