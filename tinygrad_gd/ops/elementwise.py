"""Elementwise primitives. Each backward is written with Tensor operations, so it is differentiable.

Broadcasting is handled once by the engine (``sum_to``), so a backward here may return a gradient
of the broadcast output shape.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .. import backend
from ..autograd import forward_ad as fw
from ..autograd.engine import Primitive

if TYPE_CHECKING:
    from ..tensor import Tensor


class Add(Primitive):
    """a + b; both gradients are g (the engine sums them over broadcast dimensions)."""

    saves_inputs = False

    def forward(self, a, b):
        return a + b

    def jvp(self, ta, tb, *rest):
        return fw.tsum(ta, tb)

    def backward(self, g):
        return g, g


class Sub(Primitive):
    """a - b; gradients g and -g."""

    saves_inputs = False

    def forward(self, a, b):
        return a - b

    def jvp(self, ta, tb, *rest):
        return fw.tsum(ta, -tb if tb is not None else None)

    def backward(self, g):
        return g, (-g if self.needs_grad(1) else None)


class Mul(Primitive):
    """a * b; gradients g b and g a."""

    saves_for_others = True

    def forward(self, a, b):
        return a * b

    def jvp(self, ta, tb, *rest):
        a, b = self.inputs
        return fw.tsum(ta * b if ta is not None else None, a * tb if tb is not None else None)

    def backward(self, g):
        a, b = self.inputs
        return (_mul(g, b) if self.needs_grad(0) else None), (_mul(g, a) if self.needs_grad(1)
                                                              else None)


def _mul(g, x):
    """``g * x`` in a backward pass: the primitive directly when the dtypes agree (no operator
    dispatch nor promotion to go through: shapes broadcast by construction)."""
    return Mul.apply(g, x) if g.data.dtype is x.data.dtype else g * x


class Div(Primitive):
    """a / b; gradients g / b and -g a / b^2."""

    def forward(self, a, b):
        return a / b

    def jvp(self, ta, tb, *rest):
        a, b = self.inputs
        return fw.tsum(ta / b if ta is not None else None,
                       -tb * a / (b * b) if tb is not None else None)

    def backward(self, g):
        a, b = self.inputs
        ga = g / b if self.needs_grad(0) else None
        gb = -g * a / (b * b) if self.needs_grad(1) else None
        return ga, gb


class Neg(Primitive):
    """-a; gradient -g."""

    saves_inputs = False

    def forward(self, a):
        return -a

    def jvp(self, ta, *rest):
        return -ta

    def backward(self, g):
        return -g


class Pow(Primitive):
    """a ** b; gradients g b a^(b-1) and g a^b log a (0 where a = 0)."""

    def forward(self, a, b):
        return a**b

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        a, b = self.inputs
        ga = None
        if self.needs_grad(0):
            # b a^(b-1) is 0 where b == 0 (as torch), not 0 * 0^-1 = nan at a == 0: the base is
            # replaced by 1 there, so no inf appears at any order
            zero_b = b.data == 0
            # (on a GPU the mask is applied without asking whether it is needed: a sync)
            base = (where_const(~zero_b, a, 1.0)
                    if not backend.is_host(zero_b) or zero_b.any() else a)
            ga = g * b * base ** (b - 1)
        # d(a^b)/db = a^b log a; where a == 0 and b >= 0 it is 0 (torch), not 0 * -inf = nan;
        # where a == 0 and b < 0 it stays inf * -inf = -inf, as torch's
        gb = None
        if self.needs_grad(1):
            safe = where_const((a.data != 0) | (b.data < 0), a, 1.0)
            gb = g * (a**b) * safe.log()
        return ga, gb


def where_const(mask, x: Tensor, fill: float) -> Tensor:
    """``where(mask, x, fill)`` with a constant mask (differentiable in ``x``)."""
    return Where.apply(x._const(mask), x, x._const(backend.device_scalar(fill, x.dtype,
                                                                         x._device)))


class Exp(Primitive):
    """e^a; gradient g e^a (the saved output)."""

    saves_inputs = False
    saves_output = True

    def forward(self, a):
        return backend.xp_of(a).exp(a)

    def jvp(self, ta, *rest):
        return ta * self.output

    def backward(self, g):
        return g * self.output


class Log(Primitive):
    """log a; gradient g / a."""

    def forward(self, a):
        return backend.xp_of(a).log(a)

    def jvp(self, ta, *rest):
        return ta / self.inputs[0]

    def backward(self, g):
        return g / self.inputs[0]


class Sqrt(Primitive):
    """sqrt a; gradient g / (2 sqrt a) (the saved output)."""

    saves_inputs = False
    saves_output = True

    def forward(self, a):
        return backend.xp_of(a).sqrt(a)

    def jvp(self, ta, *rest):
        return ta / (2.0 * self.output)

    def backward(self, g):
        return g / (2.0 * self.output)


class Sin(Primitive):
    """sin a; gradient g cos a."""

    def forward(self, a):
        return backend.xp_of(a).sin(a)

    def jvp(self, ta, *rest):
        return ta * self.inputs[0].cos()

    def backward(self, g):
        return g * self.inputs[0].cos()


class Cos(Primitive):
    """cos a; gradient -g sin a."""

    def forward(self, a):
        return backend.xp_of(a).cos(a)

    def jvp(self, ta, *rest):
        return -ta * self.inputs[0].sin()

    def backward(self, g):
        return -g * self.inputs[0].sin()


class Tanh(Primitive):
    """tanh a; gradient g (1 - tanh^2 a), one TanhGrad node."""

    saves_inputs = False
    saves_output = True

    def forward(self, a):
        return backend.xp_of(a).tanh(a)

    def jvp(self, ta, *rest):
        return TanhGrad.apply(ta, self.output)

    def backward(self, g):
        return TanhGrad.apply(g, self.output)


class TanhGrad(Primitive):
    """``g * (1 - y^2)``, tanh's backward as one node (fewer passes over memory than three
    ops); it is differentiable like any other primitive, so tanh stays twice differentiable."""

    def forward(self, g, y):
        return g * (1 - y * y)

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, gg):
        g, y = self.inputs
        dg = TanhGrad.apply(gg, y) if self.needs_grad(0) else None
        dy = gg * g * y * -2.0 if self.needs_grad(1) else None
        return dg, dy


class Sigmoid(Primitive):
    """1 / (1 + e^-a), computed stably; gradient g s (1 - s), one SigmoidGrad node."""

    saves_inputs = False
    saves_output = True

    def forward(self, a):
        xp = backend.xp_of(a)
        # Stable for large |a|: exp of a non-positive number only.
        e = xp.exp(-xp.abs(a))
        return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)

    def jvp(self, ta, *rest):
        return SigmoidGrad.apply(ta, self.output)

    def backward(self, g):
        return SigmoidGrad.apply(g, self.output)


class SigmoidGrad(Primitive):
    """``g * y (1 - y)``, sigmoid's backward as one differentiable node."""

    def forward(self, g, y):
        return g * y * (1 - y)

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, gg):
        g, y = self.inputs
        dg = SigmoidGrad.apply(gg, y) if self.needs_grad(0) else None
        dy = gg * g * (1.0 - 2.0 * y) if self.needs_grad(1) else None
        return dg, dy


class Erf(Primitive):
    """The error function; gradient g 2/sqrt(pi) e^(-a^2)."""

    def forward(self, a):
        return backend.erf(a)

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        x = self.inputs[0]
        return g * (2.0 / math.sqrt(math.pi)) * (-(x * x)).exp()


class Piecewise(Primitive):
    """A piecewise-linear function of ``x`` (relu, abs, clamp, leaky_relu): the caller computes the
    output and the local slope; the gradient is ``g * slope``, the slope being a constant."""

    saves_inputs = False

    def forward(self, a, out, slope):
        self.slope = slope
        return out

    def jvp(self, ta, *rest):
        return Mul.apply(ta, ta._const(self.slope))

    def backward(self, g):
        return Mul.apply(g, g._const(self.slope))


class Abs(Piecewise):
    """|x|, slope sign(x)."""


class Relu(Piecewise):
    """max(x, 0), slope 1 where x > 0."""


class LeakyRelu(Piecewise):
    """x or a x, slope 1 or a."""


class Clamp(Piecewise):
    """clip(x, lo, hi), slope 1 inside the interval."""


class Maximum(Primitive):
    """Elementwise max (or min) of two tensors; at ties each side gets half the gradient (torch)."""

    saves_inputs = False

    def forward(self, a, b, minimum=False):
        xp = backend.xp_of(a)
        out = xp.minimum(a, b) if minimum else xp.maximum(a, b)
        wins = (a < b) if minimum else (a > b)
        self.weight = wins.astype(out.dtype) + (a == b).astype(out.dtype) * 0.5
        return out

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        w = g._const(xp_broadcast(self.weight, g.shape))
        ga = g * w if self.needs_grad(0) else None
        gb = g - g * w if self.needs_grad(1) else None
        return ga, gb


def xp_broadcast(array, shape):
    """A broadcast view of a backend array."""
    return backend.xp_of(array).broadcast_to(array, shape)


class Where(Primitive):
    """where(cond, a, b); the gradient goes to a where cond holds, to b elsewhere."""

    saves_inputs = False

    def forward(self, cond, a, b):
        self.cond = cond
        return backend.xp_of(a).where(cond, a, b)

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        zero = g._const(backend.xp_of(g.data).zeros((), g.dtype))
        cond = g._const(self.cond)
        ga = Where.apply(cond, g, zero) if self.needs_grad(1) else None
        gb = Where.apply(cond, zero, g) if self.needs_grad(2) else None
        return None, ga, gb


class Cast(Primitive):
    """A dtype cast (a copy); the gradient is cast back."""

    saves_inputs = False

    def forward(self, a, dtype):
        self.src = a.dtype
        return a.astype(dtype)

    def jvp(self, ta, *rest):
        return Cast.apply(ta, dtype=self.fw_kwargs["dtype"])

    def backward(self, g):
        return Cast.apply(g, dtype=self.src)


class ToDevice(Primitive):
    """A copy to another device; the gradient is copied back."""

    saves_inputs = False

    def forward(self, a, device):
        self.src = backend.device_of(a)
        return backend.to_device(a, device)

    @classmethod
    def apply(cls, x, device):  # the one op whose output lives on another device
        out = super().apply(x, device=device)
        out._device = device
        return out

    def jvp(self, ta, *rest):
        return ToDevice.apply(ta, self.fw_kwargs["device"])

    def backward(self, g):
        return ToDevice.apply(g, self.src)
