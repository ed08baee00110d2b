"""The library API: run a scenario through the whole pipeline.

``planner.run(scenario)`` → :class:`~planner.plan.Plan`. Each stage is also usable on its own
(:func:`planner.network.load_network`, :func:`planner.candidates.build_candidates`, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from planner.export import RUN_FILES, write_plan
from planner.outdir import check_target, claim_folder, folder_kind
from planner.pipeline import run_pipeline
from planner.plan import Plan
from planner.runfolder import earlier_plan
from planner.scenario import Scenario, load_scenario
from planner.solve import SolveLog

__all__ = ["run", "solve_scenario", "default_out_dir"]

Log = Callable[[str], None]


def _noop(_: str) -> None:
    return None


def default_out_dir(scenario: Scenario) -> Path:
    """``output.dir`` or ``results/<scenario name>`` in the working folder."""
    return scenario.output.dir if scenario.output.dir is not None else Path("results") / scenario.name


def solve_scenario(scenario: Scenario, *, log: Log = _noop, solve_log: SolveLog | None = None) -> Plan:
    """Build, solve, decode and verify a scenario (no files written): :func:`planner.pipeline.run_pipeline`.

    Raises
    ------
    PlannerError
        Any input, infeasibility, solver or verification failure.
    """
    return run_pipeline(scenario, log=log, solve_log=solve_log)


def _render(scenario: Scenario) -> Callable[[Path], list[Path]] | None:
    if not scenario.output.maps:
        return None
    try:
        from planner.render import render_run
    except ImportError:
        return None

    def extra(folder: Path) -> list[Path]:
        return render_run(folder, title=scenario.name)

    return extra


def run(
    scenario: Scenario | str | Path,
    *,
    out_dir: str | Path | None = None,
    write: bool = True,
    log: Log = _noop,
    force: bool = False,
    solve_log: SolveLog | None = None,
) -> Plan:
    """Run a scenario end to end and (by default) write its files.

    Parameters
    ----------
    scenario
        A :class:`~planner.scenario.Scenario` or the path of a scenario TOML file.
    out_dir
        Output folder (default: ``output.dir`` or ``results/<name>``).
    write
        Write the output files (atomically).
    log
        Callback receiving one progress line per stage.
    force
        Write into an existing folder the planner did not write (its own files only, replacing files of the same names).
    solve_log
        Where solves report progress and their own log.

    Returns
    -------
    Plan
        The verified plan (``plan.hubs_gdf`` and ``plan.flows_gdf`` give GeoDataFrames).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if not write:
        return solve_scenario(scenario, log=log, solve_log=solve_log)
    target = Path(out_dir) if out_dir is not None else default_out_dir(scenario)
    check_target(target, force=force, kind="run", names=RUN_FILES)  # refuse before solving, not after
    with claim_folder(target):  # a second run into the folder is refused until this one has written it
        earlier = earlier_plan(target) if folder_kind(target) == "run" else None
        if earlier is not None:
            log(f"{target} holds the plan of {earlier}; this run replaces it")
        plan = solve_scenario(scenario, log=log, solve_log=solve_log)
        files = write_plan(plan, target, extra=_render(scenario), force=force, locked=True)
    plan.extras["out_dir"] = target
    plan.extras["files"] = files
    log(f"wrote {len(files)} files to {target}")
    return plan
