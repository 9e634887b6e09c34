"""Reduction primitives (``Sum``, ``Max``) and the reductions composed from them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .. import backend
from ..autograd import forward_ad as fw
from ..autograd.engine import Primitive

if TYPE_CHECKING:
    from ..tensor import Tensor


def normalize_axis(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative ints; ``None`` means every axis."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for ax in axes:
        if not -max(ndim, 1) <= ax < max(ndim, 1):
            raise IndexError(f"axis {ax} is out of range for a tensor with {ndim} dimension(s)")
        if ndim:  # a 0-d tensor accepts dim 0 / -1, as in torch, and has nothing to reduce
            out.append(ax % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"axis {axis} repeats a dimension")
    return tuple(sorted(out))


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape after reducing ``axes`` with ``keepdims=True``."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def array_sum(a, axes: tuple[int, ...], keepdims: bool = False):
    """``a.sum(axis=axes, keepdims=keepdims)`` of a backend array (sorted ``axes``).

    A C-ordered float matrix summed over its leading axes (a bias's gradient, ``x.sum(0)``), or
    over a short last axis (a softmax's row sums), is a product with a vector of ones: NumPy
    adds such sums up row by row, and BLAS's matrix-vector product is 1.5-10x faster there at
    1024 elements and more, and at least as accurate (half the float32 error of NumPy's
    row-by-row sum over a leading axis; over a last axis of up to 128 NumPy does not sum
    pairwise either). Elsewhere (long rows, where NumPy's pairwise sum is more accurate; other
    dtypes; CuPy) it is NumPy's own sum.
    """
    # (is_host, not type(a) is np.ndarray: tg.jit's traced arrays are a subclass, and on a GPU
    # trace is_host says False, so the replay calls what the device would)
    if (a.size >= 1024 and axes and len(axes) < a.ndim and backend.is_host(a)
            and a.dtype in _BLAS_FLOATS and a.flags.c_contiguous):
        k = len(axes)
        if axes == tuple(range(k)):  # the leading axes: ones @ (rows, rest)
            rest = a.shape[k:]
            rows = a.size // int(np.prod(rest))
            if rows >= 32:
                out = np.ones(rows, a.dtype) @ (a if a.ndim == 2 else a.reshape(rows, -1))
                return _shaped(out, (1,) * k + rest if keepdims else rest)
        elif axes == (a.ndim - 1,) and a.shape[-1] <= 128:  # a short last axis: (rest, n) @ ones
            out = (a if a.ndim == 2 else a.reshape(-1, a.shape[-1])) @ np.ones(a.shape[-1],
                                                                                 a.dtype)
            return _shaped(out, a.shape[:-1] + (1,) * keepdims)
    return a.sum(axis=axes, keepdims=keepdims)


def _shaped(a, shape: tuple[int, ...]):
    # (no reshape when the shape is already right: the result stays its own array, which
    # tg.jit can then write into again at the next step)
    return a if a.shape == shape else a.reshape(shape)


class Sum(Primitive):
    """Sum over axes; the gradient is broadcast back to the input shape."""

    saves_inputs = False

    def forward(self, a, axes, keepdims):
        self.in_shape, self.axes, self.keepdims = a.shape, axes, keepdims
        return array_sum(a, axes, keepdims)

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        if not self.keepdims:
            g = g.reshape(kept_shape(self.in_shape, self.axes))
        return g.broadcast_to(self.in_shape)


class Max(Primitive):
    """``amax`` over ``axes``. At ties the gradient is split evenly between the tied elements,
    as torch's ``amax``/``amin`` do (not routed to one index as ``max(dim)`` does)."""

    saves_inputs = False

    def forward(self, a, axes, keepdims, minimum=False):
        self.in_shape, self.axes, self.keepdims = a.shape, axes, keepdims
        red = a.min if minimum else a.max
        m = red(axis=axes, keepdims=True)
        mask = a == m
        # on a GPU the NaNs are added without asking whether there are any (that is a sync)
        if backend.is_floating(a.dtype) and (not backend.is_host(a) or not mask.any(
                axis=axes, keepdims=True).all()):
            xp = backend.xp_of(a)
            mask = mask | xp.isnan(a)  # a NaN max (torch propagates it) takes the gradient
        self.weight = mask / mask.sum(axis=axes, keepdims=True).astype(a.dtype)
        if keepdims:
            return m
        return m.reshape(tuple(s for i, s in enumerate(a.shape) if i not in axes))

    def jvp(self, ta, *rest):
        w = ta._const(self.weight.astype(ta.dtype, copy=False))
        return Sum.apply(ta * w, axes=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        if not self.keepdims:
            g = g.reshape(kept_shape(self.in_shape, self.axes))
        return g * g._const(self.weight.astype(g.dtype, copy=False))


def _reduce_args(x: Tensor, axis, keepdims, dim, keepdim) -> tuple[tuple[int, ...], bool]:
    if dim is not None:
        if axis is not None:
            raise TypeError("pass either axis or dim, not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return normalize_axis(axis, x.ndim), bool(keepdims)


def sum(x: Tensor, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    axes, keep = _reduce_args(x, axis, keepdims, dim, keepdim)
    if x.dtype.kind == "u":  # NumPy would sum uint8 into uint64 (no Tensor dtype); torch: int64
        x = x._const(x.data.astype("int64"))
    return Sum.apply(x, axes=axes, keepdims=keep)


def mean(x: Tensor, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    """Sum over ``axis`` (all axes when None)."""
    if x.dtype == "float16":  # accumulate in float32, as torch: a float16 sum overflows at 65504
        return mean(x.float(), axis, keepdims, dim=dim, keepdim=keepdim).to(x.dtype)
    axes, keep = _reduce_args(x, axis, keepdims, dim, keepdim)
    n = 1
    for ax in axes:
        n *= x.shape[ax]
    total = Sum.apply(x, axes=axes, keepdims=keep)
    # divide (not times 1/n): the same rounding as torch's mean, e.g. 7 / 3
    return total / float(n) if n else total * float("nan")


def amax(x: Tensor, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    """Largest value over ``axis``; tied elements share the gradient evenly."""
    axes, keep = _reduce_args(x, axis, keepdims, dim, keepdim)
    _check_nonempty(x, axes, "max")
    return Max.apply(x, axes=axes, keepdims=keep)


def amin(x: Tensor, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    """Smallest value over ``axis``; tied elements share the gradient evenly."""
    axes, keep = _reduce_args(x, axis, keepdims, dim, keepdim)
    _check_nonempty(x, axes, "min")
    return Max.apply(x, axes=axes, keepdims=keep, minimum=True)


class EmptyReductionError(IndexError, ValueError):
    """A max/min over nothing: torch raises IndexError; it is a ValueError too (NumPy's)."""


def _check_nonempty(x: Tensor, axes: tuple[int, ...], name: str) -> None:
    if any(x.shape[ax] == 0 for ax in axes) or (x.numel() == 0 and not axes):
        raise EmptyReductionError(
            f"{name}() of an empty reduction (shape {tuple(x.shape)}, axes {axes}): "
            "there is no largest or smallest element of nothing")


def var(x: Tensor, axis=None, keepdims=False, *, correction=1, dim=None, keepdim=None) -> Tensor:
    """Variance over ``axis`` with Bessel's ``correction`` (1 by default, as torch)."""
    if x.dtype == "float16":  # as mean: accumulate in float32
        return var(x.float(), axis, keepdims, correction=correction, dim=dim,
                   keepdim=keepdim).to(x.dtype)
    axes, keep = _reduce_args(x, axis, keepdims, dim, keepdim)
    n = 1
    for ax in axes:
        n *= x.shape[ax]
    denom = max(n - correction, 0)
    if denom == 0:
        # no degrees of freedom left: torch divides by 0, inf where the sum is positive (nan at
        # 0), and its gradient 2 (x - mean) / 0 is +-inf. The mean's own path (whose first
        # derivative is exactly 0) would add inf - inf = nan to it, so it is left out here.
        centered = x - mean(x, axes, keepdims=True).detach()
        return Sum.apply(centered * centered, axes=axes, keepdims=keep) * float("inf")
    centered = x - mean(x, axes, keepdims=True)
    total = Sum.apply(centered * centered, axes=axes, keepdims=keep)
    return total * (1.0 / denom)


def std(x: Tensor, axis=None, keepdims=False, *, correction=1, dim=None, keepdim=None) -> Tensor:
    """Standard deviation, the square root of ``var``."""
    return var(x, axis, keepdims, correction=correction, dim=dim, keepdim=keepdim).sqrt()


def logsumexp(x: Tensor, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    """log(sum(exp(x))) over ``axis``, shifted by the maximum so it cannot overflow."""
    axes, keep = _reduce_args(x, axis, keepdims, dim, keepdim)
    # Shift by the (constant) max for stability; the shift cancels in the gradient.
    m = _max_shift(x, axes)
    xp = backend.xp_of(m)
    m = xp.where(xp.isfinite(m), m, 0)
    shifted = (x - x._const(m)).exp().sum(axis=axes, keepdims=True).log() + x._const(m)
    return shifted if keep else shifted.reshape(
        tuple(s for i, s in enumerate(x.shape) if i not in axes))


def _max_shift(x: Tensor, axes: tuple[int, ...]):
    """The max over ``axes`` (kept), or zeros when there is nothing to take it over (an empty
    tensor: logsumexp is then -inf and softmax empty, as in torch, not NumPy's error)."""
    if x.numel() == 0:
        return backend.xp_of(x.data).zeros(kept_shape(x.shape, axes), dtype=x.dtype)
    return x.data.max(axis=axes, keepdims=True)


def softmax(x: Tensor, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``, shifted by the maximum."""
    axes, _ = _reduce_args(x, axis if dim is None else dim, True, None, None)
    m = _max_shift(x, axes)
    e = (x - x._const(m)).exp()
    return e / e.sum(axis=axes, keepdims=True)


def log_softmax(x: Tensor, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``axis``, as ``(x - m) - log(sum(exp(x - m)))``."""
    axes, _ = _reduce_args(x, axis if dim is None else dim, True, None, None)
    # Not x - logsumexp(x): adding m back into logsumexp rounds log(sum) away when |m| is
    # large ([1e8, 1e8, 1e8 - 1] gave [0, 0, 0]); x - m is exact, so subtract m first.
    # An infinite max is kept (not replaced by 0 as in logsumexp): torch gives NaN rows then.
    shifted = x - x._const(_max_shift(x, axes))
    return shifted - shifted.exp().sum(axis=axes, keepdims=True).log()


class Norm2(Primitive):
    """Euclidean norm over ``axes``; its gradient at the zero vector is 0 (a subgradient)."""

    saves_output = True

    def forward(self, a, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims
        return backend.xp_of(a).sqrt((a * a).sum(axis=axes, keepdims=keepdims))

    def jvp(self, ta, *rest):
        x, n = self.inputs[0], self.output
        safe_n = n + n._const((n.data == 0).astype(n.dtype))
        return Sum.apply(x * ta, axes=self.axes, keepdims=self.keepdims) / safe_n

    def backward(self, g):
        x, n = self.inputs[0], self.output
        if not self.keepdims:
            shape = kept_shape(x.shape, self.axes)
            g, n = g.reshape(shape), n.reshape(shape)
        safe_n = n + n._const((n.data == 0).astype(n.dtype))
        return g * x / safe_n


def norm(x: Tensor, p=2, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    """Vector p-norm over ``axis`` (p = 1, 2 or "fro", inf, or any p > 0)."""
    if x.dtype == "float16":  # as mean: the sum of powers would overflow float16
        return norm(x.float(), p, axis, keepdims, dim=dim, keepdim=keepdim).to(x.dtype)
    axes, keep = _reduce_args(x, axis, keepdims, dim, keepdim)
    if p in (2, "fro"):
        return Norm2.apply(x, axes=axes, keepdims=keep)
    if p == 1:
        return x.abs().sum(axis=axes, keepdims=keep)
    if p in (float("inf"), "inf"):
        return amax(x.abs(), axes, keepdims=keep)
    if isinstance(p, (int, float)) and p != 0:
        from .elementwise import where_const

        a = x.abs()
        nz = a.data != 0
        host = backend.is_host(nz)  # on a GPU the safe forms always: no sync to choose
        # |x|^p has an infinite slope at 0 for p < 1: zeros contribute 0 with a 0 gradient (as
        # torch), never 0 * inf = nan
        powered = a ** p if host and nz.all() else where_const(nz, where_const(nz, a, 1.0) ** p,
                                                               0.0)
        total = powered.sum(axis=axes, keepdims=keep)
        if p < 0:  # one zero makes the sum infinite and the norm 0, a constant there
            keep_it = nz.all(axis=axes, keepdims=keep)
        else:  # t ** (1/p) has an infinite slope at 0: where the norm is 0 its gradient is 0
            keep_it = backend.xp_of(total.data).asarray(total.data != 0)
        if host and keep_it.all():
            return total ** (1.0 / p)
        return where_const(keep_it, where_const(keep_it, total, 1.0) ** (1.0 / p), 0.0)
    raise ValueError(f"norm: unsupported order p={p!r}; use a number, 'fro' or inf")
