"""Which segments of a network-share milestone a set of open sites certifies, kept up to date.

A segment (one edge in one direction of travel) is certified when each of its windows holds an open
site (:class:`planner.features.afir.model.AfirShare`); a share group is short while its certified
direction-km stay below its share. Used by the start plan (:mod:`planner.features.afir.start`) and the
moves after the solve (:mod:`planner.features.afir.trim`). Plain arrays and site indices only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from planner.features.afir.model import AfirShare

__all__ = ["Shares", "missing_windows"]


def missing_windows(windows: tuple[tuple[int, ...], ...], opened: set[int]) -> list[tuple[int, ...]]:
    """The windows holding none of the ``opened`` sites."""
    return [w for w in windows if not any(k in opened for k in w)]


class Shares:
    """Certified segments and each share group's certified direction-km, kept up to date as sites
    open and close (only the segments with a window holding that site are re-checked)."""

    def __init__(self, share: AfirShare, opened: set[int]) -> None:
        self.share, self.opened = share, opened
        self.segments_of: dict[int, set[int]] = defaultdict(set)
        for e, (ws, ok) in enumerate(zip(share.windows, share.coverable, strict=True)):
            if ok:
                for w in ws:
                    for k in w:
                        self.segments_of[k].add(e)
        self.certified = np.zeros(len(share.windows), dtype=bool)
        self.done: dict[str, float] = defaultdict(float)
        self.recheck(range(len(share.windows)))

    def recheck(self, segments: Iterable[int]) -> None:
        """Re-evaluate ``segments`` against the open sites, updating each group's certified km."""
        sh = self.share
        for e in segments:
            now = sh.coverable[e] and not missing_windows(sh.windows[e], self.opened)
            if now != self.certified[e]:
                self.certified[e] = now
                self.done[sh.group[e]] += sh.length_km[e] if now else -sh.length_km[e]

    def toggle(self, sites: list[int], *, open_: bool) -> None:
        """Open (or close) ``sites`` and re-check the segments whose windows hold them."""
        for k in sites:
            (self.opened.add if open_ else self.opened.discard)(k)
        self.recheck(sorted(set().union(*(self.segments_of.get(k, set()) for k in sites))))

    def short(self) -> set[str]:
        """Share groups still below their share."""
        sh = self.share
        return {g for g, t in sh.total_km.items() if sh.share * t - self.done[g] > 1e-9 * max(t, 1.0)}
