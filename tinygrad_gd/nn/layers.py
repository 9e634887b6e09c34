"""Layers: ``Linear``, ``Conv2d``, pooling, ``Flatten``, ``Dropout``, batch normalisation,
activations, and the containers ``Sequential``, ``ModuleList`` and ``MLP``.

>>> import tinygrad_gd as tg
>>> from tinygrad_gd import nn
>>> tg.manual_seed(0)
>>> net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
...                     nn.Linear(4 * 2 * 2, 3))
>>> net(tg.randn(5, 1, 4, 4)).shape
(5, 3)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..creation import ones, zeros
from ..tensor import Tensor
from . import functional as F
from . import init
from .activation import GELU, LeakyReLU, ReLU, Sigmoid, Tanh
from .container import Sequential
from .module import Module, Parameter

__all__ = ["Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "Dropout", "BatchNorm1d",
           "BatchNorm2d", "Identity", "MLP"]


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


class Conv2d(Module):
    """2-D convolution over ``(N, C, H, W)``; weight ``(out, in, kh, kw)``, torch's init."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = F._pair(kernel_size, "kernel_size")
        self.stride = F._pair(stride, "stride")
        self.padding = padding if isinstance(padding, str) else F._pair(padding, "padding")
        self.weight = _empty(out_channels, in_channels, *self.kernel_size, dtype=dtype,
                             device=device)
        if bias:
            self.bias = _empty(out_channels, dtype=dtype, device=device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw weight and bias from torch's default distribution."""
        init.default_weight_bias_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            hint = " (add a batch dimension with .unsqueeze(0))" if x.ndim == 3 else ""
            raise ValueError(f"Conv2d({self.in_channels}, {self.out_channels}) expects input of "
                             f"shape (N, {self.in_channels}, H, W), got {tuple(x.shape)}{hint}")
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")


class _Pool2d(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max over ``kernel_size`` windows (stride defaults to the kernel size)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """Mean over ``kernel_size`` windows (stride defaults to the kernel size)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` (all but the batch dimension by default)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)


class Dropout(Module):
    """Zero elements with probability ``p`` while training (seeded); identity in eval mode.

    ``inplace`` is accepted so torch code ports unchanged; results are always new tensors.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class _BatchNorm(Module):
    """Normalise each feature by batch statistics while training, by running statistics in eval
    mode. Running statistics follow torch: ``running = (1 - momentum) * running + momentum *
    batch``, with the unbiased batch variance; normalisation uses the biased one."""

    expected_ndim: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype, device=device))
            self.bias = Parameter(zeros(num_features, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", zeros((), dtype="int64", device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in self.expected_ndim or x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) expects input with "
                             f"{' or '.join(map(str, self.expected_ndim))} dimensions and "
                             f"{self.num_features} features in dimension 1, got "
                             f"{tuple(x.shape)}")
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            training=self.training or self.running_mean is None,
                            momentum=self.momentum, eps=self.eps,
                            num_batches_tracked=self.num_batches_tracked)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs."""

    expected_ndim = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` inputs, per channel."""

    expected_ndim = (4,)


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

