"""Stateless layers: ``linear``, ``bilinear``, ``pad`` (constant, reflect, replicate, circular),
the dropouts, ``embedding``, ``one_hot``, ``cosine_similarity``, ``pairwise_distance`` and
``pixel_shuffle`` / ``pixel_unshuffle``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend
from ...autograd import no_grad
from ...ops.elementwise import Where
from ...ops.fused import Linear as _Linear
from ...ops.movement import GetItem
from ...tensor import Tensor

__all__ = ["linear", "bilinear", "pad", "dropout", "dropout1d", "dropout2d", "alpha_dropout",
           "embedding", "one_hot", "cosine_similarity", "pairwise_distance", "pixel_shuffle",
           "pixel_unshuffle"]


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


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """``y_o = x1 @ weight[o] @ x2 + bias_o`` for ``weight (out, in1, in2)``, over any leading
    dimensions shared by ``input1 (..., in1)`` and ``input2 (..., in2)``."""
    if weight.ndim != 3 or input1.shape[-1:] != weight.shape[1:2] \
            or input2.shape[-1:] != weight.shape[2:]:
        raise ValueError(f"bilinear: inputs {tuple(input1.shape)} and {tuple(input2.shape)} do "
                         f"not match the weight (out, in1, in2) {tuple(weight.shape)}")
    o, i1, i2 = weight.shape
    t = input1.matmul(weight.permute(1, 0, 2).reshape(i1, o * i2))
    out = (t.reshape(*t.shape[:-1], o, i2) * input2.unsqueeze(-2)).sum(axis=-1)
    return out if bias is None else out + bias


_NONCONSTANT = ("reflect", "replicate", "circular")


def pad(input: Tensor, pad: Any, mode: str = "constant",  # noqa: A002
        value: float | None = None) -> Tensor:
    """Pad in torch's order: ``(left, right)`` of the last dimension, then the one before.
    ``mode="constant"`` fills ``value`` (negative widths crop); ``"reflect"`` mirrors without
    repeating the edge, ``"replicate"`` repeats it, ``"circular"`` wraps around. The last three
    pad the last 1, 2 or 3 dimensions of a 2-3, 3-4 or 4-5 dimensional input, as torch, and are
    differentiable (a gather whose gradient adds up the copies).

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.pad(tg.ones(1, 2), (1, 0), value=5.0).tolist()
    [[5.0, 1.0, 1.0]]
    >>> F.pad(tg.arange(3.0).reshape(1, 3), (2, 1), mode="reflect").tolist()
    [[2.0, 1.0, 0.0, 1.0, 2.0, 1.0]]
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: padding {pad} needs an even length of at most 2 * {input.ndim} "
                         f"(the input's dimensions)")
    k = len(pad) // 2
    if mode == "constant":
        if all(p >= 0 for p in pad):
            return input.pad(pad, 0.0 if value is None else value)
        # negative widths crop, as torch: crop first, then pad what is positive
        index = [slice(None)] * input.ndim
        for i in range(k):
            lo, hi = pad[2 * i], pad[2 * i + 1]
            n = input.shape[input.ndim - 1 - i]
            index[input.ndim - 1 - i] = slice(max(-lo, 0), n - max(-hi, 0))
        return input[tuple(index)].pad(tuple(max(p, 0) for p in pad),
                                       0.0 if value is None else value)
    if mode not in _NONCONSTANT:
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                         f"got {mode!r}")
    if value is not None and value != 0:
        raise ValueError(f"pad: padding mode {mode!r} does not take a value (got {value})")
    if input.ndim not in (k + 1, k + 2) or k > 3:
        raise NotImplementedError(
            f"pad: padding of length {len(pad)} in mode {mode!r} is not supported for a "
            f"{input.ndim}-D input; supported: length 2 for 2-D or 3-D inputs, 4 for 3-D or "
            f"4-D, 6 for 4-D or 5-D")
    xp = backend.xp_of(input.data)
    out = input
    for i in range(k):
        lo, hi = pad[2 * i], pad[2 * i + 1]
        if lo == 0 and hi == 0:
            continue
        dim = input.ndim - 1 - i
        n = input.shape[dim]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ValueError(f"pad: reflect padding {(lo, hi)} must be smaller than the input's "
                             f"size {n} in dimension {dim}")
        if mode == "circular" and (lo > n or hi > n):
            raise ValueError(f"pad: circular padding {(lo, hi)} wraps around more than once "
                             f"(size {n} in dimension {dim})")
        if n == 0:
            raise ValueError(f"pad: mode {mode!r} needs a non-empty dimension {dim}")
        pos = np.arange(-lo, n + hi)
        if mode == "reflect":
            pos = np.abs(pos)
            pos = np.where(pos > n - 1, 2 * (n - 1) - pos, pos)
        elif mode == "replicate":
            pos = np.clip(pos, 0, n - 1)
        else:  # torch crops a negative side first and wraps within what remains
            a, b = max(-lo, 0), n - max(-hi, 0)
            pos = a + (np.arange(-max(lo, 0), b - a + max(hi, 0)) % (b - a))
        out = out[(slice(None),) * dim + (xp.asarray(pos),)]
    return out


def _check_p(p: float, name: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")


def _check_floating(input: Tensor, name: str) -> None:  # noqa: A002
    # the 1 / (1 - p) scaling of an integer tensor would be truncated: refuse, as torch does
    if not backend.is_floating(input.dtype):
        raise TypeError(f"{name}: expected a floating-point input, got dtype {input.dtype}; "
                        "convert it with .float()")


def _masked(input: Tensor, p: float, mask_shape: tuple[int, ...],  # noqa: A002
            inplace: bool) -> Tensor:
    """``input * keep / (1 - p)`` with ``keep`` drawn (seeded) in ``mask_shape`` and broadcast."""
    if p == 1.0:
        scale = backend.xp_of(input.data).zeros(mask_shape, dtype=input.dtype)
    else:
        gen = backend.generators.get(input.device)
        keep = gen.random(mask_shape, dtype=np.float32) >= p
        scale = keep.astype(input.dtype) * input.dtype.type(1.0 / (1.0 - p))  # no upcast
    if inplace:
        return input.mul_(input._const(scale))
    return input * input._const(scale)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (training
    only); the mask comes from the library's seeded generator."""
    _check_p(p, "dropout")
    if not training or p == 0.0:
        return input
    _check_floating(input, "dropout")
    return _masked(input, p, tuple(input.shape), inplace)


def _channel_dropout(input: Tensor, p: float, training: bool, inplace: bool,  # noqa: A002
                     spatial: int, name: str) -> Tensor:
    _check_p(p, name)
    if input.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(f"{name}: expected a {spatial + 1}-D (unbatched) or {spatial + 2}-D "
                         f"(batched) input, got shape {tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    _check_floating(input, name)
    lead = input.ndim - spatial
    return _masked(input, p, tuple(input.shape[:lead]) + (1,) * spatial, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` (or ``(C, L)``) with probability ``p``."""
    return _channel_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, H, W)`` (or ``(C, H, W)``) with probability ``p``."""
    return _channel_dropout(input, p, training, inplace, 2, "dropout2d")


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,  # noqa: A002
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped elements take SELU's negative saturation value and an
    affine map keeps the mean and variance (torch's formula)."""
    _check_p(p, "alpha_dropout")
    if not training or p == 0.0:
        return input
    _check_floating(input, "alpha_dropout")
    if p == 1.0:
        return input * 0.0
    alpha = -1.7580993408473766  # -scale * alpha of SELU
    a = ((1.0 - p) * (1.0 + p * alpha * alpha)) ** -0.5
    gen = backend.generators.get(input.device)
    keep = (gen.random(tuple(input.shape), dtype=np.float32) >= p).astype(input.dtype)
    b = (1.0 - keep) * (alpha * a) + (-a * alpha * p)  # the constant part
    out = input * input._const(keep * input.dtype.type(a)) + input._const(
        b.astype(input.dtype))
    if inplace:
        with no_grad():
            input.copy_(out)
        return input
    return out


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,  # noqa: A002
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight (num_embeddings, dim)`` picked by the integer ``input``: shape
    ``input.shape + (dim,)``. Gradients add up over repeated indices; the row ``padding_idx``
    gets none. ``max_norm`` renormalises the picked rows in place first (as torch).

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.embedding(tg.tensor([[0, 2]]), tg.arange(6.0).reshape(3, 2)).tolist()
    [[[0.0, 1.0], [4.0, 5.0]]]
    """
    idx = input.data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: expected an integer index tensor, got dtype {idx.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: expected weight (num_embeddings, dim), got "
                         f"{tuple(weight.shape)}")
    n = weight.shape[0]
    if idx.size and backend.outside(idx, 0, n):
        lo, hi = backend.min_max(idx)
        raise IndexError(f"embedding: index out of range: indices must be in [0, {n}), got "
                         f"values from {lo} to {hi}")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within "
                             f"num_embeddings {n}")
        padding_idx %= n
    if max_norm is not None:
        with no_grad():
            rows = backend.xp_of(idx).unique(idx)
            picked = weight.data[rows]
            norms = (backend.xp_of(picked).abs(picked) ** norm_type).sum(axis=1) ** (
                1.0 / norm_type)
            scale = backend.xp_of(norms).where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight.data[rows] = picked * scale[:, None].astype(picked.dtype)
            weight._version[0] += 1
    out = GetItem.apply(weight, index=(idx,))  # weight[idx], already bounds-checked
    if scale_grad_by_freq:
        xp = backend.xp_of(idx)
        _, inverse, counts = xp.unique(idx, return_inverse=True, return_counts=True)
        s = weight._const((1.0 / counts[inverse.reshape(idx.shape)])[..., None]
                          .astype(weight.dtype))
        out = out * s + (out * (1.0 - s)).detach()
    if padding_idx is not None:
        mask = out._const((idx == padding_idx)[..., None])
        out = Where.apply(mask, out.detach(), out)  # same values, no gradient to that row
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``tensor``'s integer classes as one-hot rows: shape ``tensor.shape + (num_classes,)``,
    dtype int64 (``num_classes=-1``: one more than the largest class).

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.one_hot(tg.tensor([0, 2])).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    idx = tensor.data
    xp = backend.xp_of(idx)
    if idx.dtype != np.int64:
        raise TypeError(f"one_hot is only applicable to index tensors of dtype int64, got "
                        f"{idx.dtype}")
    # booleans, not the min and max as numbers (they change with every batch: tg.jit would
    # have to refuse a step that reads them), except where the number of classes is inferred
    if idx.size and bool(idx.min() < 0):
        raise ValueError("one_hot: class values must be non-negative")
    if num_classes == -1:
        if not idx.size:
            raise ValueError("one_hot: can not infer the number of classes from an empty "
                             "tensor; pass num_classes")
        num_classes = int(idx.max()) + 1
    elif idx.size and bool(idx.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be smaller than num_classes "
                         f"({num_classes}), got {int(idx.max())}")
    out = (idx[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return Tensor._make(out, tensor.device)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``<x1, x2> / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim``, with broadcasting.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.cosine_similarity(tg.tensor([[1.0, 0.0]]), tg.tensor([[1.0, 1.0]])).tolist()
    [0.7071067690849304]
    """
    n1 = x1.norm(p=2, axis=dim, keepdims=True).clamp(min=eps)
    n2 = x2.norm(p=2, axis=dim, keepdims=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(axis=dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dimension, with broadcasting."""
    diff = x1 - x2 + eps
    if diff.ndim == 0:
        diff = diff.reshape(1)
    return diff.norm(p=p, axis=-1, keepdims=keepdim)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    """``(*, C * r * r, H, W)`` -> ``(*, C, H * r, W * r)``: channels become sub-pixels."""
    r = int(upscale_factor)
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise ValueError(f"pixel_shuffle: {c} channels are not divisible by {r * r}")
    x = input.reshape(-1, c // (r * r), r, r, h, w).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    """The inverse of ``pixel_shuffle``: ``(*, C, H * r, W * r)`` -> ``(*, C * r * r, H, W)``."""
    r = int(downscale_factor)
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise ValueError(f"pixel_unshuffle: height {h} and width {w} must be divisible by {r}")
    x = input.reshape(-1, c, h // r, r, w // r, r).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(*lead, c * r * r, h // r, w // r)
