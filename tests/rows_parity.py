"""Op-table rows for the differentiable ops of ``methods/extras.py`` and ``nn/extras.py``
(appended to ``rows_nn.ROWS``): addcmul/addcdiv, xlogy, logit, sinc, fmax/fmin, copysign,
deg2rad, float_power, diff, dist, cov/corrcoef, tensor_split, select, sum_to_size,
cartesian_prod, block_diag, trapezoid, rms_norm."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from op_cases import Row, distinct, nonzero, one, positive, real, two

ints = st.integers


def unit(rng, shape):
    return rng.uniform(0.1, 0.9, shape)


def three_same():
    return st.tuples(ints(1, 3), ints(1, 3)).map(lambda s: ((s, s, s), {}))


@st.composite
def mat_case(draw, min_cols=2):
    return ((draw(ints(1, 3)), draw(ints(min_cols, 4))),), {}


@st.composite
def diff_case(draw):
    shape = tuple(draw(ints(1, 4)) for _ in range(draw(ints(1, 3))))
    dim = draw(ints(-len(shape), len(shape) - 1))
    return (shape,), {"n": draw(ints(1, 2)), "dim": dim}


@st.composite
def split_case(draw):
    shape = tuple(draw(ints(1, 5)) for _ in range(draw(ints(1, 3))))
    dim = draw(ints(0, len(shape) - 1))
    sections = draw(st.one_of(ints(1, 4), st.lists(ints(0, 5), min_size=1, max_size=3)
                              .map(sorted).map(tuple)))
    return (shape,), {"sections": sections, "dim": dim}


def _np_split(x, sections, dim):
    size = x.shape[dim]
    if isinstance(sections, int):
        q, r = divmod(size, sections)
        bounds = [i * q + min(i, r) for i in range(sections + 1)]
    else:
        bounds = [0, *sections, size]
    parts = [np.take(x, range(min(lo, size), min(max(hi, lo), size)), axis=dim)
             for lo, hi in zip(bounds[:-1], bounds[1:])]
    return np.concatenate([p * (i + 1) for i, p in enumerate(parts)], axis=dim)


def _split(ns, x, sections, dim):
    parts = x.tensor_split(list(sections) if isinstance(sections, tuple) else sections, dim)
    return ns.lib.cat([p * (i + 1) for i, p in enumerate(parts)], dim)


@st.composite
def select_case(draw):
    shape = tuple(draw(ints(1, 4)) for _ in range(draw(ints(1, 3))))
    dim = draw(ints(-len(shape), len(shape) - 1))
    # (not "index": test_ops reads that key as a getitem row's index)
    return (shape,), {"dim": dim, "at": draw(ints(-shape[dim], shape[dim] - 1))}


@st.composite
def sum_to_case(draw):
    shape = tuple(draw(ints(1, 3)) for _ in range(draw(ints(1, 3))))
    keep = len(shape) - draw(ints(0, len(shape) - 1))
    target = tuple(s if draw(st.booleans()) else 1 for s in shape[len(shape) - keep:])
    return (shape,), {"size": target}


def _np_sum_to(x, size):
    lead = x.ndim - len(size)
    x = x.sum(axis=tuple(range(lead))) if lead else x
    axes = tuple(i for i, (s, n) in enumerate(zip(size, x.shape)) if s == 1 and n != 1)
    return x.sum(axis=axes, keepdims=True) if axes else x


def _np_cov(x, correction=1):
    x2 = np.atleast_2d(x)
    c = (x2 - x2.mean(1, keepdims=True)) @ (x2 - x2.mean(1, keepdims=True)).T / (
        x2.shape[1] - correction)
    return c.reshape(()) if c.shape[0] == 1 else c


def _np_corr(x):
    c = _np_cov(x)
    if c.ndim == 0:
        return c / c
    d = np.sqrt(np.diag(c))
    return np.clip(c / d[:, None] / d[None, :], -1, 1)


def _np_block(a, b, c):
    mats = [np.atleast_2d(m) for m in (a, b, c)]
    out = np.zeros((sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)))
    r = k = 0
    for m in mats:
        out[r:r + m.shape[0], k:k + m.shape[1]] = m
        r, k = r + m.shape[0], k + m.shape[1]
    return out


@st.composite
def rms_case(draw):
    shape = tuple(draw(ints(1, 3)) for _ in range(draw(ints(1, 3))))
    k = draw(ints(1, len(shape)))
    return (shape, shape[len(shape) - k:]), {"k": k}


def _np_rms(x, w, k):
    axes = tuple(range(x.ndim - k, x.ndim))
    return x / np.sqrt((x * x).mean(axis=axes, keepdims=True) + np.finfo(x.dtype).eps) * w


ROWS_PARITY: list[Row] = [
    Row("addcmul", lambda ns, a, b, c: a.addcmul(b, c, value=0.5), lambda a, b, c: a + 0.5 * b * c,
        three_same()),
    Row("addcdiv", lambda ns, a, b, c: ns.lib.addcdiv(a, b, c, value=-2.0),
        lambda a, b, c: a - 2.0 * b / c, three_same(), (real, real, positive)),
    Row("xlogy", lambda ns, a, b: ns.lib.xlogy(a, b), lambda a, b: a * np.log(b), two(),
        (real, positive)),
    Row("logit", lambda ns, x: x.logit(), lambda x: np.log(x / (1 - x)), one(), (unit,)),
    Row("sinc", lambda ns, x: x.sinc(), np.sinc, one(), (nonzero,)),
    Row("fmax", lambda ns, a, b: ns.lib.fmax(a, b), np.fmax, two(), (distinct, distinct)),
    Row("fmin", lambda ns, a, b: a.fmin(b), np.fmin, two(), (distinct, distinct)),
    Row("copysign", lambda ns, a, b: ns.lib.copysign(a, b), np.copysign, two(),
        (nonzero, nonzero)),
    Row("deg2rad", lambda ns, x: x.deg2rad() + ns.lib.rad2deg(x), lambda x: np.deg2rad(x)
        + np.rad2deg(x), one()),
    # float_power computes in float64; cast back so the float32 check of the table applies
    Row("float_power", lambda ns, x: ns.lib.float_power(x, 2.5).to(x.dtype), lambda x: x ** 2.5,
        one(), (positive,)),
    Row("diff", lambda ns, x, n, dim: x.diff(n=n, dim=dim),
        lambda x, n, dim: np.diff(x, n=n, axis=dim), diff_case()),
    Row("dist", lambda ns, a, b: ns.lib.dist(a, b, 3), lambda a, b: (np.abs(a - b) ** 3).sum()
        ** (1 / 3), two(), (distinct, distinct)),
    Row("cov", lambda ns, x: x.cov(), _np_cov, mat_case()),
    Row("corrcoef", lambda ns, x: ns.lib.corrcoef(x), _np_corr, mat_case(3), (distinct,)),
    Row("tensor_split", _split, _np_split, split_case()),
    Row("select", lambda ns, x, dim, at: x.select(dim, at),
        lambda x, dim, at: np.take(x, at, axis=dim), select_case()),
    Row("sum_to_size", lambda ns, x, size: x.sum_to_size(size), _np_sum_to, sum_to_case()),
    Row("cartesian_prod", lambda ns, a, b: ns.lib.cartesian_prod(a, b),
        lambda a, b: np.stack(np.meshgrid(a, b, indexing="ij"), -1).reshape(-1, 2),
        st.tuples(ints(1, 3), ints(1, 3)).map(lambda s: (((s[0],), (s[1],)), {}))),
    Row("block_diag", lambda ns, a, b, c: ns.lib.block_diag(a, b, c), _np_block,
        st.tuples(ints(1, 3), ints(1, 3), ints(1, 3)).map(
            lambda s: (((s[0], s[1]), (s[2],), ()), {}))),
    Row("trapezoid", lambda ns, y: ns.lib.trapezoid(y, dx=0.5), lambda y: np.trapezoid(
        y, dx=0.5, axis=-1) if hasattr(np, "trapezoid") else np.trapz(y, dx=0.5, axis=-1),
        one(min_dims=1)),
    Row("rms_norm", lambda ns, x, w, k: ns.F.rms_norm(x, x.shape[x.ndim - k:], w), _np_rms,
        rms_case(), (real, real)),
]
