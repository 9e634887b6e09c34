"""Comparisons, ``any``/``all`` and ``argmax``/``argmin`` of ``Tensor`` (no gradient flows
through any of them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..ops import reduce as R

if TYPE_CHECKING:
    from ..tensor import Tensor


def _array(x: Any) -> Any:
    """NumPy returns scalars from whole-array results; a Tensor holds 0-d arrays."""
    return np.asarray(x) if isinstance(x, np.generic) else x


class ComparisonMethods:
    """Mixin of ``Tensor``: ``== != < <= > >=``, ``any``, ``all``, ``argmax``, ``argmin``."""

    __slots__ = ()

    def _compare(self, other: Any, op: str) -> Tensor:
        other = self._operand(other)
        if other._device != self._device:
            raise RuntimeError(f"comparison of tensors on {self._device} and {other._device}")
        return self._make(_array(getattr(self.data, op)(other.data)), self._device)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        if other is None or isinstance(other, str):  # `t == None` is False, as in torch
            return NotImplemented
        return self._compare(other, "__eq__")

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        if other is None or isinstance(other, str):
            return NotImplemented
        return self._compare(other, "__ne__")

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, "__lt__")

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, "__le__")

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, "__gt__")

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, "__ge__")

    def any(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        """True where any element (over ``axis``; all when None) is nonzero; no gradient."""
        axes, keep = R._reduce_args(self, axis, keepdims, dim, keepdim)
        return self._make(_array(self.data.any(axis=axes, keepdims=keep)), self._device)

    def all(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        """True where every element (over ``axis``; all when None) is nonzero; no gradient."""
        axes, keep = R._reduce_args(self, axis, keepdims, dim, keepdim)
        return self._make(_array(self.data.all(axis=axes, keepdims=keep)), self._device)

    def argmax(self, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
               keepdim: bool | None = None) -> Tensor:
        """Index of the largest element (flattened when ``axis`` is None); no gradient."""
        return self._arg("argmax", axis, keepdims, dim, keepdim)

    def argmin(self, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
               keepdim: bool | None = None) -> Tensor:
        """Index of the smallest element (flattened when ``axis`` is None); no gradient."""
        return self._arg("argmin", axis, keepdims, dim, keepdim)

    def _arg(self, name: str, axis, keepdims, dim, keepdim) -> Tensor:
        axis = dim if dim is not None else axis
        keep = keepdim if keepdim is not None else keepdims
        if self.dtype == np.bool_:
            raise TypeError(f"{name}(): does not support bool input (as torch); convert with "
                            ".int() first")
        nd = max(self.ndim, 1)  # a 0-d tensor has one dimension here, as in torch
        if axis is not None:
            if not isinstance(axis, (int, np.integer)) or not -nd <= axis < nd:
                raise IndexError(f"{name}(): dim {axis!r} is out of range for a tensor with "
                                 f"{self.ndim} dimensions (expected an int in [{-nd}, {nd - 1}])")
            if self.ndim and self.shape[axis] == 0:
                raise IndexError(f"{name}(): dim {axis} of shape {tuple(self.shape)} has size 0")
        elif self.data.size == 0:
            raise ValueError(f"{name}(): the tensor of shape {tuple(self.shape)} is empty; "
                             "give a dim of non-zero size")
        if self.ndim == 0:  # torch: index 0, a 0-d result with or without keepdim
            return self._const(backend.xp_of(self.data).zeros((), dtype=np.int64))
        out = getattr(self.data, name)(axis=axis, keepdims=keep)
        return self._make(_array(out.astype(np.int64, copy=False)), self._device)
