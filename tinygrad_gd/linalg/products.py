"""Products: mm, bmm, mv, the add* forms, tensordot, kron, cross, cdist, inner, vdot,
matrix_power, multi_dot. Each is derived from matmul, reshapes and elementwise ops."""

# Matrices keep their math names (A, B, U, S, Vh), which are also torch's keyword names.
# ruff: noqa: N803, N806
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor, _promote

__all__ = ["mm", "bmm", "mv", "addmm", "addmv", "addbmm", "baddbmm", "addr", "tensordot",
           "kron", "cross", "linalg_cross", "cdist", "inner", "vdot", "matrix_power",
           "multi_dot", "chain_matmul", "vecdot"]


def _t(x: Any, like: Tensor | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return like._operand(x) if like is not None else Tensor(x)


def _dims(name: str, **tensors: tuple[Tensor, int]) -> None:
    """Each named tensor must have exactly the given number of dimensions."""
    for what, (t, nd) in tensors.items():
        if t.ndim != nd:
            kind = {1: "a vector (1-D)", 2: "a matrix (2-D)", 3: "a batch of matrices (3-D)"}[nd]
            raise ValueError(f"{name}: {what} must be {kind}, got shape {tuple(t.shape)}")


def _scaled_sum(name: str, inp: Tensor, prod: Tensor, beta: Any, alpha: Any) -> Tensor:
    """``beta * input + alpha * prod``; ``beta = 0`` ignores ``input`` (NaNs too), as torch."""
    out = prod if alpha == 1 else prod * alpha
    inp = _t(inp, prod)
    try:
        np.broadcast_shapes(inp.shape, out.shape)
        if np.broadcast_shapes(inp.shape, out.shape) != tuple(out.shape):
            raise ValueError
    except ValueError:
        raise ValueError(f"{name}: input of shape {tuple(inp.shape)} does not broadcast to the "
                         f"product's shape {tuple(out.shape)}") from None
    if beta == 0:
        return out
    return out + (inp if beta == 1 else inp * beta)


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """The product of two matrices (no broadcasting; see ``matmul`` for that).

    >>> import tinygrad_gd as tg
    >>> tg.mm(tg.ones(2, 3), tg.ones(3, 4)).shape
    (2, 4)
    """
    mat2 = _t(mat2, input)
    _dims("mm", input=(input, 2), mat2=(mat2, 2))
    return input.matmul(mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Batched product of ``(b, n, m)`` and ``(b, m, p)`` (equal batch sizes, no broadcasting)."""
    mat2 = _t(mat2, input)
    _dims("bmm", input=(input, 3), mat2=(mat2, 3))
    if input.shape[0] != mat2.shape[0]:
        raise ValueError(f"bmm: batch sizes differ: {tuple(input.shape)} and "
                         f"{tuple(mat2.shape)}")
    return input.matmul(mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:  # noqa: A002
    """Matrix times vector: ``(n, m) @ (m,)`` -> ``(n,)``."""
    vec = _t(vec, input)
    _dims("mv", input=(input, 2), vec=(vec, 1))
    return input.matmul(vec)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1,  # noqa: A002
          alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` (``input`` broadcasts to the product).

    >>> import tinygrad_gd as tg
    >>> tg.addmm(tg.ones(2), tg.ones(2, 3), tg.ones(3, 2), alpha=2).tolist()
    [[7.0, 7.0], [7.0, 7.0]]
    """
    return _scaled_sum("addmm", input, mm(_t(mat1), mat2), beta, alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1,  # noqa: A002
          alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    return _scaled_sum("addmv", input, mv(_t(mat), vec), beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,  # noqa: A002
           alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    return _scaled_sum("addbmm", input, bmm(_t(batch1), batch2).sum(dim=0), beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,  # noqa: A002
            alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    return _scaled_sum("baddbmm", input, bmm(_t(batch1), batch2), beta, alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1,  # noqa: A002
         alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    vec1 = _t(vec1)
    vec2 = _t(vec2, vec1)
    _dims("addr", vec1=(vec1, 1), vec2=(vec2, 1))
    return _scaled_sum("addr", input, vec1.outer(vec2), beta, alpha)


def _tensordot_dims(a: Tensor, b: Tensor, dims: Any) -> tuple[list[int], list[int]]:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0 or dims > min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: dims={dims} must be between 0 and the smaller number "
                             f"of dimensions ({a.ndim}, {b.ndim})")
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    da, db = dims
    da = [da] if isinstance(da, (int, np.integer)) else list(da)
    db = [db] if isinstance(db, (int, np.integer)) else list(db)
    if len(da) != len(db):
        raise ValueError(f"tensordot: both dims lists need the same length, got {da} and {db}")
    for t, ds in ((a, da), (b, db)):
        for d in ds:
            if not -max(t.ndim, 1) <= d < max(t.ndim, 1):
                raise IndexError(f"tensordot: dim {d} out of range for {t.ndim} dimensions")
    return [d % a.ndim for d in da], [d % b.ndim for d in db]


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Sum of products over ``dims``: the last ``dims`` of ``a`` with the first of ``b``, or
    the listed pairs ``([a dims], [b dims])``.

    >>> import tinygrad_gd as tg
    >>> tg.tensordot(tg.ones(2, 3, 4), tg.ones(3, 4, 5)).shape
    (2, 5)
    """
    a = _t(a)
    b = _t(b, a)
    if a.dtype != b.dtype:
        a, b = _promote(a, b)
    da, db = _tensordot_dims(a, b, dims)
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"tensordot: contracted dimension {i} of {tuple(a.shape)} and "
                             f"{j} of {tuple(b.shape)} differ in size")
    free_a = [i for i in range(a.ndim) if i not in da]
    free_b = [j for j in range(b.ndim) if j not in db]
    k = math.prod(a.shape[i] for i in da)
    a2 = a.permute(free_a + da).reshape(math.prod(a.shape[i] for i in free_a), k)
    b2 = b.permute(db + free_b).reshape(k, math.prod(b.shape[j] for j in free_b))
    out_shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[j] for j in free_b)
    return (a2 @ b2).reshape(out_shape)


def inner(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Sum of products over the last dimension (a product when either is 0-d)."""
    other = _t(other, input)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise ValueError(f"inner: last dimensions of {tuple(input.shape)} and "
                         f"{tuple(other.shape)} differ")
    return tensordot(input, other, ([-1], [-1]))


def vdot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Dot product of two 1-D tensors (real tensors: no conjugation)."""
    other = _t(other, input)
    _dims("vdot", input=(input, 1), other=(other, 1))
    return input.dot(other)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Dot products along ``dim``, broadcasting (torch.linalg.vecdot)."""
    y = _t(y, x)
    return (x * y).sum(dim=dim)


def kron(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The Kronecker product: block ``(i, j, ...)`` is ``input[i, j, ...] * other``.

    >>> import tinygrad_gd as tg
    >>> tg.kron(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 10.0])).tolist()
    [1.0, 10.0, 2.0, 20.0]
    """
    other = _t(other, input)
    nd = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (nd - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.ndim) + tuple(other.shape))
    # interleave: a's dims at even positions, b's at odd ones, then merge each pair
    out_shape = tuple(s * t for s, t in zip(a.shape, b.shape))
    a = a.reshape(tuple(x for s in a.shape for x in (s, 1)))
    b = b.reshape(tuple(x for s in b.shape for x in (1, s)))
    return (a * b).reshape(out_shape)


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along ``dim`` (torch.linalg.cross), broadcasting."""
    other = _t(other, input)
    if input.dtype != other.dtype:
        input, other = _promote(input, other)  # noqa: A001
    try:
        shape = np.broadcast_shapes(input.shape, other.shape)
    except ValueError:
        raise ValueError(f"linalg.cross: shapes {tuple(input.shape)} and {tuple(other.shape)} "
                         "do not broadcast") from None
    nd = len(shape)
    if input.ndim != other.ndim:
        raise ValueError(f"linalg.cross: inputs must have the same number of dimensions, got "
                         f"shapes {tuple(input.shape)} and {tuple(other.shape)}")
    if nd == 0 or not -nd <= dim < nd:
        raise IndexError(f"linalg.cross: dim {dim} out of range for shape {shape}")
    d = dim % nd
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise ValueError(f"linalg.cross: inputs dimension {dim} must have length 3, got "
                         f"{input.shape[d]} and {other.shape[d]}")
    a = input.broadcast_to(shape)
    b = other.broadcast_to(shape)
    perm = [i for i in range(nd) if i != d] + [d]
    a, b = a.permute(perm), b.permute(perm)
    i1, i2 = np.array([1, 2, 0]), np.array([2, 0, 1])
    out = a[..., i1] * b[..., i2] - a[..., i2] * b[..., i1]
    inv = [perm.index(i) for i in range(nd)]
    return out.permute(inv)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """torch.cross: the cross product along ``dim``; with ``dim=None`` the first dimension of
    size 3 of the broadcast shape (torch's deprecated default; ``linalg.cross`` uses -1)."""
    other = _t(other, input)
    if dim is None:
        shape = np.broadcast_shapes(input.shape, other.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise ValueError(f"cross: no dimension of size 3 in shapes {tuple(input.shape)} and "
                             f"{tuple(other.shape)}")
    return linalg_cross(input, other, dim=dim)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str | None = None) -> Tensor:
    """Pairwise p-norm distances between the rows of ``x1 (..., P, M)`` and ``x2 (..., R, M)``:
    ``(..., P, R)``. The gradient at a zero distance is 0, as in torch.

    >>> import tinygrad_gd as tg
    >>> tg.cdist(tg.tensor([[0.0, 0.0]]), tg.tensor([[3.0, 4.0], [0.0, 1.0]])).tolist()
    [[5.0, 1.0]]
    """
    from .norms import vector_norm

    x2 = _t(x2, x1)
    if x1.ndim < 2 or x2.ndim < 2:
        raise ValueError(f"cdist: x1 and x2 need at least 2 dimensions, got shapes "
                         f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"cdist: x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} must have the "
                         "same number of columns")
    if p < 0:
        raise ValueError(f"cdist: p must be non-negative, got {p}")
    if x1.dtype != x2.dtype:
        x1, x2 = _promote(x1, x2)
    modes = (None, "use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
             "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"cdist: compute_mode must be one of {modes[1:]}, got {compute_mode!r}")
    big = x1.shape[-2] > 25 or x2.shape[-2] > 25
    if p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
            big and compute_mode != "donot_use_mm_for_euclid_dist")):
        return _euclid_mm(x1, x2)
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return vector_norm(diff, p, dim=-1)


def _euclid_mm(x1: Tensor, x2: Tensor) -> Tensor:
    """``sqrt(|a|^2 + |b|^2 - 2 a.b)`` through one matmul (torch's path for many points):
    memory ``P * R``, not ``P * R * M``; a zero (or rounded negative) squared distance gives 0
    with a zero gradient, as torch."""
    from ..tensor_ops import where

    sq = ((x1 * x1).sum(dim=-1).unsqueeze(-1) + (x2 * x2).sum(dim=-1).unsqueeze(-2)
          - 2.0 * (x1 @ x2.transpose(-1, -2)))
    pos = x1._const(sq.data > 0)
    return where(pos, where(pos, sq, 1.0).sqrt(), 0.0)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A`` multiplied by itself ``n`` times (the identity for 0, the inverse's powers for
    ``n < 0``), by repeated squaring.

    >>> import tinygrad_gd as tg
    >>> tg.linalg.matrix_power(tg.tensor([[1.0, 1.0], [0.0, 1.0]]), 3).tolist()
    [[1.0, 3.0], [0.0, 1.0]]
    """
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"matrix_power: A must be a (batch of) square matrices, got shape "
                         f"{tuple(A.shape)}")
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: n must be an int, got {type(n).__name__}")
    if n == 0:
        eye = A._const(A.xp.eye(A.shape[-1], dtype=A.dtype))
        return eye.broadcast_to(A.shape) + A * 0  # keeps A in the graph (a zero gradient)
    if n < 0:
        from .decompositions import inv

        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """The product of a chain of matrices; the first may be a row vector (1-D) and the last a
    column vector (1-D). Multiplied left to right."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise ValueError(f"linalg.multi_dot: expected at least 2 tensors, got {len(tensors)}")
    for i, t in enumerate(tensors):
        ok = t.ndim == 2 or (t.ndim == 1 and i in (0, len(tensors) - 1))
        if not ok:
            raise ValueError(f"linalg.multi_dot: tensor {i} must be 2-D (the first and last may "
                             f"be 1-D), got shape {tuple(t.shape)}")
    out = tensors[0]
    for t in tensors[1:]:
        out = out.matmul(t)
    return out


def chain_matmul(*matrices: Tensor) -> Tensor:
    """The product of 2-D matrices (torch.chain_matmul; prefer ``linalg.multi_dot``)."""
    for i, t in enumerate(matrices):
        _dims("chain_matmul", **{f"matrix {i}": (t, 2)})
    if len(matrices) == 1:
        return matrices[0]
    return multi_dot(matrices)
