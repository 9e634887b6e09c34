"""Op-table rows for elementwise math, activations (collected by ``test_ops.py``)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from op_cases import SMALL, Row, nonzero, off_tenths, one, positive, real, two

from tinygrad_gd.testing import broadcastable_shapes, shapes

# ------------------------------------------------------------------------------ value domains


def inside_unit(rng, shape):
    """(-0.9, 0.9): asin, acos, atanh, erfinv (poles at +-1)."""
    return rng.uniform(-0.9, 0.9, shape)


def above_one(rng, shape):
    """acosh's domain, away from its pole at 1."""
    return rng.uniform(1.2, 3.0, shape)


def tan_domain(rng, shape):
    """Away from tan's poles at +-pi/2."""
    return rng.uniform(-1.2, 1.2, shape)


def off_integers(rng, shape):
    """0.1 to 0.4 past an integer: floor/ceil/trunc/frac jump at integers, round at halves."""
    return rng.integers(-3, 3, shape) + rng.uniform(0.1, 0.4, shape)


def off_hundredths(rng, shape):
    """k/10 + 0.02: round(decimals=1) jumps at k/10 + 0.05."""
    return rng.integers(-20, 20, shape) * 0.1 + 0.02


def wide(rng, shape):
    """(-8, 8) at least 0.2 away from 0, +-3 and +-6 (relu6, hardswish and hardsigmoid)."""
    x = rng.uniform(-8.0, 8.0, shape)
    for kink in (-6.0, -3.0, 0.0, 3.0, 6.0):
        near = np.abs(x - kink) < 0.2
        x = np.where(near, kink + 0.3, x)
    return x


def away_from_zero_big(rng, shape):
    """|x| in (0.5, 2): divisors of fmod, remainder and the rounding divisions."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


def gamma_domain(rng, shape):
    """(0.3, 6) and negatives 0.25 or more from an integer: lgamma's family has poles at 0, -1,
    -2, ..."""
    pos = rng.uniform(0.3, 6.0, shape)
    neg = -rng.integers(0, 3, shape) - rng.uniform(0.25, 0.75, shape)
    return np.where(rng.random(shape) < 0.7, pos, neg)


# --------------------------------------------------------------------------- references
_erfc = np.vectorize(math.erfc)
_lgamma = np.vectorize(math.lgamma)


def _psi(n):
    """polygamma(n, x) from mpmath (digamma for n = 0): a reference independent of ours."""
    def ref(x):
        import pytest

        mpmath = pytest.importorskip("mpmath")
        return np.vectorize(lambda v: float(mpmath.psi(n, v)))(x)
    return ref


def _erfinv_scalar(v):
    y = 0.0  # Newton from 0 converges monotonically (erf is concave on the root's side)
    for _ in range(60):
        y -= (math.erf(y) - v) / (2.0 / math.sqrt(math.pi) * math.exp(-y * y))
    return y


_erfinv = np.vectorize(_erfinv_scalar)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _trunc_div(a, b):
    return np.trunc(a / b)


# ------------------------------------------------------------------------ case strategies
def three():
    return broadcastable_shapes(3, **SMALL).map(lambda s: (s, {}))


@st.composite
def prelu_case(draw):
    rest = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    per_channel = draw(st.booleans())
    return ((n, c) + rest, (c,) if per_channel else (1,)), {}


@st.composite
def glu_case(draw):
    shape = list(draw(shapes(min_dims=1, **SMALL)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    shape[dim] = 2 * draw(st.integers(1, 2))
    return (tuple(shape),), {"dim": dim}


@st.composite
def dim_case(draw):
    shape = draw(shapes(min_dims=1, **SMALL))
    return (shape,), {"dim": draw(st.integers(-len(shape), len(shape) - 1))}


def _in_graph(method, *args):
    """``y = x * 1; y.<method>_(*args); y``: the in-place form recorded in a graph."""
    def fn(ns, x):
        y = x * 1.0
        getattr(y, method + "_")(*args)
        return y
    return fn


def _unary(name, ref, domain=real, **kw):
    return Row(name, lambda ns, x: getattr(x, name)(), ref, one(), (domain,), **kw)


ROWS: list[Row] = [
    # trigonometric and hyperbolic, and their inverses
    _unary("tan", np.tan, tan_domain),
    _unary("asin", np.arcsin, inside_unit),
    _unary("acos", np.arccos, inside_unit),
    _unary("atan", np.arctan),
    _unary("sinh", np.sinh),
    _unary("cosh", np.cosh),
    _unary("asinh", np.arcsinh),
    _unary("acosh", np.arccosh, above_one),
    _unary("atanh", np.arctanh, inside_unit),
    _unary("arcsin", np.arcsin, inside_unit),
    _unary("arctanh", np.arctanh, inside_unit),
    Row("tg_arccos", lambda ns, x: ns.lib.arccos(x), np.arccos, one(), (inside_unit,)),
    Row("tg_sinh", lambda ns, x: ns.lib.sinh(x), np.sinh, one()),
    Row("atan2", lambda ns, a, b: a.atan2(b), np.arctan2, two(), (nonzero,)),
    Row("tg_arctan2", lambda ns, a, b: ns.lib.arctan2(a, b), np.arctan2, two(), (nonzero,)),
    # exponentials and logarithms
    _unary("exp2", np.exp2),
    _unary("expm1", np.expm1),
    _unary("log2", np.log2, positive),
    _unary("log10", np.log10, positive),
    _unary("log1p", np.log1p, positive),
    _unary("rsqrt", lambda x: 1 / np.sqrt(x), positive),
    _unary("reciprocal", lambda x: 1 / x, nonzero),
    _unary("square", np.square),
    Row("tg_log1p", lambda ns, x: ns.lib.log1p(x), np.log1p, one(), (positive,)),
    Row("tg_square", lambda ns, x: ns.lib.square(x), np.square, one()),
    Row("erfc", lambda ns, x: x.erfc(), _erfc, one(), fwd_tol=1e-12),
    Row("erfinv", lambda ns, x: x.erfinv(), _erfinv, one(), (inside_unit,), fwd_tol=1e-10),
    Row("tg_erf", lambda ns, x: ns.lib.erf(x), np.vectorize(math.erf), one(), fwd_tol=1e-7),
    Row("lgamma", lambda ns, x: x.lgamma(), _lgamma, one(), (gamma_domain,), fwd_tol=1e-12),
    Row("digamma", lambda ns, x: x.digamma(), _psi(0), one(), (gamma_domain,), fwd_tol=1e-12),
    # not against torch: its trigamma is off by up to 5e-10 (relative; 1.43329915149 at 1.1,
    # where the series gives 1.43329915079, as ours and mpmath do)
    Row("polygamma1", lambda ns, x: ns.lib.polygamma(1, x), _psi(1), one(), (gamma_domain,),
        torch=False, fwd_tol=1e-12),
    Row("polygamma2", lambda ns, x: x.polygamma(2), _psi(2), one(), (gamma_domain,),
        fwd_tol=1e-12),
    Row("logaddexp", lambda ns, a, b: a.logaddexp(b), np.logaddexp, two()),
    Row("logaddexp2", lambda ns, a, b: ns.lib.logaddexp2(a, b), np.logaddexp2, two()),
    Row("hypot", lambda ns, a, b: ns.lib.hypot(a, b), np.hypot, two(), (nonzero,)),
    Row("lerp_scalar", lambda ns, a, b: a.lerp(b, 0.3), lambda a, b: a + 0.3 * (b - a), two()),
    Row("lerp_tensor", lambda ns, a, b, w: ns.lib.lerp(a, b, w),
        lambda a, b, w: a + w * (b - a), three()),
    Row("nan_to_num", lambda ns, x: x.nan_to_num(), lambda x: x, one()),
    Row("clamp_min_method", lambda ns, x: x.clamp_min(-0.6), lambda x: np.maximum(x, -0.6),
        one(), (off_tenths,)),
    Row("clamp_max_method", lambda ns, x: ns.lib.clamp_max(x, 0.3),
        lambda x: np.minimum(x, 0.3), one(), (off_tenths,)),
    # signs and rounding: zero gradients (frac's is 1)
    _unary("sign", np.sign, nonzero),
    _unary("sgn", np.sign, nonzero, torch=False),  # torch's gradient is a ZeroTensor
    _unary("floor", np.floor, off_integers),
    _unary("ceil", np.ceil, off_integers),
    _unary("trunc", np.trunc, off_integers),
    _unary("fix", np.trunc, off_integers),
    _unary("round", np.round, off_integers),
    _unary("frac", lambda x: x - np.trunc(x), off_integers),
    Row("round_decimals", lambda ns, x: x.round(decimals=1), lambda x: np.round(x, 1), one(),
        (off_hundredths,)),
    # division with rounding, modulo (a / b stays away from integers with probability ~1)
    Row("fmod", lambda ns, a, b: a.fmod(b), np.fmod, two(), (real, away_from_zero_big)),
    Row("remainder", lambda ns, a, b: a.remainder(b), np.remainder, two(),
        (real, away_from_zero_big)),
    Row("mod_operator", lambda ns, a, b: a % b, np.remainder, two(), (real, away_from_zero_big)),
    # torch has no derivative for a scalar dividend (its backward raises): checked here only
    Row("rmod_operator", lambda ns, x: 2.5 % x, lambda x: np.remainder(2.5, x), one(),
        (away_from_zero_big,), torch=False),
    Row("fmod_scalar", lambda ns, x: ns.lib.fmod(x, 0.7), lambda x: np.fmod(x, 0.7), one()),
    Row("div_floor", lambda ns, a, b: a.div(b, rounding_mode="floor"), np.floor_divide, two(),
        (real, away_from_zero_big)),
    Row("div_trunc", lambda ns, a, b: ns.lib.div(a, b, rounding_mode="trunc"), _trunc_div,
        two(), (real, away_from_zero_big)),
    Row("divide", lambda ns, a, b: a.divide(b), np.divide, two(), (real, away_from_zero_big)),
    Row("true_divide", lambda ns, a, b: ns.lib.true_divide(a, b), np.divide, two(),
        (real, away_from_zero_big)),
    # torch has no derivative for floor_divide (its backward raises): checked here only
    Row("floordiv_operator", lambda ns, a, b: a // b, np.floor_divide, two(),
        (real, away_from_zero_big), torch=False),
    Row("rfloordiv_operator", lambda ns, x: 2.5 // x, lambda x: np.floor_divide(2.5, x), one(),
        (away_from_zero_big,), torch=False),
    # activations, F forms
    Row("F.silu", lambda ns, x: ns.F.silu(x), lambda x: x * _sigmoid(x), one()),
    Row("F.mish", lambda ns, x: ns.F.mish(x), lambda x: x * np.tanh(_softplus(x)), one()),
    Row("F.elu", lambda ns, x: ns.F.elu(x, alpha=0.5), lambda x: _elu(x, 0.5), one(),
        (nonzero,)),
    Row("F.selu", lambda ns, x: ns.F.selu(x), lambda x: _SELU_SCALE * _elu(x, _SELU_ALPHA),
        one(), (nonzero,)),
    Row("tg_selu", lambda ns, x: ns.lib.selu(x), lambda x: _SELU_SCALE * _elu(x, _SELU_ALPHA),
        one(), (nonzero,)),
    Row("F.celu", lambda ns, x: ns.F.celu(x, alpha=1.5),
        lambda x: np.where(x > 0, x, 1.5 * np.expm1(np.minimum(x, 0) / 1.5)), one(),
        (nonzero,)),
    Row("F.hardtanh", lambda ns, x: ns.F.hardtanh(x, -0.6, 0.9), lambda x: np.clip(x, -0.6, 0.9),
        one(), (off_tenths,)),
    Row("F.relu6", lambda ns, x: ns.F.relu6(x), lambda x: np.clip(x, 0, 6), one(), (wide,)),
    Row("F.hardswish", lambda ns, x: ns.F.hardswish(x),
        lambda x: x * np.clip(x + 3, 0, 6) / 6, one(), (wide,)),
    # torch's float64 backward uses a float32 1/6 (a 3e-8 relative error): compared with torch
    # in test_pointwise.py at float32 precision instead
    Row("F.hardsigmoid", lambda ns, x: ns.F.hardsigmoid(x), lambda x: np.clip(x / 6 + 0.5, 0, 1),
        one(), (wide,), torch=False),
    Row("F.softsign", lambda ns, x: ns.F.softsign(x), lambda x: x / (1 + np.abs(x)), one()),
    Row("F.logsigmoid", lambda ns, x: ns.F.logsigmoid(x), lambda x: -_softplus(-x), one()),
    Row("F.tanhshrink", lambda ns, x: ns.F.tanhshrink(x), lambda x: x - np.tanh(x), one()),
    Row("F.hardshrink", lambda ns, x: ns.F.hardshrink(x, 0.5),
        lambda x: np.where(np.abs(x) > 0.5, x, 0), one(), (off_tenths,)),
    Row("hardshrink_method", lambda ns, x: x.hardshrink(0.3),
        lambda x: np.where(np.abs(x) > 0.3, x, 0), one(), (off_tenths,)),
    Row("F.softshrink", lambda ns, x: ns.F.softshrink(x, 0.5),
        lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)), one(),
        (off_tenths,)),
    Row("F.threshold", lambda ns, x: ns.F.threshold(x, 0.1, -2.0),
        lambda x: np.where(x > 0.1, x, -2.0), one(), (off_tenths,)),
    Row("F.softplus", lambda ns, x: ns.F.softplus(x, beta=2.0), lambda x: _softplus(2 * x) / 2,
        one()),
    Row("F.leaky_relu", lambda ns, x: ns.F.leaky_relu(x, 0.2),
        lambda x: np.where(x > 0, x, 0.2 * x), one(), (nonzero,)),
    Row("F.gelu", lambda ns, x: ns.F.gelu(x),
        lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))), one(), fwd_tol=1e-7),
    Row("F.relu", lambda ns, x: ns.F.relu(x), lambda x: np.maximum(x, 0), one(), (nonzero,)),
    Row("F.prelu", lambda ns, x, w: ns.F.prelu(x, w),
        lambda x, w: np.where(x > 0, x, w.reshape(w.shape + (1,) * (x.ndim - 2)) * x),
        prelu_case(), (nonzero, positive)),
    Row("F.glu", lambda ns, x, dim: ns.F.glu(x, dim),
        lambda x, dim: np.split(x, 2, axis=dim)[0] * _sigmoid(np.split(x, 2, axis=dim)[1]),
        glu_case()),
    Row("F.softmax", lambda ns, x, dim: ns.F.softmax(x, dim=dim),
        lambda x, dim: _softmax(x, dim), dim_case()),
    Row("F.log_softmax", lambda ns, x, dim: ns.F.log_softmax(x, dim),
        lambda x, dim: np.log(_softmax(x, dim)), dim_case(), fwd_tol=1e-10),
    Row("F.softmin", lambda ns, x, dim: ns.F.softmin(x, dim=dim),
        lambda x, dim: _softmax(-x, dim), dim_case()),
    # in-place forms recorded in a graph
    Row("relu__in_graph", _in_graph("relu"), lambda x: np.maximum(x, 0), one(), (nonzero,)),
    Row("sigmoid__in_graph", _in_graph("sigmoid"), _sigmoid, one()),
    Row("exp__in_graph", _in_graph("exp"), np.exp, one()),
    Row("log__in_graph", _in_graph("log"), np.log, one(), (positive,)),
    Row("clamp__in_graph", _in_graph("clamp", -0.6, 0.9), lambda x: np.clip(x, -0.6, 0.9),
        one(), (off_tenths,)),
    Row("pow__in_graph", _in_graph("pow", 3), lambda x: x ** 3, one()),
]
