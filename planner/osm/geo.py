"""Geodesy shared by the OSM builder: the WGS84 ellipsoid and cached CRS transformers."""

from __future__ import annotations

import functools

from pyproj import Geod, Transformer

__all__ = ["GEOD", "PROJECTED_CRS", "get_transformer"]

#: Ellipsoid for way lengths (geodesic, summed per OSM segment).
GEOD = Geod(ellps="WGS84")

#: Metric CRS for clustering and side-of-road tests (ETRS89-LAEA, equal-area Europe).
PROJECTED_CRS = "EPSG:3035"


@functools.lru_cache(maxsize=4)
def get_transformer(source: str, target: str) -> Transformer:
    """Return a cached lon/lat-ordered transformer (creating one costs ~0.1 s)."""
    return Transformer.from_crs(source, target, always_xy=True)
