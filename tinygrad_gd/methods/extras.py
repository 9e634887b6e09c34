"""Tensor methods and ``tg.X`` functions that ordinary PyTorch scripts use and that the other
families lacked: aliases (``multiply``, ``subtract``, ``positive``, ``nelement``), storage
queries (``data_ptr``, ``stride``, ``is_signed``), ``addcmul``/``addcdiv`` (the optimizers' step
arithmetic), pointwise math (``xlogy``, ``logit``, ``sinc``, ``fmax``/``fmin``, ``copysign``,
``deg2rad``, ``float_power``, ``heaviside``, ``signbit``), differences and statistics (``diff``,
``dist``, ``cov``, ``corrcoef``), splitting (``tensor_split``, ``hsplit``/``vsplit``/
``dsplit``) and the non-differentiable set/histogram helpers (``unique``, ``bincount``,
``bucketize``, ``searchsorted``, ``isin``).

Everything differentiable is derived from existing differentiable Tensor operations, so
gradients of any order work; the masks that pick a branch are constants.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..ops.elementwise import where_const

if TYPE_CHECKING:
    from ..tensor import Tensor

# (the standalone functions, searchsorted, cat's aliases, ..., are in extras_functions.py)
__all__ = [
    "multiply", "subtract", "positive", "addcmul", "addcdiv", "xlogy", "logit", "sinc",
    "fmax", "fmin", "copysign", "deg2rad", "rad2deg", "float_power", "heaviside", "signbit",
    "diff", "dist", "cov", "corrcoef", "tensor_split", "hsplit", "vsplit", "dsplit", "unique",
    "bincount", "is_nonzero", "is_same_size", "add", "sub", "mul", "neg", "pow", "clone",
    "detach", "select", "detach_", "histc", "is_signed",
]


def _t(x: Any, like: Any = None) -> Tensor:
    from ..tensor import Tensor

    if isinstance(x, Tensor):
        return x
    return like._operand(x) if like is not None else Tensor(x)


def _xp(t: Tensor) -> Any:
    return backend.xp_of(t.data)


def _float(t: Tensor) -> Tensor:
    return t if backend.is_floating(t.dtype) else t._as_float()


class ExtraMethods:
    """Mixin of ``Tensor``: the methods listed in this module's docstring."""

    __slots__ = ()

    # ------------------------------------------------------------------- aliases, queries
    def multiply(self, other: Any) -> Tensor:
        """Alias of ``mul``."""
        return self.mul(other)

    def subtract(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """Alias of ``sub``: ``self - alpha * other``."""
        return self.sub(other, alpha=alpha)

    def positive(self) -> Tensor:
        """``self`` (torch's unary plus)."""
        return self

    def nelement(self) -> int:
        """Alias of ``numel()``."""
        return int(self.data.size)

    def ndimension(self) -> int:
        """Alias of ``dim()``."""
        return self.ndim

    def data_ptr(self) -> int:
        """The address of the first element (views point into their base's memory)."""
        a = self.data
        if isinstance(a, np.ndarray):
            return int(a.__array_interface__["data"][0])
        return int(a.data.ptr)  # CuPy

    def stride(self, dim: int | None = None) -> Any:
        """Steps in elements between neighbours along each dimension (of the memory as it is
        stored here: a convolution's output is stored batch-last, so its strides differ from
        torch's contiguous ones)."""
        item = self.data.itemsize
        strides = tuple(s // item if item else 0 for s in self.data.strides)
        if dim is None:
            return strides
        return strides[dim]

    def is_signed(self) -> bool:
        """True for floating and signed integer dtypes."""
        return self.data.dtype.kind in "fi"

    def is_nonzero(self) -> bool:
        """The truth of a one-element tensor (RuntimeError otherwise, as torch)."""
        if self.data.size != 1:
            raise RuntimeError(f"is_nonzero: a tensor with {self.data.size} elements is "
                               "ambiguous; expected exactly one element")
        return bool(self.item())

    def is_same_size(self, other: Tensor) -> bool:
        """True when the shapes are equal."""
        return tuple(self.shape) == tuple(other.shape)

    def pin_memory(self, device: Any = None) -> Tensor:
        """``self`` (host memory is not pinned here; transfers are synchronous)."""
        return self

    def share_memory_(self) -> Tensor:
        """``self`` (no inter-process sharing here)."""
        return self

    def is_shared(self) -> bool:
        """False: tensors are never in shared memory here."""
        return False

    # -------------------------------------------------------------------------- arithmetic
    def addcmul(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """``self + value * tensor1 * tensor2``."""
        prod = _t(tensor1, self) * tensor2
        return self + (prod if value == 1 else prod * value)

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """``self + value * tensor1 / tensor2`` (integer division refused, as torch)."""
        t1, t2 = _t(tensor1, self), _t(tensor2, self)
        if not backend.is_floating(t1.dtype) and not backend.is_floating(t2.dtype):
            raise RuntimeError("addcdiv: integer division of tensors is not supported (as "
                               "torch); use floating-point tensors")
        q = t1 / t2
        return self + (q if value == 1 else q * value)

    def xlogy(self, other: Any) -> Tensor:
        """``self * log(other)``, 0 where ``self == 0`` (unless ``other`` is NaN).

        >>> import tinygrad_gd as tg
        >>> tg.tensor([0.0, 2.0]).xlogy(tg.tensor([0.0, 1.0])).tolist()
        [0.0, 0.0]
        """
        x, y = _float(self), _float(_t(other, self))
        zero = (x.data == 0) & ~_xp(y).isnan(y.data)  # a constant mask: no device sync
        return x * where_const(~zero, y, 1.0).log()

    def logit(self, eps: float | None = None) -> Tensor:
        """``log(p / (1 - p))``, ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given."""
        p = _float(self)
        if eps is not None:
            p = p.clamp(eps, 1.0 - eps)
        return (p / (1.0 - p)).log()

    def sinc(self) -> Tensor:
        """``sin(pi x) / (pi x)``, 1 at 0 (gradient 0 there, as torch). Near 0 (``|pi x| <
        1e-3``) its Taylor series ``1 - s^2/6 + s^4/120``: the quotient's gradient
        ``cos(s)/s - sin(s)/s^2`` overflows there (-inf at x = 1e-300, where it is ~0)."""
        from ..tensor_ops import where as where3

        x = _float(self)
        small = _xp(x).abs(x.data) * math.pi < 1e-3
        safe = where_const(~small, x, 1.0) * math.pi
        s2 = (x * math.pi) ** 2
        series = 1.0 - s2 / 6.0 + s2 * s2 / 120.0
        return where3(x._const(small), series, safe.sin() / safe)

    def _fpick(self, other: Any, op: str) -> Tensor:
        from ..tensor_ops import where as where3

        b = _t(other, self)
        a_, b_ = self, b
        cmp = (a_.data >= b_.data) if op == "fmax" else (a_.data <= b_.data)
        pick = cmp | _xp(b_).isnan(b_.data)  # NaN is ignored: the other value wins
        return where3(self._const(pick), a_, b_)

    def fmax(self, other: Any) -> Tensor:
        """Elementwise maximum ignoring NaN (NaN only where both are); the gradient goes to
        ``self`` at ties, as torch's."""
        return self._fpick(other, "fmax")

    def fmin(self, other: Any) -> Tensor:
        """Elementwise minimum ignoring NaN; the gradient goes to ``self`` at ties."""
        return self._fpick(other, "fmin")

    def copysign(self, other: Any) -> Tensor:
        """``|self|`` with the sign (bit) of ``other``; no gradient flows to ``other``."""
        b = _t(other, self)
        mag = _float(self).abs()
        neg = _xp(b).signbit(b.data)
        return where_const(~neg, mag, 0.0) - where_const(neg, mag, 0.0)

    def deg2rad(self) -> Tensor:
        """Degrees to radians."""
        return _float(self) * (math.pi / 180.0)

    def rad2deg(self) -> Tensor:
        """Radians to degrees."""
        return _float(self) * (180.0 / math.pi)

    def float_power(self, exponent: Any) -> Tensor:
        """``self ** exponent`` computed in float64 (as torch)."""
        e = exponent.double() if hasattr(exponent, "double") else float(exponent)
        return self.double() ** e

    def heaviside(self, values: Any) -> Tensor:
        """0 where ``self < 0``, ``values`` where 0, 1 where positive (no gradient, as torch)."""
        v = _t(values, self)
        if v.dtype != self.dtype:
            raise TypeError(f"heaviside: input dtype {self.dtype} and values dtype {v.dtype} "
                            "differ (as torch)")
        xp = _xp(self)
        out = xp.where(self.data == 0, v.data, (self.data > 0).astype(self.dtype))
        return self._const(xp.asarray(out, dtype=self.dtype))

    def signbit(self) -> Tensor:
        """True where the sign bit is set (-0.0 included)."""
        return self._const(_xp(self).signbit(self.data))

    # ------------------------------------------------------------ differences, statistics
    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None
             ) -> Tensor:
        """The ``n``-th forward difference along ``dim`` (``prepend``/``append`` joined first).

        >>> import tinygrad_gd as tg
        >>> tg.tensor([1, 4, 9, 16]).diff().tolist()
        [3, 5, 7]
        """
        from ..functions import cat

        if self.ndim == 0:
            raise RuntimeError("diff expects a tensor with at least one dimension")
        x = self
        parts = [p for p in (prepend, x, append) if p is not None]
        if len(parts) > 1:
            def as_nd(p: Any) -> Tensor:
                p = _t(p, self)
                if p.ndim == 0:  # a scalar is broadcast to one slice, as torch
                    shape = list(self.shape)
                    shape[dim] = 1
                    p = p.expand(*shape)
                return p
            x = cat([as_nd(p) for p in parts], dim=dim)
        for _ in range(n):
            size = x.shape[dim]
            if size == 0:
                break
            x = x.narrow(dim, 1, size - 1) - x.narrow(dim, 0, size - 1) if x.dtype != np.bool_ \
                else x.narrow(dim, 1, size - 1) ^ x.narrow(dim, 0, size - 1)
        return x

    def dist(self, other: Any, p: float = 2) -> Tensor:
        """``(self - other).norm(p)`` (broadcasting)."""
        return (self - _t(other, self)).norm(p)

    def cov(self, *, correction: int = 1, fweights: Any = None, aweights: Any = None
            ) -> Tensor:
        """The covariance matrix of the rows (variables) over the columns (observations)."""
        if fweights is not None or aweights is not None:
            raise NotImplementedError("cov: fweights/aweights are not implemented")
        if self.ndim > 2:
            raise ValueError(f"cov: expected a 1-D or 2-D input, got shape {tuple(self.shape)}")
        x = _float(self)
        x2 = x.reshape(1, -1) if x.ndim < 2 else x
        n = x2.shape[1]
        centred = x2 - x2.mean(dim=1, keepdim=True)
        c = centred.matmul(centred.T) / max(n - correction, 0)
        return c.reshape(()) if c.shape[0] == 1 else c  # one variable: 0-d, as torch

    def corrcoef(self) -> Tensor:
        """Pearson correlation coefficients of the rows, clipped to [-1, 1] (as torch)."""
        c = self.cov()
        if c.ndim == 0:
            return c / c
        d = c.diagonal().sqrt()
        return (c / d.reshape(-1, 1) / d.reshape(1, -1)).clamp(-1.0, 1.0)

    # ---------------------------------------------------------------------------- splitting
    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        """Split into ``n`` nearly equal parts (the first ``size % n`` one longer) or at the
        given indices; views, as torch."""
        size = self.shape[dim]
        if isinstance(indices_or_sections, (int, np.integer)) and not isinstance(
                indices_or_sections, bool):
            n = int(indices_or_sections)
            if n < 1:
                raise RuntimeError(f"tensor_split: number of sections must be >= 1, got {n}")
            q, r = divmod(size, n)
            bounds = [i * q + min(i, r) for i in range(n + 1)]
        else:
            idx = [int(i) for i in (indices_or_sections.tolist()
                                    if hasattr(indices_or_sections, "tolist")
                                    else indices_or_sections)]
            bounds = [0] + idx + [size]
        out = []
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            lo, hi = min(max(lo, 0), size), min(max(hi, 0), size)
            out.append(self.narrow(dim, lo, max(hi - lo, 0)))
        return tuple(out)

    def _nsplit(self, sections: Any, dim: int, name: str, min_dim: int) -> tuple[Tensor, ...]:
        if self.ndim < min_dim:
            raise RuntimeError(f"{name} requires a tensor with at least {min_dim} dimensions, "
                               f"got shape {tuple(self.shape)}")
        if isinstance(sections, (int, np.integer)) and self.shape[dim] % int(sections):
            raise RuntimeError(f"{name}: dimension {dim} of size {self.shape[dim]} is not "
                               f"divisible by {sections}")
        return self.tensor_split(sections, dim)

    def hsplit(self, sections: Any) -> tuple[Tensor, ...]:
        """Split along dim 1 (dim 0 for 1-D tensors)."""
        return self._nsplit(sections, 1 if self.ndim > 1 else 0, "hsplit", 1)

    def vsplit(self, sections: Any) -> tuple[Tensor, ...]:
        """Split along dim 0 (at least 2-D)."""
        return self._nsplit(sections, 0, "vsplit", 2)

    def dsplit(self, sections: Any) -> tuple[Tensor, ...]:
        """Split along dim 2 (at least 3-D)."""
        return self._nsplit(sections, 2, "dsplit", 3)

    # ------------------------------------------------------------- selection, graph
    def select(self, dim: int, index: int) -> Tensor:
        """The slice at ``index`` along ``dim``, that dimension removed (a view)."""
        if self.ndim == 0:
            raise IndexError("select() cannot be applied to a 0-dim tensor")
        d = dim + self.ndim if dim < 0 else dim
        if not 0 <= d < self.ndim:
            raise IndexError(f"select(): dim {dim} is out of range for shape "
                             f"{tuple(self.shape)}")
        size = self.shape[d]
        if not -size <= index < size:
            raise IndexError(f"select(): index {index} out of range for dimension {dim} of "
                             f"size {size}")
        return self[(slice(None),) * d + (index,)]

    def sum_to_size(self, *size: Any) -> Tensor:
        """Sum the broadcast dimensions away so the result has ``size`` (``self`` must be
        expandable from it)."""
        shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
        lead = self.ndim - len(shape)
        if lead < 0 or any(s not in (1, n) for s, n in zip(shape, self.shape[lead:])):
            raise RuntimeError(f"sum_to_size: size {tuple(shape)} is not expandable to the "
                               f"tensor's shape {tuple(self.shape)}")
        out = self.sum(dim=tuple(range(lead))) if lead else self
        dims = tuple(i for i, (s, n) in enumerate(zip(shape, out.shape)) if s == 1 and n != 1)
        return out.sum(dim=dims, keepdim=True) if dims else out

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place: it becomes a leaf without gradient."""
        if self._view is not None and self._ctx is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead (as torch)")
        self._ctx = None
        self._requires_grad = False
        return self

    def apply_(self, callable: Any) -> Tensor:  # noqa: A002 - torch's name
        """Replace every element by ``callable(element)``, in place (CPU only, no gradient,
        slow: one Python call per element, as torch's)."""
        from ..autograd import no_grad

        if self._device != "cpu":
            raise TypeError("apply_ is only implemented on CPU tensors (as torch)")
        if self.requires_grad:
            raise RuntimeError("apply_: a tensor that requires grad cannot be changed by a "
                               "Python function (the change would not be differentiable)")
        out = np.vectorize(callable, otypes=[self.data.dtype])(self.data) if self.data.size \
            else self.data.copy()
        with no_grad():
            self.copy_(self._const(np.asarray(out, dtype=self.data.dtype)))
        return self

    def is_inference(self) -> bool:
        """False: inference tensors are ordinary tensors here."""
        return False

    def is_neg(self) -> bool:
        """False: there are no lazy negation views here."""
        return False

    def histc(self, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
        """A histogram of ``bins`` equal bins over ``[min, max]`` (the data's range when both
        are 0); elements outside are ignored (no gradient)."""
        if not backend.is_floating(self.dtype):
            raise RuntimeError(f"histc: expected a floating-point tensor, got {self.dtype}")
        xp = _xp(self)
        lo, hi = float(min), float(max)
        if lo == hi and self.data.size:
            lo, hi = float(self.data.min()), float(self.data.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        if lo > hi:
            raise RuntimeError(f"histc: max {max} must be larger than min {min}")
        counts, _ = xp.histogram(self.data, bins=int(bins), range=(lo, hi))
        return self._const(counts.astype(self.dtype))

    # ------------------------------------------------------ sets, counts (no gradient)
    def unique(self, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
               return_counts: bool = False, dim: int | None = None) -> Any:
        """The distinct values (sorted), optionally the inverse indices and the counts."""
        xp = _xp(self)
        res = xp.unique(self.data, return_inverse=return_inverse, return_counts=return_counts,
                        axis=dim)
        if not (return_inverse or return_counts):
            return self._const(res)
        vals, *rest = res
        out = [self._const(vals)]
        if return_inverse:
            inv = rest.pop(0)
            out.append(self._const(inv.reshape(self.shape if dim is None else (-1,))
                                   .astype(np.int64)))
        if return_counts:
            out.append(self._const(rest.pop(0).astype(np.int64)))
        return tuple(out)

    def bincount(self, weights: Any = None, minlength: int = 0) -> Tensor:
        """How often each non-negative integer occurs (weighted by ``weights``)."""
        if self.ndim != 1 or self.data.dtype.kind not in "iub":
            raise RuntimeError(f"bincount: expected a 1-D integer tensor, got shape "
                               f"{tuple(self.shape)} and dtype {self.dtype}")
        xp = _xp(self)
        if self.data.size and int(self.data.min()) < 0:
            raise RuntimeError("bincount: the input must be non-negative")
        w = None if weights is None else _t(weights, self).data
        out = xp.bincount(self.data, weights=w, minlength=minlength)
        if w is None:
            out = out.astype(np.int64)
        elif w.dtype == np.float32:
            out = out.astype(np.float32)
        return self._const(out)


def _method_function(name: str, doc: str) -> Any:
    def f(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - torch's name
        return getattr(_t(input, args[0] if args and hasattr(args[0], "_operand") else None),
                       name)(*args, **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


multiply = _method_function("multiply", "Alias of mul.")
subtract = _method_function("subtract", "Alias of sub: input - alpha * other.")
positive = _method_function("positive", "input itself.")
addcmul = _method_function("addcmul", "input + value * tensor1 * tensor2.")
addcdiv = _method_function("addcdiv", "input + value * tensor1 / tensor2.")
xlogy = _method_function("xlogy", "input * log(other), 0 where input == 0.")
logit = _method_function("logit", "log(p / (1 - p)), p clamped to [eps, 1 - eps].")
sinc = _method_function("sinc", "sin(pi x) / (pi x), 1 at 0.")
fmax = _method_function("fmax", "Elementwise maximum ignoring NaN.")
fmin = _method_function("fmin", "Elementwise minimum ignoring NaN.")
copysign = _method_function("copysign", "|input| with the sign of other.")
deg2rad = _method_function("deg2rad", "Degrees to radians.")
rad2deg = _method_function("rad2deg", "Radians to degrees.")
float_power = _method_function("float_power", "input ** exponent in float64.")
heaviside = _method_function("heaviside", "The Heaviside step (values at 0).")
signbit = _method_function("signbit", "True where the sign bit is set.")
diff = _method_function("diff", "The n-th forward difference along dim.")
dist = _method_function("dist", "(input - other).norm(p).")
cov = _method_function("cov", "The covariance matrix of the rows.")
corrcoef = _method_function("corrcoef", "Pearson correlation coefficients of the rows.")
tensor_split = _method_function("tensor_split", "Split into n parts or at indices (views).")
hsplit = _method_function("hsplit", "Split along dim 1 (dim 0 for 1-D).")
vsplit = _method_function("vsplit", "Split along dim 0.")
dsplit = _method_function("dsplit", "Split along dim 2.")
unique = _method_function("unique", "The distinct values (sorted), inverse and counts.")
bincount = _method_function("bincount", "Counts of each non-negative integer.")
is_nonzero = _method_function("is_nonzero", "The truth of a one-element tensor.")
is_same_size = _method_function("is_same_size", "True when the shapes are equal.")
add = _method_function("add", "input + alpha * other.")
sub = _method_function("sub", "input - alpha * other.")
mul = _method_function("mul", "input * other.")
neg = _method_function("neg", "-input.")
pow = _method_function("pow", "input ** exponent.")  # noqa: A001 - torch's name
clone = _method_function("clone", "A copy that stays in the graph.")
detach = _method_function("detach", "The same data, cut from the graph.")
detach_ = _method_function("detach_", "Cut input from the graph in place.")
select = _method_function("select", "The slice at index along dim, the dim removed.")
histc = _method_function("histc", "A histogram of equal bins over [min, max].")
is_signed = _method_function("is_signed", "True for floating and signed integer dtypes.")


def _add_inplace_forms() -> None:
    # torch's in-place forms, built as every other one (computed out of place, then copy_)
    from .pointwise import _inplace

    for name in ("addcmul", "addcdiv", "cumsum", "cumprod", "xlogy", "logit", "sinc",
                 "copysign", "deg2rad", "rad2deg", "float_power", "heaviside", "multiply",
                 "subtract"):
        setattr(ExtraMethods, name + "_", _inplace(name))


_add_inplace_forms()
