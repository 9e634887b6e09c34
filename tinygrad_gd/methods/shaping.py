"""Shape and view methods (expand_as, movedim, unflatten, narrow, unbind, unfold, ...) and the
stacking functions (``tg.hstack``, ``tg.vstack``, ``tg.atleast_2d``, ...).

Every one is a composition of reshape, permute, indexing and cat, so each is differentiable to
any order with no primitive of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["t", "movedim", "moveaxis", "swapaxes", "swapdims", "narrow", "unbind", "unflatten",
           "ravel", "hstack", "vstack", "row_stack", "dstack", "column_stack", "atleast_1d",
           "atleast_2d", "atleast_3d", "adjoint"]


def _dim(name: str, d: int, ndim: int) -> int:
    """``d`` in ``[0, ndim)``; torch's range check (a 0-d tensor takes 0 and -1)."""
    n = max(ndim, 1)
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not -n <= d < n:
        raise IndexError(f"{name}: dim {d!r} out of range for a tensor of {ndim} dimensions "
                         f"(expected in [{-n}, {n - 1}])")
    return int(d) % n


def _dims(name: str, dims: Any, ndim: int) -> list[int]:
    dims = [dims] if isinstance(dims, (int, np.integer)) else list(dims)
    out = [_dim(name, d, ndim) for d in dims]
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: repeated dim in {dims}")
    return out


class ShapingMethods:
    """Mixin of ``Tensor``: shape and view methods."""

    __slots__ = ()

    def expand_as(self, other: Tensor) -> Tensor:
        """``self.expand(other.shape)``."""
        return self.expand(other.shape)

    def view_as(self, other: Tensor) -> Tensor:
        """``self.view(other.shape)``."""
        return self.reshape(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        """``self.reshape(other.shape)``."""
        return self.reshape(other.shape)

    def ravel(self) -> Tensor:
        """The elements as a 1-D tensor."""
        return self.reshape(-1)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        """Split dimension ``dim`` into ``sizes`` (one of them may be -1).

        >>> import tinygrad_gd as tg
        >>> tg.zeros(2, 12).unflatten(1, (3, -1)).shape
        (2, 3, 4)
        """
        d = _dim("unflatten", dim, self.ndim)
        sizes = tuple(int(s) for s in sizes)
        if not sizes:
            raise ValueError("unflatten: sizes must be non-empty")
        known = int(np.prod([s for s in sizes if s != -1], dtype=np.int64))
        if sizes.count(-1) > 1 or (-1 not in sizes and known != self.shape[d]) or (
                -1 in sizes and (known == 0 or self.shape[d] % known)):
            raise ValueError(f"unflatten: sizes {sizes} do not multiply to dimension {dim}'s "
                             f"size {self.shape[d]}")
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1:])

    def movedim(self, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
        """Move dimension(s) ``source`` to position(s) ``destination``, keeping the order of the
        others (``np.moveaxis``).

        >>> import tinygrad_gd as tg
        >>> tg.zeros(2, 3, 4).movedim(0, -1).shape
        (3, 4, 2)
        """
        src = _dims("movedim", source, self.ndim)
        dst = _dims("movedim", destination, self.ndim)
        if len(src) != len(dst):
            raise ValueError(f"movedim: source {source} and destination {destination} differ "
                             "in length")
        order = [d for d in range(self.ndim) if d not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        if order == list(range(self.ndim)):
            return self
        return self.permute(order)

    moveaxis = movedim

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """Swap two dimensions (``transpose``)."""
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """Elements ``start .. start+length-1`` of dimension ``dim`` (start may be negative)."""
        d = _dim("narrow", dim, self.ndim)
        if self.ndim == 0:
            raise IndexError("narrow: cannot narrow a 0-d tensor")
        n = self.shape[d]
        start = int(start)
        if not -n <= start <= n:
            raise IndexError(f"narrow: start {start} out of range for dimension {dim} of size {n}")
        start = start + n if start < 0 else start
        if length < 0 or start + length > n:
            raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dimension "
                             f"{dim}'s size ({n})")
        return self[(slice(None),) * d + (slice(start, start + int(length)),)]

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along ``dim``, as a tuple of tensors with that dimension removed."""
        if self.ndim == 0:
            raise IndexError("unbind: cannot unbind a 0-d tensor")
        d = _dim("unbind", dim, self.ndim)
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.shape[d]))

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """Sliding windows of ``size`` elements every ``step`` along ``dimension``; the windows'
        elements become a new last dimension (``Tensor.unfold``), differentiable.

        >>> import tinygrad_gd as tg
        >>> tg.arange(5).unfold(0, 2, 2).tolist()
        [[0, 1], [2, 3]]
        """
        d = _dim("unfold", dimension, self.ndim)
        n = self.shape[d] if self.ndim else 1
        if size < 0 or size > n:
            raise ValueError(f"unfold: size {size} must be in [0, {n}] (dimension {dimension}'s "
                             "size)")
        if step <= 0:
            raise ValueError(f"unfold: step must be positive, got {step}")
        if self.ndim == 0:  # one element: the window is it (size 1) or empty (size 0)
            return self.reshape(1)[:size]
        count = (n - size) // step + 1
        index = np.arange(count)[:, None] * step + np.arange(size)[None, :]
        if self.xp is not np:
            index = self.xp.asarray(index)
        out = self[(slice(None),) * d + (index,)]  # windows at d, their elements at d + 1
        return out.movedim(d + 1, -1)

    def t(self) -> Tensor:
        """Transpose a tensor of at most 2 dimensions (0-d and 1-d come back as they are)."""
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with <= 2 dimensions, got {self.ndim} "
                             "(use transpose or mT)")
        return self if self.ndim < 2 else self.transpose(0, 1)

    @property
    def mT(self) -> Tensor:  # noqa: N802 - torch's name
        """The last two dimensions swapped (batches of matrices)."""
        if self.ndim < 2:
            raise ValueError(f"mT needs a matrix or a batch of matrices, got {self.ndim}-D")
        return self.transpose(-2, -1)

    mH = mT  # noqa: N815 - real tensors: the conjugate transpose is the transpose

    @property
    def H(self) -> Tensor:  # noqa: N802 - torch's name
        """The conjugate transpose of a matrix (the transpose: tensors here are real)."""
        if self.ndim not in (0, 2):
            raise ValueError(f"H needs a matrix (or a 0-d tensor), got {self.ndim}-D; use mH "
                             "for batches")
        return self.t()

    def adjoint(self) -> Tensor:
        """The conjugate transpose of the last two dimensions (``mH``)."""
        return self.mT


# ----------------------------------------------------------------------------- functions
def _tensor(x: Any) -> Tensor:
    from ..tensor import Tensor

    return x if isinstance(x, Tensor) else Tensor(x)


def _method(name: str, doc: str):
    def f(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return getattr(_tensor(input), name)(*args, **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


t = _method("t", "Transpose a tensor of at most 2 dimensions.")
movedim = _method("movedim", "Move dimensions to new positions.")
moveaxis = _method("movedim", "Move dimensions to new positions (``movedim``).")
swapaxes = _method("swapaxes", "Swap two dimensions.")
swapdims = _method("swapaxes", "Swap two dimensions.")
narrow = _method("narrow", "A slice of ``length`` elements along ``dim``.")
unbind = _method("unbind", "The slices along ``dim``, as a tuple.")
unflatten = _method("unflatten", "Split a dimension into several.")
ravel = _method("ravel", "The elements as a 1-D tensor.")
adjoint = _method("adjoint", "The conjugate transpose of the last two dimensions.")


def _seq(name: str, tensors: Any) -> list:
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise ValueError(f"{name}: expected a non-empty list or tuple of tensors")
    return [_tensor(x) for x in tensors]


def _atleast(n: int, tensors: tuple) -> Any:
    single = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    items = tensors if not (len(tensors) == 1 and isinstance(tensors[0], (list, tuple))) \
        else tensors[0]
    out = []
    for x in items:
        x = _tensor(x)
        if x.ndim < n:
            if n == 3 and x.ndim == 2:
                x = x.unsqueeze(-1)
            elif n == 3 and x.ndim == 1:
                x = x.reshape(1, -1, 1)
            else:
                x = x.reshape((1,) * (n - max(x.ndim, 1)) + (x.shape or (1,)))
        out.append(x)
    return out[0] if single else tuple(out)


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 dimension (a tensor for one input, else a tuple)."""
    return _atleast(1, tensors)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 dimensions (1-D (n,) becomes (1, n))."""
    return _atleast(2, tensors)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 dimensions ((n,) -> (1, n, 1), (m, n) -> (m, n, 1))."""
    return _atleast(3, tensors)


def hstack(tensors: Sequence[Any]) -> Tensor:
    """Concatenate along dimension 1 (dimension 0 for 1-D tensors).

    >>> import tinygrad_gd as tg
    >>> tg.hstack([tg.zeros(2, 1), tg.ones(2, 2)]).shape
    (2, 3)
    """
    from ..functions import cat

    ts = atleast_1d(_seq("hstack", tensors))
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Any]) -> Tensor:
    """Concatenate along dimension 0, 1-D tensors as rows."""
    from ..functions import cat

    return cat(atleast_2d(_seq("vstack", tensors)), 0)


row_stack = vstack


def dstack(tensors: Sequence[Any]) -> Tensor:
    """Concatenate along dimension 2, after ``atleast_3d``."""
    from ..functions import cat

    return cat(atleast_3d(_seq("dstack", tensors)), 2)


def column_stack(tensors: Sequence[Any]) -> Tensor:
    """1-D tensors (and 0-d) as columns, 2-D as they are, concatenated along dimension 1."""
    from ..functions import cat

    ts = [x.reshape(-1, 1) if x.ndim <= 1 else x for x in _seq("column_stack", tensors)]
    return cat(ts, 1)
