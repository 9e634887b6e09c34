"""Factories with torch's signatures (``tg.zeros``, ``tg.arange``, ``tg.eye``, ...).

Every factory takes ``dtype=``, ``device=`` and ``requires_grad=``; sizes are given as torch
takes them: ``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros([2, 3])`` or ``zeros(size=(2, 3))``.
Float factories use the default dtype (``tg.set_default_dtype``). The random factories live in
``random.py`` and are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import backend
from .dtypes import DEFAULT_FLOAT
from .random import *  # noqa: F403 - the random factories are part of this module's API
from .random import __all__ as _random_all
from .random import _finish, _shape, manual_seed  # noqa: F401 - manual_seed: old import path
from .tensor import Tensor, int64

__all__ = ["arange", "as_tensor", "asarray", "empty", "empty_like", "eye", "from_numpy", "full",
           "full_like", "linspace", "logspace", "meshgrid", "ones", "ones_like", "tensor",
           "tril_indices", "triu_indices", "zeros", "zeros_like", "is_tensor", "numel",
           *_random_all]


def _dtype(dtype: Any) -> np.dtype:
    return backend.parse_dtype(dtype) if dtype is not None else DEFAULT_FLOAT[0]


def _new(fill: str, size: tuple, dtype: Any, device: Any, requires_grad: bool,
         value: Any = None, kw_size: Any = None, name: str | None = None) -> Tensor:
    dev = backend.parse_device(device)
    dt = _dtype(dtype)
    xp = backend.get_xp(dev)
    shape = _shape(size if kw_size is None else (kw_size,), name or fill)
    if fill == "full":
        array = xp.full(shape, value, dtype=dt)
    else:
        array = getattr(xp, fill)(shape, dtype=dt)
    return _finish(array, dev, requires_grad)


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (``torch.tensor``); Python floats become float32.

    ``tg.as_tensor`` / ``tg.from_numpy`` instead share memory with a NumPy array.

    >>> import tinygrad_gd as tg
    >>> tg.tensor([[1, 2], [3, 4]])
    tensor([[1, 2],
            [3, 4]])
    """
    if isinstance(data, Tensor):
        data = data.data
    if backend.is_array(data):
        data = data.copy()
    try:
        return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
    except (TypeError, ValueError):
        _check_data(data)  # NumPy's message says little: name what is wrong (a slow walk)
        raise


def _check_data(data: Any) -> None:
    """Raise a clear error for Python data NumPy cannot make a number array of: an int beyond
    int64, strings, None, ragged lists; return when nothing is found."""
    if isinstance(data, (bool, float, complex, np.generic)):
        return
    if isinstance(data, int):
        if not -(1 << 63) <= data < (1 << 63):
            raise ValueError(f"tensor: the integer {data} does not fit in int64 (torch's Long: "
                             "-2**63 .. 2**63 - 1); pass it as a float, e.g. float(x)")
        return
    if isinstance(data, (list, tuple)):
        lengths = {len(v) if isinstance(v, (list, tuple)) else None for v in data}
        if len(lengths) > 1:
            raise ValueError(f"tensor: the nested lists are ragged (lengths "
                             f"{sorted(lengths, key=str)}); every row must have the same length")
        for v in data:
            _check_data(v)
        return
    if data is None or isinstance(data, (str, bytes)) or not hasattr(data, "__array__"):
        raise TypeError(f"tensor: cannot make a Tensor from {type(data).__name__} {data!r:.40}; "
                        "expected numbers (bool, int, float), nested lists of them, or an array")


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory with a NumPy array or Tensor when no cast or move is
    needed (``torch.as_tensor``)."""
    if isinstance(data, Tensor) and (dtype is None or backend.parse_dtype(dtype) == data.dtype) \
            and (device is None or backend.parse_device(device) == data._device):
        return data
    return Tensor(data, dtype=dtype, device=device)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool | None = None) -> Tensor:
    """``obj`` (a Tensor, an array, a number or nested lists) as a tensor (``torch.asarray``):
    sharing memory when no cast or move is needed (a tensor comes back itself), unless
    ``copy=True``; ``copy=False`` refuses to copy. A tensor keeps its graph unless
    ``requires_grad=False`` (torch 2.13's default follows the tensor)."""
    if isinstance(obj, Tensor):
        base = obj.detach() if requires_grad is False else obj
        out = as_tensor(base, dtype=dtype, device=device)
        source = obj.data
    else:
        out = as_tensor(obj, dtype=dtype, device=device)
        source = obj if backend.is_array(obj) else None
    shared = source is not None and backend.device_of(out.data) == backend.device_of(source) \
        and backend.xp_of(out.data).shares_memory(out.data, source)
    if copy and shared:
        out = Tensor._make(out.data.copy(), out._device) if not out.requires_grad else out.clone()
    elif copy is False and not shared:
        raise ValueError(f"asarray: copy=False, but a {type(obj).__name__} cannot be had as this "
                         "tensor without a copy (a cast, a move or a Python sequence)")
    if requires_grad and not out.requires_grad:
        out.requires_grad_(True)
    return out


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with ``ndarray`` (``torch.from_numpy``): writes show in both.

    >>> import numpy as np, tinygrad_gd as tg
    >>> a = np.zeros(2); t = tg.from_numpy(a); a[0] = 5.0
    >>> t
    tensor([5., 0.], dtype=tinygrad_gd.float64)
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}")
    if ndarray.dtype.name not in backend.DTYPES:
        raise TypeError(f"from_numpy: unsupported dtype {ndarray.dtype}; supported: "
                        f"{sorted(backend.DTYPES)}")
    return Tensor._make(ndarray, "cpu")


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          **kw: Any) -> Tensor:
    """A tensor of zeros (default float dtype unless ``dtype``).

    >>> import tinygrad_gd as tg
    >>> tg.zeros(2, 3).shape, tg.zeros((2, 3)).shape, tg.zeros(size=[2, 3]).shape
    ((2, 3), (2, 3), (2, 3))
    """
    return _new("zeros", size, dtype, device, requires_grad, kw_size=_size_kw(kw, "zeros"))


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         **kw: Any) -> Tensor:
    """A tensor of ones."""
    return _new("ones", size, dtype, device, requires_grad, kw_size=_size_kw(kw, "ones"))


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          **kw: Any) -> Tensor:
    """An uninitialised tensor (``torch.empty``); here its values are zeros, never garbage."""
    return _new("zeros", size, dtype, device, requires_grad, kw_size=_size_kw(kw, "empty"),
                name="empty")


def _size_kw(kw: dict, name: str) -> Any:
    size = kw.pop("size", None)
    kw.pop("layout", None), kw.pop("memory_format", None), kw.pop("pin_memory", None)
    if kw.pop("out", None) is not None:
        raise TypeError(f"{name}: out= is not supported")
    if kw:
        raise TypeError(f"{name}() got unexpected keyword arguments {sorted(kw)}")
    return size


def full(size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value when not given (the
    default float dtype, int64 or bool, as torch).

    >>> import tinygrad_gd as tg
    >>> tg.full((2,), 7), tg.full((2,), 0.5)
    (tensor([7, 7]), tensor([0.5000, 0.5000]))
    """
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, (bool, int, float, np.generic)) or isinstance(
            fill_value, (np.str_, np.bytes_)):
        raise TypeError(f"full: fill_value must be a number (or bool), got "
                        f"{type(fill_value).__name__} {fill_value!r:.40}")
    if dtype is None and isinstance(fill_value, (bool, int, np.bool_, np.integer)):
        dtype = bool if isinstance(fill_value, (bool, np.bool_)) else int64
    size = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    return _new("full", (size,), dtype, device, requires_grad, value=fill_value)


def _like(name: str, t: Any, dtype: Any, device: Any) -> tuple[tuple, Any, Any]:
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    return t.shape, (t.dtype if dtype is None else dtype), (t._device if device is None
                                                              else device)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
               requires_grad: bool = False, **kw: Any) -> Tensor:
    """Zeros with ``input``'s shape, dtype and device (``torch.zeros_like``)."""
    _size_kw(kw, "zeros_like")
    shape, dt, dev = _like("zeros_like", input, dtype, device)
    return zeros(shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False, **kw: Any) -> Tensor:
    """Ones with ``input``'s shape, dtype and device."""
    _size_kw(kw, "ones_like")
    shape, dt, dev = _like("ones_like", input, dtype, device)
    return ones(shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
               requires_grad: bool = False, **kw: Any) -> Tensor:
    """An uninitialised tensor like ``input`` (zeros here)."""
    _size_kw(kw, "empty_like")
    shape, dt, dev = _like("empty_like", input, dtype, device)
    return zeros(shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None,  # noqa: A002
              device: Any = None, requires_grad: bool = False, **kw: Any) -> Tensor:
    """``fill_value`` everywhere, with ``input``'s shape, dtype and device."""
    _size_kw(kw, "full_like")
    shape, dt, dev = _like("full_like", input, dtype, device)
    return full(shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The identity matrix (n x m)."""
    for name, v in (("n", n), ("m", m)):
        if v is None and name == "m":
            continue
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"eye: {name} must be an int, got {type(v).__name__} {v!r}")
        if v < 0:
            raise ValueError(f"eye: {name} must be >= 0, got {v}")
    dev = backend.parse_device(device)
    return _finish(backend.get_xp(dev).eye(n, m, dtype=_dtype(dtype)), dev, requires_grad)


def _scalar(v: Any) -> Any:
    return v.item() if isinstance(v, Tensor) else v


def arange(start: Any = 0, end: Any = None, step: Any = 1, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (excluded) by ``step``; int64 when all arguments are
    ints, else the default float dtype.

    >>> import tinygrad_gd as tg
    >>> tg.arange(3), tg.arange(0, 1, 0.25)
    (tensor([0, 1, 2]), tensor([0.0000, 0.2500, 0.5000, 0.7500]))
    """
    start, end, step = _scalar(start), _scalar(end), _scalar(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"arange: upper bound and lower bound inconsistent with step sign "
                         f"(start={start}, end={end}, step={step})")
    dev = backend.parse_device(device)
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dt = int64 if ints else DEFAULT_FLOAT[0]
    else:
        dt = backend.parse_dtype(dtype)
    # the length as torch computes it (in double), the values start + i * step
    n = max(0, math.ceil((end - start) / step))
    xp = backend.get_xp(dev)
    floating = dt.kind == "f" or not all(isinstance(v, (int, np.integer)) for v in (start, step))
    with backend.on_device(dev):  # the arithmetic runs on the tensor's GPU too
        array = (start + xp.arange(n, dtype=np.float64 if floating else np.int64) * step
                 ).astype(dt)
    return _finish(array, dev, requires_grad)


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    dev = backend.parse_device(device)
    array = backend.get_xp(dev).linspace(_scalar(start), _scalar(end), int(steps))
    return _finish(array.astype(_dtype(dtype)), dev, requires_grad)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)`` (``torch.logspace``).

    >>> import tinygrad_gd as tg
    >>> tg.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
    """
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"logspace: steps must be a non-negative int, got {steps!r}")
    dev = backend.parse_device(device)
    xp = backend.get_xp(dev)
    array = float(base) ** xp.linspace(_scalar(start), _scalar(end), int(steps))
    return _finish(array.astype(_dtype(dtype)), dev, requires_grad)


def _tri_indices(name: str, row: int, col: int, offset: int, dtype: Any, device: Any,
                 upper: bool) -> Tensor:
    if row < 0 or col < 0:
        raise ValueError(f"{name}: row and col must be non-negative, got {row} and {col}")
    dev = backend.parse_device(device)
    r, c = (np.triu_indices if upper else np.tril_indices)(row, offset, col)
    array = np.stack([r, c]).astype(backend.parse_dtype(dtype) if dtype is not None else int64)
    return Tensor._make(backend.to_device(array, dev), dev)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None) -> Tensor:
    """The (2, N) row/column indices of the lower triangle of a row x col matrix, row-major.

    >>> import tinygrad_gd as tg
    >>> tg.tril_indices(3, 3).tolist()
    [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    """
    return _tri_indices("tril_indices", row, col, offset, dtype, device, upper=False)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None) -> Tensor:
    """The (2, N) row/column indices of the upper triangle of a row x col matrix, row-major."""
    return _tri_indices("triu_indices", row, col, offset, dtype, device, upper=True)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors (``torch.meshgrid``), differentiable (expanded views).

    ``indexing="ij"`` (torch's default) gives shape (len(t0), len(t1), ...); ``"xy"`` swaps the
    first two dimensions, as NumPy's default.

    >>> import tinygrad_gd as tg
    >>> gx, gy = tg.meshgrid(tg.arange(2), tg.arange(3), indexing="ij")
    >>> gx.shape, gy.tolist()
    ((2, 3), [[0, 1, 2], [0, 1, 2]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("meshgrid: expected at least one tensor")
    if any(t.ndim > 1 for t in ts):
        raise ValueError(f"meshgrid: expects 0-D or 1-D tensors, got shapes "
                         f"{[t.shape for t in ts]}")
    ts = [t.reshape(-1) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    out = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = shape[i]
        out.append(t.reshape(view).expand(shape))
    if swap:  # "xy" is "ij" on (t1, t0, ...) with the first two grids handed back swapped
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def is_tensor(obj: Any) -> bool:
    """True when ``obj`` is a Tensor (``torch.is_tensor``)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:  # noqa: A002
    """The number of elements of ``input`` (``torch.numel``)."""
    return input.numel()
