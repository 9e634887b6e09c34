"""The standalone ``tg.X`` functions of ``methods/extras.py`` (those that are not a method
called on the first argument): ``searchsorted``, ``bucketize``, ``isin``, ``can_cast``,
``concat``, ``scalar_tensor``, ``broadcast_shapes``/``broadcast_tensors``, ``cartesian_prod``,
``block_diag`` and ``trapezoid``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["searchsorted", "bucketize", "isin", "can_cast", "concat", "concatenate",
           "scalar_tensor", "broadcast_shapes", "broadcast_tensors", "cartesian_prod",
           "block_diag", "trapezoid", "trapz"]


def _t(x: Any, like: Any = None) -> Tensor:
    from ..tensor import Tensor

    if isinstance(x, Tensor):
        return x
    return like._operand(x) if like is not None else Tensor(x)


def _xp(t: Tensor) -> Any:
    return backend.xp_of(t.data)


def _sorted_search(seq: Tensor, values: Tensor, right: bool, out_int32: bool,
                   sorter: Any = None) -> Tensor:
    xp = _xp(seq)
    s, v = seq.data, values.data
    if sorter is not None:
        s = xp.take_along_axis(s, _t(sorter).data, axis=-1)
    if s.ndim == 1:
        out = xp.searchsorted(s, v, side="right" if right else "left")
    else:  # one sorted row per leading index: count the entries below each value
        if s.shape[:-1] != v.shape[:-1]:
            raise RuntimeError(f"searchsorted: the leading dimensions of sorted_sequence "
                               f"{tuple(seq.shape)} and values {tuple(values.shape)} differ")
        below = (s[..., None, :] <= v[..., :, None]) if right else (s[..., None, :]
                                                                     < v[..., :, None])
        out = below.sum(axis=-1)
    return seq._const(xp.asarray(out, dtype=np.int32 if out_int32 else np.int64))


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,  # noqa: A002
                 right: bool = False, side: str | None = None, sorter: Any = None) -> Tensor:
    """Indices at which ``input`` would be inserted into the sorted last dimension of
    ``sorted_sequence`` (``right=True`` or ``side="right"``: after equal entries)."""
    if side is not None:
        if side not in ("left", "right") or (right and side == "left"):
            raise RuntimeError(f"searchsorted: side must be 'left' or 'right' and agree with "
                               f"right={right}, got {side!r}")
        right = side == "right"
    return _sorted_search(sorted_sequence, _t(input, sorted_sequence), right, out_int32, sorter)


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False,  # noqa: A002
              right: bool = False) -> Tensor:
    """The bucket of each element: ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``:
    ``boundaries[i-1] <= x < boundaries[i]``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries must be 1-D, got shape "
                           f"{tuple(boundaries.shape)}")
    return _sorted_search(boundaries, _t(input, boundaries), right, out_int32)


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """True where an element of ``elements`` is in ``test_elements``."""
    from ..tensor import Tensor

    e = elements if isinstance(elements, Tensor) else _t(elements, test_elements
                                                         if isinstance(test_elements, Tensor)
                                                         else None)
    t = _t(test_elements, e)
    return e._const(_xp(e).isin(e.data, t.data, invert=invert))


def can_cast(from_: Any, to: Any) -> bool:
    """Whether torch's casting rules allow ``from_`` to ``to`` (no float to int, no number to
    bool)."""
    from ..dtypes import _dtype_of

    rank = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # torch: ints of any sign cast freely
    return rank[_dtype_of(from_).kind] <= rank[_dtype_of(to).kind]


def concat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Alias of ``cat``."""
    from ..functions import cat

    return cat(tensors, dim if axis is None else axis)


def concatenate(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Alias of ``cat``."""
    return concat(tensors, dim, axis=axis)


def scalar_tensor(s: Any, *, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding ``s`` (float32 by default, as torch)."""
    from ..creation import tensor
    from ..dtypes import get_default_dtype

    return tensor(float(s) if dtype is None else s, dtype=dtype or get_default_dtype(),
                  device=device, requires_grad=requires_grad)


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape that ``shapes`` broadcast to (torch's rules; a mismatch raises)."""
    try:
        return tuple(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s)
                                           for s in shapes]))
    except ValueError as exc:
        raise RuntimeError(f"broadcast_shapes: shapes {list(shapes)} do not broadcast") from exc


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """Every tensor expanded to the common broadcast shape (differentiable views)."""
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(*shape) for t in tensors)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element of each 1-D tensor, as rows (differentiable)."""
    from ..creation import meshgrid
    from ..functions import stack

    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], dim=1)


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-, 1- or 2-D) as blocks on a diagonal, zeros elsewhere (differentiable)."""
    from ..functions import cat

    mats = [t.reshape(1, -1) if t.ndim < 2 else t for t in (_t(x) for x in tensors)]
    if any(m.ndim != 2 for m in mats):
        raise RuntimeError("block_diag: the inputs must have at most 2 dimensions")
    cols = sum(m.shape[1] for m in mats)
    rows, at = [], 0
    for m in mats:
        w = m.shape[1]
        rows.append(m.pad((at, cols - at - w)))
        at += w
    return cat(rows, dim=0)


def trapz(y: Tensor, x: Tensor | None = None, *, dim: int = -1) -> Tensor:
    """Alias of ``trapezoid``."""
    return trapezoid(y, x, dim=dim)


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
              dim: int = -1) -> Tensor:
    """The trapezoidal rule along ``dim``: spacing ``dx`` (default 1) or sample points ``x``."""
    n = y.shape[dim]
    if n == 0:
        return y.sum(dim)
    avg = (y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1)) * 0.5
    if x is None:
        return avg.sum(dim) * (1.0 if dx is None else dx)
    if dx is not None:
        raise TypeError("trapezoid: pass either x or dx, not both")
    xt = _t(x, y)
    step = xt.diff(dim=dim if xt.ndim > 1 else -1)
    if xt.ndim == 1 and y.ndim > 1:
        shape = [1] * y.ndim
        shape[dim] = n - 1
        step = step.reshape(*shape)
    return (avg * step).sum(dim)


def _functional(name: str) -> Any:
    """``torch.X`` for an ``F.X`` torch also has at top level (same signature)."""
    def f(*args: Any, **kwargs: Any) -> Any:
        from ..nn import functional as F

        return getattr(F, name)(*args, **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``torch.{name}``: the same as ``nn.functional.{name}``."
    return f


_TOP_LEVEL_F = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                "conv_transpose3d", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d",
                "adaptive_avg_pool1d", "pixel_shuffle", "pixel_unshuffle", "cosine_similarity",
                "pairwise_distance", "rms_norm", "max_pool1d_with_indices"]
for _name in _TOP_LEVEL_F:
    globals()[_name] = _functional(_name)
__all__ += _TOP_LEVEL_F


def dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002 - torch's names
    """``torch.dropout(input, p, train)``: ``F.dropout`` with torch's top-level argument names."""
    from ..nn import functional as F

    return F.dropout(input, p, train)


__all__ += ["dropout"]
