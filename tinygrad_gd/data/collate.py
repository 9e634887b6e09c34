"""``default_collate``: a list of samples into one batch, as torch's."""

from __future__ import annotations

import collections.abc
import numbers
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor

__all__ = ["default_collate", "default_convert"]


def default_collate(batch: list) -> Any:
    """Stack a list of samples: Tensors and NumPy arrays into a Tensor with a new first
    dimension (arrays keep their dtype), Python floats into float64, ints into int64, bools
    into bool; tuples, lists, namedtuples and dicts are collated field by field (tuples give
    lists, as torch); strings are left as a list.

    >>> import tinygrad_gd as tg
    >>> x, y = default_collate([(tg.tensor([1.0, 2.0]), 0), (tg.tensor([3.0, 4.0]), 1)])
    >>> x.shape, y
    ((2, 2), tensor([0, 1]))
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(t.shape != elem.shape for t in batch):
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, "
                               f"got {sorted({t.shape for t in batch})}")
        if any(t.requires_grad for t in batch):  # keep the graph, as torch.stack does
            from ..functions import stack

            return stack(batch)
        xp = backend.xp_of(elem.data)
        return Tensor._make(xp.stack([backend.to_device(t.data, elem._device) for t in batch]),
                            elem._device)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "USO":
            raise TypeError(f"default_collate: cannot stack NumPy arrays of dtype {elem.dtype}")
        if any(np.shape(a) != elem.shape for a in batch):
            raise RuntimeError(f"default_collate: stack expects each array to be equal size, "
                               f"got {sorted({np.shape(a) for a in batch})}")
        return Tensor(np.stack(batch))
    if isinstance(elem, np.generic) and elem.dtype.kind in "biuf":
        return Tensor(np.asarray(batch, dtype=elem.dtype))
    if isinstance(elem, bool):
        return Tensor(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return Tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, numbers.Integral):
        return Tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(s) != len(elem) for s in batch):
            raise RuntimeError("default_collate: each element in the list of a batch should be "
                               "of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain Tensors, NumPy arrays, numbers, "
                    f"dicts or lists; found {type(elem).__name__}")


def default_convert(data: Any) -> Any:
    """One sample's NumPy arrays as Tensors (what a loader with ``batch_size=None`` does in
    torch), through tuples, lists and dicts."""
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return Tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return [default_convert(d) for d in data]
    return data
