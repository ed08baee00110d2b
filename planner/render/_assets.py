"""Access to the files vendored in ``planner/assets`` (see its README for provenance)."""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import geopandas as gpd
from shapely.geometry import box

_ASSETS = resources.files("planner") / "assets"


def asset_text(*parts: str) -> str:
    """Text of an asset file, e.g. ``asset_text("leaflet", "leaflet.css")``."""
    node = _ASSETS
    for p in parts:
        node = node / p
    return node.read_text(encoding="utf-8")


def _asset_bytes(*parts: str) -> bytes:
    node = _ASSETS
    for p in parts:
        node = node / p
    return node.read_bytes()


# Static maps project to EPSG:3035, which folds the far side of the globe: they get the
# countries cut to this generous box around Europe (far outside any European map frame).
STATIC_BBOX = (-45.0, 15.0, 80.0, 85.0)


@lru_cache(maxsize=1)
def countries_geojson() -> dict[str, Any]:
    """Natural Earth 1:50m country outlines of the whole world (no cut), as a GeoJSON dict."""
    return json.loads(asset_text("world_countries.geojson"))


@lru_cache(maxsize=1)
def _static_countries() -> gpd.GeoDataFrame:
    world = gpd.GeoDataFrame.from_features(countries_geojson()["features"], crs="EPSG:4326")
    cut = world.clip(box(*STATIC_BBOX))
    return cut[~cut.geometry.is_empty].sort_values("name", kind="stable").reset_index(drop=True)


def countries() -> gpd.GeoDataFrame:
    """Country outlines around Europe (EPSG:4326) for static maps (a fresh copy each call)."""
    return _static_countries().copy()


@lru_cache(maxsize=1)
def markercluster_js() -> str:
    """Leaflet.markercluster 1.5.3 minified JS, without its source-map comment."""
    js = asset_text("markercluster", "leaflet.markercluster.js")
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
    return js.replace("</script", "<\\/script")


def markercluster_css() -> str:
    """Leaflet.markercluster 1.5.3 base CSS (animations; the cluster icons are the planner's own)."""
    return asset_text("markercluster", "MarkerCluster.css")


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Leaflet 1.9.4 minified JS, without its source-map comment."""
    js = asset_text("leaflet", "leaflet.js")
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
    return js.replace("</script", "<\\/script")


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet 1.9.4 CSS with its ``images/*.png`` turned into data URIs."""
    css = asset_text("leaflet", "leaflet.css")

    def inline(m: re.Match[str]) -> str:
        data = base64.b64encode(_asset_bytes("leaflet", "images", m.group(1))).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)


def app_js() -> str:
    """The planner's own map script (``planner_map.js``), safe inside ``<script>``."""
    return asset_text("planner_map.js").replace("</script", "<\\/script")
