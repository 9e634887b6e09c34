"""Pooling: ``max_pool1d/2d`` (dilation, ceil_mode, return_indices), ``avg_pool1d/2d``
(ceil_mode, count_include_pad, divisor_override), ``max_unpool1d/2d``, and the adaptive forms
``adaptive_avg_pool1d/2d`` and ``adaptive_max_pool1d/2d``.

Windows come from the ``Im2Col`` primitive (non-overlapping max pooling from strided views, the
fast path); adaptive average pooling is two small matrix products (a rectangle's mean is the
product of its row and column means), adaptive max pooling a gather of each (padded) window.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import backend
from ...ops import conv as C
from ...tensor import Tensor
from ._util import _pair

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "max_unpool1d",
           "max_unpool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d"]


def _pool_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's ``pooling_output_shape``: with ``ceil_mode`` a last partial window counts, unless
    it would start in the right padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_args(input: Tensor, kernel_size: Any, stride: Any, padding: Any,  # noqa: A002
               dilation: Any, ceil_mode: bool, name: str):
    if input.ndim != 4:
        raise ValueError(f"{name}: expected input of shape (N, C, H, W) or (C, H, W), got "
                         f"{tuple(input.shape)}")
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] or stride == () else _pair(stride, "stride")
    padding, dilation = _pair(padding, "padding"), _pair(dilation, "dilation")
    if min(kernel) < 1 or min(stride) < 1 or min(padding) < 0 or min(dilation) < 1:
        raise ValueError(f"{name}: bad kernel_size {kernel}, stride {stride}, padding {padding} "
                         f"or dilation {dilation}")
    if any(2 * p > k for p, k in zip(padding, kernel)):  # torch's limit, dilated or not
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel {kernel}")
    h, w = input.shape[2:]
    out = tuple(_pool_size(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip((h, w), kernel, stride, padding, dilation))
    if min(out) < 1:
        raise ValueError(f"{name}: kernel {kernel} (dilation {dilation}) is larger than the "
                         f"padded input {(h + 2 * padding[0], w + 2 * padding[1])}")
    return kernel, stride, padding, dilation, out


def _extra(size: int, k: int, s: int, p: int, d: int, out: int) -> int:
    """Rows (columns) past the padded input that the last ceil_mode window reaches."""
    return max(0, (out - 1) * s + d * (k - 1) + 1 - (size + 2 * p))


def _flat_indices(tap, kernel, stride, padding, dilation, width, tap_axis: int, xp):
    """Torch's flat per-plane index ``h * W + w`` of each window's chosen tap."""
    i, j = xp.divmod(tap, kernel[1])
    shape = [1] * tap.ndim
    ho, wo = tap.shape[tap_axis], tap.shape[tap_axis + 1]
    shape[tap_axis] = ho
    rows = (xp.arange(ho) * stride[0] - padding[0]).reshape(shape)
    shape[tap_axis], shape[tap_axis + 1] = 1, wo
    cols = (xp.arange(wo) * stride[1] - padding[1]).reshape(shape)
    return ((rows + i * dilation[0]) * width + cols + j * dilation[1]).astype(xp.int64)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """Max over windows (stride defaults to the kernel size, padding is -inf); the gradient of a
    window goes to its first maximum, as torch's. With ``return_indices`` also the flat index
    ``h * W + w`` of each maximum in its plane (what ``max_unpool2d`` takes).

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.max_pool2d(tg.arange(16.0).reshape(1, 1, 4, 4), 2).flatten().tolist()
    [5.0, 7.0, 13.0, 15.0]
    >>> F.max_pool2d(tg.arange(16.0).reshape(1, 4, 4), 2, return_indices=True)[1].tolist()
    [[[5, 7], [13, 15]]]
    """
    if input.ndim == 3:
        out = max_pool2d(input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices)
        return (out[0].squeeze(0), out[1].squeeze(0)) if return_indices else out.squeeze(0)
    kernel, stride, padding, dilation, (ho, wo) = _pool_args(
        input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    n, c, h, w = input.shape
    xp = backend.xp_of(input.data)
    if (stride == kernel and padding == (0, 0) and dilation == C.ONE
            and (ho, wo) == (h // kernel[0], w // kernel[1])):
        # non-overlapping windows: strided views only, no column copy (the common case)
        best, index = C.window_max(input.data, kernel)
        out = C.PoolGather.apply(input, index=index, kernel=kernel, values=best)
        if not return_indices:
            return out
        flat = _flat_indices(index.astype(xp.int64), kernel, stride, padding, dilation, w, 2, xp)
        return out, Tensor._make(flat, input.device)
    x = input
    eh = _extra(h, kernel[0], stride[0], padding[0], dilation[0], ho)
    ew = _extra(w, kernel[1], stride[1], padding[1], dilation[1], wo)
    if eh or ew:
        x = x.pad((0, ew, 0, eh), value=-math.inf)
    cols = C.Im2Col.apply(x, kernel=kernel, stride=stride, padding=padding, pad_value=-np.inf,
                          dilation=dilation)
    cols = cols.reshape(c, kernel[0] * kernel[1], ho, wo, n)
    index = C.first_argmax(cols.data, axis=1)
    out = C.TakeAlong.apply(cols, index=index, axis=1).permute(3, 0, 1, 2)
    if not return_indices:
        return out
    flat = _flat_indices(index[:, 0], kernel, stride, padding, dilation, w, 1, xp)
    return out, Tensor._make(flat.transpose(3, 0, 1, 2), input.device)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over windows (stride defaults to the kernel size). Zero padding counts in the mean
    unless ``count_include_pad=False``; ``divisor_override`` replaces the window size.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.avg_pool2d(tg.ones(1, 1, 3, 3), 2, padding=1, count_include_pad=False).tolist()
    [[[[1.0, 1.0], [1.0, 1.0]]]]
    """
    if input.ndim == 3:
        return avg_pool2d(input.unsqueeze(0), kernel_size, stride, padding, ceil_mode,
                          count_include_pad, divisor_override).squeeze(0)
    kernel, stride, padding, _, (ho, wo) = _pool_args(
        input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise ValueError("avg_pool2d: divisor_override must not be zero")
    n, c, h, w = input.shape
    eh = _extra(h, kernel[0], stride[0], padding[0], 1, ho)
    ew = _extra(w, kernel[1], stride[1], padding[1], 1, wo)
    x = input.pad((0, ew, 0, eh)) if eh or ew else input
    cols = C.Im2Col.apply(x, kernel=kernel, stride=stride, padding=padding)
    cols = cols.reshape(c, kernel[0] * kernel[1], ho, wo, n)
    simple = (divisor_override is None and not eh and not ew
              and (count_include_pad or padding == (0, 0)))
    if simple:  # every window is whole: a plain mean
        return cols.mean(axis=1).permute(3, 0, 1, 2)
    if divisor_override is not None:
        div = np.full((ho, wo), float(divisor_override))
    else:
        div = np.outer(*[_window_counts(size, out, k, s, p, count_include_pad)
                         for size, out, k, s, p in zip((h, w), (ho, wo), kernel, stride,
                                                       padding)])
    scale = input._const(backend.xp_of(input.data).asarray((1.0 / div)[:, :, None],
                                                           dtype=input.dtype))
    return (cols.sum(axis=1) * scale).permute(3, 0, 1, 2)


def _window_counts(size: int, out: int, k: int, s: int, p: int, include_pad: bool) -> np.ndarray:
    """How many elements each window divides by along one axis (torch's rule: padding counts
    when ``include_pad``, the part past the right padding never does)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return (end - start).astype(np.float64)
    return (np.minimum(end, size) - np.maximum(start, 0)).astype(np.float64)


def _as_2d(input: Tensor, name: str) -> tuple[Tensor, bool]:  # noqa: A002
    """A 1-D pooling input ``(N, C, L)`` or ``(C, L)`` as ``(N, C, 1, L)``."""
    if input.ndim not in (2, 3):
        raise ValueError(f"{name}: expected input of shape (N, C, L) or (C, L), got "
                         f"{tuple(input.shape)}")
    unbatched = input.ndim == 2
    x = input.unsqueeze(0) if unbatched else input
    return x.unsqueeze(2), unbatched


def _from_2d(out: Tensor, unbatched: bool) -> Tensor:
    out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def _one(value: Any, name: str) -> int:
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return _pair(value, name)[0]


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """Max over windows of ``(N, C, L)``: ``max_pool2d`` over a height of 1."""
    x, unbatched = _as_2d(input, "max_pool1d")
    k = _one(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _one(stride, "stride")
    out = max_pool2d(x, (1, k), (1, s), (0, _one(padding, "padding")),
                     (1, _one(dilation, "dilation")), ceil_mode, return_indices)
    if return_indices:
        return _from_2d(out[0], unbatched), _from_2d(out[1], unbatched)
    return _from_2d(out, unbatched)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over windows of ``(N, C, L)``: ``avg_pool2d`` over a height of 1."""
    x, unbatched = _as_2d(input, "avg_pool1d")
    k = _one(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _one(stride, "stride")
    out = avg_pool2d(x, (1, k), (1, s), (0, _one(padding, "padding")), ceil_mode,
                     count_include_pad)
    return _from_2d(out, unbatched)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any,  # noqa: A002
                 stride: Any = None, padding: Any = 0, output_size: Any = None) -> Tensor:
    """The partial inverse of ``max_pool2d``: zeros of the pooled input's size with each value
    put at its index (``indices`` from ``max_pool2d(..., return_indices=True)``)."""
    unbatched = input.ndim == 3
    if unbatched:
        input, indices = input.unsqueeze(0), indices.unsqueeze(0)  # noqa: A001
    if input.ndim != 4 or tuple(indices.shape) != tuple(input.shape):
        raise ValueError(f"max_unpool2d: expected input (N, C, H, W) and indices of the same "
                         f"shape, got {tuple(input.shape)} and {tuple(indices.shape)}")
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding")
    n, c, h, w = input.shape
    if output_size is None:
        size = ((h - 1) * stride[0] - 2 * padding[0] + kernel[0],
                (w - 1) * stride[1] - 2 * padding[1] + kernel[1])
    else:
        size = tuple(int(v) for v in tuple(output_size)[-2:])
    idx = indices.data
    xp = backend.xp_of(idx)
    if idx.size and backend.outside(idx, 0, size[0] * size[1]):
        raise ValueError(f"max_unpool2d: indices out of range for the output size {size}")
    index = (xp.arange(n).reshape(n, 1, 1, 1), xp.arange(c).reshape(1, c, 1, 1), idx)
    out = C.Unpool.apply(input, shape=(n, c, size[0] * size[1]), index=index)
    out = out.reshape(n, c, size[0], size[1])
    return out.squeeze(0) if unbatched else out


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any,  # noqa: A002
                 stride: Any = None, padding: Any = 0, output_size: Any = None) -> Tensor:
    """The partial inverse of ``max_pool1d`` (``max_unpool2d`` over a height of 1)."""
    x, unbatched = _as_2d(input, "max_unpool1d")
    i, _ = _as_2d(indices, "max_unpool1d")
    k = _one(kernel_size, "kernel_size")
    s = k if stride is None else _one(stride, "stride")
    size = None if output_size is None else (1, int(tuple(output_size)[-1]))
    out = max_unpool2d(x, i, (1, k), (1, s), (0, _one(padding, "padding")), size)
    return _from_2d(out, unbatched)


def _adaptive_size(output_size: Any, in_hw: tuple[int, ...]) -> tuple[int, ...]:
    """``output_size`` as a tuple, ``None`` entries keeping the input's size (torch)."""
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * len(in_hw)
    out = tuple(s if o is None else int(o) for o, s in zip(output_size, in_hw))
    if len(out) != len(in_hw) or min(out) < 1:
        raise ValueError(f"adaptive pooling: bad output_size {output_size!r}")
    return out


def _bounds(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """torch's adaptive windows: ``[floor(i * size / out), ceil((i + 1) * size / out))``."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _mean_matrix(size: int, out: int) -> np.ndarray:
    start, end = _bounds(size, out)
    m = np.zeros((out, size))
    for i, (a, b) in enumerate(zip(start, end)):
        m[i, a:b] = 1.0 / (b - a)
    return m


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Mean over ``output_size`` windows that tile ``input (N, C, H, W)`` as evenly as possible.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.adaptive_avg_pool2d(tg.arange(9.0).reshape(1, 1, 3, 3), 1).flatten().tolist()
    [4.0]
    """
    if input.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected input (N, C, H, W) or (C, H, W), got "
                         f"{tuple(input.shape)}")
    h, w = input.shape[-2:]
    ho, wo = _adaptive_size(output_size, (h, w))
    if (ho, wo) == (1, 1):  # global average pooling
        return input.mean(axis=(-2, -1), keepdims=True)
    xp = backend.xp_of(input.data)

    def const(m):
        return input._const(xp.asarray(m, dtype=input.dtype))

    out = input if wo == w else input.matmul(const(_mean_matrix(w, wo).T))
    return out if ho == h else const(_mean_matrix(h, ho)).matmul(out)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Mean over ``output_size`` windows that tile ``input (N, C, L)`` as evenly as possible."""
    x, unbatched = _as_2d(input, "adaptive_avg_pool1d")
    return _from_2d(adaptive_avg_pool2d(x, (1, _one(output_size, "output_size"))), unbatched)


def _gather_index(size: int, out: int) -> np.ndarray:
    """``(out, kmax)`` input positions of each adaptive window, the short ones padded by
    repeating their last position (which never wins "first maximum" over itself)."""
    start, end = _bounds(size, out)
    k = int((end - start).max())
    return np.minimum(start[:, None] + np.arange(k), end[:, None] - 1)


def adaptive_max_pool2d(input: Tensor, output_size: Any,  # noqa: A002
                        return_indices: bool = False) -> Any:
    """Max over ``output_size`` windows that tile ``input (N, C, H, W)`` as evenly as possible;
    with ``return_indices`` also the flat per-plane index of each maximum."""
    if input.ndim == 3:
        out = adaptive_max_pool2d(input.unsqueeze(0), output_size, return_indices)
        return (out[0].squeeze(0), out[1].squeeze(0)) if return_indices else out.squeeze(0)
    if input.ndim != 4:
        raise ValueError(f"adaptive_max_pool2d: expected input (N, C, H, W) or (C, H, W), got "
                         f"{tuple(input.shape)}")
    n, c, h, w = input.shape
    ho, wo = _adaptive_size(output_size, (h, w))
    xp = backend.xp_of(input.data)
    rows, cols = xp.asarray(_gather_index(h, ho)), xp.asarray(_gather_index(w, wo))
    kh, kw = rows.shape[1], cols.shape[1]
    # (N, C, Ho, kh, Wo, kw) -> windows (N, C, Ho, Wo, kh * kw)
    win = input[:, :, rows][:, :, :, :, cols].permute(0, 1, 2, 4, 3, 5)
    win = win.reshape(n, c, ho, wo, kh * kw)
    index = C.first_argmax(win.data, axis=4)
    out = C.TakeAlong.apply(win, index=index, axis=4)
    if not return_indices:
        return out
    i, j = xp.divmod(index[..., 0], kw)
    flat = (rows[xp.arange(ho)[:, None], i] * w + cols[xp.arange(wo)[None, :], j])
    return out, Tensor._make(flat.astype(xp.int64), input.device)


def adaptive_max_pool1d(input: Tensor, output_size: Any,  # noqa: A002
                        return_indices: bool = False) -> Any:
    """Max over ``output_size`` windows that tile ``input (N, C, L)`` as evenly as possible."""
    x, unbatched = _as_2d(input, "adaptive_max_pool1d")
    out = adaptive_max_pool2d(x, (1, _one(output_size, "output_size")), return_indices)
    if return_indices:
        return _from_2d(out[0], unbatched), _from_2d(out[1], unbatched)
    return _from_2d(out, unbatched)

