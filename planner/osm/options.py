"""Build parameters: validation and the input source (file, bbox or place)."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planner.osm.errors import OSMBuildError

__all__ = ["build_parameters", "resolve_source", "validate_options"]


def resolve_source(source: str | Path) -> tuple[str, Any]:
    """Return ``("file", Path)``, ``("bbox", (w, s, e, n))`` or ``("place", name)``."""
    if isinstance(source, Path):
        return "file", source
    text = str(source).strip()
    if text.startswith("bbox:"):
        try:
            west, south, east, north = (float(x) for x in text[5:].split(","))
        except ValueError as exc:
            raise OSMBuildError(f"bbox source must be 'bbox:west,south,east,north' in degrees, got {text!r}") from exc
        if not (west < east and south < north):
            raise OSMBuildError(f"bbox must have west < east and south < north: {text!r}")
        return "bbox", (west, south, east, north)
    if text.startswith("place:"):
        return "place", text[6:].strip()
    path = Path(text)
    if path.exists():
        return "file", path
    if re.search(r"\.(osm|pbf|gz|bz2|xz|xml)$", text, re.IGNORECASE) or os.sep in text:
        raise OSMBuildError(f"OSM input file not found: {text}")
    return "place", text


def validate_options(
    highway: tuple[str, ...],
    consolidate_tolerance_m: float,
    drive_side: str,
    snap_radius_m: float,
    min_fragment_km: float | None,
    join_via: tuple[str, ...] = (),
    *,
    names: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`OSMBuildError` naming the first invalid parameter.

    ``names`` maps parameter names to the caller's (``planner network build`` passes its options,
    e.g. ``{"consolidate_tolerance_m": "--tolerance-m"}``); unmapped parameters keep their own name.
    """

    def name(parameter: str) -> str:
        return (names or {}).get(parameter, parameter)

    if isinstance(highway, str) or not highway or not all(isinstance(h, str) for h in highway):
        raise OSMBuildError(f"{name('highway')}: give at least one highway=* value (e.g. motorway,trunk).")
    if not math.isfinite(consolidate_tolerance_m) or consolidate_tolerance_m < 0:
        raise OSMBuildError(
            f"{name('consolidate_tolerance_m')} {consolidate_tolerance_m:g}: give a number of metres ≥ 0 (0 disables)."
        )
    if drive_side not in {"auto", "right", "left"}:
        raise OSMBuildError(f"{name('drive_side')} {drive_side!r}: use 'auto', 'right' or 'left'.")
    if not math.isfinite(snap_radius_m) or snap_radius_m <= 0:
        raise OSMBuildError(f"{name('snap_radius_m')} {snap_radius_m:g}: give a number of metres > 0.")
    if min_fragment_km is not None and (not math.isfinite(min_fragment_km) or min_fragment_km < 0):
        raise OSMBuildError(f"min_fragment_km must be None or >= 0, got {min_fragment_km}")
    if isinstance(join_via, str) or not all(isinstance(h, str) and h for h in join_via):
        raise OSMBuildError(f"{name('join_via')} must be a list of highway=* values, got {join_via!r}")
    if min_fragment_km is not None and not join_via:
        raise OSMBuildError(
            "min_fragment_km only applies with join_via: the planner's loader needs one "
            "connected network, so other components are kept only when joined; give join_via "
            "(e.g. ('primary', 'secondary'))"
        )


def build_parameters(
    highway: tuple[str, ...],
    consolidate_tolerance_m: float,
    drive_side: str,
    snap_radius_m: float,
    include_ferries: bool,
    join_via: tuple[str, ...],
    min_fragment_km: float | None,
    build_version: str,
) -> dict[str, Any]:
    """Validate the build options and return them as the JSON-able ``parameters`` dict.

    The dict goes into the report, the cache key and the output's marker.
    """
    validate_options(highway, consolidate_tolerance_m, drive_side, snap_radius_m, min_fragment_km, join_via)
    return {
        "highway": list(highway),
        "consolidate_tolerance_m": float(consolidate_tolerance_m),
        "drive_side": drive_side,
        "snap_radius_m": float(snap_radius_m),
        "include_ferries": bool(include_ferries),
        "join_via": list(join_via),
        "min_fragment_km": min_fragment_km,
        "build_version": build_version,
    }
