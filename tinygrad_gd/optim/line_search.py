"""Line searches: pick a step size ``t`` along a direction ``d`` from ``x``.

Both work on ``phi(t) = f(x + t * d)``, a Python function of the step size that returns a float,
so they serve any optimizer (``Newton`` uses them) and any function, Tensors or not. Build ``phi``
from a loss of Tensors like this::

    phi = lambda t: f(x + t * d).item()
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

#: The step sizes ``grid`` tries by default: 2, 1, 1/2, ..., 2^-10 (times the initial step).
DEFAULT_GRID: tuple[float, ...] = tuple(2.0 ** -k for k in range(-1, 11))


class LineSearchResult(NamedTuple):
    """What a line search found: the step ``t``, ``phi(t)``, how many times it evaluated ``phi``,
    and whether it met its condition (``step`` is 0 and ``value`` is ``phi(0)`` when not)."""

    step: float
    value: float
    evaluations: int
    success: bool


def backtracking(phi: Callable[[float], float], phi0: float, slope: float, t0: float = 1.0,
                 c: float = 1e-4, rho: float = 0.5, max_iter: int = 50) -> LineSearchResult:
    """Armijo backtracking: the first ``t = t0 * rho^k`` (k = 0, 1, ...) with sufficient decrease

        phi(t) <= phi0 + c * t * slope,

    where ``phi0 = phi(0)`` and ``slope = phi'(0) = grad f(x) . d`` (negative for a descent
    direction). Non-finite values of ``phi`` count as failures (the step shrinks).

    >>> f = lambda x: (x - 3.0) ** 2              # from x = 0 along d = 6 (= -f'(0))
    >>> r = backtracking(lambda t: f(0.0 + 6.0 * t), phi0=9.0, slope=-36.0, t0=1.0)
    >>> r.step, r.value, r.success                # t = 1 overshoots to 6; t = 1/2 lands on 3
    (0.5, 0.0, True)
    """
    if not slope < 0:
        raise ValueError(f"backtracking needs a descent direction (slope = grad . d < 0), "
                         f"got slope {slope!r}")
    if not 0 < c < 1:
        raise ValueError(f"the Armijo constant c must be in (0, 1), got {c!r}")
    if not 0 < rho < 1:
        raise ValueError(f"the shrink factor rho must be in (0, 1), got {rho!r}")
    if not t0 > 0:
        raise ValueError(f"the initial step t0 must be > 0, got {t0!r}")
    t = t0
    for k in range(1, max_iter + 1):
        value = float(phi(t))
        if math.isfinite(value) and value <= phi0 + c * t * slope:
            return LineSearchResult(t, value, k, True)
        t *= rho
    return LineSearchResult(0.0, phi0, max_iter, False)


def grid(phi: Callable[[float], float], steps: Sequence[float] = DEFAULT_GRID,
         phi0: float | None = None) -> LineSearchResult:
    """Try every step size in ``steps`` and keep the one with the lowest ``phi`` (ties: the
    first). With ``phi0 = phi(0)`` given, a step is kept only if it beats it; otherwise the
    result is ``step = 0`` and ``success = False``.

    >>> r = grid(lambda t: (t - 0.3) ** 2, steps=(1.0, 0.5, 0.25, 0.125))
    >>> r.step, r.evaluations
    (0.25, 4)
    """
    steps = list(steps)
    if not steps:
        raise ValueError("grid needs at least one step size")
    best_t, best_v = 0.0, math.inf
    for t in steps:
        value = float(phi(t))
        if math.isfinite(value) and value < best_v:
            best_t, best_v = t, value
    if best_v == math.inf or (phi0 is not None and not best_v < phi0):
        return LineSearchResult(0.0, math.inf if phi0 is None else phi0, len(steps), False)
    return LineSearchResult(best_t, best_v, len(steps), True)
