"""Build cache: a finished GeoPackage and its report stored under a content key.

The key hashes the input file (SHA-256), the build parameters, the osmnx version and
the builder version, so any change that could alter the output misses the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import osmnx as ox

from planner.osm.report import BuildReport

__all__ = ["cache_key", "hash_file", "load_cached", "store_cached"]


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
    key_text = json.dumps(
        {"sha256": file_hash, "osmnx": ox.__version__, **parameters}, sort_keys=True
    )
    return hashlib.sha256(key_text.encode()).hexdigest()[:32]


def load_cached(cache_dir: Path, key: str, out_path: Path) -> BuildReport | None:
    """Copy the cached network to ``out_path`` and return its report (None on a miss)."""
    cache_gpkg = cache_dir / f"{key}.gpkg"
    cache_json = cache_dir / f"{key}.json"
    if not (cache_gpkg.is_file() and cache_json.is_file()):
        return None
    try:
        cached = BuildReport.from_dict(json.loads(cache_json.read_text()))
    except (ValueError, TypeError):
        return None
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.partial.gpkg")
    shutil.copyfile(cache_gpkg, tmp)
    os.replace(tmp, out_path)
    return cached


def store_cached(cache_dir: Path, key: str, out_path: Path, report: BuildReport) -> None:
    """Store the built network and its report under ``key``."""
    cache_gpkg = cache_dir / f"{key}.gpkg"
    cache_json = cache_dir / f"{key}.json"
    cache_gpkg.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_gpkg.with_name(f".{cache_gpkg.stem}.{os.getpid()}.partial.gpkg")
    shutil.copyfile(out_path, tmp)
    os.replace(tmp, cache_gpkg)
    cache_json.write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True))
