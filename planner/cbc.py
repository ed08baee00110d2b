"""CBC through PuLP's ``COIN_CMD``: the fallback solver, and the one for LP/MPS-sized comparisons.

The binary is PuLP 3's bundled one, else ``cbc`` on the PATH (PuLP 4 drops the bundled binary and its
``PULP_CBC_CMD`` for ``pip install "pulp[cbc]"``). The result reports what CBC's log says.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pulp

from planner.errors import SolverError
from planner.highs import relative_gap
from planner.scenario import SolverConfig
from planner.solve import SolveLog, SolveResult, quiet_stdout

__all__ = ["cbc_binary", "solve_cbc"]


_CBC_PATTERNS = {
    "objective": re.compile(r"^Objective value:\s+(\S+)", re.M),
    "bound": re.compile(r"^(?:Lower|Upper) bound:\s+(\S+)", re.M),
    "gap": re.compile(r"^Gap:\s+(\S+)", re.M),
    "result": re.compile(r"^Result - (.+)$", re.M),
}


def cbc_binary() -> str:
    """The CBC executable: the one bundled with PuLP 3 (what the tests ran), else ``cbc`` on the PATH.

    PuLP 4 drops its bundled binary (and ``PULP_CBC_CMD``) for ``pip install pulp[cbc]``, which puts a
    ``cbc`` on the PATH; both are run through ``COIN_CMD``.

    Raises
    ------
    SolverError
        If neither exists, with the fix.
    """
    bundled = Path(pulp.apis.coin_api.pulp_cbc_path)
    if bundled.is_file():
        if not os.access(bundled, os.X_OK):  # as PuLP's PULP_CBC_CMD does for its own copy
            with contextlib.suppress(OSError):
                bundled.chmod(bundled.stat().st_mode | 0o111)
        return str(bundled)
    found = shutil.which("cbc")
    if found is None:
        raise SolverError('CBC not found: install it with `pip install "pulp[cbc]"`, or set solver.name = "highs".')
    return found


def solve_cbc(problem: pulp.LpProblem, config: SolverConfig, *, log: SolveLog | None = None) -> SolveResult:
    """Solve with CBC through PuLP's ``COIN_CMD``; status, objective, bound and gap read from CBC's log.

    A model whose cover rows are kept as arrays for HiGHS gets them as PuLP rows first. A time limit with
    a plan is ``feasible`` (never ``optimal``); CBC ignores MIP starts here.
    """
    bulk = getattr(problem, "lazy_cover", None)
    if bulk is not None:  # the cover rows kept as arrays for HiGHS
        bulk.add_to_pulp(problem)
    with tempfile.TemporaryDirectory(prefix="planner-cbc-") as tmp:
        cbc_log = Path(tmp) / "cbc.log"
        solver = pulp.COIN_CMD(
            path=cbc_binary(),
            msg=False,
            timeLimit=config.time_limit_s,
            gapRel=config.mip_gap,
            threads=config.threads,
            logPath=str(cbc_log),
            keepFiles=False,
        )
        t0 = time.perf_counter()
        with quiet_stdout(), contextlib.suppress(pulp.PulpSolverError):
            problem.solve(solver)
        seconds = time.perf_counter() - t0
        text = cbc_log.read_text() if cbc_log.exists() else ""
    if log is not None and log.log_file is not None:
        with log.log_file.open("a", encoding="utf-8") as fh:
            fh.write(f"--- solve: {problem.name} (CBC) ---\n{text}")
    found = {k: p.search(text) for k, p in _CBC_PATTERNS.items()}
    result = found["result"].group(1).strip() if found["result"] else pulp.LpStatus[problem.status]
    # CBC logs objective and bound in the problem's own sense ("Upper bound" when maximising), both in
    # full; its "Gap:" line is rounded to two decimals (a 1.5 % gap prints 0.02, a 0.4 % one 0.00), so
    # the gap is taken from the two, as HiGHS's is, and the printed one (its magnitude: it carries a
    # sign by convention) only when one of them is missing.
    obj_log = float(found["objective"].group(1)) if found["objective"] else None
    bound_log = float(found["bound"].group(1)) if found["bound"] else None
    gap = abs(float(found["gap"].group(1))) if found["gap"] else None
    if obj_log is not None and bound_log is not None and max(abs(obj_log), abs(bound_log)) < 1e30:
        gap = relative_gap(obj_log, bound_log)
    time_hit = "time" in result.lower() or "stopped" in result.lower()
    sol = problem.sol_status
    if sol == pulp.LpSolutionOptimal and not time_hit:
        status = "optimal"
    elif sol in (pulp.LpSolutionIntegerFeasible, pulp.LpSolutionOptimal):
        status = "feasible"
    elif sol == pulp.LpSolutionInfeasible or "infeasible" in result.lower():
        status = "infeasible"
    elif time_hit:
        status = "no_solution"
    else:
        status = "error"
    obj = pulp.value(problem.objective) if status in ("optimal", "feasible") else None
    if obj is None and status in ("optimal", "feasible"):
        obj = obj_log
    if status == "optimal":
        bound = bound_log if bound_log is not None else obj
        gap = gap if gap is not None else 0.0
    else:
        bound = bound_log
    return SolveResult(
        status=status,
        solver="cbc",
        objective=obj,
        best_bound=bound,
        mip_gap=gap if status in ("optimal", "feasible") else None,
        seconds=seconds,
        time_limit_hit=time_hit,
        message=result,
    )
