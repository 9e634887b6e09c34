"""A pool of large host buffers for the temporaries of a training step (convolution columns,
their products, ``Col2Im``'s image), reused from one step to the next.

Without it each step's multi-megabyte temporaries come from fresh pages: glibc hands blocks that
large their own mapping (or trims the heap once they are freed), so every step page-faults them
in again and the kernel zeroes each page, which cost a small CNN about a sixth of its step. A
process-wide ``mallopt`` (``backend.reuse_freed_memory``) fixes that for everything, but changes
the allocator of the whole process; this pool changes only what the library allocates.

A buffer is free again when nothing but the pool refers to it (its reference count says so: a
Tensor, a view, a NumPy iterator all hold a reference), so there is no "release" to call and no
way to hand out memory still in use. At most ``_PER_KEY`` buffers are kept per shape and dtype,
only buffers of at least ``MIN_BYTES``, only on the CPU, and never while ``tg.jit`` traces
(``like`` is then not a plain ``ndarray``, and the trace must see the allocation).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import numpy as np

MIN_BYTES = 1 << 20
_PER_KEY = 4
_POOL: dict[tuple, list] = {}
_LOCK = threading.Lock()


def _baseline() -> int:
    """The reference count of a pooled buffer nobody else holds, as seen by ``_free`` (the
    list and the loop variable; measured, as it differs between Python versions)."""
    bufs = [np.empty(1)]
    for b in bufs:
        return sys.getrefcount(b)
    return 0  # pragma: no cover


_FREE_COUNT = _baseline()


def empty(shape: tuple[int, ...], dtype: Any, like: Any) -> Any:
    """An uninitialised array of ``shape`` and ``dtype`` on ``like``'s device: a pooled one when
    ``like`` is a plain NumPy array and the buffer is large, else a fresh one."""
    if type(like) is not np.ndarray:
        from .. import backend

        return backend.xp_of(like).empty(shape, dtype=dtype)
    dtype = np.dtype(dtype)
    n = dtype.itemsize
    for s in shape:
        n *= s
    if n < MIN_BYTES:
        return np.empty(shape, dtype=dtype)
    key = (shape, dtype)
    with _LOCK:  # two threads must not both take one free buffer
        bufs = _POOL.get(key)
        if bufs is None:
            bufs = _POOL[key] = []
        for b in bufs:
            if sys.getrefcount(b) == _FREE_COUNT:
                return b
        b = np.empty(shape, dtype=dtype)
        if len(bufs) < _PER_KEY:
            bufs.append(b)
        return b


def zeros(shape: tuple[int, ...], dtype: Any, like: Any) -> Any:
    """``empty`` filled with zeros (filling warm memory is cheaper than faulting in fresh)."""
    out = empty(shape, dtype, like)
    out.fill(0)
    return out


def clear() -> None:
    """Drop the pooled buffers (memory in use elsewhere stays with its users)."""
    with _LOCK:
        _POOL.clear()
