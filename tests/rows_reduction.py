"""Op-table rows for reductions, scans, sorting (collected by ``test_ops.py``).

Ops that give ``(values, indices)`` are checked here through their values (the gradient goes to
the indices); the indices themselves are compared with torch in ``test_reduction.py``. Domains
are ``distinct`` wherever a tie would make the gradient ambiguous.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from op_cases import Row, dim_kw, distinct, np_axis, reduction

from tinygrad_gd.testing import shapes

SMALL = dict(max_dims=3, max_side=3)


def with_zeros(rng, shape):
    """Many exact zeros (one or several per slice) among nonzero values: prod's hard case."""
    return rng.choice([0.0, 0.0, -1.5, 0.5, 2.0, -0.75], shape)


@st.composite
def along(draw, k=False, allow_none=False, keep=True):
    """A shape, one ``dim`` of it (0-d tensors take 0 or -1), a ``keepdim`` and maybe ``k``."""
    shape = draw(shapes(**SMALL))
    nd = len(shape)
    choices = list(range(-max(nd, 1), max(nd, 1))) + ([None] if allow_none else [])
    dim = draw(st.sampled_from(choices))
    params = {"dim": dim, "keepdim": draw(st.booleans())} if keep else {"dim": dim}
    if k:
        n = shape[dim] if nd else 1
        if n == 0:
            shape, n = tuple(max(s, 1) for s in shape), 1
        params["k"] = draw(st.integers(1, max(n, 1)))
    return (shape,), params


def _vec(fn):
    """A NumPy reference along ``dim`` that also takes 0-d arrays (as one element)."""
    def ref(x, dim, *args, **kw):
        if x.ndim == 0:
            out = fn(x.reshape(1), 0, *args, **kw)
            return tuple(np.asarray(o).reshape(()) for o in out) if isinstance(out, tuple) else \
                np.asarray(out).reshape(())
        return fn(x, dim % x.ndim, *args, **kw)
    return ref


def _keep(out, axis, keepdim):
    return out if keepdim else np.squeeze(out, axis=axis)


def _sorted(x, axis, descending=False):
    s = np.sort(x, axis=axis)
    return np.flip(s, axis) if descending else s


def _pick(x, axis, pos, keepdim):
    return _keep(np.take(np.sort(x, axis=axis), [pos], axis=axis), axis, keepdim)


def _ref_median(x, axis, keepdim):
    return _pick(x, axis, (x.shape[axis] - 1) // 2, keepdim)


def _prod_fn(ns, x, dim, keepdim):
    return x.prod() if dim is None else x.prod(dim, keepdim=keepdim)


def _prod_ref(x, dim, keepdim):
    if dim is None:
        return np.prod(x)
    return np.prod(x, axis=np_axis(x, dim), keepdims=keepdim and x.ndim > 0)


def _lcse(x, axis):
    return np.logaddexp.accumulate(x, axis=axis)


ROWS: list[Row] = [
    # sums and products
    Row("prod", _prod_fn, _prod_ref, along(allow_none=True)),
    Row("prod_with_zeros", _prod_fn, _prod_ref, along(allow_none=True), (with_zeros,)),
    Row("sum_list_dim_dtype", lambda ns, x, axis, keepdim:
        x.sum(dim=[axis], keepdim=keepdim, dtype=x.dtype),
        lambda x, axis, keepdim: np.sum(x, axis=np_axis(x, axis), keepdims=keepdim),
        reduction(single_axis=True)),
    Row("nansum", lambda ns, x, axis, keepdim: x.nansum(**dim_kw(axis), keepdim=keepdim),
        lambda x, axis, keepdim: np.nansum(x, axis=np_axis(x, axis), keepdims=keepdim),
        reduction()),
    Row("nanmean", lambda ns, x, axis, keepdim: x.nanmean(**dim_kw(axis), keepdim=keepdim),
        lambda x, axis, keepdim: np.nanmean(x, axis=np_axis(x, axis), keepdims=keepdim),
        reduction()),
    Row("std_mean", lambda ns, x, axis, keepdim: ns.lib.std_mean(x, **dim_kw(axis),
                                                                 keepdim=keepdim),
        lambda x, axis, keepdim: (np.std(x, axis=np_axis(x, axis), keepdims=keepdim, ddof=1),
                                  np.mean(x, axis=np_axis(x, axis), keepdims=keepdim)),
        reduction(min_count=2), (distinct,)),
    Row("var_mean_correction0", lambda ns, x, axis, keepdim: ns.lib.var_mean(
        x, **dim_kw(axis), keepdim=keepdim, correction=0),
        lambda x, axis, keepdim: (np.var(x, axis=np_axis(x, axis), keepdims=keepdim),
                                  np.mean(x, axis=np_axis(x, axis), keepdims=keepdim)),
        reduction()),
    # scans
    Row("cumsum", lambda ns, x, dim: x.cumsum(dim),
        _vec(lambda x, a: np.cumsum(x, axis=a)), along(keep=False)),
    Row("cumprod", lambda ns, x, dim: x.cumprod(dim),
        _vec(lambda x, a: np.cumprod(x, axis=a)), along(keep=False)),
    Row("cumprod_with_zeros", lambda ns, x, dim: x.cumprod(dim),
        _vec(lambda x, a: np.cumprod(x, axis=a)), along(keep=False), (with_zeros,)),
    Row("logcumsumexp", lambda ns, x, dim: x.logcumsumexp(dim), _vec(_lcse), along(keep=False),
        fwd_tol=1e-10),
    Row("cummax", lambda ns, x, dim: x.cummax(dim).values,
        _vec(lambda x, a: np.maximum.accumulate(x, axis=a)), along(keep=False), (distinct,)),
    Row("cummin", lambda ns, x, dim: x.cummin(dim)[0],
        _vec(lambda x, a: np.minimum.accumulate(x, axis=a)), along(keep=False), (distinct,)),
    # max/min: whole tensor (0-d) and along a dim (values, indices)
    Row("max_all", lambda ns, x: x.max(), np.max, reduction().map(lambda c: (c[0], {})),
        (distinct,)),
    Row("min_all", lambda ns, x: ns.lib.min(x), np.min, reduction().map(lambda c: (c[0], {})),
        (distinct,)),
    Row("max_dim", lambda ns, x, dim, keepdim: x.max(dim, keepdim).values,
        _vec(lambda x, a, keepdim: np.max(x, axis=a, keepdims=keepdim)), along(), (distinct,)),
    Row("min_dim", lambda ns, x, dim, keepdim: ns.lib.min(x, dim=dim, keepdim=keepdim)[0],
        _vec(lambda x, a, keepdim: np.min(x, axis=a, keepdims=keepdim)), along(), (distinct,)),
    Row("aminmax", lambda ns, x, axis, keepdim: tuple(x.aminmax(dim=axis, keepdim=keepdim)),
        lambda x, axis, keepdim: (np.min(x, axis=np_axis(x, axis), keepdims=keepdim),
                                  np.max(x, axis=np_axis(x, axis), keepdims=keepdim)),
        reduction(single_axis=True), (distinct,)),
    # sorting and selection
    Row("sort", lambda ns, x, dim: x.sort(dim).values, _vec(_sorted), along(keep=False),
        (distinct,)),
    Row("sort_descending", lambda ns, x, dim: ns.lib.sort(x, dim=dim,
                                                        descending=True)[0],
        _vec(lambda x, a: _sorted(x, a, True)), along(keep=False), (distinct,)),
    Row("msort", lambda ns, x: ns.lib.msort(x), lambda x: np.sort(x, axis=0),
        shapes(min_dims=1, **SMALL).map(lambda s: ((s,), {})),
        (distinct,)),
    Row("topk", lambda ns, x, dim, keepdim, k: x.topk(k, dim).values,
        _vec(lambda x, a, keepdim, k: np.take(_sorted(x, a, True), range(k), axis=a)),
        along(k=True), (distinct,)),
    Row("topk_smallest", lambda ns, x, dim, keepdim, k: ns.lib.topk(x, k, dim=dim,
                                                                    largest=False)[0],
        _vec(lambda x, a, keepdim, k: np.take(_sorted(x, a), range(k), axis=a)),
        along(k=True), (distinct,)),
    Row("kthvalue", lambda ns, x, dim, keepdim, k: x.kthvalue(k, dim, keepdim).values,
        _vec(lambda x, a, keepdim, k: _pick(x, a, k - 1, keepdim)), along(k=True), (distinct,)),
    Row("median_all", lambda ns, x: x.median(), lambda x: np.sort(x.ravel())[(x.size - 1) // 2],
        reduction(min_count=1).map(lambda c: (c[0], {})), (distinct,)),
    Row("median_dim", lambda ns, x, dim, keepdim: x.median(dim, keepdim).values,
        _vec(_ref_median), along(), (distinct,)),
    Row("nanmedian_dim", lambda ns, x, dim, keepdim: x.nanmedian(dim, keepdim=keepdim)[0],
        _vec(_ref_median), along(), (distinct,)),
    Row("mode", lambda ns, x, dim, keepdim: x.mode(dim, keepdim).values,  # distinct: the min
        _vec(lambda x, a, keepdim: np.min(x, axis=a, keepdims=keepdim)), along(), (distinct,)),
    # norms torch's Tensor.norm takes beyond p >= 1
    Row("norm_fro_default", lambda ns, x, axis, keepdim: x.norm(dim=axis, keepdim=keepdim),
        lambda x, axis, keepdim: np.sqrt((x * x).sum(axis=np_axis(x, axis), keepdims=keepdim)),
        reduction(), (distinct,)),
    Row("norm_p_minus_inf", lambda ns, x, axis, keepdim: x.norm(-math.inf, axis, keepdim),
        lambda x, axis, keepdim: np.abs(x).min(axis=np_axis(x, axis), keepdims=keepdim),
        reduction(single_axis=True), (distinct,)),
    Row("norm_p_half", lambda ns, x, axis, keepdim: x.norm(0.5, axis, keepdim),
        lambda x, axis, keepdim: (np.abs(x) ** 0.5).sum(axis=np_axis(x, axis),
                                                        keepdims=keepdim) ** 2,
        reduction(single_axis=True), (distinct,)),
    Row("norm_p0", lambda ns, x, axis, keepdim: x.norm(0, axis, keepdim) * x.sum(),
        lambda x, axis, keepdim: (x != 0).sum(axis=np_axis(x, axis), keepdims=keepdim) * x.sum(),
        reduction(single_axis=True), (distinct,)),
]
