"""The gamma function's family: ``lgamma`` (log |Gamma(x)|), ``digamma`` (its derivative) and
``polygamma(n, x)`` (the n-th derivative of digamma), each differentiable to any order (the
gradient of one is the next).

- ``lgamma`` is the C library's (``math.lgamma``, element by element), or SciPy's and CuPy's
  ``gammaln`` when present.
- ``digamma`` and ``polygamma`` are computed here, in float64: the recurrence
  ``psi(x) = psi(x + 1) - 1/x`` carries ``x`` up to 10 or more, where the asymptotic series
  (Bernoulli numbers) is accurate to about 1e-16.
- ``digamma`` of ``x < 0.5`` uses the reflection ``psi(1 - x) - pi / tan(pi x)``.

At the poles (0, -1, -2, ...) the values are torch's: ``lgamma`` is inf, ``digamma`` is -inf at
0 and NaN below, and ``polygamma`` is +-inf.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import forward_ad as fw
from ..autograd.engine import Primitive

# B_2k / (2k) for k = 1..7: digamma's asymptotic series
_DIGAMMA_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)
# B_2k / (2k)! for k = 1..8: the Euler-Maclaurin tail of the Hurwitz zeta function
_ZETA_SERIES = (1 / 6 / 2, -1 / 30 / 24, 1 / 42 / 720, -1 / 30 / 40320, 5 / 66 / 3628800,
                -691 / 2730 / 479001600, 7 / 6 / 87178291200, -3617 / 510 / 20922789888000)
_SHIFT_TO = 10.0


def _lgamma_scalar(v: float) -> float:
    try:
        return math.lgamma(v)
    except ValueError:  # a pole: 0, -1, -2, ...
        return math.inf


_LGAMMA = np.frompyfunc(_lgamma_scalar, 1, 1)


def lgamma_array(x):
    """log |Gamma(x)| of an array, in its dtype."""
    if not isinstance(x, np.ndarray):
        from cupyx.scipy.special import gammaln

        return gammaln(x)
    try:
        from scipy.special import gammaln as scipy_gammaln
    except ImportError:
        return np.asarray(_LGAMMA(x.astype(np.float64)), dtype=np.float64).astype(x.dtype)
    return scipy_gammaln(x).astype(x.dtype, copy=False)


def _shift_up(x, s: int):
    """``sum_k (x + k)^-s`` over the steps that carry ``x`` to at least 10, and where it lands."""
    total = np.zeros_like(x)
    y = x.copy()
    low = y < _SHIFT_TO
    while low.any():
        with np.errstate(divide="ignore"):
            total += np.where(low, y ** -s if s != 1 else 1 / y, 0.0)
        y = np.where(low, y + 1.0, y)
        low = y < _SHIFT_TO
    return total, y


def _digamma64(x):
    with np.errstate(invalid="ignore", divide="ignore"):
        reflect = x < 0.5
        y = np.where(reflect, 1.0 - x, x)
        total, y = _shift_up(np.where(np.isfinite(y), y, _SHIFT_TO), 1)
        inv2 = 1.0 / (y * y)
        series = np.zeros_like(y)
        for c in reversed(_DIGAMMA_SERIES):
            series = (series + c) * inv2
        out = np.log(y) - 0.5 / y - series - total
        out = np.where(reflect, out - math.pi / np.tan(math.pi * x), out)
        out = np.where(x == np.inf, np.inf, out)
        out = np.where((x <= 0) & (x == np.floor(x)), np.nan, out)  # the poles, -inf at 0
        out = np.where(x == 0, -np.inf, out)
        return np.where(np.isnan(x) | (x == -np.inf), np.nan, out)


def _polygamma64(n: int, x):
    s = n + 1
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        finite = np.isfinite(x)
        total, y = _shift_up(np.where(finite, x, _SHIFT_TO), s)
        # Hurwitz zeta(s, y) ~ y^(1-s)/(s-1) + y^-s/2 + sum_j B_2j/(2j)! (s)_(2j-1) y^(-s-2j+1)
        tail = y ** (1 - s) / (s - 1) + 0.5 * y ** -s
        rising, power = float(s), y ** (-s - 1)
        for j, c in enumerate(_ZETA_SERIES, start=1):
            tail = tail + c * rising * power
            rising *= (s + 2 * j - 1) * (s + 2 * j)
            power = power / (y * y)
        zeta = total + tail
        out = (-1.0) ** (n + 1) * math.factorial(n) * zeta
        pole = (x <= 0) & (x == np.floor(x))
        out = np.where(pole, np.inf if n % 2 else -np.inf, out)
        out = np.where(x == np.inf, 0.0, out)
        return np.where(np.isnan(x) | (x == -np.inf), np.nan, out)


def digamma_array(x):
    """psi(x) = d/dx log Gamma(x) of an array, in its dtype."""
    if not isinstance(x, np.ndarray):
        from cupyx.scipy.special import digamma

        return digamma(x)
    return _digamma64(x.astype(np.float64)).astype(x.dtype, copy=False)


def polygamma_array(n: int, x):
    """The n-th derivative of digamma (n >= 1) of an array, in its dtype."""
    if not isinstance(x, np.ndarray):
        from cupyx.scipy.special import polygamma

        return polygamma(n, x).astype(x.dtype, copy=False)
    return _polygamma64(n, x.astype(np.float64)).astype(x.dtype, copy=False)


class Lgamma(Primitive):
    """log |Gamma(a)|; gradient g digamma(a)."""

    def forward(self, a):
        return lgamma_array(a)

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        return g * Digamma.apply(self.inputs[0])


class Digamma(Primitive):
    """digamma(a); gradient g polygamma(1, a)."""

    def forward(self, a):
        return digamma_array(a)

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        return g * Polygamma.apply(self.inputs[0], n=1)


class Polygamma(Primitive):
    """polygamma(n, a) for n >= 1; gradient g polygamma(n + 1, a)."""

    def forward(self, a, n):
        self.n = n
        return polygamma_array(n, a)

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        return g * Polygamma.apply(self.inputs[0], n=self.n + 1)


def check_order(n: object) -> int:
    """``n`` as a non-negative int, or a clear error (polygamma's order)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"polygamma: n must be a non-negative int, got {n!r}")
    return int(n)


__all__ = ["Lgamma", "Digamma", "Polygamma", "lgamma_array", "digamma_array", "polygamma_array",
           "check_order"]
