"""Max coverage with lazily refined windows: rounds of small relaxed models instead of every window.

The max-coverage model links a served-variable per group of flows to each of the group's windows,
so it grows with the (group, window) pairs: 13.5 M for every European flow, more than
``solver.max_model_pairs`` allows. Here each flow that needs a hub starts with a few of its windows,
pairwise disjoint and smallest first, and flows keeping the same windows form one group
(:class:`KeptWindows`). Keeping only some windows relaxes the model: in it a plan serves at least
every flow it truly serves, so each round's dual bound holds for every plan. Each round's plan is
checked against every window (:meth:`planner.windows.CoverSet.served`); a flow the relaxed model
could count as served (its kept windows are covered) while the plan misses another of its windows
keeps its smallest missed window too, and the next round starts from the best plan so far. The last
few improving plans HiGHS found before a round's final one refine the windows the same way (they lie
near it, so the next rounds need fewer solves).

* First goal (served weight): rounds until the best true plan is within ``solver.mip_gap`` of the
  least round bound; second goal (the least capex serving as much): the first round plan that truly
  serves as much, with its round's bound (a relaxation's, so a true lower bound on the capex; without
  one in time the first plan is kept). When rounds stop and how loosely each is solved is
  :mod:`planner.features.coverage.rounds`'s, shared with rollouts. The second goal is not run when
  the first goal used the whole time limit (the message says so).
* With ``solver.start_flows``, the first goal is first solved on that many largest flows alone (the others
  weigh nothing; up to :data:`START_SHARE` of the limit), and every flow's rounds start from that plan
  (kept unless a round truly serves more) with the windows those rounds added (:func:`_start`). Before
  them the linear relaxation with every window bounds every flow (:mod:`~planner.features.coverage.lp_bound`,
  within :data:`LP_SHARE` of what is left), and the rounds' bounds can only tighten it.
* When the first goal's rounds (80 % of its limit without AFIR or grid rows) end unproven, the best
  plan's hubs are moved while its true served weight rises (:mod:`planner.features.coverage.polish`),
  and the gap is taken from the moved plan.

Only for max coverage without assigned stops ([capacity], [hourly]); rollouts refine theirs in
:mod:`planner.features.rollout.lazy`. Every other part
(AFIR rows, grid connections) reads only the open-variables, which every round has in full.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np

from planner.arrays import largest
from planner.features.coverage.lp_bound import LpBound, every_window_bound
from planner.features.coverage.model import (
    ModelSpec,
    PlanningModel,
    Solution,
    build_model,
    flow_weight,
    open_sites,
    start_from_open,
)
from planner.features.coverage.polish import move_hubs
from planner.features.coverage.rounds import (
    Round,
    cost_rounds,
    earlier_open,
    rounds_message,
    rounds_result,
    served_rounds,
)
from planner.features.tradeoff.pairs import disjoint_windows, pair_count, smallest_windows
from planner.instance import PlanningInstance
from planner.scenario.solver import SolverConfig
from planner.solve import LexResult, SolveLog, SolveResult, combine_goals, second_stage_seconds, solve_problem
from planner.windows import CoverSet

__all__ = [
    "LAZY_FROM_PAIRS",
    "Counted",
    "START_SHARE",
    "KeptWindows",
    "largest_flows",
    "lazy_applies",
    "refines_lazily",
    "solve_lazily",
]

#: Smallest windows tried per flow for its first disjoint set (benchmarks/coverage_lazy.py, --tries).
_TRIES = 16
#: Rounds at most per goal (each refines at least one flow, or tightens its gap).
_MAX_ROUNDS = 200
#: Share of the first goal's time kept for moving hubs (:mod:`planner.features.coverage.polish`) when
#: the rounds end unproven. europe-2030-low-budget, every flow (2026-12-03, 2 cores): 44 s to converge.
_POLISH_SHARE = 0.2


#: Share of ``solver.time_limit_s`` the start on the ``solver.start_flows`` largest flows may use.
#: europe-2030-low-budget's 20,000 largest flows: optimal within 0.5 % after 75-77 s of its 100 s (10 rounds,
#: 2 cores, 2026-12-07), leaving every flow's rounds 200 s (docs/measurements.md, *The European default*,
#: "Every flow, started from the largest").
START_SHARE = 1 / 3
#: Share of what the start left of ``solver.time_limit_s`` for the linear relaxation with every window
#: (:mod:`planner.features.coverage.lp_bound`), before every flow's rounds.
LP_SHARE = 0.8

#: ``solver.coverage_rows = "auto"`` refines lazily from this many (flow group, window) pairs
#: (:meth:`planner.windows.CoverSet.group_window_pairs`). europe-2030-low-budget (2 cores, 2026-12-03,
#: ``benchmarks/scale.py --base europe-2030-low-budget``): with 4,000 flows (12,816 pairs) every window
#: at once solves in 2.0 s to 0.00 %, the rounds in 2.8 s to 0.24 %; with 20,000 (240,949 pairs) the
#: rounds reach 0.95 % in 87 s, every window at once 1 % only after 294 s.
LAZY_FROM_PAIRS = 100_000


def lazy_applies(objective: str, assigns: bool, coverage_rows: str) -> bool:
    """Whether a solve may refine windows lazily: ``solver.coverage_rows`` is not ``"all"``, max coverage,
    no part assigning stops to hubs (``"auto"`` then decides by size, :func:`refines_lazily`). Rollouts
    refine theirs in :mod:`planner.features.rollout.lazy`."""
    return coverage_rows != "all" and objective == "max_coverage" and not assigns


def refines_lazily(coverage_rows: str, pairs: int) -> bool:
    """Where :func:`lazy_applies`: ``"lazy"``, or ``"auto"`` with at least :data:`LAZY_FROM_PAIRS` pairs."""
    return coverage_rows == "lazy" or (coverage_rows == "auto" and pairs >= LAZY_FROM_PAIRS)


@dataclass
class KeptWindows:
    """The windows each flow that needs a hub keeps in the relaxed model.

    Attributes
    ----------
    cover
        The instance's windows.
    flows
        Instance indices of the flows that need a hub and some plan can serve.
    kept
        Per flow of ``flows``, the ids of its kept windows (pairwise disjoint).
    """

    cover: CoverSet
    flows: np.ndarray
    kept: list[list[int]]
    _masks: dict[int, int] = field(default_factory=dict, repr=False)

    @classmethod
    def first(cls, cover: CoverSet, weight: np.ndarray, tries: int = _TRIES) -> KeptWindows:
        """Each flow's pairwise-disjoint windows among its ``tries`` smallest (smallest first)."""
        fw = smallest_windows(cover, weight, tries)
        start = np.searchsorted(fw.pair_flow, np.arange(len(fw.flows) + 1))
        pw = fw.pair_window.tolist()
        out = cls(cover, fw.flows, [])
        out.kept = [out._disjoint(pw[start[f] : start[f + 1]]) for f in range(len(fw.flows))]
        return out

    def _disjoint(self, windows: list[int]) -> list[int]:
        return disjoint_windows(windows, self.cover.window_ptr, self.cover.window_sites, self._masks)

    @property
    def pairs(self) -> int:
        """(flow, window) pairs kept."""
        return sum(len(ws) for ws in self.kept)

    def grouping(self, among: np.ndarray | None = None) -> tuple[list[list[int]], list[list[tuple[int, ...]]]]:
        """Flows keeping the same windows as one group, ordered by their first flow, and each group's
        windows (sorted site tuples): what :func:`planner.features.coverage.model.build_model` takes.
        ``among``: only the flows it marks (a boolean mask over the instance's flows)."""
        by_key: dict[tuple[int, ...], list[int]] = {}
        for q, ws in zip(self.flows.tolist(), self.kept, strict=True):
            if among is None or among[q]:
                by_key.setdefault(tuple(sorted(ws)), []).append(q)
        keys = sorted(by_key, key=lambda k: by_key[k][0])
        return [by_key[k] for k in keys], [[self.cover.window(w) for w in k] for k in keys]

    def refine(self, is_open: np.ndarray) -> tuple[np.ndarray, int]:
        """The plan's truly served flows, and how many flows gained a window: each whose kept windows the
        plan covers while it misses another gets its smallest missed window (any subset of a flow's
        windows relaxes the model; only the first ones need to be disjoint)."""
        cover = self.cover
        served, covered = cover.served(is_open), cover.covered(is_open)
        size = np.diff(cover.window_ptr)
        refined = 0
        for i, q in enumerate(self.flows.tolist()):
            if served[q] or not all(covered[w] for w in self.kept[i]):
                continue
            missed = min((w for w in cover.flow_window_ids(q) if not covered[w]), key=lambda w: (size[w], w))
            self.kept[i] = [*self.kept[i], missed]
            refined += 1
        return served, refined


@dataclass
class _Plan:
    """A round's plan: its open sites, its true served weight (flows that need a hub, checked against
    every window) and the round model holding it in its open-variables."""

    is_open: np.ndarray
    value: float
    model: PlanningModel


class Counted:
    """The flows a lazy solve's goals count: ``need`` (those that need a hub) and, while a start solves
    (``solver.start_flows``), only those ``among`` marks (its largest flows; None: every flow)."""

    instance: PlanningInstance
    need: np.ndarray
    among: np.ndarray | None

    def largest(self, count: int) -> np.ndarray | None:
        """Mask of the ``count`` largest flows that need a hub, a start's (:func:`largest_flows`); None when
        ``count`` is not below them (:meth:`no_start` says so)."""
        if count >= int(self.need.sum()):
            return None
        return largest_flows(self.instance.volume, self.need, count)

    def no_start(self, count: int) -> str:
        """Why ``solver.start_flows = count`` starts nothing (for the log)."""
        return (
            f"no start: solver.start_flows = {count:,} is not below the {int(self.need.sum()):,} flows that need a hub"
        )

    @contextmanager
    def only(self, among: np.ndarray) -> Iterator[None]:
        """The goals count only the flows ``among`` marks while the block runs (a start), every flow after."""
        self.among = among
        try:
            yield
        finally:
            self.among = None

    @property
    def counted(self) -> np.ndarray:
        """The flows a goal counts: those that need a hub (and, for a start, are among its flows)."""
        return self.need if self.among is None else self.need & self.among

    @property
    def label(self) -> str:
        """Said after a round's number in the log: which flows a start's round counts."""
        return "" if self.among is None else f" (start: the {int(self.among.sum()):,} largest flows)"


class _Lazy(Counted):
    """The rounds of one lazy solve."""

    def __init__(
        self,
        instance: PlanningInstance,
        spec: ModelSpec,
        config: SolverConfig,
        log: Callable[[str], None],
        solve_log: SolveLog | None,
    ) -> None:
        self.instance, self.spec, self.config, self.log, self.solve_log = instance, spec, config, log, solve_log
        self.weight = flow_weight(instance, spec.metric)
        self.need = instance.servable & ~instance.free
        self.kept = KeptWindows.first(instance.cover, self.weight.astype(float))
        self.build_seconds = 0.0
        self.rounds = 0
        self.polished = ""  # what moving hubs did, for the message
        self.among: np.ndarray | None = None  # the flows a goal counts (None: every flow; the start's largest)

    def value(self, served: np.ndarray) -> float:
        """The served weight a goal counts (:attr:`counted`)."""
        return float(self.weight[served & self.counted].sum())

    def solve_round(
        self, goal: int, gap: float, seconds: float, start: _Plan | None, hold: float | None = None
    ) -> Round[PlanningModel, _Plan]:
        """Build and solve the relaxed model of the kept windows for goal 0 (served weight) or 1 (capex,
        the served weight held at ``hold``), started from the plan ``start``; HiGHS gets what is left of
        ``seconds`` after building."""
        t0 = time.perf_counter()
        model = build_model(self.instance, self.spec, grouping=self.kept.grouping(self.among))
        first, second = model.goals()
        target = first if goal == 0 else second
        if hold is not None:
            model.problem += (first.expression >= hold, "lazy_keep_served")
        model.problem.sense = target.sense
        model.problem.setObjective(target.expression)
        if start is not None:
            start_from_open(model, start.is_open)
        built = time.perf_counter() - t0
        self.build_seconds += built
        config = self.config.model_copy(update={"time_limit_s": max(seconds - built, 1.0), "mip_gap": gap})
        plans: list[np.ndarray] = []
        result = solve_problem(model.problem, config, warm_start=start is not None, log=self.solve_log, plans=plans)
        self.rounds += 1
        if not result.has_solution:
            return Round(model, result, None, 0, built)
        is_open = open_sites(model)
        served, refined = self.kept.refine(is_open)
        value = self.value(served)
        keys, opened = earlier_open(model.problem, model.variables.open, plans)
        sites = np.array(keys, dtype=np.int64)
        for mask in opened:
            earlier = self.instance.site_locked.copy()
            earlier[sites[mask]] = True
            refined += self.kept.refine(earlier)[1]
        return Round(model, result, _Plan(is_open, value, model), refined, built)

    def served_goal(
        self, limit_s: float, start: _Plan | None = None, bound: float = math.inf
    ) -> tuple[_Plan | None, SolveResult]:
        """Rounds on the first goal (:func:`served_rounds`) from ``start`` (kept unless a round truly serves
        more; ``bound``: one from elsewhere, which the rounds' can only tighten), then moves when unproven:
        the best true plan and the goal's honest result."""
        t0 = time.perf_counter()
        polishes = not self.spec.parts  # AFIR or grid rows could forbid a move
        target = float(self.config.mip_gap)

        def describe(r: Round[PlanningModel, _Plan], bound: float, gap: float) -> str:
            assert r.plan is not None
            return (
                f"lazy round {self.rounds}{self.label}: {len(r.model.variables.groups):,} groups, plan "
                f"{int(r.plan.is_open.sum())} hubs serves {r.plan.value:,.1f} (the round counted "
                f"{r.result.objective or 0.0:,.1f}), bound {bound:,.1f}, gap {gap:.2%}; {r.refined:,} flows refined"
            )

        out = served_rounds(
            lambda gap, seconds, _soft, start: self.solve_round(0, gap, seconds, start),
            limit_s=limit_s,
            share=1 - _POLISH_SHARE if polishes else 1.0,
            target=target,
            solver=self.config.name,
            start=start,
            bound=bound,
            describe=describe,
            log=self.log,
            max_rounds=_MAX_ROUNDS,
        )
        best, status, gap = out.best, out.status, out.gap
        if polishes and status != "optimal" and best is not None:
            gap = self._polish(best, out.bound, t0 + limit_s)
            status = "optimal" if gap <= target + 1e-12 else status
        seconds = time.perf_counter() - t0
        total = pair_count(self.instance.cover)
        has_plan = best is not None
        message = rounds_message(
            self.rounds, self.kept.pairs, total, "served weight", status, has_plan, gap, self.polished
        )
        value = None if best is None else best.value
        return best, rounds_result(status, out.solver, value, out.bound, gap, seconds, out.hit, message)

    def _polish(self, best: _Plan, bound: float, deadline: float) -> float:
        """Move ``best``'s hubs while its true served weight rises (:func:`move_hubs`); write the plan into its
        model's open-variables (what the plan is decoded from) and return the gap to ``bound``."""
        instance, model = self.instance, best.model
        weight = np.where(self.counted, self.weight, 0.0).astype(float)
        out = move_hubs(
            instance.cover,
            weight,
            [best.is_open],
            [1.0],
            best.value,
            bound,
            model.variables.open,
            instance.site_locked,
            instance.site_cost,
            deadline,
            self.log,
        )
        if out.open_sets is not None:
            best.is_open, best.value = out.open_sets[0], out.value
            for k, x in model.variables.open.items():
                x.varValue = 1.0 if best.is_open[k] else 0.0
        self.polished = f"; then {out.what}"
        return out.gap

    def cost_goal(self, first: _Plan, limit_s: float) -> tuple[_Plan | None, SolveResult]:
        """Rounds on the second goal (:func:`cost_rounds`): the least capex whose plan truly serves
        ``first``'s weight."""
        hold = first.value - (1e-9 * abs(first.value) + 1e-6)

        def describe(r: Round[PlanningModel, _Plan], _ok: bool) -> str:
            hubs = 0 if r.plan is None else int(r.plan.is_open.sum())
            serves = 0.0 if r.plan is None else r.plan.value
            return (
                f"lazy round {self.rounds} (capex): plan {hubs} hubs serves {serves:,.1f} of "
                f"{first.value:,.1f} held; {r.refined:,} flows refined"
            )

        r, result = cost_rounds(
            lambda seconds: self.solve_round(1, float(self.config.mip_gap), seconds, first, hold=hold),
            hold,
            limit_s,
            solver=self.config.name,
            describe=describe,
            log=self.log,
            max_rounds=_MAX_ROUNDS,
        )
        return (None if r is None else r.plan), result


def solve_lazily(
    instance: PlanningInstance,
    spec: ModelSpec,
    config: SolverConfig,
    *,
    log: Callable[[str], None] = lambda _m: None,
    solve_log: SolveLog | None = None,
) -> tuple[Solution, float]:
    """Solve max coverage (then, with ``spec.second_stage``, the least capex serving as much) by lazily
    refined windows.

    Returns
    -------
    tuple
        The solution (the model of the round whose plan it is, ``extra["lexicographic"]``) and the
        seconds spent building the round models.
    """
    lazy = _Lazy(instance, spec, config, log, solve_log)
    start, started, spent = _start(lazy, config)
    bound = math.inf
    if start is not None:
        lp = _lp_bound(lazy, config.time_limit_s - spent)
        spent, started = spent + lp.seconds, f"{started}; {lp.describe()}"
        bound = math.inf if lp.value is None else lp.value
    best, r1 = lazy.served_goal(max(config.time_limit_s - spent, 1.0), start, bound)
    if started:
        r1 = replace(r1, message=f"{started}; {r1.message}", seconds=r1.seconds + spent)
    if best is None:
        lex = LexResult(r1, None, r1, f"served_{spec.metric}", None)
        return Solution(_empty_model(lazy), r1, extra={"lexicographic": lex}), lazy.build_seconds
    final, r2 = best, None
    if spec.second_stage and r1.time_limit_hit:
        # its round would be a new model as large as the first goal's last: with every European flow
        # HiGHS spent 140-177 s of a 75 s share in that round's root and kept its start (2026-12-03)
        skip = "the second goal (least capex serving as much) not run: the first goal used the time limit"
        log(f"lazy windows: {skip}")
        r1 = replace(r1, message=f"{r1.message}; {skip}")
    elif spec.second_stage:
        cheaper, r2 = lazy.cost_goal(best, second_stage_seconds(config.time_limit_s, r1.seconds))
        final = cheaper or best
    combined = combine_goals(r1, r2, final.value)
    lex = LexResult(r1, r2, combined, f"served_{spec.metric}", "capex_eur" if r2 is not None else None)
    return Solution(final.model, combined, extra={"lexicographic": lex}), lazy.build_seconds


def largest_flows(volume: np.ndarray, need: np.ndarray, count: int) -> np.ndarray:
    """Mask of the ``count`` largest flows by trucks/day (ties in flow order) among those marked ``need``."""
    candidates = np.flatnonzero(need)
    out = np.zeros(len(volume), dtype=bool)
    out[candidates[largest(volume[candidates], count)]] = True
    return out


def _start(lazy: _Lazy, config: SolverConfig) -> tuple[_Plan | None, str, float]:
    """With ``solver.start_flows`` below the flows that need a hub: the served-weight goal on those largest
    flows alone (within :data:`START_SHARE` of the time limit; their rounds refine the shared windows), its plan
    valued on every flow. Returns the start (None without one), what the message says of it, and its seconds."""
    count = config.start_flows
    if count is None:
        return None, "", 0.0
    among = lazy.largest(count)
    if among is None:
        lazy.log(f"lazy windows: {lazy.no_start(count)}")
        return None, "", 0.0
    t0 = time.perf_counter()
    with lazy.only(among):
        plan, result = lazy.served_goal(config.time_limit_s * START_SHARE)
    rounds, lazy.rounds, lazy.polished = lazy.rounds, 0, ""
    spent = time.perf_counter() - t0
    if plan is None:
        lazy.log(f"lazy windows: no start plan on the {count:,} largest flows ({result.status}); every flow from none")
        return None, f"no start plan from the {count:,} largest flows", spent
    plan.value = lazy.value(lazy.instance.cover.served(plan.is_open))
    gap = "" if result.mip_gap is None else f" {result.status} at {result.mip_gap:.2%} on them,"
    said = f"started from the plan of the {count:,} largest flows ({rounds} round(s),{gap} {spent:.0f} s)"
    lazy.log(f"lazy windows: {said}; on every flow it serves {plan.value:,.1f}")
    return plan, said, spent


def _lp_bound(lazy: _Lazy, left_s: float) -> LpBound:
    """The linear relaxation with every window (:func:`every_window_bound`), from the windows the start's
    rounds kept, within :data:`LP_SHARE` of ``left_s``: a bound on every flow before every flow's rounds."""
    instance, kept = lazy.instance, lazy.kept
    out = every_window_bound(
        instance.cover,
        instance.site_cost,
        instance.site_locked,
        lazy.weight,
        kept.flows,
        kept.kept,
        budget_eur=lazy.spec.budget_eur,
        max_hubs=lazy.spec.max_hubs,
        seconds=max(left_s * LP_SHARE, 1.0),
    )
    lazy.log(f"lazy windows: {out.describe()}")
    return out


def _empty_model(lazy: _Lazy) -> PlanningModel:
    """A model without a plan (the decoder never reads it: no plan stops the run)."""
    return build_model(lazy.instance, lazy.spec, grouping=lazy.kept.grouping())
