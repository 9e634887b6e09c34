"""Functions composed entirely of other Tensor ops: ``matrix_exp``, ``tensorinv``,
``tensorsolve``, ``vander``. Their gradients (of any order) come from the composition."""

# Matrices keep their math names (A, B, X), which are also torch's keyword names.
# ruff: noqa: N803, N806
from __future__ import annotations

import math
from collections.abc import Sequence

from ..ops.decomp import eye_like
from ..tensor import Tensor
from .decompositions import as_matrix, inv, solve

__all__ = ["matrix_exp", "tensorinv", "tensorsolve", "vander"]

_TAYLOR_DEGREE = 16  # with |X|_1 <= 1/2, the remainder is below 1e-19 relative


def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential ``sum_k A^k / k!`` of each square matrix, by scaling and
    squaring: a Taylor polynomial of ``A / 2^s`` (1-norm at most 1/2), squared ``s`` times.

    >>> import tinygrad_gd as tg
    >>> tg.linalg.matrix_exp(tg.tensor([[0.0, 1.0], [0.0, 0.0]])).tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """
    A = as_matrix(A, "linalg.matrix_exp", square=True)
    n = A.shape[-1]
    xp = A.xp
    s = 0
    if A.data.size:
        # s = ceil(log2(norm / 0.5)), at least 0, computed on the array: the one value read
        # is the integer s (tg.jit guards it; a guard on the norm would fail at every step)
        norm = xp.abs(A.data).sum(axis=-2).max()
        if not bool(xp.isfinite(norm)):
            raise ValueError("linalg.matrix_exp: the input has non-finite entries")
        s = int(xp.ceil(xp.log2(xp.maximum(norm, 0.5) / 0.5)))
    X = A * (0.5 ** s) if s else A
    eye = eye_like(A, n)
    P = eye
    for k in range(_TAYLOR_DEGREE, 0, -1):  # Horner: I + X/1 (I + X/2 (I + ...))
        P = eye + (X @ P) * (1.0 / k)
    for _ in range(s):
        P = P @ P
    return P


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of ``A`` seen as a linear map from its last dims to its first ``ind`` dims:
    ``tensordot(tensorinv(A, ind), A, ind)`` is the identity (torch.linalg.tensorinv)."""
    if ind <= 0:
        raise ValueError(f"linalg.tensorinv: ind must be positive, got {ind}")
    out_shape, in_shape = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    rows, cols = math.prod(out_shape), math.prod(in_shape)
    if rows != cols:
        raise ValueError(f"linalg.tensorinv: the product of the first {ind} dimensions "
                         f"{out_shape} must equal that of the rest {in_shape}")
    return inv(A.reshape(rows, cols)).reshape(in_shape + out_shape)


def tensorsolve(A: Tensor, B: Tensor, dims: Sequence[int] | None = None) -> Tensor:
    """The ``X`` with ``tensordot(A, X, X.ndim) = B`` (torch.linalg.tensorsolve); ``dims``
    moves those dimensions of ``A`` to the end first."""
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        A = A.permute([d for d in range(A.ndim) if d not in dims] + dims)
    x_shape = tuple(A.shape[B.ndim:])
    rows, cols = math.prod(B.shape), math.prod(x_shape)
    if tuple(A.shape[:B.ndim]) != tuple(B.shape) or rows != cols:
        raise ValueError(f"linalg.tensorsolve: A {tuple(A.shape)} must be B's shape "
                         f"{tuple(B.shape)} followed by dims of the same total size")
    return solve(A.reshape(rows, cols), B.reshape(rows)).reshape(x_shape)


def vander(x: Tensor, N: int | None = None) -> Tensor:
    """The Vandermonde matrix with columns ``x^0, x^1, ..., x^(N-1)`` (torch.linalg.vander;
    ``N`` defaults to ``x.shape[-1]``)."""
    from ..functions import stack

    if x.ndim < 1:
        raise ValueError("linalg.vander: x must have at least 1 dimension")
    N = x.shape[-1] if N is None else N
    if N <= 1:
        raise ValueError(f"linalg.vander: N must be greater than 1, got {N}")
    powers = [x * 0 + 1]
    for _ in range(1, N):
        powers.append(powers[-1] * x)  # products, not x ** k: no 0 * inf at x = 0
    return stack(powers, dim=-1)

