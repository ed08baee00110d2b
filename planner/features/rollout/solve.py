"""Solving a rollout: full foresight (one MILP over all years) or myopic (year by year).

The myopic pass solves one year at a time, each keeping the previous years' hubs (and points and
upgrades). Full foresight solves all years at once, started from a backward plan (last year first,
each earlier year within the next; without [capacity] and [grid]) — or, when a backward year has no
plan, from the myopic plan — so it can only improve on its start.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pulp

from planner.errors import InfeasibleError, SolverError
from planner.features.afir.model import AfirShare
from planner.features.capacity.model import CapacitySpec
from planner.features.coverage.feature import join_limits
from planner.features.coverage.model import flow_weight
from planner.features.coverage.variables import group_flows, group_weight, served_mask
from planner.features.grid.model import GridSpec
from planner.features.rollout.backward import START_SHARE, START_SOFT_SHARE, backward_start
from planner.features.rollout.lazy import YEAR_BOUND_SHARE, Adjust, LazyRollout
from planner.features.rollout.limits import rollout_limits
from planner.features.rollout.model import RolloutModel, RolloutSpec, build_rollout_model, open_in_year, set_start
from planner.instance import PlanningInstance
from planner.scenario import Scenario
from planner.scenario.solver import SolverConfig
from planner.solve import SolveLog, SolveResult, solve_lexicographic, start_value

__all__ = ["RolloutResult", "rollout_headline", "solve_rollout", "year_factors"]

Log = Callable[[str], None]


@dataclass
class RolloutResult:
    """Per-year open sets and the solver results."""

    years: tuple[int, ...]
    open_by_year: list[np.ndarray]  # boolean per site, per year
    results: list[SolveResult]
    volume_factor: tuple[float, ...]
    discount: tuple[float, ...]
    final_model: RolloutModel
    upgrades_by_year: list[dict[int, int]] = field(default_factory=list)  # grid upgrade steps per site
    chargers_by_year: list[dict[tuple[int, str], int]] = field(default_factory=list)  # sized points per site, type
    served_by_year: list[np.ndarray] = field(default_factory=list)  # sized: flows the model serves, per year

    @property
    def opened_year(self) -> np.ndarray:
        """First year each site is open (0 if never)."""
        out = np.zeros(len(self.open_by_year[0]), dtype=int)
        for year, is_open in zip(reversed(self.years), reversed(self.open_by_year), strict=True):
            out[is_open] = year
        return out


def year_factors(scenario: Scenario) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per planning year, the volume factor (BEV share and growth against the base) and the discount."""
    ro, years = scenario.rollout, scenario.rollout.years
    shares = ro.bev_share or [scenario.demand.bev_share] * len(years)
    growth = [(1 + ro.demand_growth_per_year) ** (y - years[0]) for y in years]
    factor = tuple(s / scenario.demand.bev_share * g for s, g in zip(shares, growth, strict=True))
    rate = scenario.costs.discount_rate
    discount = tuple((1 + rate) ** -(y - years[0]) for y in years)
    return factor, discount


@dataclass
class _Year:
    """What one solved year leaves for the next: its open sites, upgrades, points, served flows,
    and (sized) its variable values as a start for the foresight model."""

    is_open: np.ndarray
    upgrades: dict[int, int]
    points: dict[tuple[int, int], int]
    served: np.ndarray
    start: dict


#: A myopic rollout's years share ``solver.time_limit_s``: each gets what the earlier years left, split
#: over the years still to plan with weights falling by :data:`_MYOPIC_DECAY` a year, but never less than
#: this share of an even split (a solver overrunning its limit must not leave a late year no time). Until
#: 2026-12-04 each year got the whole limit: europe-rollout-myopic with 20,000 flows spent 180 s on its
#: first year alone.
_MYOPIC_MIN_SHARE = 0.25
#: Each later myopic year weighs this much of the year before in the split: earlier years fix the hubs
#: every later year keeps, so later years have fewer choices left and solve faster. On
#: europe-rollout-myopic (20,000 flows, 2026-12-04) an even split left 2026 at 4.2-5.4 % after 48 s while
#: 2030-2035 took 2-43 s and the run ended at 2 min 18-37 s of its 300 s.
_MYOPIC_DECAY = 0.5
#: The foresight model gets what its start (myopic years, or the backward plan) left of
#: ``solver.time_limit_s``, so that the limit bounds the whole solve, but never less than this share
#: of it (a start that ran long must not leave the model no time for its root relaxation).
_FORESIGHT_MIN_SHARE = 0.5
#: ... unless its start already serves within ``solver.mip_gap`` of every flow in every year (lazy
#: rounds): then nothing is left to prove and only a cheaper plan is sought, so the limit holds, with at
#: least this share for building the model. europe-rollout-afir with every flow (2026-12-05): the
#: cheaper-plan solve never finished its root relaxation, in 11 s or in 52 s.
_FORESIGHT_CHEAPER_SHARE = 0.1


#: With ``solver.start_flows`` (:func:`_from_largest`), the share of ``solver.time_limit_s`` for planning the
#: rollout of the largest flows alone; every flow's foresight model gets the rest (at least
#: :data:`_FORESIGHT_MIN_SHARE`), half of it for bounding its years by their relaxations.
LARGEST_SHARE = 0.5


class _Rollout:
    """One rollout solve: the scenario's years, the instance and the features' year data."""

    def __init__(
        self,
        scenario: Scenario,
        instance: PlanningInstance,
        required_by_year: list[tuple[tuple[int, ...], ...]],
        shares_by_year: list[AfirShare | None] | None,
        grid: GridSpec | None,
        capacity: CapacitySpec | None,
        log: Log,
        solve_log: SolveLog | None = None,
        lazy: bool = False,
    ) -> None:
        self.scenario, self.instance, self.log, self.solve_log = scenario, instance, log, solve_log
        self.feature_limits: tuple[str, ...] = ()  # as the features state them for any plan (grid, charger limits)
        self.required, self.shares, self.grid, self.capacity = required_by_year, shares_by_year, grid, capacity
        ro = scenario.rollout
        self.years = tuple(ro.years)
        self.factor, self.discount = year_factors(scenario)
        self.budgets = tuple(ro.budget_per_year_eur) if ro.budget_per_year_eur else (None,) * len(self.years)
        self.targets = tuple(ro.coverage_target) if ro.coverage_target else (None,) * len(self.years)
        self.weight = flow_weight(instance, scenario.objective.metric)
        g = scenario.grid
        self.allowed = tuple(y >= g.start_year + g.upgrade_lead_time_years for y in self.years)
        self.gvolume = None  # per group of flows, its volume: only sized hubs ([capacity]) read it
        if capacity is not None:  # listing every flow's windows: 8 GB with every European flow
            groups, _ = group_flows(instance)
            self.gvolume = group_weight(instance, groups, instance.volume)
        self.free = instance.free.copy()
        self.lazy = LazyRollout(instance, self.weight, log, solve_log) if lazy else None

    def within(self, seconds: float, **objective: object) -> _Rollout:
        """This rollout (the same years, instance and kept windows) with ``solver.time_limit_s = seconds`` and
        the ``objective`` fields given."""
        sc = self.scenario
        out = copy.copy(self)
        out.scenario = sc.model_copy(
            update={
                "solver": sc.solver.model_copy(update={"time_limit_s": seconds}),
                "objective": sc.objective.model_copy(update=objective),
            }
        )
        return out

    def solve_model(
        self,
        spec: RolloutSpec,
        solver: SolverConfig,
        *,
        soft: float | None = None,
        adjust: Adjust | None = None,
        start: np.ndarray | None = None,
        share: float | None = None,
    ) -> tuple[RolloutModel, SolveResult]:
        """Build and solve one year's model (both goals): with every window, or by lazily refined windows
        (``share``: of the limit for its relaxation's bound, :meth:`LazyRollout.solve`). ``adjust`` adds rows or
        bounds to the built model; ``start``: open sites meeting every limit of both, the solver's first plan."""
        if self.lazy is not None:
            starts = None if start is None else [start]
            return self.lazy.solve(spec, solver, start=starts, adjust=adjust, soft_limit_s=soft, bound_share=share)
        model = build_rollout_model(self.instance, spec)
        if adjust is not None:
            adjust(model)
        if start is not None:
            set_start(model, [start], spec.required_shares, [spec.fixed_upgrade])
        lex = solve_lexicographic(
            model.problem, *model.goals(), solver, warm_start=start is not None, log=self.solve_log, soft_limit_s=soft
        )
        return model, lex.combined

    def remaining(self, fixed: frozenset[int], points: dict[tuple[int, int], int]) -> float | None:
        """Total budget left after the hubs (and points) already fixed (myopic years)."""
        total = self.scenario.rollout.budget_total_eur
        if total is None:
            return None
        if self.capacity is None:
            return total - float(sum(self.instance.site_cost[k] for k in fixed))
        spent = len(fixed) * self.capacity.site_fixed_eur
        cap = self.capacity
        spent += sum(max(n - cap.existing_at(k, ti), 0) * cap.types[ti].capex_eur for (k, ti), n in points.items())
        return total - spent

    def spec_for(
        self,
        idx: list[int],
        fixed: frozenset[int],
        fixed_upgrade: dict[int, int] | None = None,
        points: dict[tuple[int, int], int] | None = None,
    ) -> RolloutSpec:
        """The model spec of the years ``idx`` with ``fixed`` sites (and upgrades, points) kept."""
        obj = self.scenario.objective
        return RolloutSpec(
            years=tuple(self.years[i] for i in idx),
            volume_factor=tuple(self.factor[i] for i in idx),
            discount=tuple(self.discount[i] for i in idx),
            budget_eur=tuple(self.budgets[i] for i in idx),
            coverage_target=tuple(self.targets[i] for i in idx),
            objective=obj.type,
            weight=self.weight,
            max_hubs=obj.max_hubs,
            required_windows=tuple(self.required[i] for i in idx),
            required_shares=tuple(self.shares[i] for i in idx) if self.shares else (),
            fixed_open=fixed,
            grid=self.grid,
            upgrade_allowed=tuple(self.allowed[i] for i in idx),
            fixed_upgrade=fixed_upgrade or {},
            budget_total_eur=self.remaining(fixed, points or {}),
            capacity=self.capacity,
            group_volume=self.gvolume,
            fixed_chargers=points or {},
            second_stage=obj.second_stage,
        )

    def opened(self, model: RolloutModel, t: int) -> np.ndarray:
        """Sites open in year ``t`` (:func:`~planner.features.rollout.model.open_in_year`)."""
        return open_in_year(model, self.instance.site_locked, t)

    def check(self, result: SolveResult, what: str) -> None:
        sc = self.scenario
        if result.status == "infeasible":
            limits = rollout_limits(sc, self.feature_limits)
            said = join_limits(limits)
            every = sc.objective.type == "min_cost" and not sc.rollout.coverage_target
            serving = " while serving every servable flow (min_cost)" if every else ""
            them = "it" if len(limits) == 1 else "one of them"
            raise InfeasibleError(f"{sc.where}: {what} has no plan within {said}{serving}; relax {them}.")
        if not result.has_solution:
            raise SolverError(f"{sc.where}: {what}: {result.solver} found no solution ({result.message}).")
        result.refuse_empty_plan(f"{sc.where}: {what}")

    def points_of(self, model: RolloutModel, t: int) -> dict[tuple[int, int], int]:
        if self.capacity is None:
            return {}
        return {
            (k, ti): round(pulp.value(model.chargers(self.capacity, k, t, ti)) or 0.0)
            for k in model.sites
            for ti in range(len(self.capacity.types))
        }

    def served_of(self, model: RolloutModel, t: int) -> np.ndarray:
        return served_mask(self.free, model.groups, {g: model.served[g, t] for g in range(len(model.groups))})

    def year_of(self, model: RolloutModel) -> _Year:
        """What a solved one-year model leaves."""
        return _Year(
            is_open=self.opened(model, 0),
            upgrades={k: round(v.value() or 0.0) for (k, _), v in model.upgrade.items()},
            points=self.points_of(model, 0),
            served=self.served_of(model, 0),
            start={
                "assign": {(g, k): v.value() or 0.0 for (g, k, _), v in model.assign.items()},
                "level": {(k, ti, li): v.value() or 0.0 for (k, _, ti, li), v in model.level.items()},
                "split": {(k, ti): v.value() or 0.0 for (k, _, ti), v in model.split.items()},
            },
        )

    def myopic(self, stage: str) -> tuple[list[_Year], list[SolveResult], RolloutModel | None]:
        """Year by year, each keeping the earlier years' hubs; stops at a failed year in foresight mode. As
        the plan (``stage == "myopic"``) the years share ``solver.time_limit_s`` (:func:`myopic_share`);
        as a foresight start each gets :data:`START_SHARE` of it and stops at :data:`START_SOFT_SHARE`."""
        done: list[_Year] = []
        results: list[SolveResult] = []
        fixed: frozenset[int] = frozenset()
        upgrades: dict[int, int] = {}
        points: dict[tuple[int, int], int] = {}
        model = None
        solver = self.scenario.solver
        soft = None
        if stage != "myopic":  # only a start for the foresight model, which gets the full limit
            soft = solver.time_limit_s * START_SOFT_SHARE
            solver = solver.model_copy(update={"time_limit_s": solver.time_limit_s * START_SHARE})
        started, n, limit = time.perf_counter(), len(self.years), self.scenario.solver.time_limit_s
        for i, year in enumerate(self.years):
            if stage == "myopic":  # the plan itself: the years share the limit, each its part of what is left
                share = myopic_share(limit - (time.perf_counter() - started), i, n, limit)
                solver = self.scenario.solver.model_copy(update={"time_limit_s": share})
            bound = YEAR_BOUND_SHARE if stage == "myopic" else None  # the plan's years: bounded by the relaxation
            model, result = self.solve_model(
                self.spec_for([i], fixed, upgrades, points), solver, soft=soft, share=bound
            )
            self.log(f"rollout {year} ({stage}): {result.describe()}")
            if self.scenario.rollout.mode == "foresight" and not result.holds_a_plan:
                break  # no myopic start: let the full model decide (it may still be feasible)
            self.check(result, f"year {year}")
            y = self.year_of(model)
            done.append(y)
            results.append(result)
            fixed = frozenset(int(k) for k in np.flatnonzero(y.is_open) if not self.instance.site_locked[k])
            upgrades, points = y.upgrades, y.points
        return done, results, model

    def result(self, models: list[RolloutModel], t_of: list[int], results: list[SolveResult]) -> RolloutResult:
        """Per-year outcome from the model solving each year (``models[i]``, year index ``t_of[i]``)."""
        return RolloutResult(
            self.years,
            [self.opened(m, t) for m, t in zip(models, t_of, strict=True)],
            results,
            self.factor,
            self.discount,
            models[-1],
            [
                {k: round(m.upgrade[k, t].value() or 0.0) for k in m.sites if (k, t) in m.upgrade}
                for m, t in zip(models, t_of, strict=True)
            ],
            _named([self.points_of(m, t) for m, t in zip(models, t_of, strict=True)], self.capacity),
            [self.served_of(m, t) for m, t in zip(models, t_of, strict=True)] if self.capacity is not None else [],
        )

    def start_foresight(self, full: RolloutModel, years: list[_Year], open_sets: list[np.ndarray]) -> None:
        """Set the myopic (or backward) plan as the foresight model's MIP start."""
        upgrades = [y.upgrades for y in years] if years else [{} for _ in open_sets]
        set_start(full, open_sets, self.shares or (), upgrades)
        if self.capacity is not None:
            for t, is_open in enumerate(open_sets):
                self._start_sized(full, years[t], t, is_open)

    def _start_sized(self, full: RolloutModel, year: _Year, t: int, is_open: np.ndarray) -> None:
        """Year ``t``'s sizing from its own solve as the start; the solver's values brought within each
        variable's bounds (HiGHS may return -6.6e-08 for a 0, which PuLP refuses as a start)."""
        for g in range(len(full.groups)):
            full.served[g, t].setInitialValue(float(year.served[full.groups[g]].all()))
        for (g, k, te), v in full.assign.items():
            if te == t:
                v.setInitialValue(start_value(v, year.start["assign"].get((g, k), 0.0)))
        lowest: dict[tuple[int, int], int] = {}  # a site's smallest level (points standing there may skip some)
        for k, te, ti, li in full.level:
            if te == t:
                lowest[k, ti] = min(li, lowest.get((k, ti), li))
        for (k, te, ti, li), v in full.level.items():
            if te == t:
                fallback = 1.0 if li == lowest[k, ti] and is_open[k] else 0.0
                v.setInitialValue(start_value(v, year.start["level"].get((k, ti, li), fallback)))
        for (k, te, ti), v in full.split.items():
            if te == t:
                v.setInitialValue(start_value(v, year.start["split"].get((k, ti), 0.0)))


def solve_rollout(
    scenario: Scenario,
    instance: PlanningInstance,
    required_by_year: list[tuple[tuple[int, ...], ...]],
    *,
    grid: GridSpec | None = None,
    shares_by_year: list[AfirShare | None] | None = None,
    capacity: CapacitySpec | None = None,
    log: Log = lambda _m: None,
    solve_log: SolveLog | None = None,
    lazy: bool = False,
    feature_limits: tuple[str, ...] = (),
) -> RolloutResult:
    """Solve the rollout (foresight: one MILP; myopic: one per year keeping earlier hubs).

    The foresight MILP starts from the backward plan (:func:`~planner.features.rollout.backward.backward_start`;
    without ``capacity`` and ``grid``) or, when a backward year has no plan (or with them), from the myopic plan;
    its start years stop at :data:`START_SOFT_SHARE` of the limit. On europe-rollout-afir (2026-12-03, alone on the
    machine) the backward start gave 42.23 M discounted truck-km·day at a gap of 0.18 % in 2 min 35 s,
    the myopic one 41.85 M at 1.09 % in 2 min 43 s; europe-rollout-2026-2035 the same optimum and files.

    ``lazy``: max coverage without ``capacity`` refines every model's windows lazily
    (:mod:`planner.features.rollout.lazy`), the start years and the foresight model sharing the kept windows;
    with ``solver.start_flows`` a foresight rollout is first planned for the largest flows (:func:`_from_largest`).

    ``required_by_year`` / ``shares_by_year``: per year, the AFIR spacing windows or segment share
    of the milestone due by its end (:func:`planner.features.afir.requirements.rollout_requirements`).
    ``feature_limits``: the limits the enabled features set, as an infeasibility message names them.
    """
    started = time.perf_counter()
    lazy = lazy and capacity is None and scenario.objective.type == "max_coverage"
    ro = _Rollout(scenario, instance, required_by_year, shares_by_year, grid, capacity, log, solve_log, lazy=lazy)
    ro.feature_limits = feature_limits
    count = scenario.solver.start_flows
    if ro.lazy is not None and scenario.rollout.mode == "foresight" and count is not None:
        out = _from_largest(ro, count, started)
        if out is not None:
            return out
    return _plan(ro, started)


def _plan(ro: _Rollout, started: float) -> RolloutResult:
    """The rollout of ``ro``'s scenario: myopic years, or the foresight model started from the backward plan
    (without [capacity] and [grid]) or else the myopic one."""
    capacity, grid = ro.capacity, ro.grid
    myopic = ro.scenario.rollout.mode == "myopic"
    if not myopic and capacity is None and grid is None:
        backward = backward_start(ro)
        if backward is not None:
            return _foresight(ro, [], started, backward)
    years, results, model = ro.myopic("myopic" if myopic else "myopic start")
    if myopic:
        assert model is not None and len(years) == len(ro.years)
        return RolloutResult(
            ro.years,
            [y.is_open for y in years],
            results,
            ro.factor,
            ro.discount,
            model,
            [y.upgrades for y in years],
            _named([y.points for y in years], capacity),
            [y.served for y in years] if capacity is not None else [],
        )
    return _foresight(ro, years, started)


def _from_largest(ro: _Rollout, count: int, started: float) -> RolloutResult | None:
    """``solver.start_flows`` (lazily refined foresight): the whole rollout planned for the ``count`` largest
    flows alone within :data:`LARGEST_SHARE` of the limit, its plan valued on every flow, then every flow's
    foresight model (bounded by its years' relaxations) started from it, which it keeps unless a round truly
    serves more. None (logged) when ``count`` is not below the flows that need a hub: every flow is then planned
    from none. When no plan of the largest flows came in time, every flow is planned from none within what is
    left of the limit (:func:`_from_none`)."""
    lazy = ro.lazy
    assert lazy is not None
    among = lazy.largest(count)
    if among is None:
        ro.log(f"rollout: {lazy.no_start(count)}")
        return None
    t0 = time.perf_counter()
    # the same years, instance and kept windows; a share of the limit; its capex goal is every flow's alone
    cut = ro.within(ro.scenario.solver.time_limit_s * LARGEST_SHARE, second_stage=False)
    try:
        with lazy.only(among):
            plan = _plan(cut, t0)
    except SolverError as err:
        return _from_none(ro, started, f"no start plan on the {count:,} largest flows ({err})")
    on_them = plan.results[-1]
    took = time.perf_counter() - t0
    spec = ro.spec_for(list(range(len(ro.years))), frozenset())
    value = lazy.value(spec, plan.open_by_year)
    gap = "" if on_them.mip_gap is None else f" {on_them.status} at {on_them.mip_gap:.2%} on them,"
    said = f"started from the plan of the {count:,} largest flows ({gap} {took:.0f} s)".replace("( ", "(")
    ro.log(f"rollout: {said}; on every flow it serves {value:,.1f}")
    out = _foresight(ro, [], started, plan.open_by_year, how=said)
    out.results[0] = replace(out.results[0], message=f"{said}; {out.results[0].message}")
    return out


def _from_none(ro: _Rollout, started: float, why: str) -> RolloutResult:
    """Every flow planned from none (:func:`_plan`) within what is left of ``solver.time_limit_s`` since
    ``started`` (at least :data:`_FORESIGHT_MIN_SHARE` of it), after a start that gave no plan."""
    limit = ro.scenario.solver.time_limit_s
    left = max(limit - (time.perf_counter() - started), _FORESIGHT_MIN_SHARE * limit)
    ro.log(f"rollout: {why}; every flow from none in the {left:.0f} s left of solver.time_limit_s = {limit:g} s")
    return _plan(ro.within(left), time.perf_counter())


def _foresight(
    ro: _Rollout,
    years: list[_Year],
    started: float,
    backward: list[np.ndarray] | None = None,
    how: str = "started from the backward plan",
) -> RolloutResult:
    """All years in one MILP, started from the ``backward`` plan or else the myopic ``years`` (when every
    year has one), within what the start left of ``solver.time_limit_s`` (at least
    :data:`_FORESIGHT_MIN_SHARE` of it, or :data:`_FORESIGHT_CHEAPER_SHARE` when the start leaves nothing
    to prove)."""
    open_sets = [y.is_open for y in years]
    warm = len(years) == len(ro.years)
    if backward is None:
        how = "started from the myopic plan"
    else:  # solve_rollout planned it first (the backward plan, or the largest flows'); it is not planned again
        open_sets, warm = backward, True
    spec = replace(ro.spec_for(list(range(len(ro.years))), frozenset()), shared_windows=True)
    solver = ro.scenario.solver
    floor, why = _FORESIGHT_MIN_SHARE, ""
    if ro.lazy is not None and warm:
        gap = ro.lazy.ceiling_gap(spec, open_sets)[2]
        if gap <= solver.mip_gap + 1e-12:
            floor = _FORESIGHT_CHEAPER_SHARE
            why = f" (its start serves within {gap:.2%} of every flow in every year: only a cheaper plan is sought)"
    left = max(solver.time_limit_s - (time.perf_counter() - started), floor * solver.time_limit_s)
    ro.log(f"rollout: the foresight model gets {left:.0f} s of solver.time_limit_s = {solver.time_limit_s:g} s{why}")
    solver = solver.model_copy(update={"time_limit_s": left})
    if ro.lazy is not None:
        full, result = ro.lazy.solve(spec, solver, start=open_sets if warm else None)
    else:
        full = build_rollout_model(ro.instance, spec)
        if warm:
            ro.start_foresight(full, years if len(years) == len(ro.years) else [], open_sets)
        result = solve_lexicographic(full.problem, *full.goals(), solver, warm_start=warm, log=ro.solve_log).combined
    ro.log(f"rollout {ro.years[0]}–{ro.years[-1]} (foresight, {how if warm else 'no start'}): {result.describe()}")
    if warm and result.status == "no_solution" and _start_is_feasible(full):
        result = _keep_start(full, result)
        kept = how.removeprefix("started from ")  # "the myopic plan" / "the backward plan"
        ro.log(f"rollout: no better plan within the time limit; {kept} is kept: {result.describe()}")
    ro.check(result, "the rollout")
    n = len(ro.years)
    return ro.result([full] * n, list(range(n)), [result])


def _start_is_feasible(full: RolloutModel) -> bool:
    """Whether the start values left on the model's variables meet its bounds and every constraint."""
    variables = full.problem.variables()
    if any(v.varValue is None for v in variables):
        return False
    tol = 1e-6
    for v in variables:
        if (v.lowBound is not None and v.varValue < v.lowBound - tol) or (
            v.upBound is not None and v.varValue > v.upBound + tol
        ):
            return False
    return bool(full.problem.valid(eps=tol))


def _keep_start(full: RolloutModel, result: SolveResult) -> SolveResult:
    """The start plan (still on the model's variables when the search found nothing) as the result:
    ``feasible``, its own objective value, the search's bound and the gap between them."""
    first = full.goals()[0]
    value = pulp.value(first.expression)
    bound = result.best_bound
    gap = None
    if value is not None and bound is not None:
        gap = abs(bound - value) / max(abs(value), 1e-9)
    return replace(
        result,
        status="feasible",
        objective=value,
        mip_gap=gap,
        message=f"{result.message}; the start plan kept (the search found none better)",
    )


def rollout_headline(results: list[SolveResult]) -> SolveResult:
    """The headline result of a rollout: the foresight model's own, or for myopic years (one solve each)
    ``optimal`` only if every year is, the sum of the years' objectives (each year's discounted share of
    the rollout's objective), the worst year's gap, and no bound: a year is optimal only given the
    earlier years' hubs, so the years' bounds do not bound the rollout."""
    if len(results) == 1:
        return results[0]
    gaps = [r.mip_gap for r in results]
    worst = None if any(g is None for g in gaps) else max(gaps)
    statuses = [r.status for r in results]
    return SolveResult(
        status="optimal" if all(s == "optimal" for s in statuses) else "feasible",
        solver=results[-1].solver,
        objective=sum(r.objective or 0.0 for r in results),
        best_bound=None,
        mip_gap=worst,
        seconds=sum(r.seconds for r in results),
        time_limit_hit=any(r.time_limit_hit for r in results),
        message=(
            f"myopic: {len(results)} years solved one at a time ({', '.join(statuses)}); the gap is the worst "
            "year's, each against its own bound given the earlier years' hubs; no bound for the whole rollout"
        ),
    )


def _named(points_by_year: list[dict[tuple[int, int], int]], capacity: CapacitySpec | None) -> list[dict]:
    """Points per (site, type name) per year."""
    if capacity is None:
        return []
    return [{(k, capacity.types[ti].name): n for (k, ti), n in pts.items()} for pts in points_by_year]


def myopic_share(left: float, i: int, n: int, limit: float) -> float:
    """Seconds for myopic year ``i`` of ``n``: its weight's part of the ``left`` seconds over the years still to
    plan (weights falling by :data:`_MYOPIC_DECAY` a year), at least :data:`_MYOPIC_MIN_SHARE` of an even
    split of ``limit``."""
    weights = [_MYOPIC_DECAY ** (j - i) for j in range(i, n)]
    return max(left * weights[0] / sum(weights), _MYOPIC_MIN_SHARE * limit / n)
