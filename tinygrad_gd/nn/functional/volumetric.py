"""3-D (volumetric) layers over ``(N, C, D, H, W)``: ``conv3d``, ``conv_transpose3d``,
``max_pool3d``, ``avg_pool3d``, ``adaptive_avg_pool3d`` and ``adaptive_max_pool3d``.

Each is built on its 2-D counterpart (so on the ``Im2Col`` / ``Col2Im`` machinery and its fast
paths), with the depth axis handled by strided slices:

* ``conv3d``: the ``kd`` depth taps of every output depth are stacked into the channels
  (grouped the way ``groups`` needs them), then one ``conv2d`` over a batch of ``N * Do`` planes
  with a ``(O, kd * C / groups, kh, kw)`` weight: one matrix product, as in 2-D;
* ``conv_transpose3d``: one ``conv_transpose2d`` that produces all ``kd`` taps as channels, then
  each tap is spread with the stride along depth and added at its offset (the adjoint of the
  slicing above);
* pooling is separable: the max (sum) over a box is the max (sum) over depth of the max (sum)
  over each plane's window, and the first maximum in depth-major order is what torch returns.

Everything is Tensor operations over differentiable primitives, so gradients of any order work.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import backend
from ...functions import stack
from ...ops import conv as C
from ...tensor import Tensor
from .conv import conv2d, conv_transpose2d
from .pooling import (
    _adaptive_size,
    _pool_size,
    _window_counts,
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool2d,
    max_pool2d,
)

__all__ = ["conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
           "adaptive_max_pool3d"]

Triple = tuple[int, int, int]


def _triple(value: Any, name: str) -> Triple:
    t = (value,) * 3 if isinstance(value, (int, np.integer)) else tuple(value)
    if len(t) != 3 or not all(isinstance(v, (int, np.integer)) for v in t):
        raise ValueError(f"{name} must be an int or a tuple of 3 ints, got {value!r}")
    return int(t[0]), int(t[1]), int(t[2])


def _batched(input: Tensor, name: str) -> tuple[Tensor, bool]:  # noqa: A002
    if input.ndim == 5:
        return input, False
    if input.ndim == 4:
        return input.unsqueeze(0), True
    raise ValueError(f"{name}: expected input of shape (N, C, D, H, W) or (C, D, H, W), got "
                     f"{tuple(input.shape)}")


def _depth_taps(x: Tensor, k: int, s: int, d: int, out: int) -> list[Tensor]:
    """The ``k`` strided depth slices of ``x (N, C, D, ...)``: tap ``i`` holds depth
    ``o * s + i * d`` at output position ``o``."""
    return [x[:, :, i * d:i * d + s * (out - 1) + 1:s] for i in range(k)]


def _pad_depth(x: Tensor, lo: int, hi: int, value: float = 0.0) -> Tensor:
    return x.pad((0, 0, 0, 0, lo, hi), value=value) if lo or hi else x


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
           stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D convolution (cross-correlation, as torch) of ``input (N, C, D, H, W)`` (or
    ``(C, D, H, W)``) with ``weight (O, C / groups, kd, kh, kw)``. ``padding`` is an int, a
    triple, ``"valid"`` or ``"same"``.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.conv3d(tg.ones(1, 1, 3, 3, 3), tg.ones(2, 1, 3, 3, 3), padding=1)[0, 0, 1, 1].tolist()
    [18.0, 27.0, 18.0]
    """
    x, unbatched = _batched(input, "conv3d")
    if weight.ndim != 5:
        raise ValueError(f"conv3d: expected weight of shape (O, C / groups, kd, kh, kw), got "
                         f"{tuple(weight.shape)}")
    n, c, d, h, w = x.shape
    o, wc, kd, kh, kw = weight.shape
    if not isinstance(groups, int) or groups < 1 or o % groups:
        raise ValueError(f"conv3d: groups must be a positive int dividing the {o} output "
                         f"channels, got {groups!r}")
    if c != wc * groups:
        raise ValueError(f"conv3d: input {tuple(input.shape)} has {c} channels, but the weight "
                         f"{tuple(weight.shape)} with groups={groups} expects {wc * groups}")
    stride, dilation = _triple(stride, "stride"), _triple(dilation, "dilation")
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"conv3d: stride and dilation must be >= 1, got stride {stride}, "
                         f"dilation {dilation}")
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0, 0)
        elif padding == "same":
            if stride != (1, 1, 1):
                raise ValueError(f"conv3d: padding='same' is not supported for strided "
                                 f"convolutions (stride {stride})")
            total = [dd * (k - 1) for k, dd in zip((kd, kh, kw), dilation)]
            # torch: the odd element of an even dilated kernel goes to the far side
            x = x.pad((total[2] // 2, total[2] - total[2] // 2, total[1] // 2,
                       total[1] - total[1] // 2, total[0] // 2, total[0] - total[0] // 2))
            n, c, d, h, w = x.shape
            padding = (0, 0, 0)
        else:
            raise ValueError(f"conv3d: padding must be an int, a triple, 'valid' or 'same', got "
                             f"{padding!r}")
    padding = _triple(padding, "padding")
    if min(padding) < 0:
        raise ValueError(f"conv3d: padding must be >= 0, got {padding}")
    if input.dtype != weight.dtype:
        raise TypeError(f"conv3d: input dtype {input.dtype} and weight dtype {weight.dtype} "
                        "differ")
    if bias is not None and bias.shape != (o,):
        raise ValueError(f"conv3d: bias of shape {tuple(bias.shape)} does not match {o} output "
                         "channels")
    do = C.output_size(d, kd, stride[0], padding[0], dilation[0])
    if do < 1:
        raise ValueError(f"conv3d: kernel depth {kd} (dilation {dilation[0]}) is larger than the "
                         f"padded input depth {d + 2 * padding[0]}")
    x = _pad_depth(x, padding[0], padding[0])
    g = groups
    # (N, kd, G, C/G, Do, H, W) -> planes (N*Do, G * kd * C/G, H, W): channel (g, i, c)
    taps = stack(_depth_taps(x, kd, stride[0], dilation[0], do), dim=1)
    planes = taps.reshape(n, kd, g, c // g, do, h, w).permute(0, 4, 2, 1, 3, 5, 6)
    planes = planes.reshape(n * do, c * kd, h, w)
    # weight (O, C/G, kd, kh, kw) -> (O, kd * C/G, kh, kw): channel (i, c), as the planes
    w2 = weight.permute(0, 2, 1, 3, 4).reshape(o, kd * wc, kh, kw)
    out = conv2d(planes, w2, None, stride[1:], padding[1:], dilation[1:], groups)
    ho, wo = out.shape[2:]
    out = out.reshape(n, do, o, ho, wo).permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(1, o, 1, 1, 1)
    return out.squeeze(0) if unbatched else out


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 3-D convolution (the gradient of ``conv3d`` with respect to its input) of
    ``input (N, C_in, D, H, W)`` with ``weight (C_in, C_out / groups, kd, kh, kw)``; each output
    size is ``(n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.conv_transpose3d(tg.ones(1, 2, 2, 2, 2), tg.ones(2, 3, 2, 2, 2), stride=2).shape
    (1, 3, 4, 4, 4)
    """
    x, unbatched = _batched(input, "conv_transpose3d")
    if weight.ndim != 5:
        raise ValueError(f"conv_transpose3d: expected weight of shape (C_in, C_out / groups, kd, "
                         f"kh, kw), got {tuple(weight.shape)}")
    n, c, d, h, w = x.shape
    wc, og, kd, kh, kw = weight.shape
    if not isinstance(groups, int) or groups < 1 or c % groups:
        raise ValueError(f"conv_transpose3d: groups must be a positive int dividing the {c} "
                         f"input channels, got {groups!r}")
    if c != wc:
        raise ValueError(f"conv_transpose3d: input {tuple(input.shape)} has {c} channels, but "
                         f"the weight {tuple(weight.shape)} expects {wc}")
    stride, padding = _triple(stride, "stride"), _triple(padding, "padding")
    dilation, out_pad = _triple(dilation, "dilation"), _triple(output_padding, "output_padding")
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0 or min(out_pad) < 0:
        raise ValueError(f"conv_transpose3d: bad stride {stride}, padding {padding}, dilation "
                         f"{dilation} or output_padding {out_pad}")
    if any(op >= max(s, dl) for op, s, dl in zip(out_pad, stride, dilation)):
        raise ValueError(f"conv_transpose3d: output_padding {out_pad} must be smaller than "
                         f"either stride {stride} or dilation {dilation}")
    sd, pd, dd = stride[0], padding[0], dilation[0]
    full = (d - 1) * sd + dd * (kd - 1) + 1 + out_pad[0]  # before cropping the padding
    if full - 2 * pd < 1:
        raise ValueError(f"conv_transpose3d: the output depth {full - 2 * pd} is not positive")
    o = og * groups
    if bias is not None and bias.shape != (o,):
        raise ValueError(f"conv_transpose3d: bias of shape {tuple(bias.shape)} does not match "
                         f"{o} output channels")
    if input.dtype != weight.dtype:
        raise TypeError(f"conv_transpose3d: input dtype {input.dtype} and weight dtype "
                        f"{weight.dtype} differ")
    # all depth taps at once, as output channels (g, i, o) of one transposed 2-D convolution
    planes = x.permute(0, 2, 1, 3, 4).reshape(n * d, c, h, w)
    w2 = weight.reshape(c, og, kd, kh, kw).permute(0, 2, 1, 3, 4).reshape(c, kd * og, kh, kw)
    y = conv_transpose2d(planes, w2, None, stride[1:], padding[1:], out_pad[1:], groups,
                         dilation[1:])
    ho, wo = y.shape[2:]
    y = y.reshape(n, d, groups, kd, og, ho, wo)
    if dd == 1 and sd == kd:  # the taps tile the depth (k = s, the usual upsampling): a reshape
        out = y.permute(0, 1, 3, 2, 4, 5, 6).reshape(n, d * kd, o, ho, wo)
        if full > d * kd:  # output_padding
            out = out.pad((0, 0) * 3 + (0, full - d * kd))
        out = out[:, pd:full - pd].permute(0, 2, 1, 3, 4)
        if bias is not None:
            out = out + bias.reshape(1, o, 1, 1, 1)
        return out.squeeze(0) if unbatched else out
    if sd > 1:  # spread along depth with the stride: d -> d * sd (zeros between)
        y = y.unsqueeze(2).pad((0, 0) * 5 + (0, sd - 1)).reshape(n, d * sd, groups, kd, og,
                                                                 ho, wo)
        y = y[:, :(d - 1) * sd + 1]
    span = y.shape[1]
    out = None
    for i in range(kd):  # tap i lands at depth offset i * dd
        part = y[:, :, :, i].pad((0, 0) * 4 + (i * dd, full - span - i * dd))
        out = part if out is None else out + part
    assert out is not None
    out = out[:, pd:full - pd].reshape(n, full - 2 * pd, o, ho, wo).permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(1, o, 1, 1, 1)
    return out.squeeze(0) if unbatched else out


def _pool3d_args(x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                 ceil_mode: bool, name: str) -> tuple[Triple, Triple, Triple, Triple, Triple]:
    kernel = _triple(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] or stride == () else _triple(stride,
                                                                                    "stride")
    padding, dilation = _triple(padding, "padding"), _triple(dilation, "dilation")
    if min(kernel) < 1 or min(stride) < 1 or min(padding) < 0 or min(dilation) < 1:
        raise ValueError(f"{name}: bad kernel_size {kernel}, stride {stride}, padding {padding} "
                         f"or dilation {dilation}")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel {kernel}")
    out = tuple(_pool_size(s, k, st, p, dl, ceil_mode)
                for s, k, st, p, dl in zip(x.shape[2:], kernel, stride, padding, dilation))
    if min(out) < 1:
        raise ValueError(f"{name}: kernel {kernel} (dilation {dilation}) is larger than the "
                         f"padded input {tuple(s + 2 * p for s, p in zip(x.shape[2:], padding))}")
    return kernel, stride, padding, dilation, out  # type: ignore[return-value]


def _depth_extra(d: int, k: int, s: int, p: int, dl: int, out: int) -> int:
    """Depth past the padded input that the last ``ceil_mode`` window reaches."""
    return max(0, (out - 1) * s + dl * (k - 1) + 1 - (d + 2 * p))


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """Max over 3-D windows of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``); stride defaults to the
    kernel size, padding is -inf, the gradient goes to the window's first maximum (as torch).
    With ``return_indices`` also the flat index ``(d * H + h) * W + w`` of each maximum.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.max_pool3d(tg.arange(8.0).reshape(1, 1, 2, 2, 2), 2).flatten().tolist()
    [7.0]
    """
    x, unbatched = _batched(input, "max_pool3d")
    kernel, stride, padding, dilation, (do, ho, wo) = _pool3d_args(
        x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d")
    n, c, d, h, w = x.shape
    planes = x.permute(0, 2, 1, 3, 4).reshape(n * d, c, h, w)
    pooled, idx2 = max_pool2d(planes, kernel[1:], stride[1:], padding[1:], dilation[1:],
                              ceil_mode, True)
    pooled = pooled.reshape(n, d, c, ho, wo)
    extra = _depth_extra(d, kernel[0], stride[0], padding[0], dilation[0], do)
    padded = _pad_depth(pooled.permute(0, 2, 1, 3, 4), padding[0], padding[0] + extra,
                        -math.inf)
    taps = stack(_depth_taps(padded, kernel[0], stride[0], dilation[0], do), dim=2)
    index = C.first_argmax(taps.data, axis=2)  # (N, C, 1, Do, Ho, Wo)
    out = C.TakeAlong.apply(taps, index=index, axis=2)
    if unbatched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    xp = backend.xp_of(x.data)
    depth = (xp.arange(do)[:, None, None] * stride[0] - padding[0]
             + index[:, :, 0] * dilation[0])  # (N, C, Do, Ho, Wo), inside [0, D)
    planes_idx = idx2.data.reshape(n, d, c, ho, wo).transpose(0, 2, 1, 3, 4)
    hw = xp.take_along_axis(planes_idx, depth.astype(xp.int64), axis=2)
    flat = (depth * (h * w) + hw).astype(xp.int64)
    flat_t = Tensor._make(flat, x.device)
    return out, (flat_t.squeeze(0) if unbatched else flat_t)


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over 3-D windows of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``). Zero padding counts
    in the mean unless ``count_include_pad=False``; ``divisor_override`` replaces the window size.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.avg_pool3d(tg.arange(8.0).reshape(1, 1, 2, 2, 2), 2).flatten().tolist()
    [3.5]
    """
    x, unbatched = _batched(input, "avg_pool3d")
    kernel, stride, padding, _, (do, ho, wo) = _pool3d_args(
        x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool3d")
    if divisor_override is not None and divisor_override == 0:
        raise ValueError("avg_pool3d: divisor_override must not be zero")
    n, c, d, h, w = x.shape
    if d < kernel[0] or h < kernel[1] or w < kernel[2]:  # torch's rule (3-D only), padding or not
        raise ValueError(f"avg_pool3d: input {tuple(input.shape)} is smaller than the kernel "
                         f"size {kernel}")
    extra = _depth_extra(d, kernel[0], stride[0], padding[0], 1, do)
    padded = _pad_depth(x, padding[0], padding[0] + extra)
    taps = _depth_taps(padded, kernel[0], stride[0], 1, do)
    summed = taps[0]
    for t in taps[1:]:
        summed = summed + t
    planes = summed.permute(0, 2, 1, 3, 4).reshape(n * do, c, h, w)
    # the window sums over each plane (divisor 1), then torch's divisor per 3-D window
    sums = avg_pool2d(planes, kernel[1:], stride[1:], padding[1:], ceil_mode, True, 1)
    sums = sums.reshape(n, do, c, ho, wo).permute(0, 2, 1, 3, 4)
    if divisor_override is not None:
        div = np.full((do, ho, wo), float(divisor_override))
    else:
        counts = [_window_counts(size, out, k, s, p, count_include_pad)
                  for size, out, k, s, p in zip((d, h, w), (do, ho, wo), kernel, stride,
                                                padding)]
        div = counts[0][:, None, None] * counts[1][None, :, None] * counts[2][None, None, :]
    scale = x._const(backend.xp_of(x.data).asarray(1.0 / div, dtype=x.dtype))
    out = sums * scale
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Mean over ``output_size`` windows that tile ``(N, C, D, H, W)`` (or ``(C, D, H, W)``) as
    evenly as possible (``None`` keeps a size).

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.adaptive_avg_pool3d(tg.arange(8.0).reshape(1, 1, 2, 2, 2), 1).flatten().tolist()
    [3.5]
    """
    x, unbatched = _batched(input, "adaptive_avg_pool3d")
    n, c, d, h, w = x.shape
    do, ho, wo = _adaptive_size(output_size, (d, h, w))
    # the mean over a box is separable: the planes first, then the depth
    out = adaptive_avg_pool2d(x.reshape(n, c * d, h, w), (ho, wo))
    out = adaptive_avg_pool2d(out.reshape(n, c, d, ho * wo), (do, ho * wo))
    out = out.reshape(n, c, do, ho, wo)
    return out.squeeze(0) if unbatched else out


def adaptive_max_pool3d(input: Tensor, output_size: Any,  # noqa: A002
                        return_indices: bool = False) -> Any:
    """Max over ``output_size`` windows that tile ``(N, C, D, H, W)`` as evenly as possible;
    with ``return_indices`` also the flat index ``(d * H + h) * W + w`` of each maximum."""
    x, unbatched = _batched(input, "adaptive_max_pool3d")
    n, c, d, h, w = x.shape
    do, ho, wo = _adaptive_size(output_size, (d, h, w))
    first, idx1 = adaptive_max_pool2d(x.reshape(n, c * d, h, w), (ho, wo), True)
    out, idx2 = adaptive_max_pool2d(first.reshape(n, c, d, ho * wo), (do, ho * wo), True)
    out = out.reshape(n, c, do, ho, wo)
    if unbatched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    xp = backend.xp_of(x.data)
    depth = idx2.data // (ho * wo)  # (N, C, Do, Ho*Wo): the winning depth
    hw = xp.take_along_axis(idx1.data.reshape(n, c, d, ho * wo), depth, axis=2)
    flat = Tensor._make((depth * (h * w) + hw).reshape(n, c, do, ho, wo).astype(xp.int64),
                        x.device)
    return out, (flat.squeeze(0) if unbatched else flat)
