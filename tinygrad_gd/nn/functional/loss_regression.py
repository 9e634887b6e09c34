"""Regression and distribution losses: ``mse_loss``, ``l1_loss``, ``smooth_l1_loss``,
``huber_loss``, ``kl_div``, ``poisson_nll_loss``, ``gaussian_nll_loss`` (torch's signatures).

An input and a target of different shapes broadcast, with torch's warning (usually a bug).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ... import backend
from ...ops.elementwise import where_const
from ...tensor import Tensor
from ._loss_util import (
    _check_reduction,
    _pair_target,
    _reduction,
    _require_float,
    _safe_xlogx,
    _weighted_elementwise,
)
from ._util import _as_target, _reduce

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss",
           "gaussian_nll_loss"]


def mse_loss(input: Tensor, target: Any, size_average: bool | None = None,  # noqa: A002
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Squared error ``(input - target)^2``; with ``weight`` (the input's shape), ``"mean"``
    is ``sum(w l) / sum(w)`` as torch's.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.mse_loss(tg.tensor([1.0, 3.0]), tg.tensor([0.0, 0.0])).item()
    5.0
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "mse_loss")
    _require_float("mse_loss", input, target)
    target = _pair_target(input, target, "mse_loss")
    diff = input - target
    return _weighted_elementwise(diff * diff, weight, reduction, "mse_loss", input)


def l1_loss(input: Tensor, target: Any, size_average: bool | None = None,  # noqa: A002
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Absolute error ``|input - target|`` (``weight`` as ``mse_loss``'s)."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "l1_loss")
    target = _pair_target(input, target, "l1_loss")
    return _weighted_elementwise((input - target).abs(), weight, reduction, "l1_loss", input)


def smooth_l1_loss(input: Tensor, target: Any, size_average: bool | None = None,  # noqa: A002
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input -
    target``); ``beta = 0`` is ``l1_loss``."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    target = _pair_target(input, target, "smooth_l1_loss")
    d = input - target
    a = d.abs()
    if beta == 0:
        return _reduce(a, reduction, "smooth_l1_loss")
    inner = a.data < beta
    loss = where_const(inner, d * d * (0.5 / beta), 0.0) + where_const(~inner, a - 0.5 * beta,
                                                                        0.0)
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(input: Tensor, target: Any, reduction: str = "mean",  # noqa: A002
               delta: float = 1.0, weight: Tensor | None = None) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``: ``smooth_l1_loss``
    times ``delta`` (with ``beta = delta``). ``weight`` rescales each element (``"mean"`` is
    the plain mean, as torch's)."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    target = _pair_target(input, target, "huber_loss")
    d = input - target
    a = d.abs()
    inner = a.data < delta
    loss = where_const(inner, d * d * 0.5, 0.0) + where_const(~inner, (a - 0.5 * delta) * delta,
                                                              0.0)
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError(f"huber_loss: weight of shape {tuple(weight.shape)} must have the "
                             f"input's shape {tuple(input.shape)}")
        loss = loss * weight
    return _reduce(loss, reduction, "huber_loss")


def kl_div(input: Tensor, target: Any, size_average: bool | None = None,  # noqa: A002
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of log-probabilities ``input`` from ``target``:
    ``t (log t - input)`` element-wise (``0 log 0 = 0``), or ``exp(t) (t - input)`` with
    ``log_target``. ``"batchmean"`` divides the sum by the batch size (the true KL divergence
    per sample); ``"mean"`` divides by the element count and warns, as torch."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "kl_div", ("batchmean",))
    if reduction == "mean":
        warnings.warn("kl_div: reduction 'mean' divides the total loss by both the batch size "
                      "and the support size. 'batchmean' divides only by the batch size, and "
                      "aligns with the KL div math definition. 'mean' will be changed to behave "
                      "the same as 'batchmean' in the next major release.", stacklevel=2)
    target = _pair_target(input, target, "kl_div")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _safe_xlogx(target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction, "kl_div")


def poisson_nll_loss(input: Tensor, target: Any, log_input: bool = True,  # noqa: A002
                     full: bool = False, size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood of rate ``input`` (its log with ``log_input``):
    ``exp(x) - t x``, or ``x - t log(x + eps)``; ``full`` adds Stirling's term
    ``t log t - t + log(2 pi t) / 2`` where ``t > 1``."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "poisson_nll_loss")
    target = _pair_target(input, target, "poisson_nll_loss")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        big = target.data > 1
        safe = where_const(big, target, 1.0)
        stirling = safe * safe.log() - safe + (safe * (2 * math.pi)).log() * 0.5
        loss = loss + where_const(big, stirling, 0.0)
    return _reduce(loss, reduction, "poisson_nll_loss")


def gaussian_nll_loss(input: Tensor, target: Any, var: Tensor | float,  # noqa: A002
                      full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood ``(log var + (input - target)^2 / var) / 2`` (plus
    ``log(2 pi) / 2`` with ``full``). ``var`` has the input's shape, or one dimension fewer
    (the last), or a 1 in one dimension (shared variance), or is a float; it is clamped at
    ``eps`` with the gradient passing the clamp unchanged, as torch's."""
    _check_reduction(reduction, "gaussian_nll_loss")
    target = _as_target(target, input)
    if not isinstance(var, Tensor):
        if float(var) < 0:
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
        var = input._const(backend.xp_of(input.data).full(input.shape, float(var),
                                                         dtype=input.dtype))
    elif var.data.size and bool((var.data < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (var.ndim == input.ndim and
                  sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError(f"gaussian_nll_loss: var of shape {tuple(var.shape)} does not fit "
                             f"the input's shape {tuple(input.shape)}")
    clamped = var.data.clip(eps, None) if backend.is_floating(var.dtype) else var.data
    # torch clamps in place under no_grad: the value is clamped, the gradient passes unchanged
    var = var + (var._const(clamped) - var).detach()
    diff = input - target
    loss = (var.log() + diff * diff / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")
