"""Parameter sweeps: one base scenario, a grid of overrides, many runs — locally or on Dask.

A sweep file (TOML) names a base scenario and a grid of dotted scenario keys with lists of
values; every combination (the cartesian product) becomes a scenario that runs like
``planner run`` into ``<out>/runs/<point name>/``. An optional ``[tradeoff]`` table adds an
ε-constraint curve for the base: the cheapest plan (``min_cost``) for each coverage target.

.. code-block:: toml

    base = "europe-2030.toml"          # relative to the sweep file
    name = "battery-x-bev"             # prefix of every run name
    [grid]
    "vehicle.battery_kwh" = [400, 600, 800]
    "demand.bev_share" = [0.1, 0.15, 0.3]
    [tradeoff]
    coverage_targets = [0.5, 0.7, 0.9, 0.95, 1.0]

Everything is validated before anything runs. Runs go in-process, in a local process pool or
on a Dask distributed cluster (the same pure function :func:`run_point` everywhere). A run
folder holds ``sweep-point.json`` with the overrides and a hash of the validated scenario
(and its data files), so a second call skips what is done and reruns what changed. A failed
point is recorded and the others go on. The sweep writes ``sweep.csv``, ``sweep.json``,
``failures.json`` and a comparison (``compare/``) of the successful runs.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel

from planner.errors import PlannerError, ScenarioError
from planner.outdir import register_files
from planner.scenario import Scenario, scenario_from_dict

__all__ = [
    "MARKER",
    "PointResult",
    "PointTask",
    "Sweep",
    "SweepPoint",
    "SweepResult",
    "load_sweep",
    "make_sweep",
    "run_point",
    "run_sweep",
    "scenario_keys",
]

Log = Callable[[str], None]
Kind = Literal["grid", "tradeoff"]
Status = Literal["ok", "failed", "skipped"]

MARKER = "sweep-point.json"
"""File written into every finished run folder: overrides and the scenario hash (for resume)."""

_MAX_POINTS = 10_000
_NAME_MAX = 100  # Scenario.name max_length
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SWEEP_KEYS = ("base", "name", "grid", "tradeoff")
_TRADEOFF_KEYS = ("coverage_targets",)
# Keys a sweep sets itself: the run name and what keeps each run fast and in its own folder.
_RESERVED = {
    "name": "the sweep names every run '<sweep name>-<overrides>'",
    "output.dir": "runs go to <out>/runs/<point name>",
    "output.maps": "sweep runs never draw maps (use `planner render` on a run folder)",
    "output.tradeoff_points": "sweep runs skip the hub-count curve (use [tradeoff] for a cost curve)",
}


def _noop(_: str) -> None:
    return None


# --------------------------------------------------------------------------- schema keys


def _section_model(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def scenario_keys() -> list[str]:
    """Every dotted key of the scenario schema that a sweep may vary (leaf fields only).

    Returns
    -------
    list[str]
        E.g. ``["name", "description", "network.nodes", ..., "vehicle.battery_kwh", ...]``.
    """
    keys: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            sub = _section_model(info.annotation)
            if sub is None:
                keys.append(prefix + name)
            else:
                walk(sub, f"{prefix}{name}.")

    walk(Scenario, "")
    return keys


def _check_key(key: str, source: str) -> None:
    """Raise a one-line :class:`ScenarioError` unless ``key`` names a leaf field of the schema."""
    parts = key.split(".")
    model: type[BaseModel] | None = Scenario
    for i, part in enumerate(parts):
        if model is None:  # a leaf was already reached: 'vehicle.battery_kwh.x'
            raise ScenarioError(
                f"{source}: [grid] '{key}': '{'.'.join(parts[:i])}' is a value, not a section; drop the rest."
            )
        if part not in model.model_fields:
            close = difflib.get_close_matches(key, scenario_keys(), n=1, cutoff=0.6)
            if not close and i > 0:
                close = [".".join([*parts[:i], c]) for c in difflib.get_close_matches(part, list(model.model_fields))]
            if close:
                hint = f"did you mean '{close[0]}'?"
            else:
                where = f"keys in [{'.'.join(parts[:i])}]" if i else "sections"
                hint = f"valid {where}: {', '.join(model.model_fields)}"
            raise ScenarioError(f"{source}: [grid] unknown scenario key '{key}'; {hint}")
        model = _section_model(model.model_fields[part].annotation)
    if model is not None:
        example = next(iter(model.model_fields))
        raise ScenarioError(
            f"{source}: [grid] '{key}' is a section, not a value; vary one of its keys, e.g. '{key}.{example}'."
        )
    if key in _RESERVED:
        raise ScenarioError(f"{source}: [grid] '{key}' cannot be varied: {_RESERVED[key]}.")


# --------------------------------------------------------------------------- sweep definition


@dataclass(frozen=True)
class SweepPoint:
    """One scenario of a sweep.

    Attributes
    ----------
    index
        Position in the sweep (grid points first, in grid order, then the trade-off targets).
    name
        Scenario name and run folder name, ``<sweep name>-<slug of the overrides>``.
    kind
        ``"grid"`` or ``"tradeoff"`` (an ε-constraint point of the base).
    overrides
        The dotted keys and values applied to the base, in order.
    scenario
        The validated scenario (maps off, no hub-count curve).
    scenario_hash
        SHA-256 of the validated scenario JSON and the contents of the data files it names.
    """

    index: int
    name: str
    kind: Kind
    overrides: tuple[tuple[str, Any], ...]
    scenario: Scenario = field(repr=False, compare=False)
    scenario_hash: str

    @property
    def override_dict(self) -> dict[str, Any]:
        """The overrides as a ``{dotted key: value}`` mapping."""
        return dict(self.overrides)


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: the base, the grid and every generated point.

    Attributes
    ----------
    name
        Prefix of every run name.
    base
        The base scenario file (``None`` when built from a :class:`Scenario`).
    grid
        ``(dotted key, values)`` per axis, in file order.
    coverage_targets
        The ε-constraint targets (empty: no trade-off curve).
    points
        The generated points: the grid's cartesian product, then one per coverage target.
    source
        Where the sweep came from (the sweep file), used in messages.
    """

    name: str
    base: Path | None
    grid: tuple[tuple[str, tuple[Any, ...]], ...]
    coverage_targets: tuple[float, ...]
    points: tuple[SweepPoint, ...]
    source: str = "<sweep>"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``{"vehicle": {"battery_kwh": [..]}}`` and ``{"vehicle.battery_kwh": [..]}`` alike → dotted pairs."""
    out: list[tuple[str, Any]] = []
    for key, value in table.items():
        if isinstance(value, Mapping):
            out += _flatten(value, f"{prefix}{key}.")
        else:
            out.append((prefix + key, value))
    return out


def _fmt(value: Any) -> str:
    """A value as it reads in messages and descriptions (TOML-like)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | list | dict) or value is None:
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _slug_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return re.sub(r"[^A-Za-z0-9.]+", "_", value).strip("_") or "empty"
    if isinstance(value, list | tuple):
        return ".".join(_slug_value(v) for v in value) or "empty"
    return "h" + _short_hash(value)


def _short_hash(value: Any, n: int = 8) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:n]


def _point_name(prefix: str, parts: Sequence[str], overrides: Sequence[tuple[str, Any]], force_hash: bool) -> str:
    name = "-".join([prefix, *parts])
    if force_hash or len(name) > _NAME_MAX:
        tag = "-h" + _short_hash([list(o) for o in overrides], 10)
        name = name[: _NAME_MAX - len(tag)].rstrip("._-") + tag
    return name


def _set_dotted(raw: dict[str, Any], key: str, value: Any) -> None:
    *sections, leaf = key.split(".")
    table = raw
    for part in sections:
        sub = table.get(part)
        if not isinstance(sub, dict):
            sub = {}
            table[part] = sub
        table = sub
    table[leaf] = copy.deepcopy(value)


def _path_keys() -> dict[str, tuple[str, ...]]:
    from planner.scenario import PATH_KEYS

    return dict(PATH_KEYS)


def _resolve_path_value(key: str, value: Any, root: Path) -> Any:
    """Relative data paths in the grid are relative to the sweep file, like in a scenario file."""
    section, _, leaf = key.partition(".")
    if leaf in _path_keys().get(section, ()) and isinstance(value, str) and not Path(value).is_absolute():
        return str((root / value).resolve())
    return value


def _file_digest(path: Path, cache: dict[Path, str]) -> str:
    if path not in cache:
        h = hashlib.sha256()
        try:
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            cache[path] = h.hexdigest()
        except OSError:
            cache[path] = "missing"
    return cache[path]


def _scenario_hash(scenario: Scenario, cache: dict[Path, str]) -> str:
    """Hash of the validated scenario JSON plus the contents of every data file it names."""
    dumped = scenario.model_dump(mode="json")
    files = {}
    for section, keys in _path_keys().items():
        table = dumped.get(section) or {}
        for key in keys:
            if table.get(key):
                files[f"{section}.{key}"] = _file_digest(Path(table[key]), cache)
    text = json.dumps({"scenario": dumped, "files": files}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _base_raw(base: Scenario | str | Path, source: str) -> tuple[dict[str, Any], Path | None]:
    from planner.scenario import load_raw

    if isinstance(base, Scenario):
        return base.model_dump(mode="json"), None
    path = Path(base)
    if not path.is_file():
        raise ScenarioError(f"{source}: base scenario {path} does not exist; fix 'base' (relative to the sweep file).")
    raw = load_raw(path, ())
    scenario_from_dict(copy.deepcopy(raw), source=str(path))  # the base on its own names its own file in errors
    return raw, path.resolve()


def make_sweep(
    base: Scenario | str | Path,
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    name: str,
    coverage_targets: Sequence[float] = (),
    root: str | Path | None = None,
    source: str = "<sweep>",
) -> Sweep:
    """Build and validate a sweep: check every key and every generated scenario.

    Parameters
    ----------
    base
        The base scenario (a validated :class:`Scenario` or a scenario file, ``extends`` followed).
    grid
        Dotted scenario key → list of values; nested tables are flattened to dotted keys.
    name
        Prefix of every run name (letters, digits, '.', '_', '-'; starting with a letter or digit).
    coverage_targets
        ε-constraint targets for the base: one ``min_cost`` run per target, with ``max_hubs`` and
        ``budget_eur`` dropped so the curve is cost against served share alone.
    root
        Folder that relative data paths among the grid values are relative to (default: working folder).
    source
        Name of the sweep (file) used in messages.

    Returns
    -------
    Sweep
        Every point validated, named and hashed.

    Raises
    ------
    ScenarioError
        One line naming the sweep, the key or point, and the fix.
    """
    root_path = Path(root) if root is not None else Path.cwd()
    if not isinstance(name, str) or not _NAME_RE.match(name) or len(name) > 60:
        raise ScenarioError(
            f"{source}: 'name' = {name!r}: use up to 60 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit (it prefixes every run name)."
        )
    axes: list[tuple[str, tuple[Any, ...]]] = []
    for key, values in _flatten(grid or {}):
        _check_key(key, source)
        if not isinstance(values, list | tuple) or not values:
            raise ScenarioError(f"{source}: [grid] '{key}' must be a non-empty list of values (got {values!r}).")
        for i, v in enumerate(values):
            if any(type(v) is type(w) and v == w for w in values[:i]):
                raise ScenarioError(f"{source}: [grid] '{key}' lists {_fmt(v)} twice; give each value once.")
        axes.append((key, tuple(_resolve_path_value(key, v, root_path) for v in values)))
    targets = tuple(coverage_targets)
    for i, t in enumerate(targets):
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0 < t <= 1:
            raise ScenarioError(
                f"{source}: [tradeoff] coverage_targets: {t!r} is not a share in (0, 1]; e.g. [0.5, 0.9, 1.0]."
            )
        if t in targets[:i]:
            raise ScenarioError(f"{source}: [tradeoff] coverage_targets lists {t!r} twice; give each target once.")
    if not axes and not targets:
        raise ScenarioError(f"{source}: nothing to run; add a [grid] table and/or [tradeoff] coverage_targets.")
    n_grid = math.prod(len(v) for _, v in axes) if axes else 0
    if n_grid + len(targets) > _MAX_POINTS:
        raise ScenarioError(
            f"{source}: {n_grid + len(targets):,} points is more than {_MAX_POINTS:,}; shrink the grid."
        )

    base_raw, base_path = _base_raw(base, source)
    specs: list[tuple[Kind, list[tuple[str, Any]], list[str]]] = []
    if axes:
        for combo in itertools.product(*(values for _, values in axes)):
            overrides = [(key, v) for (key, _), v in zip(axes, combo, strict=True)]
            specs.append(("grid", overrides, [f"{k}_{_slug_value(v)}" for k, v in overrides]))
    base_obj = base_raw.get("objective") if isinstance(base_raw.get("objective"), dict) else {}
    for t in targets:
        overrides = [("objective.type", "min_cost"), ("objective.coverage_target", t)]
        overrides += [(f"objective.{k}", None) for k in ("max_hubs", "budget_eur") if base_obj.get(k) is not None]
        specs.append(("tradeoff", overrides, [f"target_{_slug_value(t)}"]))

    names = [_point_name(name, parts, ov, False) for _, ov, parts in specs]
    folded = [n.lower() for n in names]  # case-insensitive file systems
    clashes = {n for n in folded if folded.count(n) > 1}
    names = [
        _point_name(name, parts, ov, True) if n.lower() in clashes else n
        for n, (_, ov, parts) in zip(names, specs, strict=True)
    ]
    if len({n.lower() for n in names}) != len(names):  # pragma: no cover - needs a SHA-256 prefix collision
        raise ScenarioError(f"{source}: two points got the same run name; rename the grid values.")

    cache: dict[Path, str] = {}
    points = []
    for index, ((kind, overrides, _), point_name) in enumerate(zip(specs, names, strict=True)):
        raw = copy.deepcopy(base_raw)
        for key, value in overrides:
            _set_dotted(raw, key, value)
        raw["name"] = point_name
        changes = ", ".join(f"{k}={_fmt(v)}" for k, v in overrides if v is not None)
        raw["description"] = f"{raw.get('description') or ''} [sweep {name}: {changes}]".strip()
        output = raw.get("output") if isinstance(raw.get("output"), dict) else {}
        raw["output"] = {**output, "maps": False, "tradeoff_points": 0, "dir": None}
        where = f"{source} [{'tradeoff' if kind == 'tradeoff' else 'grid'} point {changes}]"
        scenario = scenario_from_dict(raw, source=where)
        points.append(SweepPoint(index, point_name, kind, tuple(overrides), scenario, _scenario_hash(scenario, cache)))
    return Sweep(
        name=name,
        base=base_path,
        grid=tuple(axes),
        coverage_targets=targets,
        points=tuple(points),
        source=source,
    )


def load_sweep(path: str | Path) -> Sweep:
    """Load and validate a sweep file.

    Parameters
    ----------
    path
        The sweep TOML file (``base``, optional ``name``, ``[grid]``, optional ``[tradeoff]``).

    Returns
    -------
    Sweep
        Every point validated before anything runs.

    Raises
    ------
    ScenarioError
        One line naming the file, the key or point, and the fix.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: sweep file not found; check the path.")
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc}); fix the syntax.") from None
    for key in raw:
        if key not in _SWEEP_KEYS:
            close = difflib.get_close_matches(key, _SWEEP_KEYS, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(_SWEEP_KEYS)}"
            raise ScenarioError(f"{path}: unknown key '{key}'; {hint}")
    base = raw.get("base")
    if not isinstance(base, str) or not base:
        raise ScenarioError(f"{path}: missing 'base' (the base scenario file, relative to the sweep file).")
    base_path = Path(base) if Path(base).is_absolute() else path.parent / base
    grid = raw.get("grid", {})
    if not isinstance(grid, dict):
        raise ScenarioError(f"{path}: 'grid' must be a table of dotted scenario keys → lists of values.")
    tradeoff = raw.get("tradeoff", {})
    if not isinstance(tradeoff, dict):
        raise ScenarioError(f"{path}: 'tradeoff' must be a table with 'coverage_targets'.")
    for key in tradeoff:
        if key not in _TRADEOFF_KEYS:
            raise ScenarioError(f"{path}: [tradeoff] unknown key '{key}'; valid keys: {', '.join(_TRADEOFF_KEYS)}")
    targets = tradeoff.get("coverage_targets", [])
    if not isinstance(targets, list):
        raise ScenarioError(f"{path}: [tradeoff] coverage_targets must be a list of shares, e.g. [0.5, 0.9, 1.0].")
    name = raw.get("name", re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-._") or "sweep")
    return make_sweep(base_path, grid, name=name, coverage_targets=targets, root=path.parent.resolve(), source=source)


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class PointTask:
    """What a worker needs to run one point: plain strings, cheap to pickle for any executor."""

    name: str
    scenario_json: str
    run_dir: str
    marker_json: str


@dataclass(frozen=True)
class PointResult:
    """Outcome of one sweep point (a row of ``sweep.csv``).

    Attributes
    ----------
    name, kind, overrides
        As in :class:`SweepPoint`.
    status
        ``"ok"`` (ran now), ``"skipped"`` (resumed: a finished run with the same hash) or ``"failed"``.
    hub_count, covered_share, total_cost_eur, mip_gap
        From the run's ``summary.json`` (``None`` when failed).
    seconds
        Wall-clock seconds of the run (for ``skipped``: of the run that made the folder).
    run_dir
        The run folder (``None`` when failed).
    error
        The one-line error message of a failed point.
    """

    name: str
    kind: Kind
    overrides: tuple[tuple[str, Any], ...]
    status: Status
    hub_count: int | None = None
    covered_share: float | None = None
    total_cost_eur: float | None = None
    mip_gap: float | None = None
    seconds: float | None = None
    run_dir: Path | None = None
    error: str | None = None


@dataclass(frozen=True)
class SweepResult:
    """All points of a sweep run, in sweep order, and the files written.

    Attributes
    ----------
    sweep
        The sweep that ran.
    out_dir
        The sweep folder.
    points
        One :class:`PointResult` per point, in sweep order.
    files
        ``sweep.csv``, ``sweep.json``, ``failures.json`` and the ``compare/`` files.
    """

    sweep: Sweep
    out_dir: Path
    points: tuple[PointResult, ...]
    files: tuple[Path, ...] = ()

    def by_status(self, status: Status) -> list[PointResult]:
        """The points with this status."""
        return [p for p in self.points if p.status == status]

    @property
    def failed(self) -> list[PointResult]:
        """The failed points."""
        return self.by_status("failed")

    @property
    def ok(self) -> bool:
        """Whether no point failed."""
        return not self.failed

    def table(self) -> pd.DataFrame:
        """One row per point: ``point, kind``, one column per override key, then the KPIs."""
        return _table(self.points, self.out_dir)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, PlannerError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _kpis(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {k: summary.get(k) for k in ("hub_count", "covered_share", "total_cost_eur", "mip_gap")}


def run_point(task: PointTask, log: Log = _noop) -> dict[str, Any]:
    """Run one sweep point and write its run folder and ``sweep-point.json``; never raises.

    This is the pure, module-level function every executor runs (in-process, process pool, Dask):
    its input and output are plain data.

    Parameters
    ----------
    task
        The point's validated scenario (JSON), its run folder and its marker text.
    log
        Progress callback for the run's stages (used in-process only; workers run quietly).

    Returns
    -------
    dict
        ``status`` (``"ok"`` or ``"failed"``), ``seconds``, the KPIs or ``error`` (one line) and
        ``error_type``.
    """
    t0 = time.perf_counter()
    try:
        from planner.api import run

        scenario = Scenario.model_validate_json(task.scenario_json)
        plan = run(scenario, out_dir=task.run_dir, log=lambda msg: log(f"{task.name}: {msg}"))
        seconds = round(time.perf_counter() - t0, 3)
        marker = json.loads(task.marker_json)
        marker["seconds"] = seconds
        _write_text_atomic(Path(task.run_dir) / MARKER, json.dumps(marker, indent=2, ensure_ascii=False) + "\n")
        register_files(Path(task.run_dir), [MARKER])
        return {"status": "ok", "seconds": seconds, **_kpis(plan.summary)}
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, none stops the sweep
        return {
            "status": "failed",
            "seconds": round(time.perf_counter() - t0, 3),
            "error": _one_line(exc),
            "error_type": type(exc).__name__,
        }


def _marker(sweep: Sweep, point: SweepPoint) -> dict[str, Any]:
    from planner import __version__

    return {
        "sweep": sweep.name,
        "point": point.name,
        "kind": point.kind,
        "overrides": {k: v for k, v in point.overrides},
        "scenario_hash": point.scenario_hash,
        "planner_version": __version__,
        "scenario": point.scenario.model_dump(mode="json"),
    }


def _resumable(point: SweepPoint, run_dir: Path) -> PointResult | None:
    """The finished run of this very scenario in ``run_dir``, if there is one."""
    try:
        marker = json.loads((run_dir / MARKER).read_text())
        summary = json.loads((run_dir / "summary.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("scenario_hash") != point.scenario_hash:
        return None
    if not isinstance(summary, dict) or summary.get("scenario") != point.name:
        return None
    return PointResult(
        point.name,
        point.kind,
        point.overrides,
        "skipped",
        seconds=marker.get("seconds"),
        run_dir=run_dir,
        **_kpis(summary),
    )


def _result(point: SweepPoint, run_dir: Path, out: Mapping[str, Any]) -> PointResult:
    if out.get("status") == "ok":
        kpis = {k: out.get(k) for k in ("hub_count", "covered_share", "total_cost_eur", "mip_gap")}
        return PointResult(
            point.name, point.kind, point.overrides, "ok", seconds=out.get("seconds"), run_dir=run_dir, **kpis
        )
    return PointResult(
        point.name,
        point.kind,
        point.overrides,
        "failed",
        seconds=out.get("seconds"),
        error=str(out.get("error") or "failed"),
    )


def _describe(r: PointResult) -> str:
    if r.status == "failed":
        return f"FAILED: {r.error}"
    share = "n/a" if r.covered_share is None else f"{r.covered_share:.1%}"
    cost = "n/a" if r.total_cost_eur is None else f"{r.total_cost_eur:,.0f} EUR"
    took = "" if r.seconds is None else f", {r.seconds:.1f} s"
    what = "ok" if r.status == "ok" else "skipped (already done)"
    return f"{what}: {r.hub_count} hubs, served {share}, {cost}{took}"


def _execute(
    tasks: list[tuple[int, PointTask]], *, workers: int, client: Any, log: Log
) -> Iterable[tuple[int, dict[str, Any]]]:
    """Yield ``(index, outcome)`` as points finish, on the chosen executor."""
    if client is not None:
        yield from _execute_dask(tasks, client)
    elif workers <= 1 or len(tasks) <= 1:
        for index, task in tasks:
            yield index, run_point(task, log)
    else:
        yield from _execute_pool(tasks, workers)


def _execute_pool(tasks: list[tuple[int, PointTask]], workers: int) -> Iterable[tuple[int, dict[str, Any]]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: a forked child inherits the parent's solver thread pools in an unusable state.
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(run_point, task): index for index, task in tasks}
        for fut in as_completed(futures):
            try:
                outcome = fut.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker process fails its point only
                outcome = {"status": "failed", "error": _one_line(exc), "error_type": type(exc).__name__}
            yield futures[fut], outcome
    except BaseException:  # Ctrl-C: drop the queued points instead of running them all first
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _dask_client(scheduler: str) -> Any:
    """A ``distributed.Client`` connected to ``scheduler``, or a one-line :class:`PlannerError`."""
    try:
        from distributed import Client
    except ImportError:
        raise PlannerError(
            "--scheduler needs Dask distributed; install it with: pip install 'dask[distributed]'."
        ) from None
    try:
        return Client(scheduler, timeout=10)
    except (OSError, TimeoutError, ValueError) as exc:
        raise PlannerError(
            f"cannot reach the Dask scheduler at {scheduler} ({_one_line(exc)}); check the address."
        ) from None


def _execute_dask(tasks: list[tuple[int, PointTask]], client: Any) -> Iterable[tuple[int, dict[str, Any]]]:
    from distributed import as_completed

    futures = {client.submit(run_point, task, pure=False): index for index, task in tasks}
    by_key = {f.key: i for f, i in futures.items()}
    for fut in as_completed(list(futures)):
        try:
            outcome = fut.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker or unimportable planner fails its point
            outcome = {"status": "failed", "error": _one_line(exc), "error_type": type(exc).__name__}
        yield by_key[fut.key], outcome


def _cell(value: Any) -> Any:
    """A CSV cell: scalars as they are, lists and tables as JSON text."""
    return value if value is None or isinstance(value, bool | int | float | str) else json.dumps(value)


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _rows(points: Sequence[PointResult], out_dir: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """Column names and one row per point (override values as given, KPIs, run folder relative to the sweep)."""
    keys: list[str] = []
    for p in points:
        keys += [k for k, _ in p.overrides if k not in keys]
    rows = []
    for p in points:
        ov = dict(p.overrides)
        rel = None
        if p.run_dir is not None:
            try:
                rel = p.run_dir.relative_to(out_dir).as_posix()
            except ValueError:
                rel = str(p.run_dir)
        rows.append(
            {
                "point": p.name,
                "kind": p.kind,
                **{k: ov.get(k) for k in keys},
                "status": p.status,
                "hub_count": p.hub_count,
                "covered_share": _finite(p.covered_share),
                "total_cost_eur": _finite(p.total_cost_eur),
                "mip_gap": _finite(p.mip_gap),
                "seconds": p.seconds,
                "run_dir": rel,
                "error": p.error,
            }
        )
    kpis = ["status", "hub_count", "covered_share", "total_cost_eur", "mip_gap", "seconds", "run_dir", "error"]
    return ["point", "kind", *keys, *kpis], rows


def _table(points: Sequence[PointResult], out_dir: Path) -> pd.DataFrame:
    columns, rows = _rows(points, out_dir)
    cells = [{k: _cell(v) for k, v in row.items()} for row in rows]
    # object columns keep override values as given (400 stays 400, a missing value stays empty)
    df = pd.DataFrame(cells, columns=columns, dtype=object)
    floats = dict.fromkeys(("covered_share", "total_cost_eur", "mip_gap", "seconds"), float)
    return df.astype({"hub_count": "Int64", **floats})


def _write_outputs(sweep: Sweep, out_dir: Path, results: Sequence[PointResult], log: Log) -> list[Path]:
    from planner.compare import write_comparison

    files = [out_dir / "sweep.csv", out_dir / "sweep.json", out_dir / "failures.json"]
    _write_text_atomic(files[0], _table(results, out_dir).to_csv(index=False, lineterminator="\n"))
    _, records = _rows(results, out_dir)
    for rec, r in zip(records, results, strict=True):
        rec["overrides"] = {k: v for k, v in r.overrides}
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "skipped", "failed")}
    doc = {
        "sweep": sweep.name,
        "source": sweep.source,
        "base": None if sweep.base is None else str(sweep.base),
        "grid": {k: list(v) for k, v in sweep.grid},
        "tradeoff": {"coverage_targets": list(sweep.coverage_targets)},
        "counts": counts,
        "points": records,
    }
    _write_text_atomic(files[1], json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    failures = [
        {"point": r.name, "kind": r.kind, "overrides": {k: v for k, v in r.overrides}, "error": r.error}
        for r in results
        if r.status == "failed"
    ]
    _write_text_atomic(files[2], json.dumps(failures, indent=2, ensure_ascii=False) + "\n")
    done = [r.run_dir for r in results if r.status != "failed" and r.run_dir is not None]
    compare_dir = out_dir / "compare"
    if done:
        files += write_comparison(done, compare_dir, html=False)
    else:
        shutil.rmtree(compare_dir, ignore_errors=True)  # a stale comparison would contradict sweep.csv
        log("no successful run: compare/ not written")
    return files


def run_sweep(
    sweep: Sweep,
    out_dir: str | Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    log: Log = _noop,
) -> SweepResult:
    """Run every point of a sweep (skipping finished ones) and write the sweep tables.

    Parameters
    ----------
    sweep
        From :func:`load_sweep` or :func:`make_sweep`.
    out_dir
        Sweep folder: runs go to ``<out_dir>/runs/<point name>/``; ``sweep.csv``, ``sweep.json``,
        ``failures.json`` and ``compare/`` beside them.
    workers
        Local processes (``1``: in this process, one after the other). Ignored with ``scheduler``.
    scheduler
        Address of a Dask distributed scheduler (``tcp://host:port``); its workers must import
        ``planner`` and see the data files and ``out_dir`` at the same paths.
    log
        Callback receiving one line per finished point.

    Returns
    -------
    SweepResult
        Every point's status and KPIs; a failed point does not raise (see :attr:`SweepResult.failed`).

    Raises
    ------
    PlannerError
        Only for problems of the sweep as a whole (bad ``workers``, unreachable scheduler).
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise PlannerError(f"workers={workers!r}: give a whole number of processes ≥ 1.")
    out = Path(out_dir).resolve()
    client = _dask_client(scheduler) if scheduler is not None else None  # fail before touching the disk
    try:
        runs = out / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        n = len(sweep.points)
        results: dict[int, PointResult] = {}
        tasks: list[tuple[int, PointTask]] = []
        for point in sweep.points:
            run_dir = runs / point.name
            done = _resumable(point, run_dir)
            if done is not None:
                results[point.index] = done
                log(f"[{point.index + 1}/{n}] {point.name}: {_describe(done)}")
                continue
            marker = json.dumps(_marker(sweep, point), ensure_ascii=False)
            tasks.append((point.index, PointTask(point.name, point.scenario.model_dump_json(), str(run_dir), marker)))
        if client is not None:
            where = f"Dask scheduler {scheduler}"
        elif workers > 1 and len(tasks) > 1:
            where = f"{min(workers, len(tasks))} processes"
        else:
            where = "this process"
        if tasks:
            log(f"sweep {sweep.name}: running {len(tasks)} of {n} points on {where}")
        for index, outcome in _execute(tasks, workers=workers, client=client, log=log):
            point = sweep.points[index]
            res = _result(point, runs / point.name, outcome)
            results[index] = res
            log(f"[{index + 1}/{n}] {point.name}: {_describe(res)}")
    finally:
        if client is not None:
            client.close()
    ordered = tuple(results[p.index] for p in sweep.points)
    files = _write_outputs(sweep, out, ordered, log)
    return SweepResult(sweep=sweep, out_dir=out, points=ordered, files=tuple(files))
