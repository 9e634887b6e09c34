"""Gradient clipping, as ``torch.nn.utils.clip_grad``: ``clip_grad_norm_``, ``clip_grad_value_``,
``get_total_norm`` and ``clip_grads_with_norm_``.

All of it works outside the graph (as torch, under no_grad): each gradient Tensor keeps its
identity and gets the clipped values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ... import backend
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]

TensorOrTensors = Tensor | Iterable[Tensor]


def _tensors(tensors: TensorOrTensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _array_norm(a: Any, p: float) -> Any:
    """The ``p``-norm of all elements of the array ``a`` (a 0-d array of a's dtype)."""
    xp = backend.xp_of(a)
    if a.size == 0:
        return xp.zeros((), a.dtype)
    if p == math.inf:
        return xp.abs(a).max()
    if p == -math.inf:
        return xp.abs(a).min()
    if p == 0:
        return xp.asarray((a != 0).sum(), a.dtype)
    if p == 1:
        return xp.abs(a).sum()
    if p == 2:
        return xp.sqrt((a * a).sum())
    return (xp.abs(a) ** p).sum() ** (1.0 / p)


def get_total_norm(tensors: TensorOrTensors, norm_type: float | str = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The ``norm_type``-norm of all the tensors together (the norm of their norms): a 0-d
    Tensor, 0 when there are none. ``foreach`` is accepted and changes nothing."""
    ts = [t for t in _tensors(tensors) if t is not None]
    p = float(norm_type)
    if not ts:
        return Tensor(0.0)
    device, dtype = ts[0]._device, ts[0].dtype
    xp = backend.xp_of(ts[0].data)
    for t in ts:
        if t._device != device:
            raise RuntimeError(f"get_total_norm: tensors on {device} and {t._device}; move them "
                               "to one device first")
    norms = xp.stack([_array_norm(t.data, p).astype(dtype) for t in ts])
    total = _array_norm(norms, p)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite "
            "norm anyway, set `error_if_nonfinite=False`")
    return Tensor._make(xp.asarray(total, dtype=dtype), device)


def clip_grads_with_norm_(parameters: TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Scale the gradients in place by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    grads = [p.grad for p in _tensors(parameters) if p.grad is not None]
    if not grads:
        return
    total = total_norm.data if isinstance(total_norm, Tensor) else total_norm
    if backend.is_array(total):
        # the coefficient stays an array (minimum keeps a NaN, as torch's clamp): no value is
        # read, so there is no sync on a GPU, and tg.jit replays it with each step's norm
        coef_d = backend.xp_of(total).minimum(max_norm / (total + 1e-6), 1.0)
        for g in grads:
            g.data = g.data * coef_d.astype(g.data.dtype)
            g._version[0] += 1
        return
    coef = min(float(max_norm / (total + 1e-6)), 1.0) if not _is_nan(total) else math.nan
    for g in grads:
        # a new array, not ``*=``: a gradient's array may be a read-only broadcast view
        g.data = g.data * g.data.dtype.type(coef)
        g._version[0] += 1


def _is_nan(x: Any) -> bool:
    return bool(x != x)


def clip_grad_norm_(parameters: TensorOrTensors, max_norm: float, norm_type: float | str = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Rescale the gradients in place so that their total ``norm_type``-norm is at most
    ``max_norm``; returns the total norm before clipping (a 0-d Tensor), as torch's.

    >>> import tinygrad_gd as tg
    >>> w = tg.nn.Parameter(tg.zeros(2))
    >>> w.grad = tg.tensor([3.0, 4.0])
    >>> tg.nn.utils.clip_grad_norm_([w], max_norm=1.0).item()
    5.0
    >>> [round(g, 4) for g in w.grad.tolist()]
    [0.6, 0.8]
    """
    params = _tensors(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place."""
    c = float(clip_value)
    for p in _tensors(parameters):
        if p.grad is not None:
            xp = backend.xp_of(p.grad.data)
            p.grad.data = xp.clip(p.grad.data, -c, c).astype(p.grad.dtype, copy=False)
            p.grad._version[0] += 1
