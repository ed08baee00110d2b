"""AFIR in plans: report mode measures gaps; enforce mode adds hubs until no gap is left."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.api import run, solve_scenario
from planner.errors import InfeasibleError, ScenarioError
from planner.scenario import load_scenario
from tests.conftest import base_scenario, write_scenario

# Only D (N1→N2, 100 km) travels: it needs no hub, so without AFIR the cheapest plan is empty.
FLOWS = ["D,N1,N2,5"]


def solve(folder: Path, **sections):
    data = base_scenario(folder, flows=FLOWS, objective={"type": "min_cost", "max_hubs": None}, **sections)
    return solve_scenario(load_scenario(write_scenario(folder / "s.toml", data)))


def test_report_mode_measures_the_gap(line5: Path) -> None:
    plan = solve(line5, afir={"mode": "report"})
    assert plan.summary["hub_count"] == 0
    afir = plan.summary["afir"]
    assert afir["share"] == 0.0 and not afir["met"]
    assert afir["overall"]["total_km"] == pytest.approx(800.0)  # 400 km × 2 directions


def test_enforce_forces_hubs_every_60_km(line5: Path) -> None:
    # Candidates every 50 km; network ends count as pools (end_fraction 1): pools are needed at
    # 50, 100, …, 350 km → 7 hubs, each serving both directions of the two-way road.
    plan = solve(
        line5,
        candidates={"spacing_km": 50.0},
        afir={"mode": "enforce", "tiers": ["core"]},
        chargers={"mcs": {"capex_eur": 0.0, "min_per_hub": 4, "power_kw": 1000.0}},
    )
    assert plan.summary["new_hub_count"] == 7
    assert plan.summary["afir"]["gap_count"] == 0 and plan.summary["afir"]["met"]
    assert plan.summary["afir"]["reference_without_afir"]["hub_count"] == 0
    assert plan.summary["afir"]["cost_of_compliance_eur"] == pytest.approx(7000.0)
    names = {c.name for c in plan.verification.checks}
    assert {"afir_spacing", "afir_pools", "afir_reference_simulated"} <= names and plan.verification.passed


def test_enforce_beyond_the_hub_limit_names_afir_among_the_limits(line5: Path) -> None:
    # The spacing needs the 7 hubs above; at most 3 is infeasible, and the message says AFIR is a limit.
    data = base_scenario(
        line5,
        flows=FLOWS,
        objective={"type": "max_coverage", "max_hubs": 3},
        candidates={"spacing_km": 50.0},
        afir={"mode": "enforce", "tiers": ["core"]},
        chargers={"mcs": {"capex_eur": 0.0, "min_per_hub": 4, "power_kw": 1000.0}},
    )
    with pytest.raises(InfeasibleError) as err:
        solve_scenario(load_scenario(write_scenario(line5 / "s.toml", data)))
    assert str(err.value).endswith(
        "no plan meets the limits afir.mode='enforce' (the 2030 milestone: its spacing) and objective.max_hubs = 3; "
        "relax one of them."
    )


def test_enforce_with_weak_pools_is_a_scenario_error(line5: Path) -> None:
    with pytest.raises(ScenarioError, match="chargers.mcs.min_per_hub"):
        solve(
            line5,
            candidates={"spacing_km": 50.0},
            afir={"mode": "enforce"},
            chargers={"mcs": {"capex_eur": 0.0, "min_per_hub": 2, "power_kw": 1000.0}},
        )


def test_enforce_without_close_candidates_is_infeasible(line5: Path) -> None:
    with pytest.raises(InfeasibleError, match="candidates.spacing_km"):
        solve(
            line5,
            afir={"mode": "enforce"},
            chargers={"mcs": {"capex_eur": 0.0, "min_per_hub": 4, "power_kw": 1000.0}},
        )


def test_gap_layer_and_table_are_written(line5: Path) -> None:
    import geopandas as gpd

    data = base_scenario(line5, flows=FLOWS, objective={"type": "min_cost", "max_hubs": None}, afir={"mode": "report"})
    run(write_scenario(line5 / "s.toml", data), out_dir=line5 / "out")
    gaps = gpd.read_file(line5 / "out" / "plan.gpkg", layer="afir_gaps")
    assert len(gaps) == 8 and set(gaps["direction"]) == {"forward", "backward"}  # 4 edges × 2 directions
    assert (line5 / "out" / "afir.csv").read_text().startswith("edge_id,direction,tier,total_km,compliant_km")
