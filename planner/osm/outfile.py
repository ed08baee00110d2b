"""Safe output files: a GeoPackage the planner wrote is recognisable, others are never touched.

``planner network build --out net.gpkg`` writes one file, not a folder, so it follows
the rules of :mod:`planner.outdir` at file level:

* the target must be absent, or a GeoPackage the planner wrote before: it carries a table
  :data:`MARKER_TABLE` (``written_by = planner``, kind, version, source). Anything else
  (a foreign GeoPackage, a CSV, a folder) is refused with one line and left as it is;
* the file is written under a temporary name beside the target
  (``.<name>.tmp-<pid>.gpkg``) and moved into place with one atomic rename, only when
  everything succeeded; on any error the temporary file is removed and the target is
  left as it was;
* an exclusive ``flock`` on ``.<name>.lock`` refuses a second concurrent writer;
* temporary files of killed builds are removed at the next build into the same target,
  but only those carrying the marker.

The build cache (:mod:`planner.osm.cache`) writes only into a folder that is absent,
empty or marked as a planner cache.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from planner.errors import OutputError

__all__ = ["MARKER_TABLE", "is_planner_gpkg", "mark_gpkg", "read_gpkg_marker", "staged_file"]

#: Attributes table (key, value) inside every GeoPackage the planner writes.
MARKER_TABLE = "planner_output"
_SQLITE_HEADER = b"SQLite format 3\x00"


def mark_gpkg(path: Path, kind: str, **extra: object) -> None:
    """Add the ownership marker table to the GeoPackage at ``path``."""
    from planner import __version__

    info = {"written_by": "planner", "planner_version": __version__, "kind": kind, **extra}
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} "
            "(fid INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, value TEXT)"
        )
        db.executemany(
            f"INSERT OR REPLACE INTO {MARKER_TABLE} (key, value) VALUES (?, ?)",
            [(k, json.dumps(v, sort_keys=True)) for k, v in sorted(info.items())],
        )
        db.execute(  # a GeoPackage attributes table, so GIS tools show it as such
            "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description) "
            "VALUES (?, 'attributes', ?, 'written by the planner: kind, version, source')",
            (MARKER_TABLE, MARKER_TABLE),
        )


def _legacy_network(db: sqlite3.Connection) -> bool:
    """A network written by ``planner network build`` before the marker existed: exactly the
    layers nodes, edges, sites, with the builder's OSM id columns."""
    layers = {row[0] for row in db.execute("SELECT table_name FROM gpkg_contents")} - {MARKER_TABLE}
    if layers != {"nodes", "edges", "sites"}:
        return False
    columns = {table: {row[1] for row in db.execute(f"PRAGMA table_info({table})")} for table in layers}
    return "osm_node_ids" in columns["nodes"] and {"osm_way_ids", "connector_km"} <= columns["edges"]


def read_gpkg_marker(path: Path) -> dict | None:
    """The marker of a planner GeoPackage, or None (not SQLite, no marker, unreadable).

    A network built before the marker existed gets ``{"written_by": "planner", "kind":
    "osm-network", "legacy": True}``.
    """
    try:
        with Path(path).open("rb") as fh:
            if fh.read(16) != _SQLITE_HEADER:
                return None
        uri = f"{Path(path).resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if MARKER_TABLE not in tables:
                legacy = "gpkg_contents" in tables and _legacy_network(db)
                return {"written_by": "planner", "kind": "osm-network", "legacy": True} if legacy else None
            rows = db.execute(f"SELECT key, value FROM {MARKER_TABLE}").fetchall()
    except (OSError, sqlite3.Error):
        return None
    try:
        info = {str(k): json.loads(v) for k, v in rows}
    except (TypeError, ValueError):
        return None
    return info if info.get("written_by") == "planner" else None


def is_planner_gpkg(path: Path) -> bool:
    """True if ``path`` is a GeoPackage written by the planner."""
    return Path(path).is_file() and read_gpkg_marker(path) is not None


def _refuse(target: Path, why: str, fix: str = "choose another --out file") -> OutputError:
    return OutputError(f"{target}: {why}; {fix}.")


def check_file_target(target: Path) -> None:
    """Raise :class:`~planner.errors.OutputError` unless the planner may write ``target``."""
    if target.suffix.lower() != ".gpkg":
        raise _refuse(target, "is not a .gpkg file name", "name the output <something>.gpkg")
    for parent in target.parents:
        if parent.exists() and not parent.is_dir():
            raise _refuse(target, f"{parent} is a file, not a folder")
    if target.is_dir():
        raise _refuse(target, "is a folder")
    if target.exists() and not is_planner_gpkg(target):
        raise _refuse(
            target,
            "exists and was not written by the planner (it is kept as it is)",
            "choose another --out file, or move that file away",
        )


@contextlib.contextmanager
def _lock(target: Path) -> Iterator[None]:
    path = target.parent / f".{target.name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise _refuse(target, "another planner process is writing it", "wait for it to finish") from None
        raise
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


def _clean_leftovers(target: Path) -> None:
    for p in sorted(target.parent.glob(f".{target.name}.tmp-*.gpkg")):
        if is_planner_gpkg(p):
            with contextlib.suppress(OSError):
                p.unlink()


def _os_error(target: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        return _refuse(target, f"cannot be written ({reason})", "free disk space or choose another --out file")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return _refuse(target, f"cannot be written ({reason})", "choose a folder you may write to (--out)")
    return _refuse(target, f"cannot be written ({reason})")


def _free_name(target: Path) -> Path:
    """A temporary name beside ``target`` that no file uses."""
    for n in range(1000):
        tmp = target.parent / f".{target.name}.tmp-{os.getpid()}-{n}.gpkg"
        if not tmp.exists():
            return tmp
    raise _refuse(target, "no free temporary name beside it", "remove its .tmp-* files")


@contextlib.contextmanager
def staged_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it atomically replaces ``target``.

    The caller must mark the file (:func:`mark_gpkg`) before the block ends: an unmarked
    result is refused rather than put in place.

    Raises
    ------
    OutputError
        If ``target`` may not be written (see the module docstring), is locked, or the file
        system fails.
    """
    # A link to a file is written through: the file it names is replaced (beside it, so the rename stays
    # on its file system), the link is kept.
    target = Path(os.path.realpath(target))
    check_file_target(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _lock(target):
            _clean_leftovers(target)
            check_file_target(target)  # again, now that no one else writes
            tmp = _free_name(target)
            try:
                yield tmp
                if not is_planner_gpkg(tmp):
                    raise _refuse(target, "the written file lacks the planner marker (a bug)")
                os.replace(tmp, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
    except OSError as exc:
        raise _os_error(target, exc) from None
