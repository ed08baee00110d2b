"""Calibrate the gravity model (planner.gravity) to European road-freight statistics.

Runs offline on the shipped ``nodes.csv``, ``edges.csv`` and ``zones.csv`` and prints every figure
used; writes ``data/europe/gravity_params.json``.

1. Distance decay: the power-law exponent ``beta`` is fitted so that the model's split of
   tonne-km (proportional to truck-km) over the Eurostat distance classes >= 300 km matches the
   published split, using EU-27-internal node pairs only (Eurostat covers EU-27 hauliers).  An
   exponential decay is fitted too, for comparison only.
2. Volume: ``total_trucks_per_day`` (sum of volumes over all ordered pairs >= 200 km, see
   planner.gravity) is set so that the model's EU-27-internal truck-km/day on trips >= 300 km
   equals  tkm_EU x share(>= 300 km) / average load / (1 - empty share) / 365.
3. Sanity check: flows are routed on shortest paths and the annual heavy-truck counts through the
   Brenner and Gotthard crossings are compared with published counts.

Usage: python data/europe/derive/calibrate.py
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import networkx as nx
import numpy as np

HERE = Path(__file__).resolve().parent
EUROPE = HERE.parent
sys.path.insert(0, str(EUROPE.parent.parent))  # repository root, for `import planner`

from planner.gravity import gravity_flows, load_zones  # noqa: E402

EU27 = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"}
EU27 |= {"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}

# ---- published statistics (sources in data/README.md) --------------------------------------
TKM_EU_PER_YEAR = 1868.7e9  # Eurostat road_go_ta_tott, EU-27 hauliers, 2024 (1 868.7 bn tkm)
EMPTY_VKM_SHARE = 0.216  # Eurostat, 2024: 21.6 % of road-freight vehicle-km run empty
# ASSUMPTION (recalled, Eurostat road_go_ta_dc, EU-27, approx. +-5 percentage points):
# tkm shares of the distance classes >= 300 km (together ~58 % of all tkm)
TKM_SHARE_BY_CLASS = {(300, 500): 0.18, (500, 1000): 0.24, (1000, 2000): 0.12, (2000, 1e9): 0.04}
# ASSUMPTION: average load of a laden heavy truck on journeys >= 300 km (t); Eurostat average
# loads are roughly 13-16 t depending on operation type (recalled, not re-checked offline)
AVERAGE_LOAD_T = 15.0
MIN_TRIP_KM = 200.0
# published heavy-goods-vehicle crossings per year (both directions), for the sanity check
ALPINE_COUNTS = {
    "AT-IT-B-BRENNER": (2.5e6, "project brief; Tyrol counts of recent years, recalled"),
    "CH-B-GOTTHARD": (
        0.9e6,
        "project brief; recalled Swiss figures: ~0.9 M/yr for ALL Swiss "
        "Alpine crossings, of which Gotthard roughly 2/3",
    ),
    "FR-IT-B-FREJUS": (0.75e6, "ASSUMPTION: recalled order of magnitude, +-30 %"),
    "FR-IT-B-MONT-BLANC": (0.6e6, "ASSUMPTION: recalled order of magnitude, +-30 %"),
}
SWISS_TUNNEL_EDGES = [("CH-J-LUZERN", "CH-B-GOTTHARD"), ("CH-J-CHUR", "CH-B-SAN-BERNARDINO")]
SWISS_PENALTIES_KM = (0, 150, 300, 450)
CANDIDATE_MAX_FLOWS = (2000, 3000, 4000, 5000)


def load_graph() -> tuple[nx.Graph, dict[str, str]]:
    with open(EUROPE / "nodes.csv", encoding="utf-8") as fh:
        country = {r["id"]: r["country"] for r in csv.DictReader(fh)}
    g = nx.Graph()
    with open(EUROPE / "edges.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            g.add_edge(r["u"], r["v"], length_km=float(r["length_km"]), mode=r["mode"])
    return g, country


def class_shares(dist: np.ndarray, vol: np.ndarray) -> np.ndarray:
    tkm = vol * dist
    out = np.array([tkm[(dist >= lo) & (dist < hi)].sum() for lo, hi in TKM_SHARE_BY_CLASS])
    return out / out.sum()


def fit(dist: np.ndarray, mass: np.ndarray, form: str) -> tuple[float, float]:
    """Grid-search the decay parameter; returns (parameter, RMS error of class shares)."""
    target = np.array(list(TKM_SHARE_BY_CLASS.values()))
    target = target / target.sum()
    grid = np.arange(0.5, 4.001, 0.01) if form == "power" else np.arange(100, 3001, 5.0)
    best = (np.nan, np.inf)
    for p in grid:
        f = dist ** (-p) if form == "power" else np.exp(-dist / p)
        err = float(np.sqrt(np.mean((class_shares(dist, mass * f) - target) ** 2)))
        if err < best[1]:
            best = (float(p), err)
    return best


def crossing_counts(g: nx.Graph, flows, nodes: list[str], penalty_km: float) -> dict[str, float]:
    """Trucks/day (both directions) whose shortest route passes ``nodes``."""
    h = g.copy()
    for u, v in SWISS_TUNNEL_EDGES:
        h.edges[u, v]["length_km"] += penalty_km
    counts = dict.fromkeys(nodes, 0.0)
    for origin, grp in flows.groupby("origin", sort=True):
        paths = nx.single_source_dijkstra_path(h, origin, weight="length_km")
        for dest, vol in zip(grp["destination"], grp["volume"], strict=True):
            on_path = set(paths[dest])
            for node in counts:
                if node in on_path:
                    counts[node] += vol
    return counts


def main() -> int:
    g, country = load_graph()
    zones = load_zones(EUROPE / "zones.csv")

    # all pairs >= 300 km with decay 0: gives distances and mass products
    base = gravity_flows(g, zones, total_trucks_per_day=1.0, distance_decay=0.0, min_trip_km=300.0)
    eu = base["origin"].map(country).isin(EU27) & base["destination"].map(country).isin(EU27)
    base_eu = base[eu]
    dist = base_eu["distance_km"].to_numpy()
    mass = base_eu["volume"].to_numpy()  # proportional to W_i W_j

    beta, err_p = fit(dist, mass, "power")
    scale, err_e = fit(dist, mass, "exponential")
    target = np.array(list(TKM_SHARE_BY_CLASS.values()))
    target = target / target.sum()
    print("1. distance decay (EU-27-internal pairs, tkm split of the classes >= 300 km)")
    labels = [f"{lo}-{hi if hi < 1e8 else 'inf'}" for lo, hi in TKM_SHARE_BY_CLASS]
    print("   classes (km)        :", labels)
    print("   Eurostat (assumed)  :", np.round(target, 3).tolist())
    print(
        f"   power  d^-beta      : beta = {beta:.2f}  (RMS error {err_p:.3f})  ->",
        np.round(class_shares(dist, mass * dist ** (-beta)), 3).tolist(),
    )
    print(
        f"   exponential e^-d/L  : L = {scale:.0f} km (RMS error {err_e:.3f})  ->",
        np.round(class_shares(dist, mass * np.exp(-dist / scale)), 3).tolist(),
    )
    print("   -> power law retained (single scale-free parameter, fit comparable or better)")

    s300 = sum(TKM_SHARE_BY_CLASS.values())
    target_vkm_day = TKM_EU_PER_YEAR * s300 / AVERAGE_LOAD_T / (1 - EMPTY_VKM_SHARE) / 365
    unit = gravity_flows(
        g, zones, total_trucks_per_day=1.0, distance_decay=beta, min_trip_km=MIN_TRIP_KM
    )
    eu_u = unit["origin"].map(country).isin(EU27) & unit["destination"].map(country).isin(EU27)
    long_u = eu_u & (unit["distance_km"] >= 300)
    unit_vkm = float((unit.loc[long_u, "volume"] * unit.loc[long_u, "distance_km"]).sum())
    total = target_vkm_day / unit_vkm
    print("\n2. total volume")
    print(
        f"   EU tkm/yr {TKM_EU_PER_YEAR / 1e9:.1f} bn x share>=300 km {s300:.2f} / load "
        f"{AVERAGE_LOAD_T:.0f} t / (1 - empty {EMPTY_VKM_SHARE:.3f}) / 365"
    )
    print(f"   = {target_vkm_day / 1e6:.1f} M truck-km/day on EU-27-internal trips >= 300 km")
    print(f"   total_trucks_per_day (all ordered pairs >= {MIN_TRIP_KM:.0f} km) = {total:,.0f}")

    flows = gravity_flows(
        g, zones, total_trucks_per_day=total, distance_decay=beta, min_trip_km=MIN_TRIP_KM
    )
    tkm_all = float((flows["volume"] * flows["distance_km"]).sum())
    print(
        f"\n3. flows >= {MIN_TRIP_KM:.0f} km: {len(flows)} rows, {flows['volume'].sum():,.0f} "
        f"trucks/day, {tkm_all / 1e6:.1f} M truck-km/day, mean trip "
        f"{tkm_all / flows['volume'].sum():.0f} km"
    )
    cuts = {}
    for k in CANDIDATE_MAX_FLOWS:
        f = gravity_flows(
            g,
            zones,
            total_trucks_per_day=total,
            distance_decay=beta,
            min_trip_km=MIN_TRIP_KM,
            max_flows=k,
        )
        cuts[k] = f
        kept = 100 * (1 - f.attrs["dropped_volume_share"])
        print(
            f"   max_flows={k}: {len(f)} rows keep {kept:.1f} % of volume, "
            f"{100 * f.attrs['truck_km_per_day'] / tkm_all:.1f} % of truck-km, "
            f"smallest kept flow {f['volume'].min():.1f} trucks/day"
        )

    eu_f = flows["origin"].map(country).isin(EU27) & flows["destination"].map(country).isin(EU27)
    d = flows["distance_km"]
    vkm = flows["volume"] * d
    share_200_300 = float(vkm[eu_f & (d < 300)].sum() / vkm[eu_f & (d >= 300)].sum())
    print(
        f"   EU-27-internal truck-km on 200-300 km trips = {share_200_300:.2f} x that on >= 300 km "
        "trips (not fitted; Eurostat's whole 150-299 km class is ~0.35 x the >= 300 km tkm, "
        "ASSUMPTION recalled)"
    )

    # ---- Alpine sanity check: route all flows on shortest paths ---------------------------------
    print(
        "\n4. sanity check: heavy trucks per year through Alpine crossings (model = flows >= "
        f"{MIN_TRIP_KM:.0f} km on shortest paths, both directions, x 365)"
    )
    alpine = {}
    for penalty in SWISS_PENALTIES_KM:
        counts = crossing_counts(g, flows, list(ALPINE_COUNTS), penalty)
        if penalty == 0:
            for node, (published, note) in ALPINE_COUNTS.items():
                model = counts[node] * 365
                alpine[node] = {"model_per_year": round(model), "published_per_year": published}
                print(
                    f"   {node:18s} model {model / 1e6:5.2f} M/yr vs published "
                    f"{published / 1e6:.2f} M/yr (ratio {model / published:.2f}) -- {note}"
                )
            print(
                "   routing sensitivity: extra generalised cost (km) on the Swiss road tunnels "
                "(LSVA fee, dosing, bans are not in the network):"
            )
        print(
            f"   +{penalty:3d} km: "
            + ", ".join(f"{n.split('-')[-1]} {counts[n] * 365 / 1e6:.2f}" for n in ALPINE_COUNTS)
            + " M/yr"
        )

    params = {
        "distance_decay": round(beta, 2),
        "decay_form": "power",
        "total_trucks_per_day": round(total, -2),
        "min_trip_km": MIN_TRIP_KM,
        "recommended_max_flows": 4000,
        "flows_min_trip": len(flows),
        "truck_km_per_day_min_trip": round(tkm_all, -3),
        "kept_volume_share_at_recommended_max_flows": round(
            1 - cuts[4000].attrs["dropped_volume_share"], 4
        ),
        "target_truck_km_per_day_eu27_ge300": round(target_vkm_day, -3),
        "alpine_check": alpine,
        "inputs": {
            "tkm_eu_per_year": TKM_EU_PER_YEAR,
            "empty_vkm_share": EMPTY_VKM_SHARE,
            "tkm_share_by_class_ge300": {
                f"{lo}-{hi:g}": sh for (lo, hi), sh in TKM_SHARE_BY_CLASS.items()
            },
            "average_load_t": AVERAGE_LOAD_T,
        },
    }
    with open(EUROPE / "gravity_params.json", "w", encoding="utf-8") as fh:
        json.dump(params, fh, indent=2)
        fh.write("\n")
    print(f"\nwrote {EUROPE / 'gravity_params.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
