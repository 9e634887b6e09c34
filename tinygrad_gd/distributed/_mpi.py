"""The one place that imports mpi4py (lazily: the library works without the extra), and moves
tensor data in and out of MPI buffers: NumPy arrays directly, CuPy arrays staged through host
memory unless the MPI library is CUDA-aware."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend

MISSING = ("tinygrad_gd.distributed needs mpi4py and an MPI library: install the extra with "
           "pip install 'tinygrad_gd[distributed]' (mpi4py and mpich), then launch with "
           "mpiexec -n N python script.py")


def available() -> bool:
    """Whether mpi4py can be imported (without importing it, which would start MPI)."""
    return importlib.util.find_spec("mpi4py") is not None


def mpi() -> Any:
    """``mpi4py.MPI`` (importing it initialises MPI), or an ImportError naming the extra."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(MISSING) from exc
    return MPI


def cuda_aware() -> bool:
    """Whether to hand CuPy buffers to MPI directly. MPI has no portable query, so it is the
    user's word: ``TINYGRAD_GD_MPI_CUDA_AWARE=1`` (an MPI built with CUDA support); otherwise
    device data is staged through host memory."""
    return os.environ.get("TINYGRAD_GD_MPI_CUDA_AWARE", "") not in ("", "0")


def is_host(array: Any) -> bool:
    """True for a NumPy array (no staging needed)."""
    return isinstance(array, np.ndarray)


def as_buffer(array: Any) -> tuple[Any, Callable[[Any], None] | None]:
    """An MPI-ready contiguous buffer holding ``array``'s values, and a function that writes a
    buffer's values back into ``array`` (None when the buffer *is* the array's memory)."""
    if is_host(array):
        if array.flags.c_contiguous:
            return array, None
        buf = np.ascontiguousarray(array)
        return buf, _write_back(array)
    if cuda_aware() and array.flags.c_contiguous:
        return array, None  # mpi4py takes __cuda_array_interface__ buffers
    # Staging (untested here: no GPU): device -> host, MPI on the host copy, host -> device.
    return backend.to_numpy(array), _write_back(array)


def _write_back(array: Any) -> Callable[[Any], None]:
    def write(buf: Any) -> None:
        if is_host(array):
            array[...] = buf.reshape(array.shape)
        else:
            xp = backend.xp_of(array)
            array[...] = xp.asarray(buf).reshape(array.shape)
    return write
