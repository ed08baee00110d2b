"""Which side of the road traffic drives on, detected from where an extract lies.

In Europe traffic drives on the left in the United Kingdom, Ireland, the Isle of Man,
the Channel Islands (Jersey, Guernsey), Malta and Cyprus, and on the right everywhere
else (Gibraltar drives on the right). ``detect_drive_side`` says ``"left"`` when most of
the extract's road nodes lie inside the areas below, else ``"right"``.

Areas (assumptions, coarse on purpose)
--------------------------------------
* Great Britain, the island of Ireland (Ireland and Northern Ireland) and Cyprus (with
  the north): Natural Earth 1:110m Admin 0 countries (public domain; the copy shipped in
  pyogrio 0.13.0's test fixtures, ``naturalearth_lowres``), buffered (round joins) so
  that coastal nodes lost by the coarse coastline still count, simplified to 0.03° and
  rounded to 0.01°. Buffers: Great Britain 0.15° (about 10-17 km: the Dover Strait, about
  33 km, keeps France outside), Ireland 0.4° and Cyprus 0.2° (no right-hand-traffic
  coast within 60 km).
* Isle of Man, Jersey, Guernsey (with Alderney and Sark), Malta (with Gozo), the Outer
  Hebrides, Orkney, Shetland and the Isles of Scilly: missing from the 1:110m data; hand-written boxes around each,
  at least 10 km from any right-hand-traffic coast.

An extract straddling both (e.g. the Channel Tunnel ends) gets the side of the majority
of its nodes; the build report says which was used, and ``drive_side="left"|"right"``
overrides the detection.
"""

from __future__ import annotations

import functools

import numpy as np
import shapely

__all__ = ["LEFT_HAND_AREAS", "detect_drive_side", "left_hand_area"]

# fmt: off
#: Rings (lon, lat) of the areas with left-hand traffic (see the module docstring).
LEFT_HAND_AREAS: dict[str, tuple[tuple[float, float], ...]] = {
    "Great Britain": (
        (-4.29, 51.37), (-5.0, 51.44), (-5.11, 51.51), (-5.39, 51.9), (-5.41, 52.04),
        (-5.31, 52.14), (-4.51, 52.37), (-4.88, 52.73), (-4.91, 52.88), (-4.72, 53.54),
        (-4.67, 53.62), (-4.57, 53.64), (-3.21, 53.56), (-3.11, 53.94), (-3.7, 54.47),
        (-4.87, 54.64), (-4.96, 54.69), (-5.23, 55.06), (-4.93, 55.49), (-5.05, 55.59),
        (-5.49, 55.2), (-5.59, 55.16), (-5.69, 55.2), (-5.74, 55.3), (-5.79, 56.21),
        (-6.26, 56.68), (-6.29, 56.83), (-5.9, 57.92), (-5.12, 58.73), (-5.0, 58.78),
        (-4.21, 58.7), (-3.02, 58.78), (-2.9, 58.75), (-2.86, 58.64), (-2.9, 58.53),
        (-3.66, 57.76), (-3.05, 57.84), (-1.96, 57.83), (-1.84, 57.77), (-1.82, 57.64),
        (-2.11, 56.76), (-2.78, 56.1), (-2.08, 56.06), (-1.97, 56.0), (-1.03, 54.76),
        (-0.4, 54.61), (-0.3, 54.54), (0.31, 53.4), (0.56, 53.07), (1.7, 52.89),
        (1.8, 52.83), (1.83, 52.71), (1.71, 52.07), (1.63, 51.97), (1.27, 51.76),
        (1.57, 51.38), (1.6, 51.26), (1.53, 51.16), (0.55, 50.62), (-0.78, 50.62),
        (-2.47, 50.35), (-2.94, 50.53), (-3.53, 50.11), (-3.64, 50.08), (-4.51, 50.19),
        (-5.17, 49.83), (-5.3, 49.82), (-5.83, 50.02), (-5.91, 50.09), (-5.92, 50.19),
        (-5.86, 50.28), (-4.29, 51.37),
    ),
    "Ireland": (
        (-5.64, 53.24), (-5.73, 52.89), (-6.48, 52.0), (-6.66, 51.88), (-8.44, 51.29),
        (-8.6, 51.27), (-10.02, 51.42), (-10.27, 51.55), (-10.38, 51.8), (-10.29, 52.07),
        (-9.64, 52.91), (-10.04, 53.7), (-10.07, 53.99), (-9.89, 54.23), (-7.78, 55.47),
        (-7.59, 55.53), (-6.75, 55.57), (-6.53, 55.52), (-5.46, 54.9), (-5.27, 54.63),
        (-5.35, 54.31), (-5.77, 53.77), (-5.64, 53.24),
    ),
    "Cyprus": (
        (32.68, 35.34), (32.78, 35.49), (32.95, 35.59), (33.64, 35.57), (34.51, 35.86),
        (34.66, 35.86), (34.76, 35.76), (34.77, 35.62), (34.68, 35.5), (34.15, 35.16),
        (34.19, 34.9), (34.08, 34.79), (33.05, 34.39), (32.93, 34.38), (32.44, 34.51),
        (32.32, 34.6), (32.08, 35.0), (32.06, 35.13), (32.12, 35.25), (32.24, 35.3),
        (32.68, 35.34),
    ),
    "Isle of Man": ((-4.83, 54.04), (-4.3, 54.04), (-4.3, 54.42), (-4.83, 54.42)),
    "Jersey": ((-2.26, 49.16), (-2.0, 49.16), (-2.0, 49.27), (-2.26, 49.27)),
    "Guernsey": ((-2.7, 49.4), (-2.15, 49.4), (-2.15, 49.75), (-2.7, 49.75)),
    "Malta": ((14.17, 35.78), (14.58, 35.78), (14.58, 36.09), (14.17, 36.09)),
    "Outer Hebrides": ((-7.75, 56.75), (-6.1, 56.75), (-6.1, 58.6), (-7.75, 58.6)),
    "Shetland": ((-1.8, 59.8), (-0.7, 59.8), (-0.7, 60.9), (-1.8, 60.9)),
    "Orkney": ((-3.45, 58.65), (-2.35, 58.65), (-2.35, 59.4), (-3.45, 59.4)),
    "Isles of Scilly": ((-6.5, 49.85), (-6.1, 49.85), (-6.1, 50.0), (-6.5, 50.0)),
}
# fmt: on

#: Most nodes tested (evenly spaced in id order): enough for a majority, fast on a country.
_SAMPLE = 100_000


@functools.lru_cache(maxsize=1)
def left_hand_area() -> shapely.MultiPolygon:
    """The union of :data:`LEFT_HAND_AREAS` (prepared for fast point tests)."""
    area = shapely.MultiPolygon([shapely.Polygon(ring) for ring in LEFT_HAND_AREAS.values()])
    shapely.prepare(area)
    return area


def detect_drive_side(coords: dict[int, tuple[float, float]]) -> str:
    """``"left"`` if most of the given node locations lie in a left-hand-traffic area.

    Parameters
    ----------
    coords
        ``node id -> (lon, lat)``; at most 100,000 of them, evenly spaced by id, are tested.
    """
    if not coords:
        return "right"
    ids = sorted(coords)
    step = max(len(ids) // _SAMPLE, 1)
    xy = np.array([coords[i] for i in ids[::step]], dtype=np.float64)
    inside = shapely.contains_xy(left_hand_area(), xy[:, 0], xy[:, 1])
    return "left" if 2 * int(inside.sum()) > len(xy) else "right"
