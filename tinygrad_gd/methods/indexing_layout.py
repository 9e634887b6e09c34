"""Matrix parts (tril, triu, diag, diagonal, diag_embed, trace) and rearranging (flip, roll,
rot90, repeat, tile, repeat_interleave), all composed of existing primitives: ``Where`` with a
constant mask, ``GetItem``/``SetItem`` with slices or aranges, ``Cat``, ``BroadcastTo``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..ops import elementwise as E
from ..ops import movement as M
from .indexing_gather import index_array, norm_dim

if TYPE_CHECKING:
    from ..tensor import Tensor


def _dims_arg(dims: tuple) -> tuple:
    """Accept ``f(0, 1)``, ``f((0, 1))``, ``f([0, 1])`` and ``f(0)``."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return tuple(dims[0])
    return tuple(dims)


def _matrix(self: Tensor, op: str) -> None:
    if self.ndim < 2:
        raise ValueError(f"{op}: needs a tensor of at least 2 dimensions, got shape {self.shape}")


# ------------------------------------------------------------------------------ matrix parts


def tril(self: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dimensions (``diagonal`` > 0 keeps more), zeros above."""
    _matrix(self, "tril")
    n, m = self.shape[-2:]
    mask = backend.xp_of(self.data).tri(n, m, k=diagonal, dtype=bool)
    return E.where_const(mask, self, 0)


def triu(self: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dimensions (``diagonal`` > 0 keeps less), zeros below."""
    _matrix(self, "triu")
    n, m = self.shape[-2:]
    mask = ~backend.xp_of(self.data).tri(n, m, k=diagonal - 1, dtype=bool)
    return E.where_const(mask, self, 0)


def _diag_positions(xp: Any, n: int, m: int, offset: int) -> tuple[Any, Any]:
    """Row and column indices of the ``offset`` diagonal of an ``n x m`` matrix."""
    length = max(0, min(n + min(offset, 0), m - max(offset, 0)))
    steps = xp.arange(length)
    return steps + max(-offset, 0), steps + max(offset, 0)


def diagonal(self: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset`` diagonal of the planes ``(dim1, dim2)``, appended as the last dimension:
    a view, as torch's (an in-place change of it changes ``self``).

    >>> import tinygrad_gd as tg
    >>> tg.tensor([[1.0, 2.0], [3.0, 4.0]]).diagonal().tolist()
    [1.0, 4.0]
    """
    _matrix(self, "diagonal")
    d1, d2 = norm_dim(dim1, self.ndim, "diagonal"), norm_dim(dim2, self.ndim, "diagonal")
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 must differ, both are {d1}")
    rest = [k for k in range(self.ndim) if k not in (d1, d2)]
    x = self.permute(*rest, d1, d2) if (d1, d2) != (self.ndim - 2, self.ndim - 1) else self
    return M.Diagonal.apply(x, offset=int(offset))


def diag_embed(self: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices in the planes ``(dim1, dim2)`` of a new tensor whose ``offset`` diagonal is the
    last dimension of ``self``, zeros elsewhere."""
    if self.ndim == 0:
        raise ValueError("diag_embed: needs a tensor of at least 1 dimension")
    nd = self.ndim + 1
    d1, d2 = norm_dim(dim1, nd, "diag_embed"), norm_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise ValueError(f"diag_embed: dim1 and dim2 must differ, both are {d1}")
    n = self.shape[-1] + abs(offset)
    xp = backend.xp_of(self.data)
    rows, cols = _diag_positions(xp, n, n, offset)
    zeros = self._const(xp.zeros(self.shape[:-1] + (n, n), dtype=self.dtype))
    out = M.SetItem.apply(zeros, self, index=(Ellipsis, rows, cols))
    batch = iter(range(nd - 2))
    perm = [nd - 2 if k == d1 else nd - 1 if k == d2 else next(batch) for k in range(nd)]
    return out if perm == list(range(nd)) else out.permute(*perm)


def diag(self: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D tensor: the square matrix with it on the ``diagonal``; a 2-D one: that diagonal."""
    if self.ndim == 1:
        return diag_embed(self, diagonal)
    if self.ndim == 2:
        return globals()["diagonal"](self, diagonal)
    raise ValueError(f"diag: needs a 1-D or 2-D tensor, got shape {self.shape}")


def diagflat(self: Tensor, offset: int = 0) -> Tensor:
    """The square matrix with the flattened tensor on the ``offset`` diagonal."""
    return diag_embed(self.reshape(-1), offset)


def trace(self: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix."""
    if self.ndim != 2:
        raise ValueError(f"trace: needs a 2-D tensor, got shape {self.shape}")
    return diagonal(self).sum()


def fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Set the main diagonal (``x[i, i, ..., i]``) to ``fill_value``, in place; ``wrap`` restarts
    it below a tall matrix every ``ncols + 1`` rows, as in torch."""
    from .indexing_gather import inplace

    if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
        raise ValueError(f"fill_diagonal_: needs a matrix, or a tensor with all dimensions of "
                         f"equal length, got shape {self.shape}")
    xp = backend.xp_of(self.data)
    n = min(self.shape)
    if self.ndim == 2 and wrap and self.shape[0] > self.shape[1] + 1:
        flat = xp.arange(0, self.numel(), self.shape[1] + 1)
        index: tuple = xp.unravel_index(flat, self.shape)
    else:
        index = (xp.arange(n),) * self.ndim
    value = self._operand(fill_value).to(self.dtype)
    return inplace(self, "fill_diagonal_", lambda x: M.SetItem.apply(x, value, index=index),
                   value)


# -------------------------------------------------------------------------------- rearranging


def _norm_dims(self: Tensor, dims: Sequence[int], op: str) -> tuple[int, ...]:
    out = tuple(norm_dim(d, self.ndim, op) for d in dims)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dims {tuple(dims)} name a dimension twice")
    return out


def flip(self: Tensor, *dims: Any) -> Tensor:
    """The elements in reverse order along ``dims`` (a copy, as in torch)."""
    ds = _norm_dims(self, _dims_arg(dims), "flip")
    if self.ndim == 0 or not ds:
        return self.clone()
    index = tuple(slice(None, None, -1) if k in ds else slice(None) for k in range(self.ndim))
    # GetItem of negative-step slices is a view of self's memory: copy it, as torch does
    return M.GetItem.apply(self, index=index).clone()


def fliplr(self: Tensor) -> Tensor:
    """``flip(1)`` of a tensor of at least 2 dimensions."""
    _matrix(self, "fliplr")
    return flip(self, 1)


def flipud(self: Tensor) -> Tensor:
    """``flip(0)`` of a tensor of at least 1 dimension."""
    if self.ndim < 1:
        raise ValueError("flipud: needs a tensor of at least 1 dimension")
    return flip(self, 0)


def roll(self: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None
         ) -> Tensor:
    """Shift the elements cyclically by ``shifts`` along ``dims`` (the flattened tensor when
    ``dims`` is None).

    >>> import tinygrad_gd as tg
    >>> tg.tensor([1, 2, 3, 4]).roll(1).tolist()
    [4, 1, 2, 3]
    """
    shifts_t = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:
        if len(shifts_t) != 1:
            raise ValueError(f"roll: without dims, shifts must be one int, got {shifts!r}")
        return roll(self.reshape(-1), shifts_t[0], 0).reshape(self.shape)
    dims_t = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(dims_t) != len(shifts_t):
        raise ValueError(f"roll: {len(shifts_t)} shifts for {len(dims_t)} dims")
    out = self
    for shift, dim in zip(shifts_t, dims_t):
        d = norm_dim(dim, self.ndim, "roll")
        n = out.shape[d] if out.ndim else 1
        s = int(shift) % n if n else 0
        if s and out.ndim:
            lead = (slice(None),) * d
            head = M.GetItem.apply(out, index=lead + (slice(n - s, None),))
            tail = M.GetItem.apply(out, index=lead + (slice(0, n - s),))
            out = M.Cat.apply(head, tail, axis=d)
    return out.clone() if out is self else out


def rot90(self: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by ``k`` quarter turns in the plane ``dims``, from the first axis towards the
    second."""
    if len(dims) != 2:
        raise ValueError(f"rot90: dims must name two dimensions, got {tuple(dims)}")
    _matrix(self, "rot90")
    d0, d1 = _norm_dims(self, dims, "rot90")
    k %= 4
    if k == 0:
        return self.clone()
    if k == 2:
        return flip(self, d0, d1)
    return flip(self, d1 if k == 1 else d0).transpose(d0, d1)


def repeat(self: Tensor, *sizes: Any) -> Tensor:
    """torch's ``repeat``: tile the tensor ``sizes[i]`` times along each dimension (extra
    leading sizes add dimensions).

    >>> import tinygrad_gd as tg
    >>> tg.tensor([1, 2]).repeat(2, 2).tolist()
    [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    reps = tuple(int(r) for r in _dims_arg(sizes))
    if len(reps) < self.ndim:
        raise ValueError(f"repeat: {len(reps)} sizes for a tensor of {self.ndim} dimensions "
                         "(give at least one per dimension)")
    if any(r < 0 for r in reps):
        raise ValueError(f"repeat: sizes must be non-negative, got {reps}")
    shape = (1,) * (len(reps) - self.ndim) + self.shape
    if all(r == 1 for r in reps):
        return self.clone().reshape(shape)
    pairs = self.reshape(tuple(v for s in shape for v in (1, s)))
    tiled = pairs.broadcast_to(tuple(v for r, s in zip(reps, shape) for v in (r, s)))
    return tiled.reshape(tuple(r * s for r, s in zip(reps, shape)))


def tile(self: Tensor, *dims: Any) -> Tensor:
    """``repeat``, with missing leading sizes taken as 1."""
    reps = _dims_arg(dims)
    return repeat(self, (1,) * (self.ndim - len(reps)) + tuple(reps))


def repeat_interleave(self: Tensor, repeats: Any, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element (each slice along ``dim``; the flattened tensor when None)
    ``repeats`` times: an int, or a tensor of one count per element."""
    from ..tensor import Tensor

    x = self.reshape(-1) if dim is None else self
    d = 0 if dim is None else norm_dim(dim, self.ndim, "repeat_interleave")
    if x.ndim == 0:
        x = x.reshape(1)
    n = x.shape[d]
    xp = backend.xp_of(self.data)
    if isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
        counts: Any = int(repeats)
        if counts < 0:
            raise ValueError(f"repeat_interleave: repeats must be non-negative, got {counts}")
    else:
        counts = index_array(self, repeats, "repeat_interleave", "repeats").reshape(-1)
        if counts.size == 1:
            counts = int(counts[0])
        elif counts.size != n:
            raise ValueError(f"repeat_interleave: {counts.size} repeats for {n} elements along "
                             f"dim {d}")
        elif counts.size and int(counts.min()) < 0:
            raise ValueError("repeat_interleave: repeats must be non-negative")
    index = xp.repeat(xp.arange(n), counts)
    if output_size is not None and output_size != index.size:
        raise ValueError(f"repeat_interleave: output_size {output_size} but the repeats give "
                         f"{index.size}")
    assert isinstance(x, Tensor)
    return M.GetItem.apply(x, index=(slice(None),) * d + (index,))
