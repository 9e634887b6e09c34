"""Elementwise primitives with no accurate composition from other ops: inverse trigonometric and
hyperbolic functions, ``expm1``/``log1p``/``log2``/``log10``, ``erfc``/``erfinv``, and the
two-input ``atan2``, ``hypot``, ``logaddexp`` and ``fmod``/``remainder``.

Each forward is the array module's own (exact) function; each backward is written with Tensor
operations, so every one is differentiable again.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd import forward_ad as fw
from ..autograd.engine import Primitive
from .elementwise import Piecewise

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class _Unary(Primitive):
    """Base of the one-input primitives: ``forward`` calls ``xp.<ufunc>``; NumPy's domain
    warnings are silenced, since the NaN/inf results are the answer (torch is silent too)."""

    ufunc = ""

    def forward(self, a):
        xp = backend.xp_of(a)
        if xp is np:
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                return getattr(np, self.ufunc)(a)
        return getattr(xp, self.ufunc)(a)


class Tan(_Unary):
    """tan a; gradient g (1 + tan^2 a) (the saved output)."""

    ufunc = "tan"
    saves_inputs = False
    saves_output = True

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        y = self.output
        return g * (1.0 + y * y)


class Asin(_Unary):
    """asin a; gradient g / sqrt(1 - a^2)."""

    ufunc = "arcsin"

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        x = self.inputs[0]
        return g * (1.0 - x * x).rsqrt()


class Acos(_Unary):
    """acos a; gradient -g / sqrt(1 - a^2)."""

    ufunc = "arccos"

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        x = self.inputs[0]
        return -g * (1.0 - x * x).rsqrt()


class Atan(_Unary):
    """atan a; gradient g / (1 + a^2)."""

    ufunc = "arctan"

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        x = self.inputs[0]
        return g / (1.0 + x * x)


class Sinh(_Unary):
    """sinh a (exact near 0, where (e^a - e^-a)/2 cancels); gradient g cosh a."""

    ufunc = "sinh"

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        return g * self.inputs[0].cosh()


class Cosh(_Unary):
    """cosh a; gradient g sinh a."""

    ufunc = "cosh"

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        return g * self.inputs[0].sinh()


class Asinh(_Unary):
    """asinh a; gradient g / sqrt(a^2 + 1)."""

    ufunc = "arcsinh"

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        x = self.inputs[0]
        return g * (x * x + 1.0).rsqrt()


class Acosh(_Unary):
    """acosh a (a >= 1); gradient g / sqrt(a^2 - 1)."""

    ufunc = "arccosh"

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        x = self.inputs[0]
        return g * (x * x - 1.0).rsqrt()


class Atanh(_Unary):
    """atanh a (|a| < 1); gradient g / (1 - a^2)."""

    ufunc = "arctanh"

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        x = self.inputs[0]
        return g / (1.0 - x * x)


class Expm1(_Unary):
    """e^a - 1 (exact for small a); gradient g (y + 1) from the saved output."""

    ufunc = "expm1"
    saves_inputs = False
    saves_output = True

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        return g * (self.output + 1.0)


class Log1p(_Unary):
    """log(1 + a) (exact for small a); gradient g / (1 + a)."""

    ufunc = "log1p"

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        return g / (self.inputs[0] + 1.0)


class Log2(_Unary):
    """log2 a (exact at powers of two, which log(a)/log(2) is not); gradient g / (a ln 2)."""

    ufunc = "log2"

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        return g / (self.inputs[0] * math.log(2.0))


class Log10(_Unary):
    """log10 a (exact at powers of ten); gradient g / (a ln 10)."""

    ufunc = "log10"

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        return g / (self.inputs[0] * math.log(10.0))


_np_erfc = np.frompyfunc(math.erfc, 1, 1)


def erfc_array(x):
    """The complementary error function of an array, accurate where erf is near 1."""
    if not isinstance(x, np.ndarray):
        from cupyx.scipy.special import erfc as cupy_erfc

        return cupy_erfc(x)
    try:
        from scipy.special import erfc as scipy_erfc
    except ImportError:
        return np.asarray(_np_erfc(x), dtype=x.dtype)
    return scipy_erfc(x).astype(x.dtype, copy=False)


class Erfc(Primitive):
    """1 - erf a, computed directly (no cancellation for large a); gradient
    -g 2/sqrt(pi) e^(-a^2)."""

    def forward(self, a):
        return erfc_array(a)

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        x = self.inputs[0]
        return g * -_TWO_OVER_SQRT_PI * (-(x * x)).exp()


def _erfinv_numpy(x: np.ndarray) -> np.ndarray:
    """erfinv on the CPU without SciPy: Giles' single-precision rational approximation
    ("Approximating the erfinv function", 2010), then four refinement steps in float64: Halley's
    (cubic) on erf(y) = |x| for |x| < 0.5, Newton's on log erfc(y) = log(1 - |x|) above, so the
    tails near +-1 keep their accuracy."""
    shape = x.shape
    x = x.reshape(-1)  # 1-D: NumPy's 0-d results are scalars, which the erf helpers refuse
    a = np.abs(x.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        w = -np.log((1.0 - a) * (1.0 + a))
        central = w < 5.0
        wc = np.where(central, w - 2.5, 0.0)
        p = np.full_like(a, 2.81022636e-08)
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p = c + p * wc
        wt = np.where(central, 0.0, np.sqrt(w) - 3.0)
        q = np.full_like(a, -0.000200214257)
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            q = c + q * wt
        y = np.where(central, p, q) * a
        finite = a < 1.0
        y = np.where(finite, y, 0.0)
        low = a < 0.5
        log_tail = np.log(np.where(low, 1.0, 1.0 - a))  # 1 - a is exact for a >= 0.5
        for _ in range(4):
            df = _TWO_OVER_SQRT_PI * np.exp(-y * y)
            erf_y = np.asarray(backend.erf(y), dtype=np.float64)
            erfc_y = np.asarray(_np_erfc(y), dtype=np.float64)
            f = erf_y - a
            halley = f / (df + y * f)  # Halley's step (erf'' = -2 y erf'), central part
            # tails: Newton on log erfc(y) = log(1 - a), nearly quadratic in y, so a start far
            # off (the approximation is single-precision) still converges in a few steps
            newton = (log_tail - np.log(np.where(low, 1.0, erfc_y))) * erfc_y / df
            step = np.where(low, halley, newton)
            y = y - np.where(finite & (df > 0), step, 0.0)
        y = np.where(a == 1.0, np.inf, np.where(a > 1.0, np.nan, y))
        y = np.where(np.isnan(a), np.nan, y)
    return (np.sign(x) * y).astype(x.dtype, copy=False).reshape(shape)


def erfinv_array(x):
    """The inverse error function of an array (-1 -> -inf, 1 -> inf, |x| > 1 -> nan)."""
    if not isinstance(x, np.ndarray):
        from cupyx.scipy.special import erfinv as cupy_erfinv

        return cupy_erfinv(x)
    try:
        from scipy.special import erfinv as scipy_erfinv
    except ImportError:
        return _erfinv_numpy(x)
    return scipy_erfinv(x).astype(x.dtype, copy=False)


class Erfinv(Primitive):
    """The inverse error function y = erfinv a; gradient g sqrt(pi)/2 e^(y^2) (saved output)."""

    saves_inputs = False
    saves_output = True

    def forward(self, a):
        return erfinv_array(a)

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        y = self.output
        return g * (math.sqrt(math.pi) / 2.0) * (y * y).exp()


class Atan2(Primitive):
    """atan2(a, b), the angle of the point (b, a); gradients g b / r^2 and -g a / r^2 with
    r^2 = a^2 + b^2."""

    def forward(self, a, b):
        return backend.xp_of(a).arctan2(a, b)

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        a, b = self.inputs
        w = g / (a * a + b * b)
        return (w * b if self.needs_grad(0) else None), (-w * a if self.needs_grad(1) else None)


class Hypot(Primitive):
    """sqrt(a^2 + b^2) without overflow; gradients g a / y and g b / y (y the saved output)."""

    saves_output = True

    def forward(self, a, b):
        return backend.xp_of(a).hypot(a, b)

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        a, b = self.inputs
        w = g / self.output
        return (w * a if self.needs_grad(0) else None), (w * b if self.needs_grad(1) else None)


class LogAddExp(Primitive):
    """log(e^a + e^b) (``base=2``: log2(2^a + 2^b)) without overflow; gradients
    g sigmoid((a - b) ln base) and g sigmoid((b - a) ln base)."""

    def forward(self, a, b, base=None):
        self.scale = 1.0 if base is None else math.log(base)
        xp = backend.xp_of(a)
        return xp.logaddexp(a, b) if base is None else xp.logaddexp2(a, b)

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        a, b = self.inputs
        d = a - b if self.scale == 1.0 else (a - b) * self.scale
        ga = g * d.sigmoid() if self.needs_grad(0) else None
        gb = g * (-d).sigmoid() if self.needs_grad(1) else None
        return ga, gb


class Fmod(Primitive):
    """a - b q with q = trunc(a / b) (fmod, the dividend's sign) or, with ``floor=True``,
    q = floor(a / b) (remainder, the divisor's sign); gradients g and -g q (q a constant: it is
    piecewise constant, as torch's gradient has it)."""

    saves_inputs = False

    def forward(self, a, b, floor=False):
        xp = backend.xp_of(a)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = xp.remainder(a, b) if floor else xp.fmod(a, b)
            if a.dtype.kind == "f":  # only floats get a gradient: keep the quotient for it
                q = xp.floor_divide(a, b) if floor else xp.trunc(a / b)
                self.quotient = q.astype(out.dtype, copy=False)
        return out

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        gb = -g * g._const(self.quotient) if self.needs_grad(1) else None
        return (g if self.needs_grad(0) else None), gb


class Stepwise(Primitive):
    """A piecewise-constant result of its inputs (floor, ceil, round, trunc, sign, division with
    rounding): the caller computes ``out``; every gradient is 0, as torch's."""

    saves_inputs = False

    def forward(self, *arrays, out):
        return out

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        zero = g._const(backend.xp_of(g.data).zeros((), dtype=g.dtype))
        return tuple(g * zero if self.needs_grad(i) else None for i in range(len(self.inputs)))


class NanToNum(Piecewise):
    """nan_to_num: slope 1 where x is finite, 0 where a NaN or an infinity was replaced."""


class Hardtanh(Piecewise):
    """clip(x, lo, hi) with slope 1 strictly inside (lo, hi), 0 at and beyond the bounds
    (torch's hardtanh, relu6 and hardsigmoid, whose slope is 1/6)."""


class Shrink(Piecewise):
    """hardshrink, softshrink and threshold: slope 1 where the input passes, 0 elsewhere."""
