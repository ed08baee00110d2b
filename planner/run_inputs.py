"""The inputs of a run folder, flattened to dotted keys, and which of them differ between runs.

A run folder written by ``planner run`` holds ``scenario.resolved.toml``: the full validated
scenario (every section and field, defaults filled in, ``extends`` merged, paths absolute).
Older run folders lack it; their inputs are then taken from what ``summary.json`` records
(``vehicle``, ``breaks``, ``objective``, ``metric``, AFIR, rollout and economics assumptions,
charger powers), which is fewer fields, and the comparison says so.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import DataError
from planner.runfolder import read_summary
from planner.scenario.root import SWITCHED_SECTIONS

__all__ = ["RESOLVED", "RunInputs", "flatten", "input_differences", "read_inputs"]

RESOLVED = "scenario.resolved.toml"
IGNORED_KEYS = ("name", "description")
IGNORED_PREFIXES = ("output.",)
# vehicle entries of summary.json that are derived from the inputs, not inputs themselves
DERIVED_VEHICLE = ("range_", "arrival_reserve_km", "break_limit_km")


@dataclass(frozen=True)
class RunInputs:
    """A run's inputs as ``{dotted key: value}`` and where they were read from."""

    values: dict[str, Any]
    source: str  # RESOLVED or "summary.json"


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Nested tables as dotted keys: ``{"vehicle": {"battery_kwh": 600}}`` → ``{"vehicle.battery_kwh": 600}``.

    Lists stay values (``rollout.years``); lists of tables get their index in the key.
    """
    out: dict[str, Any] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, list) and obj and all(isinstance(v, dict) for v in obj):
        for i, v in enumerate(obj):
            out.update(flatten(v, f"{prefix}.{i}"))
    else:
        out[prefix] = obj
    return out


def _keep(key: str) -> bool:
    return key not in IGNORED_KEYS and not key.startswith(IGNORED_PREFIXES)


def _from_summary(summary: dict) -> dict[str, Any]:
    """The inputs summary.json records (older runs without scenario.resolved.toml)."""
    out: dict[str, Any] = {}
    if "objective" in summary:
        out["objective.type"] = summary["objective"]
    if "metric" in summary:
        out["objective.metric"] = summary["metric"]
    for k, v in (summary.get("vehicle") or {}).items():
        if not str(k).startswith(DERIVED_VEHICLE):
            out[f"vehicle.{k}"] = v
    out.update(flatten(summary.get("breaks") or {}, "breaks"))
    afir = summary.get("afir") or {}
    for k in ("mode", "year", "tiers"):
        if k in afir:
            out[f"afir.{k}"] = afir[k]
    rollout = summary.get("rollout") or {}
    for k in ("mode", "years"):
        if k in rollout:
            out[f"rollout.{k}"] = rollout[k]
    out.update(flatten((summary.get("economics") or {}).get("assumptions") or {}, "economics"))
    for t, kw in ((summary.get("chargers") or {}).get("power_kw_by_type") or {}).items():
        out[f"chargers.{t}.power_kw"] = kw
    return out


def read_inputs(run_dir: Path, *, summary_only: bool = False) -> RunInputs:
    """The inputs of one run folder (``scenario.resolved.toml``, else ``summary.json``).

    ``summary_only`` reads ``summary.json`` even where the resolved scenario exists (to compare
    like with like against an older run).

    Raises
    ------
    DataError
        If ``scenario.resolved.toml`` is not valid TOML.
    """
    run_dir = Path(run_dir)
    resolved = run_dir / RESOLVED
    if resolved.is_file() and not summary_only:
        try:
            data = tomllib.loads(resolved.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{resolved}: not valid TOML ({exc}); re-run the scenario to rewrite it.") from None
        return RunInputs({k: v for k, v in flatten(data).items() if _keep(k)}, RESOLVED)
    summary_path = run_dir / "summary.json"
    summary = read_summary(run_dir, complete=False) if summary_path.is_file() else {}
    return RunInputs({k: v for k, v in _from_summary(summary).items() if _keep(k)}, "summary.json")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)
    return a == b


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _off(values: dict, key: str) -> str:
    """The mark " (off)" for a setting of a section the run switched off (it changed nothing there), else ""."""
    section, _, field = key.partition(".")
    switched = section in SWITCHED_SECTIONS and field != "enabled" and key in values
    return " (off)" if switched and values.get(f"{section}.enabled") is False else ""


def input_differences(run_dirs: list[Path], labels: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The inputs whose values differ between runs.

    Parameters
    ----------
    run_dirs
        Run folders.
    labels
        One label per run (column names).

    Returns
    -------
    (table, notes)
        ``table`` has columns ``input`` (dotted key), ``source`` and one text column per run
        (empty where a run lacks the input), sorted by key. If any run lacks
        ``scenario.resolved.toml``, every run is compared from ``summary.json`` and ``notes``
        says so.
    """
    runs = [read_inputs(Path(d)) for d in run_dirs]
    older = [lab for lab, r in zip(labels, runs, strict=True) if r.source != RESOLVED]
    if older and len(older) < len(runs):  # mixed: compare what every run records
        runs = [read_inputs(Path(d), summary_only=True) for d in run_dirs]
    keys = sorted(set().union(*(r.values for r in runs)))
    rows = []
    for key in keys:
        present = [r.values[key] for r in runs if key in r.values]
        if len(present) == len(runs) and all(_same(present[0], v) for v in present[1:]):
            continue
        sources = sorted({r.source for r in runs if key in r.values})
        row = {"input": key, "source": " / ".join(sources)}
        row.update({lab: _text(r.values.get(key)) + _off(r.values, key) for lab, r in zip(labels, runs, strict=True)})
        rows.append(row)
    notes = []
    if older:
        notes.append(
            f"No {RESOLVED} in {', '.join(older)} (written before runs recorded their resolved scenario): "
            "inputs compared from what summary.json records (vehicle, breaks, objective, AFIR, rollout, "
            "economics assumptions, charger power), not every scenario field."
        )
    return pd.DataFrame(rows, columns=["input", "source", *labels]), notes
