"""In-place operations of ``Tensor`` (``add_``, ``copy_``, ``fill_``, ``+=`` ...).

They always write the memory, so every view sees the values. While recording, the graph is
rewritten too (``_rebase``): the tensor gets the node of the out-of-place result, and a view's
base a node that scatters the view's new graph into it (``autograd/views.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..autograd import _GradMode
from ..autograd import views as _views
from ..autograd.forward_ad import _ForwardMode, tangent_of
from ..ops import movement as M

if TYPE_CHECKING:
    from ..tensor import Tensor

_INPLACE_UFUNCS = {"add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide"}


class InplaceMethods:
    """Mixin of ``Tensor``: the in-place operations and the machinery they share."""

    __slots__ = ()

    def _current(self) -> Tensor:
        """``self``, its node rebuilt first if it is a view whose base changed in place."""
        if self._view is not None and self._view.version != self._version[0]:
            _views.refresh(self)
        return self

    def __deepcopy__(self, memo: dict) -> Tensor:
        # a view is copied as a view of its base's copy: a base/view pair stays a pair
        return _views.deepcopy(self, memo)

    def _check_inplace(self, other: Tensor | None = None) -> bool:
        """Raise for in-place changes autograd cannot allow; say whether the graph is involved."""
        _views.check_inplace(self)  # expand-like overlap, views of leaves, stale view nodes
        recording = _GradMode.enabled and (
            self.requires_grad or (other is not None and other.requires_grad))
        if not recording and _ForwardMode.level is not None:  # dual tensors: keep tangents right
            recording = tangent_of(self) is not None or tangent_of(other) is not None
        if recording and self.requires_grad and self._ctx is None:
            raise RuntimeError(
                f"a leaf tensor {self.shape} that requires grad is used in an in-place operation; "
                "do it under `with tg.no_grad():` (as optimizers do)")
        return recording

    def _rebase(self, new: Tensor) -> Tensor:
        """Make ``self`` the result ``new`` of an out-of-place op (in-place ops inside a graph)."""
        # The memory is written (every view sees the values) and the graph rewritten: a view's
        # base gets a node that scatters the view's new graph into it (autograd/views.py).
        _views.write(self, new)
        self._fw = getattr(new, "_fw", None)  # forward-mode AD: the new tangent
        return self

    def _snapshot(self, copy: bool = True) -> Tensor:
        """A second handle on the current value and graph node, with its own version counter
        (and a copy of the values, which the op computing the new value may save, unless
        ``copy=False``: the memory is overwritten with the result)."""
        old = self._make(self.data.copy() if copy else self.data, self._device,
                           self.requires_grad)
        old._ctx = self._ctx
        old._fw = getattr(self, "_fw", None)
        return old

    def _inplace(self, name: str, other: Any) -> Tensor:
        other = self._operand(other)
        if self._check_inplace(other):
            op = {"add": type(self).__add__, "sub": type(self).__sub__,
                  "mul": type(self).__mul__, "div": type(self).__truediv__}[name]
            new = op(self._snapshot(), other)
            # as outside a graph: an in-place op keeps the shape, and casts only within a kind
            if new.shape != self.shape or not np.can_cast(new.dtype, self.dtype, "same_kind"):
                raise ValueError(f"in-place {name}_ of {self.shape} {self.dtype} with "
                                 f"{other.shape} {other.dtype}: the result would be "
                                 f"{new.shape} {new.dtype}")
            return self._rebase(new)
        if other._device != self._device:
            raise RuntimeError(f"in-place {name}_: tensors on {self._device} and {other._device}")
        xp = backend.xp_of(self.data)
        try:
            getattr(xp, _INPLACE_UFUNCS[name])(self.data, other.data, out=self.data)
        except (TypeError, ValueError) as exc:  # casting or broadcasting into self's shape/dtype
            raise ValueError(f"in-place {name}_ of {self.shape} {self.dtype} with "
                             f"{other.shape} {other.dtype}: {exc}") from None
        self._version[0] += 1
        return self

    def add_(self, other: Any, *, alpha: float = 1.0) -> Tensor:
        """``self += alpha * other``, in place."""
        return self._inplace("add", other if alpha == 1.0 else self._operand(other) * alpha)

    def sub_(self, other: Any, *, alpha: float = 1.0) -> Tensor:
        """``self -= alpha * other``, in place."""
        return self._inplace("sub", other if alpha == 1.0 else self._operand(other) * alpha)

    def mul_(self, other: Any) -> Tensor:
        """``self *= other``, in place."""
        return self._inplace("mul", other)

    def div_(self, other: Any) -> Tensor:
        """``self /= other``, in place."""
        return self._inplace("div", other)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def copy_(self, src: Any) -> Tensor:
        """Overwrite the values with ``src`` (broadcast), in place."""
        src = self._operand(src)
        if self._check_inplace(src):
            # a full-slice assignment: the old value gets a zero gradient (never 0 * inf = nan)
            return self._rebase(M.SetItem.apply(self._snapshot(False), src.to(self.dtype),
                                                index=(Ellipsis,)))
        self.data[...] = backend.to_device(src.data, self._device)
        self._version[0] += 1
        return self

    def fill_(self, value: float) -> Tensor:
        """Set every element to ``value``, in place."""
        if self._check_inplace():
            # recorded like copy_: the old value gets a zero gradient (not the old node's)
            return self.copy_(value)
        self.data.fill(value)
        self._version[0] += 1
        return self

    def zero_(self) -> Tensor:
        """Set every element to 0, in place."""
        return self.fill_(0)
