"""Fused primitives of the nn layers: ``Linear`` (matrix product and bias), ``WeightColumns``
(a convolution's product with its columns, and bias) and ``CrossEntropy`` (log-softmax and
negative log-likelihood).

``Linear`` is one node instead of three (transpose, product, bias add), adds the bias in place,
and computes the weight's gradient as ``g.T @ x``, which comes out in the weight's own row-major
layout; through the composed ops it would arrive transposed and make every optimizer update
walk memory column-wise.

``log_softmax`` followed by picking the target's entry costs a dozen composed operations and as
many temporaries the size of the logits; fused, the forward pass is one shifted exponential and
one log-sum, and the backward pass is ``softmax - onehot`` computed once, in the forward pass.
It stays differentiable to any order: the backward pass returns that array through ``CEGrad``,
whose own backward is the softmax Jacobian product written with Tensor operations (what
Hessian-vector products of a classifier's loss go through).
"""

from __future__ import annotations

from .. import backend
from ..autograd import forward_ad as fw
from ..autograd.engine import Primitive
from .linalg import MatMul, matmul_2d
from .reduce import Sum, array_sum


class Linear(Primitive):
    """``x @ w.T + b`` for ``x (..., in)``, ``w (out, in)``, optional ``b (out,)``."""

    def forward(self, x, w, b=None):
        out = x @ w.T
        if b is not None:
            out += b
        return out

    def jvp(self, *tangents):
        ta = tangents[0]
        tb = tangents[1]
        x, w = self.inputs[0], self.inputs[1]
        tc = tangents[2] if len(tangents) == 3 else None
        if tb is not None:  # x @ tw.T (+ tb): one fused node
            part = Linear.apply(x, tb, tc) if tc is not None else Linear.apply(x, tb)
        else:
            part = tc
        return fw.tsum(Linear.apply(ta, w) if ta is not None else None, part)

    def vjp_tangent(self, i, g, dg, tangents):
        # the tangent of backward's gradient i alone (forward over reverse: forward_ad)
        x, w = self.inputs[0], self.inputs[1]
        if i == 0:
            return fw.tsum(MatMul.apply(dg, w) if dg is not None else None,
                           MatMul.apply(g, tangents[1]) if tangents[1] is not None else None)
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        dg2 = dg.reshape(-1, dg.shape[-1]) if dg is not None and dg.ndim != 2 else dg
        if i == 2:
            return Sum.apply(dg2, axes=(0,), keepdims=False) if dg is not None else None
        tx = tangents[0]
        return fw.tsum(
            OuterSum.apply(dg2, x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x)
            if dg is not None else None,
            OuterSum.apply(g2, tx.reshape(-1, tx.shape[-1]) if tx.ndim != 2 else tx)
            if tx is not None else None)

    def backward(self, g):
        # Primitives called directly: the shapes were checked in forward, and this runs for
        # every layer of every training step.
        x, w = self.inputs[0], self.inputs[1]
        gx = MatMul.apply(g, w) if self.needs_grad(0) else None
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        gw = None
        if self.needs_grad(1):
            gw = OuterSum.apply(g2, x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x)
        if len(self.inputs) == 2:
            return gx, gw
        gb = Sum.apply(g2, axes=(0,), keepdims=False) if self.needs_grad(2) else None
        return gx, gw, gb


class OuterSum(Primitive):
    """``a.T @ b`` for ``a (N, O)``, ``b (N, I)``: a sum over the batch of outer products, the
    weight gradient of a linear layer, as one node (no separate transpose)."""

    def forward(self, a, b):
        return a.T @ b

    def jvp(self, ta, tb, *rest):
        a, b = self.inputs
        return fw.tsum(OuterSum.apply(ta, b) if ta is not None else None,
                       OuterSum.apply(a, tb) if tb is not None else None)

    def backward(self, g):
        a, b = self.inputs
        ga = MatMul.apply(b, g.T) if self.needs_grad(0) else None
        gb = MatMul.apply(a, g) if self.needs_grad(1) else None
        return ga, gb


class WeightColumns(Primitive):
    """``w @ cols + b[:, None]`` for ``w (O, K)``, ``cols (K, L)``, optional ``b (O,)``: the
    product at the heart of a convolution. Fused so the bias is added in place (no second
    output-sized temporary) and its gradient is a row sum of a contiguous matrix."""

    def forward(self, w, cols, b=None):
        out = matmul_2d(w, cols)
        if b is not None:
            out += b[:, None]
        return out

    def jvp(self, *tangents):
        ta = tangents[0]
        tb = tangents[1]
        w, cols = self.inputs[0], self.inputs[1]
        tc = tangents[2] if len(tangents) == 3 else None
        return fw.tsum(WeightColumns.apply(ta, cols) if ta is not None else None,
                       WeightColumns.apply(w, tb) if tb is not None else None,
                       tc.reshape(-1, 1) if tc is not None else None)

    def backward(self, g):
        w, cols = self.inputs[0], self.inputs[1]
        gw = g.matmul(cols.T) if self.needs_grad(0) else None
        gcols = w.T.matmul(g) if self.needs_grad(1) else None
        if len(self.inputs) == 2:
            return gw, gcols
        return gw, gcols, (g.sum(axis=1) if self.needs_grad(2) else None)


class CrossEntropy(Primitive):
    """Per-row loss ``logsumexp(x_i) - x_i[t_i]`` of logits ``x (M, K)`` and labels ``t (M,)``.

    Stable for any finite logits: the row maximum is subtracted before exponentiating.
    """

    def forward(self, x, target):
        xp = backend.xp_of(x)
        rows = xp.arange(x.shape[0])
        # the row maxima through argmax, which NumPy runs several times faster than a max over
        # a short last axis (a NaN is the argmax of its row, so it still spreads to the loss)
        top = x[rows, x.argmax(axis=1)] if x.size else xp.zeros(x.shape[0], x.dtype)
        shifted = x - top[:, None]
        e = xp.exp(shifted)
        total = array_sum(e, (1,), keepdims=True)
        loss = xp.log(total[:, 0]) - shifted[rows, target]
        # softmax - onehot, kept for the backward pass (reusing the exponentials' memory)
        e /= total
        e[rows, target] -= 1
        self.delta, self.scale = e, 1.0
        return loss.astype(x.dtype, copy=False)

    def _delta(self):
        """``scale * (softmax - onehot)`` as a differentiable node."""
        return CEGrad.apply(self.inputs[0], delta=self.delta, scale=self.scale)

    def jvp(self, ta, *rest):
        return Sum.apply(self._delta() * ta, axes=(1,), keepdims=False)

    def backward(self, g):
        return self._delta() * g.reshape(-1, 1), None


class CrossEntropyMean(CrossEntropy):
    """The mean of ``CrossEntropy``'s row losses over ``M > 0`` rows, as one node: a classifier's
    training loss. Fused because the mean's own two nodes (a sum and a division) cost more than
    the rest of the loss at a training step's sizes, and their backward pass three more
    operations; here the gradient is ``(softmax - onehot) / M`` times the output's gradient."""

    def forward(self, x, target):
        loss = super().forward(x, target)
        m = x.shape[0]
        self.delta /= m
        self.scale = 1.0 / m
        # divided (not times 1/M), as mean's rounding
        return backend.xp_of(x).asarray(loss.sum() / m, dtype=x.dtype)

    def jvp(self, ta, *rest):
        return Sum.apply(self._delta() * ta, axes=(0, 1), keepdims=False)

    def backward(self, g):
        return self._delta() * g, None


class CEGrad(Primitive):
    """``scale * (softmax(x) - onehot)`` of logits ``x``, handed in precomputed; its gradient is
    the softmax Jacobian-vector product ``scale * p * (v - sum(v * p))``."""

    def forward(self, x, delta, scale=1.0):
        self.scale = scale
        return delta

    def jvp(self, ta, *rest):
        return self.backward(ta)  # the softmax Jacobian is symmetric

    def backward(self, v):
        p = self.inputs[0].softmax(axis=1)
        jv = p * (v - (v * p).sum(axis=1, keepdims=True))
        return jv if self.scale == 1.0 else jv * self.scale
