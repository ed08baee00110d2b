"""Staged rollouts on the 5-node line (hubs needed: B N0→N2 at N1; C N2→N4 at N3; A N0→N4 at
N1, N2 and N3; D N1→N2 none). Every hub costs 1,000 EUR."""

from __future__ import annotations

from pathlib import Path

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
        costs={"site_fixed_eur": 1000.0, "charger_eur": 0.0, "discount_rate": 0.0},
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


def test_rollout_with_capacity_is_refused(line5: Path) -> None:
    with pytest.raises(ScenarioError, match="not supported yet"):
        solve(
            line5,
            {"years": [2026, 2027]},
            objective={"type": "max_coverage", "max_hubs": 2},
            capacity={"enabled": True},
        )


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
            costs={"site_fixed_eur": 1000.0, "charger_eur": 0.0},
            output={"maps": False, "tradeoff_points": 0},
        )
        data["name"] = mode
        run(write_scenario(line5 / f"{mode}.toml", data), out_dir=line5 / mode)
        dirs.append(line5 / mode)
    files = write_comparison(dirs, line5 / "cmp", html=False)
    import pandas as pd

    by_year = pd.read_csv(line5 / "cmp" / "kpis_by_year.csv")
    assert (line5 / "cmp" / "kpis_by_year.csv") in files
    assert list(by_year["run"]) == ["foresight", "foresight", "myopic", "myopic"]
    assert list(by_year["year"]) == [2026, 2027, 2026, 2027]
