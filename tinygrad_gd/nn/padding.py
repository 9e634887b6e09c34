"""Padding layers (torch's names and ``repr``): ``ZeroPad1d/2d``, ``ConstantPad1d/2d``,
``ReflectionPad1d/2d``, ``ReplicationPad1d/2d``, ``CircularPad1d/2d``.

>>> import tinygrad_gd as tg
>>> from tinygrad_gd import nn
>>> nn.ReflectionPad2d(1)(tg.ones(1, 1, 2, 2)).shape
(1, 1, 4, 4)
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d",
           "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d",
           "CircularPad2d"]


class _PadNd(Module):
    dims = 2
    mode = "constant"

    def __init__(self, padding: Any) -> None:
        super().__init__()
        n = 2 * self.dims
        self.padding = (padding,) * n if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or {n} ints, got "
                             f"{padding!r}")

    def forward(self, x: Tensor) -> Tensor:
        return F.pad(x, self.padding, mode=self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, x: Tensor) -> Tensor:
        return F.pad(x, self.padding, value=self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``."""

    dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with ``value``."""


class ZeroPad1d(ConstantPad1d):
    """Pad the last dimension with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dimensions with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Mirror the last dimension at its edges (the edge itself not repeated)."""

    dims, mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Mirror the last two dimensions at their edges."""

    mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last dimension."""

    dims, mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last two dimensions."""

    mode = "replicate"


class CircularPad1d(_PadNd):
    """Wrap the last dimension around."""

    dims, mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Wrap the last two dimensions around."""

    mode = "circular"
