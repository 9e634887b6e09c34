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
    check = shape is not None and xp is not np  # see _check_bounds
    for item in items:
        if backend.is_array(item):
            if item.dtype == np.bool_ and item.ndim:
                out.extend(item.nonzero())  # in range by construction: never checked
                continue
            # a 0-d mask (x[True] adds an axis, x[False] an empty one) has no nonzero(): kept
            if item.dtype.kind not in "iub":
                raise IndexError(
                    f"tensors used as indices must be integer or bool, got {item.dtype}")
            if check and item.dtype.kind in "iu" and not isinstance(item, np.ndarray):
                check = 2  # a device integer index: CuPy would wrap it, so it is checked
        out.append(item)
    if check == 2:
        _check_bounds(items, shape)
    return tuple(out)


def _positions(items: list, shape: tuple[int, ...]):
    """Each index item with the first dimension of ``shape`` it indexes (None and Ellipsis
    cover none; a mask covers as many as it has dimensions; anything else one)."""
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
        yield item, pos
        pos += widths[k]


def _check_bounds(items: list, shape: tuple[int, ...]) -> None:
    """Refuse out-of-range device integer indices as NumPy refuses host ones (CuPy wraps them
    around silently): one device-to-host copy of their min and max per index array."""
    for item, pos in _positions(items, shape):
        if (backend.is_array(item) and item.dtype.kind in "iu" and item.size
                and not isinstance(item, np.ndarray) and pos < len(shape)):
            lo, hi = backend.min_max(item)
            size = shape[pos]
            if lo < -size or hi >= size:
                bad = lo if lo < -size else hi
                raise IndexError(f"index {bad} is out of bounds for axis {pos} with size {size}")


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
    for item, pos in _positions(items, shape):
        if backend.is_array(item) and item.dtype == np.bool_ and item.ndim:
            covered = tuple(shape[pos:pos + item.ndim])
            if tuple(item.shape) != covered:
                raise IndexError(f"the mask of shape {tuple(item.shape)} does not match the "
                                 f"dimensions {covered} it indexes in a tensor of shape {shape}")


def _is_int_item(item: Any) -> bool:
    """A Python int or a 0-d integer array: torch applies these first, as ``select``."""
    if isinstance(item, int) and not isinstance(item, bool):
        return True
    return backend.is_array(item) and item.ndim == 0 and item.dtype.kind in "iu"


def split_int_stage(index: tuple) -> tuple[tuple, tuple] | None:
    """torch's reading of an index that mixes integers with index arrays, as two NumPy indices.

    NumPy counts an integer next to an index array as one more advanced index, so
    ``x[0, :, [1, 2]]`` moves the selected axis to the front (shape ``(2, 4)`` for a ``(3, 4, 5)``
    tensor). torch first applies the integers, as ``select``, then the rest (shape ``(4, 2)``).
    This returns ``(first, rest)`` such that ``x[first][rest]`` is torch's result, or None when
    the index has no such mix (the common case, where NumPy and torch agree).
    """
    if not any(_is_int_item(i) for i in index) or not any(
            backend.is_array(i) and i.ndim for i in index):
        return None
    first, rest = [], []
    for item in index:
        if _is_int_item(item):
            first.append(int(item))
        elif item is None:
            first.append(None)  # the new axis exists after the first step: the rest keeps it
            rest.append(slice(None))
        elif item is Ellipsis:
            first.append(Ellipsis)
            rest.append(Ellipsis)
        else:
            first.append(slice(None))
            rest.append(item)
    return tuple(first), tuple(rest)


def torch_order_index(index: tuple, shape: tuple[int, ...], xp: Any) -> tuple:
    """For assignment: an all-array index that addresses the elements of ``x[index]`` in torch's
    order (see ``split_int_stage``), so a value of torch's shape lands where torch puts it."""
    split = split_int_stage(index)
    if split is None:
        return index
    ids = xp.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)[split[0]][split[1]]
    return tuple(xp.unravel_index(ids, shape))
