"""Function forms of the Tensor operations (``tg.exp(x)``, ``tg.cat([...])``), as torch has them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .ops import movement as M
from .tensor import Tensor
from .tensor_ops import where

__all__ = [
    "abs", "cat", "clamp", "clip", "cos", "exp", "log", "logsumexp", "matmul", "maximum", "mean",
    "minimum", "outer", "dot", "relu", "sigmoid", "sin", "softmax", "log_softmax", "sqrt", "stack",
    "sum", "tanh", "transpose", "permute", "reshape", "where", "split", "chunk", "squeeze",
    "unsqueeze", "flatten", "broadcast_to", "pad", "var", "std", "norm", "amax", "amin",
]


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dimension.

    >>> import tinygrad_gd as tg
    >>> tg.cat([tg.ones(2), tg.zeros(1)]).tolist()
    [1.0, 1.0, 0.0]
    """
    dim = axis if axis is not None else dim
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    # torch's promotion: a float dtype beats ints and bools, the widest float wins
    floats = [t.dtype for t in tensors if t.dtype.kind == "f"]
    target = np.result_type(*(floats or [t.dtype for t in tensors]))
    tensors = [t.to(target) for t in tensors]
    ref = tensors[0]
    nd = ref.ndim
    if nd == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    if not -nd <= dim < nd:
        raise IndexError(f"cat: dim {dim} out of range for {nd} dimensions")
    for t in tensors:
        if t.ndim != nd or any(a != b for i, (a, b) in enumerate(zip(t.shape, ref.shape))
                               if i != dim % nd):
            raise ValueError(f"cat: shapes {[tuple(t.shape) for t in tensors]} differ outside "
                             f"dimension {dim}")
    return M.Cat.apply(*tensors, axis=dim % nd)


def stack(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors of one shape along a new dimension."""
    dim = axis if axis is not None else dim
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product."""
    return _t(a).matmul(b)


def dot(a: Any, b: Any) -> Tensor:
    """Inner product of 1-D tensors."""
    return _t(a).dot(b)


def outer(a: Any, b: Any) -> Tensor:
    """Outer product of 1-D tensors."""
    return _t(a).outer(b)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum (ties split the gradient)."""
    return _t(a).maximum(b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum (ties split the gradient)."""
    return _t(a).minimum(b)


def _method(name: str, doc: str):
    def f(x: Any, *args: Any, **kwargs: Any) -> Tensor:
        return getattr(_t(x), name)(*args, **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


abs = _method("abs", "Absolute value.")  # noqa: A001
exp = _method("exp", "Exponential.")
log = _method("log", "Natural logarithm.")
sqrt = _method("sqrt", "Square root.")
sin = _method("sin", "Sine.")
cos = _method("cos", "Cosine.")
tanh = _method("tanh", "Hyperbolic tangent.")
sigmoid = _method("sigmoid", "Logistic sigmoid.")
relu = _method("relu", "Rectified linear unit.")
clamp = _method("clamp", "Clip to [min, max].")
clip = clamp
sum = _method("sum", "Sum over an axis.")  # noqa: A001
mean = _method("mean", "Mean over an axis.")
var = _method("var", "Variance (Bessel-corrected by default).")
std = _method("std", "Standard deviation.")
amax = _method("amax", "Largest values over an axis.")
amin = _method("amin", "Smallest values over an axis.")
norm = _method("norm", "Vector p-norm.")
logsumexp = _method("logsumexp", "Stable log(sum(exp(x))).")
softmax = _method("softmax", "Softmax along an axis.")
log_softmax = _method("log_softmax", "Log-softmax along an axis.")
reshape = _method("reshape", "Reshape.")
transpose = _method("transpose", "Swap two dimensions.")
permute = _method("permute", "Reorder dimensions.")
squeeze = _method("squeeze", "Drop size-1 dimensions.")
unsqueeze = _method("unsqueeze", "Insert a size-1 dimension.")
flatten = _method("flatten", "Merge dimensions.")
broadcast_to = _method("broadcast_to", "Broadcast to a shape.")
pad = _method("pad", "Constant padding (torch's order of widths).")
split = _method("split", "Split into pieces along a dimension.")
chunk = _method("chunk", "Split into a number of pieces.")
where = where
