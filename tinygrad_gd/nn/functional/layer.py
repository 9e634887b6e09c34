"""Stateless layers: ``linear``, ``conv2d``, ``pad``, pooling, ``dropout``, ``batch_norm``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend
from ...autograd import no_grad
from ...ops import conv as C
from ...ops.fused import Linear as _Linear
from ...ops.fused import WeightColumns
from ...tensor import Tensor
from ._util import _pair

__all__ = ["linear", "conv2d", "pad", "max_pool2d", "avg_pool2d", "dropout", "batch_norm"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias``, weight shaped ``(out_features, in_features)`` as torch."""
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise ValueError(f"linear: input of shape {tuple(input.shape)} has "
                         f"{input.shape[-1] if input.ndim else 0} features, but the weight "
                         f"{tuple(weight.shape)} expects {weight.shape[-1]} (in_features)")
    if weight.ndim != 2 or (bias is not None and bias.shape != (weight.shape[0],)):
        raise ValueError(f"linear: expected weight (out, in) and bias (out,), got "
                         f"{tuple(weight.shape)} and "
                         f"{None if bias is None else tuple(bias.shape)}")
    if input.ndim == 1:
        return linear(input.reshape(1, -1), weight, bias).reshape(-1)
    if input.dtype != weight.dtype:
        raise TypeError(f"linear: input dtype {input.dtype} and weight dtype {weight.dtype} "
                        "differ")
    if bias is None:
        return _Linear.apply(input, weight)
    return _Linear.apply(input, weight, bias)


def _string_padding(padding: str, kernel: tuple[int, int], stride: tuple[int, int]
                    ) -> tuple[int, int]:
    """torch's ``padding="valid"`` (none) and ``"same"`` (output size = input size; stride 1,
    and here odd kernels only, as symmetric padding cannot centre an even one)."""
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"conv2d: padding='same' needs stride 1, got stride {stride}")
        if kernel[0] % 2 == 0 or kernel[1] % 2 == 0:
            raise ValueError(f"conv2d: padding='same' needs an odd kernel size here, got "
                             f"{kernel}; pad explicitly with F.pad or Tensor.pad")
        return (kernel[0] // 2, kernel[1] // 2)
    raise ValueError(f"conv2d: padding must be an int, a pair, 'valid' or 'same', got "
                     f"{padding!r}")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
           stride: Any = 1, padding: Any = 0) -> Tensor:
    """2-D convolution (cross-correlation, as torch) of ``input (N, C, H, W)`` with
    ``weight (O, C, kh, kw)``: im2col and one matrix product.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.conv2d(tg.ones(1, 1, 4, 4), tg.ones(1, 1, 3, 3), padding=1)[0, 0, 0].tolist()
    [4.0, 6.0, 6.0, 4.0]
    """
    if input.ndim != 4:
        raise ValueError(f"conv2d: expected input of shape (N, C, H, W), got {tuple(input.shape)}"
                         + (" (add a batch dimension with .unsqueeze(0))" if input.ndim == 3
                            else ""))
    if weight.ndim != 4:
        raise ValueError(f"conv2d: expected weight of shape (O, C, kh, kw), got "
                         f"{tuple(weight.shape)}")
    n, c, h, w = input.shape
    o, wc, kh, kw = weight.shape
    if c != wc:
        raise ValueError(f"conv2d: input {tuple(input.shape)} has {c} channels, but the weight "
                         f"{tuple(weight.shape)} expects {wc}")
    stride = _pair(stride, "stride")
    if isinstance(padding, str):
        padding = _string_padding(padding, (kh, kw), stride)
    padding = _pair(padding, "padding")
    if min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"conv2d: stride must be >= 1 and padding >= 0, got stride {stride}, "
                         f"padding {padding}")
    ho = C.output_size(h, kh, stride[0], padding[0])
    wo = C.output_size(w, kw, stride[1], padding[1])
    if ho < 1 or wo < 1:
        raise ValueError(f"conv2d: kernel {(kh, kw)} is larger than the padded input "
                         f"{(h + 2 * padding[0], w + 2 * padding[1])}")
    if bias is not None and bias.shape != (o,):
        raise ValueError(f"conv2d: bias of shape {tuple(bias.shape)} does not match {o} output "
                         "channels")
    if input.dtype != weight.dtype:
        raise TypeError(f"conv2d: input dtype {input.dtype} and weight dtype {weight.dtype} "
                        "differ")
    cols = C.Im2Col.apply(input, kernel=(kh, kw), stride=stride, padding=padding)
    operands = (weight.reshape(o, c * kh * kw), cols.reshape(c * kh * kw, ho * wo * n))
    out = WeightColumns.apply(*operands) if bias is None else WeightColumns.apply(*operands, bias)
    # (O, Ho*Wo*N) -> (N, O, Ho, Wo) is a view: the data stays batch-last, which the next
    # layer's im2col and this layer's backward both read without copying (see ops/conv.py)
    return out.reshape(o, ho, wo, n).permute(3, 0, 1, 2)


def pad(input: Tensor, pad: Any, mode: str = "constant",  # noqa: A002
        value: float = 0.0) -> Tensor:
    """Constant padding in torch's order: ``(left, right)`` of the last dimension, then the one
    before (``Tensor.pad``); only ``mode="constant"`` is implemented.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.pad(tg.ones(1, 2), (1, 0), value=5.0).tolist()
    [[5.0, 1.0, 1.0]]
    """
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is implemented, got {mode!r}")
    return input.pad(pad, value)


def _pool_args(input: Tensor, kernel_size: Any, stride: Any, padding: Any,  # noqa: A002
               name: str) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    if input.ndim != 4:
        raise ValueError(f"{name}: expected input of shape (N, C, H, W), got "
                         f"{tuple(input.shape)}")
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding")
    if min(kernel) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"{name}: bad kernel_size {kernel}, stride {stride} or padding "
                         f"{padding}")
    if padding[0] * 2 > kernel[0] or padding[1] * 2 > kernel[1]:
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel {kernel}")
    h, w = input.shape[2:]
    if (C.output_size(h, kernel[0], stride[0], padding[0]) < 1
            or C.output_size(w, kernel[1], stride[1], padding[1]) < 1):
        raise ValueError(f"{name}: kernel {kernel} is larger than the padded input "
                         f"{(h + 2 * padding[0], w + 2 * padding[1])}")
    return kernel, stride, padding


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0) -> Tensor:
    """Max over windows (stride defaults to the kernel size, padding is -inf); the gradient of a
    window goes to its first maximum, as torch's.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.max_pool2d(tg.arange(16.0).reshape(1, 1, 4, 4), 2).flatten().tolist()
    [5.0, 7.0, 13.0, 15.0]
    """
    kernel, stride, padding = _pool_args(input, kernel_size, stride, padding, "max_pool2d")
    if stride == kernel and padding == (0, 0):  # non-overlapping windows: strided views only
        best, index = C.window_max(input.data, kernel)
        return C.PoolGather.apply(input, index=index, kernel=kernel, values=best)
    n, c, _, _ = input.shape
    cols = C.Im2Col.apply(input, kernel=kernel, stride=stride, padding=padding,
                          pad_value=-np.inf)
    ho, wo = cols.shape[3], cols.shape[4]
    cols = cols.reshape(c, kernel[0] * kernel[1], ho, wo, n)
    index = C.first_argmax(cols.data, axis=1)
    return C.TakeAlong.apply(cols, index=index, axis=1).permute(3, 0, 1, 2)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0) -> Tensor:
    """Mean over windows; zero padding counts in the mean (torch's ``count_include_pad=True``)."""
    kernel, stride, padding = _pool_args(input, kernel_size, stride, padding, "avg_pool2d")
    n, c, _, _ = input.shape
    cols = C.Im2Col.apply(input, kernel=kernel, stride=stride, padding=padding)
    ho, wo = cols.shape[3], cols.shape[4]
    cols = cols.reshape(c, kernel[0] * kernel[1], ho, wo, n)
    return cols.mean(axis=1).permute(3, 0, 1, 2)


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (training
    only); the mask comes from the library's seeded generator."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    gen = backend.generators.get(input.device)
    keep = gen.random(input.shape, dtype=np.float32) >= p
    scale = keep.astype(input.dtype) * input.dtype.type(1.0 / (1.0 - p))  # a scalar: no upcast
    return input * input._const(scale)


def batch_norm(input: Tensor, running_mean: Tensor | None,  # noqa: A002
               running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float | None = 0.1,
               eps: float = 1e-5, num_batches_tracked: Tensor | None = None) -> Tensor:
    """Normalise each feature (dimension 1) over the batch and spatial dimensions.

    Training: batch statistics (biased variance) normalise, and the running statistics, when
    given, are updated in place as torch does: ``running = (1 - momentum) * running + momentum *
    batch`` with the unbiased batch variance (``momentum=None``: cumulative average, which needs
    ``num_batches_tracked``). Evaluation: the running statistics normalise.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input (N, C, ...), got {tuple(input.shape)}")
    c = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, c) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // c
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per feature when "
                             f"training, got input of shape {tuple(input.shape)}")
        mean = input.mean(axis=axes, keepdims=True)
        centered = input - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        if running_mean is not None and running_var is not None:
            with no_grad():
                m = momentum
                if num_batches_tracked is not None:
                    num_batches_tracked.add_(1)
                if m is None:
                    if num_batches_tracked is None:
                        raise ValueError("batch_norm: momentum=None needs num_batches_tracked")
                    m = 1.0 / float(num_batches_tracked.item())
                unbiased = var.detach().reshape(-1) * (count / (count - 1))
                running_mean.mul_(1.0 - m).add_(mean.detach().reshape(-1) * m)
                running_var.mul_(1.0 - m).add_(unbiased * m)
        out = centered * (var + eps) ** -0.5
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
        out = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps) ** -0.5
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


