"""``tg.linalg``: torch.linalg's functions, differentiable where torch's are.

Decompositions and solves run one ``xp.linalg`` call forward (NumPy, or CuPy on a GPU); their
backward rules are Tensor ops, so gradients of gradients work. Leading batch dimensions are
accepted everywhere, as in torch.

>>> import tinygrad_gd as tg
>>> A = tg.tensor([[4.0, 1.0], [1.0, 3.0]], dtype="float64", requires_grad=True)
>>> tg.linalg.det(A).backward()
>>> A.grad.numpy().round(6).tolist()   # det(A) * A^-T
[[3.0, -1.0], [-1.0, 4.0]]
"""

# Matrices keep their math names (A, B, U, S, Vh), which are also torch's keyword names.
# ruff: noqa: N803, N806
from __future__ import annotations

from typing import Any

from ..ops.decomp import LinAlgError
from ..tensor import Tensor
from .decompositions import (
    CholeskyExResult,
    EighResult,
    InvExResult,
    LstsqResult,
    QrResult,
    SlogdetResult,
    SolveExResult,
    SvdResult,
    cholesky,
    cholesky_ex,
    det,
    eigh,
    eigvalsh,
    inv,
    inv_ex,
    lstsq,
    matrix_rank,
    pinv,
    qr,
    slogdet,
    solve,
    solve_ex,
    svd,
    svdvals,
)
from .einsum import diagonal
from .extras import matrix_exp, tensorinv, tensorsolve, vander
from .norms import cond, matrix_norm, norm, vector_norm
from .products import matrix_power, multi_dot, vecdot
from .products import linalg_cross as cross

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh",
           "eigvalsh", "inv", "inv_ex", "lstsq", "matmul", "matrix_exp", "matrix_norm",
           "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve",
           "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve",
           "vander", "vecdot", "vector_norm", "CholeskyExResult", "EighResult", "InvExResult",
           "LstsqResult", "QrResult", "SlogdetResult", "SolveExResult", "SvdResult"]


def matmul(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """``input @ other`` (torch.linalg.matmul, an alias of torch.matmul)."""
    return input.matmul(other)


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """Solve ``A X = B`` (``X A = B`` when ``left=False``) reading only the triangle of ``A``
    that ``upper`` names (its diagonal taken as ones when ``unitriangular``)."""
    from ..ops.decomp import eye_like
    from ..tensor import _promote
    from .decompositions import as_matrix, solve_batched

    A = as_matrix(A, "linalg.solve_triangular", square=True)
    B = B if isinstance(B, Tensor) else Tensor(B, device=A.device)
    if B.ndim < 2:
        raise ValueError(f"linalg.solve_triangular: B must be a matrix or a batch of matrices, "
                         f"got shape {tuple(B.shape)}")
    if A.dtype != B.dtype:
        A, B = _promote(A, B)
    n = A.shape[-1]
    xp = A.xp
    mask = xp.triu(xp.ones((n, n), dtype=A.dtype), 1 if unitriangular else 0) if upper else \
        xp.tril(xp.ones((n, n), dtype=A.dtype), -1 if unitriangular else 0)
    T = A * A._const(mask)
    if unitriangular:
        T = T + eye_like(A, n)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return solve_batched(T.transpose(-1, -2), B.transpose(-1, -2), False).transpose(-1, -2)
    return solve_batched(T, B, False)
