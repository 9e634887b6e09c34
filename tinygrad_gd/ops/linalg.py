"""Matrix product (batched, broadcasting) and the products built from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..autograd import forward_ad as fw
from ..autograd.engine import Primitive
from . import pool

if TYPE_CHECKING:
    from ..tensor import Tensor


def matmul_2d(a, b):
    """``a @ b``; a large product of two NumPy matrices goes into a pooled buffer (``pool.py``:
    a convolution's products are megabytes, allocated again at every step otherwise)."""
    if (type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2 and b.ndim == 2
            and a.dtype is b.dtype and a.shape[0] * b.shape[1] * a.itemsize >= pool.MIN_BYTES):
        return np.matmul(a, b, out=pool.empty((a.shape[0], b.shape[1]), a.dtype, a))
    return a @ b


class MatMul(Primitive):
    """``a @ b`` for ``a.ndim, b.ndim >= 2``; batch dimensions broadcast (the engine sums them)."""

    def forward(self, a, b):
        return matmul_2d(a, b)

    def jvp(self, ta, tb, *rest):
        a, b = self.inputs
        return fw.tsum(MatMul.apply(ta, b) if ta is not None else None,
                       MatMul.apply(a, tb) if tb is not None else None)

    def vjp_tangent(self, i, g, dg, tangents):
        # the tangent of backward's gradient i alone (forward over reverse: forward_ad)
        a, b = self.inputs
        ta, tb = tangents[0], tangents[1]
        if i == 0:
            return fw.tsum(dg @ b.transpose(-1, -2) if dg is not None else None,
                           g @ tb.transpose(-1, -2) if tb is not None else None)
        return fw.tsum(a.transpose(-1, -2) @ dg if dg is not None else None,
                       ta.transpose(-1, -2) @ g if ta is not None else None)

    def backward(self, g):
        a, b = self.inputs
        ga = g @ b.transpose(-1, -2) if self.needs_grad(0) else None
        gb = a.transpose(-1, -2) @ g if self.needs_grad(1) else None
        return ga, gb


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with NumPy's rules for 1-D operands (promoted, then squeezed)."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both operands need at least 1 dimension, got shapes {tuple(a.shape)} "
            f"and {tuple(b.shape)}")
    inner_a = a.shape[-1]
    inner_b = b.shape[-2] if b.ndim >= 2 else b.shape[0]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} are not aligned "
            f"({inner_a} != {inner_b} in the contracted dimension)")
    a2 = a.reshape(1, a.shape[0]) if a.ndim == 1 else a
    b2 = b.reshape(b.shape[0], 1) if b.ndim == 1 else b
    try:
        out = MatMul.apply(a2, b2)
    except ValueError as exc:  # batch dimensions that do not broadcast
        raise ValueError(
            f"matmul: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} do not broadcast"
        ) from exc
    if a.ndim == 1:
        out = out.squeeze(-2)
    if b.ndim == 1:
        out = out.squeeze(-1)
    return out
