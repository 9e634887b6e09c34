"""Index normalisation for ``Tensor.__getitem__``/``__setitem__``.

Tensors and lists become arrays and boolean masks become integer arrays, so that scatter-add,
which needs integer indices, is the exact adjoint of indexing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend


def normalize_index(index: Any, xp: Any, shape: tuple[int, ...] | None = None) -> tuple:
    """A tuple index with Tensors and lists turned into arrays and boolean masks into integer arrays
    (so that scatter-add, which needs integer indices, is the exact adjoint of indexing).

    With the indexed ``shape`` given, a mask whose shape differs from the dimensions it covers is
    an error (NumPy's check, which turning it into integers would lose)."""
    if not isinstance(index, tuple):
        index = (index,)
    items = [_index_item(item, xp) for item in index]
    if shape is not None and any(backend.is_array(i) and i.dtype == np.bool_ for i in items):
        _check_masks(items, shape)
    out: list[Any] = []
    for item in items:
        if backend.is_array(item):
            if item.dtype == np.bool_ and item.ndim:
                out.extend(item.nonzero())
                continue
            # a 0-d mask (x[True] adds an axis, x[False] an empty one) has no nonzero(): kept
            if item.dtype.kind not in "iub":
                raise IndexError(
                    f"tensors used as indices must be integer or bool, got {item.dtype}")
        out.append(item)
    return tuple(out)


def _index_item(item: Any, xp: Any) -> Any:
    if backend.is_array(getattr(item, "data", None)):  # a Tensor (this module cannot import it)
        return item.data
    if isinstance(item, (list, range)):
        item = xp.asarray(item)
        # x[[]] selects nothing (asarray([]) would be float64)
        return item.astype(np.int64) if item.size == 0 else item
    if isinstance(item, np.integer):
        return int(item)
    if isinstance(item, (bool, np.bool_)):  # x[True]: a 0-d mask, as torch and NumPy take it
        return xp.asarray(item)
    return item


def _check_masks(items: list, shape: tuple[int, ...]) -> None:
    def width(item: Any) -> int:
        if item is None or item is Ellipsis:
            return 0
        if backend.is_array(item) and item.dtype == np.bool_:
            return item.ndim
        return 1

    widths = [width(item) for item in items]
    pos = 0
    for k, item in enumerate(items):
        if item is Ellipsis:
            pos = len(shape) - sum(widths[k + 1:])
            continue
        if backend.is_array(item) and item.dtype == np.bool_ and item.ndim:
            covered = tuple(shape[pos:pos + item.ndim])
            if tuple(item.shape) != covered:
                raise IndexError(f"the mask of shape {tuple(item.shape)} does not match the "
                                 f"dimensions {covered} it indexes in a tensor of shape {shape}")
        pos += widths[k]
