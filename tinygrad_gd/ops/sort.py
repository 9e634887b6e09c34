"""Sorting and selection: ``sort``, ``topk``, ``kthvalue``, ``median``, ``mode``, ``max(dim)``,
``cummax`` and their indices.

The indices are computed on arrays (they carry no gradient); the values are gathered from the
input at them with ``GatherAlong``, whose backward scatters ``g`` back to those indices
(``ScatterAddAlong``), itself differentiable. So every one of these sends the whole gradient
to the returned index, as torch does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..autograd import forward_ad as fw
from ..autograd.engine import Primitive
from .reduce import EmptyReductionError
from .scan import accumulate, scan_axis

if TYPE_CHECKING:
    from ..tensor import Tensor


def _flat_index(index: Any, axis: int, shape: tuple[int, ...]) -> Any:
    """Flat positions, in an array of ``shape``, of ``index`` along ``axis`` (the other
    dimensions of ``index`` run over ``shape``'s)."""
    xp = backend.xp_of(index)
    strides = [1] * len(shape)
    for k in range(len(shape) - 2, -1, -1):
        strides[k] = strides[k + 1] * shape[k + 1]
    flat = index.astype(np.int64) * strides[axis]
    for k, n in enumerate(index.shape):
        if k != axis:
            view = [1] * index.ndim
            view[k] = n
            flat = flat + xp.arange(n, dtype=np.int64).reshape(view) * strides[k]
    return flat


class GatherAlong(Primitive):
    """``take_along_axis(x, index, axis)`` with a constant integer ``index``; gradient: ``g``
    added back at ``index``."""

    saves_inputs = False

    def forward(self, x, index, axis):
        self.index, self.axis, self.size = index, axis, x.shape[axis]
        return backend.xp_of(x).take_along_axis(x, index, axis=axis)

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        return ScatterAddAlong.apply(g, index=self.index, axis=self.axis, size=self.size)


class ScatterAddAlong(Primitive):
    """The adjoint of ``GatherAlong``: zeros of length ``size`` along ``axis`` with ``g`` added
    at ``index`` (repeated indices accumulate, as cummax's do); gradient: ``g`` gathered."""

    saves_inputs = False

    def forward(self, g, index, axis, size):
        self.index, self.axis = index, axis
        xp = backend.xp_of(g)
        shape = list(index.shape)
        shape[axis] = size
        flat = _flat_index(index, axis, tuple(shape)).ravel()
        n = int(np.prod(shape, dtype=np.int64))
        # bincount adds the repeats in float64 (then rounds once): fast on NumPy and CuPy alike
        out = xp.bincount(flat, weights=g.ravel().astype(np.float64), minlength=n)
        return out.astype(g.dtype, copy=False).reshape(shape)

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        return GatherAlong.apply(g, index=self.index, axis=self.axis)


class Selected(Primitive):
    """A value picked from ``x`` (a whole-tensor median): the forward value is given, and the
    gradient is split evenly between the elements equal to it (``weight``), as torch does for
    ``median()`` and ``max()`` without ``dim``."""

    saves_inputs = False

    def forward(self, x, value, weight):
        self.weight, self.shape = weight, x.shape
        return value

    def jvp(self, ta, *rest):
        w = ta._const(self.weight.astype(ta.dtype, copy=False))
        return (ta * w).sum()

    def backward(self, g):
        return g.broadcast_to(self.shape) * g._const(self.weight.astype(g.dtype, copy=False))


# ---------------------------------------------------------------------------- index math


def sort_indices(a: Any, axis: int, descending: bool) -> Any:
    """Stable sort order along ``axis`` (ties keep their order, NaN counts as the largest, in
    both directions, as torch's sort)."""
    xp = backend.xp_of(a)
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")
    # ascending on the reversed slice, read backwards: descending, with ties in first-come order
    n = a.shape[axis]
    rev = xp.flip(xp.argsort(xp.flip(a, axis), axis=axis, kind="stable"), axis)
    return (n - 1) - rev


def _take(idx: Any, axis: int, start: int, stop: int) -> Any:
    sl = [slice(None)] * idx.ndim
    sl[axis] = slice(start, stop)
    return idx[tuple(sl)]


def _gather(x: Tensor, idx: Any, axis: int, keepdim: bool = True) -> tuple[Tensor, Tensor]:
    idx = idx.astype(np.int64, copy=False)
    values = GatherAlong.apply(x, index=idx, axis=axis)
    indices = x._const(idx)
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return values, indices


def _vectorised(x: Tensor, fn: Any) -> tuple[Tensor, Tensor]:
    """Run a selection on a 0-d tensor as on one element (torch accepts dim 0 / -1 there)."""
    if x.ndim:
        return fn(x)
    values, indices = fn(x.reshape(1))
    return values.reshape(()), indices.reshape(())


def _nonempty(x: Tensor, axis: int, name: str) -> None:
    if x.ndim and x.shape[axis] == 0:
        raise EmptyReductionError(f"{name}() of an empty reduction: dim {axis} of shape "
                                  f"{tuple(x.shape)} has size 0")


# ------------------------------------------------------------------------------ functions


def sort(x: Tensor, dim: int = -1, descending: bool = False) -> tuple[Tensor, Tensor]:
    """Sorted values and their indices along ``dim`` (stable)."""
    axis = scan_axis(x, dim, "sort")
    return _vectorised(x, lambda v: _gather(v, sort_indices(v.data, axis, descending), axis))


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True) -> tuple[Tensor, Tensor]:
    """The ``k`` largest (smallest) values along ``dim``, sorted, and their indices."""
    axis = scan_axis(x, dim, "topk")
    n = x.shape[axis] if x.ndim else 1
    if not 0 <= k <= n:
        raise IndexError(f"topk: k={k} is out of range for dimension {dim} of size {n}")
    return _vectorised(x, lambda v: _gather(
        v, _take(sort_indices(v.data, axis, largest), axis, 0, k), axis))


def kthvalue(x: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> tuple[Tensor, Tensor]:
    """The ``k``-th smallest value (1-based) along ``dim`` and its index."""
    axis = scan_axis(x, dim, "kthvalue")
    n = x.shape[axis] if x.ndim else 1
    if not 1 <= k <= n:
        raise IndexError(f"kthvalue: k={k} is out of range for dimension {dim} of size {n} "
                         "(k counts from 1)")
    return _vectorised(x, lambda v: _gather(
        v, _take(sort_indices(v.data, axis, False), axis, k - 1, k), axis, keepdim))


def _median_position(a: Any, axis: int, ignore_nan: bool) -> Any:
    """Where the lower median sits in the sorted slice (kept dims): NaN wins unless ignored."""
    xp = backend.xp_of(a)
    n = a.shape[axis]
    shape = list(a.shape)
    shape[axis] = 1
    if not backend.is_floating(a.dtype):
        return xp.full(shape, (n - 1) // 2, dtype=np.int64)
    nans = xp.isnan(a).sum(axis=axis, keepdims=True)
    if ignore_nan:  # NaNs sort last: the median of the others (index 0 when all are NaN)
        return xp.maximum((n - nans - 1) // 2, 0)
    # any NaN makes the median NaN (torch): pick the first NaN, which sorts to n - nans
    return xp.where(nans > 0, n - nans, (n - 1) // 2)


def median_dim(x: Tensor, dim: int, keepdim: bool, ignore_nan: bool = False,
               name: str = "median") -> tuple[Tensor, Tensor]:
    """The lower median along ``dim`` and its index (the gradient goes to that index)."""
    axis = scan_axis(x, dim, name)
    _nonempty(x, axis, name)

    def fn(v):
        xp = backend.xp_of(v.data)
        order = sort_indices(v.data, axis, False)
        pos = _median_position(v.data, axis, ignore_nan)
        return _gather(v, xp.take_along_axis(order, pos, axis=axis), axis, keepdim)

    return _vectorised(x, fn)


def median_all(x: Tensor, ignore_nan: bool = False, name: str = "median") -> Tensor:
    """The lower median of all elements, a 0-d tensor; ties share the gradient evenly."""
    if x.numel() == 0:
        raise IndexError(f"{name}(): expected a non-empty tensor, got shape {tuple(x.shape)}")
    flat = x.data.reshape(-1)
    xp = backend.xp_of(flat)
    order = sort_indices(flat, 0, False)
    pos = _median_position(flat, 0, ignore_nan)
    value = flat[order[pos]].reshape(())
    mask = (x.data == value) if not xp.isnan(value) else xp.isnan(x.data)
    weight = mask / mask.sum()
    return Selected.apply(x, value=value.copy(), weight=weight)


def mode(x: Tensor, dim: int = -1, keepdim: bool = False) -> tuple[Tensor, Tensor]:
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the
    index of its last occurrence, as torch."""
    axis = scan_axis(x, dim, "mode")
    _nonempty(x, axis, "mode")

    def fn(v):
        a = v.data
        xp = backend.xp_of(a)
        n = a.shape[axis]
        s = xp.sort(a, axis=axis)
        pos = xp.arange(n).reshape([-1 if k == axis else 1 for k in range(a.ndim)])
        pos = xp.broadcast_to(pos, s.shape)
        starts_run = xp.ones(s.shape, dtype=bool)
        _take(starts_run, axis, 1, n)[...] = _take(s, axis, 1, n) != _take(s, axis, 0, n - 1)
        start = accumulate("maximum", xp.where(starts_run, pos, 0), axis)
        ends_run = xp.ones(s.shape, dtype=bool)
        _take(ends_run, axis, 0, n - 1)[...] = _take(starts_run, axis, 1, n)
        # read backwards, a run starts where it ends: the same running maximum finds the end
        flipped_end = accumulate("maximum", xp.where(xp.flip(ends_run, axis), pos, 0), axis)
        end = (n - 1) - xp.flip(flipped_end, axis)
        best = xp.argmax(end - start, axis=axis, keepdims=True)  # first: the smallest value
        value = xp.take_along_axis(s, best, axis=axis)
        hits = xp.flip(a == value, axis)
        last = (n - 1) - xp.argmax(hits, axis=axis, keepdims=True)
        return _gather(v, last, axis, keepdim)

    return _vectorised(x, fn)


def max_dim(x: Tensor, dim: int, keepdim: bool, minimum: bool = False) -> tuple[Tensor, Tensor]:
    """``max(dim)``/``min(dim)``: values and the index of the first extreme (NaN wins); the
    gradient goes to that index only."""
    name = "min" if minimum else "max"
    axis = scan_axis(x, dim, name)
    _nonempty(x, axis, name)

    def fn(v):
        xp = backend.xp_of(v.data)
        pick = xp.argmin if minimum else xp.argmax
        return _gather(v, pick(v.data, axis=axis, keepdims=True), axis, keepdim)

    return _vectorised(x, fn)


def cummax(x: Tensor, dim: int, minimum: bool = False) -> tuple[Tensor, Tensor]:
    """Running maximum (minimum) along ``dim`` and the index where it was reached (the last one
    at ties, a NaN once seen, as torch); the gradient adds up at those indices."""
    axis = scan_axis(x, dim, "cummin" if minimum else "cummax")

    def fn(v):
        a = v.data
        xp = backend.xp_of(a)
        n = a.shape[axis]
        running = accumulate("minimum" if minimum else "maximum", a, axis)
        reached = a == running
        if backend.is_floating(a.dtype):
            reached = reached | xp.isnan(a)
        pos = xp.arange(n).reshape([-1 if k == axis else 1 for k in range(a.ndim)])
        # the latest position where the running extreme was reached (0 starts every slice)
        return _gather(v, accumulate("maximum", xp.where(reached, pos, 0), axis), axis)

    return _vectorised(x, fn)
