"""The sweep folder (``--out``): written only if it is the planner's, locked while a sweep runs.

A sweep writes into a folder that is absent, empty, or a sweep folder the planner wrote (its
marker, :data:`planner.outdir.MARKER`, says ``kind = "sweep"``; folders of sweeps from before the
marker are recognised by their ``sweep.json``). Anything else is refused with one line naming the
folder and the ways out (another ``--out``, or ``--force``, which writes the sweep's files into
it, replacing only files of the same names). A lock (:func:`planner.outdir.lock_folder`) refuses a second sweep into
the same folder while one runs. The sweep's own files are written atomically and listed in the
marker; each run folder goes through :func:`planner.run`, which writes it atomically.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from planner.errors import OutputError
from planner.outdir import MARKER, check_target, clean_leftovers, lock_folder, read_marker, write_marker

__all__ = ["OWN_FILES", "check_sweep_folder", "sweep_folder"]

#: The files a sweep writes into its folder (beside ``runs/`` and ``compare/``).
OWN_FILES = ("sweep.csv", "sweep.json", "failures.json")
_TEMP = re.compile(r"^(?:\.(?:sweep\.csv|sweep\.json|failures\.json)|\.planner-output\.json)\.tmp-[A-Za-z0-9_]+$")


def _own_temp(folder: Path, name: str) -> bool:
    """A temporary file the sweep (or its marker) left in ``folder`` when it was killed mid-write."""
    return bool(_TEMP.match(name)) and (folder / name).is_file()


def _legacy_sweep(folder: Path) -> bool:
    """A sweep folder written before sweeps had a marker: its ``sweep.json`` and nothing foreign."""
    try:
        doc = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(doc, dict) or not {"sweep", "counts", "points"} <= set(doc):
        return False
    return all(p.is_dir() or p.name in OWN_FILES or _own_temp(folder, p.name) for p in folder.iterdir())


def _refuse(out: Path, why: str, fix: str) -> OutputError:
    return OutputError(f"{out}: {why}; {fix}.")


def check_sweep_folder(out: Path, *, force: bool = False) -> None:
    """Raise :class:`OutputError` (one line) unless a sweep may write into ``out``.

    Parameters
    ----------
    out
        The sweep folder.
    force
        Also write into a non-empty folder the planner did not write (replacing only files of the same names).
    """
    out = Path(out)
    check_target(out, force=True)  # a file, a file among its parents, the working folder: never
    if not out.is_dir():
        return
    entries = sorted(p.name for p in out.iterdir() if not _own_temp(out, p.name))
    if not entries:
        return
    marker = read_marker(out)
    if marker is not None and marker.get("kind") != "sweep":
        raise _refuse(
            out, f"is a {marker.get('kind', 'planner')} folder, not a sweep folder", "choose another --out folder"
        )
    if force or (marker is None and _legacy_sweep(out)):
        return
    if marker is None:
        shown = f"{entries[0]!r}{' …' if len(entries) > 1 else ''}"
        raise _refuse(
            out,
            f"exists and was not written by a planner sweep (it holds {shown})",
            "choose another --out folder, or add --force to write the sweep into it (files of the same names are "
            "replaced, nothing else is touched)",
        )
    owned = {str(n) for n in marker.get("files", [])} | {MARKER}
    foreign = [name for name in entries if name not in owned and not (out / name).is_dir()]
    if foreign:
        raise _refuse(
            out,
            f"holds {foreign[0]!r}, which the planner did not write, beside an earlier sweep",
            "move that file away, choose another --out folder, or add --force (it is kept unless the sweep has a file "
            "of that name)",
        )


def _os_error(out: Path, exc: OSError) -> OutputError:
    where = exc.filename or out
    if exc.errno == errno.ENOSPC:
        fix = "free disk space or choose another --out folder"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "choose a folder you may write to (--out)"
    else:
        fix = "move it away or choose another --out folder"
    return OutputError(f"{where}: cannot be written ({exc.strerror or exc}); {fix}.")


def _prepare(out: Path, sweep_name: str) -> Path:
    """Create ``out`` and ``out/runs``, remove the sweep's own leftovers, mark the folder."""
    out.mkdir(exist_ok=True)
    runs = out / "runs"
    if runs.exists() and not runs.is_dir():
        raise _refuse(runs, "is a file, not the sweep's runs folder", "move it away or choose another --out folder")
    runs.mkdir(exist_ok=True)
    for p in sorted(out.iterdir()):
        if _own_temp(out, p.name):
            p.unlink()
    clean_leftovers(runs)  # temporary run folders of workers killed with an earlier sweep
    marker = read_marker(out)
    if marker is None:  # a new sweep folder, an older sweep's or (--force) someone else's
        files = [n for n in OWN_FILES if (out / n).is_file()] if _legacy_sweep(out) else []
        write_marker(out, "sweep", files, sweep=sweep_name)
    return runs


@contextlib.contextmanager
def sweep_folder(out: Path, sweep_name: str, *, force: bool = False) -> Iterator[Path]:
    """Hold the sweep folder for a sweep: checked, locked, created and marked; yields ``runs/``.

    On the way out (normally or not) the leftovers of workers killed in ``runs/`` are removed.

    Raises
    ------
    OutputError
        If the folder may not be written, another sweep holds it, or the file system fails.
    """
    out = Path(os.path.abspath(out))
    check_sweep_folder(out, force=force)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with lock_folder(out):
            check_sweep_folder(out, force=force)  # again, now that no one else writes
            runs = _prepare(out, sweep_name)
            try:
                yield runs
            finally:
                clean_leftovers(runs)
    except OSError as exc:
        raise _os_error(out, exc) from None
