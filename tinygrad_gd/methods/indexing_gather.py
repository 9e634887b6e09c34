"""Gathering and scattering along a dimension, the ``index_*`` ops, masks, flat takes and puts.

No new primitive is needed: ``gather`` is ``GetItem`` with a full advanced index (the index
tensor along ``dim``, aranges along the other dimensions), and its adjoint, scatter-add, is
``IndexAdd`` with the same index; each is the other's gradient, so derivatives of every order
work. Overwriting scatters are ``SetItem`` (zero gradient where a value was overwritten).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..ops import elementwise as E
from ..ops import movement as M

if TYPE_CHECKING:
    from ..tensor import Tensor

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


# ------------------------------------------------------------------------------------ checks


def norm_dim(dim: Any, ndim: int, op: str) -> int:
    """``dim`` in ``0..ndim-1`` (a 0-d tensor takes dim 0 or -1, as in torch)."""
    n = max(ndim, 1)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of {ndim} dimensions "
                         f"(expected {-n}..{n - 1})")
    return int(dim) % n


def index_array(x: Tensor, index: Any, op: str, name: str = "index") -> Any:
    """``index`` as an integer array on ``x``'s device; a float or bool index is a TypeError."""
    from ..tensor import Tensor

    if isinstance(index, Tensor):
        arr = index.data
    elif backend.is_array(index):
        arr = index
    elif isinstance(index, (list, tuple, range, int, np.integer)) and not isinstance(index, bool):
        arr = np.asarray(index)
        if arr.size == 0:  # [] is float64 to NumPy
            arr = arr.astype(np.int64)
    else:
        raise TypeError(f"{op}: {name} must be an integer tensor, got {type(index).__name__}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must be an integer tensor (int64 or int32), got dtype "
                        f"{arr.dtype}")
    return backend.to_device(arr, x.device)


def in_range(arr: Any, size: int, op: str, dim: int, negative: bool = False) -> Any:
    """Refuse indices outside ``0..size-1`` (``-size..size-1`` with ``negative``, wrapped then:
    only where torch wraps them, as in ``take``)."""
    if arr.size == 0:
        return arr
    low = -size if negative else 0
    if backend.outside(arr, low, size):
        lo, hi = backend.min_max(arr)
        bad = lo if lo < low else hi
        hint = " (negative indices are not accepted here)" if bad < 0 and not negative else ""
        raise IndexError(f"{op}: index {bad} is out of range for dimension {dim} of size "
                         f"{size}{hint}")
    if negative and arr.dtype.kind == "i":
        arr = backend.xp_of(arr).where(arr < 0, arr + size, arr)
    return arr


def _check_fits(small: tuple, big: tuple, skip: int | None, op: str, what: str) -> None:
    if len(small) != len(big):
        raise ValueError(f"{op}: the index has {len(small)} dimensions and {what} {len(big)}; "
                         "they must match")
    for k, (s, b) in enumerate(zip(small, big)):
        if k != skip and s > b:
            raise ValueError(f"{op}: the index of shape {small} is larger than {what} of shape "
                             f"{big} in dimension {k}")


def _same_dtype(x: Tensor, src: Tensor, op: str) -> None:
    if src.dtype != x.dtype:
        raise TypeError(f"{op}: the source has dtype {src.dtype} and self {x.dtype}; they must "
                        "be the same (cast one with .to())")


def along(index: Any, dim: int) -> tuple:
    """The full advanced index that picks ``out[i][j][k] = x[i][index[i][j][k]][k]`` (dim 1)."""
    xp = backend.xp_of(index)
    n = index.ndim
    return tuple(index if d == dim else
                 xp.arange(s).reshape(tuple(s if k == d else 1 for k in range(n)))
                 for d, s in enumerate(index.shape))


def _prefix(src: Tensor, shape: tuple) -> Tensor:
    """The leading ``shape`` block of ``src`` (torch reads only that much of a scatter's src)."""
    if src.shape == shape:
        return src
    return M.GetItem.apply(src, index=tuple(slice(0, s) for s in shape))


def _on_0d(self: Tensor, fn: Callable, index: Any, src: Any) -> Tensor:
    """torch treats a 0-d tensor as one element along dim 0: run ``fn`` on 1-element views."""
    from ..tensor import Tensor

    src1 = src.reshape(-1) if isinstance(src, Tensor) and src.ndim == 0 else src
    out = fn(self.reshape(1), index.reshape(-1), src1)
    return out.reshape(index.shape)


# ----------------------------------------------------------------------------- in place


def inplace(self: Tensor, op: str, fn: Callable[[Tensor], Tensor], *others: Any) -> Tensor:
    """Make ``fn(self)`` (an out-of-place result of self's shape) self's new value, recording it
    in the graph when a gradient is involved (as ``Tensor.copy_`` does)."""
    from ..autograd import no_grad
    from ..tensor import Tensor

    other = next((o for o in others if isinstance(o, Tensor) and o.requires_grad), None)
    if self._check_inplace(other):
        new = fn(self._snapshot())
        _check_keeps(self, new, op)
        return self._rebase(new)
    with no_grad():
        new = fn(self)
    _check_keeps(self, new, op)
    self.data[...] = backend.to_device(new.data, self._device)
    self._version[0] += 1
    return self


def _check_keeps(self: Tensor, new: Tensor, op: str) -> None:
    if new.shape != self.shape:
        raise ValueError(f"{op}: the result of shape {new.shape} does not fit in place into a "
                         f"tensor of shape {self.shape}")


# --------------------------------------------------------------------- gather and scatter


def gather(self: Tensor, dim: int, index: Any) -> Tensor:
    """``out[i][j] = self[index[i][j]][j]`` (dim 0); the gradient is a scatter-add."""
    op = "gather"
    d = norm_dim(dim, self.ndim, op)
    idx = index_array(self, index, op)
    if self.ndim == 0:
        if idx.ndim > 1:
            raise ValueError(f"{op}: a 0-d input takes a 0-d or 1-d index, got {idx.ndim}-d")
        return _on_0d(self, lambda x, i, _: gather(x, 0, i), idx, None)
    _check_fits(idx.shape, self.shape, d, op, "the input")
    idx = in_range(idx, self.shape[d], op, dim)
    return M.GetItem.apply(self, index=along(idx, d))


def _scatter_args(self: Tensor, dim: int, index: Any, src: Any, op: str,
                  scalar_ok: bool) -> tuple[int, Any, Any]:
    """Checked ``(dim, index array, src)``; a Tensor src is cut to the index's shape."""
    from ..tensor import Tensor

    d = norm_dim(dim, self.ndim, op)
    idx = index_array(self, index, op)
    _check_fits(idx.shape, self.shape, d, op, "self")
    idx = in_range(idx, self.shape[d], op, dim)
    if isinstance(src, Tensor):
        _same_dtype(self, src, op)
        _check_fits(idx.shape, src.shape, None, op, "the source")
        return d, idx, _prefix(src, idx.shape)
    if not scalar_ok:
        raise TypeError(f"{op}: src must be a Tensor, got {type(src).__name__}")
    return d, idx, self._operand(src).to(self.dtype)


def scatter(self: Tensor, dim: int, index: Any, src: Any = None, value: Any = None, *,
            reduce: str | None = None) -> Tensor:
    """``out[index[i][j]][j] = src[i][j]`` (dim 0), else ``self``; ``src`` may be a scalar
    (or given as ``value=``). ``reduce="add"|"multiply"`` combines instead of overwriting."""
    from ..tensor import Tensor

    op = "scatter"
    if (src is None) == (value is None):
        raise TypeError(f"{op}: give exactly one of src and value")
    src = src if src is not None else value
    if reduce is not None:
        kinds = {"add": "sum", "multiply": "prod"}
        if reduce not in kinds:
            raise ValueError(f"{op}: reduce must be 'add' or 'multiply', got {reduce!r}")
        if not isinstance(src, Tensor):
            idx = index_array(self, index, op)
            src = self._const(backend.xp_of(idx).full(idx.shape, src, dtype=self.dtype))
        return scatter_reduce(self, dim, index, src, kinds[reduce])
    if self.ndim == 0:
        idx = index_array(self, index, op)
        return _on_0d(self, lambda x, i, s: scatter(x, 0, i, s), idx, src).reshape(())
    d, idx, src = _scatter_args(self, dim, index, src, op, scalar_ok=True)
    return M.SetItem.apply(self, src, index=along(idx, d))


def scatter_add(self: Tensor, dim: int, index: Any, src: Tensor) -> Tensor:
    """``out[index[i][j]][j] += src[i][j]`` (dim 0), repeated indices accumulating; the
    gradient of ``src`` is a gather."""
    if self.ndim == 0:
        idx = index_array(self, index, "scatter_add")
        return _on_0d(self, lambda x, i, s: scatter_add(x, 0, i, s), idx, src).reshape(())
    d, idx, src = _scatter_args(self, dim, index, src, "scatter_add", scalar_ok=False)
    return self + M.IndexAdd.apply(src, shape=self.shape, index=along(idx, d), basic=False)


def scatter_reduce(self: Tensor, dim: int, index: Any, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Combine ``src`` into ``self`` at ``index`` along ``dim`` with ``reduce`` (sum, prod,
    mean, amax, amin), counting ``self``'s value too when ``include_self``.

    >>> import tinygrad_gd as tg
    >>> x = tg.tensor([1.0, 2.0, 3.0])
    >>> x.scatter_reduce(0, tg.tensor([0, 0, 2]), tg.tensor([5.0, 6.0, 7.0]), "amax").tolist()
    [6.0, 2.0, 7.0]
    """
    op = "scatter_reduce"
    if reduce not in _REDUCES:
        raise ValueError(f"{op}: reduce must be one of {', '.join(_REDUCES)}, got {reduce!r}")
    if self.ndim == 0:
        idx = index_array(self, index, op)
        return _on_0d(self, lambda x, i, s: scatter_reduce(
            x, 0, i, s, reduce, include_self=include_self), idx, src).reshape(())
    d, idx, src = _scatter_args(self, dim, index, src, op, scalar_ok=False)
    full = along(idx, d)
    xp = backend.xp_of(self.data)
    if reduce in ("sum", "mean"):
        count = xp.zeros(self.shape, dtype=np.int64)
        backend.scatter_add(count, full, xp.ones(idx.shape, dtype=np.int64))
        base = self if include_self else E.where_const(count == 0, self, 0)
        total = base + M.IndexAdd.apply(src, shape=self.shape, index=full, basic=False)
        if reduce == "sum":
            return total
        count = xp.maximum(count + int(include_self), 1)  # untouched, not counted: self / 1
        if not backend.is_floating(self.dtype):
            return self._const(total.data // count.astype(self.dtype))
        return total / self._const(count.astype(self.dtype))
    return _reduce_by_slots(self, src, full, reduce, include_self)


def _reduce_by_slots(self: Tensor, src: Tensor, full: tuple, reduce: str,
                     include_self: bool) -> Tensor:
    """prod/amax/amin: every touched position gets a row of slots (its own value first, then the
    values scattered there), reduced along the row with Tensor ops, so ties of amax split the
    gradient evenly and the product's gradient is the product of the others, zeros included."""
    xp = backend.xp_of(self.data)
    flat = xp.ravel_multi_index(tuple(xp.broadcast_arrays(*full)), self.shape).ravel()
    order = xp.argsort(flat)
    uniq, start, counts = xp.unique(flat[order], return_index=True, return_counts=True)
    rank = xp.empty_like(flat)
    rank[order] = xp.arange(flat.size) - xp.repeat(start, counts)
    row = xp.searchsorted(uniq, flat)
    lead = int(include_self)
    width = int(counts.max()) + lead if counts.size else 1
    if reduce == "prod":
        width = 1 << (width - 1).bit_length()  # a power of two: halve it pairwise below
        fill = 1
    elif backend.is_floating(self.dtype):
        fill = -math.inf if reduce == "amax" else math.inf
    else:
        info = np.iinfo(self.dtype) if self.dtype.kind in "iu" else None
        fill = (info.min if reduce == "amax" else info.max) if info else reduce == "amin"
    slots = self._const(xp.full((uniq.size, width), fill, dtype=self.dtype))
    x_flat = self.reshape(-1)
    if include_self:
        slots = M.SetItem.apply(slots, M.GetItem.apply(x_flat, index=(uniq,)),
                                index=(slice(None), 0))
    slots = M.SetItem.apply(slots, src.reshape(-1), index=(row, rank + lead))
    if reduce == "prod":
        while slots.shape[1] > 1:
            half = slots.shape[1] // 2
            slots = (M.GetItem.apply(slots, index=(slice(None), slice(0, half)))
                     * M.GetItem.apply(slots, index=(slice(None), slice(half, None))))
        reduced: Tensor = slots.reshape(-1)
    else:
        reduced = getattr(slots, reduce)(dim=1)
    return M.SetItem.apply(x_flat, reduced, index=(uniq,)).reshape(self.shape)


# ------------------------------------------------------------------------------- index_*


def _dim_index(self: Tensor, dim: int, index: Any, op: str, negative: bool = False
               ) -> tuple[int, Any, tuple]:
    """``(dim, index array, (:, ..., index))`` for the ``index_*`` ops: a 1-D (or 0-d) index."""
    d = norm_dim(dim, self.ndim, op)
    idx = index_array(self, index, op)
    if idx.ndim > 1:
        raise ValueError(f"{op}: the index must be 1-D or 0-d, got shape {tuple(idx.shape)}")
    idx = in_range(idx.reshape(-1), self.shape[d] if self.ndim else 1, op, dim, negative)
    return d, idx, (slice(None),) * d + (idx,)


def index_select(self: Tensor, dim: int, index: Any) -> Tensor:
    """The slices ``index`` (1-D) of dimension ``dim``, in that order; repeats allowed."""
    d, idx, full = _dim_index(self, dim, index, "index_select")
    if self.ndim == 0:
        if idx.size != 1:
            raise ValueError(f"index_select: a 0-d input takes one index, got {idx.size}")
        return self.clone()
    return M.GetItem.apply(self, index=full)


def _source(self: Tensor, source: Any, d: int, n: int, op: str) -> Tensor:
    from ..tensor import Tensor

    if not isinstance(source, Tensor):
        raise TypeError(f"{op}: source must be a Tensor, got {type(source).__name__}")
    _same_dtype(self, source, op)
    want = self.shape[:d] + (n,) + self.shape[d + 1:] if self.ndim else ()
    if source.shape != want and not (self.ndim == 0 and source.numel() == 1):
        raise ValueError(f"{op}: source of shape {source.shape} does not match the {n} indexed "
                         f"slices of self {self.shape} along dim {d} (expected {want})")
    return source.reshape(want)


def index_add(self: Tensor, dim: int, index: Any, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """``self`` plus ``alpha * source`` added into the slices ``index`` along ``dim``
    (repeated indices accumulate)."""
    d, idx, full = _dim_index(self, dim, index, "index_add")
    source = _source(self, source, d, idx.size, "index_add")
    if alpha != 1:
        source = source * alpha
    if self.ndim == 0:
        return self + source * float(idx.size) if idx.size != 1 else self + source
    return self + M.IndexAdd.apply(source, shape=self.shape, index=full, basic=False)


def index_copy(self: Tensor, dim: int, index: Any, source: Tensor) -> Tensor:
    """``self`` with the slices ``index`` along ``dim`` replaced by ``source``'s."""
    d, idx, full = _dim_index(self, dim, index, "index_copy")
    source = _source(self, source, d, idx.size, "index_copy")
    if self.ndim == 0:
        return source.clone() if idx.size else self.clone()
    return M.SetItem.apply(self, source, index=full)


def index_fill(self: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """``self`` with the slices ``index`` along ``dim`` set to ``value`` (a scalar or 0-d tensor,
    which gets the gradient of every filled element); negative indices count from the end."""
    d, idx, _ = _dim_index(self, dim, index, "index_fill", negative=True)
    # each slice is filled once however often it is named (the value's gradient counts it once)
    full = (slice(None),) * d + (backend.xp_of(idx).unique(idx),)
    value = _scalar_value(self, value, "index_fill")
    if self.ndim == 0:
        return value.clone() if idx.size else self.clone()
    return M.SetItem.apply(self, value, index=full)


def _scalar_value(self: Tensor, value: Any, op: str) -> Tensor:
    from ..tensor import Tensor

    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"{op}: value must be a scalar or a 0-d tensor, got shape "
                             f"{value.shape}")
        if value.device != self.device:
            value = value.to(self.device)
    return self._operand(value).to(self.dtype)


# --------------------------------------------------------------------------------- masks


def _mask_array(self: Tensor, mask: Any, op: str) -> Any:
    from ..tensor import Tensor

    arr = mask.data if isinstance(mask, Tensor) else (
        mask if backend.is_array(mask) else np.asarray(mask))
    if arr.dtype != np.bool_:
        raise TypeError(f"{op}: the mask must be a bool tensor, got dtype {arr.dtype}")
    return backend.to_device(arr, self.device)


def _broadcast_pair(self: Tensor, mask: Any, op: str) -> tuple[Tensor, Any]:
    try:
        shape = tuple(np.broadcast_shapes(self.shape, mask.shape))
    except ValueError:
        raise ValueError(f"{op}: the mask of shape {tuple(mask.shape)} does not broadcast with "
                         f"the tensor's shape {self.shape}") from None
    return self.broadcast_to(shape), backend.xp_of(mask).broadcast_to(mask, shape)


def masked_fill(self: Tensor, mask: Any, value: Any) -> Tensor:
    """``value`` where ``mask`` is true, else ``self`` (broadcasting); filled positions get a
    zero gradient, a 0-d tensor ``value`` the sum of theirs.

    >>> import tinygrad_gd as tg
    >>> tg.tensor([1.0, 2.0, 3.0]).masked_fill(tg.tensor([True, False, True]), 0.0).tolist()
    [0.0, 2.0, 0.0]
    """
    m = _mask_array(self, mask, "masked_fill")
    value = _scalar_value(self, value, "masked_fill")
    try:
        return E.Where.apply(self._const(m), value, self)
    except ValueError:
        raise ValueError(f"masked_fill: the mask of shape {tuple(m.shape)} does not broadcast "
                         f"with the tensor's shape {self.shape}") from None


def masked_select(self: Tensor, mask: Any) -> Tensor:
    """The elements where ``mask`` is true (broadcasting), as a 1-D tensor."""
    x, m = _broadcast_pair(self, _mask_array(self, mask, "masked_select"), "masked_select")
    if x.ndim == 0:
        x, m = x.reshape(1), m.reshape(1)
    return M.GetItem.apply(x, index=tuple(m.nonzero()))


def masked_scatter(self: Tensor, mask: Any, source: Tensor) -> Tensor:
    """``self`` with the positions where ``mask`` is true filled by ``source``'s elements, in
    order (row-major); ``source`` needs at least as many elements as the mask has trues."""
    op = "masked_scatter"
    x, m = _broadcast_pair(self, _mask_array(self, mask, op), op)
    _same_dtype(self, source, op)
    shape = x.shape
    x, m = x.reshape(-1), m.reshape(-1)
    where = tuple(m.nonzero())
    n = int(where[0].size)
    if source.numel() < n:
        raise ValueError(f"{op}: the mask has {n} true elements but source only "
                         f"{source.numel()}")
    vals = M.GetItem.apply(source.reshape(-1), index=(slice(0, n),))
    return M.SetItem.apply(x, vals, index=where).reshape(shape)


def index_put(self: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """``self`` with ``self[indices] = values`` (``+=`` with ``accumulate``, repeated indices
    adding up); ``indices`` is a tuple of index tensors, as for ``x[i, j]``."""
    from ..indexing import normalize_index

    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put: indices must be a tuple of tensors, got "
                        f"{type(indices).__name__}")
    index = normalize_index(tuple(indices), backend.xp_of(self.data), self.shape)
    values = self._operand(values)
    if values.dtype != self.dtype:
        values = values.to(self.dtype)
    try:
        if not accumulate:
            return M.SetItem.apply(self, values, index=index)
        target = self.data[index].shape
        values = values.broadcast_to(target)
        return self + M.IndexAdd.apply(values, shape=self.shape, index=index,
                                       basic=M.is_basic(index))
    except IndexError as exc:
        raise IndexError(f"index_put: {exc} (a tensor of shape {self.shape})") from None
    except ValueError as exc:
        raise ValueError(f"index_put: values of shape {values.shape} do not fit the indexed "
                         f"elements ({exc})") from None


# ------------------------------------------------------------------------ flat take and put


def take(self: Tensor, index: Any) -> Tensor:
    """The elements of the flattened tensor at ``index`` (any shape; negatives count from the
    end), in ``index``'s shape."""
    idx = index_array(self, index, "take")
    idx = in_range(idx, self.numel(), "take", 0, negative=True)
    return M.GetItem.apply(self.reshape(-1), index=(idx,))


def take_along_dim(self: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    """``gather`` with ``indices`` and ``self`` broadcast against each other outside ``dim``,
    where negative indices count from the end; ``dim=None``: both flattened, and (as torch)
    no negative indices."""
    op = "take_along_dim"
    idx = index_array(self, indices, op)
    if dim is None:
        flat = in_range(idx.reshape(-1), self.numel(), op, 0)
        return M.GetItem.apply(self.reshape(-1), index=(flat,))
    if idx.ndim != self.ndim:
        raise ValueError(f"{op}: input and indices need the same number of dimensions, got "
                         f"{self.ndim} and {idx.ndim}")
    d = norm_dim(dim, self.ndim, op)
    if self.ndim == 0:
        return take(self, idx)
    one = lambda s: s[:d] + (1,) + s[d + 1:]  # noqa: E731
    try:
        outer = np.broadcast_shapes(one(self.shape), one(tuple(idx.shape)))
    except ValueError:
        raise ValueError(f"{op}: shapes {self.shape} and {tuple(idx.shape)} do not broadcast "
                         f"outside dim {d}") from None
    x = self.broadcast_to(outer[:d] + (self.shape[d],) + outer[d + 1:])
    i = backend.xp_of(idx).broadcast_to(idx, outer[:d] + (idx.shape[d],) + outer[d + 1:])
    i = in_range(i, self.shape[d], op, dim, negative=True)
    return M.GetItem.apply(x, index=along(i, d))


def put(self: Tensor, index: Any, source: Tensor, accumulate: bool = False) -> Tensor:
    """``self`` with the flat positions ``index`` set to (or, with ``accumulate``, increased by)
    ``source``'s elements; negatives count from the end."""
    op = "put"
    idx = index_array(self, index, op)
    idx = in_range(idx.reshape(-1), self.numel(), op, 0, negative=True)
    _same_dtype(self, source, op)
    if source.numel() != idx.size:
        raise ValueError(f"{op}: {idx.size} indices but source has {source.numel()} elements")
    flat, vals = self.reshape(-1), source.reshape(-1)
    if accumulate:
        out = flat + M.IndexAdd.apply(vals, shape=flat.shape, index=(idx,), basic=False)
    else:
        out = M.SetItem.apply(flat, vals, index=(idx,))
    return out.reshape(self.shape)


# ------------------------------------------------------------------------ nonzero and where


def nonzero(self: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the nonzero elements: an ``(n, ndim)`` int64 tensor, or with
    ``as_tuple=True`` one 1-D tensor per dimension (what ``x[...]`` takes)."""
    data = self.data
    xp = backend.xp_of(data)
    if as_tuple:
        parts = (data.reshape(1) if data.ndim == 0 else data).nonzero()
        return tuple(self._const(p.astype(np.int64, copy=False)) for p in parts)
    return self._const(xp.argwhere(data).astype(np.int64, copy=False))


def argwhere(self: Tensor) -> Tensor:
    """``nonzero()``: the ``(n, ndim)`` indices of the nonzero elements."""
    return nonzero(self)
