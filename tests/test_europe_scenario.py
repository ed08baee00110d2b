"""The shipped European scenarios solve and pass their verification (invariants, not timings)."""

from __future__ import annotations

import pytest

from planner.api import solve_scenario
from planner.scenario import load_scenario
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def europe():
    return solve_scenario(load_scenario(ROOT / "scenarios" / "europe-2030.toml"))


def test_default_plan_is_verified_and_plausible(europe) -> None:
    s = europe.summary
    assert s["verification"]["passed"]
    assert s["status"] == "optimal"
    assert s["flows"] == 4000
    assert 20 < s["hub_count"] < 500
    assert s["covered_share"] > 0.95
    # every served flow longer than the break distance stops at least once
    long = europe.flows[europe.flows["served"] & (europe.flows["drive_km"] > 400)]
    assert len(long) > 0 and all(len(st) > 0 for st in long["stops"])
    # hubs are on the core network only
    assert set(europe.hubs["tier"]) == {"core"}


def test_low_budget_variant_respects_budget() -> None:
    plan = solve_scenario(load_scenario(ROOT / "scenarios" / "europe-2030-low-budget.toml"))
    assert plan.verification.passed
    assert plan.summary["total_cost_eur"] <= 150_000_000
    assert plan.summary["covered_share"] < 1.0
