"""Maps and reports of a plan run folder.

Public API
----------
render_run(run_dir, ...)
    ``map.png``, ``map.svg`` (static A4 map), ``map.html`` (offline interactive map) and
    ``report.html`` (printable report), written into the run folder.
render_folder(run_dir)
    :func:`render_run` for an existing run folder from the command line (``planner render``):
    refuses a folder the planner did not write and adds the files to the folder's marker.
render_comparison(run_dirs, out_dir)
    ``compare.html``: KPIs of several runs side by side, the inputs that differ, per-year KPIs
    and a map of sites that differ.

All outputs are deterministic: the same run folder gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from planner.errors import OutputError
from planner.outdir import MARKER, folder_kind, foreign_names, lock_folder, register_files

from ._figure import svg_text
from ._load import RunData, load_run
from .compare import render_comparison
from .report import write_report
from .static_map import map_figure, write_static_maps
from .web_map import write_web_map

__all__ = ["RENDERED", "RunData", "load_run", "render_comparison", "render_folder", "render_run"]

#: The files :func:`render_run` writes into a run folder.
RENDERED = ("map.png", "map.svg", "map.html", "report.html")


def render_run(
    run_dir: Path,
    *,
    png: bool = True,
    svg: bool = True,
    html_map: bool = True,
    report: bool = True,
    title: str | None = None,
    tiles: bool = False,
) -> list[Path]:
    """Render the maps and the report of one run folder.

    Parameters
    ----------
    run_dir : Path
        Folder written by ``planner run`` (``summary.json``, ``hubs.csv``, ``flows.csv``,
        ``plan.gpkg``; see ``docs/formats.md``). Missing optional files, layers or
        columns are skipped.
    png, svg : bool
        Write ``map.png`` (A4 landscape, 200 dpi) / ``map.svg``.
    html_map : bool
        Write ``map.html``, a self-contained Leaflet map that works offline.
    report : bool
        Write ``report.html``, a self-contained printable report.
    title : str, optional
        Title for the maps and the report; default from the scenario name.
    tiles : bool
        Offer OpenStreetMap tiles in ``map.html`` (they need a network connection when
        viewed; off by default so the page is fully offline).

    Returns
    -------
    list of Path
        The files written, in the order png, svg, html map, report.
    """
    run_dir = Path(run_dir)
    data = load_run(run_dir)
    written: list[Path] = []
    fig = None
    if png or svg:
        paths, fig = write_static_maps(data, run_dir, png=png, svg=svg, title=title)
        written.extend(paths)
    if html_map:
        written.append(write_web_map(data, run_dir / "map.html", title=title, tiles=tiles))
    if report:
        if fig is None:
            fig = map_figure(data, title)
        written.append(write_report(data, svg_text(fig), run_dir / "report.html", title=title))
    return written


def render_folder(run_dir: Path, *, title: str | None = None, tiles: bool = False) -> list[Path]:
    """Redraw the maps and the report of a run folder written by ``planner run``.

    Parameters
    ----------
    run_dir : Path
        The run folder.
    title, tiles :
        As for :func:`render_run`.

    Returns
    -------
    list of Path
        The files written (added to the folder's marker, so a later run may replace them).

    Raises
    ------
    OutputError
        If ``run_dir`` is not a run folder the planner wrote, holds a file of the user's named like one
        of :data:`RENDERED`, another planner process writes it, or it cannot be written.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        what = "a file, not a folder" if run_dir.exists() else "no such folder"
        raise OutputError(f"{run_dir}: {what}; give the folder `planner run` wrote.")
    kind = folder_kind(run_dir)
    if kind != "run":
        what = f"a planner {kind} folder" if kind else f"no {MARKER}, no run summary.json"
        raise OutputError(
            f"{run_dir}: not a run folder written by `planner run` ({what}); give the folder `planner run` wrote."
        )
    try:
        with lock_folder(run_dir):  # not while a run writes it
            theirs = foreign_names(run_dir, list(RENDERED))
            if theirs:
                raise OutputError(
                    f"{run_dir}: holds {theirs[0]!r}, which the planner did not write and would replace; "
                    "move it away first."
                )
            paths = render_run(run_dir, title=title, tiles=tiles)
            register_files(run_dir, [p.name for p in paths])
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise OutputError(f"{run_dir}: cannot write the maps ({why}); check the folder's permissions.") from None
    return paths
