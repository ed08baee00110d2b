"""The AFIR feature: Regulation (EU) 2023/1804 Art. 4 heavy-duty targets, measured or enforced.

Modules, by idea: :mod:`.milestones` (the regulation's figures), :mod:`.scope` (the arc graph of a
tier), :mod:`.distances` (distance labels and gap runs), :mod:`.measure` (a plan's compliance),
:mod:`.windows` (spacing windows for the model), :mod:`.segments` (per-segment windows for the
network-share milestones), :mod:`.requirements` (what enforcing a milestone asks), :mod:`.model`
(its rows), :mod:`.report` (summary, table, layer), :mod:`.checks` (verifier), :mod:`.feature`.
"""

from planner.chargers import PoolSpec
from planner.features.afir.measure import AfirReport, gaps_geodataframe, measure_spacing
from planner.features.afir.milestones import (
    HDV_MILESTONES,
    PARKING_TARGETS,
    TIERS,
    URBAN_NODE_TARGETS,
    HdvMilestone,
    PoolRequirement,
    milestone_for,
)
from planner.features.afir.segments import segment_windows
from planner.features.afir.windows import spacing_windows

__all__ = [
    "AfirReport",
    "HDV_MILESTONES",
    "HdvMilestone",
    "PARKING_TARGETS",
    "PoolRequirement",
    "PoolSpec",
    "TIERS",
    "URBAN_NODE_TARGETS",
    "gaps_geodataframe",
    "measure_spacing",
    "milestone_for",
    "segment_windows",
    "spacing_windows",
]
