"""Sites the capacity model can leave closed: each is dominated by a site that can take all its trucks.

Site ``j`` is dominated by site ``k`` when every cover window holding ``j`` also holds ``k`` (so a
truck stopping at ``j`` meets every window it meets there by stopping at ``k`` instead), ``k`` costs
no more to open, and ``k`` could take every truck that passes it in its largest pool
(``D_k ≤`` the top level's capacity, ``D_k`` the trucks/day of every group with a window holding
``k``). Then in any plan the trucks charging at ``j`` can move to ``k``: a group already stopping at
``k`` meets ``j``'s windows there, so ``k``'s sessions grow by at most ``j``'s and stay within
``D_k``. Pooling makes a hub's points subadditive in its sessions — for every type, ``c₁ + c₂``
points take at least what ``c₁`` and ``c₂`` points take apart (checked on the size levels, see
:func:`superadditive`) — so ``k`` then needs no more points than ``k`` and ``j`` had together,
or its largest level, which takes all of ``D_k``; ``j``'s site cost is saved, and no truck
charges more often. Hence some optimal plan opens no dominated site, closing them keeps the optimum,
and a bound on the reduced model holds for the whole one.

Following dominators from a dominated site ends at one that is not dominated, and the conditions
(inclusion, cost, ``D ≤`` capacity of the dominator) carry along the chain, so all dominated sites
can be closed at once (:func:`dominated`; the order: more windows, then a lower cost, then a lower
index, so among sites with the same windows and cost the lowest index is kept). Measured on
``europe-2030-capacity`` (4,000 flows): 1,238 of the 2,054 sites in a window are dominated.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from planner.features.capacity.model import CapacitySpec, TypeLevels, site_reach

__all__ = ["dominated", "dominated_sites", "superadditive"]


def superadditive(levels: TypeLevels) -> bool:
    """Whether ``c₁ + c₂`` points of this type take at least what ``c₁`` and ``c₂`` take apart (or all the
    largest level takes), for every pair of levels whose sum is at most the largest (pooling; a queue of
    ``c₁ + c₂`` servers). A sum that is not itself a level counts as not superadditive.

    The largest level may be cut to the scenario's total sessions
    (:func:`~planner.features.capacity.levels.capacity_levels`), hence the cap at its capacity: no
    site ever needs more."""
    cap = dict(zip(levels.servers, levels.capacity, strict=True))
    most = max(levels.servers)
    top = max(levels.capacity)
    return all(
        a + b in cap and cap[a + b] >= min(cap[a] + cap[b], top) - 1e-9
        for a in levels.servers
        for b in levels.servers
        if a + b <= most
    )


def dominated_sites(
    group_windows: Sequence[Sequence[tuple[int, ...]]],
    group_volume: np.ndarray,
    spec: CapacitySpec,
    site_cost: np.ndarray,
    locked: np.ndarray,
) -> list[int]:
    """Sites that some other site dominates (module docstring), in increasing order.

    Parameters
    ----------
    group_windows
        Each flow group's cover windows (site indices).
    group_volume
        Trucks/day of each group.
    spec
        The size levels; with a type whose levels are not superadditive nothing is dominated.
    site_cost
        Cost of opening each site (before its points).
    locked
        Sites that must stay open (existing hubs): never dominated, never a dominator.
    """
    if not all(superadditive(t) for t in spec.types):
        return []
    top = min(t.capacity[-1] for t in spec.types)  # any one type's largest level takes all of D_k
    rows: dict[int, set[Hashable]] = {}
    reach = site_reach(group_windows, group_volume, len(locked))
    r = 0
    for wins in group_windows:
        for w in wins:
            for k in w:
                rows.setdefault(k, set()).add(r)
            r += 1
    return dominated(rows, site_cost, locked, can_dominate=reach <= top)


def dominated(
    rows: Mapping[int, set[Hashable]],
    cost: np.ndarray,
    locked: np.ndarray,
    can_dominate: np.ndarray | None = None,
) -> list[int]:
    """Sites some other site dominates, in increasing order.

    Parameters
    ----------
    rows
        Site → the rows holding it (sites in no row are never dominated).
    cost
        Cost of opening each site.
    locked
        Sites that must stay open: never dominated, never a dominator.
    can_dominate
        Sites allowed to stand in for another (all unlocked ones when ``None``).
    """
    holders: dict[Hashable, list[int]] = {}
    for k in sorted(rows):
        for r in rows[k]:
            holders.setdefault(r, []).append(k)
    out = []
    for j in sorted(rows):
        mine = rows[j]
        if locked[j] or not mine:
            continue
        rarest = min(mine, key=lambda r: len(holders[r]))
        for k in holders[rarest]:
            if (
                k != j
                and not locked[k]
                and (can_dominate is None or can_dominate[k])
                and cost[k] <= cost[j]
                and (len(rows[k]) > len(mine) or cost[k] < cost[j] or k < j)
                and mine <= rows[k]
            ):
                out.append(j)
                break
    return out
