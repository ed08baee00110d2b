"""Limit families: number of new hubs, capex budget, coverage target."""

from __future__ import annotations

import numpy as np
import pulp

from planner.instance import PlanningInstance
from planner.model.variables import Variables


def add_hub_limit(problem: pulp.LpProblem, variables: Variables, max_hubs: int | None) -> None:
    """At most ``max_hubs`` new hubs (locked existing hubs are not variables)."""
    if max_hubs is None or not variables.open:
        return
    problem += (pulp.lpSum(variables.open.values()) <= max_hubs, "max_hubs")


def add_budget(
    problem: pulp.LpProblem, instance: PlanningInstance, variables: Variables, budget_eur: float | None
) -> None:
    """Capex of new hubs within ``budget_eur``."""
    if budget_eur is None or not variables.open:
        return
    problem += (
        pulp.lpSum(float(instance.site_cost[k]) * x for k, x in variables.open.items()) <= budget_eur,
        "budget",
    )


def add_coverage_target(
    problem: pulp.LpProblem, variables: Variables, group_weight: np.ndarray, required: float
) -> None:
    """Served weight of the groups needing new hubs at least ``required``."""
    if required <= 0 or not variables.served:
        return
    problem += (
        pulp.lpSum(float(group_weight[g]) * y for g, y in variables.served.items()) >= required,
        "coverage_target",
    )
