"""Activation functions (``F.relu``, ``F.gelu``, ``F.silu``, ``F.softmax``, ...), torch's names
and signatures.

Each one is a composition of differentiable Tensor operations, so second derivatives work. The
kinks follow torch's gradient conventions (e.g. hardtanh's slope is 0 at its bounds, elu's at 0 is
``alpha``). ``inplace=True`` is accepted for torch code and changes nothing: the result is a new
tensor and the input is left as it was (the tape records out-of-place results). The ``F.X_``
forms (``F.relu_``) do write into their input, as torch's do.
"""

from __future__ import annotations

import warnings
from typing import Any

from ...ops import elementwise as E
from ...ops import special as S
from ...tensor import Tensor
from ...tensor_ops import where

__all__ = [
    "relu", "relu_", "leaky_relu", "leaky_relu_", "tanh", "sigmoid", "gelu", "softmax",
    "log_softmax", "softmin", "softplus", "silu", "mish", "elu", "elu_", "selu", "selu_", "celu",
    "celu_", "hardtanh", "hardtanh_", "relu6", "hardswish", "hardsigmoid", "softsign",
    "logsigmoid", "tanhshrink", "hardshrink", "softshrink", "threshold", "threshold_", "prelu",
    "glu",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _mask(x: Tensor, mask: Any) -> Tensor:
    return x._const(mask)


# ------------------------------------------------------------------------ rectifiers
def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(x, 0); its gradient at 0 is 0.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.relu(tg.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01,  # noqa: A002
               inplace: bool = False) -> Tensor:
    """x for x > 0, ``negative_slope * x`` otherwise."""
    return input.leaky_relu(negative_slope)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,  # noqa: A002
             inplace: bool = False) -> Tensor:
    """clip(x, min_val, max_val); the gradient is 1 strictly inside, 0 at the bounds (torch)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} is greater than max_val {max_val}")
    if input.dtype.kind in "iu":  # a clamp: integers stay integers, as torch's (no gradient)
        return input._const(input.xp.clip(input.data, min_val, max_val).astype(input.dtype))
    x = input._as_float()
    xp, a = x.xp, x.data
    out = xp.clip(a, min_val, max_val).astype(x.dtype, copy=False)
    slope = ((a > min_val) & (a < max_val)).astype(x.dtype)
    return S.Hardtanh.apply(x, out=out, slope=slope)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """min(max(x, 0), 6) (hardtanh on [0, 6])."""
    return hardtanh(input, 0.0, 6.0)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x for x > 0, ``alpha (e^x - 1)`` otherwise."""
    x = input._as_float()
    pos = x.data > 0
    return where(_mask(x, pos), x, E.where_const(~pos, x, 0.0).expm1() * alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``scale * elu(x, alpha)`` with the self-normalising constants of Klambauer et al."""
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x for x > 0, ``alpha (e^(x / alpha) - 1)`` otherwise."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides x)")
    x = input._as_float()
    pos = x.data > 0
    return where(_mask(x, pos), x, (E.where_const(~pos, x, 0.0) * (1.0 / alpha)).expm1() * alpha)


def threshold(input: Tensor, threshold: float, value: float,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value``."""
    x = input
    keep = x.data > threshold
    out = x.xp.where(keep, x.data, value).astype(x.dtype, copy=False)
    return S.Shrink.apply(x, out=out, slope=keep.astype(x.dtype))


_threshold = threshold  # threshold_'s argument shadows the function's name


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """x for x > 0, ``weight * x`` otherwise; ``weight`` has one element or one per channel
    (dimension 1 of the input)."""
    n = weight.numel()
    if n != 1:
        if input.ndim < 2 or input.shape[1] != n:
            raise ValueError(f"prelu: weight has {n} elements but the input of shape "
                             f"{tuple(input.shape)} has "
                             f"{input.shape[1] if input.ndim >= 2 else 1} channels (dimension 1)")
        weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    elif weight.ndim:
        weight = weight.reshape(())
    return where(_mask(input, input.data > 0), input, weight * input)


# ---------------------------------------------------------------------- smooth ones
def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """Hyperbolic tangent."""
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """Logistic sigmoid."""
    return input.sigmoid()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """Gaussian error linear unit (exact, or ``approximate="tanh"``)."""
    return input.gelu(approximate)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """log(1 + e^(beta x)) / beta, linear above ``threshold``."""
    return input.softplus(beta, threshold)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x sigmoid(x) (also called swish)."""
    return input * input.sigmoid()


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x tanh(softplus(x))."""
    return input * input.softplus().tanh()


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """x / (1 + |x|)."""
    return input / (input.abs() + 1.0)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """log(sigmoid(x)) without overflow: x - log(1 + e^x) below 0, -log(1 + e^-x) above."""
    x = input._as_float()
    neg = x.data < 0
    # each branch is analytic on its side, so every derivative is exact (at 0 too)
    low = E.where_const(neg, x, 0.0)  # min(x, 0)
    minus_abs = low - E.where_const(~neg, x, 0.0)  # -|x|
    return low - minus_abs.exp().log1p()


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """x - tanh(x)."""
    return input - input.tanh()


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x relu6(x + 3) / 6; the slope is (2x + 3) / 6 on (-3, 3), 0 at -3 and 1 at 3 (torch's)."""
    x = input._as_float()
    a = x.data
    mid = x * (x + 3.0) * (1.0 / 6.0)
    return where(_mask(x, a <= -3.0), 0.0, where(_mask(x, a < 3.0), mid, x))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """relu6(x + 3) / 6; slope 1/6 strictly inside (-3, 3), as torch."""
    x = input._as_float()
    xp, a = x.xp, x.data
    out = xp.clip(a / 6.0 + 0.5, 0.0, 1.0).astype(x.dtype, copy=False)
    slope = (((a > -3.0) & (a < 3.0)) / 6.0).astype(x.dtype)
    return S.Hardtanh.apply(x, out=out, slope=slope)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x where |x| > lambd, else 0."""
    x = input._as_float()
    keep = x.xp.abs(x.data) > lambd
    out = x.xp.where(keep, x.data, 0).astype(x.dtype, copy=False)
    return S.Shrink.apply(x, out=out, slope=keep.astype(x.dtype))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be non-negative, got {lambd}")
    x = input._as_float()
    a = x.data
    keep = x.xp.abs(a) > lambd
    out = x.xp.where(keep, a - x.xp.sign(a) * lambd, 0).astype(x.dtype, copy=False)
    return S.Shrink.apply(x, out=out, slope=keep.astype(x.dtype))


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """a sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    if input.ndim == 0:
        raise ValueError("glu: needs at least one dimension (a 0-d tensor cannot be halved)")
    if not -input.ndim <= dim < input.ndim:
        raise IndexError(f"glu: dim {dim} out of range for {input.ndim} dimensions")
    n = input.shape[dim]
    if n % 2:
        raise ValueError(f"glu: halving dimension must be even, but dimension {dim} has size {n}")
    a, b = input.split(n // 2, dim)
    return a * b.sigmoid()


# --------------------------------------------------------------------------- softmaxes
def _softmax_dim(x: Tensor, dim: int | None, name: str) -> int:
    if dim is not None:
        return dim
    # torch's legacy rule for a missing dim, with its warning
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if x.ndim in (0, 1, 3) else 1


def _cast(x: Tensor, dtype: Any) -> Tensor:
    return x if dtype is None else x.to(dtype)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
            dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``; ``dtype`` casts the input first.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.softmax(tg.tensor([[0.0, 0.0]]), dim=1).tolist()
    [[0.5, 0.5]]
    """
    return _cast(input, dtype).softmax(_softmax_dim(input, dim, "softmax"))


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
                dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim``; ``dtype`` casts the input first."""
    return _cast(input, dtype).log_softmax(_softmax_dim(input, dim, "log_softmax"))


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
            dtype: Any = None) -> Tensor:
    """softmax(-x) along ``dim``."""
    return (-_cast(input, dtype)).softmax(_softmax_dim(input, dim, "softmin"))


# ------------------------------------------------------------- in-place F.X_ forms
def _write(x: Tensor, result: Tensor) -> Tensor:
    return x._inplace_result(result, "activation")


def relu_(input: Tensor) -> Tensor:  # noqa: A002
    """relu, written into ``input``."""
    return _write(input, relu(input._inplace_source()))


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """leaky_relu, written into ``input``."""
    return _write(input, leaky_relu(input._inplace_source(), negative_slope))


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """elu, written into ``input``."""
    return _write(input, elu(input._inplace_source(), alpha))


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """selu, written into ``input``."""
    return _write(input, selu(input._inplace_source()))


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """celu, written into ``input``."""
    return _write(input, celu(input._inplace_source(), alpha))


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """hardtanh, written into ``input``."""
    return _write(input, hardtanh(input._inplace_source(), min_val, max_val))


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """threshold, written into ``input``."""
    return _write(input, _threshold(input._inplace_source(), threshold, value))

