"""The round loop of lazy max coverage (:mod:`planner.features.coverage.rounds`), driven by scripted rounds:
when rounds stop, how loosely each is solved, what they prove, and that a start plan is kept."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from planner.features.coverage.rounds import FIRST_GAP, Round, cost_rounds, served_rounds
from planner.solve import SolveResult


@dataclass
class _Plan:
    value: float


def _result(counted: float | None, bound: float | None, status: str = "optimal", hit: bool = False) -> SolveResult:
    return SolveResult(status, "highs", counted, bound, 0.0 if counted is not None else None, 0.01, hit, "")


class _Script:
    """Rounds answering from a list: (true value or None for no plan, the round's count, its bound, status)."""

    def __init__(self, rounds: list[tuple[float | None, float, float, str]]) -> None:
        self.rounds, self.gaps, self.starts = rounds, [], []

    def __call__(self, gap: float, seconds: float, soft: float | None, start: _Plan | None) -> Round:
        self.gaps.append(gap)
        self.starts.append(start)
        value, counted, bound, status = self.rounds[len(self.gaps) - 1]
        plan = None if value is None else _Plan(value)
        return Round(f"model {len(self.gaps)}", _result(counted if plan else None, bound, status), plan, 3)


def test_rounds_tighten_their_gap_and_stop_once_the_true_plan_is_within_the_target() -> None:
    # true values 80, 90, 99 against bounds 120, 110, 100: gaps 40/80, 20/90, 1/99 (of the plan's value)
    rounds = [(80.0, 100.0, 120.0, "optimal"), (90.0, 105.0, 110.0, "optimal"), (99.0, 100.0, 100.0, "optimal")]
    script = _Script(rounds)
    out = served_rounds(script, limit_s=60.0, share=1.0, target=0.011, solver="highs")
    assert out.status == "optimal" and out.best.value == 99.0 and out.bound == 100.0
    assert out.gap == pytest.approx(1 / 99) and out.model == "model 3" and not out.hit
    # 5 % first; then a quarter of the last gap (never below half the target)
    assert script.gaps == pytest.approx([FIRST_GAP, 0.5 / 4, (20 / 90) / 4])
    assert [s.value if s else None for s in script.starts] == [None, 80.0, 90.0]  # each from the best so far


def test_a_round_whose_plan_serves_what_it_counted_proves_its_own_gap() -> None:
    # the second round is solved to 3.1 % (a quarter of 10/80), within the 5 % target, and its plan truly
    # serves its count: optimal, though the least bound (90, the first round's) is 5.9 % above 85
    rounds = [(80.0, 100.0, 90.0, "optimal"), (85.0, 85.0, 95.0, "optimal"), (None, 0.0, 95.0, "")]
    script = _Script(rounds)
    out = served_rounds(script, limit_s=60.0, share=1.0, target=0.05, solver="highs")
    assert script.gaps[1] <= 0.05 < out.gap and out.status == "optimal" and out.best.value == 85.0
    # with a 1 % target the same round was solved only to 3.1 %: it proves nothing and the rounds go on
    script = _Script(rounds)
    out = served_rounds(script, limit_s=60.0, share=1.0, target=0.01, solver="highs")
    assert len(script.gaps) == 3 and out.status == "feasible" and out.best.value == 85.0


def test_a_start_plan_is_kept_unless_a_round_truly_beats_it() -> None:
    start = _Plan(95.0)
    script = _Script([(90.0, 99.0, 100.0, "feasible"), (93.0, 99.0, 99.5, "feasible"), (None, 0.0, 99.5, "")])
    out = served_rounds(script, limit_s=60.0, share=1.0, target=0.001, solver="highs", start=start)
    assert out.best is start and out.status == "feasible" and out.bound == 99.5
    assert all(s is start for s in script.starts)


def test_rounds_stop_when_a_round_runs_out_of_time() -> None:
    script = _Script([(80.0, 100.0, 120.0, "feasible")])

    def out_of_time(gap, seconds, soft, start):
        r = script(gap, seconds, soft, start)
        return Round(r.model, _result(100.0, 120.0, "feasible", hit=True), r.plan, r.refined)

    out = served_rounds(out_of_time, limit_s=60.0, share=1.0, target=0.01, solver="highs")
    assert out.status == "feasible" and out.hit and out.best.value == 80.0 and len(script.gaps) == 1


def test_the_cost_rounds_end_at_the_first_plan_serving_as_much() -> None:
    answers = iter([(90.0, 5), (100.0, 2)])

    def solve(seconds):
        value, refined = next(answers)
        return Round("m", _result(7.0, 6.0), _Plan(value), refined)

    r, result = cost_rounds(solve, 99.9, 60.0, solver="highs", describe=lambda _r, _ok: "")
    assert r is not None and r.plan.value == 100.0 and result.objective == 7.0
    # a round that refines nothing cannot do better next time: no plan, honestly, after that one round
    calls = []

    def stuck(seconds):
        calls.append(seconds)
        return Round("m", _result(7.0, 6.0), _Plan(90.0), 0)

    r, result = cost_rounds(stuck, 99.9, 60.0, solver="highs", describe=lambda *_: "")
    assert r is None and result.status == "no_solution" and result.objective is None and len(calls) == 1


def test_earlier_open_reads_the_plans_before_the_last_with_fixed_sites_open() -> None:
    import pulp

    from planner.features.coverage.rounds import earlier_open

    problem = pulp.LpProblem("p", pulp.LpMaximize)
    x = {k: problem.add_variable(f"open_{k}", 0, 1, cat=pulp.LpBinary) for k in (3, 5, 7)}
    x[7].lowBound = 1  # fixed open (an earlier year's hub): open in every plan, whatever its value
    problem += x[3] + x[5] + x[7]
    problem += x[3] + x[5] <= 1
    names = [v.name for v in problem.variables()]
    plan = lambda *opened: [1.0 if n in opened else 0.0 for n in names]  # noqa: E731
    plans = [plan("open_3"), plan("open_5"), plan("open_3", "open_5"), plan()]
    keys, masks = earlier_open(problem, x, plans, harvest=2)
    assert keys == [3, 5, 7]
    # the last plan is the round's own: the two before it, in order
    assert [m.tolist() for m in masks] == [[False, True, True], [True, True, True]]
    assert earlier_open(problem, x, plans[:1])[1] == []  # only the round's own plan
