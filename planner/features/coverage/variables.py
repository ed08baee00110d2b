"""Decision variables of the core model and the grouping of flows that share the same cover windows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pulp

from planner.instance import PlanningInstance

__all__ = ["Variables", "group_flows", "group_weight", "make_variables", "served_mask", "shared_windows"]


@dataclass
class Variables:
    """PuLP variables of the planning model.

    Attributes
    ----------
    open
        ``x[k]`` binary: candidate site ``k`` (index into the instance) gets a new hub.
    served
        ``y[g]`` continuous in [0, 1]: flow group ``g`` is served (integral at optimum
        because every group's windows are sums of binaries).
    window
        ``z[w]`` continuous in [0, 1]: shared window ``w`` has an open site.
    groups
        Flow indices of each group (flows with identical windows).
    group_windows
        The windows of each group (tuples of site indices).
    """

    open: dict[int, pulp.LpVariable]
    served: dict[int, pulp.LpVariable]
    window: dict[tuple[int, ...], pulp.LpVariable]
    groups: list[list[int]]
    group_windows: list[list[tuple[int, ...]]]


def group_flows(instance: PlanningInstance) -> tuple[list[list[int]], list[list[tuple[int, ...]]]]:
    """Group servable flows that need at least one new hub by identical windows."""
    by_key: dict[tuple[tuple[int, ...], ...], list[int]] = {}
    for q, win in enumerate(instance.windows):
        if win:  # None: unservable; []: served without new hubs
            by_key.setdefault(tuple(win), []).append(q)
    keys = sorted(by_key, key=lambda k: by_key[k][0])
    return [by_key[k] for k in keys], [list(k) for k in keys]


def make_variables(
    problem: pulp.LpProblem,
    instance: PlanningInstance,
    required: list[tuple[int, ...]] = (),
    *,
    binary_served: bool = False,
    grouping: tuple[list[list[int]], list[list[tuple[int, ...]]]] | None = None,
) -> Variables:
    """Create the variables: one binary per useful site, one continuous per group/shared window.

    Sites are useful if they lie in a group's window or in a ``required`` window (e.g. AFIR). The
    groups are :func:`group_flows`'s unless ``grouping`` gives them (groups and their windows, e.g.
    the kept windows of :class:`planner.features.coverage.lazy.KeptWindows`).
    """
    groups, group_windows = grouping if grouping is not None else group_flows(instance)
    useful = sorted({k for wins in group_windows for w in wins for k in w} | {k for w in required for k in w})
    locked = instance.site_locked
    # integer in [lb, 1], not LpBinary: PuLP resets a binary's bounds to 0..1, which would let a solve
    # close an existing hub (or, in a myopic rollout year, an earlier year's hub)
    x = {k: problem.add_variable(f"open_{k}", int(locked[k]), 1, cat=pulp.LpInteger) for k in useful}
    cat = pulp.LpBinary if binary_served else pulp.LpContinuous
    y = {g: problem.add_variable(f"served_{g}", 0, 1, cat=cat) for g in range(len(groups))}
    z = {w: problem.add_variable(f"window_{i}", 0, 1) for i, w in enumerate(shared_windows(group_windows))}
    return Variables(open=x, served=y, window=z, groups=groups, group_windows=group_windows)


def shared_windows(group_windows: list[list[tuple[int, ...]]]) -> list[tuple[int, ...]]:
    """Windows of more than one site that several groups need, sorted: each gets one ``z_W`` (the same
    polytope in ``x, y`` as a row per group, fewer nonzeros)."""
    count: dict[tuple[int, ...], int] = {}
    for wins in group_windows:
        for w in wins:
            count[w] = count.get(w, 0) + 1
    return sorted(w for w, c in count.items() if c > 1 and len(w) > 1)


def group_weight(instance: PlanningInstance, groups: list[list[int]], weight: np.ndarray) -> np.ndarray:
    """Sum a per-flow weight over each group."""
    return np.array([weight[g].sum() for g in groups], dtype=float)


def served_mask(free: np.ndarray, groups: list[list[int]], served: Mapping[int, pulp.LpVariable]) -> np.ndarray:
    """Flows a solved model serves: those needing no stop (``free``) and groups with ``y > 0.5``."""
    out = free.copy()
    for g, y in served.items():
        if (y.value() or 0.0) > 0.5:
            out[groups[g]] = True
    return out
