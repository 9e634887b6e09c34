"""Linear algebra methods (mm, bmm, mv, addmm, det, inverse, ...) and their ``tg.X`` forms.

The implementations live in ``tinygrad_gd.linalg``; they are imported inside each function
because ``tensor.py`` imports this module (a top-level import would be circular).
"""

# Matrices keep their math names (A, B, U, S, Vh), which are also torch's keyword names.
# ruff: noqa: N803, N806
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["mm", "bmm", "mv", "addmm", "addmv", "addbmm", "baddbmm", "addr", "einsum",
           "tensordot", "kron", "cross", "cdist", "inner", "vdot", "matrix_power",
           "chain_matmul", "matrix_exp", "det", "logdet", "slogdet", "inverse", "cholesky",
           "pinverse", "svd", "cholesky_solve", "cholesky_inverse", "ger", "SvdLegacyResult"]


class SvdLegacyResult(NamedTuple):
    """``(U, S, V)`` of the legacy ``torch.svd`` (``V``, not ``Vh``)."""

    U: Tensor
    S: Tensor
    V: Tensor


class LinalgMethods:
    """Mixin of ``Tensor``: linear algebra methods, with torch's names and semantics."""

    __slots__ = ()

    def mm(self, mat2: Any) -> Tensor:
        """Matrix product of two 2-D tensors."""
        return mm(self, mat2)

    def bmm(self, mat2: Any) -> Tensor:
        """Batched matrix product of two 3-D tensors with equal batch sizes."""
        return bmm(self, mat2)

    def mv(self, vec: Any) -> Tensor:
        """Matrix-vector product."""
        return mv(self, vec)

    def addmm(self, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """``beta * self + alpha * (mat1 @ mat2)``."""
        return addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """``beta * self + alpha * (mat @ vec)``."""
        return addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """``beta * self + alpha * sum_b(batch1[b] @ batch2[b])``."""
        return addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """``beta * self + alpha * bmm(batch1, batch2)``."""
        return baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addr(self, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """``beta * self + alpha * outer(vec1, vec2)``."""
        return addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def inner(self, other: Any) -> Tensor:
        """Sum of products over the last dimension."""
        return inner(self, other)

    def vdot(self, other: Any) -> Tensor:
        """Dot product of two 1-D tensors."""
        return vdot(self, other)

    def kron(self, other: Any) -> Tensor:
        """Kronecker product."""
        return kron(self, other)

    def cross(self, other: Any, dim: int | None = None) -> Tensor:
        """Cross product of 3-vectors along ``dim`` (default: the first dimension of size 3)."""
        return cross(self, other, dim)

    def matrix_power(self, n: int) -> Tensor:
        """``self`` to the integer power ``n`` (matrix product)."""
        return matrix_power(self, n)

    def matrix_exp(self) -> Tensor:
        """Matrix exponential of each square matrix."""
        return matrix_exp(self)

    def det(self) -> Tensor:
        """Determinant of each square matrix."""
        return det(self)

    def logdet(self) -> Tensor:
        """``log det`` (NaN for a negative determinant, as torch)."""
        return logdet(self)

    def slogdet(self) -> Any:
        """``(sign, logabsdet)`` of each square matrix."""
        return slogdet(self)

    def inverse(self) -> Tensor:
        """Inverse of each square matrix."""
        return inverse(self)

    def cholesky(self, upper: bool = False) -> Tensor:
        """Cholesky factor of symmetric positive-definite matrices."""
        return cholesky(self, upper)

    def pinverse(self, rcond: float = 1e-15) -> Tensor:
        """Moore-Penrose pseudo-inverse (singular values below ``rcond * largest`` dropped)."""
        return pinverse(self, rcond)

    def svd(self, some: bool = True, compute_uv: bool = True) -> SvdLegacyResult:
        """Legacy ``torch.svd``: ``(U, S, V)``."""
        return svd(self, some, compute_uv)

    def cholesky_solve(self, input2: Tensor, upper: bool = False) -> Tensor:
        """Solve ``A X = self`` given the Cholesky factor ``input2`` of ``A``."""
        return cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper: bool = False) -> Tensor:
        """``A^-1`` from its Cholesky factor ``self``."""
        return cholesky_inverse(self, upper)

    def ger(self, vec2: Any) -> Tensor:
        """Outer product (torch's old name for ``outer``)."""
        return ger(self, vec2)


# ----------------------------------------------------------------------- tg.X function forms


def mm(input: Tensor, mat2: Any) -> Tensor:  # noqa: A002 - torch's name
    """Matrix product of two 2-D tensors (no broadcasting).

    >>> import tinygrad_gd as tg
    >>> tg.mm(tg.eye(2), tg.tensor([[1.0], [2.0]])).tolist()
    [[1.0], [2.0]]
    """
    from ..linalg import products

    return products.mm(input, mat2)


def bmm(input: Tensor, mat2: Any) -> Tensor:  # noqa: A002
    """Batched matrix product of ``(b, n, m)`` and ``(b, m, p)``."""
    from ..linalg import products

    return products.bmm(input, mat2)


def mv(input: Tensor, vec: Any) -> Tensor:  # noqa: A002
    """Matrix-vector product ``(n, m) @ (m,)``."""
    from ..linalg import products

    return products.mv(input, vec)


def addmm(input: Any, mat1: Tensor, mat2: Any, *, beta: Any = 1,  # noqa: A002
          alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``."""
    from ..linalg import products

    return products.addmm(input, mat1, mat2, beta=beta, alpha=alpha)


def addmv(input: Any, mat: Tensor, vec: Any, *, beta: Any = 1,  # noqa: A002
          alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    from ..linalg import products

    return products.addmv(input, mat, vec, beta=beta, alpha=alpha)


def addbmm(input: Any, batch1: Tensor, batch2: Any, *, beta: Any = 1,  # noqa: A002
           alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    from ..linalg import products

    return products.addbmm(input, batch1, batch2, beta=beta, alpha=alpha)


def baddbmm(input: Any, batch1: Tensor, batch2: Any, *, beta: Any = 1,  # noqa: A002
            alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    from ..linalg import products

    return products.baddbmm(input, batch1, batch2, beta=beta, alpha=alpha)


def addr(input: Any, vec1: Tensor, vec2: Any, *, beta: Any = 1,  # noqa: A002
         alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    from ..linalg import products

    return products.addr(input, vec1, vec2, beta=beta, alpha=alpha)


def einsum(*args: Any) -> Tensor:
    """Einstein summation, as ``torch.einsum`` (see ``tinygrad_gd.linalg.einsum``).

    >>> import tinygrad_gd as tg
    >>> tg.einsum("i,i->", tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0])).item()
    11.0
    """
    from ..linalg import einsum as E

    return E.einsum(*args)


def tensordot(a: Tensor, b: Any, dims: Any = 2) -> Tensor:
    """Sum of products over ``dims`` (an int, or a pair of dim lists)."""
    from ..linalg import products

    return products.tensordot(a, b, dims)


def kron(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """Kronecker product."""
    from ..linalg import products

    return products.kron(input, other)


def cross(input: Tensor, other: Any, dim: int | None = None) -> Tensor:  # noqa: A002
    """Cross product of 3-vectors along ``dim`` (None: the first dimension of size 3)."""
    from ..linalg import products

    return products.cross(input, other, dim)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str | None = None) -> Tensor:
    """Pairwise p-norm distances between the rows of ``x1`` and ``x2``."""
    from ..linalg import products

    return products.cdist(x1, x2, p, compute_mode)


def inner(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """Sum of products over the last dimension."""
    from ..linalg import products

    return products.inner(input, other)


def vdot(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """Dot product of two 1-D tensors."""
    from ..linalg import products

    return products.vdot(input, other)


def matrix_power(input: Tensor, n: int) -> Tensor:  # noqa: A002
    """Integer matrix power (negative ``n``: powers of the inverse)."""
    from ..linalg import products

    return products.matrix_power(input, n)


def chain_matmul(*matrices: Tensor) -> Tensor:
    """Product of 2-D matrices, left to right."""
    from ..linalg import products

    return products.chain_matmul(*matrices)


def matrix_exp(input: Tensor) -> Tensor:  # noqa: A002
    """Matrix exponential (torch.matrix_exp)."""
    from ..linalg import matrix_exp as matrix_exp_

    return matrix_exp_(input)


def det(input: Tensor) -> Tensor:  # noqa: A002
    """Determinant (torch.det)."""
    from ..linalg import det as det_

    return det_(input)


def logdet(input: Tensor) -> Tensor:  # noqa: A002
    """``log det`` (NaN for a negative determinant)."""
    from ..linalg.decompositions import logdet as logdet_

    return logdet_(input)


def slogdet(input: Tensor) -> Any:  # noqa: A002
    """``(sign, logabsdet)`` (torch.slogdet)."""
    from ..linalg import slogdet as slogdet_

    return slogdet_(input)


def inverse(input: Tensor) -> Tensor:  # noqa: A002
    """Matrix inverse (torch.inverse)."""
    from ..linalg import inv

    return inv(input)


def cholesky(input: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """Cholesky factor (torch.cholesky; prefer ``tg.linalg.cholesky``)."""
    from ..linalg import cholesky as cholesky_

    return cholesky_(input, upper=upper)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    """Pseudo-inverse with torch.pinverse's relative cutoff ``rcond``."""
    from ..linalg import pinv

    return pinv(input, rtol=rcond)


def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> SvdLegacyResult:  # noqa: A002
    """Legacy ``torch.svd``: ``(U, S, V)`` with ``V`` (not ``Vh``); ``some=False`` gives full
    ``U``/``V``; ``compute_uv=False`` gives zero-filled full ``U``/``V`` (as torch)."""
    from ..linalg import svd as svd_
    from ..linalg import svdvals

    if not compute_uv:
        m, n = input.shape[-2:]
        xp, batch = input.xp, input.shape[:-2]
        return SvdLegacyResult(input._const(xp.zeros(batch + (m, m), dtype=input.dtype)),
                               svdvals(input),
                               input._const(xp.zeros(batch + (n, n), dtype=input.dtype)))
    U, S, Vh = svd_(input, full_matrices=not some)
    return SvdLegacyResult(U, S, Vh.transpose(-1, -2))


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:
    """Solve ``A X = B`` for ``A = L L^T`` (``U^T U`` when ``upper``) given the factor ``L``.

    >>> import tinygrad_gd as tg
    >>> L = tg.tensor([[2.0, 0.0], [1.0, 1.0]])
    >>> tg.cholesky_solve(tg.tensor([[4.0], [2.0]]), L).tolist()
    [[1.0], [0.0]]
    """
    from ..linalg.decompositions import solve_batched

    low = L.transpose(-1, -2) if upper else L
    y = solve_batched(low, B, False)
    return solve_batched(low.transpose(-1, -2), y, False)


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:
    """``A^-1`` for ``A = L L^T`` (``U^T U`` when ``upper``) given the factor."""
    from ..linalg import inv

    low = L.transpose(-1, -2) if upper else L
    return inv(low @ low.transpose(-1, -2))


def ger(input: Tensor, vec2: Any) -> Tensor:  # noqa: A002
    """Outer product of two 1-D tensors (torch.ger, an old name of ``outer``)."""
    return input.outer(vec2)
