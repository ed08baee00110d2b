"""Load above the connection within an hour: what a battery must deliver beyond the hourly means.

A hub's load at an instant is the power of the sessions charging then. With Poisson arrivals (rate
``λ``), sessions of energy ``e`` at power ``P`` (lasting ``e / P``), the load is a compound Poisson
process (an M/G/∞ count of sessions): mean ``L = λ ē`` and variance ``λ E[P² e / P] = P L``. Taken as
normal, ``D ~ N(L, s²)`` with ``s = √(P L)``, the energy above a connection ``C`` in one hour is

    E[(D − C)⁺] = s φ(z) + (L − C)(1 − Φ(z)),   z = (C − L) / s,

convex and decreasing in ``C``. The sizing asks the battery to deliver at least this much in every hour
(a linear model holds it through tangents at a few ``C``), and without a battery the connection must
bring it to (nearly) zero — the hourly means alone (``L ≤ C``) would let the battery run dry within
busy hours. ``P`` is the fastest offered charger's power (the largest variance: conservative).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["TANGENT_Z", "excess_allowance", "excess_tangents", "expected_excess", "load_spread"]

#: Connections, in standard deviations above the mean load, where tangents hold the convex excess.
TANGENT_Z = (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5)


def _phi(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))


def excess_allowance(load_kw):
    """Load above the connection the sizing may leave to load management in an hour (kW): 0.1 % of the
    hour's mean load plus 1 kW (a normal tail is never exactly zero)."""
    return 1e-3 * load_kw + 1.0


def load_spread(load_kw: np.ndarray, power_kw: float) -> np.ndarray:
    """Standard deviation of the instantaneous load (kW) around its hourly mean."""
    return np.sqrt(np.maximum(np.asarray(load_kw, dtype=float), 0.0) * power_kw)


def expected_excess(load_kw: np.ndarray, spread_kw: np.ndarray, connection_kw: float) -> np.ndarray:
    """Mean load above ``connection_kw`` in each hour (kW, i.e. kWh in the hour)."""
    load, s = np.asarray(load_kw, dtype=float), np.asarray(spread_kw, dtype=float)
    plain = np.maximum(load - connection_kw, 0.0)
    safe = np.where(s > 0, s, 1.0)
    z = (connection_kw - load) / safe
    value = s * _phi(z) + (load - connection_kw) * (1.0 - _cdf(z))
    return np.where(s > 0, np.maximum(value, plain), plain)


def excess_tangents(load_kw: float, spread_kw: float, at_kw: tuple[float, ...] = ()) -> list[tuple[float, float]]:
    """Tangents ``(a, b)`` with ``E[(D − C)⁺] ≥ b − a C`` for every ``C``, exact at the connections
    ``TANGENT_Z`` standard deviations from the mean load and at ``at_kw``."""
    if spread_kw <= 0 or load_kw <= 0:
        return []
    out = []
    for c in sorted({max(load_kw + z * spread_kw, 0.0) for z in TANGENT_Z} | set(at_kw)):
        zc = np.array([(c - load_kw) / spread_kw])
        slope = float(1.0 - _cdf(zc)[0])
        value = float(expected_excess(np.array([load_kw]), np.array([spread_kw]), c)[0])
        out.append((slope, value + slope * c))
    return out
