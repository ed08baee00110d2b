"""Names of sweep points: readable slugs of the overrides, hashed when too long or clashing."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from planner.errors import ScenarioError

__all__ = ["NAME_RE", "fmt_value", "point_names", "short_hash", "slug_value"]

NAME_MAX = 100  # Scenario.name max_length
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def fmt_value(value: Any) -> str:
    """A value as it reads in messages and descriptions (TOML-like)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | list | dict) or value is None:
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def short_hash(value: Any, n: int = 8) -> str:
    """The first ``n`` hex digits of the SHA-256 of ``value`` as sorted JSON."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:n]


def slug_value(value: Any) -> str:
    """A value as it reads in a point name (letters, digits, '.', '_')."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return re.sub(r"[^A-Za-z0-9.]+", "_", value).strip("_") or "empty"
    if isinstance(value, list | tuple):
        return ".".join(slug_value(v) for v in value) or "empty"
    return "h" + short_hash(value)


def _point_name(prefix: str, parts: Sequence[str], overrides: Sequence[tuple[str, Any]], force_hash: bool) -> str:
    name = "-".join([prefix, *parts])
    if force_hash or len(name) > NAME_MAX:
        tag = "-h" + short_hash([list(o) for o in overrides], 10)
        name = name[: NAME_MAX - len(tag)].rstrip("._-") + tag
    return name


def point_names(
    prefix: str, specs: Sequence[tuple[Sequence[str], Sequence[tuple[str, Any]]]], source: str
) -> list[str]:
    """One unique run name per point: ``<prefix>-<parts>``, with a hash of the overrides when too
    long or when two names differ only in case (case-insensitive file systems).

    Parameters
    ----------
    prefix
        The sweep name.
    specs
        Per point, the readable name parts and the overrides.
    source
        The sweep file, used in messages.
    """
    names = [_point_name(prefix, parts, ov, False) for parts, ov in specs]
    folded = [n.lower() for n in names]
    clashes = {n for n in folded if folded.count(n) > 1}
    names = [
        _point_name(prefix, parts, ov, True) if n.lower() in clashes else n
        for n, (parts, ov) in zip(names, specs, strict=True)
    ]
    if len({n.lower() for n in names}) != len(names):  # pragma: no cover - needs a SHA-256 prefix collision
        raise ScenarioError(f"{source}: two points got the same run name; rename the grid values.")
    return names
