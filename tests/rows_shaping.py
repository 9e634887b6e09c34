"""Op-table rows for shape and view methods (collected by ``test_ops.py``)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from op_cases import Row, expand_case

from tinygrad_gd.testing import shapes

SMALL = dict(max_dims=3, max_side=3)


def _d(draw, nd):
    """A dim of an ``nd``-D tensor (0-d tensors take 0 and -1, as torch)."""
    n = max(nd, 1)
    return draw(st.integers(-n, n - 1))


@st.composite
def like_case(draw):
    """A shape and a target it expands (or reshapes) to."""
    (shape,), params = draw(expand_case(allow_minus_one=False))
    return (shape,), {"target": params["target"]}


@st.composite
def reshape_as_case(draw):
    shape = draw(shapes(**SMALL))
    size = int(np.prod(shape, dtype=np.int64))
    return (shape,), {"target": draw(st.sampled_from([(size,), (1, size), tuple(reversed(shape))]))}


@st.composite
def unflatten_case(draw):
    shape = draw(shapes(min_dims=1, **SMALL))
    d = _d(draw, len(shape))
    n = shape[d]
    splits = [(n,), (1, n), (n, 1), (-1,), (1, -1)] + ([(2, n // 2), (2, -1)] if n % 2 == 0 and n
                                                        else [])
    return (shape,), {"dim": d, "sizes": draw(st.sampled_from(splits))}


@st.composite
def movedim_case(draw):
    shape = draw(shapes(min_dims=1, **SMALL))
    nd = len(shape)
    k = draw(st.integers(1, nd))
    src = draw(st.permutations(range(nd)))[:k]
    dst = draw(st.permutations(range(nd)))[:k]
    if k == 1 and draw(st.booleans()):
        return (shape,), {"src": src[0] - nd * draw(st.integers(0, 1)), "dst": dst[0]}
    return (shape,), {"src": tuple(src), "dst": tuple(dst)}


@st.composite
def two_dims_case(draw):
    shape = draw(shapes(**SMALL))
    return (shape,), {"d0": _d(draw, len(shape)), "d1": _d(draw, len(shape))}


@st.composite
def narrow_case(draw):
    shape = draw(shapes(min_dims=1, **SMALL))
    d = _d(draw, len(shape))
    n = shape[d]
    start = draw(st.integers(-n, n)) if n else 0
    length = draw(st.integers(0, n - (start + n if start < 0 else start)))
    return (shape,), {"dim": d, "start": start, "length": length}


@st.composite
def unbind_case(draw):
    shape = draw(shapes(min_dims=1, **SMALL))
    return (shape,), {"dim": _d(draw, len(shape))}


@st.composite
def unfold_case(draw):
    shape = draw(shapes(**SMALL))
    d = _d(draw, len(shape))
    n = shape[d] if shape else 1
    return (shape,), {"dim": d, "size": draw(st.integers(0, n)), "step": draw(st.integers(1, 3))}


@st.composite
def matrix_case(draw, min_dims=2, max_dims=3):
    return (draw(shapes(min_dims=min_dims, max_dims=max_dims, max_side=3)),), {}


@st.composite
def stack_like_case(draw, kind):
    """Shapes that hstack / vstack / dstack / column_stack accept."""
    count = draw(st.integers(1, 3))
    nd = draw(st.integers(1, 3))
    base = list(draw(shapes(min_dims=nd, max_dims=nd, max_side=3)))
    axis = {"hstack": 0 if nd == 1 else 1, "vstack": 0, "dstack": 2, "column_stack": 1}[kind]
    out = []
    for _ in range(count):
        s = list(base)
        if kind == "vstack" and nd == 1:
            pass  # 1-D tensors are rows: they must agree in length
        elif kind == "dstack" and nd < 3:
            pass  # promoted by atleast_3d, which fixes every dim but the new one
        elif kind == "column_stack" and nd == 1:
            pass
        elif axis < nd:
            s[axis] = draw(st.integers(1, 3))
        out.append(tuple(s))
    if kind == "column_stack":
        out = [s[:2] for s in out]
    return tuple(out), {}


@st.composite
def atleast_case(draw):
    return (draw(shapes(max_dims=4, max_side=2)),), {}


@st.composite
def squeeze_dims_case(draw):
    shape = draw(shapes(min_dims=1, **SMALL))
    nd = len(shape)
    dims = draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd,
                         unique_by=lambda d: d % nd))
    return (shape,), {"dims": tuple(dims)}


@st.composite
def meshgrid_case(draw):
    n = draw(st.integers(1, 3))
    sizes = tuple((draw(st.integers(1, 3)),) for _ in range(n))
    return sizes, {"indexing": draw(st.sampled_from(["ij", "xy"]))}


def _const_like(ns, target, x):
    return ns.const(np.zeros(target), x)


def np_unflatten(x, dim, sizes):
    d = dim % x.ndim
    return x.reshape(x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


def np_narrow(x, dim, start, length):
    d = dim % x.ndim
    s = start + x.shape[d] if start < 0 else start
    return np.take(x, range(s, s + length), axis=d)


def np_unbind(x, dim):
    return tuple(np.moveaxis(x, dim, 0))


def np_unfold(x, dim, size, step):
    if x.ndim == 0:
        return x.reshape(1)[:size]
    d = dim % x.ndim
    n = (x.shape[d] - size) // step + 1
    idx = np.arange(n)[:, None] * step + np.arange(size)[None, :]
    return np.moveaxis(np.take(x, idx, axis=d), d + 1, -1)


def np_swap(x, d0, d1):
    return x if x.ndim == 0 else np.swapaxes(x, d0, d1)


def np_atleast(n):
    def ref(x):
        if x.ndim >= n:
            return x
        if n == 3 and x.ndim == 2:
            return x[..., None]
        if n == 3 and x.ndim == 1:
            return x[None, :, None]
        return x.reshape((1,) * (n - max(x.ndim, 1)) + (x.shape or (1,)))
    return ref


def np_squeeze_dims(x, dims):
    axes = tuple(d % x.ndim for d in dims if x.shape[d] == 1)
    return np.squeeze(x, axis=axes) if axes else x


ROWS: list[Row] = [
    Row("expand_as", lambda ns, x, target: x.expand_as(_const_like(ns, target, x)),
        lambda x, target: np.broadcast_to(x, target), like_case()),
    Row("view_as", lambda ns, x, target: x.view_as(_const_like(ns, target, x)),
        lambda x, target: x.reshape(target), reshape_as_case()),
    Row("reshape_as", lambda ns, x, target: x.reshape_as(_const_like(ns, target, x)),
        lambda x, target: x.reshape(target), reshape_as_case()),
    Row("ravel", lambda ns, x: ns.lib.ravel(x * 1.0), lambda x: x.reshape(-1),
        st.builds(lambda s: ((s,), {}), shapes(**SMALL))),
    Row("unflatten", lambda ns, x, dim, sizes: x.unflatten(dim, sizes), np_unflatten,
        unflatten_case()),
    Row("movedim", lambda ns, x, src, dst: x.movedim(src, dst),
        lambda x, src, dst: np.moveaxis(x, src, dst), movedim_case()),
    Row("moveaxis_fn", lambda ns, x, src, dst: ns.lib.moveaxis(x, src, dst),
        lambda x, src, dst: np.moveaxis(x, src, dst), movedim_case()),
    Row("swapaxes", lambda ns, x, d0, d1: x.swapaxes(d0, d1), np_swap, two_dims_case()),
    Row("swapdims_fn", lambda ns, x, d0, d1: ns.lib.swapdims(x, d0, d1), np_swap,
        two_dims_case()),
    Row("narrow", lambda ns, x, dim, start, length: x.narrow(dim, start, length), np_narrow,
        narrow_case()),
    Row("unbind", lambda ns, x, dim: x.unbind(dim), np_unbind, unbind_case()),
    Row("unfold", lambda ns, x, dim, size, step: x.unfold(dim, size, step), np_unfold,
        unfold_case()),
    Row("t", lambda ns, x: x.t(), lambda x: x.T, matrix_case(0, 2)),
    Row("t_fn", lambda ns, x: ns.lib.t(x), lambda x: x.T, matrix_case(0, 2)),
    Row("mT", lambda ns, x: x.mT, lambda x: np.swapaxes(x, -1, -2), matrix_case()),
    Row("mH", lambda ns, x: x.mH, lambda x: np.swapaxes(x, -1, -2), matrix_case()),
    Row("H", lambda ns, x: x.H, lambda x: x.T, matrix_case(2, 2)),
    Row("contiguous", lambda ns, x: (x * 2.0).contiguous(), lambda x: x * 2.0,
        st.builds(lambda s: ((s,), {}), shapes(**SMALL))),
    Row("hstack", lambda ns, *xs: ns.lib.hstack(list(xs)),
        lambda *xs: np.hstack(xs), stack_like_case("hstack")),
    Row("vstack", lambda ns, *xs: ns.lib.vstack(list(xs)),
        lambda *xs: np.vstack(xs), stack_like_case("vstack")),
    Row("dstack", lambda ns, *xs: ns.lib.dstack(list(xs)),
        lambda *xs: np.dstack(xs), stack_like_case("dstack")),
    Row("column_stack", lambda ns, *xs: ns.lib.column_stack(list(xs)),
        lambda *xs: np.column_stack(xs), stack_like_case("column_stack")),
    Row("atleast_1d", lambda ns, x: ns.lib.atleast_1d(x), np_atleast(1), atleast_case()),
    Row("atleast_2d", lambda ns, x: ns.lib.atleast_2d(x), np_atleast(2), atleast_case()),
    Row("atleast_3d", lambda ns, x: ns.lib.atleast_3d(x), np_atleast(3), atleast_case()),
    Row("squeeze_dims", lambda ns, x, dims: x.squeeze(dims), np_squeeze_dims,
        squeeze_dims_case()),
    Row("squeeze_dims_fn", lambda ns, x, dims: ns.lib.squeeze(x, dims), np_squeeze_dims,
        squeeze_dims_case()),
    Row("meshgrid", lambda ns, *xs, indexing: ns.lib.meshgrid(*xs, indexing=indexing),
        lambda *xs, indexing: tuple(np.meshgrid(*xs, indexing=indexing)), meshgrid_case()),
]
