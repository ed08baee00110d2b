"""Charger catalogue: session times per type, minimum pools, pool power for AFIR.

The catalogue (:class:`planner.scenario.ChargersConfig`) has two types, ``mcs`` (megawatt
charging) and ``ccs``. A session delivers a full swing ``soc_min → soc_max`` of the battery (an
upper bound on the energy a truck takes); its duration follows from the type's power and taper
(:func:`charge_hours`) plus the plug-in overhead. A type is *offered* for
sizing if hubs may have points of it and its session fits ``chargers.max_session_min``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd

from planner.candidates import EXISTING_COLUMNS
from planner.errors import ScenarioError
from planner.scenario import ChargersConfig, ChargerType, Scenario, VehicleConfig

__all__ = [
    "PoolSpec",
    "charge_hours",
    "TYPES",
    "OfferedType",
    "type_session_h",
    "offered_types",
    "pool_of",
    "min_counts",
    "min_pool_capex",
    "hub_power_kw",
    "existing_by_type",
    "standing_points",
    "existing_notes",
    "set_existing_columns",
    "split_like",
    "points_lacking",
]


@dataclass(frozen=True)
class PoolSpec:
    """What an open hub offers, for checking it against an AFIR pool requirement.

    Attributes
    ----------
    power_kw
        Total power output of the recharging pool (kW).
    points_350kw
        Number of recharging points with an individual power output of at least 350 kW.
    """

    power_kw: float
    points_350kw: int

    def __post_init__(self) -> None:
        if not math.isfinite(self.power_kw) or self.power_kw < 0:
            raise ValueError(f"PoolSpec.power_kw must be a non-negative number of kW, got {self.power_kw!r}.")
        if isinstance(self.points_350kw, bool) or int(self.points_350kw) != self.points_350kw or self.points_350kw < 0:
            raise ValueError(f"PoolSpec.points_350kw must be a non-negative integer, got {self.points_350kw!r}.")


def _number(value: object, name: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    x = float(value)
    if x < 0 or (positive and x == 0):
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'}, got {value!r}.")
    return x


def charge_hours(
    energy_kwh: float,
    power_kw: float,
    *,
    taper_soc: float | None = None,
    soc_from: float | None = None,
    soc_to: float | None = None,
    battery_kwh: float | None = None,
    taper_floor: float = 0.5,
) -> float:
    """Hours to deliver ``energy_kwh`` at a charger of ``power_kw``.

    Without ``taper_soc`` the power is constant: ``energy_kwh / power_kw``. With ``taper_soc`` the
    charging power is ``power_kw`` up to that state of charge and then falls linearly to
    ``taper_floor * power_kw`` at 100 %; the session starts at ``soc_from`` of a ``battery_kwh``
    battery and ends at ``soc_from + energy_kwh / battery_kwh`` (``soc_to``, if given, must agree).
    Above the taper point the time is ``∫ E ds / P(s)``, which has the closed form
    ``E / (P k) · ln((1 - k (s1 - t)) / (1 - k (s2 - t)))`` with ``k = (1 - floor) / (1 - t)``.

    Parameters
    ----------
    energy_kwh
        Energy delivered to the battery (>= 0).
    power_kw
        Charger (or vehicle) power limit (> 0).
    taper_soc
        State of charge in [0, 1) where the taper starts; ``None`` for constant power.
    soc_from, soc_to, battery_kwh
        Session start and end state of charge and battery size (required with a taper).
    taper_floor
        Power at 100 % as a share of ``power_kw``, in (0, 1].

    Returns
    -------
    float
        Session duration in hours.
    """
    energy = _number(energy_kwh, "energy_kwh")
    power = _number(power_kw, "power_kw", positive=True)
    if taper_soc is None:
        if soc_from is not None or soc_to is not None or battery_kwh is not None:
            raise ValueError("soc_from, soc_to and battery_kwh only apply with taper_soc; set taper_soc or drop them.")
        return energy / power
    t = _number(taper_soc, "taper_soc")
    if t >= 1:
        raise ValueError(f"taper_soc must be in [0, 1), got {taper_soc!r}.")
    floor = _number(taper_floor, "taper_floor", positive=True)
    if floor > 1:
        raise ValueError(f"taper_floor must be in (0, 1], got {taper_floor!r}.")
    if soc_from is None or battery_kwh is None:
        raise ValueError("a tapered session needs soc_from and battery_kwh.")
    battery = _number(battery_kwh, "battery_kwh", positive=True)
    start = _number(soc_from, "soc_from")
    end = start + energy / battery
    if soc_to is not None and abs(_number(soc_to, "soc_to") - end) > 1e-6:
        raise ValueError(
            f"energy_kwh={energy:g} does not match (soc_to - soc_from) × battery_kwh = "
            f"{(soc_to - start) * battery:g}; give consistent values."
        )
    if end > 1 + 1e-9:
        raise ValueError(f"the session would end at state of charge {end:.3f} > 1; reduce energy_kwh or soc_from.")
    end = min(end, 1.0)
    hours = max(0.0, min(end, t) - start) * battery / power
    s1, s2 = max(start, t), end
    if s2 <= s1:
        return hours
    k = (1.0 - floor) / (1.0 - t)
    if k == 0:
        return hours + (s2 - s1) * battery / power
    return hours + battery / (power * k) * math.log((1 - k * (s1 - t)) / (1 - k * (s2 - t)))


TYPES: tuple[str, ...] = ("mcs", "ccs")
"""Catalogue order; hubs.csv has one ``chargers_<type>`` column per entry."""

AFIR_POINT_KW = 350.0
"""AFIR counts recharging points of at least 350 kW (Regulation (EU) 2023/1804, Art. 4(1))."""


@dataclass(frozen=True)
class OfferedType:
    """A charger type available for sizing: its catalogue entry and mean session time."""

    name: str
    spec: ChargerType
    session_h: float


def type_session_h(vehicle: VehicleConfig, charger: ChargerType, overhead_min: float) -> float:
    """Hours one session occupies a point of ``charger``: soc_min → soc_max plus the overhead."""
    energy = (vehicle.soc_max - vehicle.soc_min) * vehicle.battery_kwh
    if charger.taper_soc is None:
        hours = charge_hours(energy, charger.power_kw)
    else:
        hours = charge_hours(
            energy,
            charger.power_kw,
            taper_soc=charger.taper_soc,
            soc_from=vehicle.soc_min,
            battery_kwh=vehicle.battery_kwh,
            taper_floor=charger.taper_floor,
        )
    return hours + overhead_min / 60.0


def offered_types(scenario: Scenario) -> list[OfferedType]:
    """Types the sizing model may use, in catalogue order.

    Raises
    ------
    ScenarioError
        If a type with ``min_per_hub > 0`` has sessions longer than ``max_session_min`` (its points
        would be installed but never used), or if no type is offered.
    """
    cat = scenario.chargers
    out: list[OfferedType] = []
    for name, spec in cat.types().items():
        hours = type_session_h(scenario.vehicle, spec, scenario.capacity.plug_overhead_min)
        too_long = cat.max_session_min is not None and hours * 60 > cat.max_session_min + 1e-9
        if too_long and spec.min_per_hub > 0:
            raise ScenarioError(
                f"{scenario.where}: chargers.{name}.min_per_hub={spec.min_per_hub} but a {name} session takes "
                f"{hours * 60:.0f} min, over chargers.max_session_min={cat.max_session_min:g}; set min_per_hub = 0 "
                "or raise max_session_min."
            )
        if spec.max_per_hub > 0 and not too_long:
            out.append(OfferedType(name, spec, hours))
    if not out:
        raise ScenarioError(
            f"{scenario.where}: no charger type can be used: every session is longer than chargers.max_session_min="
            f"{cat.max_session_min:g} or max_per_hub = 0; raise max_session_min or a type's power."
        )
    return out


def pool_of(counts: Mapping[str, int], chargers: ChargersConfig) -> PoolSpec:
    """AFIR pool of a hub with ``counts[type]`` points of each type."""
    types = chargers.types()
    power = sum(float(counts.get(t, 0)) * types[t].power_kw for t in TYPES)
    points = sum(int(counts.get(t, 0)) for t in TYPES if types[t].power_kw >= AFIR_POINT_KW)
    return PoolSpec(power_kw=power, points_350kw=points)


def min_counts(chargers: ChargersConfig) -> dict[str, int]:
    """Points per type of a hub that is not sized (every hub's minimum)."""
    return {t: spec.min_per_hub for t, spec in chargers.types().items()}


def min_pool_capex(chargers: ChargersConfig) -> float:
    """Capex of a hub's minimum points."""
    return float(sum(spec.min_per_hub * spec.capex_eur for spec in chargers.types().values()))


def hub_power_kw(counts: Mapping[str, int], chargers: ChargersConfig) -> float:
    """Installed power of a hub with ``counts[type]`` points of each type."""
    types = chargers.types()
    return float(sum(counts.get(t, 0) * types[t].power_kw for t in TYPES))


def existing_by_type(sites: pd.DataFrame, chargers: ChargersConfig) -> dict[str, np.ndarray]:
    """Existing charging points per type at each candidate site (same order as ``sites``).

    Only existing hubs (``locked``) have them. ``existing_mcs`` / ``existing_ccs`` give the points of
    each type; where neither is given, ``existing_points`` count as points of the most powerful type
    whose ``power_kw`` their ``existing_power_kw`` (the power of one point, as ``planner network
    build`` reads it from OpenStreetMap) reaches, and as none where it reaches no type's power or is
    unknown: a slower point would take longer sessions than the sizing assumes.
    """
    out = {t: np.zeros(len(sites), dtype=int) for t in TYPES}
    listed = _listed(sites)
    if listed is None:
        return out
    explicit, by_points, points, power = listed
    by_power = sorted(chargers.types().items(), key=lambda kv: -kv[1].power_kw)
    for i in np.flatnonzero(sites["locked"].to_numpy(dtype=bool)):
        if not by_points[i]:
            for t in TYPES:
                out[t][i] = int(np.nan_to_num(explicit[t][i]))
            continue
        t = next((name for name, spec in by_power if points[i] > 0 and power[i] >= spec.power_kw), None)
        if t is not None:
            out[t][i] = points[i]
    return out


def _listed(
    sites: pd.DataFrame,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray] | None:
    """A sites table's existing-charger columns: the points listed per type, which existing hubs list none by
    type (their ``existing_points`` count by power), those points and their power; None without the columns."""
    if not all(c in sites.columns for c in EXISTING_COLUMNS):
        return None
    explicit = {t: sites[f"existing_{t}"].to_numpy(dtype=float) for t in TYPES}
    by_points = sites["locked"].to_numpy(dtype=bool) & ~np.logical_or.reduce(
        [np.isfinite(v) for v in explicit.values()]
    )
    points = np.nan_to_num(sites["existing_points"].to_numpy(dtype=float)).astype(int)
    return explicit, by_points, points, np.nan_to_num(sites["existing_power_kw"].to_numpy(dtype=float))


def set_existing_columns(hubs: pd.DataFrame, standing: Mapping[str, Sequence[int] | np.ndarray]) -> None:
    """Write ``chargers_<type>_existing`` for every type: the points each hub had before the plan (0 for a
    type ``standing`` does not list)."""
    for t in TYPES:
        hubs[f"chargers_{t}_existing"] = np.asarray(standing.get(t, np.zeros(len(hubs))), dtype=int)


def standing_points(existing: Mapping[str, np.ndarray] | None, names: Sequence[str]) -> dict[tuple[int, int], int]:
    """Points already standing, by ``(site, type index)`` into ``names`` (only where there are any)."""
    if existing is None:
        return {}
    return {
        (int(k), ti): int(existing[name][k])
        for ti, name in enumerate(names)
        if name in existing
        for k in np.flatnonzero(existing[name])
    }


def existing_notes(
    sites: pd.DataFrame,
    existing: Mapping[str, np.ndarray],
    offered: Sequence[str],
    kept: Mapping[tuple[int, int], int],
) -> list[str]:
    """Log lines on the points at existing hubs (``existing``: :func:`existing_by_type` of ``sites``): those
    listed by ``existing_points`` whose power counts them as no type, those of types the scenario does not
    offer (neither counted), and how many the sized hubs keep (``kept``: by ``(site, type index)``)."""
    lines = []
    listed = _listed(sites)
    if listed is not None:
        _, by_points, points, _ = listed
        slow = int((points - sum(existing[t] for t in TYPES))[by_points].sum())
        if slow:
            lines.append(
                f"{slow} point(s) at existing hubs not counted: their existing_power_kw is unknown or below every "
                "charger type's power_kw (list existing_mcs / existing_ccs in the sites file to count them)"
            )
    left = {t: int(n.sum()) for t, n in existing.items() if t not in offered and n.sum() > 0}
    if left:
        said = " and ".join(f"{n} {t.upper()}" for t, n in sorted(left.items()))
        lines.append(
            f"{said} point(s) at existing hubs not counted: the scenario offers no such points "
            "(chargers.<type>.max_per_hub = 0, or sessions over chargers.max_session_min)"
        )
    if kept:
        lines.append(
            f"{len({k for k, _ in kept})} existing hub(s) keep their {sum(kept.values())} points (not paid again)"
        )
    return lines


def split_like(hubs: pd.DataFrame, extra: np.ndarray, names: Sequence[str]) -> dict[str, np.ndarray]:
    """``extra`` daily sessions at each row of ``hubs`` split between the types ``names`` as each hub's own
    ``sessions_<type>`` are (all to the first type where it has none)."""
    own = {t: hubs[f"sessions_{t}"].to_numpy(dtype=float) for t in names}
    total = sum(own.values(), np.zeros(len(hubs)))
    return {
        t: extra * np.where(total > 0, own[t] / np.maximum(total, 1e-12), 1.0 if i == 0 else 0.0)
        for i, t in enumerate(names)
    }


def points_lacking(hubs: pd.DataFrame, short: Mapping[str, np.ndarray], capex_eur: Mapping[str, float]) -> dict:
    """Sum the points each row of ``hubs`` lacks per type (``short``) into its column ``cut_points_short`` and
    return the summary entries ``points_short`` (per type), ``hubs_short`` and ``points_short_capex_eur``."""
    lacking = sum(short.values(), np.zeros(len(hubs), dtype=int))
    hubs["cut_points_short"] = lacking
    return {
        "points_short": {t: int(n.sum()) for t, n in short.items()},
        "hubs_short": int((lacking > 0).sum()),
        "points_short_capex_eur": float(sum(n.sum() * capex_eur[t] for t, n in short.items())),
    }
