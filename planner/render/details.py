"""Human-readable "further results": the summary.json blocks as labelled tables with units.

Keys are labelled from :data:`LABELS` or from their name (``energy_gwh_per_year`` → "Energy",
``14,094 GWh/year``); the unit comes from the key's name (:func:`planner.units.unit_from_key`). Nested
blocks become sub-tables: a dict of dicts with common keys (AFIR by corridor) is one table
with a row per entry, a list of dicts (rollout solves) one row per item.
"""

from __future__ import annotations

from typing import Any

from planner.units import SUFFIX_UNITS, unit_from_key

from . import _style as st
from ._html import esc, table

LABELS: dict[str, str] = {
    "points_by_type": "Charging points by type",
    "power_kw_by_type": "Power per point by type",
    "total_power_mw": "Installed power",
    "capex_points_eur": "Capex of the charging points bought",
    "capex_eur": "Capex",
    "opex_eur_per_year": "Opex",
    "annualised_cost_eur": "Annualised cost (capex × recovery factor + opex)",
    "energy_gwh_per_year": "Energy charged",
    "margin_eur_per_year": "Charging margin",
    "capital_recovery_factor": "Capital recovery factor",
    "margin_eur_per_kwh": "Margin per kWh",
    "opex_share_per_year": "Opex per year, share of capex",
    "share": "Compliant share",
    "required_share": "Required share",
    "met": "Requirement met",
    "total_km": "Length",
    "compliant_km": "Compliant length",
    "cost_of_compliance_eur": "Cost of compliance (vs. the same plan without AFIR)",
    "discounted_capex_eur": "Discounted capex",
    "discounted_covered_truck_km": "Discounted served truck-km/day",
    "mode": "Mode",
    "years": "Years",
    "year": "Year",
    "mip_gap": "MIP gap",
}
BLOCK_TITLES: dict[str, str] = {
    "chargers": "Charging points",
    "economics": "Economics",
    "afir": "AFIR compliance",
    "capacity": "Capacity and queueing",
    "grid": "Grid connection",
    "two_stage": "Two-stage sizing",
    "rollout": "Rollout",
    "breaks": "Driving-time breaks",
    "hourly": "Hourly sizing",
}
BLOCK_ORDER = ["chargers", "economics", "afir", "capacity", "grid", "two_stage", "rollout", "breaks"]


def label(key: str) -> str:
    """Readable label of a summary key (without its unit)."""
    if key in LABELS:
        return LABELS[key]
    text = str(key)
    if unit_from_key(text) not in ("", "share 0–1", "year"):
        for suffix, _unit_name in SUFFIX_UNITS:
            if text.endswith(suffix):
                text = text[: -len(suffix)]
                break
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else str(key)


def value_text(key: str, value: Any) -> str:
    """A value formatted by what its key says (years, shares, money, units)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(value_text(key[:-1] if key.endswith("s") else key, v) for v in value) or "–"
    if isinstance(value, dict) and all(not isinstance(v, dict | list) for v in value.values()):
        # a dict of named values (total_km, share) or of categories (mcs, ccs) sharing the key's unit
        named = any("_" in str(k) or str(k) in LABELS for k in value)
        base = key.removesuffix("_by_type")
        items = [
            f"{label(k)} {value_text(k, v)}" if named else f"{str(k).upper()} {value_text(base, v)}"
            for k, v in value.items()
        ]
        return "; ".join(items) or "–"
    if not isinstance(value, int | float):
        return str(value)
    unit = unit_from_key(key)
    if unit == "year" or key == "years":
        return str(int(value))
    if unit == "share 0–1":
        return st.fmt_pct(value, 1 if key != "capital_recovery_factor" else 2)
    if unit == "EUR":
        return st.fmt_eur(value)
    if unit.startswith("EUR/") and abs(float(value)) >= 1000:
        return st.fmt_eur(value) + unit[3:]
    f = float(value)
    number = f"{f:,.0f}" if abs(f) >= 1000 or f.is_integer() else f"{f:,.1f}" if abs(f) >= 10 else f"{f:.3g}"
    return f"{number} {unit}".strip()


def _common_keys(items: list[dict]) -> list[str]:
    keys: list[str] = []
    for item in items:
        for k, v in item.items():
            if k not in keys and not isinstance(v, dict | list):
                keys.append(k)
    return keys


def _rows_table(first: str, rows: list[tuple[str, dict]]) -> str:
    keys = _common_keys([r for _, r in rows])
    body = [[name] + [value_text(k, r.get(k)) for k in keys] for name, r in rows]
    numeric = [all(isinstance(r.get(k), int | float) or r.get(k) is None for _, r in rows) for k in keys]
    return table([first] + [label(k) for k in keys], body, [False, *numeric])


def _is_table_of_dicts(value: Any) -> bool:
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _is_simple(value: Any) -> bool:
    """A scalar, a list of scalars or a dict of scalars: one table cell."""
    if isinstance(value, list):
        return all(not isinstance(v, dict | list) for v in value)
    if isinstance(value, dict):
        return all(not isinstance(v, dict | list) for v in value.values())
    return True


def _block_parts(block: dict, depth: int = 0) -> list[str]:
    scalars = [[label(k), value_text(k, v)] for k, v in block.items() if _is_simple(v) and not _is_table_of_dicts(v)]
    parts = [table(["", "value"], scalars, [False, True])] if scalars else []
    for k, v in block.items():
        if _is_simple(v) and not _is_table_of_dicts(v):
            continue
        head = f"<h4>{esc(label(k))}</h4>"
        if isinstance(v, dict) and _is_table_of_dicts(v):
            parts.append(head + _rows_table("", [(str(n), r) for n, r in v.items()]))
        elif isinstance(v, list) and _is_table_of_dicts(v):
            parts.append(head + _rows_table("#", [(str(i + 1), r) for i, r in enumerate(v)]))
        elif isinstance(v, dict) and depth < 2:
            parts.append(head + "".join(_block_parts(v, depth + 1)))
    return parts


def block_html(key: str, block: Any) -> str:
    """One summary block as a labelled key/value table plus sub-tables for nested entries."""
    title = BLOCK_TITLES.get(key, label(key))
    if not isinstance(block, dict):
        return f"<h3>{esc(title)}</h3>" + table(["", "value"], [[label(key), value_text(key, block)]])
    return f'<section class="block"><h3>{esc(title)}</h3>' + "".join(_block_parts(block)) + "</section>"


def further_results_html(summary: dict[str, Any], handled: set[str]) -> str:
    """The summary blocks not shown elsewhere in the report, each as its own labelled table."""
    rest = {k: v for k, v in summary.items() if k not in handled}
    blocks = [k for k in BLOCK_ORDER if k in rest and isinstance(rest[k], dict)]
    blocks += sorted(k for k, v in rest.items() if isinstance(v, dict) and k not in blocks)
    scalars = [[label(k), value_text(k, v)] for k, v in rest.items() if not isinstance(v, dict)]
    parts = [block_html(k, rest[k]) for k in blocks]
    if scalars:
        parts.append("<h3>Other results</h3>" + table(["", "value"], scalars, [False, True]))
    return "".join(parts)


def objective_unit(summary: dict[str, Any]) -> str:
    """Unit of ``objective_value``: EUR (min_cost) or trucks/day / truck-km/day (max_coverage),
    discounted and summed over the planning years for rollouts; empty if unknown."""
    kind, metric = summary.get("objective"), summary.get("metric")
    rollout = isinstance(summary.get("rollout"), dict)
    if kind == "min_cost":
        return "EUR (discounted over the years)" if rollout else "EUR"
    if kind == "max_coverage" and metric in ("volume", "truck_km"):
        unit = "trucks/day" if metric == "volume" else "truck-km/day"
        return f"{unit} (discounted, summed over the years)" if rollout else unit
    return ""
