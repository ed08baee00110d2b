"""Scenario files: schema completeness, extends, path resolution, error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.errors import ScenarioError
from planner.scenario import Scenario, load_scenario, scenario_json_schema
from tests.conftest import ROOT, base_scenario, line_network, write_scenario


def _fields(model: type) -> list[tuple[str, object]]:
    out = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and hasattr(ann, "model_fields"):
            out += [(f"{name}.{n}", f) for n, f in _fields(ann)]
        else:
            out.append((name, field))
    return out


def test_every_field_has_a_description_and_numeric_ones_a_unit_or_bound() -> None:
    for name, field in _fields(Scenario):
        assert field.description, f"{name} has no description"
        ann = str(field.annotation)
        if "float" in ann:
            extra = field.json_schema_extra or {}
            assert "unit" in extra, f"{name} has no unit"
            if "list" not in ann:  # list values are range-checked by their section's validator
                assert field.metadata, f"{name} has no bounds"


def test_json_schema_is_in_sync_with_the_model() -> None:
    schema = json.loads(scenario_json_schema())
    assert set(schema["properties"]) == set(Scenario.model_fields) | {"extends"}
    vehicle = schema["$defs"]["VehicleConfig"]["properties"]["battery_kwh"]
    assert vehicle["unit"] == "kWh" and vehicle["exclusiveMinimum"] == 0


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.toml")), ids=lambda p: p.name)
def test_shipped_scenarios_validate(path: Path) -> None:
    sc = load_scenario(path)
    assert sc.name
    for p in (sc.network.nodes, sc.network.edges, sc.network.gpkg, sc.demand.flows, sc.demand.zones):
        assert p is None or p.is_file(), p


def test_shipped_sweeps_load_with_every_point_validated() -> None:
    import tomllib

    from planner.sweep import load_sweep

    paths = sorted((ROOT / "scenarios" / "sweeps").glob("*.toml"))
    sweeps = [p for p in paths if "base" in tomllib.loads(p.read_text(encoding="utf-8"))]
    assert [p.name for p in sweeps] == ["battery-x-hubs.toml"]
    assert load_scenario(ROOT / "scenarios" / "sweeps" / "first-network.toml").name == "first-network"
    sweep = load_sweep(sweeps[0])
    assert sweep.base == ROOT / "scenarios" / "sweeps" / "first-network.toml"
    grid = [p for p in sweep.points if p.kind == "grid"]
    assert len(grid) == 9 and len(sweep.points) == 13
    for point in grid:
        sc = point.scenario
        assert sc.objective.type == "max_coverage" and sc.solver.mip_gap == 0.001
        assert sc.demand.max_flows == 4000
    assert {(p.scenario.objective.max_hubs, p.scenario.vehicle.battery_kwh) for p in grid} == {
        (h, b) for h in (25, 50, 100) for b in (400.0, 600.0, 800.0)
    }
    for point in sweep.points[9:]:
        assert point.kind == "tradeoff" and point.scenario.objective.type == "min_cost"


def test_extends_overrides_and_keeps_base_paths(tmp_path: Path) -> None:
    base_dir = tmp_path / "base"
    base_dir.mkdir()
    line_network(base_dir, 5)
    write_scenario(base_dir / "base.toml", base_scenario(base_dir, flows=["A,N0,N4,10"]))
    child = tmp_path / "child.toml"
    child.write_text('extends = "base/base.toml"\nname = "child"\n[vehicle]\nbattery_kwh = 800.0\n')
    sc = load_scenario(child)
    assert sc.name == "child"
    assert sc.vehicle.battery_kwh == 800.0
    assert sc.vehicle.soc_max == 0.8  # from the base
    assert sc.network.nodes == (base_dir / "nodes.csv").resolve()


def test_none_removes_an_inherited_optional_setting(tmp_path: Path) -> None:
    """A variant can switch its demand, network or candidate source away from what the scenario it
    extends gives: "none" removes an optional setting (TOML has no null); before, "give either 'flows'
    or 'trips', not both" left no way out."""
    line_network(tmp_path, 5)
    data = base_scenario(tmp_path, flows=["A,N0,N4,10"], candidates={"include_nodes": True, "spacing_km": 50.0})
    data["objective"] = {"type": "max_coverage", "max_hubs": 2}
    write_scenario(tmp_path / "base.toml", data)
    (tmp_path / "trips.csv").write_text("origin,destination\nN0,N3\nN0,N3\n")
    child = tmp_path / "child.toml"
    child.write_text(
        'extends = "base.toml"\n[demand]\nflows = "none"\ntrips = "trips.csv"\n'
        '[candidates]\nspacing_km = "none"\n[objective]\ntype = "min_cost"\nmax_hubs = "none"\n'
    )
    sc = load_scenario(child)
    assert sc.demand.flows is None and sc.demand.trips == (tmp_path / "trips.csv").resolve()
    assert sc.candidates.spacing_km is None and sc.objective.max_hubs is None
    child.write_text('extends = "base.toml"\n[demand]\ntrips = "trips.csv"\n')
    with pytest.raises(ScenarioError, match='not both \\(set the one a scenario this extends gives to "none"'):
        load_scenario(child)
    # a setting with a default cannot be removed; "none" is refused with the default, never read as a value
    child.write_text('extends = "base.toml"\n[candidates]\ninclude_nodes = "none"\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(child)
    assert str(err.value) == (
        f"{child}: 'candidates.include_nodes' = \"none\": only a setting without a default can be removed, and "
        "this one defaults to true; give a value."
    )
    # the JSON Schema accepts it where it applies
    schema = json.loads(scenario_json_schema())
    assert {"const": "none"} in schema["$defs"]["CandidatesConfig"]["properties"]["spacing_km"]["anyOf"]
    assert "anyOf" not in schema["$defs"]["CandidatesConfig"]["properties"]["include_nodes"]


def test_settings_of_a_switched_off_section_are_named_as_unused(tmp_path: Path) -> None:
    line_network(tmp_path, 5)
    data = base_scenario(tmp_path, flows=["A,N0,N4,10"], capacity={"max_wait_min": 5.0, "peak_hour_share": 0.2})
    data["grid"] = {"enabled": False, "default_node_kw": 100.0}
    sc = load_scenario(write_scenario(tmp_path / "s.toml", data))
    assert sc.inert_settings() == [
        "capacity.max_wait_min and capacity.peak_hour_share are set but [capacity] is not enabled, so unused "
        "(set [capacity] enabled = true to use them)",
        "grid.default_node_kw is set but [grid] is not enabled, so unused (set [grid] enabled = true to use it)",
    ]
    # the resolved scenario a run writes holds every field (defaults too): it names the same settings, no more
    from planner.provenance import resolved_toml

    (tmp_path / "resolved.toml").write_text(resolved_toml(sc), encoding="utf-8")
    assert load_scenario(tmp_path / "resolved.toml").inert_settings() == sc.inert_settings()
    # breaks are off in the base scenario; switched on, the same keys are used and nothing is named
    data["capacity"]["enabled"] = True
    data["grid"] = {"enabled": True, "default_node_kw": 100.0}
    data["breaks"] = {"enabled": False, "max_driving_h": 4.0}
    sc = load_scenario(write_scenario(tmp_path / "s.toml", data))
    assert sc.inert_settings() == [
        "breaks.max_driving_h is set but [breaks] is not enabled, so unused (set [breaks] enabled = true to use it)"
    ]
    # the run's log and planner validate say so
    from planner.stages import prepare_run

    lines: list[str] = []
    prepare_run(sc, log=lines.append)
    assert lines[0] == "note: " + sc.inert_settings()[0]
    from typer.testing import CliRunner

    from planner.cli import app

    result = CliRunner().invoke(app, ["validate", str(tmp_path / "s.toml")])
    assert result.exit_code == 0 and result.output.splitlines()[1] == "note: " + sc.inert_settings()[0]


def test_single_year_settings_in_a_rollout_are_named_as_unused(tmp_path: Path) -> None:
    """A rollout draws no served-share-vs-hubs curve and applies each year's own AFIR milestone:
    output.tradeoff_points and afir.year set there changed nothing silently until 2026-12-06."""
    line_network(tmp_path, 3)
    data = base_scenario(tmp_path, flows=["A,N0,N2,10"], output={"tradeoff_points": 5})
    assert load_scenario(write_scenario(tmp_path / "one.toml", data)).inert_settings() == []  # one year: used
    data["rollout"] = {"years": [2026, 2030]}
    assert load_scenario(write_scenario(tmp_path / "s.toml", data)).inert_settings() == [
        "output.tradeoff_points is set but a rollout draws no served-share-vs-hubs curve (one-year plans do), so unused"
    ]
    data["output"] = {"tradeoff_points": 0, "tradeoff_time_share": 0.5}  # the curve switched off: nothing to say
    assert load_scenario(write_scenario(tmp_path / "s.toml", data)).inert_settings() == []
    data["afir"] = {"year": 2027}  # each rollout year has its own milestone
    assert load_scenario(write_scenario(tmp_path / "s.toml", data)).inert_settings() == [
        "afir.year = 2027 is set but a rollout applies each planning year's own AFIR milestone (its last year's to the "
        "plan), so unused"
    ]


def test_extends_cycle_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "a.toml")


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("objective", "max_hubz", 3, "unknown key 'objective.max_hubz'; did you mean 'max_hubs'?"),
        ("vehicle", "soc_start", 0.01, "soc_start must not be below soc_min"),
        ("solver", "name", "gurobi", "'solver.name'"),
        ("breaks", "speed_kmh", -5, "'breaks.speed_kmh'"),
    ],
)
def test_bad_values_name_file_field_and_fix(tmp_path: Path, section, key, value, message) -> None:
    line_network(tmp_path, 3)
    data = base_scenario(tmp_path, flows=["A,N0,N2,10"])
    data[section][key] = value
    path = write_scenario(tmp_path / "s.toml", data)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert str(path) in text and message in text and "\n" not in text


@pytest.mark.parametrize(
    ("rollout", "message"),
    [
        ({"years": [2030, 2026]}, "years must be strictly increasing"),
        ({"years": [1026, 2030]}, "years must lie in 2020–2100 (got 1026–2030)"),
        ({"years": [2026, 2030], "bev_share": [0.1]}, "bev_share needs one value per year (2)"),
        ({"years": [2026, 2030], "bev_share": [0.1, 1.5]}, "bev_share values must lie in (0, 1]"),
        ({"years": [2026, 2030], "coverage_target": [0.5, 0.0]}, "coverage_target values must lie in (0, 1]"),
        ({"years": [2026, 2030], "budget_per_year_eur": [1e6, -1.0]}, "budget_per_year_eur values must lie in [0,"),
        ({"budget_total_eur": 5e6}, "budget_total_eur applies to rollouts (set years); for one year set objective."),
        ({"demand_growth_per_year": 0.05}, "demand_growth_per_year applies to rollouts (set years)"),
    ],
    ids=[
        "years_order",
        "years_range",
        "bev_share_length",
        "bev_share_range",
        "coverage_target_range",
        "budget_range",
        "total_budget_without_years",
        "growth_without_years",
    ],
)
def test_bad_rollout_years_name_file_field_and_fix(tmp_path: Path, rollout: dict, message: str) -> None:
    line_network(tmp_path, 3)
    data = base_scenario(tmp_path, flows=["A,N0,N2,10"])
    data["rollout"] = rollout
    path = write_scenario(tmp_path / "s.toml", data)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert str(path) in text and "'rollout'" in text and message in text and "\n" not in text


def test_a_max_coverage_rollout_may_be_limited_by_its_budgets_alone(tmp_path: Path) -> None:
    """Until 2026-12-06 max coverage needed objective.max_hubs or budget_eur even in a rollout, which refuses
    budget_eur: a rollout limited by its yearly budgets had to make up a hub limit (the shipped
    europe-rollout-2026-2035 has max_hubs = 1500)."""
    line_network(tmp_path, 3)
    data = base_scenario(tmp_path, flows=["A,N0,N2,10"], objective={"type": "max_coverage", "max_hubs": None})
    data["rollout"] = {"years": [2026, 2030], "budget_per_year_eur": [5000.0, 5000.0]}
    assert load_scenario(write_scenario(tmp_path / "s.toml", data)).objective.max_hubs is None
    data["rollout"] = {"years": [2026, 2030], "budget_total_eur": 5000.0}
    assert load_scenario(write_scenario(tmp_path / "s.toml", data)).rollout.budget_total_eur == 5000.0
    data["rollout"] = {"years": [2026, 2030]}
    with pytest.raises(ScenarioError) as err:
        load_scenario(write_scenario(tmp_path / "s.toml", data))
    assert str(err.value) == (
        f"{tmp_path / 's.toml'}: 'objective': max_coverage needs a limit; set rollout.budget_per_year_eur, "
        "rollout.budget_total_eur or objective.max_hubs."
    )
    data.pop("rollout")
    with pytest.raises(ScenarioError, match="max_coverage needs a limit; set objective.max_hubs and/or budget_eur.$"):
        load_scenario(write_scenario(tmp_path / "s.toml", data))


@pytest.mark.parametrize(
    ("objective", "instead"),
    [
        ({"budget_eur": 5000.0}, "rollout.budget_per_year_eur (one value per year) or rollout.budget_total_eur"),
        (
            {"type": "min_cost", "max_hubs": None, "coverage_target": 0.5},
            "rollout.coverage_target (one value per year)",
        ),
    ],
    ids=["budget", "coverage_target"],
)
def test_a_rollout_refuses_the_single_year_limits_it_does_not_read(
    tmp_path: Path, objective: dict, instead: str
) -> None:
    # Until 2026-12-06 objective.budget_eur was ignored by the rollout's solve and failed verification after it.
    line_network(tmp_path, 3)
    data = base_scenario(tmp_path, flows=["A,N0,N2,10"], objective=objective)
    data["rollout"] = {"years": [2026, 2030]}
    path = write_scenario(tmp_path / "s.toml", data)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    key = next(k for k in ("budget_eur", "coverage_target") if k in objective)
    assert str(err.value) == (
        f"{path}: 'objective.{key}' applies to single-year plans and a rollout (rollout.years) does not read it; "
        f"set {instead} instead."
    )
    data.pop("rollout")
    assert load_scenario(write_scenario(tmp_path / "one.toml", data)).objective is not None  # one year: valid


def test_rollout_coverage_targets_need_a_cost_objective(tmp_path: Path) -> None:
    # Max coverage never read them (the plan was then failed by the yearly target check).
    line_network(tmp_path, 3)
    data = base_scenario(tmp_path, flows=["A,N0,N2,10"], objective={"type": "max_coverage", "max_hubs": 1})
    data["rollout"] = {"years": [2026, 2030], "coverage_target": [0.4, 0.5]}
    path = write_scenario(tmp_path / "s.toml", data)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == (
        f"{path}: 'rollout.coverage_target' is the share each year of a cost objective must serve, and "
        "objective.type = 'max_coverage' does not read it; set objective.type = 'min_cost' or remove "
        "rollout.coverage_target."
    )


def test_invalid_toml_syntax(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("name = \n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(path)


def test_max_flows_all_undoes_a_cut_and_bad_values_name_the_alternatives(tmp_path: Path) -> None:
    quick = ROOT / "scenarios" / "europe-2030-quick.toml"
    assert load_scenario(quick).demand.max_flows == 4000
    child = tmp_path / "child.toml"
    body = 'extends = "{}"\nname = "c"\n[demand]\nmax_flows = {}\n'
    child.write_text(body.format(quick.as_posix(), '"all"'))
    assert load_scenario(child).demand.max_flows is None
    for bad in ('"most"', "0", "true"):
        child.write_text(body.format(quick.as_posix(), bad))
        with pytest.raises(ScenarioError) as err:
            load_scenario(child)
        text = str(err.value)
        assert "'demand.max_flows':" in text and "or 'all'" in text and "more problem" not in text, text
