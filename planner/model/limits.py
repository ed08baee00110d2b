"""Limit families: number of new hubs, capex budget, coverage target."""

from __future__ import annotations

import numpy as np
import pulp

from planner.instance import PlanningInstance
from planner.model.variables import Variables


def add_hub_limit(
    problem: pulp.LpProblem, instance: PlanningInstance, variables: Variables, max_hubs: int | None
) -> None:
    """At most ``max_hubs`` new hubs (existing, locked hubs do not count)."""
    new = [x for k, x in variables.open.items() if not instance.site_locked[k]]
    if max_hubs is None or not new:
        return
    problem += (pulp.lpSum(new) <= max_hubs, "max_hubs")


def add_budget(
    problem: pulp.LpProblem, variables: Variables, capex: pulp.LpAffineExpression, budget_eur: float | None
) -> None:
    """Capex (as built by the model) within ``budget_eur``."""
    if budget_eur is None or not variables.open:
        return
    problem += (capex <= budget_eur, "budget")


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
