"""Layers: ``Linear``, ``Bilinear``, ``Identity``, ``Flatten``, ``Unflatten``, the dropouts,
``CosineSimilarity``, ``PairwiseDistance`` and ``MLP``. Convolution, pooling, normalisation,
embedding, padding and resampling layers live in their own modules (``conv.py``, ...).

>>> import tinygrad_gd as tg
>>> from tinygrad_gd import nn
>>> tg.manual_seed(0)
>>> net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
...                     nn.Linear(4 * 2 * 2, 3))
>>> net(tg.randn(5, 1, 4, 4)).shape
(5, 3)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from ..creation import zeros
from ..tensor import Tensor
from . import functional as F
from . import init
from .activation import GELU, LeakyReLU, ReLU, Sigmoid, Tanh
from .container import Sequential
from .module import Module, Parameter

__all__ = ["Linear", "Bilinear", "Flatten", "Unflatten", "Dropout", "Dropout1d", "Dropout2d",
           "AlphaDropout", "CosineSimilarity", "PairwiseDistance", "Identity", "MLP"]


def _empty(*shape: int, dtype: Any = None, device: Any = None) -> Parameter:
    return Parameter(zeros(*shape, dtype=dtype, device=device))


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight (out_features, in_features)``, initialised as
    torch's: U(-1/sqrt(in_features), 1/sqrt(in_features)) for both weight and bias."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = _empty(out_features, in_features, dtype=dtype, device=device)
        if bias:
            self.bias = _empty(out_features, dtype=dtype, device=device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw weight and bias from torch's default distribution."""
        init.default_weight_bias_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) expects inputs "
                             f"with {self.in_features} features in the last dimension, got "
                             f"shape {tuple(x.shape)}")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` (all but the batch dimension by default)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size`` (the inverse of ``Flatten``)."""

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x: Tensor) -> Tensor:
        d = self.dim % x.ndim if x.ndim else 0
        return x.reshape(*x.shape[:d], *self.unflattened_size, *x.shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 "
                             f"and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero elements with probability ``p`` while training (seeded), scaling the rest by
    ``1 / (1 - p)``; identity in eval mode."""

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` while training."""

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout1d(x, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of ``(N, C, H, W)`` or ``(C, H, W)`` while training."""

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout2d(x, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's self-normalising mean and variance (training only)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.alpha_dropout(x, self.p, self.training, self.inplace)


class Bilinear(Module):
    """``y = x1 @ weight[o] @ x2 + bias_o`` with ``weight (out, in1, in2)``; torch's init,
    U(-1/sqrt(in1), 1/sqrt(in1)) for both."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = _empty(out_features, in1_features, in2_features, dtype=dtype,
                             device=device)
        if bias:
            self.bias = _empty(out_features, dtype=dtype, device=device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """U(-1/sqrt(in1_features), 1/sqrt(in1_features)) for weight and bias."""
        bound = 1.0 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.bilinear(x1, x2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class CosineSimilarity(Module):
    """``F.cosine_similarity`` along ``dim``."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``F.pairwise_distance``: the p-norm of ``x1 - x2 + eps`` over the last dimension."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class Identity(Module):
    """Returns its input."""

    def forward(self, x: Tensor) -> Tensor:
        return x


_ACTIVATIONS: dict[str, Callable[[], Module]] = {
    "relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "gelu": GELU, "leaky_relu": LeakyReLU,
    "identity": Identity,
}


class MLP(Sequential):
    """A multi-layer perceptron: ``Linear`` layers of ``sizes`` with ``activation`` between them
    (not after the last). ``activation`` is a name (``"relu"``, ``"tanh"``, ``"sigmoid"``,
    ``"gelu"``, ``"leaky_relu"``) or a callable returning a Module.

    >>> import tinygrad_gd as tg
    >>> mlp = tg.nn.MLP([784, 256, 10])
    >>> mlp
    MLP(
      (0): Linear(in_features=784, out_features=256, bias=True)
      (1): ReLU()
      (2): Linear(in_features=256, out_features=10, bias=True)
    )
    """

    def __init__(self, sizes: Iterable[int], activation: str | Callable[[], Module] = "relu",
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, got {sizes}")
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"MLP: unknown activation {activation!r}; expected one of "
                                 f"{sorted(_ACTIVATIONS)} or a callable returning a Module")
            make = _ACTIVATIONS[activation]
        else:
            make = activation
        layers: list[Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(a, b, bias=bias, device=device, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(make())
        super().__init__(*layers)
        self.sizes = sizes

