"""Core constraint families, one function each: window cover, hub limit, budget, coverage target.

*Coverage*: a flow group is served only if each of its windows has an open site:
``y_g <= sum_{k in W} x_k`` for every window ``W`` of group ``g``; windows shared by several
groups get one ``z_W <= sum_{k in W} x_k`` and ``y_g <= z_W`` links (fewer nonzeros).
*Limits*: at most ``max_hubs`` new hubs, capex within ``budget_eur``, served weight at least the
coverage target.
"""

from __future__ import annotations

import numpy as np
import pulp

from planner.features.coverage.variables import Variables
from planner.instance import PlanningInstance

__all__ = ["add_budget", "add_coverage", "add_coverage_target", "add_hub_limit"]


def add_coverage(problem: pulp.LpProblem, variables: Variables, *, require_all: bool) -> None:
    """Add the window-cover constraints.

    Parameters
    ----------
    problem
        The PuLP problem.
    variables
        Model variables.
    require_all
        Every group must be served (``y_g = 1``): windows become plain covers ``sum x >= 1``.
    """
    x, z = variables.open, variables.window
    for w, zw in z.items():
        problem += (pulp.lpSum(x[k] for k in w) >= zw, f"shared_{zw.name}")
    for g, wins in enumerate(variables.group_windows):
        y = variables.served[g]
        if require_all:
            y.lowBound = 1
        for i, w in enumerate(wins):
            rhs = z[w] if w in z else pulp.lpSum(x[k] for k in w)
            problem += (rhs >= y, f"cover_g{g}_w{i}")


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
