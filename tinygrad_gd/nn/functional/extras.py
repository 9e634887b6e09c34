"""Functional forms torch scripts use that the other modules lacked: ``dropout3d``,
``rms_norm``, the ``*_with_indices`` pooling names and ``gumbel_softmax``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend
from ...tensor import Tensor
from .layer import _channel_dropout
from .pooling import adaptive_max_pool1d, adaptive_max_pool2d, max_pool1d, max_pool2d
from .volumetric import adaptive_max_pool3d, max_pool3d

__all__ = ["dropout3d", "rms_norm", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices",
           "gumbel_softmax"]


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``) with probability ``p``,
    scaling the rest by ``1 / (1 - p)``."""
    return _channel_dropout(input, p, training, inplace, 3, "dropout3d")


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,  # noqa: A002
             eps: float | None = None) -> Tensor:
    """``x / sqrt(mean(x^2 over the last dims) + eps)`` times ``weight``; ``eps`` defaults to
    the dtype's machine epsilon, as torch.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> [round(v, 4) for v in F.rms_norm(tg.tensor([3.0, 4.0]), (2,)).tolist()]
    [0.8485, 1.1314]
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.ndim - k:]) != shape:
        raise ValueError(f"rms_norm: normalized_shape {shape} does not match the last "
                         f"dimensions of the input {tuple(input.shape)}")
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    out = input * ((input * input).mean(dim=dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> Any:
    """``max_pool1d(..., return_indices=True)``."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> Any:
    """``max_pool2d(..., return_indices=True)``."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> Any:
    """``max_pool3d(..., return_indices=True)``."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,  # noqa: A002
                                     return_indices: bool = True) -> Any:
    """``adaptive_max_pool1d(..., return_indices=True)``."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,  # noqa: A002
                                     return_indices: bool = True) -> Any:
    """``adaptive_max_pool2d(..., return_indices=True)``."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: Any,  # noqa: A002
                                     return_indices: bool = True) -> Any:
    """``adaptive_max_pool3d(..., return_indices=True)``."""
    return adaptive_max_pool3d(input, output_size, True)


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """A sample of the Gumbel-softmax distribution (seeded draws); ``hard=True`` gives one-hot
    values with the soft sample's gradient (straight-through)."""
    if not backend.is_floating(logits.dtype):
        raise TypeError(f"gumbel_softmax: expected floating-point logits, got {logits.dtype} "
                        "(as torch)")
    xp = backend.xp_of(logits.data)
    gen = backend.generators.get(logits.device)
    u = xp.asarray(gen.random(tuple(logits.shape)), dtype=logits.dtype)
    gumbels = logits._const(-xp.log(-xp.log(u + eps) + eps))
    soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return soft
    index = soft.data.argmax(axis=dim)
    onehot = xp.zeros(soft.shape, dtype=soft.dtype)
    xp.put_along_axis(onehot, xp.expand_dims(index, dim), 1.0, axis=dim)
    return soft + (soft._const(onehot) - soft).detach()
