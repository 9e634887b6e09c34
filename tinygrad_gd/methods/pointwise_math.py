"""Elementwise math methods of ``Tensor``: trigonometric and hyperbolic functions and their
inverses, exponentials and logarithms, rounding, division with rounding and modulo, ``lerp``,
``hypot``, ``logaddexp``, the error functions, clamping and ``nan_to_num``.

Integer and bool inputs follow torch: the transcendental functions compute in the default float
dtype, rounding keeps integers as they are, floor division and modulo of integers stay integers
(a zero divisor raises, as torch's ``ZeroDivisionError``), and what torch refuses on integers
(``round(decimals=)``, ``frac``, ``hypot``, ``logaddexp``, ``lerp``) is refused here too.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..ops import gamma as G
from ..ops import special as S

if TYPE_CHECKING:
    from ..tensor import Tensor


def _pair(a: Tensor, other: Any) -> tuple[Tensor, Tensor]:
    """``a`` and ``other`` (a Tensor or scalar) in one dtype, by torch's promotion rules."""
    from ..tensor import _promote

    b = a._operand(other)
    if b._device != a._device:
        raise RuntimeError(f"expected both tensors on one device, found {a._device} and "
                           f"{b._device}")
    if a.dtype != b.dtype:
        a, b = _promote(a, b)
    return a, b


def _float_pair(a: Tensor, other: Any) -> tuple[Tensor, Tensor]:
    """As ``_pair``, integers and bools computing in the default float dtype."""
    a, b = _pair(a, other)
    if not backend.is_floating(a.dtype):
        a, b = a._as_float(), b._as_float()
    return a, b


def _require_float(name: str, *ts: Tensor) -> None:
    for t in ts:
        if not backend.is_floating(t.dtype):
            raise TypeError(f"{name}: needs floating-point tensors (as torch), got dtype "
                            f"{t.dtype}")


def _check_int_divisor(name: str, b: Tensor) -> None:
    if b.dtype.kind in "iub" and bool((b.data == 0).any()):
        raise ZeroDivisionError(f"{name}: integer division by zero")


def _broadcast_error(name: str, a: Tensor, b: Tensor) -> ValueError:
    return ValueError(f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast")


def _apply2(name: str, fn: Any, a: Tensor, b: Tensor, **kw: Any) -> Tensor:
    """``fn.apply(a, b)`` with the library's message for shapes that do not broadcast."""
    try:
        return fn.apply(a, b, **kw)
    except ValueError as exc:
        if "broadcast" in str(exc):
            raise _broadcast_error(name, a, b) from None
        raise


def _trunc_div_int(xp: Any, a: Any, b: Any) -> Any:
    """Integer division rounding toward zero (C's ``/``; NumPy only floors)."""
    q = xp.floor_divide(a, b)
    fix = (xp.remainder(a, b) != 0) & ((a < 0) != (b < 0))
    return q + fix.astype(q.dtype)


class MathMethods:
    """Mixin of ``Tensor``: elementwise math, rounding and division."""

    __slots__ = ()

    # ------------------------------------------------------------ trigonometric, hyperbolic
    def tan(self) -> Tensor:
        """Tangent."""
        return S.Tan.apply(self._as_float())

    def asin(self) -> Tensor:
        """Inverse sine (NaN outside [-1, 1])."""
        return S.Asin.apply(self._as_float())

    def acos(self) -> Tensor:
        """Inverse cosine (NaN outside [-1, 1])."""
        return S.Acos.apply(self._as_float())

    def atan(self) -> Tensor:
        """Inverse tangent."""
        return S.Atan.apply(self._as_float())

    def sinh(self) -> Tensor:
        """Hyperbolic sine.

        >>> import tinygrad_gd as tg
        >>> tg.tensor([0.0, 1.0]).sinh().tolist()
        [0.0, 1.175201177597046]
        """
        return S.Sinh.apply(self._as_float())

    def cosh(self) -> Tensor:
        """Hyperbolic cosine."""
        return S.Cosh.apply(self._as_float())

    def asinh(self) -> Tensor:
        """Inverse hyperbolic sine."""
        return S.Asinh.apply(self._as_float())

    def acosh(self) -> Tensor:
        """Inverse hyperbolic cosine (NaN below 1)."""
        return S.Acosh.apply(self._as_float())

    def atanh(self) -> Tensor:
        """Inverse hyperbolic tangent (+-inf at +-1, NaN outside)."""
        return S.Atanh.apply(self._as_float())

    arcsin, arccos, arctan = asin, acos, atan
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def atan2(self, other: Any) -> Tensor:
        """The angle of the point (other, self), in (-pi, pi], broadcasting."""
        a, b = _float_pair(self, other)
        return _apply2("atan2", S.Atan2, a, b)

    arctan2 = atan2

    # ---------------------------------------------------------------- exponentials, logs
    def exp2(self) -> Tensor:
        """2 to the power of each element."""
        x = self._as_float()
        return x._const(x.xp.asarray(2.0, dtype=x.dtype)) ** x

    def expm1(self) -> Tensor:
        """e^x - 1, exact for small x."""
        return S.Expm1.apply(self._as_float())

    def log2(self) -> Tensor:
        """Base-2 logarithm."""
        return S.Log2.apply(self._as_float())

    def log10(self) -> Tensor:
        """Base-10 logarithm."""
        return S.Log10.apply(self._as_float())

    def log1p(self) -> Tensor:
        """log(1 + x), exact for small x."""
        return S.Log1p.apply(self._as_float())

    def rsqrt(self) -> Tensor:
        """1 / sqrt(x)."""
        return self.sqrt().reciprocal()

    def erfc(self) -> Tensor:
        """The complementary error function 1 - erf(x), without cancellation for large x."""
        return S.Erfc.apply(self._as_float())

    def erfinv(self) -> Tensor:
        """The inverse error function (+-inf at +-1, NaN outside [-1, 1]).

        >>> import tinygrad_gd as tg
        >>> round(tg.tensor(0.5, dtype="float64").erfinv().item(), 12)
        0.476936276204
        """
        return S.Erfinv.apply(self._as_float())

    def lgamma(self) -> Tensor:
        """log |Gamma(x)| (inf at 0, -1, -2, ...); its gradient is ``digamma``.

        >>> import tinygrad_gd as tg
        >>> round(tg.tensor(0.5, dtype="float64").lgamma().item(), 12)    # log sqrt(pi)
        0.572364942925
        """
        return G.Lgamma.apply(self._as_float())

    def digamma(self) -> Tensor:
        """The derivative of ``lgamma`` (psi); its gradient is ``polygamma(1, x)``."""
        return G.Digamma.apply(self._as_float())

    def polygamma(self, n: int) -> Tensor:
        """The n-th derivative of ``digamma`` (``n = 0``: digamma itself)."""
        n = G.check_order(n)
        x = self._as_float()
        return G.Digamma.apply(x) if n == 0 else G.Polygamma.apply(x, n=n)

    def mvlgamma(self, p: int) -> Tensor:
        """The multivariate log-gamma of dimension ``p``: ``p(p-1)/4 log(pi) + sum_j
        lgamma(x - j/2)`` for ``j < p`` (every element must exceed ``(p - 1) / 2``)."""
        if isinstance(p, bool) or not isinstance(p, int) or p < 1:
            raise ValueError(f"mvlgamma: p must be a positive int, got {p!r}")
        x = self._as_float()
        if not bool((x > (p - 1) / 2).all().item()):
            raise ValueError(f"mvlgamma: all elements must be greater than (p-1)/2 = "
                             f"{(p - 1) / 2}")
        total = x.lgamma()
        for j in range(1, p):
            total = total + (x - j / 2).lgamma()
        return total + p * (p - 1) / 4 * math.log(math.pi)

    def logaddexp(self, other: Any) -> Tensor:
        """log(e^self + e^other) without overflow."""
        a, b = _pair(self, other)
        _require_float("logaddexp", a)
        return _apply2("logaddexp", S.LogAddExp, a, b)

    def logaddexp2(self, other: Any) -> Tensor:
        """log2(2^self + 2^other) without overflow."""
        a, b = _pair(self, other)
        _require_float("logaddexp2", a)
        return _apply2("logaddexp2", S.LogAddExp, a, b, base=2.0)

    def hypot(self, other: Any) -> Tensor:
        """sqrt(self^2 + other^2) without overflow."""
        a, b = _pair(self, other)
        _require_float("hypot", a)
        return _apply2("hypot", S.Hypot, a, b)

    # ------------------------------------------------------------------------- signs
    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of each element (0 for NaN, bools stay bools, as torch);
        gradient 0."""
        if self.dtype.kind == "b":
            return self._const(self.data.copy())
        out = self.xp.sign(self.data)
        if self.dtype.kind == "f":
            out = self.xp.where(self.xp.isnan(self.data), 0, out).astype(self.dtype, copy=False)
        return self._stepwise(out)

    def sgn(self) -> Tensor:
        """torch's sign extended to complex numbers; for real tensors it is ``sign``."""
        return self.sign()

    # ----------------------------------------------------------------------- rounding
    def _stepwise(self, out: Any, *others: Tensor) -> Tensor:
        """A piecewise-constant result ``out`` of self (and others): zero gradient, as torch."""
        if not backend.is_floating(out.dtype):
            return self._const(out)
        if isinstance(out, np.generic):
            out = np.asarray(out)
        return S.Stepwise.apply(self, *others, out=out)

    def _rounding(self, name: str, fn: Any) -> Tensor:
        if self.dtype.kind == "b":
            raise TypeError(f"{name}: not defined for bool tensors (as torch)")
        if self.dtype.kind in "iu":  # integers are already whole: a copy, as torch
            return self._const(self.data.copy())
        return self._stepwise(fn(self.data))

    def floor(self) -> Tensor:
        """The largest integer <= x; gradient 0."""
        return self._rounding("floor", self.xp.floor)

    def ceil(self) -> Tensor:
        """The smallest integer >= x; gradient 0."""
        return self._rounding("ceil", self.xp.ceil)

    def trunc(self) -> Tensor:
        """x rounded toward zero; gradient 0."""
        return self._rounding("trunc", self.xp.trunc)

    fix = trunc

    def round(self, decimals: int = 0) -> Tensor:  # noqa: A003 - torch's name
        """Round half to even (to ``decimals`` places); gradient 0.

        >>> import tinygrad_gd as tg
        >>> tg.tensor([0.5, 1.5, 2.567]).round().tolist(), tg.tensor(2.567).round(decimals=1).item()
        ([0.0, 2.0, 3.0], 2.5999999046325684)
        """
        if decimals != 0 and not backend.is_floating(self.dtype):
            raise TypeError(f"round: decimals= needs a floating-point tensor, got dtype "
                            f"{self.dtype} (as torch)")
        return self._rounding("round", lambda a: self.xp.round(a, decimals))

    def frac(self) -> Tensor:
        """x - trunc(x), the fractional part with x's sign; gradient 1."""
        _require_float("frac", self)
        return self - self.trunc()

    # ------------------------------------------------------------------------ division
    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """self / other; ``rounding_mode="trunc"`` rounds toward zero, ``"floor"`` down
        (integers then stay integers; the gradient is 0, as torch).

        >>> import tinygrad_gd as tg
        >>> a = tg.tensor([-7, 7])
        >>> a.div(2).tolist(), a.div(2, rounding_mode="trunc").tolist(), (a // 2).tolist()
        ([-3.5, 3.5], [-3, 3], [-4, 3])
        """
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("trunc", "floor"):
            raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                             f"{rounding_mode!r}")
        a, b = _pair(self, other)
        if a.dtype.kind == "b":
            raise TypeError(f"div with rounding_mode={rounding_mode!r}: not defined for bool "
                            "tensors (as torch)")
        xp = a.xp
        try:
            if a.dtype.kind in "iu":
                _check_int_divisor("div", b)
                if rounding_mode == "floor":
                    out = xp.floor_divide(a.data, b.data)
                else:
                    out = _trunc_div_int(xp, a.data, b.data)
                return a._const(out)
            with np.errstate(divide="ignore", invalid="ignore"):
                out = (xp.floor_divide(a.data, b.data) if rounding_mode == "floor"
                       else xp.trunc(a.data / b.data))
        except ValueError:
            raise _broadcast_error("div", a, b) from None
        return a._stepwise(out, b)

    divide = div

    def true_divide(self, other: Any) -> Tensor:
        """self / other (true division: integers give floats)."""
        return self / other

    def floor_divide(self, other: Any) -> Tensor:
        """``self // other``: division rounded down (integers stay integers)."""
        return self.div(other, rounding_mode="floor")

    def __floordiv__(self, other: Any) -> Tensor:
        return self.floor_divide(other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return self._operand(other).floor_divide(self)

    def _modulo(self, name: str, other: Any, floor: bool) -> Tensor:
        a, b = _pair(self, other)
        if a.dtype.kind == "b":
            raise TypeError(f"{name}: not defined for bool tensors (as torch)")
        _check_int_divisor(name, b)
        return _apply2(name, S.Fmod, a, b, floor=floor)

    def remainder(self, other: Any) -> Tensor:
        """``self % other``, Python's modulo: the result has the divisor's sign.

        >>> import tinygrad_gd as tg
        >>> (tg.tensor([-7, 7]) % 3).tolist(), tg.tensor([-7, 7]).fmod(3).tolist()
        ([2, 1], [-1, 1])
        """
        return self._modulo("remainder", other, floor=True)

    def fmod(self, other: Any) -> Tensor:
        """C's fmod: the remainder of truncated division, with the dividend's sign."""
        return self._modulo("fmod", other, floor=False)

    def __mod__(self, other: Any) -> Tensor:
        return self.remainder(other)

    def __rmod__(self, other: Any) -> Tensor:
        return self._operand(other).remainder(self)

    # ----------------------------------------------------------------- interpolation
    def lerp(self, end: Any, weight: Any) -> Tensor:
        """self + weight (end - self), ``weight`` a scalar or a tensor (broadcasting)."""
        from ..tensor import Tensor

        a, b = _pair(self, end)
        _require_float("lerp", a)
        if isinstance(weight, Tensor):
            _require_float("lerp", weight)
            return a + weight * (b - a)
        return a + (b - a) * float(weight)

    # -------------------------------------------------------------------- clamping
    def clamp_min(self, min: Any) -> Tensor:  # noqa: A002 - torch's name
        """max(x, min), the gradient passing where x >= min."""
        return self.clamp(min=min)

    def clamp_max(self, max: Any) -> Tensor:  # noqa: A002 - torch's name
        """min(x, max), the gradient passing where x <= max."""
        return self.clamp(max=max)

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None,
                   neginf: float | None = None) -> Tensor:
        """NaN -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf`` (the dtype's largest and
        smallest finite values by default); the gradient is 0 where a value was replaced.

        >>> import tinygrad_gd as tg
        >>> tg.tensor([float("nan"), float("-inf"), 1.0]).nan_to_num(neginf=-9.0).tolist()
        [0.0, -9.0, 1.0]
        """
        if not backend.is_floating(self.dtype):
            return self._const(self.data.copy())
        xp = self.xp
        out = xp.nan_to_num(self.data, nan=nan, posinf=posinf, neginf=neginf)
        slope = xp.isfinite(self.data).astype(self.dtype)
        return S.NanToNum.apply(self, out=out.astype(self.dtype, copy=False), slope=slope)

