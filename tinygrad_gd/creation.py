"""Factories (``tg.zeros``, ``tg.randn``, ...) and the library's seeded random generators."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import backend
from .tensor import Tensor, float32, int64

__all__ = ["arange", "eye", "full", "linspace", "manual_seed", "ones", "ones_like", "rand",
           "rand_like", "randint", "randn", "randn_like", "tensor", "zeros", "zeros_like"]


def manual_seed(seed: int) -> None:
    """Seed every random draw of the library (all devices), like ``torch.manual_seed``.

    >>> import tinygrad_gd as tg
    >>> tg.manual_seed(0); a = tg.randn(3)
    >>> tg.manual_seed(0); b = tg.randn(3)
    >>> (a == b).all().item()
    True
    """
    backend.generators.manual_seed(seed)


def _shape(size: tuple) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if any(not isinstance(s, (int, np.integer)) or s < 0 for s in size):
        raise ValueError(f"a tensor's size must be non-negative integers, got {size}")
    return tuple(int(s) for s in size)


def _finish(array: Any, device: str, requires_grad: bool) -> Tensor:
    t = Tensor._make(array, device)
    if requires_grad:
        t.requires_grad_()
    return t


def _new(fill: str, size: tuple, dtype: Any, device: Any, requires_grad: bool,
         value: Any = None) -> Tensor:
    dev = backend.parse_device(device)
    dt = backend.parse_dtype(dtype) if dtype is not None else float32
    xp = backend.get_xp(dev)
    shape = _shape(size)
    if fill == "full":
        array = xp.full(shape, value, dtype=dt)
    else:
        array = getattr(xp, fill)(shape, dtype=dt)
    return _finish(array, dev, requires_grad)


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (``torch.tensor``); Python floats become float32.

    ``Tensor(array)`` instead shares memory with a NumPy/CuPy array, as ``torch.as_tensor`` does.
    """
    if isinstance(data, Tensor):
        data = data.data
    if backend.is_array(data):
        data = data.copy()
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype``)."""
    return _new("zeros", size, dtype, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _new("ones", size, dtype, device, requires_grad)


def full(size: Sequence[int], fill_value: float, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value when not given (float32,
    int64 or bool, as torch)."""
    if dtype is None and isinstance(fill_value, (bool, int, np.bool_, np.integer)):
        dtype = bool if isinstance(fill_value, (bool, np.bool_)) else int64
    return _new("full", (tuple(size),), dtype, device, requires_grad, value=fill_value)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The identity matrix (n x m)."""
    dev = backend.parse_device(device)
    dt = backend.parse_dtype(dtype) if dtype is not None else float32
    return _finish(backend.get_xp(dev).eye(n, m, dtype=dt), dev, requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in ``[start, end)``; int64 when all arguments are ints."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    dev = backend.parse_device(device)
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dt = int64 if ints else float32
    else:
        dt = backend.parse_dtype(dtype)
    return _finish(backend.get_xp(dev).arange(start, end, step).astype(dt), dev, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    dev = backend.parse_device(device)
    dt = backend.parse_dtype(dtype) if dtype is not None else float32
    return _finish(backend.get_xp(dev).linspace(start, end, steps).astype(dt), dev, requires_grad)


def _random(kind: str, size: tuple, dtype: Any, device: Any, requires_grad: bool,
            **kw: Any) -> Tensor:
    dev = backend.parse_device(device)
    dt = backend.parse_dtype(dtype) if dtype is not None else float32
    if kind != "randint" and not backend.is_floating(dt):
        raise TypeError(f"{kind}: dtype must be floating point, got {dt} (use randint for ints)")
    gen = backend.generators.get(dev)
    shape = _shape(size)
    if kind == "rand":
        array = gen.random(shape, dtype=np.float64).astype(dt)
    elif kind == "randn":
        array = gen.standard_normal(shape, dtype=np.float64).astype(dt)
    else:
        array = gen.integers(kw["low"], kw["high"], size=shape).astype(
            backend.parse_dtype(dtype) if dtype is not None else int64)
    return _finish(array, dev, requires_grad)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1), from the seeded generator."""
    return _random("rand", size, dtype, device, requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples, from the seeded generator."""
    return _random("randn", size, dtype, device, requires_grad)


def randint(low: int, high: int | None = None, size: Sequence[int] = (), dtype: Any = None,
            device: Any = None) -> Tensor:
    """Integers uniform in ``[low, high)`` (``randint(high, size=...)`` starts at 0)."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    return _random("randint", (tuple(size),), dtype, device, False, low=low, high=high)


def zeros_like(t: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Zeros with ``t``'s shape, dtype and device."""
    return zeros(t.shape, dtype=dtype or t.dtype, device=device or t.device,
                 requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """Ones with ``t``'s shape, dtype and device."""
    return ones(t.shape, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def randn_like(t: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Standard normal samples with ``t``'s shape, dtype and device."""
    return randn(t.shape, dtype=dtype or t.dtype, device=device or t.device,
                 requires_grad=requires_grad)


def rand_like(t: Tensor, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples with ``t``'s shape, dtype and device."""
    return rand(t.shape, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)
