"""The command line: a run writes every file; every user error is one line, non-zero, no output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, base_scenario, write_csv, write_scenario


def cli(*args: str, cwd: Path | None = None, module: str = "planner.cli") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=300
    )


def test_run_example_writes_all_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = cli("run", str(ROOT / "scenarios" / "example-corridor.toml"), "--out", str(out))
    assert res.returncode == 0, res.stderr
    names = {p.name for p in out.iterdir()}
    assert {
        "summary.json",
        "hubs.csv",
        "flows.csv",
        "plan.gpkg",
        "hubs.geojson",
        "flows.geojson",
        "network.geojson",
        "map.png",
        "map.svg",
        "map.html",
        "report.html",
    } <= names
    summary = json.loads((out / "summary.json").read_text())
    keys = "scenario status objective_value best_bound mip_gap solver solve_seconds hub_count total_volume"
    for key in (*keys.split(), "covered_volume", "covered_share", "total_cost_eur", "vehicle", "verification"):
        assert key in summary
    assert summary["verification"]["passed"] is True
    for key in ("range_start_km", "range_between_hubs_km", "arrival_reserve_km"):
        assert key in summary["vehicle"]
    assert "example-corridor: optimal" in res.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no temp folders left


def test_quiet_and_verbose_together_are_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    res = CliRunner().invoke(
        app, ["run", str(ROOT / "scenarios" / "example-corridor.toml"), "-o", str(tmp_path / "o"), "-q", "-v"]
    )
    assert res.exit_code == 2 and not (tmp_path / "o").exists()
    assert res.stderr.strip() == "error: give -q (no progress output) or -v (the solver's log too), not both."


def test_validate_and_schema() -> None:
    res = cli("validate", str(ROOT / "scenarios" / "example-corridor.toml"))
    assert res.returncode == 0 and "valid" in res.stdout
    assert "note:" not in res.stdout  # the shipped scenarios set nothing that goes unused
    res = cli("schema")
    schema = json.loads(res.stdout)
    assert "vehicle" in schema["properties"]


def _bad_cases(tmp: Path) -> dict[str, tuple[dict, str]]:
    """name → (scenario dict, text the one-line error must contain)."""
    flows = ["A,N0,N4,10"]
    cases = {}
    d = base_scenario(tmp, flows=flows)
    d["vehicle"]["batery_kwh"] = 500
    cases["unknown_key"] = (d, "did you mean 'battery_kwh'")
    d = base_scenario(tmp, flows=flows)
    d["vehicle"]["soc_min"] = 1.5
    cases["out_of_range"] = (d, "vehicle.soc_min")
    d = base_scenario(tmp, flows=flows)
    d["network"]["nodes"] = "missing.csv"
    cases["missing_file"] = (d, "missing.csv: nodes file not found")
    d = base_scenario(tmp, flows=flows, objective={"type": "min_cost", "max_hubs": None, "coverage_target": 1.0})
    d["objective"].pop("max_hubs")
    d["vehicle"]["battery_kwh"] = 50.0  # 37.5 km range: nothing is servable
    cases["infeasible_target"] = (d, "cannot be met")
    d = base_scenario(tmp, flows=["A,N0,N4,10", "B,N1,N4,5"], solver={"max_model_pairs": 1, "coverage_rows": "all"})
    cases["model_too_large"] = (d, "over solver.max_model_pairs = 1: set demand.max_flows")
    d = base_scenario(tmp, flows=flows, objective={"budget_eur": 999.0})
    d["objective"].pop("max_hubs")
    cases["budget_buys_no_hub"] = (d, "objective.budget_eur = 999 EUR buys no hub: a new hub costs at least 1,000 EUR")
    d = base_scenario(tmp, flows=flows)
    d["rollout"] = {"years": [2026, 2030], "budget_per_year_eur": [0.0, 150.0]}
    cases["rollout_budgets_buy_no_hub"] = (
        d,
        "rollout.budget_per_year_eur: no year's budget buys a hub (the largest is 150 EUR): a new hub costs at least "
        "1,000 EUR",
    )
    d = base_scenario(tmp, flows=flows, objective={"max_hubs": 0})
    cases["no_hub_allowed"] = (d, "objective.max_hubs = 0 allows no hub and there is no existing hub")
    d = base_scenario(tmp, flows=flows)
    d["vehicle"]["battery_kwh"] = 0.2  # MWh written where kWh are meant
    cases["nothing_servable"] = (
        d,
        "no flow can be served, even with every candidate site open: this vehicle drives 0 km from its origin and "
        "0 km between charges (vehicle.battery_kwh = 0.2 kWh, consumption_kwh_per_km = 1), the shortest flow is 400 km",
    )
    d = base_scenario(tmp, flows=flows, objective={"type": "min_cost", "max_hubs": 1})  # A needs N1, N2, N3
    cases["limits_below_every_flow"] = (
        d,
        "no plan meets the limit objective.max_hubs = 1 while serving every servable flow (min_cost); relax it or "
        "set objective.coverage_target.",
    )
    return cases


@pytest.mark.parametrize(
    "case",
    [
        "unknown_key",
        "out_of_range",
        "missing_file",
        "infeasible_target",
        "model_too_large",
        "budget_buys_no_hub",
        "rollout_budgets_buy_no_hub",
        "no_hub_allowed",
        "limits_below_every_flow",
        "nothing_servable",
    ],
)
def test_user_errors_are_one_line_without_output(tmp_path: Path, case: str) -> None:
    from tests.conftest import line_network

    line_network(tmp_path, 5)
    data, expected = _bad_cases(tmp_path)[case]
    sc = write_scenario(tmp_path / "bad.toml", data)
    out = tmp_path / "results"
    res = cli("run", str(sc), "--out", str(out))
    assert res.returncode != 0
    lines = [ln for ln in res.stderr.splitlines() if ln.strip() and not ln.startswith("planner:")]
    assert len(lines) == 1, res.stderr
    assert expected in lines[0]
    if case != "missing_file":  # that one names the data file
        assert lines[0].startswith(f"error: {sc}: "), lines[0]
    assert "Traceback" not in res.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".results")]


@pytest.mark.parametrize("objective", ["min_cost", "max_coverage"])
def test_a_plain_cover_or_lazy_windows_are_not_limited_by_max_model_pairs(tmp_path: Path, objective: str) -> None:
    # A plain set cover has no served-variables, and max coverage with lazy windows builds only the
    # rounds' small models: solver.max_model_pairs applies to neither.
    from tests.conftest import line_network

    line_network(tmp_path, 5)
    data = base_scenario(
        tmp_path,
        flows=["A,N0,N4,10", "B,N1,N4,5"],
        solver={"max_model_pairs": 1, "coverage_rows": "lazy"},
        objective={"type": objective, "max_hubs": 3},
    )
    if objective == "min_cost":
        data["objective"].pop("max_hubs")
    res = cli("run", str(write_scenario(tmp_path / "cover.toml", data)), "--out", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["covered_share"] == 1.0 and summary["hub_count"] >= 1
    assert ("lazy windows" in summary["solver_message"]) == (objective == "max_coverage")


@pytest.mark.parametrize(
    ("nodes", "edges", "flows", "expected"),
    [
        (["A,a,5,45", "B,b,6,45", "C,c,7,45", "D,d,8,45"], ["A,B,90", "C,D,90"], ["F,A,B,1"], "not connected"),
        (["A,a,5,45", "B,b,6,45"], ["A,B,90"], ["F,A,Z,1"], "unknown node(s) Z"),
        (["A,a,5,45", "A,b,6,45"], ["A,B,90"], ["F,A,B,1"], "appears more than once"),
        (["A,a,5,45", "B,b,6,45"], ["A,B,-3"], ["F,A,B,1"], "lengths must be positive"),
        (["A,a,5,45", "B,b,6,95"], ["A,B,90"], ["F,A,B,1"], "outside WGS84"),
        (["A,a,5,45", "B,b,6,45"], ["A,B,9"], ["F,A,B,1"], "shorter than the straight line"),
        (["A,a,5,45", "B,b,6,45"], ["A,X,90"], ["F,A,B,1"], "unknown node 'X'"),
        (["A,a,5,45", "B,b,6,45"], ["A,B,90"], ["F,A,B,zero"], "positive number of trucks/day"),
        (["A,a,5,45", "B,b,6,45"], ["A,B,90"], ["F,A,A,1"], "flow 'F' starts and ends at the same node"),
        (["A,a,5,45", "B,b,6,45"], ["A,B,90"], ["F,A,B,1", "F,B,A,2"], "flow id 'F' appears more than once"),
        (["A,a,5,45", "B,b,6,45"], ["A,B,90"], ["F,A,B,1", ",B,A,2"], "some flows have an id and some not"),
        (["A,a,5,45", "B,b,6,45"], ["A,B,90"], [], "no flows; add at least one row"),
        (["A,a,5,45", "B,b,6,45"], ["A,B,90"], ['F,A,B,"1,5"'], "(at most 10,000,000) (use '.' as the decimal point)"),
        (['A,a,"5,5",45', "B,b,6,45"], ["A,B,90"], ["F,A,B,1"], "'5,5' at A; give a number (use '.' as the decimal"),
    ],
    ids=[
        "disconnected",
        "flow_unknown_node",
        "duplicate_id",
        "negative_length",
        "bad_lat",
        "too_short",
        "edge_unknown_node",
        "bad_volume",
        "flow_same_node",
        "duplicate_flow_id",
        "mixed_flow_ids",
        "no_flows",
        "decimal_comma_volume",
        "decimal_comma_lon",
    ],
)
def test_data_errors(tmp_path: Path, nodes, edges, flows, expected) -> None:
    write_csv(tmp_path / "nodes.csv", "id,name,lon,lat", nodes)
    write_csv(tmp_path / "edges.csv", "u,v,length_km", edges)
    data = base_scenario(tmp_path, flows=[])
    write_csv(tmp_path / "flows.csv", "id,origin,destination,volume", flows)
    sc = write_scenario(tmp_path / "s.toml", data)
    res = cli("validate", str(sc))
    assert res.returncode != 0
    assert expected in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("bad_nodes", "expected"), [(False, "roads/links.csv: edge A–B"), (True, "places/nodes.csv: node 'B'")]
)
def test_data_errors_name_the_file_when_nodes_and_edges_live_apart(tmp_path: Path, bad_nodes, expected) -> None:
    (tmp_path / "places").mkdir()
    (tmp_path / "roads").mkdir()
    write_csv(tmp_path / "places" / "nodes.csv", "id,name,lon,lat", ["A,a,5,45", f"B,b,6,{95 if bad_nodes else 45}"])
    write_csv(tmp_path / "roads" / "links.csv", "u,v,length_km", ["A,B,90" if bad_nodes else "A,B,-3"])
    data = base_scenario(tmp_path, flows=["F,A,B,1"], network={"nodes": "places/nodes.csv", "edges": "roads/links.csv"})
    res = cli("validate", str(write_scenario(tmp_path / "s.toml", data)))
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert f"{tmp_path}/{expected}" in res.stderr, res.stderr


def test_unreachable_flow_on_oneway_network(tmp_path: Path) -> None:
    write_csv(tmp_path / "nodes.csv", "id,name,lon,lat", ["A,a,5,45", "B,b,6,45"])
    write_csv(tmp_path / "edges.csv", "u,v,length_km,oneway", ["A,B,90,true"])
    data = base_scenario(tmp_path, flows=["back,B,A,3"])
    sc = write_scenario(tmp_path / "s.toml", data)
    res = cli("validate", str(sc))
    assert res.returncode != 0 and "cannot reach" in res.stderr and "back" in res.stderr


def test_failed_run_keeps_previous_output(tmp_path: Path) -> None:
    from tests.conftest import line_network

    line_network(tmp_path, 5)
    out = tmp_path / "results"
    good = write_scenario(tmp_path / "good.toml", base_scenario(tmp_path, flows=["A,N0,N2,10"]))
    assert cli("run", str(good), "--out", str(out)).returncode == 0
    before = (out / "summary.json").read_bytes()
    data = base_scenario(tmp_path, flows=["A,N0,N2,10"])
    data["demand"]["flows"] = "nope.csv"
    bad = write_scenario(tmp_path / "bad.toml", data)
    assert cli("run", str(bad), "--out", str(out)).returncode != 0
    assert (out / "summary.json").read_bytes() == before


def _size_context(limit: int, coverage_rows: str, rollout: object) -> object:
    """A run context holding 1,000 (flow group, window) pairs, as far as ``_check_model_size`` reads it."""
    from types import SimpleNamespace

    return SimpleNamespace(
        scenario=SimpleNamespace(
            name="s",
            where="s.toml",
            solver=SimpleNamespace(max_model_pairs=limit, coverage_rows=coverage_rows, start_flows=None),
            objective=SimpleNamespace(type="max_coverage"),
            rollout=rollout,
        ),
        instance=SimpleNamespace(cover=SimpleNamespace(group_window_pairs=lambda: 1_000), flow_ids=["F"] * 10),
        data={},
    )


@pytest.mark.parametrize("mode", ["foresight", "myopic"])
def test_a_rollout_refined_lazily_is_not_limited_by_max_model_pairs(mode: str) -> None:
    # Lazily refined (max coverage without assigned stops, a rollout too), no model holds every pair.
    from types import SimpleNamespace

    from planner.stages import _check_model_size

    ctx = _size_context(500, "lazy", SimpleNamespace(years=[2026, 2028, 2030, 2032, 2035], mode=mode))
    _check_model_size(ctx, assigns=False)
    assert ctx.data["lazy_windows"] is True


def test_a_model_assigning_stops_counts_each_pair_three_times() -> None:
    # 1,000 pairs fit a 2,000-pair limit as rows of a max-coverage model, not with [capacity]'s
    # assignments on top (3,000 counted): the error says so.
    from types import SimpleNamespace

    from planner.errors import ScenarioError
    from planner.stages import _check_model_size

    ctx = _size_context(2_000, "all", SimpleNamespace(years=None))
    _check_model_size(ctx, assigns=False)
    with pytest.raises(ScenarioError, match="stops assigned to hubs.*counted 3 times.*max_model_pairs = 2,000"):
        _check_model_size(ctx, assigns=True)


@pytest.mark.parametrize(("mode", "fits"), [("foresight", False), ("myopic", True)])
def test_a_foresight_rollout_counts_each_pair_once_per_year(mode: str, fits: bool) -> None:
    # One foresight model holds every year's cover rows (europe-rollout-2026-2035 with 20,000 flows:
    # 240,949 pairs × 5 years peaked at 4.27 GB); a myopic rollout builds one year at a time.
    from types import SimpleNamespace

    from planner.errors import ScenarioError
    from planner.stages import _check_model_size

    ctx = _size_context(4_000, "auto", SimpleNamespace(years=[2026, 2028, 2030, 2032, 2035], mode=mode))
    if fits:
        _check_model_size(ctx, assigns=False)
        assert ctx.data["lazy_windows"] is False  # 1,000 pairs: every window at once, within the limit
        return
    once = r"\(flow group, window\) pairs once for each of its 5 years \(~0 GB\), over solver.max_model_pairs = 4,000"
    with pytest.raises(ScenarioError, match=once):
        _check_model_size(ctx, assigns=False)


@pytest.mark.parametrize(
    "case",
    [
        "model_too_large",
        "budget_buys_no_hub",
        "rollout_budgets_buy_no_hub",
        "no_hub_allowed",
        "hourly_alone",
        "infeasible_target",
        "nothing_servable",
    ],
)
def test_validate_refuses_what_a_run_refuses_before_its_solve(tmp_path: Path, case: str) -> None:
    # Until 2026-12-06 validate read the files only: these passed as "valid" and failed a run at once.
    from tests.conftest import line_network

    line_network(tmp_path, 5)
    cases = _bad_cases(tmp_path)
    d = base_scenario(tmp_path, flows=["A,N0,N4,10"], hourly={"enabled": True})
    cases["hourly_alone"] = (d, "hourly.enabled sizes the hubs of the plan's stop assignment: set [capacity]")
    data, expected = cases[case]
    res = cli("validate", str(write_scenario(tmp_path / "bad.toml", data)))
    assert res.returncode in (2, 4) and "Traceback" not in res.stderr
    assert res.stderr.count("\n") == 1 and expected in res.stderr


def test_python_dash_m_planner_is_the_same_command_line(tmp_path: Path) -> None:
    ok = cli("validate", "scenarios/example-corridor.toml", module="planner")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == cli("validate", "scenarios/example-corridor.toml").stdout
    bad = cli("validate", str(tmp_path / "missing.toml"), module="planner")
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "not found" in bad.stderr


def test_a_folder_given_as_the_scenario_is_named_as_such(tmp_path: Path) -> None:
    out = cli("validate", str(tmp_path))
    assert out.returncode == 2
    assert out.stderr == f"error: {tmp_path}: is a folder, not a scenario file; give the path of a .toml file.\n"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (["X1,a,N1,false", "X1,b,N2,false"], "sites.csv: site id 'X1' is listed twice; rename one."),
        (
            ["N1,a,N2,false"],
            "sites.csv: site id 'N1' is also the id of a site from the network's nodes (candidates.include_nodes); "
            "rename one.",
        ),
    ],
    ids=["twice_in_the_file", "a_node_id"],
)
def test_a_clash_of_site_ids_names_the_file(tmp_path: Path, rows: list[str], expected: str) -> None:
    from tests.conftest import line_network

    line_network(tmp_path, 3)
    write_csv(tmp_path / "sites.csv", "site_id,name,node,locked", rows)
    data = base_scenario(tmp_path, flows=["A,N0,N2,10"], candidates={"sites": "sites.csv"})
    res = cli("validate", str(write_scenario(tmp_path / "s.toml", data)))
    assert res.returncode == 3 and res.stderr == f"error: {tmp_path / expected}\n"


def test_a_log_file_inside_the_output_folder_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    # It was created there first, then refused as a file the planner did not write beside the plan, and
    # stayed to block every later run into the folder.
    out = tmp_path / "out"
    scenario = str(ROOT / "scenarios" / "example-corridor.toml")
    res = cli("run", scenario, "--out", str(out), "--log-file", str(out / "run.log"), "--no-maps")
    assert res.returncode == 7 and not out.exists() and "Traceback" not in res.stderr
    assert res.stderr == (
        f"error: --log-file {out / 'run.log'}: is inside the output folder {out}, which a run replaces as a whole; "
        f"give a path outside it (e.g. {tmp_path / 'out.log'}).\n"
    )
    res = cli("run", scenario, "--out", str(out), "--log-file", str(tmp_path / "out.log"), "--no-maps")
    assert res.returncode == 0 and (tmp_path / "out.log").read_text().count("\n") > 10


def test_the_last_line_gives_the_truck_km_share_when_the_objective_counts_truck_km(tmp_path: Path) -> None:
    from tests.conftest import line_network

    line_network(tmp_path, 5)
    # One hub: A (N0→N2, 200 km) gets it at N1, B (100 km) needs none, C (N0→N4, 400 km) needs two. Served:
    # 40 of 45 trucks/day (88.9 %) but 5,000 of 7,000 truck-km (71.4 %), what the objective counts.
    data = base_scenario(
        tmp_path,
        flows=["A,N0,N2,10", "B,N0,N1,30", "C,N0,N4,5"],
        objective={"type": "max_coverage", "max_hubs": 1, "metric": "truck_km"},
    )
    res = cli("run", str(write_scenario(tmp_path / "s.toml", data)), "--out", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    share = summary["covered_truck_km"] / summary["total_truck_km"]
    assert share == pytest.approx(5 / 7) and "served 88.9% of 45.0 trucks/day (71.4% of their truck-km)," in res.stdout
