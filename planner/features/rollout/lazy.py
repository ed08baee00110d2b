"""Rollout solves with lazily refined windows (max coverage, no stops assigned to hubs).

A rollout model gives every group of flows a served-variable per year linked to its windows, so it
grows with the (group, window) pairs times the years: ``europe-rollout-2026-2035`` with 20,000 flows
has 240,949 pairs per year, and neither its start years nor its foresight model found a plan other
than opening no hub within 300 s. As for one year (:mod:`planner.features.coverage.lazy`), each flow
that needs a hub starts with a few pairwise-disjoint windows (:class:`KeptWindows`), which relaxes
the model: every round's bound holds for the full model. Each round's plan is checked year by year
against every window (a flow counts in a year only if that year's hubs cover all its windows); a
flow the round could count while the plan misses one of its windows keeps that window too, and the
next round starts from the best plan so far.

The kept windows are shared by every solve of one rollout (backward or myopic start years, then the
foresight model), so a window one solve added is there for the next. A solve started from a plan
(the foresight model from its start) keeps it unless a round finds a better one. Years carry their
AFIR rows, budgets and grid connections in full: they read only the open-variables.

Goals: the discounted served weight by rounds until the best true plan is within ``solver.mip_gap``
of the least round bound; then (when that was proven with time left) the least discounted capex
serving as much, the first round plan that truly does so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from planner.features.coverage.lazy import Counted, KeptWindows
from planner.features.coverage.polish import move_hubs
from planner.features.coverage.rounds import (
    Round,
    cost_rounds,
    earlier_open,
    rounds_message,
    rounds_result,
    served_rounds,
)
from planner.features.rollout.lp_bound import YearsBound, cumulative_budgets, relaxation_workers, years_bound
from planner.features.rollout.model import RolloutModel, RolloutSpec, build_rollout_model, open_in_year, set_start
from planner.features.tradeoff.pairs import pair_count
from planner.highs import relative_gap
from planner.instance import PlanningInstance
from planner.scenario.solver import SolverConfig
from planner.solve import SolveLog, SolveResult, combine_goals, second_stage_seconds, solve_problem

__all__ = ["YEAR_BOUND_SHARE", "LazyRollout"]

#: Rounds at most per goal.
_MAX_ROUNDS = 100
#: Share of a solve's time kept for moving hubs when its rounds end unproven (as for one year).
_POLISH_SHARE = 0.2
#: Share of a started solve of several years for bounding them by one-year relaxations with every window
#: (:mod:`planner.features.rollout.lp_bound`) before its rounds.
_BOUND_SHARE = 0.5
#: The same for each year of a myopic plan (its year's relaxation, the earlier hubs open).
YEAR_BOUND_SHARE = 0.25

Adjust = Callable[[RolloutModel], None]


@dataclass
class _Plan:
    """A plan (open sites per year), its true discounted served weight, and the round that found it."""

    open_sets: list[np.ndarray]
    value: float
    model: RolloutModel | None = None


class LazyRollout(Counted):
    """The kept windows of one rollout and the rounds solving its models.

    Parameters
    ----------
    instance
        The planning instance (its cover windows).
    weight
        Per flow, the objective's weight (before the year's volume factor and discount).
    log, solve_log
        Progress lines; the solver's log.
    """

    def __init__(
        self,
        instance: PlanningInstance,
        weight: np.ndarray,
        log: Callable[[str], None],
        solve_log: SolveLog | None = None,
    ) -> None:
        self.instance, self.log, self.solve_log = instance, log, solve_log
        self.weight = np.asarray(weight, dtype=float)
        self.need = instance.servable & ~instance.free
        self.kept = KeptWindows.first(instance.cover, self.weight)
        self.first = [ws.copy() for ws in self.kept.kept]  # the years' bound starts from these (years_bound)
        self.total_pairs = pair_count(instance.cover)
        self.rounds = 0
        self.among: np.ndarray | None = None  # the flows the goals count (None: every flow; a start's largest)

    def value(self, spec: RolloutSpec, open_sets: list[np.ndarray]) -> float:
        """True discounted served weight of a plan: each year's flows whose every window it covers."""
        return self._weighted(spec, [self.instance.cover.served(is_open) for is_open in open_sets])

    def ceiling_gap(self, spec: RolloutSpec, open_sets: list[np.ndarray]) -> tuple[float, float, float]:
        """A plan's true value, the ceiling no plan passes (every flow that needs a hub served in every
        year) and their relative gap."""
        value = self.value(spec, open_sets)
        ceiling = self._weighted(spec, [np.ones(len(self.need), dtype=bool)] * len(spec.years))
        return value, ceiling, relative_gap(value, ceiling)

    def _weighted(self, spec: RolloutSpec, served: list[np.ndarray]) -> float:
        """Discounted weight of each year's served flows that the goals count (:attr:`counted`)."""
        w, counted = self.weight, self.counted
        return float(sum(spec.discount[t] * spec.volume_factor[t] * w[s & counted].sum() for t, s in enumerate(served)))

    def solve(
        self,
        spec: RolloutSpec,
        config: SolverConfig,
        *,
        start: list[np.ndarray] | None = None,
        adjust: Adjust | None = None,
        soft_limit_s: float | None = None,
        bound_share: float | None = None,
    ) -> tuple[RolloutModel, SolveResult]:
        """Both goals of ``spec`` (max coverage) by rounds on the kept windows.

        Parameters
        ----------
        spec
            The years solved together (one, or all for the foresight model).
        config
            Solver settings; ``time_limit_s`` bounds both goals together but for the second goal's
            minimum share (:func:`~planner.solve.second_stage_seconds`).
        start
            A plan meeting every limit of ``spec`` (and of ``adjust``): kept unless a round beats it.
        adjust
            Adds rows or bounds to each round's model after it is built.
        soft_limit_s
            No new round starts after this many seconds once a plan is held (as
            :func:`~planner.solve.solve_problem`'s soft limit inside a round).
        bound_share
            Share of ``config.time_limit_s`` for bounding the years by one-year relaxations (:meth:`years_bound`)
            before the rounds; None: :data:`_BOUND_SHARE` for several years started from a plan, else none.

        Returns
        -------
        tuple
            The model holding the plan in its open-variables, and the honest result.
        """
        t0 = time.perf_counter()
        polishes = _polishable(spec, adjust)
        share = 1 - _POLISH_SHARE if polishes else 1.0
        if bound_share is None:
            bound_share = _BOUND_SHARE if start is not None and len(spec.years) > 1 else 0.0
        best, r1, last_model = self._served_goal(spec, config, start, adjust, soft_limit_s, share, bound_share)
        if polishes and best is not None and r1.status != "optimal":
            deadline = t0 + min(soft_limit_s or math.inf, config.time_limit_s)
            model = best.model if best.model is not None else last_model
            assert model is not None
            r1 = self._polish(spec, best, model, r1, deadline, config.mip_gap)
        if best is None:
            assert last_model is not None
            return last_model, r1
        final, r2 = best, None
        if r1.status == "optimal" and spec.second_stage and soft_limit_s is None:
            seconds = second_stage_seconds(config.time_limit_s, time.perf_counter() - t0)
            cheaper, r2 = self._cost_goal(spec, config, best, adjust, seconds)
            final = cheaper or best
        model = final.model if final.model is not None else last_model
        if model is None:  # the start kept without a round (it left nothing to prove): a model to hold it
            model = self._build(spec, adjust, final)
        if final.model is None:  # the start kept: write it into that model's variables
            _write(model, final.open_sets, self.instance.site_locked)
        return model, combine_goals(r1, r2, final.value)

    def _round(
        self,
        spec: RolloutSpec,
        config: SolverConfig,
        start: _Plan | None,
        adjust: Adjust | None,
        soft_limit_s: float | None,
        hold: float | None = None,
    ) -> Round[RolloutModel, _Plan]:
        """Build and solve one relaxed model (``hold``: the second goal, served weight held) within
        ``config.time_limit_s`` (building included); its plan is checked year by year and refines the
        kept windows."""
        t0 = time.perf_counter()
        model = self._build(spec, adjust, start, hold)
        built = time.perf_counter() - t0
        config = config.model_copy(update={"time_limit_s": max(config.time_limit_s - built, 1.0)})
        plans: list[np.ndarray] = []
        result = solve_problem(
            model.problem,
            config,
            warm_start=start is not None,
            log=self.solve_log,
            soft_limit_s=soft_limit_s,
            plans=plans,
        )
        self.rounds += 1
        if not result.has_solution:
            return Round(model, result, None, 0, built)
        locked = self.instance.site_locked
        sets = [open_in_year(model, locked, t) for t in range(len(spec.years))]
        served, counts = zip(*(self.kept.refine(is_open) for is_open in sets), strict=True)
        refined = sum(counts)
        keys, opened = earlier_open(model.problem, model.open, plans)
        site = np.array([k for k, _ in keys], dtype=np.int64)
        year = np.array([t for _, t in keys], dtype=np.int64)
        in_year = [year == t for t in range(len(spec.years))]
        for mask in opened:
            for t in range(len(spec.years)):
                is_open = locked.copy()
                is_open[site[mask & in_year[t]]] = True
                refined += self.kept.refine(is_open)[1]
        return Round(model, result, _Plan(sets, self._weighted(spec, list(served)), model), refined, built)

    def _build(
        self, spec: RolloutSpec, adjust: Adjust | None, start: _Plan | None, hold: float | None = None
    ) -> RolloutModel:
        """The relaxed model over the kept windows, its objective the first goal (or, with ``hold``, the
        second with the served weight held), started from ``start``."""
        model = build_rollout_model(self.instance, spec, grouping=self.kept.grouping(self.among))
        if adjust is not None:
            adjust(model)
        first, second = model.goals()
        goal = first if hold is None else second
        assert goal is not None
        if hold is not None:
            model.problem += (first.expression >= hold, "lazy_keep_served")
        model.problem.sense = goal.sense
        model.problem.setObjective(goal.expression)
        if start is not None:
            set_start(model, start.open_sets, spec.required_shares, [spec.fixed_upgrade] * len(spec.years))
        return model

    def _start_suffices(
        self, spec: RolloutSpec, config: SolverConfig, start: list[np.ndarray], adjust: Adjust | None
    ) -> tuple[_Plan, SolveResult, None] | None:
        """The start and an honest result when it already serves within ``solver.mip_gap`` of every flow
        that needs a hub in every year (the ceiling no plan can pass): no round can prove more than
        that, and a solve would spend its time on a root relaxation that cannot lower this bound
        (``europe-rollout-afir`` with every flow: 47 s for the same 1.89 %). None otherwise. No model is
        built (:meth:`solve` builds one to hold the start only if no cheaper plan comes with its own)."""
        t0 = time.perf_counter()
        value, ceiling, gap = self.ceiling_gap(spec, start)
        if not gap <= float(config.mip_gap) + 1e-12:
            return None
        message = (
            f"the start serves within {gap:.2%} of every flow needing a hub in every year "
            f"(the ceiling {ceiling:,.1f}); not solved"
        )
        result = SolveResult("optimal", config.name, value, ceiling, gap, time.perf_counter() - t0, False, message)
        self.log(f"rollout: {message}")
        return _Plan(start, value), result, None

    def _served_goal(
        self,
        spec: RolloutSpec,
        config: SolverConfig,
        start: list[np.ndarray] | None,
        adjust: Adjust | None,
        soft_limit_s: float | None,
        share: float = 1.0,
        bound_share: float = 0.0,
    ) -> tuple[_Plan | None, SolveResult, RolloutModel | None]:
        """Rounds on the discounted served weight (:func:`served_rounds`): the best true plan, the goal's
        result, the last model. Once a plan is held, rounds get ``share`` of the (soft) limit (the rest is
        for moving hubs)."""

        if start is not None and (enough := self._start_suffices(spec, config, start, adjust)) is not None:
            return enough
        t0, bound = time.perf_counter(), None
        if bound_share > 0:
            bound = self.years_bound(spec, config.time_limit_s * bound_share, relaxation_workers(config.threads))
        spent = time.perf_counter() - t0

        def solve(gap: float, seconds: float, soft: float | None, best: _Plan | None) -> Round[RolloutModel, _Plan]:
            cfg = config.model_copy(update={"time_limit_s": seconds, "mip_gap": gap})
            return self._round(spec, cfg, best, adjust, soft)

        def describe(r: Round[RolloutModel, _Plan], bound: float, gap: float) -> str:
            assert r.plan is not None
            return (
                f"lazy round {self.rounds}{self.label}: {len(r.model.groups):,} groups × {len(spec.years)} year(s), "
                f"plan serves {r.plan.value:,.1f} (the round counted {r.result.objective or 0.0:,.1f}), "
                f"bound {bound:,.1f}, gap {gap:.2%}; {r.refined:,} flows refined"
            )

        out = served_rounds(
            solve,
            limit_s=max(float(config.time_limit_s) - spent, 1.0),
            share=share,
            target=float(config.mip_gap),
            solver=config.name,
            start=None if start is None else _Plan(start, self.value(spec, start)),
            bound=math.inf if bound is None else bound.value,
            soft_limit_s=soft_limit_s,
            describe=describe,
            log=self.log,
            max_rounds=_MAX_ROUNDS,
        )
        best = out.best
        kept_start = best is not None and best.model is None
        message = rounds_message(
            self.rounds,
            self.kept.pairs,
            self.total_pairs,
            "discounted served weight",
            out.status,
            best is not None,
            out.gap,
            "; the start plan kept (no round found a better one)" if kept_start else "",
        )
        if bound is not None:
            message = f"{message}; bound by {bound.describe()}"
        value = None if best is None else best.value
        seconds = out.seconds + spent  # the bound's time is the goal's too
        result = rounds_result(out.status, out.solver, value, out.bound, out.gap, seconds, out.hit, message)
        return best, result, out.model

    def years_bound(self, spec: RolloutSpec, seconds: float, workers: int = 1) -> YearsBound:
        """The discounted served weight of every plan of ``spec`` bounded by each year's linear relaxation with
        every window (:func:`~planner.features.rollout.lp_bound.years_bound`, ``workers`` side by side) within
        ``seconds``. Existing hubs and those fixed open cost no budget, as in the model.

        The relaxations start from each flow's first windows (:meth:`KeptWindows.first
        <planner.features.coverage.lazy.KeptWindows.first>`), not those the rounds kept: the rounds refine
        the windows an integer plan leaves unmet, most of which never bind in the relaxation.
        ``europe-rollout-every-flow`` (2026-12-07, 2 cores): from the windows its 20,000-flow start refined for
        every flow the first pass held 368 k rows and took 110 s, and 150 s bounded 103.07 M; from the first
        windows 184 k rows, 52 s, and 102.79 M; its start's relaxations (the 20,000 flows) converged in 43 s instead of
        39 s, the same value. ``europe-rollout-2026-2035``: converged in 30 s instead of 37 s, the same value (one
        relaxation; 18 s with two side by side)."""
        existing = self.instance.site_locked
        fixed = np.array(sorted(spec.fixed_open), dtype=np.int64)
        locked = existing.copy()
        locked[fixed] = True
        hubs = None if spec.max_hubs is None else max(spec.max_hubs - int((~existing[fixed]).sum()), 0)
        flows, kept = self.kept.flows, self.first
        if self.among is not None:  # a start's: its flows alone
            ours = self.among[flows]
            flows, kept = flows[ours], [ws for ws, mine in zip(kept, ours.tolist(), strict=True) if mine]
        out = years_bound(
            self.instance.cover,
            np.where(locked, 0.0, self.instance.site_cost.astype(float)),
            locked,
            self.weight,
            flows,
            kept,
            budgets=cumulative_budgets(spec.budget_eur, spec.budget_total_eur),
            factors=[d * f for d, f in zip(spec.discount, spec.volume_factor, strict=True)],
            max_hubs=hubs,
            seconds=seconds,
            workers=workers,
            log=lambda m: self.log(f"rollout: {m}"),
        )
        self.log(f"rollout: bound by {out.describe()}")
        return out

    def _polish(
        self, spec: RolloutSpec, best: _Plan, model: RolloutModel, result: SolveResult, deadline: float, target: float
    ) -> SolveResult:
        """Move the hubs of a plan while its true discounted served weight rises
        (:func:`~planner.features.coverage.polish.polish_years`: a hub moves with its opening year, never
        to a dearer site, never adding one, so every year's budget and the hub limit still hold); write
        the moved plan into ``model`` (holding a variable for every site a hub may move to) and return
        the result with the moved plan's value and gap."""
        locked = self.instance.site_locked.copy()
        locked[sorted(spec.fixed_open)] = True
        weight = np.where(self.counted, self.weight, 0.0).astype(float)
        factor = [d * f for d, f in zip(spec.discount, spec.volume_factor, strict=True)]
        bound = math.inf if result.best_bound is None else result.best_bound
        out = move_hubs(
            self.instance.cover,
            weight,
            best.open_sets,
            factor,
            best.value,
            bound,
            model.sites,
            locked,
            self.instance.site_cost,
            deadline,
            self.log,
        )
        if out.open_sets is not None:
            best.open_sets, best.value = out.open_sets, out.value
            best.model = model
            _write(model, best.open_sets, self.instance.site_locked)
        return replace(
            result,
            status="optimal" if out.gap <= target + 1e-12 else result.status,
            objective=best.value,
            mip_gap=out.gap if math.isfinite(out.gap) else None,
            message=f"{result.message}; then {out.what}, gap {out.gap:.2%}",
        )

    def _cost_goal(
        self, spec: RolloutSpec, config: SolverConfig, first: _Plan, adjust: Adjust | None, limit_s: float
    ) -> tuple[_Plan | None, SolveResult]:
        """Rounds on the discounted capex with the served weight held at ``first``'s (:func:`cost_rounds`):
        the first round plan that truly serves as much."""
        hold = first.value - (1e-9 * abs(first.value) + 1e-6)

        def solve(seconds: float) -> Round[RolloutModel, _Plan]:
            cfg = config.model_copy(update={"time_limit_s": seconds})
            return self._round(spec, cfg, first, adjust, None, hold=hold)

        def describe(_r: Round[RolloutModel, _Plan], ok: bool) -> str:
            return f"lazy round {self.rounds} (discounted capex): {'serves as much' if ok else 'serves less'}"

        r, result = cost_rounds(
            solve, hold, limit_s, solver=config.name, describe=describe, log=self.log, max_rounds=_MAX_ROUNDS
        )
        return (None if r is None else r.plan), result


def _polishable(spec: RolloutSpec, adjust: Adjust | None) -> bool:
    """Whether moving hubs keeps a plan of ``spec`` within its limits: no rows beyond the budgets and
    the hub limit (no AFIR requirement in any year, no grid connections, nothing ``adjust`` adds)."""
    afir = any(spec.required_windows) or any(share is not None for share in spec.required_shares)
    return adjust is None and spec.grid is None and not afir


def _write(model: RolloutModel, open_sets: list[np.ndarray], locked: np.ndarray) -> None:
    """Put a plan's open sites into the model's open-variables (what the plan is decoded from)."""
    for t, is_open in enumerate(open_sets):
        lost = [k for k in np.flatnonzero(is_open & ~locked).tolist() if (k, t) not in model.open]
        if lost:  # every plan comes from a model over fewer kept windows, whose sites this one has
            raise RuntimeError(f"lazy rollout: open sites {lost[:5]} have no variable in year {t}'s model")
    for (k, t), x in model.open.items():
        x.varValue = 1.0 if open_sets[t][k] else 0.0
