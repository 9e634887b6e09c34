"""Losses with torch's names, signatures and semantics, each with ``reduction="mean" | "sum" |
"none"`` (and torch's deprecated ``size_average``/``reduce``, which override it).

This module holds the classification losses (class indices and binary targets); the regression
losses are in ``loss_regression.py`` and the margin and embedding losses in ``loss_pairs.py``,
both re-exported from here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend
from ...autograd import forward_ad as fw
from ...autograd.engine import Primitive
from ...ops.fused import CrossEntropy, CrossEntropyMean
from ...ops.movement import GetItem
from ...tensor import Tensor
from ._loss_util import (
    LOG_FLOOR,
    _check_reduction,
    _clamped_log,
    _pair_target,
    _reduction,
    _require_float,
)
from ._util import _as_target, _check_same_shape, _reduce
from .loss_pairs import *  # noqa: F403
from .loss_pairs import __all__ as _pairs_all
from .loss_regression import *  # noqa: F403
from .loss_regression import __all__ as _regression_all

__all__ = ["cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "multi_margin_loss", "multilabel_soft_margin_loss", *_regression_all, *_pairs_all]


def _class_rows(input: Tensor, target: Tensor, name: str,  # noqa: A002
                ignore_index: int | None = None, sync_free: bool = False
                ) -> tuple[Tensor, Tensor, Any, tuple]:
    """Logits ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)`` and labels as ``(M, C)`` rows, ``(M,)``
    labels (ignored ones replaced by 0), the mask of kept labels (None when all are kept), and the
    shape that a ``reduction="none"`` result takes.

    With ``sync_free`` on a GPU without ``tg.set_debug_checks(True)``, the labels' values are
    never read on the host (that would stall the step): the mask is then always made, as floats
    of the input's dtype, 1 for a kept label, 0 for an ignored one and NaN for one out of range
    (replaced by 0 too), so a bad label gives a NaN loss instead of an error."""
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, got a scalar")
    if input.ndim == 1:
        expected: tuple = ()
    else:
        expected = (input.shape[0],) + tuple(input.shape[2:])
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class labels (an int64 tensor, "
                        f"torch's Long), got dtype {target.dtype} and shape "
                        f"{tuple(target.shape)}; convert it with target.long()"
                        + ("; class probabilities need the input's shape "
                           f"{tuple(input.shape)}" if name == "cross_entropy" else ""))
    if tuple(target.shape) != expected:
        raise ValueError(f"{name}: input of shape {tuple(input.shape)} needs a target of shape "
                         f"{expected}, got {tuple(target.shape)}")
    k = input.shape[0] if input.ndim == 1 else input.shape[1]
    labels = target.data.reshape(-1).astype(np.int64, copy=False)
    keep = None
    on_device = sync_free and not backend.checks_values(labels)
    if on_device:
        xp = backend.xp_of(labels)
        bad = (labels < 0) | (labels >= k)
        drop = bad
        keep = xp.where(bad, xp.nan, 1.0).astype(input.dtype)
        if ignore_index is not None:
            ignored = labels == ignore_index
            drop = bad | ignored
            keep = xp.where(ignored, 0.0, keep).astype(input.dtype, copy=False)
        labels = xp.where(drop, 0, labels)
    # the common case in one boolean read: all labels in [0, k) (torch's ignore_index -100 is
    # outside, so none is ignored either); tg.jit guards it (min/max change with every batch)
    # (as unsigned, a negative label is huge: one maximum checks both ends)
    in_range = on_device or not labels.size or not bool(labels.view(np.uint64).max() >= k)
    if not on_device and ignore_index is not None and not (in_range and not 0 <= ignore_index < k):
        ignored = labels == ignore_index
        # an ignored class index is masked without asking whether this batch holds it (a value
        # that changes from batch to batch: tg.jit would have to refuse the step)
        if 0 <= ignore_index < k or bool(ignored.any()):
            keep = ~ignored
            labels = backend.xp_of(labels).where(ignored, 0, labels)
    if not in_range and labels.size and bool(((labels < 0) | (labels >= k)).any()):
        lo, hi = backend.min_max(labels)
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
        # take_along_axis, not indexing: a function of the labels, which tg.jit records even
        # when the weights are an array it never saw (an index into such an array it cannot)
        w = xp.take_along_axis(weight.data.astype(rows.dtype, copy=False), labels.data, 0)
    else:
        w = xp.ones(labels.shape, dtype=rows.dtype)
    if keep is not None:
        w = w * keep
    loss = loss * rows._const(w)
    if smooth is not None:
        loss = loss * (1.0 - label_smoothing) + smooth * label_smoothing * rows._const(
            keep.astype(rows.dtype) if keep is not None else xp.ones_like(w))
    if reduction == "mean":
        # the summed weights stay an array (no sync on a GPU; nothing tg.jit must refuse as a
        # value that changes with every batch); every label ignored is torch's 0 / 0 -> NaN,
        # with a zero gradient
        total = w.sum()
        empty = total == 0
        inv = xp.where(empty, 0.0, 1.0 / xp.where(empty, 1.0, total)).astype(rows.dtype)
        nan = xp.where(empty, xp.nan, 0.0).astype(rows.dtype)
        return loss.sum() * rows._const(inv) + rows._const(nan)
    return _reduce(loss.reshape(shape), reduction, name)


def cross_entropy(input: Tensor, target: Any, weight: Tensor | None = None,  # noqa: A002
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)`` and integer
    class indices (``(N,)``, ``()``, ``(N, d1, ...)``) or class probabilities (a float target
    of the logits' shape). ``weight`` (one per class), ``ignore_index`` and
    ``label_smoothing`` as torch's: with weights, ``"mean"`` divides by the summed weights of
    the kept targets. The plain case runs as one fused node, stable for logits of any size.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> x = tg.tensor([[2.0, 0.0], [0.0, 2.0]])
    >>> round(F.cross_entropy(x, tg.tensor([0, 0])).item(), 4)
    1.1269
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "cross_entropy")
    _require_float("cross_entropy", input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    target = _as_target(target, input)
    if backend.is_floating(target.dtype) and tuple(target.shape) == tuple(input.shape):
        # class probabilities
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
    rows, labels, keep, shape = _class_rows(input, target, "cross_entropy", ignore_index,
                                            sync_free=True)
    if (reduction == "mean" and keep is None and weight is None and not label_smoothing
            and rows.shape[0] and rows.dtype != np.float16):
        return CrossEntropyMean.apply(rows, labels)  # a training step's loss: one node
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
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood ``-input[n, target[n]]`` of log-probabilities ``(N, C)``,
    ``(C,)`` or ``(N, C, d1, ...)`` at integer labels (``weight`` and ``ignore_index`` as
    torch's)."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "nll_loss")
    _require_float("nll_loss", input)
    target = _as_target(target, input)
    rows, labels, keep, shape = _class_rows(input, target, "nll_loss", ignore_index,
                                            sync_free=True)
    xp = backend.xp_of(labels.data)
    # the labels are in range now: GetItem itself, without indexing's bounds check (a sync)
    picked = GetItem.apply(rows, index=(xp.arange(rows.shape[0]), labels.data))
    return _weighted(-picked, rows, labels, keep, weight, reduction, shape, "nll_loss")


# torch's floor of p (1 - p) in the gradient: 1e-12 rounded to float32, as torch stores it
_BCE_EPS = float(np.float32(1e-12))


class BinaryCrossEntropy(Primitive):
    """``-(t max(log p, -100) + (1 - t) max(log(1 - p), -100))`` element-wise, torch's clamped
    form; the gradients are torch's: ``g (p - t) / max(p (1 - p), 1e-12)`` for ``p`` and
    ``g (max(log(1 - p), -100) - max(log p, -100))`` for ``t``, both Tensor ops (so second
    derivatives work)."""

    def forward(self, p, t):
        xp = backend.xp_of(p)
        with np.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(p), LOG_FLOOR)
            log_q = xp.maximum(xp.log1p(-p), LOG_FLOOR)
        return -(t * log_p + (1 - t) * log_q)

    def jvp(self, *tangents):
        return fw.diag_jvp(self, tangents)

    def backward(self, g):
        p, t = self.inputs
        gp = gt = None
        if self.needs_grad(0):
            gp = g * (p - t) / (p * (1.0 - p)).clamp(min=_BCE_EPS)
        if self.needs_grad(1):
            gt = g * (_clamped_log(1.0 - p) - _clamped_log(p))
        return gp, gt


def binary_cross_entropy(input: Tensor, target: Any,  # noqa: A002
                         weight: Tensor | None = None, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``-w (t log p + (1 - t) log(1 - p))`` of probabilities ``p``; the logs are clamped at
    -100 as torch's (p = 0 or 1 gives a finite loss, and torch's gradient). ``weight``
    broadcasts against the input and rescales each element's loss.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.binary_cross_entropy(tg.tensor([0.0, 1.0]), tg.tensor([1.0, 1.0]), reduction="sum").item()
    100.0
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy")
    target = _as_target(target, input)
    _check_same_shape(input, target, "binary_cross_entropy")
    if not backend.is_floating(input.dtype):
        raise TypeError(f"binary_cross_entropy: input must be a floating tensor of "
                        f"probabilities, got dtype {input.dtype}")
    data = input.data
    # on a GPU only with tg.set_debug_checks(True) (a sync); else a bad value gives a NaN loss.
    # One boolean is read (tg.jit guards it), the range only for the message
    if data.size and backend.checks_values(data) and bool((~((data >= 0) & (data <= 1))).any()):
        lo, hi = backend.min_max(data)
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1], got "
                         f"values in [{lo}, {hi}]; use "
                         "binary_cross_entropy_with_logits for logits")
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * _as_target(weight, input)
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input: Tensor, target: Any,  # noqa: A002
                                     weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable formula, torch's:
    ``(1 - t) x + (1 + (pos_weight - 1) t) softplus(-x)`` (= ``softplus(x) - x t`` without
    ``pos_weight``). ``pos_weight`` (one per class, broadcast along the last dimension)
    weighs the positive examples; ``weight`` rescales each element."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    target = _as_target(target, input)
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    if target.dtype != input.dtype and backend.is_floating(input.dtype):
        target = target.to(input.dtype)
    if pos_weight is None:
        loss = input.softplus() - input * target
    else:
        log_weight = (_as_target(pos_weight, input) - 1.0) * target + 1.0
        loss = (1.0 - target) * input + log_weight * (-input).softplus()
    if weight is not None:
        loss = loss * _as_target(weight, input)
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def multi_margin_loss(input: Tensor, target: Any, p: int = 1, margin: float = 1.0,  # noqa: A002
                      weight: Tensor | None = None, size_average: bool | None = None,
                      reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """The multiclass SVM hinge loss: ``sum_{j != y} w_y max(0, margin - x_y + x_j)^p / C``
    per row of ``input (N, C)`` or ``(C,)``, ``p`` 1 or 2."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "multi_margin_loss")
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
    if weight is not None:
        if tuple(weight.shape) != (k,):
            raise ValueError(f"multi_margin_loss: weight must have one entry per class, shape "
                             f"({k},), got {tuple(weight.shape)}")
        others = others * xp.take_along_axis(  # (as above)
            weight.data.astype(rows.dtype, copy=False), labels.data, 0)[:, None]
    loss = (hinge * rows._const(others)).sum(axis=1) * (1.0 / k)
    return _reduce(loss.reshape(shape), reduction, "multi_margin_loss")


def multilabel_soft_margin_loss(input: Tensor, target: Any,  # noqa: A002
                                weight: Tensor | None = None, size_average: bool | None = None,
                                reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """One-versus-all logistic loss over ``C`` labels: the mean over the last dimension of
    ``-w (t log sigmoid(x) + (1 - t) log sigmoid(-x))``, then reduced over the batch."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "multilabel_soft_margin_loss")
    target = _pair_target(input, target, "multilabel_soft_margin_loss")
    if input.ndim == 0:
        raise ValueError("multilabel_soft_margin_loss: input must have a class dimension, got "
                         "a scalar")
    # log sigmoid(x) = -softplus(-x)
    loss = target * (-input).softplus() + (1.0 - target) * input.softplus()
    if weight is not None:
        loss = loss * _as_target(weight, input)
    loss = loss.sum(axis=-1) * (1.0 / input.shape[-1])
    return _reduce(loss, reduction, "multilabel_soft_margin_loss")
