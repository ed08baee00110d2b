"""Sweep definitions: the sweep file, its validation and the points it generates.

A sweep is a base scenario, a grid of dotted scenario keys with lists of values (every
combination is a point) and an optional list of coverage targets (one ``min_cost`` point of the
base each, an ε-constraint curve). Every point is validated as a scenario, named and hashed
before anything runs.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from planner.errors import ScenarioError
from planner.features import check_scenario
from planner.scenario import UNSET, Scenario, scenario_from_dict
from planner.sweep.hashing import path_keys, scenario_hash
from planner.sweep.keys import check_key
from planner.sweep.naming import NAME_RE, fmt_value, point_names, slug_value

__all__ = ["Kind", "Sweep", "SweepPoint", "load_sweep", "make_sweep"]

Kind = Literal["grid", "tradeoff"]

_MAX_POINTS = 10_000
_SWEEP_KEYS = ("base", "name", "grid", "tradeoff")
_TRADEOFF_KEYS = ("coverage_targets",)


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

    def notes(self) -> list[str]:
        """Grid axes that cannot change a plan, one line each: a key in a section switched off in every
        point (``capacity.max_wait_min`` without ``[capacity]``), and ``demand.bev_share`` without hub sizing
        (it scales every flow alike, so the same hubs serve the same share), or in a rollout with
        ``rollout.bev_share`` (each year's volume is the flows' × that share / ``demand.bev_share``: it cancels)."""
        notes = []
        for key, _values in self.grid:
            scenarios = [p.scenario for p in self.points if any(k == key for k, _ in p.overrides)]
            if scenarios and all(sc.switched_off(key) for sc in scenarios):
                section = key.partition(".")[0]
                notes.append(f"[grid] {key!r} varies a setting of [{section}], which is not enabled: no plan changes")
            elif key == "demand.bev_share" and scenarios and all(sc.rollout.bev_share for sc in scenarios):
                notes.append(
                    "[grid] 'demand.bev_share' changes nothing in a rollout with rollout.bev_share, which sets each "
                    "year's share: vary rollout.bev_share instead"
                )
            elif key == "demand.bev_share" and scenarios and not any(sc.capacity.enabled for sc in scenarios):
                notes.append(
                    "[grid] 'demand.bev_share' scales every flow alike: without [capacity] sizing the points get the "
                    "same hubs and served share, only other trucks/day (vary the battery, budget or hub limit "
                    "instead, or enable [capacity])"
                )
        return notes


# --------------------------------------------------------------------------- helpers


def _flatten(table: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``{"vehicle": {"battery_kwh": [..]}}`` and ``{"vehicle.battery_kwh": [..]}`` alike → dotted pairs."""
    out: list[tuple[str, Any]] = []
    for key, value in table.items():
        if isinstance(value, Mapping):
            out += _flatten(value, f"{prefix}{key}.")
        else:
            out.append((prefix + key, value))
    return out


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


def _resolve_path_value(key: str, value: Any, root: Path, source: str) -> Any:
    """Relative data paths in the grid are relative to the sweep file, like in a scenario file; they must exist."""
    section, _, leaf = key.partition(".")
    if leaf not in path_keys().get(section, ()) or not isinstance(value, str) or value == UNSET:
        return value  # not a path (a wrong type is reported when the point is validated)
    path = Path(value) if Path(value).is_absolute() else (root / value).resolve()
    if not path.is_file():
        raise ScenarioError(
            f"{source}: [grid] '{key}': {value!r} is not a file (looked for {path}); "
            "fix the path (relative to the sweep file)."
        )
    return str(path)


def _base_raw(base: Scenario | str | Path, source: str) -> tuple[dict[str, Any], Path | None]:
    from planner.scenario import load_raw

    if isinstance(base, Scenario):
        return base.model_dump(mode="json"), None
    path = Path(base)
    if path.is_dir():
        raise ScenarioError(f"{source}: 'base' names the folder {path}, not a scenario file; fix 'base'.")
    if not path.is_file():
        raise ScenarioError(f"{source}: base scenario {path} does not exist; fix 'base' (relative to the sweep file).")
    raw = load_raw(path, ())
    scenario_from_dict(copy.deepcopy(raw), source=str(path))  # the base on its own names its own file in errors
    return raw, path.resolve()


# --------------------------------------------------------------------------- validation


def _check_name(name: Any, source: str) -> None:
    if not isinstance(name, str) or not NAME_RE.match(name) or len(name) > 60:
        raise ScenarioError(
            f"{source}: 'name' = {name!r}: use up to 60 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit (it prefixes every run name)."
        )


def _grid_axes(grid: Mapping[str, Any], source: str, root: Path) -> list[tuple[str, tuple[Any, ...], tuple[str, ...]]]:
    """The grid as ``(dotted key, values, labels)`` axes, every key and list checked.

    Data paths among the values are made absolute; the labels (for point names) are the values
    as written, so names do not depend on where the sweep file lies.
    """
    axes: list[tuple[str, tuple[Any, ...], tuple[str, ...]]] = []
    for key, values in _flatten(grid):
        check_key(key, source)
        if not isinstance(values, list | tuple) or not values:
            raise ScenarioError(f"{source}: [grid] '{key}' must be a non-empty list of values (got {values!r}).")
        for i, v in enumerate(values):
            if any(type(v) is type(w) and v == w for w in values[:i]):
                raise ScenarioError(f"{source}: [grid] '{key}' lists {fmt_value(v)} twice; give each value once.")
        resolved = tuple(_resolve_path_value(key, v, root, source) for v in values)
        axes.append((key, resolved, tuple(slug_value(v) for v in values)))
    return axes


def _check_targets(coverage_targets: Sequence[float], source: str) -> tuple[float, ...]:
    targets = tuple(coverage_targets)
    for i, t in enumerate(targets):
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0 < t <= 1:
            raise ScenarioError(
                f"{source}: [tradeoff] coverage_targets: {fmt_value(t)} is not a share in (0, 1]; e.g. [0.5, 0.9, 1.0]."
            )
        if t in targets[:i]:
            raise ScenarioError(f"{source}: [tradeoff] coverage_targets lists {t!r} twice; give each target once.")
    return targets


def _point_specs(
    axes: Sequence[tuple[str, tuple[Any, ...], tuple[str, ...]]],
    targets: Sequence[float],
    base_raw: Mapping[str, Any],
) -> list[tuple[Kind, list[tuple[str, Any]], list[str]]]:
    """Per point: its kind, its overrides and the parts of its name."""
    specs: list[tuple[Kind, list[tuple[str, Any]], list[str]]] = []
    if axes:
        keys = [key for key, _, _ in axes]
        for combo in itertools.product(*(list(zip(values, labels, strict=True)) for _, values, labels in axes)):
            overrides = [(key, v) for key, (v, _) in zip(keys, combo, strict=True)]
            specs.append(("grid", overrides, [f"{k}_{label}" for k, (_, label) in zip(keys, combo, strict=True)]))
    base_obj = base_raw.get("objective") if isinstance(base_raw.get("objective"), dict) else {}
    for t in targets:
        overrides = [("objective.type", "min_cost"), ("objective.coverage_target", t)]
        overrides += [(f"objective.{k}", None) for k in ("max_hubs", "budget_eur") if base_obj.get(k) is not None]
        specs.append(("tradeoff", overrides, [f"target_{slug_value(t)}"]))
    return specs


def _point_scenario(
    base_raw: Mapping[str, Any],
    sweep_name: str,
    point_name: str,
    kind: Kind,
    overrides: Sequence[tuple[str, Any]],
    source: str,
) -> Scenario:
    """The base with the overrides applied, named, maps and hub-count curve off, validated."""
    raw = copy.deepcopy(dict(base_raw))
    for key, value in overrides:
        _set_dotted(raw, key, value)
    raw["name"] = point_name
    changes = ", ".join(f"{k}={fmt_value(v)}" for k, v in overrides if v is not None)
    raw["description"] = f"{raw.get('description') or ''} [sweep {sweep_name}: {changes}]".strip()
    output = raw.get("output") if isinstance(raw.get("output"), dict) else {}
    raw["output"] = {**output, "maps": False, "tradeoff_points": 0, "dir": None}
    scenario = scenario_from_dict(raw, source=f"{source} [{kind} point {changes}]")
    check_scenario(scenario)  # what a run of the point would refuse before reading data, refused now
    return scenario


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
    _check_name(name, source)
    axes = _grid_axes(grid or {}, source, Path(root) if root is not None else Path.cwd())
    targets = _check_targets(coverage_targets, source)
    if not axes and not targets:
        raise ScenarioError(f"{source}: nothing to run; add a [grid] table and/or [tradeoff] coverage_targets.")
    n_points = (math.prod(len(v) for _, v, _ in axes) if axes else 0) + len(targets)
    if n_points > _MAX_POINTS:
        raise ScenarioError(f"{source}: {n_points:,} points is more than {_MAX_POINTS:,}; shrink the grid.")

    base_raw, base_path = _base_raw(base, source)
    rollout = base_raw.get("rollout") if isinstance(base_raw.get("rollout"), dict) else {}
    if targets and rollout.get("years"):
        raise ScenarioError(
            f"{source}: [tradeoff] coverage_targets trace a single-year curve and the base is a rollout "
            "(rollout.years); remove [tradeoff], or vary rollout.coverage_target in [grid] (one list per point)."
        )
    specs = _point_specs(axes, targets, base_raw)
    names = point_names(name, [(parts, ov) for _, ov, parts in specs], source)
    cache: dict[Path, str] = {}
    points = []
    for index, ((kind, overrides, _), point_name) in enumerate(zip(specs, names, strict=True)):
        scenario = _point_scenario(base_raw, name, point_name, kind, overrides, source)
        points.append(SweepPoint(index, point_name, kind, tuple(overrides), scenario, scenario_hash(scenario, cache)))
    return Sweep(
        name=name,
        base=base_path,
        grid=tuple((key, values) for key, values, _ in axes),
        coverage_targets=targets,
        points=tuple(points),
        source=source,
    )


def _read_sweep_file(path: Path) -> dict[str, Any]:
    """The sweep file's TOML table, top-level keys checked; one-line errors."""
    if path.is_dir():
        raise ScenarioError(f"{path}: is a folder, not a sweep file; give the sweep TOML file.")
    if not path.is_file():
        raise ScenarioError(f"{path}: sweep file not found; check the path.")
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8.") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror}); check the file's permissions.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc}); fix the syntax.") from None
    if "base" not in raw and ({"extends", "network", "objective"} & set(raw)):
        raise ScenarioError(
            f"{path}: a scenario file, not a sweep file; run it with `planner run {path}`, or give a sweep file "
            "(base, name, [grid], [tradeoff]; README, *Sweeps and trade-off curves*)."
        )
    for key in raw:
        if key not in _SWEEP_KEYS:
            close = difflib.get_close_matches(key, _SWEEP_KEYS, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(_SWEEP_KEYS)}"
            raise ScenarioError(f"{path}: unknown key '{key}'; {hint}")
    return raw


def _targets_of(raw: Mapping[str, Any], path: Path) -> list[Any]:
    tradeoff = raw.get("tradeoff", {})
    if not isinstance(tradeoff, dict):
        raise ScenarioError(f"{path}: 'tradeoff' must be a table with 'coverage_targets'.")
    for key in tradeoff:
        if key not in _TRADEOFF_KEYS:
            raise ScenarioError(f"{path}: [tradeoff] unknown key '{key}'; valid keys: {', '.join(_TRADEOFF_KEYS)}")
    targets = tradeoff.get("coverage_targets", [])
    if not isinstance(targets, list):
        raise ScenarioError(f"{path}: [tradeoff] coverage_targets must be a list of shares, e.g. [0.5, 0.9, 1.0].")
    return targets


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
    raw = _read_sweep_file(path)
    base = raw.get("base")
    if base is None:
        raise ScenarioError(f"{path}: missing 'base' (the base scenario file, relative to the sweep file).")
    if not isinstance(base, str) or not base:
        raise ScenarioError(
            f"{path}: 'base' = {fmt_value(base)}: give the base scenario file name as a string, e.g. \"base.toml\"."
        )
    base_path = Path(base) if Path(base).is_absolute() else path.parent / base
    grid = raw.get("grid", {})
    if not isinstance(grid, dict):
        raise ScenarioError(f"{path}: 'grid' must be a table of dotted scenario keys → lists of values.")
    targets = _targets_of(raw, path)
    name = raw.get("name", re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-._") or "sweep")
    return make_sweep(
        base_path, grid, name=name, coverage_targets=targets, root=path.parent.resolve(), source=str(path)
    )
