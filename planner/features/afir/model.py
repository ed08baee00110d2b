"""AFIR family: spacing windows (full-network milestones) and segment shares (partial ones).

*Spacing* (2030: the whole tier). Windows come from :func:`planner.afir.spacing_windows` (one per
checkpoint of each direction of travel on the enforced tiers): ``sum_{k in W} x_k >= 1``.

*Share* (2025: 15 %, 2027: 50 % of the network length). Segments (one edge in one direction of
travel) come with the windows of :func:`planner.afir.segment_windows`: if each has an open site,
the whole segment is compliant. A binary ``c_e`` per segment with ``sum_{k in W} x_k >= c_e`` for
every window ``W`` of ``e`` (``afir_seg*``), and per share basis (the whole network, or each tier)
``sum_e len_e c_e >= share × total_len − free_len`` (``afir_share*``), where ``free_len`` is the
length of segments certified without new hubs. Segments of one basis with the same windows (an edge's
two directions, as a rule) share one ``c_e`` worth their summed length: the same feasible plans, half the
binaries and window rows, and less symmetry for the solver (measured in :func:`add_share_rows`).
Segments some checkpoint of which no candidate can serve get no variable (``c_e = 0``).

Windows holding an existing hub are always met and skipped. Every open hub is a compliant pool by
construction (the caller checks that a new hub's minimum pool meets the milestone's requirement).
This module sees site indices and lengths only. :func:`afir_part` wraps both as the feature's
:class:`~planner.features.coverage.model.ModelPart`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pulp

from planner.features.coverage.model import ModelPart, PlanningModel
from planner.features.coverage.variables import Variables
from planner.instance import PlanningInstance

__all__ = ["AfirRequirement", "AfirShare", "add_afir_share", "add_afir_spacing", "add_share_rows", "afir_part"]


@dataclass(frozen=True)
class AfirShare:
    """A network-share milestone as plain arrays (one entry per segment).

    Attributes
    ----------
    milestone_year
        Year of the milestone (2025, 2027), for names and messages.
    share
        Required share of each basis group's length.
    length_km
        Direction-km of each segment.
    group
        The share basis each segment counts for: ``network`` (one pool of all tiers) or its tier.
    windows
        Per segment, site-index windows: all met ⇒ the segment is compliant.
    coverable
        Per segment, False if some checkpoint has no candidate (the segment stays uncertified).
    total_km
        Per group, all measured direction-km (uncoverable segments included).
    """

    milestone_year: int
    share: float
    length_km: tuple[float, ...]
    group: tuple[str, ...]
    windows: tuple[tuple[tuple[int, ...], ...], ...]
    coverable: tuple[bool, ...]
    total_km: Mapping[str, float]

    def sites(self) -> set[int]:
        """Site indices in the windows of coverable segments."""
        return {k for ws, ok in zip(self.windows, self.coverable, strict=True) if ok for w in ws for k in w}

    def reachable_km(self) -> dict[str, float]:
        """Per group, the direction-km that could be certified with every candidate open."""
        out = dict.fromkeys(self.total_km, 0.0)
        for length, group, ok in zip(self.length_km, self.group, self.coverable, strict=True):
            if ok:
                out[group] += length
        return out


def add_afir_spacing(
    problem: pulp.LpProblem, instance: PlanningInstance, variables: Variables, windows: list[tuple[int, ...]]
) -> None:
    """Add ``afir_<i>``: one open site per window (locked sites satisfy a window)."""
    x = variables.open
    for i, w in enumerate(windows):
        if instance.site_locked[list(w)].any():
            continue
        problem += (pulp.lpSum(x[k] for k in w) >= 1, f"afir_{i}")


def add_share_rows(
    problem: pulp.LpProblem,
    x: Mapping[int, pulp.LpVariable],
    locked: np.ndarray,
    share: AfirShare,
    *,
    tag: str = "",
) -> dict[int, pulp.LpVariable]:
    """Add the segment-share rows on open variables ``x`` (site index → variable); return ``c_e``.

    Segments of one share group whose windows are the same share one variable (the segment listed first
    names it), so the returned mapping may give several segments the same variable. ``europe-2030-afir``
    with 4,000 flows, 120 s, 2 cores, side by side (2026-12-05): 2027 milestone 16,961 → 9,636 rows,
    800 M EUR at 6.50 % → 788 M EUR at 4.06 %; 2025 milestone bound 400 M → 404 M EUR.

    ``tag`` keeps names unique when the rows are added once per planning year.
    """
    c: dict[int, pulp.LpVariable] = {}
    free: dict[str, float] = defaultdict(float)
    twin: dict[tuple, pulp.LpVariable] = {}  # (group, windows) → the variable of the first such segment
    km: dict[str, dict[tuple, float]] = defaultdict(lambda: defaultdict(float))  # group → twin key → km
    for e, (length, group, wins, ok) in enumerate(
        zip(share.length_km, share.group, share.windows, share.coverable, strict=True)
    ):
        if not ok:
            continue
        todo = sorted({tuple(sorted(w)) for w in wins if not locked[list(w)].any()})
        if not todo:
            free[group] += length
            continue
        key = (group, tuple(todo))
        if key not in twin:  # segments with the same windows (both directions of an edge) share one
            twin[key] = c_e = problem.add_variable(f"afir_seg{tag}_{e}", 0, 1, cat=pulp.LpBinary)
            for i, w in enumerate(todo):
                problem += (pulp.lpSum(x[k] for k in w) >= c_e, f"afir_seg{tag}_{e}_w{i}")
        c[e] = twin[key]
        km[group][key] += length
    for group, total in sorted(share.total_km.items()):
        need = share.share * total - free[group]
        terms = [length * twin[key] for key, length in km[group].items()]
        if need > 0:
            problem += (pulp.lpSum(terms) >= need, f"afir_share{tag}_{group}")
    return c


def add_afir_share(
    problem: pulp.LpProblem, instance: PlanningInstance, variables: Variables, share: AfirShare | None
) -> dict[int, pulp.LpVariable]:
    """Single-year model: open variables for the share's sites that have none yet, then the rows.

    Call it before the capex expression is built, so the added sites are paid for.
    """
    if share is None:
        return {}
    locked = instance.site_locked
    for k in sorted(k for k in share.sites() - set(variables.open) if not locked[k]):
        variables.open[k] = problem.add_variable(f"open_{k}", int(locked[k]), 1, cat=pulp.LpInteger)
    return add_share_rows(problem, variables.open, locked, share)


@dataclass(frozen=True)
class AfirRequirement:
    """What enforcing one AFIR milestone asks of the model.

    Attributes
    ----------
    windows
        Full spacing windows (site-index sets, one open site each) for a whole-network milestone.
    share
        The segment share of a network-share milestone (2025/2027), or None.
    """

    windows: tuple[tuple[int, ...], ...] = ()
    share: AfirShare | None = None


def _add(model: PlanningModel, req: AfirRequirement) -> None:
    model.parts["afir"] = add_afir_share(model.problem, model.instance, model.variables, req.share)


def _add_late(model: PlanningModel, req: AfirRequirement) -> None:
    add_afir_spacing(model.problem, model.instance, model.variables, list(req.windows))


def afir_part(req: AfirRequirement, locked: np.ndarray) -> ModelPart:
    """The AFIR feature's model part: share rows with the other parts' rows, spacing windows after
    the coverage rows. Every site of a window gets an open-variable up front (so that sizing parts
    give it points), except existing hubs outside the flows' windows."""
    sites = {k for w in req.windows for k in w}
    if req.share is not None:
        sites |= {k for k in req.share.sites() if not locked[k]}
    return ModelPart("afir", req, add=_add, add_late=_add_late, sites=tuple(sorted(sites)))
