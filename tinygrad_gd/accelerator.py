"""``tg.accelerator``: torch's device-generic questions about the accelerator, answered for the
one kind this library drives (NVIDIA GPUs, through CuPy). PyTorch's quick start picks its device
with it::

    device = tg.accelerator.current_accelerator().type if tg.accelerator.is_available() else "cpu"

>>> import tinygrad_gd as tg
>>> tg.accelerator.is_available() == (tg.accelerator.device_count() > 0)
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from . import backend, cuda
from .devices import device as _device

__all__ = ["device_count", "is_available", "current_accelerator", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "synchronize",
           "device_index"]


def device_count() -> int:
    """The number of GPUs CuPy sees (0 without CuPy or a GPU)."""
    return cuda.device_count()


def is_available() -> bool:
    """True when a GPU can be used."""
    return device_count() > 0


def current_accelerator(check_available: bool = False) -> _device | None:
    """``tg.device("cuda")`` when CuPy is installed (with ``check_available=True``: only when it
    also sees a GPU), else None, as torch's on a build without an accelerator."""
    if backend._cupy is None or (check_available and not is_available()):
        return None
    return _device("cuda")


def _index(dev: Any) -> int:
    if isinstance(dev, int) and not isinstance(dev, bool):
        return dev
    d = _device(dev)
    if d.type != "cuda":
        raise ValueError(f"accelerator: {dev!r} is not the accelerator's device type 'cuda'")
    return d.index or 0


def _require(name: str) -> None:
    if not is_available():
        raise RuntimeError(f"accelerator.{name}: no accelerator is available (CuPy sees no GPU)")


def current_device_index() -> int:
    """The current GPU's index."""
    _require("current_device_index")
    return cuda.current_device()


def set_device_index(device: Any) -> None:
    """Make GPU ``device`` (an index, ``"cuda:N"`` or a ``tg.device``) the current one."""
    _require("set_device_index")
    backend._cupy.cuda.Device(_index(device)).use()


current_device_idx = current_device_index
set_device_idx = set_device_index


def synchronize(device: Any = None) -> None:
    """Wait for the GPU's queued work to finish (nothing to do without a GPU)."""
    if is_available():
        cuda.synchronize(None if device is None else f"cuda:{_index(device)}")


@contextlib.contextmanager
def device_index(device: Any) -> Iterator[None]:
    """Within the block, GPU ``device`` is the current one (None: no change)."""
    if device is None:
        yield
        return
    _require("device_index")
    with backend._cupy.cuda.Device(_index(device)):
        yield
