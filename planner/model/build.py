"""Assemble the planning MILP from its constraint families."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pulp

from planner.errors import InfeasibleError
from planner.instance import PlanningInstance
from planner.model.afir import AfirShare, add_afir_share, add_afir_spacing
from planner.model.capacity import CapacitySpec, CapacityVariables, add_capacity, capacity_cost
from planner.model.coverage import add_coverage
from planner.model.grid import GridSpec, GridVariables, add_grid
from planner.model.limits import add_budget, add_coverage_target, add_hub_limit
from planner.model.variables import Variables, group_weight, make_variables

__all__ = ["ModelSpec", "PlanningModel", "build_model", "flow_weight"]

# Tie-break among plans of equal coverage: prefer the cheaper one. The whole term is at most
# this share of the smallest group weight, so it never trades away coverage worth mentioning.
_TIE_BREAK = 1e-6


@dataclass(frozen=True)
class ModelSpec:
    """What to optimise, detached from the scenario file.

    Attributes
    ----------
    objective
        ``max_coverage`` or ``min_cost``.
    metric
        ``volume`` (trucks/day) or ``truck_km`` (truck-km/day).
    max_hubs, budget_eur
        Limits on new hubs (either objective).
    coverage_target
        ``min_cost`` only: share of the total weight to serve; ``None`` serves all servable.
    required_windows
        Site-index sets of which at least one must be open (AFIR spacing).
    capacity
        If set, stops are assigned to hubs and chargers sized by queueing levels; capex is
        then site fixed cost plus the chosen chargers.
    grid
        If set, hub power must fit the site's grid capacity plus paid upgrade steps and buffers.
    afir_share
        A network-share AFIR milestone (2025/2027): enough segment length certified compliant.
    """

    objective: Literal["max_coverage", "min_cost"]
    metric: Literal["volume", "truck_km"] = "volume"
    max_hubs: int | None = None
    budget_eur: float | None = None
    coverage_target: float | None = None
    required_windows: tuple[tuple[int, ...], ...] = ()
    capacity: CapacitySpec | None = None
    grid: GridSpec | None = None
    afir_share: AfirShare | None = None


@dataclass
class PlanningModel:
    """A built PuLP problem with its variables and bookkeeping.

    Attributes
    ----------
    problem
        The PuLP problem.
    variables
        Decision variables.
    weight
        Per-flow weight used by the objective (volume or truck-km).
    free
        Flows served without any new hub (no hub needed, or existing hubs suffice).
    objective_offset
        Weight of the ``free`` flows: add it to a ``max_coverage`` objective to get the
        total served weight.
    """

    problem: pulp.LpProblem
    variables: Variables
    weight: np.ndarray
    free: np.ndarray
    objective_offset: float
    spec: ModelSpec
    capacity: CapacityVariables | None = None
    grid: GridVariables | None = None

    def size(self) -> dict[str, int]:
        """Rows, columns, nonzeros and binaries of the problem."""
        cons = self.problem.constraints()
        nnz = sum(len(c) for c in cons)
        return {
            "rows": len(cons),
            "columns": len(self.problem.variables()),
            "nonzeros": nnz,
            "binaries": sum(1 for v in self.problem.variables() if v.cat == pulp.LpInteger),
        }


def flow_weight(instance: PlanningInstance, metric: str) -> np.ndarray:
    """Objective weight per flow: trucks/day, or truck-km/day on the route length."""
    return instance.volume * (instance.length_km if metric == "truck_km" else 1.0)


def _check_target(instance: PlanningInstance, spec: ModelSpec, weight: np.ndarray) -> float:
    total = float(weight.sum())
    servable = float(weight[instance.servable].sum())
    target = spec.coverage_target
    if target is not None and target * total > servable * (1 + 1e-9):
        unserv = [instance.flow_ids[q] for q in np.flatnonzero(~instance.servable)]
        raise InfeasibleError(
            f"objective.coverage_target={target:g} cannot be met: at most {servable / total:.1%} of the "
            f"{spec.metric} is servable ({len(unserv)} flow(s) can never be served with this vehicle, e.g. "
            f"{', '.join(unserv[:5])}); lower the target, add candidate sites or raise the range."
        )
    return (target if target is not None else 0.0) * total


def build_model(instance: PlanningInstance, spec: ModelSpec) -> PlanningModel:
    """Build the MILP.

    Parameters
    ----------
    instance
        The plain-array instance.
    spec
        Objective and limits.

    Raises
    ------
    InfeasibleError
        When a coverage target exceeds what any set of hubs could serve.
    """
    weight = flow_weight(instance, spec.metric)
    free = np.array([w is not None and len(w) == 0 for w in instance.windows], dtype=bool)
    offset = float(weight[free].sum())
    sense = pulp.LpMaximize if spec.objective == "max_coverage" else pulp.LpMinimize
    problem = pulp.LpProblem(f"planner_{spec.objective}", sense)
    # y may stay continuous only where the objective pushes it to 1 whenever a group is covered
    # (max coverage without capacity). With a coverage target, or with capacity (partial
    # assignment), a fractional y would count part of a flow: make it binary there.
    binary_served = spec.capacity is not None or (spec.objective == "min_cost" and spec.coverage_target is not None)
    variables = make_variables(problem, instance, list(spec.required_windows), binary_served=binary_served)
    add_afir_share(problem, instance, variables, spec.afir_share)  # before capex: may add open variables
    gweight = group_weight(instance, variables.groups, weight)
    cap_vars = None
    if spec.capacity is not None:
        gvolume = group_weight(instance, variables.groups, instance.volume)
        cap_vars = add_capacity(problem, variables, gvolume, spec.capacity)
        # A charge of 10⁻⁶ × the cheapest point's price per assigned session: among equally cheap plans,
        # trucks stop no more often than their trip needs (sessions are not inflated).
        capex = capacity_cost(variables, cap_vars, spec.capacity, instance.site_locked)
        cheapest = min(t.capex_eur for t in spec.capacity.types)
        session_charge = 1e-6 * cheapest * cap_vars.sessions
        scale = len(variables.open) * spec.capacity.max_capex
    else:
        capex = pulp.lpSum(float(instance.site_cost[k]) * x for k, x in variables.open.items())
        session_charge = 0
        scale = float(sum(instance.site_cost[k] for k in variables.open))
    grid_vars = None
    if spec.grid is not None:
        grid_vars = add_grid(problem, variables, spec.grid, spec.capacity, cap_vars)
        capex = capex + grid_vars.cost
        scale += (spec.grid.step_eur * spec.grid.max_steps + spec.grid.battery_eur * spec.grid.max_batteries) * len(
            variables.open
        )
    if spec.objective == "max_coverage":
        eps = _TIE_BREAK * (float(gweight.min()) if len(gweight) else 1.0) / (scale or 1.0)
        problem += (
            pulp.lpSum(float(gweight[g]) * y for g, y in variables.served.items()) - eps * (capex + session_charge),
            "served_weight",
        )
        add_coverage(problem, variables, require_all=False)
    else:
        required = _check_target(instance, spec, weight)
        problem += (capex + session_charge, "capex")
        add_coverage(problem, variables, require_all=spec.coverage_target is None)
        if spec.coverage_target is not None:
            add_coverage_target(problem, variables, gweight, required - offset)
    add_afir_spacing(problem, instance, variables, list(spec.required_windows))
    add_hub_limit(problem, instance, variables, spec.max_hubs)
    add_budget(problem, variables, capex, spec.budget_eur)
    return PlanningModel(problem, variables, weight, free, offset, spec, cap_vars, grid_vars)
