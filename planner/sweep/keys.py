"""The scenario keys a sweep may vary: dotted leaf fields of the schema, minus the reserved ones."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel

from planner.errors import ScenarioError
from planner.scenario import Scenario

__all__ = ["RESERVED", "check_key", "scenario_keys"]

#: Keys a sweep sets itself: the run name and what keeps each run fast and in its own folder.
RESERVED = {
    "name": "the sweep names every run '<sweep name>-<overrides>'",
    "output.dir": "runs go to <out>/runs/<point name>",
    "output.maps": "sweep runs never draw maps (use `planner render` on a run folder)",
    "output.tradeoff_points": "sweep runs skip the hub-count curve (use [tradeoff] for a cost curve)",
}


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


def _unknown_key_hint(key: str, parts: list[str], i: int, model: type[BaseModel]) -> str:
    close = difflib.get_close_matches(key, scenario_keys(), n=1, cutoff=0.6)
    if not close and i > 0:
        close = [".".join([*parts[:i], c]) for c in difflib.get_close_matches(parts[i], list(model.model_fields))]
    if close:
        return f"did you mean '{close[0]}'?"
    where = f"keys in [{'.'.join(parts[:i])}]" if i else "sections"
    return f"valid {where}: {', '.join(model.model_fields)}"


def check_key(key: str, source: str) -> None:
    """Raise a one-line :class:`ScenarioError` unless ``key`` names a leaf field of the schema.

    Parameters
    ----------
    key
        A dotted scenario key, e.g. ``"vehicle.battery_kwh"``.
    source
        The sweep file (or name) used in the message.
    """
    parts = key.split(".")
    model: type[BaseModel] | None = Scenario
    for i, part in enumerate(parts):
        if model is None:  # a leaf was already reached: 'vehicle.battery_kwh.x'
            raise ScenarioError(
                f"{source}: [grid] '{key}': '{'.'.join(parts[:i])}' is a value, not a section; drop the rest."
            )
        if part not in model.model_fields:
            raise ScenarioError(
                f"{source}: [grid] unknown scenario key '{key}'; {_unknown_key_hint(key, parts, i, model)}"
            )
        model = _section_model(model.model_fields[part].annotation)
    if model is not None:
        example = next(iter(model.model_fields))
        raise ScenarioError(
            f"{source}: [grid] '{key}' is a section, not a value; vary one of its keys, e.g. '{key}.{example}'."
        )
    if key in RESERVED:
        raise ScenarioError(f"{source}: [grid] '{key}' cannot be varied: {RESERVED[key]}.")
