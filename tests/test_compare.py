"""Comparing runs: KPI table, shared sites, files, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from planner.api import run
from planner.compare import (
    compare_runs,
    describe_inputs,
    format_kpis,
    gap_note,
    run_labels,
    write_comparison,
    years_table,
)
from planner.errors import DataError, OutputError
from planner.render import render_comparison
from planner.run_inputs import RESOLVED, flatten, input_differences
from tests.conftest import base_scenario, write_scenario
from tests.test_render import HUBS, write_run

FLOWS = ["A,N0,N4,10", "B,N0,N2,7", "C,N2,N4,6", "D,N1,N2,5"]


def test_compare_two_runs(line5: Path) -> None:
    dirs = []
    for hubs in (1, 3):
        data = base_scenario(line5, flows=FLOWS, objective={"max_hubs": hubs})
        data["name"] = f"hubs{hubs}"
        run(write_scenario(line5 / f"h{hubs}.toml", data), out_dir=line5 / f"hubs{hubs}")
        dirs.append(line5 / f"hubs{hubs}")
    kpis, sites = compare_runs(dirs)
    assert list(kpis["run"]) == ["hubs1", "hubs3"]
    assert list(kpis["hub_count"]) == [1, 3]
    assert kpis["covered_share"].tolist() == pytest.approx([12 / 28, 1.0])
    # One MCS point per hub (conftest), 1,000 kW each; AFIR measured in report mode.
    assert kpis["points_mcs"].tolist() == [1, 3] and kpis["points_ccs"].tolist() == [0, 0]
    assert kpis["power_mw"].tolist() == pytest.approx([1.0, 3.0])
    assert kpis["opex_eur_per_year"].tolist() == pytest.approx([0.03 * 1000.0, 0.03 * 3000.0])
    assert set(sites.loc[sites["in_all"], "site_id"]) == {"N1"}
    assert set(sites["site_id"]) == {"N1", "N2", "N3"}
    files = write_comparison(dirs, line5 / "cmp", html=False)
    assert [f.name for f in files] == ["kpis.csv", "kpis.json", "inputs.csv", "sites.csv"]
    inputs = pd.read_csv(files[2])  # from the runs' scenario.resolved.toml
    assert inputs["input"].tolist() == ["objective.max_hubs"] and inputs[["hubs1", "hubs3"]].values.tolist() == [[1, 3]]
    assert pd.read_csv(files[0])["hub_count"].tolist() == [1, 3]
    assert json.loads(files[1].read_text())[1]["verified"] is True
    text = format_kpis(kpis)
    assert "42.9 %" in text and "100.0 %" in text and "2030" in text and "2,030" not in text
    header, first = text.splitlines()[:2]
    assert header.split()[:3] == ["run", "status", "gap"] and first.split()[:4] == ["hubs1", "optimal", "0.00", "%"]
    assert gap_note(kpis["mip_gap"]) is None  # both solved exactly
    # A comparison written into one of its own runs would replace that run (until 2026-12-05 it did).
    before = sorted(p.name for p in dirs[0].iterdir())
    with pytest.raises(OutputError, match="is a planner run folder, not a compare folder; choose another --out"):
        write_comparison(dirs, dirs[0], html=False)
    assert sorted(p.name for p in dirs[0].iterdir()) == before
    with pytest.raises(OutputError, match="is a planner compare folder, not a run folder"):
        run(write_scenario(line5 / "h1.toml", data), out_dir=line5 / "cmp", force=True)
    assert sorted(p.name for p in (line5 / "cmp").iterdir())[1:] == ["inputs.csv", "kpis.csv", "kpis.json", "sites.csv"]


def test_a_run_says_which_plan_it_replaces(line5: Path) -> None:
    data = base_scenario(line5, flows=FLOWS)
    lines: list[str] = []
    run(write_scenario(line5 / "a.toml", data), out_dir=line5 / "out", log=lines.append)
    assert not any("holds the plan" in line for line in lines)
    when = json.loads((line5 / "out" / "summary.json").read_text())["provenance"]["started_at"]
    run(write_scenario(line5 / "b.toml", data), out_dir=line5 / "out", log=lines.append)
    said = [line for line in lines if "holds the plan" in line]
    assert said == [
        f"{line5 / 'out'} holds the plan of {data['name']} ({line5 / 'a.toml'}, "
        f"{when[:16].replace('T', ' ')}); this run replaces it"
    ]


def test_runs_of_the_same_folder_name_are_labelled_by_their_paths(tmp_path: Path) -> None:
    # results/2030/run and results/2035/run: until 2026-12-05 refused ("must have distinct names").
    a, b = write_run(tmp_path / "2030" / "run"), write_run(tmp_path / "2035" / "run")
    kpis, sites = compare_runs([a, b])
    assert kpis["run"].tolist() == ["2030/run", "2035/run"] and {"2030/run", "2035/run"} <= set(sites.columns)
    assert run_labels([a, tmp_path / "x" / "other"]) == ["run", "other"]
    with pytest.raises(DataError, match="2030/run: the same run folder is given twice; give each run once"):
        compare_runs([a, b, tmp_path / "2030" / ".." / "2030" / "run"])


def test_compare_rejects_non_run_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a run folder"):
        compare_runs([tmp_path])
    with pytest.raises(DataError, match=f"^{tmp_path / 'typo'}: no such folder; give a folder written by"):
        compare_runs([tmp_path / "typo"])
    # A sweep folder given for a run says where its runs are.
    from planner.outdir import write_marker

    sweep = tmp_path / "sweep"
    sweep.mkdir()
    write_marker(sweep, "sweep", [])
    with pytest.raises(DataError) as err:
        compare_runs([sweep])
    assert str(err.value) == (
        f"{sweep}: not a run folder (a planner sweep folder; its runs are in runs/); give a folder written by "
        "`planner run`."
    )


RESOLVED_BASE = """
name = "{name}"
description = "ignored"
extends_depth = 0
[vehicle]
battery_kwh = {battery}
consumption_kwh_per_km = 1.2
[demand]
bev_share = {bev}
flows = "/data/flows.csv"
[objective]
type = "max_coverage"
budget_eur = 150000000.0
[output]
maps = {maps}
tradeoff_points = 8
[[chargers.extra]]
power_kw = 350.0
"""


def resolved_run(folder: Path, name: str, battery: float, bev: float, maps: str = "true", **kw) -> Path:
    run_dir = write_run(folder, scenario=name, **kw)
    text = RESOLVED_BASE.format(name=name, battery=battery, bev=bev, maps=maps)
    (run_dir / RESOLVED).write_text(text, encoding="utf-8")
    return run_dir


def test_flatten_dotted_keys() -> None:
    nested = {"vehicle": {"battery_kwh": 600}, "rollout": {"years": [2026, 2030]}, "t": [{"a": 1}, {"a": 2}]}
    assert flatten(nested) == {"vehicle.battery_kwh": 600, "rollout.years": [2026, 2030], "t.0.a": 1, "t.1.a": 2}


def test_inputs_that_differ_from_resolved_scenarios(tmp_path: Path) -> None:
    a = resolved_run(tmp_path / "a", "base", 600.0, 0.15)
    b = resolved_run(tmp_path / "b", "bigger-battery", 800.0, 0.30, maps="false")
    table, notes = input_differences([a, b], ["a", "b"])
    # name, description and output.* are not inputs that matter; the rest equal
    assert table["input"].tolist() == ["demand.bev_share", "vehicle.battery_kwh"]
    assert table[["a", "b"]].values.tolist() == [["0.15", "0.3"], ["600", "800"]]
    assert set(table["source"]) == {RESOLVED} and notes == []
    text = describe_inputs([a, b])
    assert "vehicle.battery_kwh: a=600 | b=800" in text
    page = render_comparison([a, b], tmp_path / "cmp")[0].read_text(encoding="utf-8")
    assert "Inputs that differ" in page and "vehicle.battery_kwh" in page and "output.maps" not in page


def test_inputs_fall_back_to_summary(tmp_path: Path) -> None:
    a = resolved_run(tmp_path / "a", "base", 600.0, 0.15)
    b = write_run(tmp_path / "b", scenario="old")  # no scenario.resolved.toml
    summary = json.loads((b / "summary.json").read_text())
    summary["vehicle"]["battery_kwh"] = 800
    summary["vehicle"]["range_start_km"] = 999  # derived, not an input
    (b / "summary.json").write_text(json.dumps(summary))
    table, notes = input_differences([a, b], ["a", "b"])
    assert table["input"].tolist() == ["vehicle.battery_kwh"]  # compared from summary.json for both
    assert table["source"].tolist() == ["summary.json"]
    assert len(notes) == 1 and "No scenario.resolved.toml in b" in notes[0]


def test_invalid_resolved_scenario_is_a_data_error(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a")
    (a / RESOLVED).write_text("vehicle = [", encoding="utf-8")
    with pytest.raises(DataError, match=r"scenario\.resolved\.toml: not valid TOML .*re-run"):
        input_differences([a, a], ["a", "b"])


def test_compare_html_subtracts_like_units_only(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", scenario="cost")
    b = write_run(tmp_path / "b", scenario="coverage", hubs=HUBS[:4])
    c = write_run(tmp_path / "c", scenario="cost2", hubs=HUBS[:5])
    for run_dir, kind, metric, value in ((a, "min_cost", "volume", 3.68e8), (b, "max_coverage", "volume", 76352.0),
                                         (c, "min_cost", "volume", 3.0e8)):  # fmt: skip
        s = json.loads((run_dir / "summary.json").read_text())
        s.update(objective=kind, metric=metric, objective_value=value, afir={"year": 2030, "share": 0.5})
        (run_dir / "summary.json").write_text(json.dumps(s))
    page = render_comparison([a, b, c], tmp_path / "cmp")[0].read_text(encoding="utf-8")
    row = page[page.index("Objective value") : page.index("</tr>", page.index("Objective value"))]
    assert "trucks/day: not subtracted" in row and "368,000,000" in row
    assert "(−68,000,000)" in row  # like units: EUR − EUR
    assert "291,647,648" not in page  # never EUR − trucks/day
    assert "2,030" not in page and ">2030<" in page
    share = page[page.index("Served share of volume") : page.index("</tr>", page.index("Served share of volume"))]
    assert share.count("%") == 3 and "pp" not in share  # equal shares: no delta
    hubs = page[page.index(">Hubs<") : page.index("</tr>", page.index(">Hubs<"))]
    assert "(−3)" in hubs and "(−2)" in hubs  # 4 and 5 hubs against 7


def test_years_in_comparison(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", scenario="rollout")
    b = write_run(tmp_path / "b", scenario="plain", optional=False)
    table = years_table([a, b])
    assert table["run"].unique().tolist() == ["a"]
    assert table["points"].tolist() == [16, 26, 40, 48]  # cumulative points added
    assert table["power_mw"].tolist() == pytest.approx([11.2, 18.2, 28.0, 33.0])
    assert table["chargers_added_by_type_mcs"].tolist() == [8, 5, 7, 3]
    page = render_comparison([a, b], tmp_path / "cmp")[0].read_text(encoding="utf-8")
    section = page[page.index('<section class="years">') :]
    assert "Per year" in section and "Installed power (MW)" in section and "<svg" in section
    assert "<td class=n>33.0</td>" in section and "<td>2028</td>" in section
    plain = render_comparison([b, b], tmp_path / "cmp2")[0].read_text(encoding="utf-8")
    assert '<section class="years">' not in plain


def test_a_gap_note_says_differences_within_the_gaps_may_be_the_solver_tolerance() -> None:
    assert gap_note(pd.Series([0.0, None])) is None and gap_note(pd.Series([None, None])) is None
    note = gap_note(pd.Series([0.0, 0.0081, None]))
    assert note is not None and note.startswith("gap: up to 0.81 %; a difference smaller than the gaps")
    assert "solver.mip_gap" in note


def test_grid_and_hourly_figures_are_compared(tmp_path: Path) -> None:
    """The grid and battery trade-offs a strategy team compares (upgrades, batteries, connection, the
    hourly sizing's cost per year) are in kpis.csv, the text table and compare.html; until 2026-12-06
    only capex and opex were, so an hourly run's 49 M EUR/year and its 32 MWh of batteries were in no
    comparison."""
    plain = write_run(tmp_path / "plain", scenario="plain")
    grid = write_run(tmp_path / "grid", scenario="grid")
    hourly = write_run(tmp_path / "hourly", scenario="hourly")
    for run_dir, extra, battery_kwh in (
        (grid, {"grid": {"upgrade_steps": 11, "upgrade_mw": 55.0, "upgrade_cost_eur": 13_750_000.0}}, [0.0] * 7),
        (hourly, {"hourly": {"totals": {
            "annual_cost_eur": 49_167_246.16, "energy_cost_eur_per_year": 36_812_336.34, "connection_mw": 47.0,
            "battery_mwh": 32.0, "peak_load_mw": 44.86}}}, [4000.0] * 7),
    ):  # fmt: skip
        s = json.loads((run_dir / "summary.json").read_text())
        s.update(extra)
        (run_dir / "summary.json").write_text(json.dumps(s))
        hubs = pd.read_csv(run_dir / "hubs.csv")
        hubs["battery_kwh"] = battery_kwh[: len(hubs)]
        hubs.to_csv(run_dir / "hubs.csv", index=False)
    kpis, _ = compare_runs([plain, grid, hourly])
    row = kpis.set_index("run")
    assert row.loc["grid", "grid_upgrade_mw"] == 55.0 and row.loc["grid", "grid_upgrade_cost_eur"] == 13_750_000.0
    assert row.loc["grid", "battery_mwh"] == 0.0 and row.loc["hourly", "battery_mwh"] == pytest.approx(28.0)
    assert row.loc["hourly", "hourly_annual_cost_eur_per_year"] == 49_167_246.16
    assert row.loc["hourly", "connection_mw"] == 47.0 and row.loc["hourly", "peak_load_mw"] == 44.86
    assert row.loc["hourly", "energy_cost_eur_per_year"] == 36_812_336.34
    assert row.loc[["plain", "hourly"], "grid_upgrade_mw"].isna().all() and pd.isna(row.loc["plain", "battery_mwh"])
    files = write_comparison([plain, grid, hourly], tmp_path / "cmp")
    table = pd.read_csv(files[0])
    assert table["hourly_annual_cost_eur_per_year"].tolist()[2] == 49_167_246  # whole EUR, as every money column
    assert "EUR/year (hourly)" in format_kpis(kpis) and "49,167,246" in format_kpis(kpis)
    assert "EUR/year (hourly)" not in format_kpis(kpis.iloc[:2])
    page = (tmp_path / "cmp" / "compare.html").read_text(encoding="utf-8")
    for label in ("Grid upgrades (MW)", "Battery storage (MWh)", "Hourly sizing: cost per year", "Grid connection"):
        assert label in page
    battery = page[page.index("Battery storage (MWh)") : page.index("</tr>", page.index("Battery storage (MWh)"))]
    assert "28.0" in battery and "–" in battery  # the plain run has no battery column


def test_comparing_many_runs_warns_nothing(tmp_path: Path) -> None:
    """Until 2026-12-06 a comparison of 100 runs or more printed pandas' "DataFrame is highly fragmented"
    PerformanceWarning twice (one column added per run, in sites.csv and in compare.html's site table)."""
    import shutil
    import warnings

    from planner.render._load import load_run
    from planner.render.compare import site_membership

    first = write_run(tmp_path / "r000", scenario="plain")
    dirs = [first] + [Path(shutil.copytree(first, tmp_path / f"r{i:03d}")) for i in range(1, 110)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kpis, sites = compare_runs(dirs)
        table = site_membership([load_run(d, need_flow_lines=False) for d in dirs[:105]])
    assert len(kpis) == 110 and sites["in_all"].all() and (sites["runs"] == 110).all()
    assert sites[[f"r{i:03d}" for i in range(110)]].to_numpy().all()
    assert table["n_runs"].eq(105).all() and table[[f"run{i}" for i in range(105)]].dtypes.eq(bool).all()


def test_a_setting_of_a_section_a_run_switched_off_is_marked_off(tmp_path: Path) -> None:
    """hourly.simulation_days differs between an hourly run and two runs without [hourly], where it changed
    nothing: until 2026-12-06 the comparison listed 3 | 3 | 2 with no word that two of them were unused."""
    a = resolved_run(tmp_path / "a", "plain", 600.0, 0.15)
    b = resolved_run(tmp_path / "b", "hourly", 600.0, 0.15)
    for run_dir, hourly in ((a, "enabled = false\nsimulation_days = 3"), (b, "enabled = true\nsimulation_days = 2")):
        path = run_dir / RESOLVED
        path.write_text(path.read_text(encoding="utf-8") + f"\n[hourly]\n{hourly}\n", encoding="utf-8")
    table, _ = input_differences([a, b], ["a", "b"])
    rows = table.set_index("input")[["a", "b"]].to_dict("index")
    assert rows["hourly.simulation_days"] == {"a": "3 (off)", "b": "2"}
    assert rows["hourly.enabled"] == {"a": "false", "b": "true"}  # the switch itself is never "off"
    assert "hourly.simulation_days: a=3 (off) | b=2" in describe_inputs([a, b])
