"""Rollout outputs and checks: opening year per hub, the per-year table, yearly budgets and milestones."""

from __future__ import annotations

import pulp

from planner.features.capacity.model import CapacityVariables
from planner.features.coverage.model import ModelSpec, PlanningModel, flow_weight
from planner.features.coverage.variables import Variables
from planner.features.grid.model import GridVariables
from planner.features.rollout.solve import RolloutResult
from planner.features.rollout.years import year_table
from planner.instance import PlanningInstance
from planner.plan import Plan, truck_km_share
from planner.scenario import Scenario
from planner.verify import Check

__all__ = ["final_year_model", "rollout_afir_check", "rollout_checks", "rollout_outputs"]


def rollout_outputs(plan: Plan, rollout: RolloutResult, scenario: Scenario, network, sites, flows, instance) -> None:
    """Opening year per hub and the per-year table (served flows re-simulated per year)."""
    index = {sid: i for i, sid in enumerate(sites["site_id"])}
    opened = rollout.opened_year
    plan.hubs["opened_year"] = [int(opened[index[s]]) for s in plan.hubs["site_id"]]
    plan.summary["years"] = year_table(rollout, scenario, network, sites, flows, instance)
    plan.summary["rollout"] = {
        "mode": scenario.rollout.mode,
        "years": list(rollout.years),
        "solves": [r.to_dict() for r in rollout.results],
        "discounted_capex_eur": plan.summary["years"][-1]["discounted_capex_cumulative_eur"],
        "discounted_covered_truck_km": float(
            sum(row["covered_truck_km"] * d for row, d in zip(plan.summary["years"], rollout.discount, strict=True))
        ),
    }
    _final_year_headline(plan, rollout)


def _final_year_headline(plan: Plan, rollout: RolloutResult) -> None:
    """Headline KPIs of a rollout are those of its last year (volumes scaled to that year, served
    flows re-simulated with its hubs), with the year named, never base-year volumes mixed with
    last-year shares."""
    last, factor = plan.summary["years"][-1], rollout.volume_factor[-1]
    s = plan.summary
    s["kpi_year"] = int(last["year"])
    s["base_year_volume"] = s["total_volume"]
    s["total_volume"] = last["total_volume"]
    s["covered_volume"] = last["covered_volume"]
    s["covered_share"] = last["covered_share"]
    s["total_truck_km"] = s["total_truck_km"] * factor
    s["covered_truck_km"] = last["covered_truck_km"]


def rollout_checks(
    years: list[dict],
    total_budget: float | None = None,
    *,
    afir_enforced: bool = False,
    targets: list[float] | None = None,
    metric: str = "volume",
) -> list[Check]:
    """Yearly budgets, hubs staying open, (AFIR enforced) each year's milestone and (``targets``, one per
    year) each year's coverage target, from the per-year table."""
    over = [
        f"{r['year']} ({r['capex_eur']:,.0f} > {r['budget_eur']:,.0f})"
        for r in years
        if r["budget_eur"] is not None and r["capex_eur"] > r["budget_eur"] * (1 + 1e-9)
    ]
    shrink = [str(b["year"]) for a, b in zip(years[:-1], years[1:], strict=True) if b["hubs"] < a["hubs"]]
    spent = sum(r["capex_eur"] for r in years)
    total_ok = total_budget is None or spent <= total_budget * (1 + 1e-9)
    return [
        Check(
            "rollout_budget_total",
            total_ok,
            f"capex over all years {spent:,.0f} EUR"
            + ("" if total_budget is None else f" {'≤' if total_ok else '>'} {total_budget:,.0f} EUR"),
        ),
        Check(
            "rollout_budget_per_year",
            not over,
            "every year's capex within its budget" if not over else f"over budget in {', '.join(over)}",
        ),
        Check(
            "rollout_hubs_stay_open",
            not shrink,
            "hub count never falls" if not shrink else f"hubs closed in {', '.join(shrink)}",
        ),
        *([rollout_afir_check(years)] if afir_enforced else []),
        *([rollout_target_check(years, targets, metric)] if targets else []),
    ]


def rollout_target_check(years: list[dict], targets: list[float], metric: str) -> Check:
    """Each year serves at least its ``rollout.coverage_target`` of its trucks/day (or truck-km), as the
    year table measures it (each flow simulated against that year's hubs)."""
    missed = []
    for row, target in zip(years, targets, strict=True):
        share = (truck_km_share(row) or 0.0) if metric == "truck_km" else row["covered_share"]
        if share < target - 1e-6:
            missed.append(f"{row['year']} ({share:.4f} < {target:g})")
    return Check(
        "rollout_coverage_per_year",
        not missed,
        f"every year serves its rollout.coverage_target of the {metric}"
        if not missed
        else f"coverage target missed in {', '.join(missed)}",
    )


def rollout_afir_check(years: list[dict]) -> Check:
    """Each year's open hubs meet the AFIR milestone due by its end (re-measured in the year table)."""
    due = [r for r in years if r.get("afir_met") is not None]
    missed = [
        f"{r['year']} ({r['afir_milestone']}: share {r['afir_share']:.3f} < {r['afir_required_share']:g})"
        if r["afir_share"] < r["afir_required_share"] - 1e-9
        else f"{r['year']} ({r['afir_milestone']}: a tier below {r['afir_required_share']:g})"
        for r in due
        if not r["afir_met"]
    ]
    return Check(
        "rollout_afir_per_year",
        not missed,
        f"{len(due)} year(s) meet the AFIR milestone due by their end (re-measured from each year's hubs)"
        if not missed
        else f"AFIR milestone missed in {', '.join(missed)}",
    )


def final_year_model(rollout: RolloutResult, instance: PlanningInstance, spec: ModelSpec) -> PlanningModel:
    """The last planning year's variables, in the shape the plan decoder reads."""
    fm = rollout.final_model
    # The model's last year (a myopic model holds one year); none when no site is ever needed.
    last = max((t for _, t in [*fm.open, *fm.served]), default=0)
    variables = Variables(
        open={k: fm.open[k, last] for k in fm.sites},
        served={g: fm.served[g, last] for g in range(len(fm.groups))},
        window={},
        groups=fm.groups,
        group_windows=fm.group_windows,
    )
    weight = flow_weight(instance, spec.metric)
    free = instance.free.copy()
    upgrade = {k: fm.upgrade[k, last] for k in fm.sites if (k, last) in fm.upgrade}
    grid = GridVariables(upgrade=upgrade, battery={}, cost=pulp.LpAffineExpression())
    cap = None
    if fm.level:
        cap = CapacityVariables(
            assign={(g, k): v for (g, k, t), v in fm.assign.items() if t == last},
            level={(k, ti, li): v for (k, t, ti, li), v in fm.level.items() if t == last},
            split={(k, ti): v for (k, t, ti), v in fm.split.items() if t == last},
            sessions=pulp.LpAffineExpression(),
            hub_sessions={},
        )
    model = PlanningModel(fm.problem, instance, variables, weight, free, float(weight[free].sum()), spec)
    model.parts["grid"] = grid
    if cap is not None:
        model.parts["capacity"] = cap
        model.assign = cap.assign
    return model
