"""Later years of a backward plan hold an earlier year's hubs and only those of their own they need
(:mod:`planner.features.rollout.keep`).

On a random network with every O-D flow: a year whose extra hub serves no flow the year before does
not holds the year before's hubs; one whose extra hub serves a flow, misses an AFIR window without it,
or would leave the next year over its budget keeps its own.
"""

from __future__ import annotations

import numpy as np
import pytest

from planner.features.rollout.keep import keep_earlier_hubs
from tests.test_windows import _random_cover


def _sites(seed: int):
    """The cover, a base plan, a site adding no served flow to it and one adding some."""
    *_, locked, cover, rng = _random_cover(seed)
    need = cover.servable & ~cover.free
    for _ in range(50):
        base = locked | (rng.random(len(locked)) < 0.4)
        served = cover.served(base) & need
        idle, busy = None, None
        for k in np.flatnonzero(~base).tolist():
            more = base.copy()
            more[k] = True
            gain = (cover.served(more) & need & ~served).any()
            busy = k if gain and busy is None else busy
            idle = k if not gain and idle is None else idle
        if idle is not None and busy is not None:
            return cover, locked, base, idle, busy
    pytest.skip("no base plan with both kinds of site")


def _with(base: np.ndarray, *sites: int) -> np.ndarray:
    out = base.copy()
    out[list(sites)] = True
    return out


@pytest.mark.parametrize("seed", range(4))
def test_a_year_whose_extra_hubs_serve_nothing_more_keeps_the_year_before(seed: int) -> None:
    cover, locked, base, idle, busy = _sites(seed)
    cost = np.ones(len(locked))
    sets = [base, _with(base, idle), _with(base, idle)]
    out, kept = keep_earlier_hubs(cover, sets, cost, locked, [None] * 3, [()] * 3, [None] * 3)
    assert kept == [1, 2]
    assert all(s.tolist() == base.tolist() for s in out)
    assert sets[1][idle] and sets[2][idle]  # the plan given is not modified
    # the extra hub serves a flow: the year keeps it
    sets = [base, _with(base, busy), _with(base, busy, idle)]
    out, kept = keep_earlier_hubs(cover, sets, cost, locked, [None] * 3, [()] * 3, [None] * 3)
    assert kept == [2] and out[1].tolist() == sets[1].tolist() and out[2].tolist() == sets[1].tolist()


@pytest.mark.parametrize("seed", range(4))
def test_a_year_keeps_its_hubs_for_its_afir_window_or_the_next_year_s_budget(seed: int) -> None:
    cover, locked, base, idle, busy = _sites(seed)
    cost = np.ones(len(locked))
    sets = [base, _with(base, idle), _with(base, idle, busy)]
    # year 1's AFIR window holds only the idle site
    out, kept = keep_earlier_hubs(cover, sets, cost, locked, [None] * 3, [(), ((idle,),), ()], [None] * 3)
    assert kept == [] and [s.tolist() for s in out] == [s.tolist() for s in sets]
    # year 2 adds the busy site within a budget of one hub: with year 1 on the base it would pay for two
    out, kept = keep_earlier_hubs(cover, sets, cost, locked, [None, None, 1.0], [()] * 3, [None] * 3)
    assert kept == [] and [s.tolist() for s in out] == [s.tolist() for s in sets]
    out, kept = keep_earlier_hubs(cover, sets, cost, locked, [None, None, 2.0], [()] * 3, [None] * 3)
    assert kept == [1, 2] and out[1].tolist() == base.tolist()
    assert out[2].tolist() == _with(base, busy).tolist()  # and year 2 holds the busy site, not the idle one


@pytest.mark.parametrize("seed", range(4))
def test_a_year_holds_only_the_hubs_its_flows_and_windows_need_beyond_the_year_before(seed: int) -> None:
    # Year 0 lacks the busy site, so year 1 cannot hold year 0's hubs alone; it drops its idle site (until
    # 2026-12-06 it kept every hub of its own).
    cover, locked, base, idle, busy = _sites(seed)
    cost = np.ones(len(locked))
    sets = [base, _with(base, idle, busy)]
    out, kept = keep_earlier_hubs(cover, sets, cost, locked, [None] * 2, [()] * 2, [None] * 2)
    assert kept == [1] and out[1].tolist() == _with(base, busy).tolist()
    need = cover.servable & ~cover.free
    assert ((cover.served(out[1]) & need) == (cover.served(sets[1]) & need)).all()  # every flow still served
    # an AFIR window holding both sites is met by the one the flows need; one holding only the idle site keeps it
    out, kept = keep_earlier_hubs(cover, sets, cost, locked, [None] * 2, [(), ((idle, busy),)], [None] * 2)
    assert out[1].tolist() == _with(base, busy).tolist()
    out, kept = keep_earlier_hubs(cover, sets, cost, locked, [None] * 2, [(), ((idle,),)], [None] * 2)
    assert kept == [] and out[1].tolist() == sets[1].tolist()


def test_a_year_keeps_its_hubs_for_its_share_milestone() -> None:
    from planner.features.afir.model import AfirShare

    cover, locked, base, idle, _ = _sites(0)
    cost = np.ones(len(locked))
    sets = [base, _with(base, idle)]
    share = AfirShare(2027, 1.0, (100.0,), ("network",), (((idle,),),), (True,), {"network": 100.0})
    out, kept = keep_earlier_hubs(cover, sets, cost, locked, [None] * 2, [()] * 2, [None, share])
    assert kept == [] and out[1].tolist() == sets[1].tolist()
    out, kept = keep_earlier_hubs(cover, sets, cost, locked, [None] * 2, [()] * 2, [share, None])
    assert kept == [1]  # the milestone of year 0 does not bind year 1
