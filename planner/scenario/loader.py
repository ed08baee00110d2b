"""Loading scenario files: TOML, ``extends`` inheritance, relative paths, one-line errors.

Relative paths in a file are resolved against the folder of the file that names them, so a
scenario that ``extends`` a base in another folder keeps the base's data paths working.
Unknown keys are rejected with the nearest valid key as a hint.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from planner.errors import ScenarioError
from planner.scenario.root import Scenario

__all__ = ["load_scenario", "scenario_from_dict", "load_raw", "is_sweep_table", "PATH_KEYS", "MAX_EXTENDS", "UNSET"]

#: The value that removes an optional setting (one without a default) a scenario inherits through ``extends``,
#: e.g. ``[demand] flows = "none"`` to give ``trips`` instead. TOML has no null.
UNSET = "none"

#: Longest chain of ``extends`` followed (a guard against runaway chains, not a design limit).
MAX_EXTENDS = 32


# Keys that hold file paths, resolved against the folder of the file that sets them.
PATH_KEYS: dict[str, tuple[str, ...]] = {
    "network": ("nodes", "edges", "gpkg"),
    "candidates": ("sites",),
    "demand": ("flows", "trips", "zones"),
    "grid": ("capacity_file",),
    "hourly": ("profiles_file", "flow_classes_file"),
}


def _read_toml(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise ScenarioError(f"{path}: is a folder, not a scenario file; give the path of a .toml file.")
    if not path.is_file():
        raise ScenarioError(f"{path}: scenario file not found; check the path.")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8.") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror}); check the file's permissions.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc}); fix the syntax.") from None


def _resolve_paths(raw: dict[str, Any], base: Path) -> None:
    for section, keys in PATH_KEYS.items():
        table = raw.get(section)
        if not isinstance(table, dict):
            continue
        for key in keys:
            value = table.get(key)
            if isinstance(value, str) and value != UNSET and not Path(value).is_absolute():
                table[key] = str((base / value).resolve())


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_raw(path: Path, seen: tuple[Path, ...], files: list[Path] | None = None) -> dict[str, Any]:
    """The raw mapping of a scenario file with its ``extends`` chain merged (paths made absolute);
    ``files`` collects every file read, the scenario first."""
    path = path.resolve()
    if len(seen) >= MAX_EXTENDS:
        raise ScenarioError(
            f"{seen[0]}: 'extends' chain longer than {MAX_EXTENDS} files (at {path.name}); flatten the chain."
        )
    if path in seen:
        chain = " → ".join(p.name for p in (*seen, path))
        raise ScenarioError(f"{seen[-1]}: 'extends' forms a cycle ({chain}); remove one link.")
    raw = _read_toml(path)
    if files is not None:
        files.append(path)
    _resolve_paths(raw, path.parent)
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: 'extends' must be a file name string.")
    parent_path = Path(parent) if Path(parent).is_absolute() else path.parent / parent
    if not parent_path.is_file():
        raise ScenarioError(f"{path}: 'extends' names {parent_path}, which does not exist; fix the path.")
    base = load_raw(parent_path, (*seen, path), files)
    return _merge(base, raw)


def _model_for(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return model
        annotation = model.model_fields[part].annotation
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return model


_UNION_TAG = re.compile(r"^(int|float|str|bool|none|constrained-\w+|\w+\[.*\])$")


def _field_loc(err: dict[str, Any]) -> tuple[Any, ...]:
    """The error's location without pydantic's union-member tags (``constrained-int``, ``literal['all']``)."""
    return tuple(p for p in err["loc"] if not (isinstance(p, str) and _UNION_TAG.match(p)))


def _merge_union(errors: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    """The first error, its message naming every alternative a union field accepts; and how many
    errors it stands for."""
    first = dict(errors[0])
    same = [e for e in errors if _field_loc(e) == _field_loc(first) and e["type"] != "extra_forbidden"]
    wants = [e["msg"].removeprefix("Input should be ") for e in same if e["msg"].startswith("Input should be ")]
    if len(same) > 1 and len(wants) == len(same):
        first["msg"] = "Input should be " + ", or ".join(dict.fromkeys(wants))
    return first, max(len(same), 1)


def _format_error(err: dict[str, Any], source: str) -> str:
    loc = _field_loc(err)
    field = ".".join(str(p) for p in loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        parent = _model_for(loc[:-1])
        valid = sorted(parent.model_fields) if parent else []
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(valid)}"
        return f"{source}: unknown key '{field}'; {hint}"
    if err["type"] == "missing":
        return f"{source}: missing required key '{field}'; add it (see `planner schema`)."
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    got_txt = "" if isinstance(got, dict) else f" (got {got!r})"
    return f"{source}: '{field}': {msg}{got_txt}; fix the value (see `planner schema`)."


def _drop_unset(raw: dict[str, Any], model: type[BaseModel], loc: str, source: str) -> None:
    """Remove every optional setting set to :data:`UNSET` (``"none"``), in place.

    Only settings whose default is unset can be removed; ``"none"`` anywhere else is refused with
    the setting's default, so it is never read as a name or a number.
    """
    for key, value in list(raw.items()):
        field = model.model_fields.get(key) if isinstance(key, str) else None
        if field is None:
            continue  # an unknown key: reported by the validation
        sub = _section_model(field.annotation)
        if isinstance(value, dict) and sub is not None:
            _drop_unset(value, sub, f"{loc}{key}.", source)
        elif value != UNSET or field.is_required():
            continue
        elif field.default is None:
            del raw[key]
        elif not isinstance(default := field.get_default(call_default_factory=True), str):
            raise ScenarioError(
                f"{source}: '{loc}{key}' = \"{UNSET}\": only a setting without a default can be removed, and this one "
                f"defaults to {_toml_text(default)}; give a value."
            )


def _section_model(annotation: Any) -> type[BaseModel] | None:
    """The section model a field holds (also inside ``X | None``), or None."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _toml_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "[]" if value == [] else repr(value)


def is_sweep_table(raw: dict[str, Any]) -> bool:
    """Whether a TOML table is a sweep file's (``base`` with ``[grid]`` or ``[tradeoff]``), not a scenario's."""
    return "base" in raw and bool({"grid", "tradeoff"} & set(raw)) and "network" not in raw


def scenario_from_dict(raw: dict[str, Any], *, source: str = "<scenario>") -> Scenario:
    """Validate a raw scenario mapping.

    Parameters
    ----------
    raw
        Parsed TOML content (paths already resolved).
    source
        Name of the file, used in error messages.

    Raises
    ------
    ScenarioError
        With one line naming the file, the field and the fix.
    """
    if is_sweep_table(raw):
        raise ScenarioError(
            f"{source}: a sweep file (base, [grid], [tradeoff]), not a scenario; run it with "
            f"`planner sweep {source}`, or give a scenario file."
        )
    _drop_unset(raw, Scenario, "", source)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        head, counted = _merge_union(errors)
        first = _format_error(head, source)
        more = f" (and {len(errors) - counted} more problem(s))" if len(errors) > counted else ""
        raise ScenarioError(first + more) from None
    _check_coverage_limit(scenario, source)
    _check_rollout_limits(scenario, source)
    if source != "<scenario>":
        scenario._source = source
    return scenario


def _check_coverage_limit(scenario: Scenario, source: str) -> None:
    """Max coverage needs a limit: a hub count or a budget, in a rollout its own budgets count (until
    2026-12-06 a rollout with rollout.budget_per_year_eur was refused for want of objective.max_hubs or
    budget_eur, and budget_eur is refused in a rollout, so a hub limit had to be made up)."""
    obj, ro = scenario.objective, scenario.rollout
    if obj.type != "max_coverage" or obj.max_hubs is not None or obj.budget_eur is not None:
        return
    if ro.years and (ro.budget_per_year_eur or ro.budget_total_eur is not None):
        return
    if ro.years:
        raise ScenarioError(
            f"{source}: 'objective': max_coverage needs a limit; set rollout.budget_per_year_eur, "
            "rollout.budget_total_eur or objective.max_hubs."
        )
    raise ScenarioError(f"{source}: 'objective': max_coverage needs a limit; set objective.max_hubs and/or budget_eur.")


#: Single-year limits a rollout does not read, with the rollout's own keys to use instead.
_ROLLOUT_INSTEAD = {
    "budget_eur": "rollout.budget_per_year_eur (one value per year) or rollout.budget_total_eur",
    "coverage_target": "rollout.coverage_target (one value per year)",
}


def _check_rollout_limits(scenario: Scenario, source: str) -> None:
    """Refuse ``objective.budget_eur`` / ``coverage_target`` with ``rollout.years``: a rollout reads its
    own per-year limits, so these would be ignored (until 2026-12-06 a budget given there was ignored by
    the solve and then failed the verifier's budget check, after the whole solve); and
    ``rollout.coverage_target`` with max coverage, which reads none."""
    if not scenario.rollout.years:
        return
    if scenario.rollout.coverage_target is not None and scenario.objective.type != "min_cost":
        raise ScenarioError(
            f"{source}: 'rollout.coverage_target' is the share each year of a cost objective must serve, and "
            f"objective.type = '{scenario.objective.type}' does not read it; set objective.type = 'min_cost' or "
            "remove rollout.coverage_target."
        )
    for key, instead in _ROLLOUT_INSTEAD.items():
        if getattr(scenario.objective, key) is not None:
            raise ScenarioError(
                f"{source}: 'objective.{key}' applies to single-year plans and a rollout (rollout.years) does not "
                f"read it; set {instead} instead."
            )


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario TOML file, following ``extends``.

    Parameters
    ----------
    path
        The scenario file.

    Returns
    -------
    Scenario
        The validated scenario, with data paths made absolute.
    """
    path = Path(path)
    files: list[Path] = []
    raw = load_raw(path, (), files)
    scenario = scenario_from_dict(raw, source=str(path))
    scenario._files = tuple(files)  # the scenario file and its extends chain, for provenance
    return scenario
