"""AFIR spacing family: at least one open hub in every spacing window.

Windows come from :func:`planner.afir.spacing_windows` (one per checkpoint of each direction of
travel on the enforced tiers): ``sum_{k in W} x_k >= 1``. Windows holding an existing hub are
always met and skipped. Every open hub is a compliant pool by construction (the caller checks
that ``chargers_per_hub × charger_power_kw`` meets the milestone's pool requirement).
"""

from __future__ import annotations

import pulp

from planner.instance import PlanningInstance
from planner.model.variables import Variables


def add_afir_spacing(
    problem: pulp.LpProblem, instance: PlanningInstance, variables: Variables, windows: list[tuple[int, ...]]
) -> None:
    """Add ``afir_<i>``: one open site per window (locked sites satisfy a window)."""
    x = variables.open
    for i, w in enumerate(windows):
        if instance.site_locked[list(w)].any():
            continue
        problem += (pulp.lpSum(x[k] for k in w) >= 1, f"afir_{i}")
