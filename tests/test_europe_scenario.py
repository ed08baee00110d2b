"""The shipped European scenarios solve and pass their verification (invariants, not timings)."""

from __future__ import annotations

import pytest

from planner.api import solve_scenario
from planner.scenario import load_scenario
from tests.conftest import ROOT


def load(name: str):
    """A shipped scenario without the trade-off curve (saves eight solves per test)."""
    sc = load_scenario(ROOT / "scenarios" / name)
    return sc.model_copy(update={"output": sc.output.model_copy(update={"tradeoff_points": 0})})


@pytest.fixture(scope="module")
def europe():
    return solve_scenario(load("europe-2030.toml"))


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
    plan = solve_scenario(load("europe-2030-low-budget.toml"))
    assert plan.verification.passed
    assert plan.summary["total_cost_eur"] <= 150_000_000
    assert plan.summary["covered_share"] < 1.0


def test_afir_enforced_default_has_no_gap_on_the_core_network() -> None:
    plan = solve_scenario(load("europe-2030-afir.toml"))
    afir = plan.summary["afir"]
    assert plan.verification.passed and afir["mode"] == "enforce"
    assert afir["gap_count"] == 0 and afir["met"] and afir["by_tier"]["core"]["share"] == pytest.approx(1.0)
    assert afir["cost_of_compliance_eur"] > 0
    assert plan.summary["hub_count"] > afir["reference_without_afir"]["hub_count"]
