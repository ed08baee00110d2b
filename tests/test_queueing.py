"""Charger sizing by queueing: Erlang C, waits, session times, MILP levels."""

from __future__ import annotations

import math

import pytest

from planner.chargers import charge_hours as session_hours
from planner.features.capacity.queueing import erlang_c, expected_wait_h, min_servers, size_levels


def erlang_c_direct(c: int, a: float) -> float:
    """Textbook form with factorials (fine for small c)."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


# --- Erlang C ------------------------------------------------------------------------------------


def test_erlang_c_hand_values():
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)  # B(2,1) = 1/5; C = 2·(1/5) / (2 - 1·4/5)
    assert erlang_c(5, 4.0) == pytest.approx(0.5541, abs=5e-5)  # standard table value
    assert erlang_c(1, 0.3) == pytest.approx(0.3)  # M/M/1: P(wait) = ρ


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (3, 2.2), (7, 5.9), (12, 3.0), (20, 19.5)])
def test_erlang_c_matches_factorial_form(c, a):
    assert erlang_c(c, a) == pytest.approx(erlang_c_direct(c, a), rel=1e-10)


def test_erlang_c_edges_and_monotonicity():
    assert erlang_c(3, 0.0) == 0.0
    assert erlang_c(3, 3.0) == 1.0 and erlang_c(3, 7.5) == 1.0 and erlang_c(0, 0.0) == 1.0
    big = erlang_c(300, 290.0)  # no overflow
    assert 0 < big < 1
    by_c = [erlang_c(c, 4.0) for c in range(5, 15)]
    assert all(x > y for x, y in zip(by_c, by_c[1:], strict=False))
    by_a = [erlang_c(6, a) for a in (0.5, 1, 2, 3, 4, 5, 5.9)]
    assert all(x < y for x, y in zip(by_a, by_a[1:], strict=False))
    with pytest.raises(ValueError, match="servers"):
        erlang_c(2.5, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="offered_load"):
        erlang_c(2, -1.0)


# --- waits and server counts ---------------------------------------------------------------------


def test_expected_wait_hand_values():
    # M/M/1, λ = 0.5/h, s = 1 h: Wq = ρ / (μ - λ) = 0.5 / 0.5 = 1 h.
    assert expected_wait_h(1, 0.5, 1.0) == pytest.approx(1.0)
    # M/M/2, λ = 1/h, s = 1 h: C = 1/3, Wq = (1/3) / (2 - 1) = 1/3 h.
    assert expected_wait_h(2, 1.0, 1.0) == pytest.approx(1 / 3)
    # Service time in minutes scale: λ = 4/h, s = 0.75 h → a = 3 on 5 servers.
    assert expected_wait_h(5, 4.0, 0.75) == pytest.approx(erlang_c_direct(5, 3.0) / (5 / 0.75 - 4.0))


def test_expected_wait_edges():
    assert expected_wait_h(0, 0.0, 1.0) == 0.0  # no arrivals, no wait
    assert expected_wait_h(3, 0.0, 1.0) == 0.0
    assert expected_wait_h(2, 2.0, 1.0) == math.inf  # a = c
    assert expected_wait_h(0, 0.1, 1.0) == math.inf
    with pytest.raises(ValueError, match="service_time_h"):
        expected_wait_h(2, 1.0, 0.0)


def test_min_servers():
    assert min_servers(0.0, 1.0, 0.1) == 0  # 0 sessions → 0 chargers
    assert min_servers(1.0, 1.0, 1 / 3) == 2  # exactly the M/M/2 wait above
    assert min_servers(1.0, 1.0, 0.3) == 3
    assert min_servers(1.0, 1.0, 1e-6, max_servers=3) is None
    assert min_servers(10.0, 1.0, 0.0) is None  # a zero wait cannot be met with arrivals
    for lam in (0.5, 3.0, 12.0, 40.0):
        c = min_servers(lam, 0.75, 0.25)
        assert c is not None
        assert expected_wait_h(c, lam, 0.75) <= 0.25 < expected_wait_h(c - 1, lam, 0.75)
    counts = [min_servers(lam, 0.75, 0.25) for lam in range(0, 60, 5)]
    assert counts == sorted(counts)


# --- session times -------------------------------------------------------------------------------


def test_session_hours_constant_power():
    assert session_hours(300.0, 400.0) == pytest.approx(0.75)
    assert session_hours(0.0, 400.0) == 0.0
    with pytest.raises(ValueError, match="power_kw"):
        session_hours(100.0, 0.0)
    with pytest.raises(ValueError, match="only apply with taper_soc"):
        session_hours(100.0, 400.0, soc_from=0.2)


def test_session_hours_taper_hand_values():
    # 500 kWh battery, 400 kW, 20 % → 90 %; taper from 80 % down to 50 % power at 100 %.
    # Flat part: 0.6 × 500 / 400 = 0.75 h. Taper: k = 0.5 / 0.2 = 2.5,
    # 500 / (400 × 2.5) × ln(1 / (1 - 2.5 × 0.1)) = 0.5 × ln(4/3).
    hours = session_hours(350.0, 400.0, taper_soc=0.8, soc_from=0.2, battery_kwh=500.0)
    assert hours == pytest.approx(0.75 + 0.5 * math.log(4 / 3))
    assert session_hours(350.0, 400.0, taper_soc=0.8, soc_from=0.2, soc_to=0.9, battery_kwh=500.0) == hours
    # Entirely inside the taper: 85 % → 95 %: 0.5 × ln((1 - 0.125) / (1 - 0.375)).
    inside = session_hours(50.0, 400.0, taper_soc=0.8, soc_from=0.85, battery_kwh=500.0)
    assert inside == pytest.approx(0.5 * math.log(0.875 / 0.625))
    # No taper effect below the taper point, and floor 1 means constant power.
    assert session_hours(100.0, 400.0, taper_soc=0.8, soc_from=0.1, battery_kwh=500.0) == pytest.approx(0.25)
    flat = session_hours(350.0, 400.0, taper_soc=0.8, soc_from=0.2, battery_kwh=500.0, taper_floor=1.0)
    assert flat == pytest.approx(350 / 400)
    assert hours > flat


def test_session_hours_taper_errors():
    with pytest.raises(ValueError, match="soc_from and battery_kwh"):
        session_hours(100.0, 400.0, taper_soc=0.8)
    with pytest.raises(ValueError, match="state of charge"):
        session_hours(450.0, 400.0, taper_soc=0.8, soc_from=0.2, battery_kwh=500.0)
    with pytest.raises(ValueError, match="does not match"):
        session_hours(100.0, 400.0, taper_soc=0.8, soc_from=0.2, soc_to=0.9, battery_kwh=500.0)
    with pytest.raises(ValueError, match="taper_soc"):
        session_hours(100.0, 400.0, taper_soc=1.0, soc_from=0.2, battery_kwh=500.0)


# --- MILP levels -----------------------------------------------------------------------------------


def test_size_levels_monotone_and_tight():
    s, pf, wait = 0.75, 0.1, 0.25
    levels = size_levels(300.0, s, pf, wait, max_servers=60)
    assert [lv.servers for lv in levels] == list(range(1, len(levels) + 1))
    caps = [lv.max_sessions_per_day for lv in levels]
    assert caps == sorted(caps) and caps[-1] == 300.0
    assert all(b - a > 1 for a, b in zip(caps, caps[1:], strict=False))  # each charger adds real capacity
    # c = 1 in closed form: Wq = ρ s / (1 - ρ) ≤ w ⇔ ρ ≤ w / (s + w) = 0.25 → λ = 1/3 /h → 3.33 sessions/day.
    assert caps[0] == pytest.approx(0.25 / s / pf, rel=1e-6)
    for lv in levels:
        assert lv.utilisation < 1
        assert lv.peak_arrivals_per_h == pytest.approx(lv.max_sessions_per_day * pf)
        assert expected_wait_h(lv.servers, lv.peak_arrivals_per_h, s) <= wait * (1 + 1e-9)
        if lv.max_sessions_per_day < 300:  # bisection is tight: slightly more sessions break the target
            assert expected_wait_h(lv.servers, lv.peak_arrivals_per_h * (1 + 1e-6), s) > wait
    assert min_servers(300 * pf, s, wait) == levels[-1].servers


def test_size_levels_edges():
    assert size_levels(0.0, 0.75, 0.1, 0.25, max_servers=10) == []  # 0 sessions → no chargers
    capped = size_levels(1000.0, 0.75, 0.1, 0.25, max_servers=5)
    assert len(capped) == 5 and capped[-1].max_sessions_per_day < 1000
    few = size_levels(2.0, 0.75, 0.1, 0.25, max_servers=5)
    assert [(lv.servers, lv.max_sessions_per_day) for lv in few] == [(1, 2.0)]
    with pytest.raises(ValueError, match="peak_factor"):
        size_levels(10.0, 0.75, 1.5, 0.25, max_servers=5)
    with pytest.raises(ValueError, match="max_wait_h"):
        size_levels(10.0, 0.75, 0.1, 0.0, max_servers=5)
    with pytest.raises(ValueError, match="max_servers"):
        size_levels(10.0, 0.75, 0.1, 0.25, max_servers=0)
