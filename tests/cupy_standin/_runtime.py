"""Devices, the current device and the transfer log of the CuPy stand-in.

CuPy keeps one current device per thread (``cupy.cuda.Device(n)`` as a context manager changes
it); every allocation and kernel runs there, and an operand that lives on another device is
refused unless peer access is enabled (modelled here as never available, the strict case).
"""

from __future__ import annotations

import os
import sys
import threading
from collections import Counter
from typing import Any

N_DEVICES = int(os.environ.get("CUPY_STANDIN_DEVICES", "2"))
_HERE = os.path.dirname(os.path.abspath(__file__))
_state = threading.local()


def current() -> int:
    """The current device's index (0 until a ``Device`` context changes it)."""
    return getattr(_state, "device", 0)


def set_current(index: int) -> None:
    """``cudaSetDevice``: make ``index`` the current device of this thread."""
    if not 0 <= index < N_DEVICES:
        raise CUDARuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {index}")
    _state.device = index


class CUDARuntimeError(RuntimeError):
    """``cupy.cuda.runtime.CUDARuntimeError``."""


class Device:
    """``cupy.cuda.Device``: ``with Device(1): ...`` makes GPU 1 current inside the block."""

    def __init__(self, device: Any = None) -> None:
        if device is None:
            device = current()
        index = int(device)
        if not 0 <= index < N_DEVICES:
            raise CUDARuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {index}")
        self.id = index
        self._saved: list[int] = []

    def __enter__(self) -> Device:
        self._saved.append(current())
        set_current(self.id)
        return self

    def __exit__(self, *exc: Any) -> None:
        set_current(self._saved.pop())

    def use(self) -> None:
        set_current(self.id)

    def synchronize(self) -> None:
        """Nothing is asynchronous in the stand-in."""

    @property
    def compute_capability(self) -> str:
        return "90"

    def __int__(self) -> int:
        return self.id

    def __index__(self) -> int:
        return self.id

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"


def check_peer(array_device: int) -> None:
    """CuPy's ``_check_peer_access`` with peer access unavailable."""
    dev = current()
    if array_device != dev:
        raise ValueError(
            f"The device where the array resides ({array_device}) is different from the "
            f"current device ({dev}). Peer access is unavailable between these devices.")


class TransferLog:
    """Counts device-to-host (``d2h``) and host-to-device (``h2d``) copies by call site.

    A call site is ``path:line (function)`` of the innermost frame outside the stand-in and
    outside ``tinygrad_gd/backend.py`` (whose helpers only forward), so a count names the
    library line that asked for the copy.
    """

    def __init__(self) -> None:
        self.d2h: Counter = Counter()
        self.h2d: Counter = Counter()

    def reset(self) -> None:
        self.d2h.clear()
        self.h2d.clear()

    def record(self, kind: str) -> None:
        from . import _graph

        if _graph.capturing():
            _graph.refuse(f"a {'device-to-host' if kind == 'd2h' else 'host-to-device'} copy")
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            if not name.startswith(_HERE) and not name.endswith(os.path.join("tinygrad_gd",
                                                                             "backend.py")):
                break
            frame = frame.f_back
        site = "?" if frame is None else (
            f"{_short(frame.f_code.co_filename)}:{frame.f_lineno} ({frame.f_code.co_name})")
        (self.d2h if kind == "d2h" else self.h2d)[site] += 1

    def library(self, kind: str) -> dict[str, int]:
        """The counts of one kind whose call site is inside the ``tinygrad_gd`` package."""
        table = self.d2h if kind == "d2h" else self.h2d
        return {site: n for site, n in table.items() if site.startswith("tinygrad_gd/")}


def _short(path: str) -> str:
    parts = path.replace(os.sep, "/").split("/")
    for anchor in ("tinygrad_gd", "tests", "benchmarks", "examples"):
        if anchor in parts:
            return "/".join(parts[len(parts) - 1 - parts[::-1].index(anchor):])
    return path


transfers = TransferLog()
