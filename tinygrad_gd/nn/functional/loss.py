"""Losses, each with ``reduction="mean" | "sum" | "none"``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend
from ...ops.fused import CrossEntropy
from ...tensor import Tensor
from ._util import _as_target, _check_same_shape, _reduce

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "multi_margin_loss"]


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

