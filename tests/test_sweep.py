"""Parameter sweeps: grid expansion, results, resume, failures, validation, process pool and Dask."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import planner.api
from planner.cli import app
from planner.compare import format_points
from planner.errors import ScenarioError
from planner.outdir import MARKER as OUTPUT_MARKER
from planner.sweep import MARKER, SweepResult, load_sweep, run_sweep
from tests.conftest import base_scenario, line_network, write_scenario

# On the 5-node line (100 km steps) with one hub: a 150 kWh truck (112.5 km range) serves B and D
# (12 of 28 trucks/day), a 300 kWh truck (225 km) serves everything from a hub at N2.
FLOWS = ["A,N0,N4,10", "B,N0,N2,7", "C,N2,N4,6", "D,N1,N2,5"]
GRID = '"vehicle.battery_kwh" = [150, 300]\n"costs.site_fixed_eur" = [1000, 2000]\n'
SHARE = {150: 12 / 28, 300: 1.0}
TARGETS = [0.3, 0.6, 1.0]


def make_sweep_file(folder: Path, grid: str = GRID, *, extra: str = "", **sections: dict) -> Path:
    """Line network, base scenario and sweep file in ``folder``; returns the sweep file."""
    line_network(folder, 5)
    write_scenario(folder / "base.toml", base_scenario(folder, flows=FLOWS, **sections))
    path = folder / "sweep.toml"
    path.write_text(f'base = "base.toml"\nname = "bx"\n{extra}[grid]\n{grid}')
    return path


def kpis(result: SweepResult) -> list[tuple]:
    return [
        (p.name, p.hub_count, round(p.covered_share, 9), p.total_cost_eur)
        for p in result.points
        if p.status in ("ok", "skipped")
    ]


def grid_name(battery: int, fixed: int) -> str:
    return f"bx-vehicle.battery_kwh_{battery}-costs.site_fixed_eur_{fixed}"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SweepResult]:
    """The 2×2 grid plus a 3-point trade-off curve, run in-process once for the module."""
    folder = tmp_path_factory.mktemp("sweep")
    path = make_sweep_file(folder, extra="[tradeoff]\ncoverage_targets = [0.3, 0.6, 1.0]\n")
    return path, run_sweep(load_sweep(path), folder / "out")


def test_grid_points_run_with_expected_results(reference: tuple[Path, SweepResult]) -> None:
    path, result = reference
    grid = [(b, f) for b in (150, 300) for f in (1000, 2000)]
    names = [grid_name(b, f) for b, f in grid] + [f"bx-target_{t}" for t in TARGETS]
    assert [p.name for p in result.points] == names
    assert [p.status for p in result.points] == ["ok"] * 7 and result.ok
    for p, (battery, fixed) in zip(result.points[:4], grid, strict=True):
        assert p.overrides == (("vehicle.battery_kwh", battery), ("costs.site_fixed_eur", fixed))
        assert (p.hub_count, p.total_cost_eur) == (1, fixed)
        assert p.covered_share == pytest.approx(SHARE[battery])
    assert len(set(kpis(result)[:4])) == 4  # distinct results
    # Bigger battery, never less served.
    assert result.points[2].covered_share > result.points[0].covered_share

    out = result.out_dir
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.columns[:4]) == ["point", "kind", "vehicle.battery_kwh", "costs.site_fixed_eur"]
    assert table["vehicle.battery_kwh"].head(4).tolist() == [150, 150, 300, 300]
    assert table["status"].tolist() == ["ok"] * 7
    assert table["run_dir"].tolist() == [f"runs/{n}" for n in names]
    assert {"hub_count", "covered_share", "total_cost_eur", "mip_gap", "seconds"} <= set(table.columns)
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["counts"] == {"ok": 7, "skipped": 0, "failed": 0}
    assert doc["points"][0]["overrides"] == {"vehicle.battery_kwh": 150, "costs.site_fixed_eur": 1000}
    assert json.loads((out / "failures.json").read_text()) == []
    compare = pd.read_csv(out / "compare" / "kpis.csv")
    assert compare["run"].tolist() == names

    run_dir = out / "runs" / names[0]
    marker = json.loads((run_dir / MARKER).read_text())
    assert marker["overrides"] == {"vehicle.battery_kwh": 150, "costs.site_fixed_eur": 1000}
    assert marker["scenario_hash"] == load_sweep(path).points[0].scenario_hash  # stable across loads
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["scenario"] == names[0] and "tradeoff" not in summary  # output.tradeoff_points = 0
    assert not (run_dir / "map.png").exists()  # output.maps = false
    assert not [p for p in out.rglob(".*") if p.name != OUTPUT_MARKER]  # no temporary files or folders left


def test_tradeoff_curve_cost_rises_with_target(reference: tuple[Path, SweepResult]) -> None:
    _, result = reference
    curve = [p for p in result.points if p.kind == "tradeoff"]
    assert [dict(p.overrides)["objective.coverage_target"] for p in curve] == TARGETS
    assert all(dict(p.overrides)["objective.type"] == "min_cost" for p in curve)
    costs = [p.total_cost_eur for p in curve]
    assert costs == sorted(costs) and costs[0] < costs[-1]
    for p, target in zip(curve, TARGETS, strict=True):
        assert p.covered_share >= target - 1e-9


def test_process_pool_gives_the_same_results(reference: tuple[Path, SweepResult], tmp_path: Path) -> None:
    path, expected = reference
    result = run_sweep(load_sweep(path), tmp_path / "out", workers=2)
    assert [p.status for p in result.points] == ["ok"] * 7
    assert kpis(result) == kpis(expected)


def test_dask_cluster_gives_the_same_results(reference: tuple[Path, SweepResult], tmp_path: Path) -> None:
    try:
        from distributed import LocalCluster
    except ImportError as exc:  # CI installs it; never skip silently
        pytest.fail(f"Dask distributed is not installed ({exc}); pip install 'dask[distributed]'")
    path, expected = reference
    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        result = run_sweep(load_sweep(path), tmp_path / "out", scheduler=cluster.scheduler_address)
    assert [p.status for p in result.points] == ["ok"] * 7
    assert kpis(result) == kpis(expected)


def test_resume_skips_finished_points_and_reruns_changed_ones(tmp_path: Path) -> None:
    path = make_sweep_file(tmp_path)
    out = tmp_path / "out"
    first = run_sweep(load_sweep(path), out)
    assert [p.status for p in first.points] == ["ok"] * 4

    def stamps() -> dict[str, tuple[int, int]]:
        return {
            d.name: (d.stat().st_mtime_ns, (d / "summary.json").stat().st_mtime_ns) for d in (out / "runs").iterdir()
        }

    before = stamps()
    res = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "0 ran, 4 resumed, 0 failed" in res.stdout
    assert stamps() == before
    second = json.loads((out / "sweep.json").read_text())
    assert [p["status"] for p in second["points"]] == ["skipped"] * 4
    assert [p["covered_share"] for p in second["points"]] == [p.covered_share for p in first.points]

    # A missing run folder reruns alone; a changed base reruns everything; changed data change the hash.
    shutil.rmtree(out / "runs" / grid_name(300, 2000))
    third = run_sweep(load_sweep(path), out)
    assert [p.status for p in third.points] == ["skipped"] * 3 + ["ok"]
    base = base_scenario(tmp_path, flows=FLOWS, chargers={"mcs": {"capex_eur": 10.0, "min_per_hub": 1}})
    write_scenario(tmp_path / "base.toml", base)
    fourth = run_sweep(load_sweep(path), out)
    assert [p.status for p in fourth.points] == ["ok"] * 4
    assert [p.total_cost_eur for p in fourth.points] == [1010.0, 2010.0, 1010.0, 2010.0]
    (tmp_path / "flows.csv").write_text((tmp_path / "flows.csv").read_text().replace("N0,N4,10", "N0,N4,11"))
    assert [p.scenario_hash for p in load_sweep(path).points] != [p.scenario_hash for p in fourth.sweep.points]


def test_failed_points_are_recorded_and_the_others_finish(tmp_path: Path) -> None:
    # min_cost for half the volume: a 100 kWh truck (75 km range) can serve nothing, so that target
    # fails at build time; a 300 kWh one (225 km) reaches it without any hub.
    grid = '"vehicle.battery_kwh" = [100, 300]\n"costs.site_fixed_eur" = [1000, 2000]\n'
    path = make_sweep_file(tmp_path, grid, objective={"type": "min_cost", "max_hubs": None, "coverage_target": 0.5})
    out = tmp_path / "out"
    result = run_sweep(load_sweep(path), out)
    assert [p.status for p in result.points] == ["failed", "failed", "ok", "ok"]
    assert not result.ok
    for p, battery in zip(result.failed, ("100", "100"), strict=True):
        assert "coverage_target=0.5 cannot be met" in p.error and "\n" not in p.error
        assert p.error.startswith(f"{path} [grid point vehicle.battery_kwh={battery}, costs.site_fixed_eur="), p.error
        assert p.run_dir is None and not (out / "runs" / p.name).exists()
    failures = json.loads((out / "failures.json").read_text())
    assert [f["point"] for f in failures] == [p.name for p in result.failed]
    assert pd.read_csv(out / "sweep.csv")["status"].tolist() == ["failed", "failed", "ok", "ok"]
    assert [(p.hub_count, p.covered_share) for p in result.points[2:]] == [(0, 18 / 28)] * 2
    assert len(pd.read_csv(out / "compare" / "kpis.csv")) == 2

    # The CLI resumes the good points, retries the failed ones and exits non-zero with one error line.
    res = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--quiet"])
    assert res.exit_code != 0
    assert "0 ran, 2 resumed, 2 failed" in res.stdout
    # the table as planner compare prints its KPIs: shares in %, money in whole EUR, "–" where a point failed
    rows = [line.split() for line in res.stdout.splitlines()[1:5]]
    assert [r[1:] for r in rows] == [["failed", "–", "–", "–", "–"]] * 2 + [
        ["resumed", "0.00", "%", "0", "64.3", "%", "0"]
    ] * 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "2 of 4 point(s) failed" in lines[0] and "cannot be met" in lines[0]


def test_unexpected_exception_fails_its_point_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_run = planner.api.run

    def flaky(scenario, **kwargs):
        if scenario.name == grid_name(150, 2000):
            raise RuntimeError("disk on fire\nsecond line")
        return real_run(scenario, **kwargs)

    monkeypatch.setattr(planner.api, "run", flaky)
    result = run_sweep(load_sweep(make_sweep_file(tmp_path)), tmp_path / "out")
    assert [p.status for p in result.points] == ["ok", "failed", "ok", "ok"]
    assert result.points[1].error == "RuntimeError: disk on fire second line"


@pytest.mark.parametrize(
    ("grid", "extra", "expected"),
    [
        (
            '"vehicle.batery_kwh" = [1]\n',
            "",
            "unknown scenario key 'vehicle.batery_kwh'; did you mean 'vehicle.battery_kwh'?",
        ),
        ('"vehicel.battery_kwh" = [1]\n', "", "did you mean 'vehicle.battery_kwh'?"),
        ('"vehicle" = [1]\n', "", "'vehicle' is a section"),
        ('"output.maps" = [true]\n', "", "'output.maps' cannot be varied"),
        ('"vehicle.battery_kwh" = 600\n', "", "must be a non-empty list"),
        ('"vehicle.battery_kwh" = [600, 600]\n', "", "lists 600 twice"),
        ('"vehicle.battery_kwh" = [600, -5]\n', "", "grid point vehicle.battery_kwh=-5]: 'vehicle.battery_kwh'"),
        ("", "", "nothing to run"),
        ('"vehicle.battery_kwh" = []\n', "", "'vehicle.battery_kwh' must be a non-empty list of values (got [])"),
        (
            '"vehicle.battery_kwh" = [600, true]\n',
            "",
            "[grid point vehicle.battery_kwh=true]: 'vehicle.battery_kwh': Input should be a valid number (got True)",
        ),
        ('"vehicle.battery_kwh" = ["600"]\n', "", "'vehicle.battery_kwh': Input should be a valid number (got '600')"),
        ('"demand.flows" = ["flows.csv", "nope.csv"]\n', "", "[grid] 'demand.flows': 'nope.csv' is not a file"),
        ("", "[tradeoff]\ncoverage_targets = [true]\n", "coverage_targets: true is not a share in (0, 1]"),
        ("", "[tradeoff]\ncoverage_targets = [0.5, 1.5]\n", "1.5 is not a share in (0, 1]"),
        ('"vehicle.battery_kwh" = [600]\n', "gird = 1\n", "unknown key 'gird'; did you mean 'grid'?"),
    ],
    ids=[
        "typo",
        "section_typo",
        "section",
        "reserved",
        "not_list",
        "duplicate",
        "invalid_value",
        "empty",
        "empty_list",
        "bool_not_number",
        "text_not_number",
        "bad_path",
        "bool_target",
        "bad_target",
        "top_level",
    ],
)
def test_sweep_file_errors_are_one_line(tmp_path: Path, grid: str, extra: str, expected: str) -> None:
    path = make_sweep_file(tmp_path, grid, extra=extra)
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert expected in str(info.value) and "\n" not in str(info.value)
    assert str(path) in str(info.value)
    res = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines() == [f"error: {info.value}"]
    assert not (tmp_path / "out").exists()  # nothing ran


def test_a_sweep_file_given_to_run_says_so_and_validate_checks_it(tmp_path: Path) -> None:
    path = make_sweep_file(tmp_path, '"vehicle.battery_kwh" = [600]\n')
    res = CliRunner().invoke(app, ["run", str(path)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.stderr.strip() == (
        f"error: {path}: a sweep file (base, [grid], [tradeoff]), not a scenario; run it with "
        f"`planner sweep {path}`, or give a scenario file."
    )
    res = CliRunner().invoke(app, ["validate", str(path)])  # as planner sweep --dry-run
    assert res.exit_code == 0 and res.stdout.splitlines() == [
        "bx-vehicle.battery_kwh_600  (grid: vehicle.battery_kwh = 600)",
        f"{path}: valid — 1 point(s), each scenario validated; nothing was run",
    ]
    path.write_text(path.read_text().replace("[600]", "[-600]"))
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2 and "[grid point vehicle.battery_kwh=-600]: 'vehicle.battery_kwh'" in res.stderr


def test_axes_that_cannot_change_a_plan_are_named(tmp_path: Path) -> None:
    grid = (
        '"demand.bev_share" = [0.5, 1.0]\n"capacity.max_wait_min" = [5.0, 10.0]\n"vehicle.battery_kwh" = [200, 300]\n'
    )
    notes = load_sweep(make_sweep_file(tmp_path, grid)).notes()
    assert notes == [
        "[grid] 'demand.bev_share' scales every flow alike: without [capacity] sizing the points get the same hubs "
        "and served share, only other trucks/day (vary the battery, budget or hub limit instead, or enable [capacity])",
        "[grid] 'capacity.max_wait_min' varies a setting of [capacity], which is not enabled: no plan changes",
    ]
    # in a rollout with its own yearly shares the demand's share cancels out of every year's volume
    rollout = make_sweep_file(
        tmp_path, '"demand.bev_share" = [0.5, 1.0]\n', rollout={"years": [2026, 2027], "bev_share": [0.5, 1.0]}
    )
    assert load_sweep(rollout).notes() == [
        "[grid] 'demand.bev_share' changes nothing in a rollout with rollout.bev_share, which sets each year's share: "
        "vary rollout.bev_share instead"
    ]
    # with [capacity] the BEV share sizes the hubs and the wait target sets their points: both axes count
    sized = make_sweep_file(
        tmp_path, grid, capacity={"enabled": True}, objective={"type": "min_cost", "max_hubs": None}
    )
    assert load_sweep(sized).notes() == []
    res = CliRunner().invoke(app, ["sweep", str(make_sweep_file(tmp_path, grid)), "-o", str(tmp_path / "o")])
    assert res.exit_code == 0 and res.stderr.count("planner: note: [grid]") == 2
    # --dry-run lists the points and the notes, and runs nothing
    path = make_sweep_file(tmp_path, '"vehicle.battery_kwh" = [200, 300]\n"demand.bev_share" = [0.5]\n')
    res = CliRunner().invoke(app, ["sweep", str(path), "-o", str(tmp_path / "dry"), "--dry-run"])
    assert res.exit_code == 0 and not (tmp_path / "dry").exists()
    assert res.stdout.splitlines() == [
        "bx-vehicle.battery_kwh_200-demand.bev_share_0.5  (grid: vehicle.battery_kwh = 200, demand.bev_share = 0.5)",
        "bx-vehicle.battery_kwh_300-demand.bev_share_0.5  (grid: vehicle.battery_kwh = 300, demand.bev_share = 0.5)",
        "note: " + notes[0],
        f"{path}: valid — 2 point(s), each scenario validated; nothing was run",
    ]


def test_missing_base_is_named(tmp_path: Path) -> None:
    path = tmp_path / "sweep.toml"
    path.write_text('base = "nope.toml"\n[grid]\n"vehicle.battery_kwh" = [600]\n')
    with pytest.raises(ScenarioError, match="base scenario .*nope.toml does not exist"):
        load_sweep(path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'base = 3\n[grid]\n"vehicle.battery_kwh" = [600]\n', "'base' = 3: give the base scenario file name as a"),
        (b'base = "."\n[grid]\n"vehicle.battery_kwh" = [600]\n', "'base' names the folder"),
        (b'[grid]\n"vehicle.battery_kwh" = [600]\n', "missing 'base'"),
        (b'base = "base.toml"\ngrid = [1]\n', "'grid' must be a table of dotted scenario keys"),
        (b'base = "base.toml"\n[tradeoff]\ntargets = [0.5]\n', "[tradeoff] unknown key 'targets'"),
        (b'base = "base.toml"\nname = "a b"\n[grid]\n"vehicle.battery_kwh" = [600]\n', "'name' = 'a b': use up to"),
        (b'base = "base.toml"\n[grid\n', "not valid TOML"),
        (b'base = "b\xe4se.toml"\n', "not UTF-8 text (byte 9); save the file as UTF-8."),
        (b'extends = "base.toml"\nname = "s"\n', "a scenario file, not a sweep file; run it with `planner run "),
    ],
    ids=[
        "base_not_text",
        "base_folder",
        "no_base",
        "grid_not_table",
        "tradeoff_key",
        "bad_name",
        "toml",
        "utf8",
        "scenario",
    ],
)
def test_sweep_file_content_errors_are_one_line(tmp_path: Path, content: bytes, expected: str) -> None:
    make_sweep_file(tmp_path)
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert str(info.value).startswith(f"{path}: ") and expected in str(info.value)
    assert "\n" not in str(info.value)
    res = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert (res.exit_code, res.stderr.strip().splitlines()) == (2, [f"error: {info.value}"])


def test_sweep_file_that_is_a_folder_or_missing(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"is a folder, not a sweep file; give the sweep TOML file\.$"):
        load_sweep(tmp_path)
    with pytest.raises(ScenarioError, match=r"nope.toml: sweep file not found; check the path\.$"):
        load_sweep(tmp_path / "nope.toml")


def test_grid_paths_are_relative_to_the_sweep_file_and_name_points_as_written(tmp_path: Path) -> None:
    path = make_sweep_file(tmp_path, '"demand.flows" = ["flows.csv", "more/flows-2.csv"]\n')
    (tmp_path / "more").mkdir()
    shutil.copy(tmp_path / "flows.csv", tmp_path / "more" / "flows-2.csv")
    sweep = load_sweep(path)
    assert [p.name for p in sweep.points] == ["bx-demand.flows_flows.csv", "bx-demand.flows_more_flows_2.csv"]
    assert sweep.grid == (("demand.flows", (str(tmp_path / "flows.csv"), str(tmp_path / "more" / "flows-2.csv"))),)
    assert sweep.points[1].scenario.demand.flows == tmp_path / "more" / "flows-2.csv"
    assert sweep.points[0].scenario_hash != sweep.points[1].scenario_hash  # same data, other file name


def test_a_grid_axis_can_remove_an_optional_setting(tmp_path: Path) -> None:
    """The value "none" removes a setting in a sweep point as in a scenario file, also a path setting."""
    path = make_sweep_file(tmp_path, '"candidates.spacing_km" = [50.0, "none"]\n"candidates.sites" = ["none"]\n')
    sweep = load_sweep(path)
    assert [p.name for p in sweep.points] == [
        "bx-candidates.spacing_km_50.0-candidates.sites_none",
        "bx-candidates.spacing_km_none-candidates.sites_none",
    ]
    assert [p.scenario.candidates.spacing_km for p in sweep.points] == [50.0, None]
    assert {p.scenario.candidates.sites for p in sweep.points} == {None}


def test_a_trade_off_curve_on_a_rollout_base_is_refused_naming_the_sweep_file(tmp_path: Path) -> None:
    """Until 2026-12-06 each [tradeoff] point of a rollout base failed with the advice to set
    rollout.coverage_target in a scenario file the user never wrote (the point's)."""
    path = make_sweep_file(tmp_path, "", extra="[tradeoff]\ncoverage_targets = [0.5, 1.0]\n")
    base = tmp_path / "base.toml"
    base.write_text(base.read_text() + "\n[rollout]\nyears = [2026, 2030]\n")
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert str(info.value) == (
        f"{path}: [tradeoff] coverage_targets trace a single-year curve and the base is a rollout (rollout.years); "
        "remove [tradeoff], or vary rollout.coverage_target in [grid] (one list per point)."
    )


def test_a_point_a_feature_would_refuse_is_refused_when_the_sweep_loads(tmp_path: Path) -> None:
    """Settings a feature cannot honour (here [hourly] without [capacity]) are refused for the point when the
    sweep loads, as planner validate refuses them in a scenario: until 2026-12-06 --dry-run said every point
    was valid and the sweep then recorded each such point as failed after running the others."""
    path = make_sweep_file(tmp_path, '"hourly.enabled" = [false, true]\n')
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert str(info.value) == (
        f"{path} [grid point hourly.enabled=true]: hourly.enabled sizes the hubs of the plan's stop assignment: "
        "set [capacity] enabled = true (its max_wait_min and plug_overhead_min apply every hour)."
    )
    res = CliRunner().invoke(app, ["sweep", str(path), "--dry-run"])
    assert res.exit_code == 2 and res.stderr.strip() == f"error: {info.value}"


def test_hourly_points_carry_their_cost_per_year(tmp_path: Path, reference: tuple[Path, SweepResult]) -> None:
    # A joint venture sweeping grid or battery settings compares the hourly sizing's cost per year, which
    # capex alone misses (until 2026-12-06 only the sweep's compare/ had it); resumed points read it back.
    from tests.test_hourly import scenario as hourly_scenario

    hourly_scenario(tmp_path, flows=["T,N0,N2,4", "U,N2,N0,3"])
    path = tmp_path / "sweep.toml"
    path.write_text('base = "s.toml"\nname = "hx"\n[grid]\n"chargers.mcs.capex_eur" = [100000, 400000]\n')
    first = run_sweep(load_sweep(path), tmp_path / "out")
    costs = [p.hourly_annual_cost_eur_per_year for p in first.points]
    runs = [json.loads((p.run_dir / "summary.json").read_text())["hourly"]["totals"] for p in first.points]
    assert costs == [r["annual_cost_eur"] for r in runs] and costs[0] < costs[1]
    table = pd.read_csv(tmp_path / "out" / "sweep.csv")
    assert table["hourly_annual_cost_eur_per_year"].tolist() == pytest.approx(costs)
    again = run_sweep(load_sweep(path), tmp_path / "out")
    assert [p.status for p in again.points] == ["skipped"] * 2
    assert [p.hourly_annual_cost_eur_per_year for p in again.points] == costs
    assert "EUR/year (hourly)" in format_points(first.table())  # the table `planner sweep` prints
    # Without [hourly] the column is there and empty, and the printed table has none.
    plain = pd.read_csv(reference[0].parent / "out" / "sweep.csv")
    assert plain["hourly_annual_cost_eur_per_year"].isna().all()
    assert "EUR/year" not in format_points(reference[1].table())
