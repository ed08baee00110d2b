"""AFIR targets for heavy-duty vehicles: Regulation (EU) 2023/1804, Article 4(1), as data.

* point (a), by 31 Dec 2025: along at least 15 % of the length of the TEN-T road network, pools in
  each direction of travel at most 120 km apart, each with >= 1 400 kW and >= 1 recharging point
  of >= 350 kW;
* point (b), by 31 Dec 2027: along at least 50 % of the length of the TEN-T road network, pools in
  each direction at most 120 km apart; on the core network each pool >= 2 800 kW with >= 2 points
  of >= 350 kW, on the comprehensive network >= 1 400 kW with >= 1 point of >= 350 kW;
* point (c), by 31 Dec 2030: along the TEN-T core network, pools in each direction at most 60 km
  apart, each >= 3 600 kW with >= 2 points of >= 350 kW;
* point (d), by 31 Dec 2030: along the TEN-T comprehensive network, pools in each direction at most
  100 km apart, each >= 1 500 kW with >= 1 point of >= 350 kW;
* points (e)-(f): safe and secure parking areas, >= 2 (2027) and >= 4 (2030) recharging stations of
  >= 100 kW each; points (g)-(h): urban nodes, >= 900 kW (2025) and >= 1 800 kW (2030) aggregated
  output from stations of >= 150 kW each. These two are kept as data only (:data:`PARKING_TARGETS`,
  :data:`URBAN_NODE_TARGETS`) and are not measured here.

The derogations of the later paragraphs of Article 4 (low-traffic sections, islands, cross-border
coordination) are not modelled. The regulation applies in the EU member states (and, through the
EEA agreement, may be applied to EEA states): see :mod:`planner.features.afir.scope`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from planner.chargers import PoolSpec

__all__ = [
    "EEA_EFTA",
    "EU27",
    "TIERS",
    "PoolRequirement",
    "HdvMilestone",
    "ParkingRequirement",
    "UrbanNodeRequirement",
    "HDV_MILESTONES",
    "PARKING_TARGETS",
    "URBAN_NODE_TARGETS",
    "milestone_for",
]

TIERS: tuple[str, ...] = ("core", "comprehensive")

# fmt: off
#: Member states bound by the regulation (ISO 3166-1 alpha-2; Greece is GR).
EU27: frozenset[str] = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI",
        "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
        "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    }
)
# fmt: on
#: EEA states that may apply it through the EEA agreement (``afir.area = "eu_eea"``).
EEA_EFTA: frozenset[str] = frozenset({"IS", "LI", "NO"})
_TOL = 1e-9


@dataclass(frozen=True)
class PoolRequirement:
    """One tier's requirement at one AFIR milestone.

    Attributes
    ----------
    tier
        ``core`` or ``comprehensive``.
    max_spacing_km
        Largest distance between consecutive pools in each direction of travel.
    min_pool_kw
        Smallest total power output of a pool.
    min_points_350kw
        Smallest number of recharging points of at least 350 kW in a pool.
    article
        Where the requirement is stated.
    """

    tier: str
    max_spacing_km: float
    min_pool_kw: float
    min_points_350kw: int
    article: str

    def is_met_by(self, pool: PoolSpec) -> bool:
        """True if ``pool`` counts as a compliant pool for this requirement."""
        return pool.power_kw >= self.min_pool_kw - _TOL and pool.points_350kw >= self.min_points_350kw


@dataclass(frozen=True)
class HdvMilestone:
    """The HDV pool targets that fall due on 31 December of ``year``.

    Attributes
    ----------
    year
        The deadline is 31 December of this year.
    network_share
        Share of the network length (direction-km) that must be covered.
    share_basis
        ``network``: the share applies to the measured TEN-T road network as a whole (core and
        comprehensive together); ``tier``: it applies to each tier separately.
    requirements
        One :class:`PoolRequirement` per tier.
    article
        Where the milestone is stated.
    """

    year: int
    network_share: float
    share_basis: str
    requirements: tuple[PoolRequirement, ...]
    article: str

    @property
    def deadline(self) -> str:
        """ISO date of the deadline."""
        return f"{self.year}-12-31"

    def requirement(self, tier: str) -> PoolRequirement:
        """The requirement for ``tier`` (``core`` or ``comprehensive``)."""
        for req in self.requirements:
            if req.tier == tier:
                return req
        raise ValueError(f"unknown tier {tier!r}; use one of {', '.join(TIERS)}.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "year": self.year,
            "deadline": self.deadline,
            "network_share": self.network_share,
            "share_basis": self.share_basis,
            "article": self.article,
            "requirements": [
                {
                    "tier": r.tier,
                    "max_spacing_km": r.max_spacing_km,
                    "min_pool_kw": r.min_pool_kw,
                    "min_points_350kw": r.min_points_350kw,
                    "article": r.article,
                }
                for r in self.requirements
            ],
        }


@dataclass(frozen=True)
class ParkingRequirement:
    """HDV recharging in each safe and secure parking area (data only, not measured)."""

    year: int
    min_stations: int
    min_station_kw: float
    article: str


@dataclass(frozen=True)
class UrbanNodeRequirement:
    """HDV recharging in each TEN-T urban node (data only, not measured)."""

    year: int
    min_total_kw: float
    min_station_kw: float
    article: str


_REG = "Regulation (EU) 2023/1804"


HDV_MILESTONES: tuple[HdvMilestone, ...] = (
    HdvMilestone(
        2025,
        0.15,
        "network",
        (
            PoolRequirement("core", 120.0, 1400.0, 1, f"{_REG}, Art. 4(1)(a)"),
            PoolRequirement("comprehensive", 120.0, 1400.0, 1, f"{_REG}, Art. 4(1)(a)"),
        ),
        f"{_REG}, Art. 4(1)(a)",
    ),
    HdvMilestone(
        2027,
        0.50,
        "network",
        (
            PoolRequirement("core", 120.0, 2800.0, 2, f"{_REG}, Art. 4(1)(b)(i)"),
            PoolRequirement("comprehensive", 120.0, 1400.0, 1, f"{_REG}, Art. 4(1)(b)(ii)"),
        ),
        f"{_REG}, Art. 4(1)(b)",
    ),
    HdvMilestone(
        2030,
        1.0,
        "tier",
        (
            PoolRequirement("core", 60.0, 3600.0, 2, f"{_REG}, Art. 4(1)(c)"),
            PoolRequirement("comprehensive", 100.0, 1500.0, 1, f"{_REG}, Art. 4(1)(d)"),
        ),
        f"{_REG}, Art. 4(1)(c) and (d)",
    ),
)
"""Article 4(1)(a)-(d) HDV pool targets, by deadline."""


PARKING_TARGETS: tuple[ParkingRequirement, ...] = (
    ParkingRequirement(2027, 2, 100.0, f"{_REG}, Art. 4(1)(e)"),
    ParkingRequirement(2030, 4, 100.0, f"{_REG}, Art. 4(1)(f)"),
)
"""Article 4(1)(e)-(f): recharging stations in each safe and secure parking area."""


URBAN_NODE_TARGETS: tuple[UrbanNodeRequirement, ...] = (
    UrbanNodeRequirement(2025, 900.0, 150.0, f"{_REG}, Art. 4(1)(g)"),
    UrbanNodeRequirement(2030, 1800.0, 150.0, f"{_REG}, Art. 4(1)(h)"),
)
"""Article 4(1)(g)-(h): aggregated HDV recharging output in each urban node."""


def milestone_for(year: int) -> HdvMilestone:
    """The milestone in force at the end of ``year``: the latest one due by 31 December of ``year``.

    Raises
    ------
    ValueError
        If ``year`` is before the first deadline (2025).
    """
    if isinstance(year, bool) or int(year) != year:
        raise ValueError(f"year must be an integer, got {year!r}.")
    due = [m for m in HDV_MILESTONES if m.year <= year]
    if not due:
        raise ValueError(
            f"no AFIR HDV target is due by the end of {year}; the first falls due on 31 Dec "
            f"{HDV_MILESTONES[0].year}. Use year >= {HDV_MILESTONES[0].year}."
        )
    return due[-1]
