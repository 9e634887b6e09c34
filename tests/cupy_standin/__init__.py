"""A strict stand-in for CuPy, so the GPU code path runs (and is kept honest) without a GPU.

``install()`` puts it in ``sys.modules`` as ``cupy``/``cupyx`` before ``tinygrad_gd`` is
imported (``pytest --cupy-standin`` or ``TINYGRAD_GD_CUPY_STANDIN=1`` does this in
``tests/conftest.py``). It models CuPy's documented behaviour and source (see ``_array.py`` for
the rules it enforces) on top of NumPy, with ``CUPY_STANDIN_DEVICES`` GPUs (default 2), it
counts every device-to-host and host-to-device copy by call site in ``transfers``, and it models
stream capture into CUDA graphs (``_graph.py``).

>>> from tests import cupy_standin
>>> cp = cupy_standin.module
>>> a = cp.arange(3.0)
>>> import numpy as np
>>> np.asarray(a)
Traceback (most recent call last):
TypeError: Implicit conversion to a NumPy array is not allowed. Please use `.get()` ...
>>> a[cp.asarray([1, 3])].get().tolist()  # out-of-range integer indices wrap, as on a GPU
[1.0, 0.0]
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from . import _runtime
from ._array import ndarray
from ._namespace import cupyx, cupyx_scipy, cupyx_special, module
from ._runtime import TransferLog, transfers

__all__ = ["install", "installed", "module", "ndarray", "transfers", "count_transfers",
           "TransferLog"]


def install() -> None:
    """Make ``import cupy`` (and ``cupyx``, ``cupyx.scipy.special``) give the stand-in.

    Must run before ``tinygrad_gd`` is imported; raises if a real or other CuPy is loaded."""
    current = sys.modules.get("cupy")
    if current is module:
        return
    if current is not None or "tinygrad_gd.backend" in sys.modules:
        raise RuntimeError("install the CuPy stand-in before importing cupy or tinygrad_gd")
    entries = {"cupy": module, "cupy.linalg": module.linalg, "cupy.random": module.random,
               "cupy.cuda": module.cuda, "cupy.cuda.runtime": module.cuda.runtime,
               "cupy.lib": module.lib, "cupy.lib.stride_tricks": module.lib.stride_tricks,
               "cupyx": cupyx, "cupyx.scipy": cupyx_scipy, "cupyx.scipy.special": cupyx_special}
    sys.modules.update(entries)


def installed() -> bool:
    """True when ``import cupy`` gives the stand-in."""
    return sys.modules.get("cupy") is module


@contextlib.contextmanager
def count_transfers() -> Iterator[TransferLog]:
    """Count the transfers made inside the block (the log is reset on entry)."""
    transfers.reset()
    yield transfers


def n_devices() -> int:
    """How many GPUs the stand-in has."""
    return _runtime.N_DEVICES
