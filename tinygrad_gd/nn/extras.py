"""Layers torch scripts use that the other modules lacked: ``RMSNorm``, ``InstanceNorm3d``,
``Dropout3d``, the 3-D padding layers and ``Softmax2d``.

>>> import tinygrad_gd as tg
>>> from tinygrad_gd import nn
>>> nn.RMSNorm(4)(tg.ones(2, 4)).tolist()[0]
[1.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..creation import ones, zeros
from ..tensor import Tensor
from . import functional as F
from .layers import Linear, _DropoutNd
from .module import Module, Parameter
from .normalization import _InstanceNorm
from .padding import _ConstantPadNd, _PadNd

__all__ = ["RMSNorm", "InstanceNorm3d", "Dropout3d", "ZeroPad3d", "ConstantPad3d",
           "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d", "Softmax2d", "LazyLinear"]


class RMSNorm(Module):
    """Root-mean-square normalisation over the last dimensions (``normalized_shape``), then an
    elementwise ``weight`` (ones); ``eps=None`` is the dtype's machine epsilon, as torch."""

    def __init__(self, normalized_shape: Any, eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = ((normalized_shape,) if isinstance(normalized_shape, int)
                                 else tuple(normalized_shape))
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(*self.normalized_shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        """The weight back to ones."""
        if self.weight is not None:
            self.weight.data[...] = 1

    def forward(self, x: Tensor) -> Tensor:
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs."""

    spatial = 3


class Dropout3d(_DropoutNd):
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` while training."""

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout3d(x, self.p, self.training, self.inplace)


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with ``value``."""

    dims = 3


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dimensions with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad3d(_PadNd):
    """Mirror the last three dimensions at their edges."""

    dims, mode = 3, "reflect"


class ReplicationPad3d(_PadNd):
    """Repeat the edge values of the last three dimensions."""

    dims, mode = 3, "replicate"


class CircularPad3d(_PadNd):
    """Wrap the last three dimensions around."""

    dims, mode = 3, "circular"


class Softmax2d(Module):
    """Softmax over the channels of ``(N, C, H, W)`` or ``(C, H, W)``."""

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected a 3-D or 4-D input, got shape "
                             f"{tuple(x.shape)}")
        return x.softmax(-3)


class LazyLinear(Linear):
    """``Linear`` whose ``in_features`` is read from the first input: the weight is a
    ``(out_features, 0)`` placeholder until then, filled in place (the same Parameter objects,
    so an optimizer built before the first call keeps working, though, as in torch, a dry run
    before building it is the usual way); after the first call the module is a ``Linear``.

    >>> import tinygrad_gd as tg
    >>> lin = tg.nn.LazyLinear(3)
    >>> lin(tg.ones(2, 5)).shape, lin.weight.shape, type(lin).__name__
    ((2, 3), (3, 5), 'Linear')
    """

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        Module.__init__(self)
        self.in_features, self.out_features = 0, out_features
        self.weight = Parameter(zeros(out_features, 0, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(zeros(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Draw the weights once ``in_features`` is known (nothing to draw before)."""
        if self.in_features:
            super().reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        if self.in_features == 0:
            if x.ndim == 0:
                raise ValueError("LazyLinear: expected an input with a feature dimension, got a "
                                 "0-d tensor")
            self.in_features = int(x.shape[-1])
            w = self.weight
            w.data = backend.xp_of(w.data).zeros((self.out_features, self.in_features),
                                                 dtype=w.data.dtype)
            self.reset_parameters()
            self.__class__ = Linear  # type: ignore[assignment] - torch does the same
        return Linear.forward(self, x)
