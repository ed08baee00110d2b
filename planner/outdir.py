"""Output folders that never destroy: ownership marker, lock, temporary folder, atomic swap.

Every folder the planner writes (a run, a comparison, a sweep) carries a marker file,
:data:`MARKER`, listing the files it wrote. :func:`staged_output` writes into such a folder only
if it is

* absent,
* an empty folder, or
* a folder the planner wrote before (it has the marker) holding nothing but the planner's files
  (and the marker's folders);

anything else is refused with one line naming the folder and the ways out (``--out`` elsewhere,
or ``--force``, which writes the planner's files into the folder in place, replacing files of the same
names and touching nothing else). Re-writing one of its own folders replaces only what its marker lists:
anything else in it (the user's files and folders, other runs written into it) is carried over.
The files are written into a temporary folder beside the target and swapped in with two renames
only when everything succeeded, under an exclusive lock (``fcntl.flock``, released by the kernel
even on ``kill -9``) that refuses a second concurrent writer; a run holds it from before its solve
(:func:`claim_folder`), so a second run into the same folder is refused at its start. Ctrl-C or SIGTERM during the swap
takes effect after it; if the second rename fails the earlier output is put back. What a killed
run leaves is tidied at the next run into the same target (only folders holding a marker): its
temporary folder removed, the earlier output put back if the kill came between the renames, and
the user's entries carried over if it came before they were.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from planner.errors import OutputError, RunInterruptedError

__all__ = [
    "MARKER",
    "check_target",
    "claim_folder",
    "clean_leftovers",
    "folder_kind",
    "foreign_names",
    "is_planner_folder",
    "lock_folder",
    "read_marker",
    "register_files",
    "staged_output",
    "write_marker",
]

#: File in every output folder the planner writes: who wrote it, and which files.
MARKER = ".planner-output.json"
_LEGACY_FILES = {"summary.json", "hubs.csv", "flows.csv"}  # runs written before the marker existed


def read_marker(folder: Path) -> dict | None:
    """The marker of ``folder`` (None if absent or unreadable)."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("written_by") == "planner" else None


def _legacy_run(folder: Path) -> bool:
    """A run folder written by an earlier planner version (before the marker): its summary names
    the scenario and the solver status."""
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and {"scenario", "status", "verification"} <= set(summary)


def is_planner_folder(folder: Path) -> bool:
    """True if ``folder`` was written by the planner (marker, or an earlier version's run)."""
    folder = Path(folder)
    return folder.is_dir() and (read_marker(folder) is not None or _legacy_run(folder))


def _owned_names(folder: Path) -> set[str] | None:
    marker = read_marker(folder)
    if marker is not None:
        return {str(n) for n in marker.get("files", [])} | {MARKER}
    if _legacy_run(folder):
        return None  # an earlier run: any file it has is assumed to be its own output
    return set()


def foreign_names(folder: Path, names: list[str]) -> list[str]:
    """Those of ``names`` present in the planner folder ``folder`` that its marker does not list (the
    user's; an earlier version's run without a marker owns every file it holds)."""
    owned = _owned_names(folder)
    return [n for n in names if (folder / n).exists() and owned is not None and n not in owned]


def write_marker(folder: Path, kind: str, files: list[str], **extra: object) -> Path:
    """Write the marker listing ``files`` (names relative to ``folder``)."""
    from planner import __version__

    data = {"written_by": "planner", "planner_version": __version__, "kind": kind, "files": sorted(files), **extra}
    path = Path(folder) / MARKER
    tmp = path.with_name(f"{MARKER}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # a reader never sees half a marker
    return path


def register_files(folder: Path, names: list[str]) -> None:
    """Add files written into a finished planner folder afterwards (e.g. by a sweep) to its marker."""
    marker = read_marker(folder)
    if marker is None:
        return
    extra = {k: v for k, v in marker.items() if k not in ("written_by", "planner_version", "kind", "files")}
    write_marker(folder, str(marker.get("kind", "run")), sorted({*marker.get("files", []), *names}), **extra)


def _fail(target: Path, why: str, fix: str = "choose another --out folder") -> OutputError:
    return OutputError(f"{target}: {why}; {fix}.")


def folder_kind(folder: Path) -> str | None:
    """What the planner wrote in ``folder`` (``run``, ``compare``, ``sweep``; None if not the planner)."""
    marker = read_marker(folder)
    if marker is not None:
        return str(marker.get("kind", "run"))
    return "run" if _legacy_run(folder) else None


def check_target(target: Path, *, force: bool = False, kind: str | None = None, names: Iterable[str] = ()) -> None:
    """Raise :class:`~planner.errors.OutputError` unless the planner may write ``target``.

    A planner folder of another ``kind`` than the one to be written (a run where a comparison is to go,
    e.g. one of the compared runs) is refused even with ``force``, and so is a folder inside it named like
    one of the files the output may hold (``names``), which the output could not replace: found now, not
    after the work.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise _fail(target, "is a file, not a folder")
    for parent in target.parents:
        if parent.exists() and not parent.is_dir():
            raise _fail(target, f"{parent} is a file, not a folder")
    here = Path.cwd().resolve()
    resolved = target.resolve()
    if resolved == here or resolved in here.parents:
        raise _fail(target, "is the working folder or one of its parents")
    if not target.is_dir():
        return
    there = folder_kind(target) if kind is not None else None
    if there is not None and there != kind:
        raise _fail(target, f"is a planner {there} folder, not a {kind} folder", "choose another --out folder")
    clash = next((n for n in sorted(names) if (target / n).is_dir()), None)
    if clash is not None:
        raise _fail(target, f"holds a folder {clash!r}, where the output has a file of that name")
    if force:
        return
    entries = sorted(p.name for p in target.iterdir())
    if not entries:
        return
    owned = _owned_names(target)
    if owned is None:
        return
    if not owned:
        raise _fail(
            target,
            f"exists and was not written by the planner (it holds {entries[0]!r}{' …' if len(entries) > 1 else ''})",
            "choose another --out folder, or add --force to write the plan's files into it (files of the same names "
            "are replaced, nothing else is touched)",
        )
    foreign = [name for name in entries if name not in owned and not (target / name).is_dir()]
    if foreign:
        raise _fail(
            target,
            f"holds {foreign[0]!r}, which the planner did not write, beside an earlier plan",
            "move that file away, choose another --out folder, or add --force (it is kept unless the plan has a file "
            "of that name)",
        )


@contextlib.contextmanager
def _lock(target: Path) -> Iterator[None]:
    """Exclusive lock on ``target`` (a dot-file beside it), refused at once if already held."""
    path = target.parent / f".{target.name}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise _fail(target, "another planner process is writing this folder", "wait for it to finish") from None
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the lock file was replaced while we waited for it: lock the new one
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


def lock_folder(target: Path) -> contextlib.AbstractContextManager[None]:
    """Exclusive lock on ``target`` for a writer that works in the folder itself (e.g. a sweep).

    A second writer is refused at once with one line (:class:`~planner.errors.OutputError`); the
    kernel releases the lock even on ``kill -9``. :func:`staged_output` takes the same lock.
    """
    return _lock(Path(os.path.realpath(target)))  # the lock staged_output takes on the same folder


@contextlib.contextmanager
def claim_folder(target: Path) -> Iterator[None]:
    """Hold ``target``'s lock for a whole run, from before its solve until its output is in place
    (:func:`staged_output` then with ``locked=True``), so a second run into the same folder is refused
    at its start instead of both solving and the later one silently replacing the earlier one's plan.

    The lock file lies beside the target; missing parent folders are created for it and removed again,
    if still empty, when the block fails, so a refused or failed run leaves no folder behind.
    """
    target = Path(os.path.realpath(target))
    missing = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(target, exc) from None
    ok = False
    try:
        with _lock(target):
            yield
            ok = True
    finally:
        if not ok:
            for folder in missing:  # deepest first
                with contextlib.suppress(OSError):
                    folder.rmdir()


_LEFTOVER = re.compile(r"^\.(?P<target>.+)\.(?:(?:tmp|old)-\d+|lock)$")


def clean_leftovers(folder: Path) -> list[str]:
    """Remove what killed writers left in ``folder``: temporary and old copies of its sub-folders
    (marked ones only) and lock files no one holds.

    Each target is cleaned under its own lock, so a writer still at work is left alone.

    Returns
    -------
    list[str]
        The targets (names in ``folder``) whose leftovers were looked at.
    """
    folder = Path(os.path.abspath(folder))
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    targets = sorted({m.group("target") for m in map(_LEFTOVER.match, names) if m})
    for name in targets:
        with contextlib.suppress(OutputError), _lock(folder / name):
            _clean_leftovers(folder / name)
    return targets


def _marked_leftover(p: Path) -> bool:
    """A folder (not a link) the planner wrote, or an empty one."""
    return p.is_dir() and not p.is_symlink() and (read_marker(p) is not None or _legacy_run(p) or not any(p.iterdir()))


def _clean_leftovers(target: Path) -> None:
    """Tidy up after an earlier run into ``target`` that was killed (marked folders only).

    Its temporary folder is removed. Its old folder (``target`` moved aside by the swap) is put back
    if ``target`` is missing (killed between the two renames), and otherwise has whatever is not its
    own carried over into ``target`` (killed before the carry-over ended) before it is removed.
    """
    for p in sorted(target.parent.glob(f".{target.name}.tmp-*")):
        if _marked_leftover(p):
            shutil.rmtree(p, ignore_errors=True)
    for p in sorted(target.parent.glob(f".{target.name}.old-*")):
        if not _marked_leftover(p):
            continue
        if not os.path.lexists(target):
            p.rename(target)
            continue
        if target.is_dir() and not target.is_symlink():
            _retire(p, target)
        else:
            shutil.rmtree(p, ignore_errors=True)


def _os_error(target: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        fix = "free disk space or choose another --out folder"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "choose a folder you may write to (--out)"
    else:
        fix = "choose another --out folder"
    return _fail(target, f"cannot be written ({reason})", fix)


@contextlib.contextmanager
def staged_output(
    target: Path, *, kind: str, force: bool = False, locked: bool = False
) -> Iterator[tuple[Path, list[str]]]:
    """Write an output folder safely.

    Yields ``(folder, files)``: write into ``folder`` and append each written file's name to
    ``files``. On success the folder replaces ``target`` (or, with ``force`` on a folder the
    planner did not write, its files are moved into ``target`` one by one, replacing only files of
    the same name). On any error or interrupt ``target`` is left as it was. ``locked``: the caller
    holds the target's lock (:func:`claim_folder`).

    Raises
    ------
    OutputError
        If the target may not be written, is locked by another run, or the file system fails.
    """
    # A link to a folder is written through: the folder it names is the one swapped (beside it, so the
    # renames stay on its file system), the link is kept.
    target = Path(os.path.realpath(target))
    check_target(target, force=force, kind=kind)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(target, exc) from None
    try:
        with contextlib.nullcontext() if locked else _lock(target):
            _clean_leftovers(target)
            check_target(target, force=force, kind=kind)  # again, now that no one else writes
            tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            files: list[str] = []
            try:
                write_marker(tmp, kind, [])
                yield tmp, files
                write_marker(tmp, kind, files)
                # Ctrl-C or a TERM arrives after the swap, not within it; a Ctrl-C then says the output is in place
                with _signals_deferred(f"interrupted (Ctrl-C) just as {target} was written; its output is complete."):
                    _swap(tmp, target, force=force)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        raise _os_error(target, exc) from None


@contextlib.contextmanager
def _signals_deferred(done: str) -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends, then act on them as their handlers would —
    but for a Ctrl-C (Python's own SIGINT handler) after the block completed: :class:`RunInterruptedError`
    with the message ``done`` (not a KeyboardInterrupt, which the command line reports as "nothing was
    written").

    Python-level handlers, not a signal mask: with other threads running (the solver's), a masked
    process signal would be taken by one of them and still interrupt the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    before = {s: signal.signal(s, lambda signum, _frame: got.append(signum)) for s in (signal.SIGINT, signal.SIGTERM)}
    completed = False
    try:
        yield
        completed = True
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        # SIGTERM first: a Ctrl-C after the block raises, which would drop a TERM that came with it
        for s in sorted(set(got), key=lambda sig: sig != signal.SIGTERM):
            handler = before[s]
            if completed and s == signal.SIGINT and handler is signal.default_int_handler:
                raise RunInterruptedError(done)
            if callable(handler):
                handler(s, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(s)


def _clash(tmp: Path, target: Path) -> str | None:
    """The first entry of ``target`` the new output would replace that is not the planner's to replace: a
    folder the planner did not write, or a file where the output has a folder (or the other way round)."""
    for p in sorted(tmp.iterdir()):
        dest = target / p.name
        if dest.exists() and (dest.is_dir() != p.is_dir() or (dest.is_dir() and not is_planner_folder(dest))):
            return p.name
    return None


def _swap(tmp: Path, target: Path, *, force: bool) -> None:
    """Put the finished ``tmp`` folder in place of ``target``.

    Every clash is found before anything moves, so a refusal leaves ``target`` as it was; with
    ``--force`` into a folder of the user's the marker moves last, so the folder is never marked as
    the planner's unless all of the plan's files are in it.
    """
    clash = _clash(tmp, target) if target.is_dir() else None
    if clash is not None:
        raise _fail(target, f"holds {clash!r}, which the plan would replace", "choose another --out folder")
    if target.is_dir() and any(target.iterdir()) and not is_planner_folder(target):
        assert force  # check_target refused this otherwise
        for p in sorted(tmp.iterdir(), key=lambda q: (q.name == MARKER, q.name)):
            dest = target / p.name
            if dest.is_dir():
                shutil.rmtree(dest)
            os.replace(p, dest)
        return
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    try:
        tmp.rename(target)
    except BaseException:
        if old is not None:
            old.rename(target)  # the earlier output back in place
        raise
    if old is not None:
        _retire(old, target)  # no clash: checked above


def _retire(old: Path, target: Path) -> None:
    """Carry over into ``target`` what the earlier output folder ``old`` holds that is not its own and
    that ``target`` does not replace — the user's files and sub-folders, and other runs written into it
    (an earlier version's run without a marker owns its files, not its sub-folders) — then remove ``old``."""
    owned = _owned_names(old)
    new = {p.name for p in target.iterdir()}
    for p in sorted(old.iterdir()):
        if p.name not in new and (p.name not in owned if owned is not None else p.is_dir()):
            os.replace(p, target / p.name)
    shutil.rmtree(old, ignore_errors=True)
