"""Build cache: a finished GeoPackage and its report stored under a content key.

The key hashes the input file (SHA-256), the build parameters, the osmnx version and
the builder version, so any change that could alter the output misses the cache. The
cache folder carries a marker (:data:`CACHE_MARKER`); a folder without it that holds
other files is not used (the build goes on without the cache and says so).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import osmnx as ox

from planner.osm.outfile import is_planner_gpkg, staged_file
from planner.osm.report import BuildReport

__all__ = ["CACHE_MARKER", "cache_key", "cache_problem", "hash_file", "load_cached", "store_cached"]


def hash_file(path: Path, progress: Callable[[str, float], None]) -> str:
    """SHA-256 of ``path`` (reported as stage ``hash``)."""
    digest = hashlib.sha256()
    total = max(path.stat().st_size, 1)
    done = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
            done += len(chunk)
            progress("hash", done / total)
    return digest.hexdigest()


def cache_key(file_hash: str, parameters: dict[str, Any]) -> str:
    """32 hex digits naming one input file built with one set of parameters."""
    key_text = json.dumps({"sha256": file_hash, "osmnx": ox.__version__, **parameters}, sort_keys=True)
    return hashlib.sha256(key_text.encode()).hexdigest()[:32]


#: File marking a folder as a planner OSM build cache.
CACHE_MARKER = ".planner-osm-cache.json"
#: Names of cache entries (caches written before the marker hold only these).
_LEGACY_NAME = re.compile(r"[0-9a-f]{32}\.(gpkg|json)")


def cache_problem(cache_dir: Path) -> str | None:
    """None if the build may use ``cache_dir`` (creating and marking it), else why not.

    The cache writes only into a folder that is absent, empty, marked as a planner cache or
    holding only cache entries (``<key>.gpkg``/``<key>.json``, a cache written before the
    marker existed), and only files named by a cache key, so it never replaces or deletes
    a foreign file.
    """
    marker = cache_dir / CACHE_MARKER
    try:
        if cache_dir.exists() and not cache_dir.is_dir():
            return f"{cache_dir} is a file, not a folder"
        if cache_dir.is_dir() and not marker.is_file():
            foreign = sorted(p.name for p in cache_dir.iterdir() if not _LEGACY_NAME.fullmatch(p.name))
            if foreign:
                return f"{cache_dir} holds files the planner did not write ({foreign[0]!r})"
        cache_dir.mkdir(parents=True, exist_ok=True)
        if not marker.is_file():
            marker.write_text(json.dumps({"written_by": "planner", "kind": "osm-build-cache"}) + "\n")
    except OSError as exc:
        return f"{cache_dir} cannot be written ({exc.strerror or exc})"
    return None


def load_cached(cache_dir: Path, key: str, out_path: Path) -> BuildReport | None:
    """Copy the cached network to ``out_path`` (safely) and return its report (None: miss)."""
    cache_gpkg = cache_dir / f"{key}.gpkg"
    cache_json = cache_dir / f"{key}.json"
    if not (cache_gpkg.is_file() and cache_json.is_file() and is_planner_gpkg(cache_gpkg)):
        return None
    try:
        cached = BuildReport.from_dict(json.loads(cache_json.read_text()))
    except (ValueError, TypeError, OSError):
        return None
    with staged_file(out_path) as tmp:
        shutil.copyfile(cache_gpkg, tmp)
    return cached


def store_cached(cache_dir: Path, key: str, out_path: Path, report: BuildReport) -> None:
    """Store the built network and its report under ``key`` (best effort: errors skip it)."""
    cache_gpkg = cache_dir / f"{key}.gpkg"
    cache_json = cache_dir / f"{key}.json"
    tmp = cache_dir / f".{key}.{os.getpid()}.partial"
    try:
        shutil.copyfile(out_path, tmp)
        os.replace(tmp, cache_gpkg)
        tmp.write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True))
        os.replace(tmp, cache_json)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
