"""Access to the files vendored in ``planner/assets`` (see its README for provenance)."""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import geopandas as gpd

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


@lru_cache(maxsize=1)
def countries_geojson() -> dict[str, Any]:
    """Natural Earth 1:50m country outlines clipped to Europe, as a GeoJSON dict."""
    return json.loads(asset_text("europe_countries.geojson"))


def countries() -> gpd.GeoDataFrame:
    """Country outlines as a GeoDataFrame in EPSG:4326 (a fresh copy each call)."""
    return gpd.GeoDataFrame.from_features(countries_geojson()["features"], crs="EPSG:4326")


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
