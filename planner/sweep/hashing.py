"""What a sweep point's hash covers: the validated scenario and the contents of its data files.

A finished run is resumed only if its recorded hash equals the point's: a changed base, grid
value or data file (even under the same name) runs the point again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from planner.scenario import PATH_KEYS, Scenario

__all__ = ["path_keys", "scenario_hash"]


def path_keys() -> dict[str, tuple[str, ...]]:
    """The scenario keys that hold data file paths, per section."""
    return dict(PATH_KEYS)


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


def scenario_hash(scenario: Scenario, cache: dict[Path, str]) -> str:
    """Hash of the validated scenario JSON plus the contents of every data file it names."""
    dumped = scenario.model_dump(mode="json")
    files = {}
    for section, keys in path_keys().items():
        table = dumped.get(section) or {}
        for key in keys:
            if table.get(key):
                files[f"{section}.{key}"] = _file_digest(Path(table[key]), cache)
    text = json.dumps({"scenario": dumped, "files": files}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
