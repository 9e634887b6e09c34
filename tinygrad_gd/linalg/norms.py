"""Vector and matrix norms: ``tg.linalg.vector_norm``, ``matrix_norm``, ``norm``, ``cond``."""

# Matrices keep their math names (A, B, U, S, Vh), which are also torch's keyword names.
# ruff: noqa: N803, N806
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import backend
from ..ops import reduce as R
from ..tensor import Tensor
from .decompositions import as_matrix, inv, svdvals

__all__ = ["vector_norm", "matrix_norm", "norm", "cond"]

_INF = (math.inf, "inf")
_NEG_INF = (-math.inf, "-inf")


def vector_norm(x: Tensor, ord: float = 2, dim: int | Sequence[int] | None = None,  # noqa: A002
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (every element when None); ``ord`` may be any
    real, ``inf`` (max ``|x|``), ``-inf`` (min) or 0 (the count of nonzeros). The 2-norm's
    gradient at 0 is 0, as in torch.

    >>> import tinygrad_gd as tg
    >>> tg.linalg.vector_norm(tg.tensor([3.0, -4.0])).item()
    5.0
    """
    if not isinstance(x, Tensor):
        x = Tensor(x)
    _check_floating(x, "linalg.vector_norm")
    if dtype is not None:
        x = x.to(dtype)
    if isinstance(ord, str) or isinstance(ord, bool):
        raise ValueError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    axes = R.normalize_axis(dim, x.ndim)
    if ord in _INF:
        return x.abs().amax(dim=axes, keepdim=keepdim)
    if ord in _NEG_INF:
        return x.abs().amin(dim=axes, keepdim=keepdim)
    if ord == 0:  # piecewise constant: no gradient (torch's is 0)
        count = (x.data != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
        return x._const(backend.xp_of(x.data).asarray(count))
    if ord > 0:
        return R.norm(x, ord, axes, keepdim)
    total = (x.abs() ** float(ord)).sum(dim=axes, keepdim=keepdim)
    return total ** (1.0 / ord)


def _check_floating(x: Tensor, name: str) -> None:
    """Norms accept every floating dtype (float16 too, unlike the decompositions)."""
    if not backend.is_floating(x.dtype):
        raise TypeError(f"{name}: expected a floating point tensor as input, got {x.dtype}")


def _move_last(x: Tensor, dim: Sequence[int], name: str) -> tuple[Tensor, tuple[int, int]]:
    """``x`` with the two dimensions of ``dim`` moved to the end, and those dims (>= 0)."""
    if len(dim) != 2:
        raise ValueError(f"{name}: dim must be a 2-tuple, got {dim!r}")
    if x.ndim < 2:
        raise ValueError(f"{name}: the input must have at least 2 dimensions, got shape "
                         f"{tuple(x.shape)}")
    d0, d1 = (int(d) for d in dim)
    for d in (d0, d1):
        if not -x.ndim <= d < x.ndim:
            raise IndexError(f"{name}: dim {d} out of range for {x.ndim} dimensions")
    d0, d1 = d0 % x.ndim, d1 % x.ndim
    if d0 == d1:
        raise ValueError(f"{name}: dims must be different, got {dim!r}")
    rest = [i for i in range(x.ndim) if i not in (d0, d1)]
    return x.permute(rest + [d0, d1]), (d0, d1)


def matrix_norm(A: Tensor, ord: Any = "fro", dim: Sequence[int] = (-2, -1),  # noqa: A002
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The matrix norm over the two dimensions ``dim``: ``"fro"``, ``"nuc"`` (sum of singular
    values), 2 / -2 (largest / smallest singular value), 1 / -1 (max / min column sum of
    ``|A|``), ``inf`` / ``-inf`` (max / min row sum).

    >>> import tinygrad_gd as tg
    >>> tg.linalg.matrix_norm(tg.tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1).item()
    6.0
    """
    if not isinstance(A, Tensor):
        A = Tensor(A)
    if dtype is not None:
        A = A.to(dtype)
    name = "linalg.matrix_norm"
    _check_floating(A, name)
    moved, (d0, d1) = _move_last(A, tuple(dim), name)
    if ord == "fro":
        out = R.norm(A, 2, (d0, d1), keepdim)
        return out
    if ord == "nuc":
        out = svdvals(moved).sum(dim=-1)
    elif ord in (2, -2):
        s = svdvals(moved)
        out = s.amax(dim=-1) if ord == 2 else s.amin(dim=-1)
    elif ord in (1, -1):
        cols = moved.abs().sum(dim=-2)
        out = cols.amax(dim=-1) if ord == 1 else cols.amin(dim=-1)
    elif ord in _INF or ord in _NEG_INF:
        rows = moved.abs().sum(dim=-1)
        out = rows.amax(dim=-1) if ord in _INF else rows.amin(dim=-1)
    else:
        raise ValueError(f"{name}: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, got "
                         f"{ord!r}")
    if keepdim:
        for d in sorted((d0, d1)):
            out = out.unsqueeze(d)
    return out


def norm(A: Tensor, ord: Any = None, dim: int | Sequence[int] | None = None,  # noqa: A002
         keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """torch.linalg.norm: a vector norm when ``dim`` is an int (or ``A`` is 1-D), a matrix norm
    when ``dim`` is a pair (or ``A`` is 2-D with an ``ord``); with neither ``ord`` nor ``dim``,
    the 2-norm of every element.

    >>> import tinygrad_gd as tg
    >>> tg.linalg.norm(tg.tensor([[3.0, 0.0], [0.0, 4.0]])).item()
    5.0
    """
    if not isinstance(A, Tensor):
        A = Tensor(A)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
        if len(dim) == 1:
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
        if len(dim) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
        raise ValueError(f"linalg.norm: dim must be an int or a 1- or 2-tuple, got {dim!r}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise ValueError("linalg.norm: if dim is not given but ord is, the input must be 1-D or "
                     f"2-D, got shape {tuple(A.shape)}")


def cond(A: Tensor, p: Any = None) -> Tensor:
    """The condition number ``norm(A, p) * norm(A^-1, p)`` (for ``p`` None or +-2, the ratio of
    extreme singular values, which works for non-square ``A`` too)."""
    A = as_matrix(A, "linalg.cond", square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        s = svdvals(A)
        ratio = s.amax(dim=-1) / s.amin(dim=-1)
        return ratio if p != -2 else 1.0 / ratio
    return matrix_norm(A, p) * matrix_norm(inv(A), p)
