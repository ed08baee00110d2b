"""Charger catalogue: session times per type, minimum pools, pool power for AFIR.

The catalogue (:class:`planner.scenario.ChargersConfig`) has two types, ``mcs`` (megawatt
charging) and ``ccs``. A session delivers a full swing ``soc_min → soc_max`` of the battery (an
upper bound on the energy a truck takes); its duration follows from the type's power and taper
(:func:`planner.queueing.session_hours`) plus the plug-in overhead. A type is *offered* for
sizing if hubs may have points of it and its session fits ``chargers.max_session_min``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from planner.afir import PoolSpec
from planner.errors import ScenarioError
from planner.queueing import session_hours
from planner.scenario import ChargersConfig, ChargerType, Scenario, VehicleConfig

__all__ = [
    "TYPES",
    "OfferedType",
    "type_session_h",
    "offered_types",
    "pool_of",
    "min_counts",
    "min_pool_capex",
    "hub_power_kw",
]

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
        hours = session_hours(energy, charger.power_kw)
    else:
        hours = session_hours(
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
                f"{scenario.name}: chargers.{name}.min_per_hub={spec.min_per_hub} but a {name} session takes "
                f"{hours * 60:.0f} min, over chargers.max_session_min={cat.max_session_min:g}; set min_per_hub = 0 "
                "or raise max_session_min."
            )
        if spec.max_per_hub > 0 and not too_long:
            out.append(OfferedType(name, spec, hours))
    if not out:
        raise ScenarioError(
            f"{scenario.name}: no charger type can be used: every session is longer than chargers.max_session_min="
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
