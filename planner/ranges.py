"""Range semantics shared by the instance builder and reported in outputs.

A truck leaves its origin with ``soc_start``, is charged to ``soc_max`` at every open hub it
passes before the destination (at the origin too, if a hub is open there), must never drop
below ``soc_min`` and must arrive with at least ``soc_arrival_min``. With driver breaks
enabled, at most ``max_driving_h × speed_kmh`` km are driven between consecutive stops
(origin, hubs, destination). Distances are *driven* km: ferry and rail-shuttle legs use no
energy and add no driving time.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.scenario import BreaksConfig, VehicleConfig


@dataclass(frozen=True)
class Ranges:
    """Distances (driven km) a truck may cover on each kind of leg.

    Attributes
    ----------
    start_km
        From the origin to the first hub (``soc_start`` → ``soc_min``), capped by breaks.
    between_km
        From a hub to the next hub (``soc_max`` → ``soc_min``), capped by breaks.
    last_km
        From the last hub to the destination (``soc_max`` → ``soc_arrival_min``), capped.
    direct_km
        From origin to destination without charging (``soc_start`` → ``soc_arrival_min``).
    break_km
        The driving-time cap in km (``inf`` when breaks are disabled).
    """

    start_km: float
    between_km: float
    last_km: float
    direct_km: float
    break_km: float


def vehicle_ranges(vehicle: VehicleConfig, breaks: BreaksConfig) -> Ranges:
    """Derive the leg ranges from the vehicle and driving-time settings.

    Parameters
    ----------
    vehicle
        Battery, consumption and state-of-charge limits.
    breaks
        Driving-time rule; when enabled every leg is capped at ``max_driving_h × speed_kmh``.

    Returns
    -------
    Ranges
        The four leg ranges in driven km.
    """
    km_per_share = vehicle.battery_kwh / vehicle.consumption_kwh_per_km
    cap = breaks.max_driving_h * breaks.speed_kmh if breaks.enabled else float("inf")
    return Ranges(
        start_km=min((vehicle.soc_start - vehicle.soc_min) * km_per_share, cap),
        between_km=min((vehicle.soc_max - vehicle.soc_min) * km_per_share, cap),
        last_km=min((vehicle.soc_max - vehicle.soc_arrival_min) * km_per_share, cap),
        direct_km=min((vehicle.soc_start - vehicle.soc_arrival_min) * km_per_share, cap),
        break_km=cap,
    )
