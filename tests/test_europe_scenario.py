"""The shipped European scenarios solve and pass their verification (invariants, not timings)."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.api import solve_scenario
from planner.scenario import load_scenario
from tests.conftest import ROOT

NODES = pd.read_csv(ROOT / "data" / "europe" / "nodes.csv", keep_default_na=False)


def load(name: str, max_flows: int | None = 4000):
    """A shipped scenario without the trade-off curve (saves eight solves per test), on its 4,000
    largest flows unless ``max_flows`` says otherwise: every flow takes minutes a test should not
    (``benchmarks/europe.py`` runs the shipped scenarios as they are)."""
    sc = load_scenario(ROOT / "scenarios" / name)
    cut = sc.demand.max_flows or max_flows  # a scenario's own cut stands
    return sc.model_copy(
        update={
            "output": sc.output.model_copy(update={"tradeoff_points": 0}),
            "demand": sc.demand.model_copy(update={"max_flows": cut}),
        }
    )


@pytest.fixture(scope="module")
def europe():
    return solve_scenario(load("europe-2030.toml"))


def test_the_default_plans_every_flow_and_only_models_that_do_not_scale_cut_it() -> None:
    """europe-2030, its plain-cover variants, AFIR 2030, the AFIR rollout and (since 2026-12-07, started from
    the plan of its 20,000 largest flows) the budget variant and the every-flow rollout keep every gravity
    flow; the quick look and the variants whose model gives flows served-variables cut: to 20,000 where max
    coverage is refined lazily over years (the other two rollouts), to 4,000 elsewhere (capacity, hourly)."""
    every = ["europe-2030", "europe-2030-eu", "europe-2030-gb", "europe-2030-high-ambition", "europe-2030-afir"]
    every += ["europe-rollout-afir", "europe-2030-low-budget", "europe-rollout-every-flow"]
    cut = ["europe-2030-quick", "europe-2030-capacity", "europe-2030-hourly"]
    lazy = ["europe-rollout-2026-2035", "europe-rollout-myopic"]
    shipped = {p.stem for p in (ROOT / "scenarios").glob("europe-*.toml")}
    assert shipped == set(every) | set(cut) | set(lazy)
    # max coverage refined lazily over years: the 20,000 largest flows (92 % of the volume)
    assert all(load_scenario(ROOT / "scenarios" / f"{n}.toml").demand.max_flows == 20_000 for n in lazy)
    starts = {n: load_scenario(ROOT / "scenarios" / f"{n}.toml").solver.start_flows for n in every + cut + lazy}
    started = {"europe-2030-low-budget": 20_000, "europe-rollout-every-flow": 20_000}
    assert starts == {**dict.fromkeys(every + cut + lazy), **started}
    assert all(load_scenario(ROOT / "scenarios" / f"{n}.toml").demand.max_flows is None for n in every)
    assert all(load_scenario(ROOT / "scenarios" / f"{n}.toml").demand.max_flows == 4000 for n in cut)


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
    # the joint venture's whole market is planned: GB, NO and CH flows, served, GB hubs
    country = dict(zip(NODES["id"], NODES["country"], strict=True))
    ends = europe.flows["origin"].map(country).str.cat(europe.flows["destination"].map(country), sep=";")
    for market, at_least in (("GB", 100), ("NO", 5), ("CH", 20)):
        mine = europe.flows[ends.str.contains(market)]
        assert len(mine) >= at_least, market
        assert mine.loc[mine["served"], "volume"].sum() >= 0.95 * mine["volume"].sum(), market
    ni = set(NODES.loc[NODES["region"] == "GB-NIR", "id"])
    assert (europe.flows["origin"].isin(ni) | europe.flows["destination"].isin(ni)).any()  # Northern Ireland
    assert (europe.hubs["country"] == "GB").sum() >= 2
    # hubs may sit on roads outside the TEN-T (Great Britain, most of Switzerland): empty tier
    assert set(europe.hubs["tier"]) <= {"core", "comprehensive", ""} and "" in set(europe.hubs["tier"])
    # AFIR measures TEN-T roads only: no British road is in its length
    afir = europe.summary["afir"]
    assert "GB" not in afir["by_country"]


def test_low_budget_variant_respects_budget() -> None:
    # The shipped budget scenario's model (most trucks/day served for 150 M EUR, windows refined lazily as
    # `auto` does for every flow, started from the plan of the largest flows) on its 4,000 largest flows,
    # started from its 1,000 largest: every flow takes 5 minutes (measured by benchmarks/europe.py, not here).
    shipped = load_scenario(ROOT / "scenarios" / "europe-2030-low-budget.toml")
    assert shipped.demand.max_flows is None and shipped.solver.start_flows == 20_000
    sc = load("europe-2030-low-budget.toml")
    assert sc.solver.mip_gap == 0.005
    sc = sc.model_copy(
        update={
            "demand": sc.demand.model_copy(update={"max_flows": 4000}),
            "solver": sc.solver.model_copy(update={"coverage_rows": "lazy", "start_flows": 1000}),
        }
    )
    plan = solve_scenario(sc)
    assert plan.verification.passed
    assert plan.summary["total_cost_eur"] <= 150_000_000
    assert plan.summary["hub_count"] == 37  # 150 M EUR buys 37 new hubs at 4 M EUR; a coverage optimum uses them all
    assert 0.9 < plan.summary["covered_share"] < 1.0
    assert plan.summary["flows"] == 4000 and "lazy windows" in plan.summary["solver_message"]
    assert "started from the plan of the 1,000 largest flows" in plan.summary["solver_message"]
    assert plan.summary["status"] == "optimal" and plan.summary["mip_gap"] <= 0.005  # the scenario's own target


def test_afir_enforced_default_has_no_gap_on_the_core_network() -> None:
    plan = solve_scenario(load("europe-2030-afir.toml"))
    afir = plan.summary["afir"]
    assert plan.verification.passed and afir["mode"] == "enforce"
    assert afir["gap_count"] == 0 and afir["met"] and afir["by_tier"]["core"]["share"] == pytest.approx(1.0)
    assert afir["cost_of_compliance_eur"] > 0
    assert plan.summary["hub_count"] > afir["reference_without_afir"]["hub_count"]


EU27 = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
}  # fmt: skip


def test_eu_variant_plans_eu_roads_with_the_default_demand_model() -> None:
    from planner.demand import load_flows
    from planner.network import edge_countries, load_network

    default, eu = load("europe-2030.toml"), load("europe-2030-eu.toml")
    assert eu.network.countries is not None and set(eu.network.countries) == EU27
    net = load_network(eu.network)
    assert all(c <= EU27 for c in edge_countries(net.edges, net.nodes))
    assert {"GB-LONDON", "NO-OSLO", "CH-ZURICH"} <= net.out_of_scope_nodes
    flows = load_flows(eu.demand, net)
    ends = pd.concat([flows["origin"], flows["destination"]])
    assert ends.isin(net.graph.nodes).all()
    outside = ends[~ends.map(dict(zip(NODES["id"], NODES["country"], strict=True))).isin(EU27)]
    assert set(outside) <= {"CH-IT-B-CHIASSO"}  # a border node on the EU side, loading Como and Varese
    # the same volumes between EU zones as the whole-network default (one normalisation)
    whole = load_flows(default.demand, load_network(default.network)).set_index("flow_id")["volume"]
    common = flows.set_index("flow_id")["volume"].loc[lambda v: v.index.isin(whole.index)]
    assert len(common) > 3000
    assert common.to_numpy() == pytest.approx(whole.loc[common.index].to_numpy())


def test_gb_variant_plans_the_united_kingdom_alone() -> None:
    plan = solve_scenario(load("europe-2030-gb.toml", max_flows=None))  # every flow: seconds
    assert plan.verification.passed and plan.summary["status"] == "optimal"
    gb = set(NODES.loc[NODES["country"] == "GB", "id"])
    assert plan.flows["origin"].isin(gb).all() and plan.flows["destination"].isin(gb).all()
    ni = set(NODES.loc[NODES["region"] == "GB-NIR", "id"])
    assert (plan.flows["origin"].isin(ni)).any()  # Northern Ireland, over the North Channel ferries
    assert set(plan.hubs["country"]) == {"GB"} and len(plan.hubs) >= 2
    assert set(plan.hubs["tier"]) == {""}  # no British road is TEN-T
