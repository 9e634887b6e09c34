"""Stateless layers and losses (``torch.nn.functional``): ``F.linear``, ``F.conv2d``, pooling,
dropout, activations and the losses, each with ``reduction="mean" | "sum" | "none"``.

>>> import tinygrad_gd as tg
>>> from tinygrad_gd.nn import functional as F
>>> logits = tg.tensor([[2.0, 0.0, -1.0], [0.0, 1e4, 0.0]], requires_grad=True)
>>> loss = F.cross_entropy(logits, tg.tensor([0, 1]))
>>> round(loss.item(), 4)
0.0849
>>> loss.backward()
>>> [round(v, 3) for v in logits.grad[1].tolist()]
[0.0, 0.0, 0.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..ops import conv as C
from ..ops.fused import CrossEntropy, WeightColumns
from ..ops.fused import Linear as _Linear
from ..tensor import Tensor

__all__ = ["linear", "conv2d", "pad", "max_pool2d", "avg_pool2d", "dropout", "batch_norm", "relu",
           "leaky_relu", "tanh", "sigmoid", "gelu", "softmax", "log_softmax", "cross_entropy",
           "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "multi_margin_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def _pair(value: Any, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _reduce(loss: Tensor, reduction: str, name: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_same_shape(input: Tensor, target: Tensor, name: str) -> None:  # noqa: A002
    if input.shape != target.shape:
        raise ValueError(f"{name}: input shape {tuple(input.shape)} and target shape "
                         f"{tuple(target.shape)} differ")


def _as_target(target: Any, like: Tensor) -> Tensor:
    if isinstance(target, Tensor):
        return target
    return Tensor(target, device=like.device)


# ----------------------------------------------------------------------------- layers
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


# ------------------------------------------------------------------------ activations
def relu(input: Tensor) -> Tensor:  # noqa: A002
    """max(x, 0)."""
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """x for x > 0, ``negative_slope * x`` otherwise."""
    return input.leaky_relu(negative_slope)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """Hyperbolic tangent."""
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """Logistic sigmoid."""
    return input.sigmoid()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """Gaussian error linear unit (exact, or ``approximate="tanh"``)."""
    return input.gelu(approximate)


def softmax(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim``."""
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """x - logsumexp(x) along ``dim``."""
    return input.log_softmax(dim)


# ----------------------------------------------------------------------------- losses
def _class_rows(input: Tensor, target: Tensor, name: str,  # noqa: A002
                ignore_index: int | None = None) -> tuple[Tensor, Tensor, Any, tuple]:
    """Logits ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)`` and labels as ``(M, C)`` rows, ``(M,)``
    labels (ignored ones replaced by 0), the mask of kept labels (None when all are kept), and the
    shape that a ``reduction="none"`` result takes."""
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, got a scalar")
    if input.ndim == 1:
        expected: tuple = ()
    else:
        expected = (input.shape[0],) + tuple(input.shape[2:])
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class labels, got dtype "
                        f"{target.dtype}")
    if tuple(target.shape) != expected:
        raise ValueError(f"{name}: input of shape {tuple(input.shape)} needs a target of shape "
                         f"{expected}, got {tuple(target.shape)}")
    k = input.shape[0] if input.ndim == 1 else input.shape[1]
    labels = target.data.reshape(-1).astype(np.int64, copy=False)
    keep = None
    if ignore_index is not None:
        ignored = labels == ignore_index
        if bool(ignored.any()):
            keep = ~ignored
            labels = backend.xp_of(labels).where(ignored, 0, labels)
    if labels.size:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi >= k:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{name}: target label {bad} is out of range for {k} classes "
                             f"(labels must be in [0, {k - 1}]"
                             + (f", or {ignore_index} to ignore" if ignore_index is not None
                                else "") + ")")
    if input.ndim == 1:
        rows = input.reshape(1, k)
    elif input.ndim == 2:
        rows = input
    else:
        perm = (0,) + tuple(range(2, input.ndim)) + (1,)
        rows = input.permute(*perm).reshape(-1, k)
    return rows, Tensor._make(labels, target.device), keep, expected


def _weighted(loss: Tensor, rows: Tensor, labels: Tensor, keep: Any, weight: Tensor | None,
              reduction: str, shape: tuple, name: str, smooth: Tensor | None = None,
              label_smoothing: float = 0.0) -> Tensor:
    """torch's class weights and ignored labels: each row's loss times ``weight[label]`` (0 when
    ignored); ``"mean"`` divides by the summed weights of the kept rows, not by the count."""
    if weight is None and keep is None:
        if smooth is not None:
            loss = loss * (1.0 - label_smoothing) + smooth * label_smoothing
        return _reduce(loss.reshape(shape), reduction, name)
    xp = backend.xp_of(labels.data)
    k = rows.shape[1]
    if weight is not None:
        if tuple(weight.shape) != (k,):
            raise ValueError(f"{name}: weight must have one entry per class, shape ({k},), got "
                             f"{tuple(weight.shape)}")
        w = weight.data.astype(rows.dtype, copy=False)[labels.data]
    else:
        w = xp.ones(labels.shape, dtype=rows.dtype)
    if keep is not None:
        w = w * keep
    loss = loss * rows._const(w)
    if smooth is not None:
        loss = loss * (1.0 - label_smoothing) + smooth * label_smoothing * rows._const(
            keep.astype(rows.dtype) if keep is not None else xp.ones_like(w))
    if reduction == "mean":
        total = float(w.sum())
        if total == 0.0:  # every label ignored: torch's 0 / 0, with a zero gradient
            return loss.sum() * 0.0 + float("nan")
        return loss.sum() * (1.0 / total)
    return _reduce(loss.reshape(shape), reduction, name)


def cross_entropy(input: Tensor, target: Any, weight: Tensor | None = None,  # noqa: A002
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits and integer labels (or class probabilities of the
    logits' shape), fused and stable: finite for logits of any finite size. ``weight``,
    ``ignore_index`` and ``label_smoothing`` as torch's."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    target = _as_target(target, input)
    if backend.is_floating(target.dtype):  # class probabilities
        _check_same_shape(input, target, "cross_entropy")
        axis = 0 if input.ndim == 1 else 1
        if label_smoothing:
            k = input.shape[axis]
            target = target * (1.0 - label_smoothing) + label_smoothing / k
        if weight is not None:
            shape = [1] * input.ndim
            shape[axis] = -1
            target = target * weight.reshape(shape)
        return _reduce(-(target * input.log_softmax(axis)).sum(axis=axis), reduction,
                       "cross_entropy")
    rows, labels, keep, shape = _class_rows(input, target, "cross_entropy", ignore_index)
    loss = CrossEntropy.apply(rows, labels)
    smooth = None
    if label_smoothing:
        logp = rows.log_softmax(1)
        if weight is not None:
            logp = logp * weight.reshape(1, -1)
        smooth = -logp.mean(axis=1)
    return _weighted(loss, rows, labels, keep, weight, reduction, shape, "cross_entropy",
                     smooth, label_smoothing)


def nll_loss(input: Tensor, target: Any, weight: Tensor | None = None,  # noqa: A002
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input (N, C)`` at integer labels
    (``weight`` and ``ignore_index`` as torch's)."""
    target = _as_target(target, input)
    rows, labels, keep, shape = _class_rows(input, target, "nll_loss", ignore_index)
    xp = backend.xp_of(labels.data)
    picked = rows[xp.arange(rows.shape[0]), labels.data]
    return _weighted(-picked, rows, labels, keep, weight, reduction, shape, "nll_loss")


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Squared error ``(input - target)^2``."""
    target = _as_target(target, input)
    _check_same_shape(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Absolute error ``|input - target|``."""
    target = _as_target(target, input)
    _check_same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction, "l1_loss")


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """``-(t log p + (1 - t) log(1 - p))`` of probabilities ``p``; the logs are clamped at -100
    (as torch), so p = 0 or 1 gives a finite loss."""
    target = _as_target(target, input)
    _check_same_shape(input, target, "binary_cross_entropy")
    data = input.data
    if data.size and (float(data.min()) < 0.0 or float(data.max()) > 1.0):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1], got "
                         f"values in [{float(data.min())}, {float(data.max())}]; use "
                         "binary_cross_entropy_with_logits for logits")
    log_p = input.log().clamp(min=-100.0)
    log_q = (1.0 - input).log().clamp(min=-100.0)
    return _reduce(-(target * log_p + (1.0 - target) * log_q), reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input: Tensor, target: Any,  # noqa: A002
                                     reduction: str = "mean") -> Tensor:
    """Sigmoid and binary cross-entropy in one stable formula: ``softplus(x) - x t``
    (softplus is computed without overflow, and its derivative at 0 is exactly 1/2)."""
    target = _as_target(target, input)
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    loss = input.softplus() - input * target
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def multi_margin_loss(input: Tensor, target: Any, p: int = 1, margin: float = 1.0,  # noqa: A002
                      reduction: str = "mean") -> Tensor:
    """The multiclass SVM hinge loss: ``sum_{j != y} max(0, margin - x_y + x_j)^p / C`` per row."""
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: p must be 1 or 2, got {p}")
    target = _as_target(target, input)
    if input.ndim not in (1, 2):
        raise ValueError(f"multi_margin_loss: expected input (N, C) or (C,), got "
                         f"{tuple(input.shape)}")
    rows, labels, _, shape = _class_rows(input, target, "multi_margin_loss")
    xp = backend.xp_of(labels.data)
    n, k = rows.shape
    picked = rows[xp.arange(n), labels.data].reshape(n, 1)
    hinge = (rows - picked + margin).relu()
    if p == 2:
        hinge = hinge * hinge
    # the target's own column would add max(0, margin)^p: mask it out
    others = xp.ones((n, k), dtype=rows.dtype)
    others[xp.arange(n), labels.data] = 0
    loss = (hinge * rows._const(others)).sum(axis=1) * (1.0 / k)
    return _reduce(loss.reshape(shape), reduction, "multi_margin_loss")
