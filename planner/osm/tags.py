"""OSM tag rules: which ways and features are kept, and how tag values are parsed.

Every reader (OSM XML, PBF, osmnx download) classifies elements through the
functions of this module, so the three input paths keep exactly the same ways.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DEFAULT_HIGHWAYS",
    "POI_TAG_KEYS",
    "WAY_TAG_KEYS",
    "WayFilter",
    "classify_poi",
    "classify_way",
    "is_link_highway",
    "parse_points",
    "parse_power_kw",
    "parse_speed_kmh",
    "select_poi_tags",
    "select_way_tags",
    "way_direction",
]

DEFAULT_HIGHWAYS: tuple[str, ...] = ("motorway", "motorway_link", "trunk", "trunk_link")

#: Way tags kept from the input (everything else is discarded while streaming).
WAY_TAG_KEYS: tuple[str, ...] = (
    "highway",
    "route",
    "ref",
    "int_ref",
    "name",
    "oneway",
    "junction",
    "maxspeed",
    "maxspeed:forward",
    "maxspeed:backward",
    "maxspeed:hgv",
    "maxspeed:hgv:forward",
    "maxspeed:hgv:backward",
    "hgv",
    "toll",
    "toll:hgv",
    "access",
    "motor_vehicle",
    "area",
)

#: Tags of candidate sites kept from the input, besides every ``socket:*`` key.
POI_TAG_KEYS: tuple[str, ...] = (
    "highway",
    "amenity",
    "name",
    "brand",
    "operator",
    "hgv",
    "access",
    "capacity",
)

WayKind = Literal["road", "ferry", "join"]

_HGV_ALLOWED = frozenset({"yes", "designated", "destination", "delivery", "permissive"})
_ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
_ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
_ONEWAY_NO = frozenset({"no", "false", "0", "reversible", "alternating"})
_SPEED_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?$")
_POWER_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(kw|mw|w|kva|mva)?$")


@dataclass(frozen=True)
class WayFilter:
    """Which ways become network edges.

    Parameters
    ----------
    highway
        ``highway=*`` values that are kept as roads.
    include_ferries
        Keep ``route=ferry`` ways (they survive only where they connect kept roads).
    join_via
        ``highway=*`` values read only to join components of the kept network (kind
        ``"join"``); they become edges only on the paths that join components.
    """

    highway: tuple[str, ...] = DEFAULT_HIGHWAYS
    include_ferries: bool = True
    join_via: tuple[str, ...] = ()


def is_link_highway(highway: str) -> bool:
    """Return True for ramp types (``*_link``), which are pruned where they dangle."""
    return highway.endswith("_link")


def _hgv_forbidden(tags: Mapping[str, str]) -> bool:
    """Return True when heavy goods vehicles may not use the way."""
    hgv = tags.get("hgv")
    if hgv is not None:
        return hgv not in _HGV_ALLOWED
    motor_vehicle = tags.get("motor_vehicle")
    if motor_vehicle is not None:
        return motor_vehicle in {"no", "private"}
    return tags.get("access") in {"no", "private"}


def classify_way(tags: Mapping[str, str], way_filter: WayFilter) -> tuple[WayKind | None, str]:
    """Decide whether a way is kept.

    Parameters
    ----------
    tags
        The way's tags (any mapping with ``get`` and ``in``).
    way_filter
        The selection.

    Returns
    -------
    kind, reason
        ``kind`` is ``"road"``, ``"ferry"``, ``"join"`` (a ``join_via`` road) or None
        (dropped); ``reason`` names the drop
        reason (``non_highway_way``, ``highway_not_selected``, ``hgv_forbidden``) or is
        ``""`` for a kept way.
    """
    highway = tags.get("highway")
    if highway is None:
        if way_filter.include_ferries and tags.get("route") == "ferry":
            if _hgv_forbidden(tags):
                return None, "hgv_forbidden"
            return "ferry", ""
        return None, "non_highway_way"
    selected = highway in way_filter.highway
    if (not selected and highway not in way_filter.join_via) or tags.get("area") == "yes":
        return None, "highway_not_selected"
    if _hgv_forbidden(tags):
        return None, "hgv_forbidden"
    return ("road" if selected else "join"), ""


def way_direction(tags: Mapping[str, str]) -> int:
    """Return the direction of travel allowed on a way.

    An explicit ``oneway`` tag wins. Without it, ``highway=motorway`` and
    ``junction=roundabout/circular`` are one-way in node order (OSM convention);
    ``motorway_link`` is *not* implied one-way (the OSM wiki asks for an explicit tag).

    Returns
    -------
    int
        ``1`` one-way in node order, ``-1`` one-way against node order, ``0`` two-way.
    """
    oneway = tags.get("oneway")
    if oneway is not None:
        value = oneway.strip().lower()
        if value in _ONEWAY_FORWARD:
            return 1
        if value in _ONEWAY_BACKWARD:
            return -1
        if value in _ONEWAY_NO:
            return 0
    if tags.get("highway") == "motorway" or tags.get("junction") in {"roundabout", "circular"}:
        return 1
    return 0


def parse_speed_kmh(value: str | None) -> float | None:
    """Parse an OSM speed (``"130"``, ``"70 mph"``, ``"100;80"``) to km/h.

    Symbolic values (``none``, ``signals``, ``DE:motorway``) give None; lists give
    their minimum.
    """
    if not value:
        return None
    speeds = []
    for token in value.split(";"):
        match = _SPEED_RE.match(token.strip().lower())
        if match is None:
            continue
        number = float(match.group(1))
        unit = match.group(2)
        if unit == "mph":
            number *= 1.609344
        elif unit == "knots":
            number *= 1.852
        if number > 0:
            speeds.append(number)
    return min(speeds) if speeds else None


def parse_power_kw(value: str | None) -> float | None:
    """Parse a charging output (``"350 kW"``, ``"1 MW"``, ``"22"``) to kW; lists give the max.

    A number without a unit is read as kW (the common OSM usage).
    """
    if not value:
        return None
    powers = []
    for token in re.split(r"[;,]", value):
        match = _POWER_RE.match(token.strip().lower())
        if match is None:
            continue
        number = float(match.group(1))
        unit = match.group(2)
        if unit in {"mw", "mva"}:
            number *= 1000.0
        elif unit == "w":
            number /= 1000.0
        if number > 0:
            powers.append(number)
    return max(powers) if powers else None


def _parse_count(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None


def parse_points(tags: Mapping[str, str]) -> tuple[float | None, int | None]:
    """Return ``(power_kw, points)`` of a charging station.

    ``power_kw`` is the highest per-socket ``socket:*:output`` (or ``charging_station:output``);
    ``points`` is ``capacity`` if numeric, else the sum of numeric ``socket:<type>`` counts.
    """
    power = parse_power_kw(tags.get("charging_station:output"))
    socket_count = 0
    have_socket_count = False
    for key in sorted(tags):
        if not key.startswith("socket:"):
            continue
        parts = key.split(":")
        if len(parts) == 3 and parts[2] == "output":
            out = parse_power_kw(tags[key])
            if out is not None and (power is None or out > power):
                power = out
        elif len(parts) == 2:
            count = _parse_count(tags[key])
            if count is not None:
                socket_count += count
                have_socket_count = True
    points = _parse_count(tags.get("capacity"))
    if points is None and have_socket_count:
        points = socket_count
    if power is not None and not math.isfinite(power):
        power = None
    return power, points


def classify_poi(tags: Mapping[str, str]) -> str | None:
    """Return the site kind of a feature, or None if it is not a candidate site.

    ``existing_charger`` (``amenity=charging_station`` with ``hgv=designated/yes`` or an
    MCS socket) > ``truck_stop`` (``amenity=fuel`` + ``hgv=yes/designated``) >
    ``services`` > ``rest_area``.
    """
    amenity = tags.get("amenity")
    hgv = tags.get("hgv")
    if amenity == "charging_station" and (
        hgv in {"designated", "yes"} or any(k.startswith("socket:mcs") for k in tags)
    ):
        return "existing_charger"
    if amenity == "fuel" and hgv in {"yes", "designated"}:
        return "truck_stop"
    highway = tags.get("highway")
    if highway == "services":
        return "services"
    if highway == "rest_area":
        return "rest_area"
    return None


def select_way_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Keep only the way tags the builder uses."""
    return {k: str(tags.get(k)) for k in WAY_TAG_KEYS if k in tags}


def select_poi_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Keep only the feature tags the site extraction uses (incl. every ``socket:*``)."""
    kept = {k: str(tags.get(k)) for k in POI_TAG_KEYS if k in tags}
    for key in tags:
        if key.startswith("socket:") or key == "charging_station:output":
            kept[key] = str(tags.get(key))
    return kept
