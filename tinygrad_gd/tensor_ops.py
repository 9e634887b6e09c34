"""The operation methods of ``Tensor`` (math, reductions, shapes), kept apart from its core.

``Tensor`` inherits them; each one is a thin call into a primitive of ``ops/`` or a composition of
primitives, so every method here is differentiable to any order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import backend
from .ops import elementwise as E
from .ops import movement as M
from .ops import reduce as R

if TYPE_CHECKING:
    from .tensor import Tensor


def _nd(x: Any) -> Any:
    """NumPy gives scalars for 0-d results; a Tensor holds arrays."""
    return np.asarray(x) if isinstance(x, np.generic) else x


def _shape_arg(shape: tuple) -> tuple[int, ...]:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class TensorOps:
    """Mixin holding the differentiable operations of ``Tensor``."""

    __slots__ = ()

    # ---------------------------------------------------------------- unary math
    def exp(self) -> Tensor:
        """e to the power of each element."""
        return E.Exp.apply(self._as_float())

    def log(self) -> Tensor:
        """Natural logarithm."""
        return E.Log.apply(self._as_float())

    def sqrt(self) -> Tensor:
        """Square root."""
        return E.Sqrt.apply(self._as_float())

    def sin(self) -> Tensor:
        """Sine."""
        return E.Sin.apply(self._as_float())

    def cos(self) -> Tensor:
        """Cosine."""
        return E.Cos.apply(self._as_float())

    def tanh(self) -> Tensor:
        """Hyperbolic tangent."""
        return E.Tanh.apply(self._as_float())

    def sigmoid(self) -> Tensor:
        """Logistic function 1 / (1 + exp(-x)), computed stably."""
        return E.Sigmoid.apply(self._as_float())

    def erf(self) -> Tensor:
        """The error function."""
        return E.Erf.apply(self._as_float())

    def square(self) -> Tensor:
        """Each element squared."""
        return self * self

    def reciprocal(self) -> Tensor:
        """1 / x."""
        return 1.0 / self

    def _as_float(self) -> Tensor:
        if self.data.dtype.kind == "f":  # backend.is_floating, inlined: every unary op asks
            return self
        from .dtypes import DEFAULT_FLOAT  # ints compute in the default float dtype, as torch

        return self.to(DEFAULT_FLOAT[0])

    def abs(self) -> Tensor:
        """Absolute value; its gradient at 0 is 0 (as torch)."""
        xp = backend.xp_of(self.data)
        return E.Abs.apply(self, out=xp.abs(self.data), slope=xp.sign(self.data))

    def __abs__(self) -> Tensor:  # abs(t), as torch
        return self.abs()

    def relu(self) -> Tensor:
        """max(x, 0); its gradient at 0 is 0 (as torch)."""
        x = self.data
        # two passes: the output and a boolean mask as the slope (``g * mask`` casts it inside
        # the multiply), not a float slope array made by a third pass; on NumPy against an
        # array of zeros, which its maximum vectorises (against a scalar 0 it does not).
        # The mask is out != 0, so a NaN passes its gradient on, as torch's (x > 0 would not)
        zeros = backend.zeros_laid_out_as(x) if backend.is_host(x) and x.dtype.kind == "f" \
            else None
        if zeros is not None:
            out = np.maximum(x, zeros)
        else:
            out = backend.xp_of(x).maximum(x, 0).astype(x.dtype, copy=False)
        return E.Relu.apply(self, out=out, slope=out != 0)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x where x > 0, else ``negative_slope * x``."""
        if not backend.is_floating(self.dtype):  # an int slope array would round 0.01 to 0
            return self._as_float().leaky_relu(negative_slope)
        pos = self.data > 0
        xp = backend.xp_of(self.data)
        slope = xp.where(pos, 1.0, negative_slope).astype(self.dtype)
        return E.LeakyRelu.apply(self, out=self.data * slope, slope=slope)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        """Clip to ``[min, max]``; the gradient passes where ``min <= x <= max`` (as torch)."""
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max")
        from .tensor import Tensor

        if isinstance(min, Tensor) or isinstance(max, Tensor):
            # tensor bounds (torch allows them): the gradient goes to x where min <= x <= max
            # and to the bound that is taken elsewhere
            out = self
            if min is not None:
                out = where(out < min, min, out)
            if max is not None:
                out = where(out > max, max, out)
            return out
        if not backend.is_floating(self.dtype) and any(
                isinstance(v, float) for v in (min, max)):
            return self._as_float().clamp(min, max)  # a float bound gives floats (as torch)
        x = self.data
        keep = np.ones((), dtype=bool) if backend.xp_of(x) is np else backend.xp_of(x).ones(
            (), dtype=bool)
        if min is not None:
            keep = keep & (x >= min)
        if max is not None:
            keep = keep & (x <= max)
        out = backend.xp_of(x).clip(x, min, max).astype(self.dtype, copy=False)
        return E.Clamp.apply(self, out=out, slope=keep.astype(self.dtype))

    clip = clamp

    def gelu(self, approximate: str = "none") -> Tensor:
        """Gaussian error linear unit, x * Phi(x); ``approximate="tanh"`` uses the tanh formula."""
        if approximate == "tanh":
            inner = math.sqrt(2.0 / math.pi) * (self + 0.044715 * self * self * self)
            return 0.5 * self * (1.0 + inner.tanh())
        if approximate != "none":
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return 0.5 * self * (1.0 + (self * (1.0 / math.sqrt(2.0))).erf())

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """log(1 + exp(beta x)) / beta, linear above ``threshold`` (as torch)."""
        bx = self * beta
        # log(1 + e^z) for z < 0, z + log(1 + e^-z) otherwise: both exact and overflow-free, so
        # every derivative is right, at 0 too (relu + log(1 + e^-|z|) had slope 0 there, not 1/2)
        neg = bx.data < 0
        smooth = (where(neg, 0.0, bx) + (1.0 + where(neg, bx, -bx).exp()).log()) * (1.0 / beta)
        return where(bx.data > threshold, self, smooth)

    def maximum(self, other: Any) -> Tensor:
        """Elementwise maximum; ties split the gradient evenly."""
        return self._binary(E.Maximum, other)

    def minimum(self, other: Any) -> Tensor:
        """Elementwise minimum; ties split the gradient evenly."""
        other = self._operand(other)
        a, b = self, other
        if a.dtype != b.dtype:
            from .tensor import _promote

            a, b = _promote(a, b)
        return E.Maximum.apply(a, b, minimum=True)

    def where(self, condition: Any, other: Any) -> Tensor:
        """``where(condition, self, other)`` (torch's method form)."""
        return where(condition, self, other)

    # ------------------------------------------------------ logical ops on masks (no gradient)
    def _bitwise(self, other: Any, ufunc: str, reflected: bool = False) -> Tensor:
        from .tensor import _promote

        other = self._operand(other)
        for t in (self, other):
            if t.dtype.kind not in "biu":
                raise TypeError(f"{ufunc}: needs bool or integer tensors, got dtype {t.dtype}")
        if other._device != self._device:
            raise RuntimeError(f"{ufunc} of tensors on {self._device} and {other._device}")
        a, b = (other, self) if reflected else (self, other)
        if a.dtype != b.dtype:
            a, b = _promote(a, b)
        return self._const(_nd(getattr(backend.xp_of(a.data), ufunc)(a.data, b.data)))

    def __and__(self, other: Any) -> Tensor:
        return self._bitwise(other, "bitwise_and")

    def __rand__(self, other: Any) -> Tensor:
        return self._bitwise(other, "bitwise_and", reflected=True)

    def __or__(self, other: Any) -> Tensor:
        return self._bitwise(other, "bitwise_or")

    def __ror__(self, other: Any) -> Tensor:
        return self._bitwise(other, "bitwise_or", reflected=True)

    def __xor__(self, other: Any) -> Tensor:
        return self._bitwise(other, "bitwise_xor")

    def __rxor__(self, other: Any) -> Tensor:
        return self._bitwise(other, "bitwise_xor", reflected=True)

    def __invert__(self) -> Tensor:
        if self.dtype.kind not in "biu":
            raise TypeError(f"~ needs a bool or integer tensor, got dtype {self.dtype}")
        return self._const(_nd(backend.xp_of(self.data).invert(self.data)))

    def logical_not(self) -> Tensor:
        """True where the element is zero/False (``~mask`` for bool tensors); no gradient."""
        return self._const(_nd(backend.xp_of(self.data).logical_not(self.data)))

    # ---------------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        """Sum over ``axis`` (all when None)."""
        return R.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        """Arithmetic mean over ``axis``."""
        return R.mean(self._as_float(), axis, keepdims, dim=dim, keepdim=keepdim)

    def var(self, axis=None, keepdims=False, *, correction=1, dim=None, keepdim=None) -> Tensor:
        """Variance with Bessel's ``correction`` (1 by default, as torch)."""
        return R.var(self._as_float(), axis, keepdims, correction=correction, dim=dim,
                     keepdim=keepdim)

    def std(self, axis=None, keepdims=False, *, correction=1, dim=None, keepdim=None) -> Tensor:
        """Standard deviation, ``sqrt(var)``."""
        return R.std(self._as_float(), axis, keepdims, correction=correction, dim=dim,
                     keepdim=keepdim)

    # max/min (values and indices) and amax/amin: methods/reduction.py

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        """log(sum(exp(x))) over ``axis``, computed without overflow."""
        return R.logsumexp(self._as_float(), axis, keepdims, dim=dim, keepdim=keepdim)

    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """exp(x) / sum(exp(x)) along ``axis``."""
        return R.softmax(self._as_float(), axis, dim=dim)

    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """x - logsumexp(x) along ``axis``."""
        return R.log_softmax(self._as_float(), axis, dim=dim)

    def norm(self, p=2, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        """Vector p-norm over ``axis`` (all elements when None); the 2-norm's gradient at 0 is 0."""
        return R.norm(self._as_float(), p, axis, keepdims, dim=dim, keepdim=keepdim)

    # -------------------------------------------------------------------- shapes
    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape (one dimension may be -1)."""
        shape = _shape_arg(shape)
        if shape == self.shape:
            return self
        try:
            return M.Reshape.apply(self, shape=shape)
        except ValueError:
            raise ValueError(f"cannot reshape a tensor of shape {self.shape} "
                             f"({self.numel()} elements) into {shape}") from None

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions ``start_dim..end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        for d in (start_dim, end_dim):
            if not -self.ndim <= d < self.ndim:
                raise IndexError(f"flatten: dim {d} out of range for {self.ndim} dimensions")
        s, e = start_dim % self.ndim, end_dim % self.ndim
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"for {self.ndim} dimensions")
        return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1:])

    def squeeze(self, dim: int | Sequence[int] | None = None) -> Tensor:
        """Drop size-1 dimensions (only ``dim`` when given; other sizes are left, as torch)."""
        if dim is None:
            axes = [i for i, s in enumerate(self.shape) if s == 1]
        else:
            axes = [a for a in R.normalize_axis(dim, self.ndim) if self.shape[a] == 1]
        return self.reshape(tuple(s for i, s in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a size-1 dimension at ``dim``."""
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise IndexError(f"unsqueeze: dim {dim} out of range for {self.ndim} dimensions")
        dim = dim % (self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def broadcast_to(self, *shape: Any) -> Tensor:
        """A broadcast view with ``shape``."""
        shape = _shape_arg(shape)
        if shape == self.shape:
            return self
        try:
            return M.BroadcastTo.apply(self, shape=shape)
        except ValueError:
            raise ValueError(f"cannot broadcast shape {self.shape} to {shape}") from None

    def expand(self, *sizes: Any) -> Tensor:
        """torch's ``expand``: like ``broadcast_to``, with -1 keeping a dimension's size."""
        sizes = _shape_arg(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0 or any(s == -1 for s in sizes[:lead]):
            raise ValueError(f"expand: cannot expand shape {self.shape} to {sizes} (give at least "
                             f"{self.ndim} sizes, and -1 only for existing dimensions)")
        shape = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
        return self.broadcast_to(shape)

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the dimensions."""
        dims = _shape_arg(dims)
        if any(not -self.ndim <= d < self.ndim for d in dims) or sorted(
                d % max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of {self.ndim} dimensions")
        return M.Permute.apply(self, axes=tuple(d % self.ndim for d in dims))

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        """Swap two dimensions."""
        axes = list(range(self.ndim))
        for d in (dim0, dim1):
            if not -max(self.ndim, 1) <= d < max(self.ndim, 1):
                raise IndexError(f"transpose: dim {d} out of range for {self.ndim} dimensions")
        if self.ndim == 0:
            return self
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return M.Permute.apply(self, axes=tuple(axes))

    @property
    def T(self) -> Tensor:  # noqa: N802 - torch's and NumPy's name
        """All dimensions reversed."""
        return M.Permute.apply(self, axes=tuple(reversed(range(self.ndim))))

    def pad(self, pad: Sequence[int], value: float = 0.0) -> Tensor:
        """Constant padding, in torch's order: (left, right) of the last dim, then the previous."""
        pad = tuple(pad)
        if len(pad) % 2 or len(pad) // 2 > self.ndim:
            raise ValueError(f"pad: {pad} needs an even length of at most 2 * {self.ndim}")
        widths = [(0, 0)] * self.ndim
        for i in range(len(pad) // 2):
            widths[self.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        if any(w < 0 for pair in widths for w in pair):
            raise ValueError(f"pad: negative padding {pad} is not supported")
        return M.Pad.apply(self, widths=tuple(widths), value=value)

    def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple:
        """Split along ``dim`` into pieces of a given size (the last may be smaller) or sizes."""
        n = self.shape[dim]
        if isinstance(split_size_or_sections, (int, np.integer)):
            step = split_size_or_sections
            if step <= 0:
                raise ValueError(f"split: size must be positive, got {step}")
            sizes = [min(step, n - i) for i in range(0, n, step)]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ValueError(
                    f"split: sections {sizes} do not sum to dimension {dim}'s size {n}")
        lead = (slice(None),) * (dim % self.ndim)
        pieces, start = [], 0
        for size in sizes:
            pieces.append(self[lead + (slice(start, start + size),)])
            start += size
        return tuple(pieces)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """Split into ``chunks`` pieces of (nearly) equal size along ``dim``."""
        if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
            raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
        return self.split(max(1, -(-self.shape[dim] // chunks)), dim)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """``x`` where ``condition`` is true, else ``y`` (broadcasting); differentiable in x and y.

    >>> import tinygrad_gd as tg
    >>> tg.where(tg.tensor([True, False]), tg.tensor([1.0, 2.0]), 0.0).tolist()
    [1.0, 0.0]
    """
    from .tensor import Tensor, _promote

    ref = next((v for v in (x, y) if isinstance(v, Tensor)), None)
    if ref is None:
        ref = Tensor(x)
    x, y = ref._operand(x), ref._operand(y)
    if x.dtype != y.dtype:
        x, y = _promote(x, y)
    cond = condition if isinstance(condition, Tensor) else Tensor(condition, device=x.device)
    if cond.dtype != np.bool_:
        cond = Tensor._make(cond.data.astype(bool), cond.device)
    try:
        return E.Where.apply(cond, x, y)
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape}, {x.shape} and {y.shape} do not "
                         "broadcast") from None
