"""Rebuild ``world_countries.geojson`` from Natural Earth 1:50m admin-0 countries.

Not imported by ``planner``; kept next to the asset it produces so the asset can be
reproduced. Input is ``countries-50m.json`` from the npm package ``world-atlas@2.0.2``
(Natural Earth 4.1.0 as TopoJSON)::

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python planner/assets/build_countries.py /tmp/package/countries-50m.json

Steps: decode TopoJSON arcs; split the polygons that cross the antimeridian; keep **every**
country except Antarctica (no clipping, so no map ever shows a cut coastline): countries
reaching into the Europe box ``DETAIL_BBOX`` simplified with ``TOLERANCE_DEG``, the rest of the
world with ``WORLD_TOLERANCE_DEG`` (topology not preserved across borders, invisible at map
scale); coordinates rounded to 3 decimals; ISO 3166-1 alpha-2/alpha-3 codes added.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from shapely.affinity import translate
from shapely.geometry import Polygon, box, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import make_valid

DETAIL_BBOX = (-32.0, 26.0, 60.0, 82.0)
TOLERANCE_DEG = 0.02
WORLD_TOLERANCE_DEG = 0.2
MIN_AREA_DEG2 = 1e-4
WORLD_MIN_AREA_DEG2 = 0.05
DROPPED = {"Antarctica"}  # never near a European map; its polygon wraps the pole
OUT = Path(__file__).with_name("world_countries.geojson")

# ISO 3166-1 numeric -> (alpha-2, alpha-3) for the countries around Europe (labels on the static map).
ISO: dict[str, tuple[str, str]] = {
    "008": ("AL", "ALB"),
    "012": ("DZ", "DZA"),
    "020": ("AD", "AND"),
    "031": ("AZ", "AZE"),
    "040": ("AT", "AUT"),
    "056": ("BE", "BEL"),
    "070": ("BA", "BIH"),
    "100": ("BG", "BGR"),
    "112": ("BY", "BLR"),
    "191": ("HR", "HRV"),
    "196": ("CY", "CYP"),
    "203": ("CZ", "CZE"),
    "208": ("DK", "DNK"),
    "233": ("EE", "EST"),
    "234": ("FO", "FRO"),
    "246": ("FI", "FIN"),
    "248": ("AX", "ALA"),
    "250": ("FR", "FRA"),
    "268": ("GE", "GEO"),
    "276": ("DE", "DEU"),
    "292": ("GI", "GIB"),
    "300": ("GR", "GRC"),
    "348": ("HU", "HUN"),
    "352": ("IS", "ISL"),
    "372": ("IE", "IRL"),
    "376": ("IL", "ISR"),
    "380": ("IT", "ITA"),
    "368": ("IQ", "IRQ"),
    "364": ("IR", "IRN"),
    "400": ("JO", "JOR"),
    "422": ("LB", "LBN"),
    "428": ("LV", "LVA"),
    "434": ("LY", "LBY"),
    "438": ("LI", "LIE"),
    "440": ("LT", "LTU"),
    "442": ("LU", "LUX"),
    "470": ("MT", "MLT"),
    "492": ("MC", "MCO"),
    "498": ("MD", "MDA"),
    "499": ("ME", "MNE"),
    "504": ("MA", "MAR"),
    "528": ("NL", "NLD"),
    "578": ("NO", "NOR"),
    "616": ("PL", "POL"),
    "620": ("PT", "PRT"),
    "642": ("RO", "ROU"),
    "643": ("RU", "RUS"),
    "674": ("SM", "SMR"),
    "688": ("RS", "SRB"),
    "703": ("SK", "SVK"),
    "705": ("SI", "SVN"),
    "724": ("ES", "ESP"),
    "752": ("SE", "SWE"),
    "756": ("CH", "CHE"),
    "760": ("SY", "SYR"),
    "788": ("TN", "TUN"),
    "792": ("TR", "TUR"),
    "804": ("UA", "UKR"),
    "807": ("MK", "MKD"),
    "818": ("EG", "EGY"),
    "826": ("GB", "GBR"),
    "831": ("GG", "GGY"),
    "832": ("JE", "JEY"),
    "833": ("IM", "IMN"),
    "051": ("AM", "ARM"),
    "398": ("KZ", "KAZ"),
    "336": ("VA", "VAT"),
    "304": ("GL", "GRL"),
    "275": ("PS", "PSE"),
}
# Entities without an ISO numeric id in Natural Earth.
BY_NAME: dict[str, tuple[str, str]] = {"Kosovo": ("XK", "XKX"), "N. Cyprus": ("", "")}


def _decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def _ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for i in indices:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(a if not pts else a[1:])
    return pts


def _unwrap(poly: Polygon) -> BaseGeometry:
    """A polygon whose rings jump across the antimeridian (Russia's Chukotka, Fiji), split at ±180°."""
    x0, _, x1, _ = poly.bounds
    if x1 - x0 <= 180:
        return poly
    east = affinity_shift(poly)
    west = box(-180, -90, 180, 90)
    return unary_union([east.intersection(west), translate(east.intersection(box(180, -90, 540, 90)), -360)])


def affinity_shift(poly: Polygon) -> BaseGeometry:
    """Western-hemisphere vertices moved by +360° so the polygon is continuous."""

    def shift(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x + 360 if x < 0 else x, y) for x, y in coords]

    return make_valid(Polygon(shift(list(poly.exterior.coords)), [shift(list(r.coords)) for r in poly.interiors]))


def _geometry(geom: dict, arcs: list[list[tuple[float, float]]]) -> BaseGeometry:
    polys = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
    out = []
    for rings in polys:
        coords = [_ring(r, arcs) for r in rings]
        out.append(_unwrap(Polygon(coords[0], coords[1:])))
    return unary_union(out) if len(out) > 1 else out[0]


def _round(obj: object) -> object:
    if isinstance(obj, float):
        return round(obj, 3)
    if isinstance(obj, list | tuple):
        return [_round(o) for o in obj]
    return obj


def _simplified(geom: BaseGeometry, tolerance: float, min_area: float) -> BaseGeometry:
    """``geom`` simplified, without the polygons smaller than ``min_area`` (deg²)."""
    geom = make_valid(geom).simplify(tolerance, preserve_topology=True)
    polys = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and g.area >= min_area]
    return unary_union(polys) if polys else Polygon()


def country_geometry(geom: BaseGeometry) -> BaseGeometry:
    """Detailed for a country reaching into the Europe box, coarse for the rest of the world.

    One tolerance per country, so no seam runs through a country.
    """
    if geom.intersects(box(*DETAIL_BBOX)):
        return _simplified(geom, TOLERANCE_DEG, MIN_AREA_DEG2)
    return _simplified(geom, WORLD_TOLERANCE_DEG, WORLD_MIN_AREA_DEG2)


def build(src: Path, out: Path = OUT) -> int:
    """Write the GeoJSON; return the number of features."""
    topo = json.loads(src.read_text())
    arcs = _decode_arcs(topo)
    features = []
    for g in topo["objects"]["countries"]["geometries"]:
        name = g["properties"]["name"]
        if "arcs" not in g or name in DROPPED:  # a few tiny entities carry no geometry
            continue
        geom = country_geometry(_geometry(g, arcs))
        if geom.is_empty:
            continue
        a2, a3 = ISO.get(g.get("id", ""), BY_NAME.get(name, ("", "")))
        gj = mapping(geom)
        gj = {"type": gj["type"], "coordinates": _round(gj["coordinates"])}
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name, "iso_a2": a2, "iso_a3": a3},
                "geometry": gj,
            }
        )
    features.sort(key=lambda f: f["properties"]["name"])
    fc = {
        "type": "FeatureCollection",
        "name": "europe_countries",
        "source": "Natural Earth 1:50m admin-0 countries v4.1.0 (public domain), "
        "via npm world-atlas@2.0.2; whole world without Antarctica, simplified (0.02 deg for "
        "countries reaching into lon -32..60 / lat 26..82, 0.2 deg elsewhere), rounded",
        "features": features,
    }
    out.write_text(json.dumps(fc, separators=(",", ":"), ensure_ascii=False) + "\n")
    return len(features)


if __name__ == "__main__":
    print(build(Path(sys.argv[1])), "features ->", OUT)
