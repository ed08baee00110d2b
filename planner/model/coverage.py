"""Coverage family: a flow group is served only if each of its windows has an open site.

``y_g <= sum_{k in W} x_k`` for every window ``W`` of group ``g``; windows shared by several
groups get one ``z_W <= sum_{k in W} x_k`` and ``y_g <= z_W`` links (fewer nonzeros).
"""

from __future__ import annotations

import pulp

from planner.model.variables import Variables


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
