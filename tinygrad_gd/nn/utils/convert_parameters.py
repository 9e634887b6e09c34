"""``parameters_to_vector`` and ``vector_to_parameters``, as
``torch.nn.utils.convert_parameters``."""

from __future__ import annotations

from collections.abc import Iterable

from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _same_device(params: list[Tensor], what: str) -> None:
    for p in params[1:]:
        if p._device != params[0]._device:
            raise TypeError(f"{what}: found two parameters on different devices, "
                            f"{params[0]._device} and {p._device}")


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D Tensor (differentiable).

    >>> import tinygrad_gd as tg
    >>> lin = tg.nn.Linear(3, 2)
    >>> tg.nn.utils.parameters_to_vector(lin.parameters()).shape
    (8,)
    """
    from ...functions import cat

    params = list(parameters)
    _same_device(params, "parameters_to_vector")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Give each parameter its slice of the 1-D ``vec`` (the inverse of
    ``parameters_to_vector``); the parameters then share ``vec``'s memory, as in torch."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected a Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    _same_device(params, "vector_to_parameters")
    needed = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != needed:
        raise ValueError(f"vector_to_parameters: vec has shape {tuple(vec.shape)}, the "
                         f"parameters need a 1-D tensor of {needed} elements")
    pointer = 0
    for p in params:
        n = p.numel()
        p.data = vec.data[pointer:pointer + n].reshape(p.shape).astype(p.dtype, copy=False)
        p._version[0] += 1
        pointer += n
