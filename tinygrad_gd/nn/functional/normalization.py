"""Normalisation: ``batch_norm``, ``layer_norm``, ``group_norm``, ``instance_norm`` and
``normalize``, composed of differentiable Tensor operations (so they differentiate to any order).
Running statistics are updated in place, without gradient, as torch does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...autograd import no_grad
from ...tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "normalize"]


def _affine(out: Tensor, weight: Tensor | None, bias: Tensor | None, shape: tuple) -> Tensor:
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _standardize(x: Tensor, axes: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """``(x - mean) / sqrt(var + eps)`` over ``axes`` (biased variance), the mean and variance."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    return centered * (var + eps) ** -0.5, mean, var


def _update_running(running: Tensor, batch: Tensor, momentum: float | Tensor) -> None:
    running.mul_(1.0 - momentum).add_(batch.detach() * momentum)


def batch_norm(input: Tensor, running_mean: Tensor | None,  # noqa: A002
               running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float | None = 0.1,
               eps: float = 1e-5, num_batches_tracked: Tensor | None = None) -> Tensor:
    """Normalise each feature (dimension 1) over the batch and spatial dimensions.

    Training: batch statistics (biased variance) normalise, and the running statistics, when
    given, are updated in place as torch does: ``running = (1 - momentum) * running + momentum *
    batch`` with the unbiased batch variance (``momentum=None``: cumulative average, which needs
    ``num_batches_tracked``, an extra keyword here). Evaluation: the running statistics normalise.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> out = F.batch_norm(tg.tensor([[1.0], [3.0]]), None, None, training=True)
    >>> [round(v, 3) for v in out.flatten().tolist()]
    [-1.0, 1.0]
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input (N, C, ...), got {tuple(input.shape)}")
    c = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, c) + (1,) * (input.ndim - 2)
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise ValueError(f"batch_norm: {name} has {t.numel()} elements, expected {c} "
                             f"(the input's dimension 1, shape {tuple(input.shape)})")
    if training:
        count = input.numel() // c
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per feature when "
                             f"training, got input of shape {tuple(input.shape)}")
        out, mean, var = _standardize(input, axes, eps)
        if running_mean is not None and running_var is not None:
            with no_grad():
                m = momentum
                if num_batches_tracked is not None:
                    num_batches_tracked.add_(1)
                if m is None:
                    if num_batches_tracked is None:
                        raise ValueError("batch_norm: momentum=None needs num_batches_tracked")
                    # a 0-d tensor, not a float read from it: the count changes with every
                    # step, and tg.jit would have to refuse a step that read it
                    m = 1.0 / num_batches_tracked.to(running_mean.dtype)
                _update_running(running_mean, mean.reshape(-1), m)
                _update_running(running_var, var.reshape(-1) * (count / (count - 1)), m)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
        out = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps) ** -0.5
    return _affine(out, weight, bias, shape)


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dimensions (biased variance), then
    scale by ``weight`` and shift by ``bias`` (both of ``normalized_shape``).

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> [round(v, 3) for v in F.layer_norm(tg.tensor([1.0, 3.0]), (2,)).tolist()]
    [-1.0, 1.0]
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the trailing "
                         f"dimensions of the input {tuple(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"layer_norm: {name} of shape {tuple(t.shape)}, expected {shape}")
    out, _, _ = _standardize(input, tuple(range(input.ndim - k, input.ndim)), eps)
    return _affine(out, weight, bias, shape)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each group of ``C / num_groups`` channels of ``input (N, C, ...)`` over its
    channels and spatial positions, then apply the per-channel ``weight`` and ``bias``."""
    if input.ndim < 2:
        raise ValueError(f"group_norm: expected input (N, C, ...), got {tuple(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if num_groups < 1 or c % num_groups:
        raise ValueError(f"group_norm: {c} channels are not divisible into {num_groups} groups")
    grouped = input.reshape(n, num_groups, -1)
    out, _, _ = _standardize(grouped, (2,), eps)
    shape = (1, c) + (1,) * (input.ndim - 2)
    return _affine(out.reshape(input.shape), weight, bias, shape)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,  # noqa: A002
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample of ``input (N, C, ...)`` over its spatial positions.
    With running statistics given and ``use_input_stats``, they are updated with the batch mean
    of the per-instance statistics (unbiased variance); ``use_input_stats=False`` normalises
    by them instead."""
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected input (N, C, ...) with spatial dimensions, "
                         f"got {tuple(input.shape)}")
    c = input.shape[1]
    shape = (1, c) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running statistics")
        out = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps) ** -0.5
        return _affine(out, weight, bias, shape)
    axes = tuple(range(2, input.ndim))
    count = input.numel() // (input.shape[0] * c)
    if count <= 1:
        raise ValueError(f"instance_norm: expected more than 1 spatial element per channel, got "
                         f"input of shape {tuple(input.shape)}")
    out, mean, var = _standardize(input, axes, eps)
    with no_grad():
        if running_mean is not None:
            _update_running(running_mean, mean.mean(axis=0).reshape(-1), momentum)
        if running_var is not None:
            unbiased = var.mean(axis=0).reshape(-1) * (count / (count - 1))
            _update_running(running_var, unbiased, momentum)
    return _affine(out, weight, bias, shape)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,  # noqa: A002
              out: Any = None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.nn import functional as F
    >>> F.normalize(tg.tensor([[3.0, 4.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported; use the returned tensor")
    dims: Sequence[int] | int = dim
    return input / input.norm(p=p, axis=dims, keepdims=True).clamp(min=eps)
