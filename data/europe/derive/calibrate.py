"""Calibrate the gravity model (planner.gravity) to European road-freight statistics.

Runs offline on the shipped ``nodes.csv``, ``edges.csv`` and ``zones.csv`` and prints every figure
used; writes ``data/europe/gravity_params.json``. Paths minimise length + ``route_penalty_km`` (the
calibrated generalised cost of the Alpine and sea crossings, see ``crossings.py``) and the
deterrence uses that generalised cost, as the planner does; distance classes and truck-km use the
physical length.

1. Distance decay: the power-law exponent ``beta`` is fitted so that the model's split of
   tonne-km (proportional to truck-km) over the Eurostat distance classes >= 300 km matches the
   published split, using EU-27-internal node pairs only (Eurostat covers EU-27 hauliers).  An
   exponential decay is fitted too, for comparison only.
2. Volume: ``total_trucks_per_day`` (sum of volumes over all ordered pairs >= 200 km, see
   planner.gravity) is set so that the model's EU-27-internal truck-km/day on trips >= 300 km
   equals  tkm_EU x share(>= 300 km) / average load / (1 - empty share) / 365.
3. Great Britain: the model's GB-internal long-haul truck-km against the DfT road freight
   statistics (the UK zone-mass factor in ``zones.py`` is set from this ratio); flows per planned
   country.
4. Crossings: model counts against published counts (Alps, Channel, Irish Sea; see ``crossings.py``).

Usage: python data/europe/derive/calibrate.py
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from crossings import (
    ALPINE_TARGETS,
    CROSSINGS,
    EU27,
    EUROPE,
    TOLERANCE,
    crossing_counts,
    load_graph,
    penalty_of,
    published,
    rms_log_error,
)

from planner.gravity import gravity_flows, load_zones

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
# Great Britain, DfT Road Freight Statistics (domestic activity of GB-registered HGVs), recalled,
# not re-measured offline: ~155 bn tkm/yr (2022-2023, +-5 %); ASSUMPTIONS: ~22 % of the tkm on
# hauls over 300 km (+-5 pp), ~30 % of HGV-km empty, 14 t average load on those hauls
GB_TKM_PER_YEAR = 155e9
GB_SHARE_GE300 = 0.22
GB_EMPTY_VKM_SHARE = 0.30
GB_LOAD_T = 14.0
CANDIDATE_MAX_FLOWS = (2000, 3000, 4000, 5000)
PLANNED = ("GB", "NO", "CH")


def class_shares(dist: np.ndarray, vol: np.ndarray) -> np.ndarray:
    tkm = vol * dist
    out = np.array([tkm[(dist >= lo) & (dist < hi)].sum() for lo, hi in TKM_SHARE_BY_CLASS])
    return out / out.sum()


def fit(dist: np.ndarray, cost: np.ndarray, mass: np.ndarray, form: str) -> tuple[float, float]:
    """Grid-search the decay parameter; returns (parameter, RMS error of class shares)."""
    target = np.array(list(TKM_SHARE_BY_CLASS.values()))
    target = target / target.sum()
    grid = np.arange(0.5, 4.001, 0.01) if form == "power" else np.arange(100, 3001, 5.0)
    best = (np.nan, np.inf)
    for p in grid:
        f = cost ** (-p) if form == "power" else np.exp(-cost / p)
        err = float(np.sqrt(np.mean((class_shares(dist, mass * f) - target) ** 2)))
        if err < best[1]:
            best = (float(p), err)
    return best


def eu_pairs(g, zones: pd.DataFrame, country: dict[str, str]) -> pd.DataFrame:
    """EU-27-internal pairs >= 300 km: length, generalised cost and mass product."""
    kw = {"total_trucks_per_day": 1.0, "distance_decay": 0.0}
    base = gravity_flows(g, zones, min_trip_km=300.0, cost_attr="route_km", **kw)
    cost = gravity_flows(g, zones, min_trip_km=0.0, length_attr="route_km", **kw)
    base = base.merge(
        cost[["origin", "destination", "distance_km"]], on=["origin", "destination"], suffixes=("", "_cost")
    )
    eu = base["origin"].map(country).isin(EU27) & base["destination"].map(country).isin(EU27)
    return base[eu]


def decay_step(g, zones, country) -> float:
    pairs = eu_pairs(g, zones, country)
    dist, cost, mass = (pairs[c].to_numpy() for c in ("distance_km", "distance_km_cost", "volume"))
    beta, err_p = fit(dist, cost, mass, "power")
    scale, err_e = fit(dist, cost, mass, "exponential")
    target = np.array(list(TKM_SHARE_BY_CLASS.values()))
    print("1. distance decay (EU-27-internal pairs, tkm split of the classes >= 300 km)")
    print("   classes (km)        :", [f"{lo}-{hi if hi < 1e8 else 'inf'}" for lo, hi in TKM_SHARE_BY_CLASS])
    print("   Eurostat (assumed)  :", np.round(target / target.sum(), 3).tolist())
    print(
        f"   power  d^-beta      : beta = {beta:.2f}  (RMS error {err_p:.3f})  ->",
        np.round(class_shares(dist, mass * cost ** (-beta)), 3).tolist(),
    )
    print(
        f"   exponential e^-d/L  : L = {scale:.0f} km (RMS error {err_e:.3f})  ->",
        np.round(class_shares(dist, mass * np.exp(-cost / scale)), 3).tolist(),
    )
    print("   -> power law retained (single scale-free parameter, fit comparable or better)")
    return round(beta, 2)


def internal_vkm(flows: pd.DataFrame, country: dict[str, str], members: set[str], min_km: float) -> float:
    inside = flows["origin"].map(country).isin(members) & flows["destination"].map(country).isin(members)
    long = inside & (flows["distance_km"] >= min_km)
    return float((flows.loc[long, "volume"] * flows.loc[long, "distance_km"]).sum())


def volume_step(g, zones, country, beta: float) -> tuple[float, float]:
    s300 = sum(TKM_SHARE_BY_CLASS.values())
    target = TKM_EU_PER_YEAR * s300 / AVERAGE_LOAD_T / (1 - EMPTY_VKM_SHARE) / 365
    unit = gravity_flows(
        g, zones, total_trucks_per_day=1.0, distance_decay=beta, min_trip_km=MIN_TRIP_KM, cost_attr="route_km"
    )
    total = target / internal_vkm(unit, country, EU27, 300.0)
    print("\n2. total volume")
    print(
        f"   EU tkm/yr {TKM_EU_PER_YEAR / 1e9:.1f} bn x share>=300 km {s300:.2f} / load "
        f"{AVERAGE_LOAD_T:.0f} t / (1 - empty {EMPTY_VKM_SHARE:.3f}) / 365"
    )
    print(f"   = {target / 1e6:.1f} M truck-km/day on EU-27-internal trips >= 300 km")
    print(f"   total_trucks_per_day (all ordered pairs >= {MIN_TRIP_KM:.0f} km) = {total:,.0f}")
    return total, target


def cut_step(g, zones, country, beta: float, total: float) -> tuple[pd.DataFrame, dict[int, pd.DataFrame]]:
    kw = {"total_trucks_per_day": total, "distance_decay": beta, "min_trip_km": MIN_TRIP_KM, "cost_attr": "route_km"}
    flows = gravity_flows(g, zones, **kw)
    tkm_all = float((flows["volume"] * flows["distance_km"]).sum())
    print(
        f"\n3. flows >= {MIN_TRIP_KM:.0f} km: {len(flows)} rows, {flows['volume'].sum():,.0f} "
        f"trucks/day, {tkm_all / 1e6:.1f} M truck-km/day, mean trip {tkm_all / flows['volume'].sum():.0f} km"
    )
    cuts = {}
    for k in CANDIDATE_MAX_FLOWS:
        cuts[k] = f = gravity_flows(g, zones, max_flows=k, **kw)
        print(
            f"   max_flows={k}: {len(f)} rows keep {100 * (1 - f.attrs['dropped_volume_share']):.1f} % of volume, "
            f"{100 * f.attrs['truck_km_per_day'] / tkm_all:.1f} % of truck-km, smallest kept flow "
            f"{f['volume'].min():.1f} trucks/day"
        )
    share = internal_vkm(flows, country, EU27, MIN_TRIP_KM) / internal_vkm(flows, country, EU27, 300.0) - 1
    print(
        f"   EU-27-internal truck-km on 200-300 km trips = {share:.2f} x that on >= 300 km trips (not fitted; "
        "Eurostat's whole 150-299 km class is ~0.35 x the >= 300 km tkm, ASSUMPTION recalled)"
    )
    return flows, cuts


def gb_step(flows: pd.DataFrame, cut: pd.DataFrame, country: dict[str, str]) -> dict:
    """Great Britain against the DfT road freight statistics; flows per planned country."""
    from zones import COUNTRY_WEIGHT_FACTOR

    gb_target = GB_TKM_PER_YEAR * GB_SHARE_GE300 / GB_LOAD_T / (1 - GB_EMPTY_VKM_SHARE) / 365
    gb_model = internal_vkm(flows, country, {"GB"}, 300.0)
    factor = COUNTRY_WEIGHT_FACTOR.get("GB", 1.0)
    print("\n4. Great Britain (DfT road freight statistics) and the planned non-EU countries")
    print(
        f"   GB-internal truck-km/day on trips >= 300 km: model {gb_model / 1e6:.1f} M vs DfT RFS-based "
        f"{gb_target / 1e6:.1f} M ({GB_TKM_PER_YEAR / 1e9:.0f} bn tkm x {GB_SHARE_GE300:.2f} / "
        f"{GB_LOAD_T:.0f} t / (1 - {GB_EMPTY_VKM_SHARE:.2f}) / 365); ratio {gb_model / gb_target:.2f}"
    )
    best = factor * (gb_target / gb_model) ** 0.5
    print(f"   UK zone-mass factor {factor:.2f} (the ratio goes with its square; factor for ratio 1.00: {best:.2f})")
    per_country = {}
    for cc in PLANNED:
        ends = flows["origin"].map(country).eq(cc) | flows["destination"].map(country).eq(cc)
        ends_cut = cut["origin"].map(country).eq(cc) | cut["destination"].map(country).eq(cc)
        per_country[cc] = {"flows_min_trip": int(ends.sum()), "flows_at_4000": int(ends_cut.sum())}
        print(
            f"   flows with a {cc} end: {int(ends.sum())} of {len(flows)} (>= {MIN_TRIP_KM:.0f} km), "
            f"{int(ends_cut.sum())} of the 4,000 largest"
        )
    return {
        "gb_truck_km_per_day_ge300": {"model": round(gb_model, -3), "dft_rfs_based": round(gb_target, -3)},
        "uk_zone_weight_factor": factor,
        "flows_by_country": per_country,
    }


def crossing_step(g, flows: pd.DataFrame) -> dict:
    counts = crossing_counts(g, flows)
    pub = published()
    print("\n5. Crossings: trucks/yr (model = flows >= 200 km on their cheapest paths, both directions)")
    by_name = {c.name: c for c in CROSSINGS}
    out = {}
    for name, model in counts.items():
        ref = pub.get(name)
        text = f"published {ref / 1e6:4.2f} M (ratio {model / ref:4.2f})" if ref else "no published figure used"
        pen = f"penalty {penalty_of(g, by_name[name]):3.0f} km" if name in by_name else " " * 15
        print(f"   {name:17s} {pen}  model {model / 1e6:5.2f} M/yr  {text}")
        out[name] = {
            "model_per_year": round(model),
            "published_per_year": ref,
            "route_penalty_km": penalty_of(g, by_name[name]) if name in by_name else None,
        }
    ratios = [counts[t] / pub[t] for t in ALPINE_TARGETS]
    rms, worst = rms_log_error(counts, ALPINE_TARGETS)
    print(
        f"   Alpine targets ({', '.join(ALPINE_TARGETS)}): model/published {min(ratios):.2f}-{max(ratios):.2f} "
        f"(RMS log error {rms:.3f}, max {worst:.3f}); stated tolerance +-{100 * TOLERANCE:.0f} %"
    )
    return out


def main() -> int:
    g, country = load_graph()
    zones = load_zones(EUROPE / "zones.csv")
    beta = decay_step(g, zones, country)
    total, target = volume_step(g, zones, country, beta)
    flows, cuts = cut_step(g, zones, country, beta, total)
    checks = gb_step(flows, cuts[4000], country)
    crossings = crossing_step(g, flows)
    params = {
        "distance_decay": beta,
        "decay_form": "power",
        "deterrence": "generalised cost: length_km + route_penalty_km along the cheapest path",
        "total_trucks_per_day": round(total, -2),
        "min_trip_km": MIN_TRIP_KM,
        "recommended_max_flows": 4000,
        "flows_min_trip": len(flows),
        "truck_km_per_day_min_trip": round(float((flows["volume"] * flows["distance_km"]).sum()), -3),
        "kept_volume_share_at_recommended_max_flows": round(1 - cuts[4000].attrs["dropped_volume_share"], 4),
        "target_truck_km_per_day_eu27_ge300": round(target, -3),
        "crossing_check": crossings,
        "alpine_tolerance": TOLERANCE,
        "checks": checks,
        "inputs": {
            "tkm_eu_per_year": TKM_EU_PER_YEAR,
            "empty_vkm_share": EMPTY_VKM_SHARE,
            "tkm_share_by_class_ge300": {f"{lo}-{hi:g}": sh for (lo, hi), sh in TKM_SHARE_BY_CLASS.items()},
            "average_load_t": AVERAGE_LOAD_T,
            "gb_tkm_per_year": GB_TKM_PER_YEAR,
            "gb_share_ge300": GB_SHARE_GE300,
            "gb_empty_vkm_share": GB_EMPTY_VKM_SHARE,
            "gb_load_t": GB_LOAD_T,
        },
    }
    with open(EUROPE / "gravity_params.json", "w", encoding="utf-8") as fh:
        json.dump(params, fh, indent=2)
        fh.write("\n")
    print(f"\nwrote {EUROPE / 'gravity_params.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
