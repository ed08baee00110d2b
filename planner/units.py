"""Units of output keys and columns, read from their names (``opex_eur_per_year`` → EUR/year).

Shared by the report's "further results", ``plan.xlsx`` and the comparison, so a key shows the
same unit everywhere. Exact tables for the CSV columns are in :mod:`planner.exports.columns`.
"""

from __future__ import annotations

__all__ = ["SUFFIX_UNITS", "is_calendar_year", "is_share", "unit_from_key"]

# key suffix -> unit (longest first; checked in order)
SUFFIX_UNITS: list[tuple[str, str]] = [
    ("_eur_per_kw_year", "EUR/kW/year"),
    ("_eur_per_year", "EUR/year"),
    ("_eur_per_mwh", "EUR/MWh"),
    ("_eur_per_kwh", "EUR/kWh"),
    ("_eur_per_kw", "EUR/kW"),
    ("_eur_per_mw", "EUR/MW"),
    ("_kwh_per_km", "kWh/km"),
    ("_gwh_per_year", "GWh/year"),
    ("_mwh_per_year", "MWh/year"),
    ("_truck_km", "truck-km/day"),
    ("_eur", "EUR"),
    ("_kwh", "kWh"),
    ("_kmh", "km/h"),
    ("_km", "km"),
    ("_mw", "MW"),
    ("_kw", "kW"),
    ("_minutes", "min"),
    ("_min", "min"),
    ("_h", "h"),
    ("_seconds", "s"),
    ("_years", "years"),
]
SHARE_KEYS = {"discount_rate", "capital_recovery_factor", "opex_share_per_year", "end_fraction", "peak_hour_share"}
# keys ending in a unit-like suffix that is not a unit
NOT_UNITS = ("soc_min", "soc_arrival_min", "min_per_hub", "max_per_hub")
PER_YEAR_COSTS = {"annualised_cost_eur"}


def is_share(key: str) -> bool:
    """A share in [0, 1]: ``*share``, state-of-charge limits, rates."""
    base = key.rsplit(".", 1)[-1]
    if base.endswith("share") or base in SHARE_KEYS or base.startswith("soc_"):
        return True
    return base in ("gap", "mip_gap", "gap_any_energy") or base.endswith("_gap")


def is_calendar_year(key: str) -> bool:
    """A calendar year (``opened_year``, ``afir.year``), not a rate (``opex_eur_per_year``)."""
    base = key.rsplit(".", 1)[-1]
    if base.endswith(("per_year", "_kw_year")):
        return False
    return base == "year" or base.endswith("_year") or base in ("milestone", "afir_milestone")


def unit_from_key(key: str) -> str:
    """The unit a key's name states (``""`` if none): ``share 0–1``, ``year``, ``EUR/year``, …"""
    base = key.rsplit(".", 1)[-1]
    if is_share(base):
        return "share 0–1"
    if is_calendar_year(base):
        return "year"
    if base in PER_YEAR_COSTS:
        return "EUR/year"
    if base in NOT_UNITS:
        return ""
    for suffix, unit in SUFFIX_UNITS:
        if base.endswith(suffix):
            return unit
    return ""
