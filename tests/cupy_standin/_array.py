"""``cupy.ndarray`` of the stand-in: a NumPy array held "on a device", with CuPy's refusals.

What it enforces, each as CuPy does (``cupy/_core/core.pyx``, ``_kernel.pyx``,
``_routines_indexing.pyx``):

- ``__array__`` raises CuPy's TypeError: no implicit conversion to NumPy.
- NumPy ufuncs and functions on device arrays dispatch to the stand-in (``__array_ufunc__``,
  ``__array_function__``); a host ``numpy.ndarray`` operand, even 0-d, is refused with
  ``TypeError: Unsupported type`` (comparisons take a 0-d host array as a scalar, as CuPy's
  workaround does). Python and NumPy scalars pass as kernel arguments (no copy).
- Reductions and ``count_nonzero``/``allclose``/``array_equal`` give 0-d device arrays, never
  host scalars; only ``item``/``get``/``tolist``/``int``/``float``/``bool``/``repr`` copy out,
  and each such copy is counted as a device-to-host transfer at its call site.
- ``out=`` must be a device array.
- Integer-array indices wrap around (``a[[1, 3]]`` of a 3-vector is ``a[[1, 0]]``); boolean
  masks and ``nonzero`` synchronise (counted as device-to-host transfers).
- Every array lives on a device; an operation runs on the current device and refuses operands
  from another one (peer access modelled as unavailable). ``copy()`` copies across devices.
- Views are writable (CuPy has no read-only arrays): ``broadcast_to`` gives a writable view
  whose elements alias, as on a GPU.
"""

from __future__ import annotations

import numbers
import weakref
from typing import Any

import numpy as np

from . import _runtime as rt

_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
             "construct a NumPy array explicitly.")
_SCALARS = (bool, int, float, complex, np.generic)


def wrap(value: Any, device: int | None = None) -> Any:
    """Hold NumPy results on ``device`` (default: the current one); 0-d scalars become arrays."""
    if isinstance(value, np.ndarray):
        out = object.__new__(ndarray)
        out._a = value
        out._dev = rt.current() if device is None else device
        root = _root(value)
        if root is value:
            out._base = None
            _OWNERS[id(value)] = out
        else:  # CuPy's view.base is the array that owns the memory
            owner = _OWNERS.get(id(root))
            out._base = owner if owner is not None and owner._a is root else None
        return out
    if isinstance(value, np.generic):
        return wrap(np.asarray(value), device)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(wrap(v, device) for v in value)
    if isinstance(value, list):
        return [wrap(v, device) for v in value]
    if hasattr(value, "_fields"):  # named tuples (linalg results)
        return type(value)(*(wrap(v, device) for v in value))
    return value


_OWNERS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _root(a: np.ndarray) -> np.ndarray:
    """The NumPy array that owns ``a``'s memory (through as_strided's wrapper objects too)."""
    while True:
        b = a.base
        if isinstance(b, np.ndarray):
            a = b
        elif b is not None and isinstance(getattr(b, "base", None), np.ndarray):
            a = b.base
        else:
            return a


def unwrap_kernel_arg(x: Any, comparison: bool = False) -> Any:
    """An operand of a kernel: a device array on the current device, or a scalar."""
    if isinstance(x, ndarray):
        rt.check_peer(x._dev)
        return x._a
    if isinstance(x, np.ndarray):
        if comparison and x.ndim == 0:  # CuPy's workaround for numpy/numpy#12142
            return x.item()
        raise TypeError(f"Unsupported type {type(x)}")
    if isinstance(x, _SCALARS):
        return x
    raise TypeError(f"Unsupported type {type(x)}")


def unwrap_arg(x: Any) -> Any:
    """An argument of a routine: arrays must be device arrays; sequences are searched."""
    if isinstance(x, ndarray):
        rt.check_peer(x._dev)
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        return type(x)(unwrap_arg(v) for v in x)
    return x


def check_out(out: Any) -> Any:
    if out is None:
        return None
    if isinstance(out, tuple):
        if len(out) != 1:
            raise ValueError("The 'out' parameter must have exactly one array value")
        out = out[0]
    if not isinstance(out, ndarray):
        raise TypeError("Output arguments must be cupy.ndarray")
    rt.check_peer(out._dev)
    return out


def to_device_index(key: Any, shape: tuple[int, ...]) -> Any:
    """An index with CuPy's semantics: integer arrays wrap around, host arrays are copied in,
    boolean masks synchronise; returns a key NumPy applies the same way."""
    parts = list(key) if isinstance(key, tuple) else [key]
    conv: list[Any] = []
    arrays_dims = []
    for p in parts:
        if isinstance(p, ndarray):
            rt.check_peer(p._dev)
            conv.append(p._a)
        elif isinstance(p, (np.ndarray, list)) or (isinstance(p, tuple)):
            rt.transfers.record("h2d")
            conv.append(np.asarray(p))
        else:
            conv.append(p)
    # the axis each part applies to (None adds one, Ellipsis fills, a mask covers its ndim)
    used = sum(0 if (c is None or c is Ellipsis) else (
        c.ndim if isinstance(c, np.ndarray) and c.dtype == np.bool_ else 1) for c in conv)
    axis = 0
    for i, c in enumerate(conv):
        if c is None:
            continue
        if c is Ellipsis:
            axis += len(shape) - used
            continue
        if isinstance(c, np.ndarray) and c.dtype == np.bool_:
            rt.transfers.record("d2h")  # the mask's count sets the result's shape: a sync
            axis += c.ndim
            continue
        if isinstance(c, np.ndarray) and c.dtype.kind in "iu":
            if axis < len(shape) and shape[axis] > 0:
                conv[i] = c % shape[axis]  # CuPy wraps out-of-bounds integer indices
            arrays_dims.append(axis)
        axis += 1
    return tuple(conv)


class _Flags:
    def __init__(self, a: np.ndarray) -> None:
        self.c_contiguous = a.flags.c_contiguous
        self.f_contiguous = a.flags.f_contiguous
        self.owndata = a.flags.owndata
        self.writeable = True

    def __getitem__(self, key: str) -> bool:
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata, "WRITEABLE": True}[key.upper()]


class _MemoryPointer:
    def __init__(self, a: np.ndarray, dev: int) -> None:
        self.ptr = a.__array_interface__["data"][0]
        self.device_id = dev


def _method(name: str, *, kernel: bool = True):
    """A method forwarded to NumPy's, run on the current device (which must hold the array)."""

    def call(self, *args, out=None, **kwargs):
        if kernel:
            rt.check_peer(self._dev)
        if out is not None:
            kwargs["out"] = check_out(out)._a
        result = getattr(self._a, name)(*unwrap_arg(args), **{
            k: unwrap_arg(v) for k, v in kwargs.items()})
        if out is not None:
            return out
        return wrap(result, self._dev)

    call.__name__ = name
    return call


def _binary(ufunc_name: str, reflected: bool = False):
    def op(self, other):
        if not isinstance(other, (ndarray, np.ndarray, *_SCALARS)):
            return NotImplemented
        from . import _namespace

        fn = getattr(_namespace.module, ufunc_name)
        return fn(other, self) if reflected else fn(self, other)

    return op


def _inplace(ufunc_name: str):
    def op(self, other):
        from . import _namespace

        getattr(_namespace.module, ufunc_name)(self, other, out=self)
        return self

    return op


class ndarray:  # noqa: N801 - CuPy's name
    """A device array (see the module docstring for the rules it enforces)."""

    __slots__ = ("_a", "_dev", "_base", "__weakref__")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, shape: Any, dtype: Any = float, memptr: Any = None, strides: Any = None,
                 order: str = "C") -> None:
        self._a = np.empty(shape, dtype=dtype, order=order)
        self._dev = rt.current()
        self._base = None
        _OWNERS[id(self._a)] = self

    # ------------------------------------------------------------------ attributes
    shape = property(lambda self: self._a.shape, lambda self, s: setattr(self._a, "shape", s))
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: _Flags(self._a))
    data = property(lambda self: _MemoryPointer(self._a, self._dev))
    device = property(lambda self: rt.Device(self._dev))
    T = property(lambda self: wrap(self._a.T, self._dev))
    mT = property(  # noqa: N815 - CuPy's name
        lambda self: wrap(np.swapaxes(self._a, -1, -2), self._dev))
    real = property(lambda self: wrap(self._a.real, self._dev))
    imag = property(lambda self: wrap(self._a.imag, self._dev))

    @property
    def base(self) -> Any:
        """The array that owns the memory of this view (None for an owner), as in CuPy."""
        return self._base

    # ------------------------------------------------------------------ conversions out
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(_IMPLICIT)

    def get(self, stream: Any = None, order: str = "C", out: Any = None,
            blocking: bool = True) -> np.ndarray:
        """Copy to the host (a device-to-host transfer)."""
        rt.transfers.record("d2h")
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order=order)

    def item(self) -> Any:
        rt.transfers.record("d2h")
        return self._a.item()

    def tolist(self) -> Any:
        rt.transfers.record("d2h")
        return self._a.tolist()

    def __bool__(self) -> bool:
        rt.transfers.record("d2h")
        return bool(self._a)

    def __int__(self) -> int:
        rt.transfers.record("d2h")
        return int(self._a)

    def __float__(self) -> float:
        rt.transfers.record("d2h")
        return float(self._a)

    def __complex__(self) -> complex:
        rt.transfers.record("d2h")
        return complex(self._a)

    def __repr__(self) -> str:
        rt.transfers.record("d2h")
        return repr(self._a)

    def __str__(self) -> str:
        rt.transfers.record("d2h")
        return str(self._a)

    def __format__(self, spec: str) -> str:
        rt.transfers.record("d2h")
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)

    def __reduce__(self) -> Any:
        rt.transfers.record("d2h")
        return (_rebuild, (np.array(self._a), self._dev))

    def __copy__(self) -> ndarray:
        return self.copy()

    def __deepcopy__(self, memo: Any) -> ndarray:
        with rt.Device(self._dev):
            return self.copy()

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("the CuPy stand-in has no DLPack")

    # ------------------------------------------------------------------ containers
    def __len__(self) -> int:
        if self._a.ndim == 0:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __getitem__(self, key: Any) -> ndarray:
        return wrap(self._a[to_device_index(key, self._a.shape)], self._dev)

    def __setitem__(self, key: Any, value: Any) -> None:
        rt.check_peer(self._dev)
        if isinstance(value, ndarray):
            rt.check_peer(value._dev)
            value = value._a
        elif isinstance(value, (np.ndarray, list, tuple)):
            rt.transfers.record("h2d")
        elif not isinstance(value, _SCALARS):
            raise TypeError(f"Unsupported type {type(value)}")
        self._a[to_device_index(key, self._a.shape)] = value

    # ------------------------------------------------------------------ NumPy protocols
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        from . import _namespace

        func = _namespace.ufunc_for(ufunc.__name__)
        if func is None:
            return NotImplemented
        if "out" in kwargs:
            kwargs["out"] = check_out(kwargs["out"])
        for x in inputs:
            if not isinstance(x, (ndarray, np.ndarray, *_SCALARS)):
                return NotImplemented
        if method == "__call__":
            return func(*inputs, **kwargs)
        if method in ("at", "reduce", "accumulate", "outer", "reduceat"):
            return getattr(func, method)(*inputs, **kwargs)
        return NotImplemented

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        from . import _namespace

        target = _namespace.function_for(func)
        if target is None:
            return NotImplemented
        return target(*args, **kwargs)

    # ------------------------------------------------------------------ methods
    def copy(self, order: str = "C") -> ndarray:
        """A copy on the current device (CuPy copies across devices here)."""
        return wrap(np.array(self._a, order=order), rt.current())

    def astype(self, dtype: Any, order: str = "K", casting: Any = None, subok: Any = None,
               copy: bool = True) -> ndarray:
        if not copy and np.dtype(dtype) == self._a.dtype:
            return self
        rt.check_peer(self._dev)
        return wrap(self._a.astype(dtype, order=order), self._dev)

    def view(self, dtype: Any = None) -> ndarray:
        return wrap(self._a if dtype is None else self._a.view(dtype), self._dev)

    def fill(self, value: Any) -> None:
        rt.check_peer(self._dev)
        self._a.fill(unwrap_kernel_arg(value))

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> ndarray:
        from . import _namespace

        return _namespace.module.diagonal(self, offset, axis1, axis2)

    def take(self, indices: Any, axis: Any = None, out: Any = None) -> ndarray:
        from . import _namespace

        return _namespace.module.take(self, indices, axis, out)

    for _name in ("reshape", "transpose", "squeeze", "swapaxes", "ravel"):
        locals()[_name] = _method(_name, kernel=False)
    for _name in ("all", "any", "argmax", "argmin", "argsort", "clip", "conj", "conjugate",
                  "cumprod", "cumsum", "dot", "flatten", "max", "mean", "min", "prod", "repeat",
                  "round", "sort", "std", "sum", "trace", "var", "argpartition", "partition",
                  "searchsorted", "compress", "ptp", "put"):
        locals()[_name] = _method(_name)
    del _name

    def nonzero(self) -> tuple:
        rt.check_peer(self._dev)
        rt.transfers.record("d2h")  # the count of nonzeros sets the shape: a sync
        return wrap(self._a.nonzero(), self._dev)

    # ------------------------------------------------------------------ operators
    __add__, __radd__ = _binary("add"), _binary("add", True)
    __sub__, __rsub__ = _binary("subtract"), _binary("subtract", True)
    __mul__, __rmul__ = _binary("multiply"), _binary("multiply", True)
    __truediv__, __rtruediv__ = _binary("true_divide"), _binary("true_divide", True)
    __floordiv__, __rfloordiv__ = _binary("floor_divide"), _binary("floor_divide", True)
    __mod__, __rmod__ = _binary("remainder"), _binary("remainder", True)
    __pow__, __rpow__ = _binary("power"), _binary("power", True)
    __matmul__, __rmatmul__ = _binary("matmul"), _binary("matmul", True)
    __and__, __rand__ = _binary("bitwise_and"), _binary("bitwise_and", True)
    __or__, __ror__ = _binary("bitwise_or"), _binary("bitwise_or", True)
    __xor__, __rxor__ = _binary("bitwise_xor"), _binary("bitwise_xor", True)
    __lshift__, __rlshift__ = _binary("left_shift"), _binary("left_shift", True)
    __rshift__, __rrshift__ = _binary("right_shift"), _binary("right_shift", True)
    __lt__, __le__ = _binary("less"), _binary("less_equal")
    __gt__, __ge__ = _binary("greater"), _binary("greater_equal")
    __eq__, __ne__ = _binary("equal"), _binary("not_equal")  # type: ignore[assignment]
    __iadd__, __isub__ = _inplace("add"), _inplace("subtract")
    __imul__, __itruediv__ = _inplace("multiply"), _inplace("true_divide")
    __ifloordiv__, __imod__ = _inplace("floor_divide"), _inplace("remainder")
    __ipow__, __iand__ = _inplace("power"), _inplace("bitwise_and")
    __ior__, __ixor__ = _inplace("bitwise_or"), _inplace("bitwise_xor")

    def __neg__(self) -> ndarray:
        from . import _namespace

        return _namespace.module.negative(self)

    def __pos__(self) -> ndarray:
        return self.copy()

    def __abs__(self) -> ndarray:
        from . import _namespace

        return _namespace.module.absolute(self)

    def __invert__(self) -> ndarray:
        from . import _namespace

        return _namespace.module.invert(self)


# every method that runs on the device is a kernel for graph capture (see _graph.py); what only
# reads metadata, converts to the host or dispatches to a (kernel) function of the namespace is not
_NOT_KERNELS = {"__init__", "__repr__", "__str__", "__format__", "__reduce__", "__len__",
                "__iter__", "__array_ufunc__", "__array_function__", "__dlpack__", "__copy__",
                "__deepcopy__", "__bool__", "__int__", "__float__", "__complex__", "__index__",
                "item", "tolist", "get", "set", "nonzero"}


def _kernels() -> None:
    from . import _graph

    for name, attr in list(vars(ndarray).items()):
        if callable(attr) and not isinstance(attr, (type, property, staticmethod)) and \
                name not in _NOT_KERNELS and name not in ("__class__",):
            setattr(ndarray, name, _graph.kernel(attr))


_kernels()


def _rebuild(host: np.ndarray, device: int) -> ndarray:
    rt.transfers.record("h2d")
    return wrap(host, device)


def is_scalar(x: Any) -> bool:
    return isinstance(x, (numbers.Number, np.generic))
