"""``Tensor``: a backend array, its gradient, and the node of the tape that made it."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import backend
from .autograd import hooks as _hooks
from .autograd import run_backward
from .autograd import views as _views
from .devices import as_device
from .dtypes import DEFAULT_FLOAT
from .indexing import normalize_index, split_int_stage, torch_order_index
from .methods.comparison import ComparisonMethods
from .methods.conversion import ConversionMethods
from .methods.extras import ExtraMethods
from .methods.indexing import IndexingMethods
from .methods.inplace import InplaceMethods
from .methods.linalg import LinalgMethods
from .methods.pointwise import PointwiseMethods
from .methods.reduction import ReductionMethods
from .methods.shaping import ShapingMethods
from .ops import elementwise as E
from .ops import linalg as L
from .ops import movement as M
from .ops import reduce as R
from .tensor_ops import TensorOps

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

def _default_dtype(data: Any) -> np.dtype | None:
    """torch.as_tensor's rules for Python data: floats -> float32, ints -> int64, bools -> bool."""
    probe = np.asarray(data) if not backend.is_array(data) else data
    kind = probe.dtype.kind
    if backend.is_array(data) or isinstance(data, np.generic):
        return None  # arrays keep their dtype
    if kind == "f":
        return DEFAULT_FLOAT[0]  # float32 unless tg.set_default_dtype changed it
    if kind in "iu":
        if probe.dtype == np.uint64:  # a Python int >= 2**63: int64 would wrap it silently
            raise ValueError(f"cannot make a Tensor from {type(data).__name__} data: an "
                             "integer does not fit in int64 (-2**63 .. 2**63 - 1); pass floats")
        return int64
    if kind == "b":
        return bool_
    raise TypeError(f"cannot make a Tensor from {type(data).__name__} data of dtype {probe.dtype}")


class Tensor(InplaceMethods, ComparisonMethods, PointwiseMethods, ReductionMethods,
             IndexingMethods, ShapingMethods, LinalgMethods, ConversionMethods, ExtraMethods,
             TensorOps):
    """An n-dimensional array that records the operations applied to it for reverse-mode autodiff.

    >>> import tinygrad_gd as tg
    >>> x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad.tolist()
    [2.0, 4.0, 6.0]
    """

    # _hooks: a leaf's gradient hooks, set only by register_hook (read with getattr(t, "_hooks"))
    # _fw: (dual level, tangent) in forward-mode AD, set only there (autograd/forward_ad.py)
    # _view: a views.ViewMeta when this tensor is a view of another (autograd/views.py), else None
    __slots__ = ("data", "grad", "_requires_grad", "_ctx", "_version", "_device", "_hooks",
                 "_fw", "_view", "__weakref__")
    __array_ufunc__ = None  # `ndarray * Tensor` calls Tensor.__rmul__ instead of unwrapping us
    __hash__ = object.__hash__  # == is elementwise, so hash by identity (as torch)

    def __init__(self, data: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> None:
        source = data if isinstance(data, Tensor) else None
        if source is not None:
            data = data.data
        dev = backend.parse_device(device) if device is not None else (
            backend.device_of(data) if backend.is_array(data) else "cpu")
        dt = backend.parse_dtype(dtype) if dtype is not None else _default_dtype(data)
        if backend.is_array(data):
            array = backend.to_device(data, dev)
        else:
            array = backend.get_xp(dev).asarray(data) if dev != "cpu" else np.asarray(data)
        if dt is not None and array.dtype != dt:
            with backend.on_device(dev):  # on GPU N the cast runs there
                array = array.astype(dt)
        if array.dtype.name not in backend.DTYPES:
            raise TypeError(f"unsupported dtype {array.dtype} for a Tensor")
        self.data = array
        self.grad: Tensor | None = None
        self._ctx = None
        # Tensor(t) without a cast or move aliases t's memory (torch.as_tensor): an in-place write
        # through either must show in the version counter both share
        self._version = source._version if source is not None and array is source.data else [0]
        self._device = dev
        self._view = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_()

    @classmethod
    def _make(cls, data: Any, device: str, requires_grad: bool = False) -> Tensor:
        """Wrap a backend array without checks (the hot path of every operation)."""
        t = object.__new__(cls)
        t.data = data
        t.grad = t._ctx = t._view = None
        t._version = [0]
        t._device = device
        t._requires_grad = requires_grad
        return t

    def _const(self, array: Any) -> Tensor:
        """A constant tensor on this tensor's device (masks and shifts inside backward rules)."""
        return Tensor._make(array, self._device)

    # ----------------------------------------------------------------------------- properties
    shape = property(lambda self: self.data.shape, doc="The shape, a tuple of ints.")
    ndim = property(lambda self: self.data.ndim, doc="The number of dimensions.")
    dtype = property(lambda self: self.data.dtype, doc="The dtype, a ``numpy.dtype``.")
    device = property(lambda self: as_device(self._device),
                      doc="A ``tg.device``: equal to the string ``'cpu'`` or ``'cuda:N'``.")
    is_leaf = property(lambda self: self._ctx is None, doc="True unless an op recorded it.")
    grad_fn = property(lambda self: self._current()._ctx,
                       doc="The Primitive node that made it, or None.")
    version = property(lambda self: self._version[0], doc="Bumped by each in-place change.")
    xp = property(lambda self: np if self._device == "cpu" else backend.get_xp(self._device),
                  doc="The array module of this tensor's device (numpy or cupy).")

    def size(self, dim: int | None = None) -> Any:
        """The shape (a tuple of ints), or the length of dimension ``dim``, as torch's ``size()``.

        >>> import tinygrad_gd as tg
        >>> x = tg.zeros(2, 3)
        >>> x.size(), x.size(-1)
        ((2, 3), 3)
        """
        if dim is None:
            return self.data.shape
        if not -max(self.data.ndim, 1) <= dim < max(self.data.ndim, 1) or self.data.ndim == 0:
            raise IndexError(f"size: dim {dim} out of range for a tensor of {self.data.ndim} "
                             "dimensions")
        return self.data.shape[dim]

    def numel(self) -> int:
        """The number of elements."""
        return self.data.size

    def dim(self) -> int:
        """The number of dimensions."""
        return self.data.ndim

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu" or self.ndim != 0:
            raise TypeError(f"only 0-d integer tensors can be used as a Python index, got shape "
                            f"{self.shape} and dtype {self.dtype}")
        return int(self.item())

    def __format__(self, spec: str) -> str:
        if spec and self.ndim == 0:  # f"{loss:.4f}" works on 0-d tensors, as in torch
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __repr__(self) -> str:
        from .printing import tensor_repr  # torch's layout: tensor([1.5000, 2.0000])

        return tensor_repr(self)

    # ----------------------------------------------------------------------- conversions
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a host NumPy array (a copy when the tensor is on a GPU). ``force`` is
        torch's flag for detaching and copying first: here the array never carries a graph."""
        if hasattr(self.data, "jit_value_read"):  # tg.jit tracing: values are not known
            self.data.jit_value_read()
        return backend.to_numpy(self.data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.numpy()
        return out.astype(dtype) if dtype is not None else out

    def item(self) -> float | int | bool:
        """The single value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.numpy().reshape(()).item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists."""
        return self.numpy().tolist()

    def detach(self) -> Tensor:
        """The same values, cut from the graph (shares memory and the version counter)."""
        out = Tensor._make(self.data, self._device)
        out._version = self._version
        return out

    def clone(self) -> Tensor:
        """A differentiable copy with its own memory."""
        return E.Cast.apply(self, dtype=self.dtype)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf tensor as needing gradients (floating dtypes only)."""
        if requires_grad and not backend.is_floating(self.dtype):
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor; use .detach()")
        self._requires_grad = bool(requires_grad)
        return self

    # The flag lives in the slot _requires_grad, which the engine reads directly (a property
    # costs a function call, and every op reads the flag); assigning goes through the checks.
    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to this tensor (a leaf's flag, or "made from one")."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise RuntimeError(f"requires_grad must be a bool, got {type(value).__name__}")
        if self._ctx is not None:  # torch refuses True as well
            raise RuntimeError(
                "you can only change requires_grad flags of leaf tensors; this one was made by "
                f"{type(self._ctx).__name__}. To use it without gradients, take y.detach()")
        if value and not backend.is_floating(self.dtype):
            raise RuntimeError(f"only floating-point tensors can require gradients, got dtype "
                               f"{self.dtype}")
        self._requires_grad = bool(value)

    def to(self, *args: Any, device: Any = None, dtype: Any = None, non_blocking: bool = False,
           copy: bool = False, memory_format: Any = None) -> Tensor:
        """Move and/or cast: ``.to("cuda")``, ``.to(tg.float64)``, ``.to("cpu", "float64")``,
        ``.to(other)`` (other's dtype and device).

        Differentiable; returns ``self`` when nothing changes (a copy with ``copy=True``);
        ``non_blocking`` and ``memory_format`` are accepted and change nothing.
        """
        if args and isinstance(args[0], Tensor):  # torch's .to(other)
            args, device, dtype = args[1:], args[0]._device, args[0].dtype
        device, dtype = backend.split_to_args(args, device, dtype)
        out = self
        if dtype is not None:
            dt = backend.parse_dtype(dtype)
            if dt != out.dtype and not backend.is_floating(dt):
                # rounding to ints/bools is piecewise constant: no gradient flows (as torch)
                out = Tensor._make(out.data.astype(dt), out._device)
            elif dt != out.dtype:
                out = E.Cast.apply(out, dtype=dt)
        if device is not None:
            dev = backend.parse_device(device)
            if dev != out._device:
                out = E.ToDevice.apply(out, dev)
        return out.clone() if copy and out is self else out

    def cpu(self) -> Tensor:
        """``self.to("cpu")``."""
        return self.to(device="cpu")

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        """``self.to("cuda:N")``: ``cuda()``, ``cuda(1)`` or ``cuda("cuda:1")``."""
        if device is None or isinstance(device, int):
            device = f"cuda:{device or 0}"
        return self.to(device=device)

    def float(self) -> Tensor:
        """Cast to float32."""
        return self.to(dtype=float32)

    def double(self) -> Tensor:
        """Cast to float64."""
        return self.to(dtype=float64)

    def long(self) -> Tensor:
        """Cast to int64 (no gradient flows through)."""
        return Tensor._make(self.data.astype(np.int64), self._device)

    # ------------------------------------------------------------------------- autodiff
    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Sequence[Tensor] | None = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (``inputs``: only those).

        ``gradient`` is needed unless ``self`` has one element; ``create_graph=True`` records the
        backward pass so it can be differentiated again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of the computation "
                "had requires_grad=True (or it ran under tg.no_grad())")
        grad = _seed_gradient(self, gradient, "backward()")
        retain = create_graph if retain_graph is None else retain_graph
        if inputs is None:
            run_backward([self], [grad], retain, create_graph)
            return
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        run_backward([self], [grad], retain, create_graph, capture=inputs, into_grad=True)

    def register_hook(self, hook: Any) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a Tensor it returns
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        return _hooks.register_tensor_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """Call ``hook(self)`` once backward has accumulated this leaf's gradient into ``.grad``
        (as soon as it is complete). Returns a handle whose ``remove()`` unregisters it."""
        return _hooks.register_post_accumulate_hook(self, hook)

    def retain_grad(self) -> None:
        """Have backward fill ``.grad`` of this non-leaf tensor too."""
        _hooks.retain_grad(self)

    retains_grad = property(lambda self: _hooks.retains_grad(self),
                            doc="True for a non-leaf whose ``.grad`` backward fills.")

    def sum_to(self, shape: Sequence[int]) -> Tensor:
        """Sum broadcast dimensions away so the result has ``shape`` (the adjoint of broadcast)."""
        shape = tuple(shape)
        if self.shape == shape:
            return self
        lead = self.ndim - len(shape)
        if lead < 0 or any(s != 1 and s != t for s, t in zip(shape, self.shape[lead:])):
            raise ValueError(f"cannot sum shape {self.shape} down to {shape}")
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and self.shape[lead + i] != 1)
        out = R.Sum.apply(self, axes=axes, keepdims=True) if axes else self
        return out.reshape(shape)

    # -------------------------------------------------------------------- arithmetic
    def _operand(self, other: Any) -> Tensor:
        """``other`` as a Tensor; Python scalars take this tensor's dtype (they never promote a
        float tensor, as in torch)."""
        if isinstance(other, Tensor):
            return other
        if type(other) is float and self.data.dtype.kind == "f":  # the common case, made fast
            if self._device == "cpu":
                return Tensor._make(np.asarray(other, dtype=self.data.dtype), "cpu")
            # a GPU: copied there once per value, not per call (backend.device_scalar)
            return Tensor._make(backend.device_scalar(other, self.data.dtype, self._device),
                                self._device)
        if isinstance(other, (numbers.Number, np.generic)) and not backend.is_array(other):
            kind = self.dtype.kind
            if isinstance(other, (bool, np.bool_)):
                dt = self.dtype
            elif isinstance(other, (numbers.Integral, np.integer)):
                dt = self.dtype if kind != "b" else int64
            else:
                dt = self.dtype if kind == "f" else DEFAULT_FLOAT[0]
            return Tensor._make(backend.device_scalar(other, np.dtype(dt), self._device),
                                self._device)
        if backend.is_array(other) or isinstance(other, (list, tuple)):
            return Tensor(other, device=self._device if not backend.is_array(other) else None)
        raise TypeError(f"unsupported operand type for a Tensor operation: {type(other).__name__}")

    def _binary(self, fn: type, other: Any, reflected: bool = False) -> Tensor:
        if not isinstance(other, Tensor):
            if type(other) is float and self._device == "cpu" and self.data.dtype.kind == "f":
                other = _cpu_scalar(other, self.data.dtype)  # `y * 0.9`: made once
            else:
                other = self._operand(other)
        a, b = (other, self) if reflected else (self, other)
        da, db = a.data.dtype, b.data.dtype
        if da is not db and da != db:  # dtypes are mostly the same object: `is` first
            a, b = _promote(a, b)
        try:
            return fn.apply(a, b)
        except ValueError as exc:
            if "broadcast" in str(exc):
                raise ValueError(
                    f"{fn.__name__}: shapes {tuple(a.shape)} and {tuple(b.shape)} do not "
                    "broadcast") from None
            raise

    def __add__(self, other: Any) -> Tensor:
        """self + other, broadcasting."""
        return self._binary(E.Add, other)

    def __radd__(self, other: Any) -> Tensor:
        return self._binary(E.Add, other, reflected=True)

    def __sub__(self, other: Any) -> Tensor:
        """self - other, broadcasting."""
        return self._binary(E.Sub, other)

    def __rsub__(self, other: Any) -> Tensor:
        return self._binary(E.Sub, other, reflected=True)

    def __mul__(self, other: Any) -> Tensor:
        """self * other, elementwise, broadcasting."""
        return self._binary(E.Mul, other)

    def __rmul__(self, other: Any) -> Tensor:
        return self._binary(E.Mul, other, reflected=True)

    def __truediv__(self, other: Any) -> Tensor:
        """self / other (true division; ints give floats)."""
        return _true_div(self, self._operand(other))

    def __rtruediv__(self, other: Any) -> Tensor:
        return _true_div(self._operand(other), self)

    def __pow__(self, other: Any) -> Tensor:
        """self ** other, elementwise."""
        return self._binary(E.Pow, other)

    def __rpow__(self, other: Any) -> Tensor:
        return self._binary(E.Pow, other, reflected=True)

    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return self._operand(other).matmul(self)

    def __neg__(self) -> Tensor:
        return E.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self + alpha * other`` (torch's method form of ``+``)."""
        return self + (other if alpha == 1 else self._operand(other) * alpha)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self - alpha * other`` (torch's method form of ``-``)."""
        return self - (other if alpha == 1 else self._operand(other) * alpha)

    mul = __mul__
    # div (with rounding_mode=) is in methods/pointwise_math.py
    pow = __pow__

    def matmul(self, other: Any) -> Tensor:
        """Matrix product (batched and broadcasting; 1-D operands as in NumPy)."""
        a, b = self, self._operand(other)
        if a.dtype != b.dtype:
            a, b = _promote(a, b)
        return L.matmul(a, b)

    def dot(self, other: Any) -> Tensor:
        """Inner product of two 1-D tensors."""
        other = self._operand(other)
        if self.ndim != 1 or other.ndim != 1:
            raise ValueError(f"dot: expected two 1-D tensors, got shapes {self.shape} and "
                             f"{other.shape}")
        return self.matmul(other)

    def outer(self, other: Any) -> Tensor:
        """Outer product of two 1-D tensors."""
        other = self._operand(other)
        if self.ndim != 1 or other.ndim != 1:
            raise ValueError(f"outer: expected two 1-D tensors, got shapes {self.shape} and "
                             f"{other.shape}")
        return self.reshape(-1, 1) * other.reshape(1, -1)

    # ------------------------------------------------------------------- in place
    def __setitem__(self, index: Any, value: Any) -> None:
        index = normalize_index(index, backend.xp_of(self.data), self.shape)
        if not M.is_basic(index):
            index = torch_order_index(index, self.shape, backend.xp_of(self.data))
        value = self._operand(value)
        if self._check_inplace(value):
            self._rebase(M.SetItem.apply(self._snapshot(False), value.to(self.dtype),
                                         index=index))
            return
        self.data[index] = backend.to_device(value.data, self._device)
        self._version[0] += 1

    # ---------------------------------------------------------------------- indexing
    def __getitem__(self, index: Any) -> Tensor:
        index = normalize_index(index, backend.xp_of(self.data), self.shape)
        if not M.is_basic(index):
            split = split_int_stage(index)
            if split is not None:  # integers beside index arrays: torch's order, not NumPy's
                return self[split[0]][split[1]]
        basic = M.is_basic(index)
        if basic and Ellipsis not in index:
            index = index + (Ellipsis,)  # x[0] of a vector: a 0-d view, not a NumPy scalar
        try:
            out = M.GetItem.apply(self, index=index)
        except IndexError as exc:
            raise IndexError(
                f"index {index!r} into a tensor of shape {self.shape}: {exc}") from None
        if basic and out.data.base is not None:
            # basic indexing returns a view: it shares memory and the version counter, and an
            # in-place op on it rewrites the base's history (autograd/views.py)
            _views.track(self, out, M.GetItem, {"index": index})
        return out


def _array(x: Any) -> Any:
    """NumPy returns scalars, not 0-d arrays, from whole-array results; a Tensor holds arrays (so
    that in-place ops on it work)."""
    return np.asarray(x) if isinstance(x, np.generic) else x


_SCALARS: dict = {}  # (value, dtype) -> a constant 0-d Tensor (see _cpu_scalar)


def _cpu_scalar(value: float, dtype: np.dtype) -> Tensor:
    """The constant Tensor of a Python float operand on the CPU, made once per value and dtype:
    wrapping it (an array and a Tensor) cost as much as the operation. Read-only, so nothing can
    change it in place; signed zeros and NaN are not cached (0.0 and -0.0 are one key)."""
    t = _SCALARS.get((value, dtype))
    if t is None:
        t = Tensor._make(np.asarray(value, dtype=dtype), "cpu")
        if value != 0.0 and value == value:
            t.data.flags.writeable = False
            if len(_SCALARS) >= 1024:  # a schedule of ever new values must not grow it forever
                _SCALARS.clear()
            _SCALARS[(value, dtype)] = t
    return t


def _promote(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """torch's promotion: a float beats an int or bool (taking its dtype), wider floats win,
    except that a 0-d tensor does not widen a dimensioned one of its own kind (float32 vector
    times a float64 0-d tensor stays float32, as in torch)."""
    fa, fb = backend.is_floating(a.dtype), backend.is_floating(b.dtype)
    if fa and not fb:
        return a, Tensor._make(b.data.astype(a.dtype), b._device)
    if fb and not fa:
        return Tensor._make(a.data.astype(b.dtype), a._device), b
    if (a.ndim == 0) != (b.ndim == 0) and (a.dtype.kind == "b") == (b.dtype.kind == "b"):
        target = b.dtype if a.ndim == 0 else a.dtype
    else:
        target = np.promote_types(a.dtype, b.dtype)
    return a.to(target), b.to(target)


def _true_div(a: Tensor, b: Tensor) -> Tensor:
    if not backend.is_floating(a.dtype) and not backend.is_floating(b.dtype):
        # true division of ints gives floats (the default float dtype), as in torch
        a, b = a.to(DEFAULT_FLOAT[0]), b.to(DEFAULT_FLOAT[0])
    return a._binary(E.Div, b)


def _seed_gradient(t: Tensor, gradient: Any, where: str) -> Tensor:
    if gradient is None:
        if t.data.size != 1:
            raise RuntimeError(
                f"{where}: grad can be implicitly created only for scalar outputs, but the output "
                f"has shape {t.shape}; pass gradient= (or grad_outputs=) of that shape")
        return Tensor._make(backend.get_xp(t._device).ones(t.shape, dtype=t.dtype), t._device)
    g = gradient if isinstance(gradient, Tensor) else Tensor(gradient, dtype=t.dtype,
                                                             device=t._device)
    if g.shape != t.shape:
        raise RuntimeError(f"{where}: the gradient has shape {g.shape} but the output has shape "
                           f"{t.shape}")
    if g._device != t._device:
        raise RuntimeError(f"{where}: the gradient is on {g._device}, the output on {t._device}")
    return g


__all__ = ["Tensor", "float16", "float32", "float64", "int32", "int64", "uint8", "bool_"]
