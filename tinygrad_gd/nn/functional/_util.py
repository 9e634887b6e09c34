"""Helpers shared by the functional layers and losses (argument checks, reductions)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...tensor import Tensor

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


