"""Reading a run folder back (``compare``, ``render``): one clear line when a file is broken."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import DataError
from planner.outdir import folder_kind

__all__ = ["earlier_plan", "read_run_csv", "read_summary"]

#: Keys every run's summary.json has, with their types (what compare and render rely on).
_REQUIRED: dict[str, tuple[type, ...]] = {
    "scenario": (str,),
    "status": (str,),
    "hub_count": (int,),
    "covered_share": (int, float),
    "total_cost_eur": (int, float),
}


def read_summary(run_dir: Path, *, complete: bool = True) -> dict[str, Any]:
    """The run's ``summary.json``, checked (``complete``: every key a run writes must be there;
    otherwise only the keys present are type-checked).

    Raises
    ------
    DataError
        If it is missing, not UTF-8 JSON, or lacks a key (or has one of the wrong type) that every
        run writes.
    """
    path = Path(run_dir) / "summary.json"
    if not path.is_file():
        if not Path(run_dir).exists():
            raise DataError(f"{run_dir}: no such folder; give a folder written by `planner run`.")
        kind = folder_kind(Path(run_dir)) if Path(run_dir).is_dir() else None
        what = f"a planner {kind} folder" if kind else "no summary.json"
        where = "; its runs are in runs/" if kind == "sweep" else ""
        raise DataError(f"{run_dir}: not a run folder ({what}{where}); give a folder written by `planner run`.")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); re-run the scenario to rewrite it.") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: not a run summary (a JSON object is expected); re-run the scenario.")
    for key, types in _REQUIRED.items():
        if key not in data and not complete:
            continue
        value = data.get(key)
        if not isinstance(value, types) or isinstance(value, bool):
            raise DataError(f"{path}: '{key}' is missing or not a {types[0].__name__}; re-run the scenario.")
    return data


def read_run_csv(path: Path, **kwargs: Any) -> pd.DataFrame | None:
    """A CSV table of a run folder (``None`` if absent or empty), read with ``pandas.read_csv``.

    Raises
    ------
    DataError
        If it is not UTF-8 or not a readable CSV.
    """
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return None
    try:
        return pd.read_csv(path, encoding="utf-8", **kwargs)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        msg = " ".join(str(exc).split())
        raise DataError(f"{path}: cannot read this run table ({msg}); re-run the scenario to rewrite it.") from None


def earlier_plan(run_dir: Path) -> str | None:
    """What the run folder ``run_dir`` holds now, as the phrase ``'<scenario> (<scenario file>, <start time>)'``
    for the line that says a run is about to replace it; None if it holds no readable plan."""
    try:
        summary = read_summary(run_dir, complete=False)
    except DataError:
        return None
    prov = summary.get("provenance") if isinstance(summary.get("provenance"), dict) else {}
    scenario = next((i for i in prov.get("inputs", []) if isinstance(i, dict) and i.get("role") == "scenario"), {})
    file = Path(str(prov.get("scenario_folder", ""))) / str(scenario.get("path", "")) if scenario.get("path") else None
    when = str(prov.get("started_at", "")).replace("T", " ")[:16]
    details = ", ".join(x for x in (str(file) if file else "", when) if x)
    return f"{summary.get('scenario', '?')!s}" + (f" ({details})" if details else "")
