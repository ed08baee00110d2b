"""Command-line interface: a thin layer over the library API.

User errors (:class:`~planner.errors.PlannerError`) print one line on stderr and exit non-zero,
without a traceback. Anything unexpected is caught by the top-level guard in :func:`main`: one line
naming the error and ``--debug`` (which shows the traceback) — bugs stay visible, users see no
traceback. Ctrl-C ends with exit code 130 and writes nothing.

Exit codes: 0 ok; 1 a planner error or failed sweep points; 2 scenario or usage error; 3 data
error; 4 infeasible; 5 solver; 6 verification; 7 output folder; 70 internal error; 130 interrupted.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer
from rich.console import Console

from planner.errors import OutputError, PlannerError, ScenarioError

if TYPE_CHECKING:
    from planner.sweep import Sweep

_FORCE_HELP = (
    "Write into an existing folder the planner did not write: files there named like the planner's output are "
    "replaced, nothing else is touched."
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: no '<bool>' after flags, '[grid]' stays text
    help="Plan charging hubs for battery-electric heavy trucks.",
)
network_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Build planner networks (e.g. from OpenStreetMap)."
)
app.add_typer(network_app, name="network")

_err = Console(stderr=True, highlight=False, soft_wrap=True)


def _logger(quiet: bool):
    out = Console(stderr=True, highlight=False)
    if quiet:
        return lambda _msg: None
    if out.is_terminal:
        return lambda msg: out.print(f"[bold cyan]›[/] {msg}")
    return lambda msg: print(f"planner: {msg}", file=sys.stderr, flush=True)


def _line(text: object) -> str:
    """One line: whatever a message holds (a library's multi-line text), it is printed as one."""
    return " ".join(str(text).split())


def _fail(exc: PlannerError) -> None:
    _err.print(f"error: {_line(exc)}", markup=False)
    raise typer.Exit(exc.exit_code)


def _version(value: bool) -> None:
    if value:
        from planner import __version__

        print(f"planner {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of unexpected errors.")] = False,
) -> None:
    """Plan charging hubs for battery-electric heavy trucks."""


class _RunLog:
    """Progress lines of a run: on the terminal (unless quiet) and, with a log file, in the file with
    a timestamp; the solver's own log goes to the file too."""

    def __init__(self, quiet: bool, log_file: Path | None) -> None:
        self.console = Console(stderr=True, highlight=False)
        self.quiet = quiet
        self.fh: TextIO | None = None
        self.path = log_file
        if log_file is not None:
            try:
                self.fh = log_file.open("a", encoding="utf-8")
            except OSError as exc:
                raise ScenarioError(
                    f"--log-file {log_file}: cannot be written ({exc.strerror}); choose another path."
                ) from None
        self.status = None

    def __call__(self, msg: str) -> None:
        if self.fh is not None:
            self.fh.write(f"{dt.datetime.now().isoformat(timespec='seconds')} {msg}\n")
            self.fh.flush()
        if self.quiet:
            return
        if self.console.is_terminal:
            self.console.print(f"[bold cyan]›[/] {msg}", markup=True, highlight=False)
            if self.status is not None:
                self.status.update(f"working after {msg.split(':', 1)[0]} …")
        else:
            print(f"planner: {msg}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


def _cut_load(demand: dict) -> str:
    """For the last line of ``planner run``: what a ``max_flows`` cut leaves out of sized hubs, if it was counted."""
    load = demand.get("cut_flows_sessions")
    if load is None:
        return ""
    bound = (load.get("every_flow_bound") or {}).get("every_flow_capex_bound_eur")
    every = "" if bound is None else f"; sizing for every flow costs ≥ {bound:,.0f} EUR"
    if "points_short" in load:
        n = sum(load["points_short"].values())
        return f" by range; the hubs lack ≥ {n:,} point{'' if n == 1 else 's'} for them{every}"
    return f" by range; ≥ {load['sessions_per_day']:,.0f} sessions/day of theirs not in the hubs' sizing{every}"


def _log_outside(log_file: Path | None, out: Path) -> None:
    """Refuse a ``--log-file`` inside the output folder, before the log is created: a run replaces that
    folder as a whole, and the log, written there first, would be a file the planner did not write beside
    the plan (refused then, and by every later run into the folder)."""
    if log_file is None:
        return
    folder, path = out.resolve(), log_file.resolve()
    if path == folder or folder in path.parents:
        raise OutputError(
            f"--log-file {log_file}: is inside the output folder {out}, which a run replaces as a whole; "
            f"give a path outside it (e.g. {out.parent / (out.name + '.log')})."
        )


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default results/<name>).")] = None,
    no_maps: Annotated[bool, typer.Option("--no-maps", help="Skip map.png/map.html/report.html.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also show the solver's own log lines while it runs.")
    ] = False,
    log_file: Annotated[
        Path | None,
        typer.Option("--log-file", help="Append the progress lines and the solver's own log to this file."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help=_FORCE_HELP),
    ] = False,
) -> None:
    """Solve a scenario and write its plan (hubs, flows, summary, GeoPackage, maps)."""
    from planner.api import default_out_dir
    from planner.api import run as run_plan
    from planner.plan import truck_km_share
    from planner.scenario import load_scenario
    from planner.solve import SolveLog

    if quiet and verbose:
        _err.print("error: give -q (no progress output) or -v (the solver's log too), not both.", markup=False)
        raise typer.Exit(2)
    try:
        sc = load_scenario(scenario)
        _log_outside(log_file, out if out is not None else default_out_dir(sc))
        log = _RunLog(quiet, log_file)
        solve_log = SolveLog(progress=log, log_file=log_file, echo=verbose)
        if no_maps:
            sc = sc.model_copy(update={"output": sc.output.model_copy(update={"maps": False})})
        if log.console.is_terminal and not quiet:
            # A live spinner naming the running stage; finished stages stay printed above it.
            with log.console.status(f"[bold]{sc.name}[/]: loading …") as status:
                log.status = status
                plan = run_plan(sc, out_dir=out, log=log, force=force, solve_log=solve_log)
        else:
            plan = run_plan(sc, out_dir=out, log=log, force=force, solve_log=solve_log)
    except PlannerError as exc:
        _fail(exc)
        return
    finally:
        if "log" in locals():
            log.close()
    s = plan.summary
    gap = "n/a" if s["mip_gap"] is None else f"{s['mip_gap']:.2%}"
    points = s.get("chargers", {})
    by_type = " + ".join(f"{n:,} {t.upper()}" for t, n in points.get("points_by_type", {}).items())
    standing = f", {s['existing_chargers']:,} of them existing" if s.get("existing_chargers") else ""
    pts = f" ({by_type} points{standing}, {points['total_power_mw']:,.1f} MW)" if by_type else ""
    demand = s.get("demand") or {}
    kept = f" of the {demand['flows_kept']:,} largest flows" if "flows_kept" in demand else ""
    if "all_flows_served_share" in demand:
        kept += f" ({demand['all_flows_served_share']:.1%} of all flows' trucks/day{_cut_load(demand)})"
    tkm = ""
    if s.get("metric") == "truck_km" and (share := truck_km_share(s)) is not None:  # what the objective counts
        tkm = f" ({share:.1%} of their truck-km)"
    print(
        f"{s['scenario']}: {s['status']} (gap {gap}), {s['hub_count']} hub{'' if s['hub_count'] == 1 else 's'}{pts}, "
        f"served {s['covered_share']:.1%} of {s['total_volume']:,.1f} trucks/day{tkm}{kept}"
        f"{' in ' + str(s['kpi_year']) if s.get('kpi_year') else ''}, "
        f"capex {s['total_cost_eur']:,.0f} EUR, verification "
        f"{'passed' if s['verification']['passed'] else 'FAILED'} → {plan.extras['out_dir']}"
    )


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="Scenario (or sweep) TOML file.")]) -> None:
    """Check a scenario file and its data without solving (what a run refuses before its solve); a sweep
    file: list its points, each scenario validated."""
    from planner.demand import describe_demand
    from planner.scenario import load_scenario
    from planner.stages import prepare_run

    try:
        if _is_sweep_file(scenario):  # a sweep: its points listed, each scenario validated (sweep --dry-run)
            from planner.sweep import load_sweep

            _list_points(load_sweep(scenario))
            return
        sc = load_scenario(scenario)
        ctx = prepare_run(sc)
    except PlannerError as exc:
        _fail(exc)
        return
    how = describe_demand(ctx.demand)
    trips = f": {how}" if how else ""
    net = ctx.network
    print(
        f"{scenario}: valid — {net.graph.number_of_nodes()} nodes, {len(net.edges)} edges, "
        f"{len(ctx.sites)} candidate sites, {len(ctx.flows)} flows{trips}"
    )
    for note in sc.inert_settings():
        print(f"note: {note}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    from planner.scenario import scenario_json_schema

    print(scenario_json_schema())


@app.command()
def compare(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run folders written by `planner run`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for kpis.csv/json, sites.csv, compare.html.")],
    no_html: Annotated[bool, typer.Option("--no-html", help="Skip compare.html.")] = False,
) -> None:
    """Compare plans side by side: KPI table, shared and distinct sites, comparison report."""
    from planner.compare import compare_runs, describe_inputs, format_kpis, gap_note, write_comparison

    try:
        kpis, sites = compare_runs(run_dirs)
        inputs = describe_inputs(run_dirs)
        files = write_comparison(run_dirs, out, html=not no_html, tables=(kpis, sites))
    except PlannerError as exc:
        _fail(exc)
        return
    print(format_kpis(kpis))
    note = gap_note(kpis["mip_gap"])
    if note is not None:
        print(note)
    print(inputs)
    common = int(sites["in_all"].sum())
    print(f"{common} site(s) open in all runs, {len(sites)} in any; wrote {len(files)} files to {out}")


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep TOML file (base, name, [grid], [tradeoff]).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Sweep folder (default results/<sweep name>).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", min=1, help="Local worker processes (default 1).")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask distributed scheduler address, e.g. tcp://host:8786.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help=_FORCE_HELP),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Check the sweep file and list its points (each scenario validated); run nothing."
        ),
    ] = False,
) -> None:
    """Run a parameter sweep: every grid combination (and trade-off target) as a run; resumes finished runs.

    Ctrl-C (or SIGTERM) stops the workers at once and exits with 130 (143); finished runs are kept
    and the same command resumes.
    """
    import signal

    from planner.compare import format_points, gap_note
    from planner.sweep import load_sweep, run_sweep

    if workers is not None and scheduler is not None:
        _err.print("error: give --workers or --scheduler, not both (the Dask cluster sets its own workers).")
        raise typer.Exit(2)
    target: Path | None = out
    try:
        sw = load_sweep(sweep_file)
        if dry_run:
            _list_points(sw)
            return
        target = out if out is not None else Path("results") / sw.name
        log = _logger(quiet)
        for note in sw.notes():
            log(f"note: {note}")
        result = run_sweep(sw, target, workers=workers or 1, scheduler=scheduler, isolate=True, force=force, log=log)
    except PlannerError as exc:
        _fail(exc)
        return
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        kept = f"finished runs are kept in {target}; " if target is not None else ""
        _err.print(
            f"error: sweep interrupted ({signal.Signals(signum).name}); {kept}run the same command to resume.",
            markup=False,
        )
        raise typer.Exit(128 + signum) from None
    table = result.table()
    print(format_points(table))
    note = gap_note(table["mip_gap"])
    if note is not None:
        print(note)
    counts = {s: len(result.by_status(s)) for s in ("ok", "skipped", "failed")}
    print(
        f"{len(result.points)} points: {counts['ok']} ran, {counts['skipped']} resumed, {counts['failed']} failed "
        f"→ {result.out_dir}"
    )
    if counts["failed"]:
        first = result.failed[0]
        _err.print(
            f"error: {counts['failed']} of {len(result.points)} point(s) failed (all in "
            f"{result.out_dir / 'failures.json'}); first: {first.name}: {first.error}",
            markup=False,
        )
        raise typer.Exit(1)


def _is_sweep_file(path: Path) -> bool:
    """Whether ``path`` is a readable TOML file holding a sweep (anything else is left to the scenario loader)."""
    import tomllib

    from planner.scenario.loader import is_sweep_table

    try:
        return is_sweep_table(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def _list_points(sw: Sweep) -> None:
    """``planner sweep --dry-run``: the points a sweep would run, and its notes."""
    from planner.sweep.naming import fmt_value

    for point in sw.points:
        changes = ", ".join(f"{k} = {fmt_value(v)}" for k, v in point.overrides if v is not None)
        print(f"{point.name}  ({point.kind}: {changes})")
    for note in sw.notes():
        print(f"note: {note}")
    print(f"{sw.source}: valid — {len(sw.points)} point(s), each scenario validated; nothing was run")


@app.command()
def render(run_dir: Annotated[Path, typer.Argument(help="A run folder written by `planner run`.")]) -> None:
    """(Re)draw map.png, map.svg, map.html and report.html for a run folder."""
    from planner.render import render_folder

    try:
        paths = render_folder(run_dir)
    except PlannerError as exc:
        _fail(exc)
        return
    for path in paths:
        print(path)


#: ``planner network build``'s options by the build parameters they set, for messages.
_OSM = {
    "highway": "--highway",
    "consolidate_tolerance_m": "--tolerance-m",
    "drive_side": "--drive-side",
    "snap_radius_m": "--snap-radius-m",
    "join_via": "--join-via",
}


@network_app.command("build")
def network_build(
    source: Annotated[
        str,
        typer.Argument(help="OSM file (.osm, .osm.gz, .osm.bz2, .osm.pbf) or, online, 'bbox:W,S,E,N' / 'place:Name'."),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="GeoPackage to write (.gpkg; absent or written by the planner before)."),
    ],
    highway: Annotated[
        str, typer.Option(help="Comma-separated highway=* values kept.")
    ] = "motorway,motorway_link,trunk,trunk_link",
    tolerance_m: Annotated[float, typer.Option(help="Interchange consolidation radius (m); 0 disables.")] = 100.0,
    drive_side: Annotated[
        str, typer.Option(help="'auto' (left in GB, IE, IM, Channel Islands, MT, CY), 'right' or 'left'.")
    ] = "auto",
    join_via: Annotated[
        str,
        typer.Option(
            help="Comma-separated highway=* values used only to join parts of the network that the kept "
            "classes leave apart (e.g. primary,secondary); default: keep the largest part only."
        ),
    ] = "",
    snap_radius_m: Annotated[float, typer.Option(help="Sites farther from the road are dropped.")] = 500.0,
    cache_dir: Annotated[Path | None, typer.Option(help="Cache folder (second builds take seconds).")] = Path(
        ".planner-cache"
    ),
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Build a planner network GeoPackage from OpenStreetMap data."""
    from planner.osm import build_network
    from planner.osm.options import validate_options

    def classes(text: str) -> tuple[str, ...]:
        return tuple(h.strip() for h in text.split(",") if h.strip())

    try:  # named by the options here; build_network checks the same under the API's parameter names
        validate_options(classes(highway), tolerance_m, drive_side, snap_radius_m, None, classes(join_via), names=_OSM)
    except PlannerError as exc:
        _err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    log = _logger(quiet)
    last = {"stage": ""}

    def progress(stage: str, fraction: float) -> None:
        if stage != last["stage"]:
            last["stage"] = stage
            log(f"{stage} ({fraction:.0%})")

    try:
        report = build_network(
            source,
            out,
            highway=classes(highway),
            consolidate_tolerance_m=tolerance_m,
            cache_dir=cache_dir,
            progress=progress,
            drive_side=drive_side,  # type: ignore[arg-type]
            join_via=classes(join_via),
            snap_radius_m=snap_radius_m,
        )
    except PlannerError as exc:
        _fail(exc)
        return
    print(report)


def main() -> None:
    """Console-script entry point: the CLI behind a guard that turns every failure into one line."""
    debug = "--debug" in sys.argv[1:]
    try:
        code = app(standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        _err.print("interrupted (Ctrl-C); nothing was written.", markup=False)
        code = 130
    except PlannerError as exc:
        _err.print(f"error: {_line(exc)}", markup=False)
        code = exc.exit_code
    except OSError as exc:
        if debug:
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        _err.print(
            f"error: {where}{_line(exc.strerror or exc)}; check the path, its permissions and free space.", markup=False
        )
        code = 7
    except Exception as exc:  # noqa: BLE001 - the guard: one line, the traceback only with --debug
        if hasattr(exc, "show") and isinstance(getattr(exc, "exit_code", None), int):  # typer's usage errors
            exc.show()
            sys.exit(exc.exit_code)
        if debug:
            raise
        _err.print(
            f"internal error: {type(exc).__name__}: {_line(exc)}; run again with --debug for the traceback and "
            "report it.",
            markup=False,
        )
        code = 70
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
