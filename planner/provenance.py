"""How a run was made: versions, platform, start time, every input file with its SHA-256, and the
resolved scenario (``scenario.resolved.toml``) that re-runs to the same plan."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import os
import platform
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from planner.scenario import Scenario

__all__ = ["input_files", "package_version", "provenance", "resolved_toml", "sha256_of"]

_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _paths(model: BaseModel, prefix: str) -> list[tuple[str, Path]]:
    """Every file path set in a scenario (dotted field name, path), in schema order."""
    out: list[tuple[str, Path]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            out += _paths(value, key + ".")
        elif isinstance(value, Path) and name != "dir":
            out.append((key, value))
    return out


def input_files(scenario: Scenario) -> list[tuple[str, Path]]:
    """Every file a run reads: the scenario and its ``extends`` chain, then each data file."""
    files = [("scenario" if i == 0 else "extends", p) for i, p in enumerate(scenario._files)]
    return files + _paths(scenario, "")


def _relative(path: Path, base: Path | None) -> str:
    if base is None:
        return str(path)
    try:
        return os.path.relpath(path, base)
    except ValueError:  # another drive (Windows)
        return str(path)


def package_version(package: str) -> str | None:
    """The installed version of ``package`` (None if it is not installed)."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def provenance(scenario: Scenario, *, solver: str, started: dt.datetime | None = None) -> dict[str, Any]:
    """The ``provenance`` block of summary.json.

    Input paths are relative to the scenario file's folder when it is known; each has its SHA-256
    (``None`` if the file cannot be read any more).
    """
    from planner import __version__

    base = scenario._files[0].parent if scenario._files else None
    inputs = []
    for role, path in input_files(scenario):
        try:
            digest = sha256_of(path)
        except OSError:
            digest = None
        inputs.append({"role": role, "path": _relative(Path(path), base), "sha256": digest})
    highs = package_version("highspy")
    solvers = {
        "highs": {"name": "HiGHS", "version": highs, "interface": f"highspy {highs}"},
        "cbc": {"name": "CBC", "version": None, "interface": f"PuLP {package_version('pulp')} COIN_CMD"},
    }
    started = started or dt.datetime.now(dt.UTC)
    return {
        "planner_version": __version__,
        "solver": solvers.get(solver, {"name": solver, "version": None}),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "started_at": started.isoformat(timespec="seconds"),
        "scenario_folder": None if base is None else str(base),
        "inputs": inputs,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def resolved_toml(scenario: Scenario) -> str:
    """The scenario after ``extends`` and defaults, as TOML with absolute paths: running it gives
    the same plan. Unset optional values (``None``) are left out (they are the defaults)."""
    import tomli_w

    data = _plain(scenario.model_dump(mode="python"))
    head = (
        "# The resolved scenario of this run: every value after 'extends' and defaults, paths absolute.\n"
        "# `planner run scenario.resolved.toml` plans the same again.\n"
    )
    return head + tomli_w.dumps(data)
