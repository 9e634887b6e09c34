"""Helpers shared by the loss functions: torch's legacy ``size_average``/``reduce`` arguments,
element-wise losses with broadcasting, logs clamped at -100 and constant masks."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ... import backend
from ...ops.elementwise import where_const
from ...tensor import Tensor
from ._util import _REDUCTIONS, _as_target, _reduce

#: torch clamps the logs of ``binary_cross_entropy`` (and friends) at this value.
LOG_FLOOR = -100.0


def _reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """torch's ``legacy_get_string``: the deprecated ``size_average``/``reduce`` flags, when
    either is given, override ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{result}' instead.", UserWarning, stacklevel=3)
    return result


def _check_reduction(reduction: str, name: str, extra: tuple = ()) -> None:
    if reduction not in _REDUCTIONS + extra:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS + extra}, got "
                         f"{reduction!r}")


def _require_float(name: str, *tensors: Any) -> None:
    """Refuse, as torch does, a loss whose computation would be all-integer: integer logits or
    predictions (with integer targets) were truncated silently (5.0 for 5.1328)."""
    for t in tensors:  # the common case first: a float tensor, and nothing more to ask
        if isinstance(t, Tensor) and backend.is_floating(t.data.dtype):
            return
    dtypes = [t.dtype for t in tensors if isinstance(t, Tensor)]
    if dtypes and not any(backend.is_floating(d) for d in dtypes):
        got = " and ".join(dict.fromkeys(str(d) for d in dtypes))
        raise TypeError(f"{name}: expected a floating-point input, got dtype {got}; convert it "
                        "with .float() (integer inputs would be truncated)")


def _pair_target(input: Tensor, target: Any, name: str) -> Tensor:  # noqa: A002
    """The target as a Tensor broadcastable with ``input``; a different shape warns as torch
    does (it is usually a bug: ``(N, 1)`` predictions against ``(N,)`` targets)."""
    target = _as_target(target, input)
    if tuple(target.shape) != tuple(input.shape):
        try:
            np.broadcast_shapes(tuple(input.shape), tuple(target.shape))
        except ValueError:
            raise ValueError(f"{name}: input shape {tuple(input.shape)} and target shape "
                             f"{tuple(target.shape)} do not broadcast") from None
        warnings.warn(f"{name}: using a target size ({tuple(target.shape)}) that is different "
                      f"to the input size ({tuple(input.shape)}). This will likely lead to "
                      "incorrect results due to broadcasting. Please ensure they have the same "
                      "size.", stacklevel=3)
    if not backend.is_floating(target.dtype) and backend.is_floating(input.dtype):
        target = target.to(input.dtype)
    return target


def _weighted_elementwise(loss: Tensor, weight: Tensor | None, reduction: str, name: str,
                          input: Tensor) -> Tensor:  # noqa: A002
    """``mse_loss``/``l1_loss`` with torch 2.13's ``weight``: ``"mean"`` divides by the summed
    weights."""
    if weight is None:
        return _reduce(loss, reduction, name)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{name}: weight of shape {tuple(weight.shape)} must have the input's "
                         f"shape {tuple(input.shape)}")
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction, name)


def _clamped_log(x: Tensor) -> Tensor:
    """``max(log(x), -100)`` for ``x >= 0``: torch's clamped log, with no warning at ``x = 0``
    and the gradient of a clamp (0 where it clamps)."""
    mask = x.data > math.exp(LOG_FLOOR)
    if bool(mask.all()):
        return x.log()
    return where_const(mask, where_const(mask, x, 1.0).log(), LOG_FLOOR)


def _safe_xlogx(t: Tensor) -> Tensor:
    """``t * log(t)`` with ``0 log 0 = 0`` (torch's ``xlogy(t, t)``)."""
    mask = t.data > 0
    if bool(mask.all()):
        return t * t.log()
    return where_const(mask, t * where_const(mask, t, 1.0).log(), 0.0)


__all__: list[str] = []
