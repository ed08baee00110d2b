"""Objective lattices: a dual bound rounded to the next value a plan's objective can take."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pulp
import pytest

from planner.lattice import Lattice, LatticeStop
from planner.scenario import SolverConfig
from planner.solve import solve_problem


def test_the_lattice_is_the_gcd_of_whole_costs_on_integer_columns() -> None:
    lat = Lattice.of(np.array([4e6, 0.0, 6e6, 4e6]), np.array([0, 2, 3]), 10.0, False)
    assert lat == Lattice(2e6, 10.0, False)
    assert Lattice.of(np.array([4e6, 1.0]), np.array([0]), 0.0, False) is None  # a continuous column costs
    assert Lattice.of(np.array([4e6, 2.5]), np.array([0, 1]), 0.0, False) is None  # not whole
    assert Lattice.of(np.array([0.0, 0.0]), np.array([0, 1]), 0.0, False) is None  # no objective
    assert Lattice.of(np.array([-3.0, 6.0]), np.array([0, 1]), 0.0, True) == Lattice(3.0, 0.0, True)


def test_a_bound_is_rounded_to_the_lattice_on_its_side() -> None:
    hubs = Lattice(4e6, 0.0, False)
    assert hubs.round(144_096_250.0) == 148e6  # between 36 and 37 hubs: 37 (europe-2030-low-budget, 20k flows)
    assert hubs.round(148e6 - 1e-3) == 148e6 and hubs.round(148e6 + 1e-3) == 148e6  # solver noise
    assert hubs.round(-np.inf) == -np.inf
    assert Lattice(3.0, 1.0, True).round(9.5) == 7.0  # maximising: down to 1 + 2 * 3
    assert Lattice(3.0, 1.0, False).round(9.5) == 10.0


def event(primal: float, dual: float) -> SimpleNamespace:
    return SimpleNamespace(
        data_out=SimpleNamespace(mip_primal_bound=primal, mip_dual_bound=dual), data_in=SimpleNamespace()
    )


def test_the_stop_fires_once_the_rounded_bound_meets_the_plan() -> None:
    cases = [(148e6, 144.1e6, True), (148e6, 143.9e6, False), (1e50, 144.1e6, False), (152e6, 144.1e6, False)]
    for primal, dual, stops in cases:
        stop, e = LatticeStop(Lattice(4e6, 0.0), 0.01), event(primal, dual)
        stop(e)
        assert getattr(e.data_in, "user_interrupt", False) is stops and stop.fired is stops
        assert stop.bound == (148e6 if stops else None)
    stop = LatticeStop(Lattice(4e6, 0.0), 0.01)
    assert stop.prove(152e6, 144.1e6) == (148e6, pytest.approx(4 / 152), False)
    assert stop.prove(148e6, 144.1e6) == (148e6, 0.0, True)


def odd_cycle(n: int, unit: float) -> pulp.LpProblem:
    """Cover the edges of an n-cycle (n odd) with its nodes at ``unit`` each: LP n/2 units, plans (n+1)/2."""
    prob = pulp.LpProblem("cycle", pulp.LpMinimize)
    x = [prob.add_variable(f"x{i}", 0, 1, cat=pulp.LpBinary) for i in range(n)]
    prob += unit * pulp.lpSum(x), "cost"
    for i in range(n):
        prob += x[i] + x[(i + 1) % n] >= 1, f"edge{i}"
    return prob


def test_a_solve_on_a_lattice_reports_a_proven_bound() -> None:
    # The LP bound is 3.5 units; HiGHS 1.16 rounds it itself at the root, so this guards the path
    # through the stop and the proof (the exact rounding is the unit tests' above), not a speed-up.
    for opts in ({}, {"mip_max_nodes": 1, "presolve": "off"}):
        result = solve_problem(odd_cycle(7, 4e6), SolverConfig(mip_gap=0.0), highs_options=opts)
        assert result.status == "optimal" and not result.time_limit_hit
        assert result.objective == pytest.approx(16e6) and result.best_bound == pytest.approx(16e6)
        assert result.mip_gap == pytest.approx(0.0)
