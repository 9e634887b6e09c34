"""Convolutions: ``conv1d``, ``conv2d``, ``conv_transpose1d``, ``conv_transpose2d``, and the
sliding-window pair ``unfold`` (im2col) / ``fold`` (its adjoint).

All are built on the ``Im2Col`` / ``Col2Im`` primitives of ``ops/conv.py`` and one matrix product
(batched over the groups when ``groups > 1``), so they differentiate to any order.
"""

from __future__ import annotations

from typing import Any

from ...ops import conv as C
from ...ops.fused import WeightColumns
from ...tensor import Tensor
from ._util import _pair

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


def _same_padding(kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
                  name: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """torch's ``padding="same"``: a total of ``d * (k - 1)`` per axis, the odd one extra on the
    right / bottom. Returns (symmetric part, extra right/bottom part)."""
    if stride != (1, 1):
        raise ValueError(f"{name}: padding='same' is not supported for strided convolutions "
                         f"(stride {stride})")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return (total[0] // 2, total[1] // 2), (total[0] % 2, total[1] % 2)


def _unbatched(input: Tensor, ndim: int, name: str, shape: str) -> bool:  # noqa: A002
    if input.ndim == ndim:
        return False
    if input.ndim == ndim - 1:
        return True
    raise ValueError(f"{name}: expected input of shape {shape} (or without the batch dimension), "
                     f"got {tuple(input.shape)}")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
           stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as torch) of ``input (N, C, H, W)`` (or ``(C, H, W)``)
    with ``weight (O, C / groups, kh, kw)``: im2col and one matrix product per group.
    ``padding`` is an int, a pair, ``"valid"`` or ``"same"``.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.conv2d(tg.ones(1, 1, 4, 4), tg.ones(1, 1, 3, 3), padding=1)[0, 0, 0].tolist()
    [4.0, 6.0, 6.0, 4.0]
    >>> F.conv2d(tg.ones(1, 4, 5, 5), tg.ones(6, 2, 3, 3), dilation=2, groups=2).shape
    (1, 6, 1, 1)
    """
    if _unbatched(input, 4, "conv2d", "(N, C, H, W)"):
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    if weight.ndim != 4:
        raise ValueError(f"conv2d: expected weight of shape (O, C / groups, kh, kw), got "
                         f"{tuple(weight.shape)}")
    n, c, h, w = input.shape
    o, wc, kh, kw = weight.shape
    if not isinstance(groups, int) or groups < 1 or o % groups:
        raise ValueError(f"conv2d: groups must be a positive int dividing the {o} output "
                         f"channels, got {groups!r}")
    if c != wc * groups:
        raise ValueError(f"conv2d: input {tuple(input.shape)} has {c} channels, but the weight "
                         f"{tuple(weight.shape)} with groups={groups} expects {wc * groups}")
    stride = _pair(stride, "stride")
    dilation = _pair(dilation, "dilation")
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"conv2d: stride and dilation must be >= 1, got stride {stride}, "
                         f"dilation {dilation}")
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            padding, extra = _same_padding((kh, kw), stride, dilation, "conv2d")
            if extra != (0, 0):  # an even dilated kernel: the odd pixel goes right / bottom
                input = input.pad((0, extra[1], 0, extra[0]))  # noqa: A001
                h, w = h + extra[0], w + extra[1]
        else:
            raise ValueError(f"conv2d: padding must be an int, a pair, 'valid' or 'same', got "
                             f"{padding!r}")
    padding = _pair(padding, "padding")
    if min(padding) < 0:
        raise ValueError(f"conv2d: padding must be >= 0, got {padding}")
    ho = C.output_size(h, kh, stride[0], padding[0], dilation[0])
    wo = C.output_size(w, kw, stride[1], padding[1], dilation[1])
    if ho < 1 or wo < 1:
        raise ValueError(f"conv2d: kernel {(kh, kw)} (dilation {dilation}) is larger than the "
                         f"padded input {(h + 2 * padding[0], w + 2 * padding[1])}")
    if bias is not None and bias.shape != (o,):
        raise ValueError(f"conv2d: bias of shape {tuple(bias.shape)} does not match {o} output "
                         "channels")
    if input.dtype != weight.dtype:
        raise TypeError(f"conv2d: input dtype {input.dtype} and weight dtype {weight.dtype} "
                        "differ")
    if dilation == C.ONE:  # the common case keeps the primitive's default arguments
        cols = C.Im2Col.apply(input, kernel=(kh, kw), stride=stride, padding=padding)
    else:
        cols = C.Im2Col.apply(input, kernel=(kh, kw), stride=stride, padding=padding,
                              dilation=dilation)
    k = c * kh * kw
    if groups == 1:
        operands = (weight.reshape(o, k), cols.reshape(k, ho * wo * n))
        out = (WeightColumns.apply(*operands) if bias is None
               else WeightColumns.apply(*operands, bias))
    else:
        # (G, O/G, K/G) @ (G, K/G, L): the columns of group g are its channels' rows
        out = weight.reshape(groups, o // groups, k // groups).matmul(
            cols.reshape(groups, k // groups, ho * wo * n)).reshape(o, ho * wo * n)
        if bias is not None:
            out = out + bias.reshape(o, 1)
    # (O, Ho*Wo*N) -> (N, O, Ho, Wo) is a view: the data stays batch-last, which the next
    # layer's im2col and this layer's backward both read without copying (see ops/conv.py)
    return out.reshape(o, ho, wo, n).permute(3, 0, 1, 2)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
           stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution of ``input (N, C, L)`` (or ``(C, L)``) with ``weight (O, C / groups, k)``:
    a 2-D convolution over a height of 1.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.conv1d(tg.ones(1, 1, 5), tg.ones(1, 1, 3), padding="same").tolist()
    [[[2.0, 3.0, 3.0, 3.0, 2.0]]]
    """
    if _unbatched(input, 3, "conv1d", "(N, C, L)"):
        return conv1d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    if weight.ndim != 3:
        raise ValueError(f"conv1d: expected weight of shape (O, C / groups, k), got "
                         f"{tuple(weight.shape)}")
    pad = padding if isinstance(padding, str) else (0, _single(padding, "padding"))
    return conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias,
                  (1, _single(stride, "stride")), pad, (1, _single(dilation, "dilation")),
                  groups).squeeze(2)


def _single(value: Any, name: str) -> int:
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return _pair(value, name)[0]


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 2-D convolution (the gradient of ``conv2d`` with respect to its input) of
    ``input (N, C_in, H, W)`` with ``weight (C_in, C_out / groups, kh, kw)``. The output is
    ``(H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1`` high.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.conv_transpose2d(tg.ones(1, 1, 2, 2), tg.ones(1, 1, 2, 2), stride=2).shape
    (1, 1, 4, 4)
    """
    if _unbatched(input, 4, "conv_transpose2d", "(N, C, H, W)"):
        return conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding,
                                output_padding, groups, dilation).squeeze(0)
    if weight.ndim != 4:
        raise ValueError(f"conv_transpose2d: expected weight of shape (C_in, C_out / groups, "
                         f"kh, kw), got {tuple(weight.shape)}")
    n, c, h, w = input.shape
    wc, og, kh, kw = weight.shape
    if not isinstance(groups, int) or groups < 1 or c % groups:
        raise ValueError(f"conv_transpose2d: groups must be a positive int dividing the {c} "
                         f"input channels, got {groups!r}")
    if c != wc:
        raise ValueError(f"conv_transpose2d: input {tuple(input.shape)} has {c} channels, but "
                         f"the weight {tuple(weight.shape)} expects {wc}")
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    dilation, out_pad = _pair(dilation, "dilation"), _pair(output_padding, "output_padding")
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0 or min(out_pad) < 0:
        raise ValueError(f"conv_transpose2d: bad stride {stride}, padding {padding}, "
                         f"dilation {dilation} or output_padding {out_pad}")
    if any(op >= max(s, d) for op, s, d in zip(out_pad, stride, dilation)):
        raise ValueError(f"conv_transpose2d: output_padding {out_pad} must be smaller than "
                         f"either stride {stride} or dilation {dilation}")
    size = [(i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, s, p, d, k, op
            in zip((h, w), stride, padding, dilation, (kh, kw), out_pad)]
    if min(size) < 1:
        raise ValueError(f"conv_transpose2d: the output size {tuple(size)} is not positive")
    o = og * groups
    if bias is not None and bias.shape != (o,):
        raise ValueError(f"conv_transpose2d: bias of shape {tuple(bias.shape)} does not match "
                         f"{o} output channels")
    if input.dtype != weight.dtype:
        raise TypeError(f"conv_transpose2d: input dtype {input.dtype} and weight dtype "
                        f"{weight.dtype} differ")
    # columns (C_out, kh, kw, H, W, N) = weight.T @ x, then summed onto the output (Col2Im)
    x = input.permute(1, 2, 3, 0).reshape(groups, c // groups, h * w * n)
    wt = weight.reshape(groups, c // groups, og * kh * kw).transpose(1, 2)
    cols = wt.matmul(x).reshape(o, kh, kw, h, w, n)
    out = C.Col2Im.apply(cols, in_shape=(n, o, size[0], size[1]), kernel=(kh, kw),
                         stride=stride, padding=padding, dilation=dilation)
    return out if bias is None else out + bias.reshape(1, o, 1, 1)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 1-D convolution of ``input (N, C_in, L)`` with ``weight (C_in, C_out / groups,
    k)``: ``conv_transpose2d`` over a height of 1."""
    if _unbatched(input, 3, "conv_transpose1d", "(N, C, L)"):
        return conv_transpose1d(input.unsqueeze(0), weight, bias, stride, padding,
                                output_padding, groups, dilation).squeeze(0)
    if weight.ndim != 3:
        raise ValueError(f"conv_transpose1d: expected weight of shape (C_in, C_out / groups, k), "
                         f"got {tuple(weight.shape)}")
    return conv_transpose2d(input.unsqueeze(2), weight.unsqueeze(2), bias,
                            (1, _single(stride, "stride")), (0, _single(padding, "padding")),
                            (0, _single(output_padding, "output_padding")), groups,
                            (1, _single(dilation, "dilation"))).squeeze(2)


def _window_args(kernel_size: Any, dilation: Any, padding: Any, stride: Any, name: str):
    kernel, dilation = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    padding, stride = _pair(padding, "padding"), _pair(stride, "stride")
    if min(kernel) < 1 or min(dilation) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"{name}: bad kernel_size {kernel}, dilation {dilation}, padding "
                         f"{padding} or stride {stride}")
    return kernel, dilation, padding, stride


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002
           stride: Any = 1) -> Tensor:
    """Sliding windows of ``input (N, C, H, W)`` as columns ``(N, C * kh * kw, L)`` (im2col),
    ``L`` the number of window positions.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.unfold(tg.arange(9.0).reshape(1, 1, 3, 3), 2).shape
    (1, 4, 4)
    """
    if _unbatched(input, 4, "unfold", "(N, C, H, W)"):
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    kernel, dilation, padding, stride = _window_args(kernel_size, dilation, padding, stride,
                                                     "unfold")
    n, c, h, w = input.shape
    ho = C.output_size(h, kernel[0], stride[0], padding[0], dilation[0])
    wo = C.output_size(w, kernel[1], stride[1], padding[1], dilation[1])
    if ho < 1 or wo < 1:
        raise ValueError(f"unfold: kernel {kernel} (dilation {dilation}) is larger than the "
                         f"padded input {(h + 2 * padding[0], w + 2 * padding[1])}")
    cols = C.Im2Col.apply(input, kernel=kernel, stride=stride, padding=padding,
                          dilation=dilation)
    return cols.reshape(c * kernel[0] * kernel[1], ho * wo, n).permute(2, 0, 1)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1,  # noqa: A002
         padding: Any = 0, stride: Any = 1) -> Tensor:
    """The adjoint of ``unfold``: columns ``(N, C * kh * kw, L)`` summed back into an image
    ``(N, C, H, W)`` of ``output_size``, overlapping entries added."""
    if _unbatched(input, 3, "fold", "(N, C * kh * kw, L)"):
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding,
                    stride).squeeze(0)
    kernel, dilation, padding, stride = _window_args(kernel_size, dilation, padding, stride,
                                                     "fold")
    h, w = _pair(output_size, "output_size")
    n, ck, length = input.shape
    ho = C.output_size(h, kernel[0], stride[0], padding[0], dilation[0])
    wo = C.output_size(w, kernel[1], stride[1], padding[1], dilation[1])
    taps = kernel[0] * kernel[1]
    if ck % taps or ho < 1 or wo < 1 or length != ho * wo:
        raise ValueError(f"fold: input {tuple(input.shape)} does not hold (C * {taps}) rows and "
                         f"{max(ho, 0) * max(wo, 0)} window positions for output_size {(h, w)}, "
                         f"kernel {kernel}, dilation {dilation}, padding {padding}, stride "
                         f"{stride}")
    c = ck // taps
    cols = input.permute(1, 2, 0).reshape(c, kernel[0], kernel[1], ho, wo, n)
    return C.Col2Im.apply(cols, in_shape=(n, c, h, w), kernel=kernel, stride=stride,
                          padding=padding, dilation=dilation)
