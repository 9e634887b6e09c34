"""Margin and embedding losses over pairs and triplets: ``cosine_embedding_loss``,
``margin_ranking_loss``, ``hinge_embedding_loss``, ``soft_margin_loss``, ``triplet_margin_loss``
(torch's signatures). Targets hold 1 or -1 and may be integer or float tensors."""

from __future__ import annotations

from typing import Any

from ...ops.elementwise import where_const
from ...tensor import Tensor
from ._loss_util import _check_reduction, _pair_target, _reduction
from ._util import _as_target, _reduce

__all__ = ["cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss",
           "soft_margin_loss", "triplet_margin_loss"]

# torch's guard against a zero norm in cosine_embedding_loss
_EPSILON = 1e-12


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Any,
                          margin: float = 0.0, size_average: bool | None = None,
                          reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where
    ``target == -1``; inputs ``(N, D)`` or ``(D,)``, target ``(N,)`` or ``()``."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "cosine_embedding_loss")
    target = _as_target(target, input1)
    if input1.ndim not in (1, 2) or input1.shape != input2.shape:
        raise ValueError(f"cosine_embedding_loss: expected two inputs of one shape (N, D) or "
                         f"(D,), got {tuple(input1.shape)} and {tuple(input2.shape)}")
    if tuple(target.shape) != tuple(input1.shape[:-1]):
        raise ValueError(f"cosine_embedding_loss: inputs of shape {tuple(input1.shape)} need "
                         f"a target of shape {tuple(input1.shape[:-1])}, got "
                         f"{tuple(target.shape)}")
    prod = (input1 * input2).sum(axis=-1)
    mag1 = (input1 * input1).sum(axis=-1) + _EPSILON
    mag2 = (input2 * input2).sum(axis=-1) + _EPSILON
    cos = prod / (mag1 * mag2).sqrt()
    t = target.data
    loss = where_const(t == 1, 1.0 - cos, 0.0) + where_const(t == -1, (cos - margin).relu(), 0.0)
    return _reduce(loss, reduction, "cosine_embedding_loss")


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -target (x1 - x2) + margin)``: ``target = 1`` asks for ``x1 > x2``."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "margin_ranking_loss")
    target = _as_target(target, input1)
    if not input1.ndim == input2.ndim == target.ndim:
        raise ValueError(f"margin_ranking_loss: all inputs should have the same dimension, got "
                         f"shapes {tuple(input1.shape)}, {tuple(input2.shape)} and "
                         f"{tuple(target.shape)}")
    if not target.dtype == input1.dtype:
        target = target.to(input1.dtype)
    loss = (-target * (input1 - input2) + margin).relu()
    return _reduce(loss, reduction, "margin_ranking_loss")


def hinge_embedding_loss(input: Tensor, target: Any, margin: float = 1.0,  # noqa: A002
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``x`` where ``target == 1``, ``max(0, margin - x)`` where ``target == -1`` (``x`` is
    usually a distance)."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "hinge_embedding_loss")
    target = _pair_target(input, target, "hinge_embedding_loss")
    t = target.data
    loss = (where_const(t != 1, (margin - input).relu(), 0.0)
            + where_const(t != -1, input, 0.0))
    return _reduce(loss, reduction, "hinge_embedding_loss")


def soft_margin_loss(input: Tensor, target: Any, size_average: bool | None = None,  # noqa: A002
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-target x))``."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "soft_margin_loss")
    target = _pair_target(input, target, "soft_margin_loss")
    return _reduce((-target * input).softplus(), reduction, "soft_margin_loss")


def _distance(x1: Tensor, x2: Tensor, p: float, eps: float) -> Tensor:
    """torch's ``pairwise_distance``: ``||x1 - x2 + eps||_p`` over the last dimension."""
    return (x1 - x2 + eps).norm(p=p, dim=-1)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, d(a, p) - d(a, n) + margin)`` with ``d`` the ``p``-norm distance over the last
    dimension (``swap``: ``d(a, n)`` is replaced by ``d(p, n)`` when that is smaller)."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "triplet_margin_loss")
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1 or dims[0] not in (1, 2):
        raise ValueError(f"triplet_margin_loss: anchor, positive and negative must all be 1-D "
                         f"or all 2-D, got shapes {tuple(anchor.shape)}, "
                         f"{tuple(positive.shape)} and {tuple(negative.shape)}")
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be > 0, got {margin}")
    d_pos = _distance(anchor, positive, p, eps)
    d_neg = _distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(_distance(positive, negative, p, eps))
    loss = (d_pos - d_neg + margin).relu()
    return _reduce(loss, reduction, "triplet_margin_loss")
