"""The planning MILP: the core coverage model plus the parts features add to it.

:func:`build_model` assembles a PuLP problem from a :class:`~planner.instance.PlanningInstance`
and a :class:`ModelSpec`: the core variables (open sites, served groups, shared windows), then each
feature's :class:`ModelPart` (its constraint families, in registry order), then the objective, the
coverage rows and the limits, then the parts' late rows (requirements that read best after
coverage). Each family is one function that names its constraints and returns early when there is
nothing to add. The formulation is written down in docs/model.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pulp

from planner.arrays import unique_ints
from planner.errors import InfeasibleError
from planner.features.coverage.rows import add_budget, add_coverage, add_coverage_target, add_hub_limit
from planner.features.coverage.variables import Variables, group_weight, make_variables, served_mask
from planner.highs import LazyCover
from planner.instance import PlanningInstance
from planner.solve import Goal, SolveResult

__all__ = [
    "ModelPart",
    "ModelSpec",
    "PlanningModel",
    "Solution",
    "build_model",
    "flow_weight",
    "full_cover",
    "open_site_ids",
    "open_sites",
    "start_from_open",
]


@dataclass(frozen=True)
class ModelPart:
    """A feature's contribution to the single-year model.

    Attributes
    ----------
    name
        The feature's name (side plans drop parts by name).
    data
        The feature's model data (plain arrays and ids).
    add
        ``add(model, data)``: its variables and constraint families, before the objective; may
        set ``price_hubs`` or add to ``extra_capex`` (see :class:`PlanningModel`).
    add_late
        Optional ``add_late(model, data)``: rows added after the coverage rows.
    sites
        Site indices that need an open-variable even if no flow window holds them.
    binary_served
        The part needs binary served variables (partial service would count part of a flow).
    start
        Optional ``start(model, data, solver)``: set a feasible plan as the solver's start values
        (the single-year solve then starts from them); ``solver`` bounds any solve it runs.
    finish
        Optional ``finish(model, data, result, solver)``: improve the solved plan in place (the model's
        variable values, every row still met) and return the result describing it.
    all_cover_rows
        A plan serving every flow hands HiGHS every cover row from the start instead of adding violated
        ones between rounds (:class:`planner.highs.LazyCover`).
    """

    name: str
    data: Any
    add: Callable[[PlanningModel, Any], None] | None = None
    add_late: Callable[[PlanningModel, Any], None] | None = None
    sites: tuple[int, ...] = ()
    binary_served: bool = False
    start: Callable[[PlanningModel, Any, Any], None] | None = None
    finish: Callable[[PlanningModel, Any, Any, Any], Any] | None = None
    all_cover_rows: bool = False


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
    parts
        Features' model parts, in registry order.
    second_stage
        Solve the lexicographic second goal (see :meth:`PlanningModel.goals`).
    """

    objective: Literal["max_coverage", "min_cost"]
    metric: Literal["volume", "truck_km"] = "volume"
    max_hubs: int | None = None
    budget_eur: float | None = None
    coverage_target: float | None = None
    parts: tuple[ModelPart, ...] = ()
    second_stage: bool = True

    def part(self, name: str) -> ModelPart | None:
        """The part of feature ``name`` (None if absent)."""
        return next((p for p in self.parts if p.name == name), None)

    def without(self, *names: str) -> ModelSpec:
        """The same spec without the named features' parts."""
        return replace(self, parts=tuple(p for p in self.parts if p.name not in names))

    def with_part(self, part: ModelPart) -> ModelSpec:
        """The same spec with ``part`` replacing the part of the same name."""
        return replace(self, parts=tuple(part if p.name == part.name else p for p in self.parts))


@dataclass
class PlanningModel:
    """A built PuLP problem with its variables and bookkeeping.

    Attributes
    ----------
    problem
        The PuLP problem.
    instance
        The instance it was built from.
    variables
        Core decision variables.
    weight
        Per-flow weight used by the objective (volume or truck-km).
    free
        Flows served without any new hub (no hub needed, or existing hubs suffice).
    objective_offset
        Weight of the ``free`` flows: add it to a ``max_coverage`` objective to get the total
        served weight.
    spec
        The spec it was built from.
    parts
        Each feature part's variables, by feature name (what its ``add`` returned).
    price_hubs, extra_capex, extra_scale, charge
        How parts price the plan: ``price_hubs(model)`` replaces the default hub pricing (returns
        the expression and its largest value), ``extra_capex`` adds cost expressions (largest value
        ``extra_scale``), ``charge`` adds non-capex terms to the objective.
    assign
        Set by parts that assign each served group's stops to hubs (``a[g,k]``, the share of the
        group's trucks charging at site ``k``): trucks then charge only there. Without it every
        truck charges at every open hub it passes.
    side_bounds
        Bounds on the objective proven on the side by relaxations of this model (a part's ``start``
        may solve the model without its rows); a part's ``finish`` may report the tightest.
    """

    problem: pulp.LpProblem
    instance: PlanningInstance
    variables: Variables
    weight: np.ndarray
    free: np.ndarray
    objective_offset: float
    spec: ModelSpec
    parts: dict[str, Any] = field(default_factory=dict)
    price_hubs: Callable[[PlanningModel], tuple[pulp.LpAffineExpression, float]] | None = None
    extra_capex: list[pulp.LpAffineExpression] = field(default_factory=list)
    extra_scale: float = 0.0
    charge: Any = 0
    assign: dict[tuple[int, int], pulp.LpVariable] | None = None
    served_weight: pulp.LpAffineExpression | None = None
    side_bounds: list[float] = field(default_factory=list)
    _capex: tuple[pulp.LpAffineExpression, float] | None = None

    def capex(self) -> pulp.LpAffineExpression:
        """Capex of the plan as an expression: the hubs (each open site's cost, or the pricing a part
        set in ``price_hubs``) plus every part's ``extra_capex``. Built once, when first asked for
        (after all parts have added their variables)."""
        return self._priced()[0]

    def cost_scale(self) -> float:
        """Largest capex the model could spend (the tie-break's scale)."""
        return self._priced()[1]

    def _priced(self) -> tuple[pulp.LpAffineExpression, float]:
        if self._capex is None:
            if self.price_hubs is not None:
                expr, scale = self.price_hubs(self)
            else:
                site_cost = self.instance.site_cost
                expr = pulp.lpSum(float(site_cost[k]) * x for k, x in self.variables.open.items())
                scale = float(sum(site_cost[k] for k in self.variables.open))
            for extra in self.extra_capex:
                expr = expr + extra
            self._capex = (expr, scale + self.extra_scale)
        return self._capex

    def goals(self) -> tuple[Goal, Goal | None]:
        """The lexicographic goals: served weight then capex (max coverage), or capex then served
        weight (min cost with a coverage target; none when every servable flow must be served)."""
        served = Goal(self.served_weight, pulp.LpMaximize, f"served_{self.spec.metric}")
        cost = Goal(self.capex() + self.charge, pulp.LpMinimize, "capex_eur")
        if self.spec.objective == "max_coverage":
            return served, cost if self.spec.second_stage else None
        wants_more = self.spec.second_stage and self.spec.coverage_target is not None
        return cost, served if wants_more else None

    def claimed_served(self) -> np.ndarray:
        """Flows the solved model says it serves: every servable flow in a full cover, else the flows
        that need no hub and the groups whose served-variable is set."""
        if getattr(self.problem, "lazy_cover", None) is not None:
            return self.instance.servable.copy()
        return served_mask(self.free, self.variables.groups, self.variables.served)

    def size(self) -> dict[str, int]:
        """Rows, columns, nonzeros and integer columns of the problem (cover rows handed over as
        arrays counted as they stand: those added so far when solved lazily)."""
        cons = self.problem.constraints()
        nnz = sum(len(c) for c in cons)
        out = {
            "rows": len(cons),
            "columns": len(self.problem.variables()),
            "nonzeros": nnz,
            "binaries": sum(1 for v in self.problem.variables() if v.cat == pulp.LpInteger),
        }
        lazy = getattr(self.problem, "lazy_cover", None)
        if lazy is not None:
            out["cover_windows"] = len(lazy.windows)
        if lazy is not None and not lazy.in_pulp(self.problem):  # CBC: counted above
            rows = lazy.active if len(lazy.active) else lazy.initial()
            ptr = lazy.cover.window_ptr
            out["rows"] += len(rows)
            out["nonzeros"] += int((ptr[rows + 1] - ptr[rows]).sum())
        return out


@dataclass
class Solution:
    """A solved model: what the decoder reads.

    Attributes
    ----------
    model
        The (final) planning model, with variable values.
    result
        The solver's honest outcome.
    extra
        Solve-specific results (e.g. the stages of a two-stage solve, a rollout's years), by name.
    reported
        The solve logged its outcome and raised on failure itself (e.g. per rollout year).
    """

    model: PlanningModel
    result: SolveResult
    extra: dict[str, Any] = field(default_factory=dict)
    reported: bool = False


def flow_weight(instance: PlanningInstance, metric: str) -> np.ndarray:
    """Objective weight per flow: trucks/day, or truck-km/day on the route length."""
    return instance.volume * (instance.length_km if metric == "truck_km" else 1.0)


def target_shortfall(instance: PlanningInstance, spec: ModelSpec) -> str | None:
    """Why ``spec.coverage_target`` cannot be met with this vehicle (the servable flows weigh less), or None."""
    weight = flow_weight(instance, spec.metric)
    total = float(weight.sum())
    servable = float(weight[instance.servable].sum())
    target = spec.coverage_target
    if target is None or target * total <= servable * (1 + 1e-9):
        return None
    unserv = [instance.flow_ids[q] for q in np.flatnonzero(~instance.servable)]
    return (
        f"objective.coverage_target={target:g} cannot be met: at most {servable / total:.1%} of the "
        f"{spec.metric} is servable ({len(unserv)} flow(s) can never be served with this vehicle, e.g. "
        f"{', '.join(unserv[:5])}); lower the target, add candidate sites or raise the range."
    )


def _check_target(instance: PlanningInstance, spec: ModelSpec, weight: np.ndarray) -> float:
    why = target_shortfall(instance, spec)
    if why is not None:
        raise InfeasibleError(why)
    return (spec.coverage_target if spec.coverage_target is not None else 0.0) * float(weight.sum())


def _objective(model: PlanningModel, gweight: np.ndarray) -> None:
    """Set the first goal as the objective, the coverage rows (and target) of the model's sense."""
    spec, problem, variables = model.spec, model.problem, model.variables
    model.served_weight = pulp.lpSum(float(gweight[g]) * y for g, y in variables.served.items())
    if spec.objective == "max_coverage":
        problem += (model.served_weight, "served_weight")
        add_coverage(problem, variables, require_all=False)
        return
    required = _check_target(model.instance, spec, model.weight)
    problem += (model.capex() + model.charge, "capex")
    add_coverage(problem, variables, require_all=spec.coverage_target is None)
    if spec.coverage_target is not None:
        add_coverage_target(problem, variables, gweight, required - model.objective_offset)


def is_full_cover(spec: ModelSpec) -> bool:
    """Every servable flow must be served and no part assigns stops: the model is a plain set cover
    over the distinct windows (no served-variables, no per-flow rows)."""
    return full_cover(spec.objective, spec.coverage_target, any(p.binary_served for p in spec.parts))


def full_cover(objective: str, coverage_target: float | None, assigns: bool) -> bool:
    """:func:`is_full_cover` from the objective, its coverage target and whether stops are assigned
    (before any model part exists)."""
    return objective == "min_cost" and coverage_target is None and not assigns


def _cover_variables(
    problem: pulp.LpProblem, instance: PlanningInstance, extra: list[tuple[int, ...]]
) -> tuple[Variables, np.ndarray]:
    """Open-variables of the sites in the windows every servable flow needs (and of ``extra``)."""
    cover = instance.cover
    needed = cover.needed_windows()
    ptr = cover.window_ptr
    members = (
        cover.window_sites[np.concatenate([np.arange(ptr[w], ptr[w + 1]) for w in needed])]
        if len(needed)
        else np.zeros(0, dtype=np.int64)
    )
    useful = sorted(set(unique_ints(members).tolist()) | {k for w in extra for k in w})
    locked = instance.site_locked
    # integer in [lb, 1], not LpBinary: PuLP resets a binary's bounds to 0..1, which would let a solve
    # close an existing hub (or, in a myopic rollout year, an earlier year's hub)
    x = {k: problem.add_variable(f"open_{k}", int(locked[k]), 1, cat=pulp.LpInteger) for k in useful}
    return Variables(open=x, served={}, window={}, groups=[], group_windows=[]), needed


def build_model(
    instance: PlanningInstance,
    spec: ModelSpec,
    grouping: tuple[list[list[int]], list[list[tuple[int, ...]]]] | None = None,
) -> PlanningModel:
    """Build the MILP.

    When every servable flow must be served (:func:`is_full_cover`) the model is a set cover over
    the distinct windows, whose rows are handed to HiGHS as arrays and added lazily
    (:class:`planner.highs.LazyCover`); otherwise each group of flows with the same windows gets a
    served-variable linked to its windows.

    Parameters
    ----------
    instance
        The plain-array instance.
    spec
        Objective, limits and the features' parts.
    grouping
        Groups of flows and their windows, instead of every flow's every window (not for a full
        cover): a relaxation when they are subsets (:mod:`planner.features.coverage.lazy`).

    Raises
    ------
    InfeasibleError
        When a coverage target exceeds what any set of hubs could serve.
    """
    weight = flow_weight(instance, spec.metric)
    free = instance.free.copy()
    sense = pulp.LpMaximize if spec.objective == "max_coverage" else pulp.LpMinimize
    problem = pulp.LpProblem(f"planner_{spec.objective}", sense)
    extra_sites = [(k,) for p in spec.parts for k in p.sites]
    full = is_full_cover(spec)
    if full:
        variables, needed = _cover_variables(problem, instance, extra_sites)
        lazy = not any(p.all_cover_rows for p in spec.parts)
        problem.lazy_cover = LazyCover(instance.cover, needed, variables.open, lazy=lazy)
    else:
        # y may stay continuous only where the objective pushes it to 1 whenever a group is covered
        # (max coverage without capacity). With a coverage target, or with partial assignment, a
        # fractional y would count part of a flow: make it binary there.
        binary_served = any(p.binary_served for p in spec.parts) or (
            spec.objective == "min_cost" and spec.coverage_target is not None
        )
        variables = make_variables(problem, instance, extra_sites, binary_served=binary_served, grouping=grouping)
    model = PlanningModel(problem, instance, variables, weight, free, float(weight[free].sum()), spec)
    for part in spec.parts:
        if part.add is not None:
            part.add(model, part.data)
    if full:
        model.served_weight = pulp.LpAffineExpression()
        problem += (model.capex() + model.charge, "capex")
    else:
        _objective(model, group_weight(instance, variables.groups, weight))
    for part in spec.parts:
        if part.add_late is not None:
            part.add_late(model, part.data)
    add_hub_limit(problem, instance, variables, spec.max_hubs)
    add_budget(problem, variables, model.capex(), spec.budget_eur)
    return model


def open_sites(model: PlanningModel) -> np.ndarray:
    """Boolean mask of the sites a solved model opens (existing hubs included)."""
    is_open = model.instance.site_locked.copy()
    for k, x in model.variables.open.items():
        is_open[k] |= (x.value() or 0.0) > 0.5
    return is_open


def open_site_ids(model: PlanningModel) -> set[str]:
    """Ids of the sites a solved model opens (existing hubs included)."""
    return {model.instance.site_ids[k] for k in np.flatnonzero(open_sites(model))}


def start_from_open(model: PlanningModel, is_open: np.ndarray) -> None:
    """A MIP start opening exactly the sites in ``is_open`` (of those with a variable) and serving
    every group whose windows it covers (sizing variables are left to the solver)."""
    v = model.variables
    for k, x in v.open.items():
        x.setInitialValue(1.0 if is_open[k] else 0.0)
    for g, y in v.served.items():
        y.setInitialValue(1.0 if all(is_open[list(w)].any() for w in v.group_windows[g]) else 0.0)
    for w, z in v.window.items():
        z.setInitialValue(1.0 if is_open[list(w)].any() else 0.0)
