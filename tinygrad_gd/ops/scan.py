"""Scans (cumulative sums, products, log-sum-exps) and the reductions built on them (``prod``).

``CumSum`` is the one linear scan: its backward is the reversed cumsum. ``CumProd`` and
``LogCumSumExp`` are primitives for speed and stability, with backward passes made of Tensor ops
(so every order of derivative works), exact also where the input has zeros (``CumProd``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..autograd import forward_ad as fw
from ..autograd.engine import Primitive
from ..autograd.grad_mode import _GradMode
from .elementwise import where_const

if TYPE_CHECKING:
    from ..tensor import Tensor


def _flip(a: Any, axis: int) -> Any:
    return backend.xp_of(a).flip(a, axis)


def accumulate(name: str, a: Any, axis: int) -> Any:
    """``ufunc.accumulate`` along ``axis`` (``name``: maximum, minimum, logaddexp, ...).

    NumPy has it for every binary ufunc; elsewhere (CuPy) an inclusive log-step scan of the same
    associative operation is used: log2(n) vectorised passes.
    """
    xp = backend.xp_of(a)
    ufunc = getattr(xp, name)
    if xp is np:
        return ufunc.accumulate(a, axis=axis)
    out = xp.moveaxis(a, axis, -1).copy()
    n, step = out.shape[-1], 1
    while step < n:
        nxt = out.copy()
        nxt[..., step:] = ufunc(out[..., step:], out[..., :-step])
        out, step = nxt, step * 2
    return xp.moveaxis(out, -1, axis)


class CumSum(Primitive):
    """Inclusive cumulative sum along ``axis`` (from the end when ``reverse``); the gradient is
    the cumulative sum of ``g`` in the other direction."""

    saves_inputs = False

    def forward(self, a, axis, reverse=False):
        self.axis, self.reverse = axis, reverse
        xp = backend.xp_of(a)
        if reverse:
            return _flip(xp.cumsum(_flip(a, axis), axis=axis), axis)
        return xp.cumsum(a, axis=axis)

    def jvp(self, ta, *rest):
        return fw.linear_jvp(self, ta)

    def backward(self, g):
        return CumSum.apply(g, axis=self.axis, reverse=not self.reverse)


class CumProd(Primitive):
    """Inclusive cumulative product along ``axis``.

    Gradient: ``d y_i / d x_j = prod_{k <= i, k != j} x_k``. Without zeros that is
    ``revcumsum(g y) / x``; with zeros see ``cumprod_grad``.
    """

    saves_output = True

    def forward(self, a, axis):
        self.axis = axis
        return backend.xp_of(a).cumprod(a, axis=axis)

    def backward(self, g):
        return cumprod_grad(self.inputs[0], self.output, g, self.axis)


def cumprod_grad(x: Tensor, y: Tensor, g: Tensor, axis: int) -> Tensor:
    """The vector-Jacobian product of ``y = cumprod(x)``, in Tensor ops, exact at zeros.

    With ``z`` the first zero of a slice, ``y_i = x_z * y'_i`` for ``i >= z``, where
    ``y' = cumprod(x')`` and ``x'`` is ``x`` with ``x_z`` set to 1. So the gradient is
    ``revcumsum(g y) / x`` before ``z`` (``x`` is nonzero there), ``revcumsum(g y')`` at ``z``,
    and ``x_z * cumprod_grad(x', g)`` after ``z``: zero in value, but with the right derivative in
    ``x_z``. That last part only matters for higher derivatives, so it is built only when the
    backward pass is itself recorded (it recurses once per zero of a slice).
    """
    from ..tensor_ops import where

    xp = backend.xp_of(x.data)
    zero = x.data == 0
    if not zero.any():
        return CumSum.apply(g * y, axis=axis, reverse=True) / x
    seen = xp.cumsum(zero, axis=axis)
    before, first = seen == 0, zero & (seen == 1)
    after = (seen >= 1) & ~first
    grad_before = CumSum.apply(g * y, axis=axis, reverse=True) / where_const(before, x, 1.0)
    x_prime = where_const(~first, x, 1.0)
    y_prime = CumProd.apply(x_prime, axis=axis)
    grad_first = CumSum.apply(g * y_prime, axis=axis, reverse=True)
    out = where(x._const(before), grad_before, where_const(first, grad_first, 0.0))
    if _GradMode.enabled and after.any():
        x_z = (x * x._const(first.astype(x.dtype))).sum(axis=axis, keepdims=True)
        out = out + where_const(after, x_z * cumprod_grad(x_prime, y_prime, g, axis), 0.0)
    return out


class LogCumSumExp(Primitive):
    """``log(cumsum(exp(x)))`` along ``axis`` (from the end when ``reverse``), computed with
    ``logaddexp`` so it neither overflows nor underflows.

    Gradient ``sum_{i >= j} g_i exp(x_j - y_i)``, written as torch does with the scan itself in
    the other direction over ``log|g| - y``, positive and negative parts of ``g`` apart.
    """

    saves_output = True

    def forward(self, a, axis, reverse=False):
        self.axis, self.reverse = axis, reverse
        if reverse:
            return _flip(accumulate("logaddexp", _flip(a, axis), axis), axis)
        return accumulate("logaddexp", a, axis)

    def backward(self, g):
        from ..tensor_ops import where

        x, y = self.inputs[0], self.output
        # log(0), finite so that no -inf - -inf = nan appears downstream, and a quarter of the
        # lowest float so that subtracting y or adding x cannot overflow to -inf either
        lowest = float(np.finfo(y.dtype).min) / 4
        out = None
        for mask, sign in ((g.data > 0, 1.0), (g.data < 0, -1.0)):
            if not mask.any():
                continue
            log_g = where(g._const(mask), where_const(mask, g * sign, 1.0).log(), lowest)
            scan = LogCumSumExp.apply(log_g - y, axis=self.axis, reverse=not self.reverse)
            part = (scan + x).exp() * sign
            out = part if out is None else out + part
        return out if out is not None else g * 0.0


# ------------------------------------------------------------------------- the functions


def scan_axis(x: Tensor, dim: Any, name: str) -> int:
    """``dim`` as a non-negative axis (a 0-d tensor takes 0 or -1, as in torch)."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    nd = max(x.ndim, 1)
    if not -nd <= dim < nd:
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor of {x.ndim} "
                         "dimension(s)")
    return int(dim) % nd


def _on_vector(x: Tensor, fn: Any) -> Tensor:
    """Run a scan on a 0-d tensor as on one element (torch accepts dim 0 there)."""
    return fn(x.reshape(1)).reshape(()) if x.ndim == 0 else fn(x)


def _integral_result(x: Tensor, dtype: Any) -> Tensor:
    """torch's dtype rule for sums and products: bools and ints accumulate in int64."""
    if dtype is not None:
        return x.to(dtype)
    if not backend.is_floating(x.dtype):
        return x.to("int64")
    return x


def cumsum(x: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """Cumulative sum along ``dim`` (ints and bools give int64, as in torch)."""
    axis = scan_axis(x, dim, "cumsum")
    x = _integral_result(x, dtype)
    return _on_vector(x, lambda v: CumSum.apply(v, axis=axis))


def cumprod(x: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """Cumulative product along ``dim``; the gradient is exact where ``x`` has zeros."""
    axis = scan_axis(x, dim, "cumprod")
    x = _integral_result(x, dtype)
    if not backend.is_floating(x.dtype):  # no gradient: the array op, kept in int64
        return x._const(backend.xp_of(x.data).cumprod(x.data, axis=axis if x.ndim else None)
                        .reshape(x.shape))
    return _on_vector(x, lambda v: CumProd.apply(v, axis=axis))


def logcumsumexp(x: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(x))) along ``dim``, without overflow or underflow."""
    axis = scan_axis(x, dim, "logcumsumexp")
    if not backend.is_floating(x.dtype):
        raise TypeError(f"logcumsumexp: expected a floating tensor, got dtype {x.dtype} (torch "
                        "refuses integers too; convert with .float())")
    return _on_vector(x, lambda v: LogCumSumExp.apply(v, axis=axis))


def prod(x: Tensor, axes: tuple[int, ...], keepdim: bool, dtype: Any = None) -> Tensor:
    """Product over ``axes``: the last element of a cumulative product over them (moved last and
    merged), so the gradient is ``CumProd``'s: exact with one zero or several, to any order."""
    from .reduce import kept_shape

    x = _integral_result(x, dtype)
    out_shape = kept_shape(x.shape, axes) if keepdim else tuple(
        s for i, s in enumerate(x.shape) if i not in axes)
    if not backend.is_floating(x.dtype):
        return x._const(x.data.prod(axis=axes, keepdims=keepdim, dtype=x.dtype)
                        .reshape(out_shape))
    if not axes:
        return x.reshape(out_shape)
    if any(x.shape[a] == 0 for a in axes):  # the empty product is 1 (as torch)
        return x.sum(axis=axes, keepdims=keepdim) * 0.0 + 1.0
    rest = tuple(i for i in range(x.ndim) if i not in axes)
    moved = x.permute(rest + axes) if rest + axes != tuple(range(x.ndim)) else x
    flat = moved.reshape(tuple(x.shape[i] for i in rest) + (-1,))
    return CumProd.apply(flat, axis=flat.ndim - 1)[..., -1].reshape(out_shape)
