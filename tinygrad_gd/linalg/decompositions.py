"""Inverses, determinants, solves and decompositions: ``tg.linalg.inv``, ``det``, ``eigh``, ...

Each is one primitive of ``ops/decomp.py`` (forward through ``xp.linalg``) wrapped with torch's
argument checks, batching and named tuples.
"""

# Matrices keep their math names (A, B, U, S, Vh), which are also torch's keyword names.
# ruff: noqa: N803, N806
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import backend
from ..ops import decomp as D
from ..ops.decomp import mT
from ..tensor import Tensor, _promote

__all__ = ["inv", "det", "slogdet", "logdet", "solve", "cholesky", "eigh", "eigvalsh", "svd",
           "svdvals", "qr", "pinv", "matrix_rank", "lstsq", "inv_ex", "cholesky_ex", "solve_ex",
           "SlogdetResult", "SolveExResult", "EighResult", "SvdResult", "QrResult", "LstsqResult"]


class SlogdetResult(NamedTuple):
    """``(sign, logabsdet)``, as ``torch.return_types.linalg_slogdet``."""

    sign: Tensor
    logabsdet: Tensor


class EighResult(NamedTuple):
    """``(eigenvalues, eigenvectors)``, as ``torch.return_types.linalg_eigh``."""

    eigenvalues: Tensor
    eigenvectors: Tensor


class SvdResult(NamedTuple):
    """``(U, S, Vh)``, as ``torch.return_types.linalg_svd``."""

    U: Tensor
    S: Tensor
    Vh: Tensor


class QrResult(NamedTuple):
    """``(Q, R)``, as ``torch.return_types.linalg_qr``."""

    Q: Tensor
    R: Tensor


class LstsqResult(NamedTuple):
    """``(solution, residuals, rank, singular_values)``, as ``torch.return_types.linalg_lstsq``."""

    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


class InvExResult(NamedTuple):
    """``(inverse, info)``, as ``torch.return_types.linalg_inv_ex``."""

    inverse: Tensor
    info: Tensor


class CholeskyExResult(NamedTuple):
    """``(L, info)``, as ``torch.return_types.linalg_cholesky_ex``."""

    L: Tensor
    info: Tensor


# ------------------------------------------------------------------------------------ checks


def as_matrix(A: Any, name: str, square: bool = False) -> Tensor:
    """``A`` as a floating Tensor of at least 2 dimensions (square ones when asked)."""
    if not isinstance(A, Tensor):
        A = Tensor(A)
    if A.ndim < 2:
        raise ValueError(f"{name}: A must have at least 2 dimensions (a matrix or a batch of "
                         f"matrices), got shape {tuple(A.shape)}")
    if square and A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name}: A must be batches of square matrices, but they are "
                         f"{A.shape[-2]} by {A.shape[-1]} matrices (shape {tuple(A.shape)})")
    check_float(A, name)
    return A


def check_float(A: Tensor, name: str) -> None:
    """LAPACK works in float32/float64: ints and float16 are refused, as in torch."""
    if not backend.is_floating(A.dtype):
        raise TypeError(f"{name}: expected a floating point tensor as input, got {A.dtype}")
    if A.dtype == np.float16:
        raise TypeError(f"{name}: float16 is not supported (low precision); use float32 or "
                        "float64")


# ---------------------------------------------------------------------------------- inverses


def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix; a singular one raises ``tg.linalg.LinAlgError``.

    >>> import tinygrad_gd as tg
    >>> tg.linalg.inv(tg.tensor([[2.0, 0.0], [0.0, 4.0]])).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    return D.Inv.apply(as_matrix(A, "linalg.inv", square=True))


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:
    """``(inverse, info)``: ``info`` is 0 where the matrix is invertible, else nonzero (and its
    inverse is NaN), unless ``check_errors`` raises instead."""
    A = as_matrix(A, "linalg.inv_ex", square=True)
    try:
        return InvExResult(inv(A), A._const(backend.xp_of(A.data).zeros(A.shape[:-2],
                                                                         dtype=np.int32)))
    except D.LinAlgError:
        if check_errors:
            raise
    xp = backend.xp_of(A.data)
    rank = xp.linalg.matrix_rank(A.data)
    ok = rank == A.shape[-1]
    safe = xp.where(ok[..., None, None], A.data, xp.eye(A.shape[-1], dtype=A.dtype))
    out = xp.where(ok[..., None, None], xp.linalg.inv(safe), xp.nan)
    return InvExResult(A._const(out.astype(A.dtype)), A._const((~ok).astype(np.int32)))


class SolveExResult(NamedTuple):
    """``(result, info)``, as ``torch.return_types.linalg_solve_ex``."""

    result: Tensor
    info: Tensor


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True,
             check_errors: bool = False) -> SolveExResult:
    """``(solve(A, B), info)``: ``info`` (A's batch shape) is 0 where ``A`` is invertible; a
    singular ``A`` gives NaN results and a nonzero ``info`` instead of an error (unless
    ``check_errors``)."""
    A = as_matrix(A, "linalg.solve_ex", square=True)
    inverse, info = inv_ex(A)
    if not bool(A.xp.any(info.data)):
        return SolveExResult(solve(A, B, left=left), info)
    if check_errors:
        raise D.LinAlgError("linalg.solve_ex: the coefficient matrix A is singular")
    B = (B if isinstance(B, Tensor) else Tensor(B, device=A.device)).detach().to(A.dtype)
    if not left:
        return SolveExResult(mT(solve_batched(mT(inverse), mT(B), False, True)), info)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    return SolveExResult(solve_batched(inverse, B, vector, True), info)


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix (differentiable where ``A`` is invertible).

    >>> import tinygrad_gd as tg
    >>> round(tg.linalg.det(tg.tensor([[1.0, 2.0], [3.0, 4.0]])).item(), 4)
    -2.0
    """
    return D.Det.apply(as_matrix(A, "linalg.det", square=True))


def slogdet(A: Tensor) -> SlogdetResult:
    """``(sign, logabsdet)`` of each square matrix: ``det = sign * exp(logabsdet)``, without
    overflow. ``sign`` carries no gradient.

    >>> import tinygrad_gd as tg
    >>> tg.linalg.slogdet(tg.tensor([[-2.0, 0.0], [0.0, 1.0]])).sign.item()
    -1.0
    """
    out = D.Slogdet.apply(as_matrix(A, "linalg.slogdet", square=True))
    return SlogdetResult(out.detach()[..., 0], out[..., 1])


def logdet(A: Tensor) -> Tensor:
    """``log det A`` (NaN where the determinant is negative, ``-inf`` where it is 0; as torch)."""
    sign, logabs = slogdet(A)
    xp = backend.xp_of(sign.data)
    fix = xp.where(sign.data < 0, xp.nan, xp.where(sign.data == 0, -xp.inf, 0.0))
    return logabs + logabs._const(fix.astype(logabs.dtype)) if bool(xp.any(fix)) else logabs


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """The ``X`` with ``A X = B`` (``X A = B`` when ``left=False``), batched and broadcasting.

    ``B`` is a (batch of) vector(s) when it has 1 dimension or the shape ``A.shape[:-1]``, as in
    torch; otherwise a (batch of) matrices.

    >>> import tinygrad_gd as tg
    >>> tg.linalg.solve(tg.tensor([[2.0, 0.0], [0.0, 4.0]]), tg.tensor([1.0, 1.0])).tolist()
    [0.5, 0.25]
    """
    A = as_matrix(A, "linalg.solve", square=True)
    B = B if isinstance(B, Tensor) else Tensor(B, device=A.device)
    if B.ndim < 1:
        raise ValueError("linalg.solve: B must have at least 1 dimension, got a 0-d tensor")
    if not left:
        if B.ndim < 2:
            raise ValueError("linalg.solve: with left=False, B must be a matrix, got shape "
                             f"{tuple(B.shape)}")
        return mT(solve(mT(A), mT(B)))
    check_float(B, "linalg.solve")
    if A.dtype != B.dtype:
        A, B = _promote(A, B)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    return solve_batched(A, B, vector)


def solve_batched(A: Tensor, B: Tensor, vector: bool, multiply: bool = False) -> Tensor:
    """``solve`` once the case is known: ``B`` a (batch of) vector(s) or matrices
    (``multiply``: ``A @ B`` with the same broadcasting, for an ``A`` that is an inverse)."""
    Bm = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if Bm.shape[-2] != n:
        raise ValueError(f"linalg.solve: A {tuple(A.shape)} and B {tuple(B.shape)} do not fit: "
                         f"B needs {n} rows")
    try:
        batch = np.broadcast_shapes(A.shape[:-2], Bm.shape[:-2])
    except ValueError:
        raise ValueError(f"linalg.solve: batch dimensions of A {tuple(A.shape)} and B "
                         f"{tuple(B.shape)} do not broadcast") from None
    A, Bm = A.broadcast_to(batch + (n, n)), Bm.broadcast_to(batch + Bm.shape[-2:])
    X = A @ Bm if multiply else D.Solve.apply(A, Bm)
    return X.squeeze(-1) if vector else X


def pinv(A: Tensor, *, atol: float | None = None, rtol: float | None = None,
         hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse, from the SVD (``eigh`` when ``hermitian``); singular
    values at most ``max(atol, rtol * largest)`` are treated as 0 (torch's defaults)."""
    A = as_matrix(A, "linalg.pinv")
    m, n = A.shape[-2:]
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else float(np.finfo(A.dtype).eps) * max(m, n)
    atol = 0.0 if atol is None else atol
    if hermitian:
        w, V = eigh(A)
        s, U, Vh = w, V, mT(V)
        mag = w.abs()
    else:
        U, s, Vh = svd(A, full_matrices=False)
        mag = s
    if s.shape[-1] == 0:
        return mT(A) * 0.0
    cut = (mag.detach().amax(dim=-1, keepdim=True) * rtol).data
    keep = mag.data > backend.xp_of(cut).maximum(cut, atol)
    from ..tensor_ops import where

    s_safe = where(A._const(keep), s, 1.0)
    s_inv = where(A._const(keep), 1.0 / s_safe, 0.0)
    return mT(Vh) @ (s_inv.unsqueeze(-1) * mT(U))


def matrix_rank(A: Tensor, *, atol: float | None = None, rtol: float | None = None,
                hermitian: bool = False) -> Tensor:
    """The number of singular values above ``max(atol, rtol * largest)`` (an int64 tensor)."""
    A = as_matrix(A, "linalg.matrix_rank")
    m, n = A.shape[-2:]
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else float(np.finfo(A.dtype).eps) * max(m, n)
    atol = 0.0 if atol is None else atol
    xp = backend.xp_of(A.data)
    s = xp.abs(xp.linalg.eigvalsh(A.data)) if hermitian else xp.linalg.svd(A.data,
                                                                            compute_uv=False)
    if s.shape[-1] == 0:
        return A._const(xp.zeros(A.shape[:-2], dtype=np.int64))
    tol = xp.maximum(atol, rtol * s.max(axis=-1, keepdims=True))
    return A._const(xp.asarray((s > tol).sum(axis=-1), dtype=np.int64))


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *,
          driver: str | None = None) -> LstsqResult:
    """Least-squares solution of ``A X = B`` (minimum norm when ``A`` is rank deficient).

    As torch's CPU default driver ``"gelsy"``: ``rank`` is returned, ``residuals`` and
    ``singular_values`` are empty; ``"gelsd"``/``"gelss"`` also return the singular values and,
    for full-rank tall ``A``, the squared residuals.
    """
    A = as_matrix(A, "linalg.lstsq")
    B = B if isinstance(B, Tensor) else Tensor(B, device=A.device)
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise ValueError(f"linalg.lstsq: driver must be gels, gelsy, gelsd or gelss, got "
                         f"{driver!r}")
    if A.dtype != B.dtype:
        A, B = _promote(A, B)
    vector = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vector else B
    m, n = A.shape[-2:]
    if Bm.ndim < 2 or Bm.shape[-2] != m:
        raise ValueError(f"linalg.lstsq: A {tuple(A.shape)} and B {tuple(B.shape)} do not fit: "
                         f"B needs {m} rows")
    X = pinv(A, rtol=rcond) @ Bm
    xp = backend.xp_of(A.data)
    empty = A._const(xp.zeros((0,), dtype=A.dtype))
    rank = matrix_rank(A, rtol=rcond) if driver != "gels" else A._const(
        xp.zeros((0,), dtype=np.int64))
    sv, res = empty, empty
    if driver in ("gelsd", "gelss"):
        sv = svdvals(A).detach()
    if driver != "gelsy" and m > n and bool(xp.all(matrix_rank(A).data == n)):
        res = ((A @ X - Bm) ** 2).sum(dim=-2)
    if vector:
        X = X.squeeze(-1)
        res = res.squeeze(-1) if res.ndim else res
    return LstsqResult(X, res, rank, sv)


# ----------------------------------------------------------------------------- decompositions


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor ``L`` (``A = L L^T``; ``U = L^T`` when ``upper``) of symmetric
    positive-definite matrices; only the lower triangle of ``A`` is read, as in torch.

    >>> import tinygrad_gd as tg
    >>> tg.linalg.cholesky(tg.tensor([[4.0, 2.0], [2.0, 2.0]])).tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """
    L = D.Cholesky.apply(as_matrix(A, "linalg.cholesky", square=True))
    return mT(L) if upper else L


def cholesky_ex(A: Tensor, *, upper: bool = False,
                check_errors: bool = False) -> CholeskyExResult:
    """``(L, info)``: ``info`` is 0 for positive-definite matrices, else nonzero (unless
    ``check_errors`` raises)."""
    A = as_matrix(A, "linalg.cholesky_ex", square=True)
    try:
        L = cholesky(A, upper=upper)
        return CholeskyExResult(L, A._const(backend.xp_of(A.data).zeros(A.shape[:-2],
                                                                         dtype=np.int32)))
    except D.LinAlgError:
        if check_errors:
            raise
    xp = backend.xp_of(A.data)
    flat = A.data.reshape((-1,) + A.shape[-2:])
    info = np.zeros(flat.shape[0], dtype=np.int32)
    out = xp.zeros_like(flat)
    for i in range(flat.shape[0]):
        try:
            out[i] = xp.linalg.cholesky(flat[i])
        except np.linalg.LinAlgError:
            info[i] = 1
    out = out.reshape(A.shape)
    return CholeskyExResult(A._const(xp.swapaxes(out, -1, -2) if upper else out),
                            A._const(xp.asarray(info.reshape(A.shape[:-2]))))


def _check_uplo(UPLO: str, name: str) -> None:  # noqa: N803 - torch's name
    if UPLO not in ("L", "U"):
        raise ValueError(f"{name}: UPLO must be 'L' or 'U', got {UPLO!r}")


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:  # noqa: N803 - torch's name
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of symmetric matrices;
    only the triangle ``UPLO`` of ``A`` is read. The eigenvectors' gradient needs distinct
    eigenvalues, as in torch.

    >>> import tinygrad_gd as tg
    >>> tg.linalg.eigh(tg.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues.tolist()
    [1.0, 3.0]
    """
    A = as_matrix(A, "linalg.eigh", square=True)
    _check_uplo(UPLO, "linalg.eigh")
    n = A.shape[-1]
    w, V = D.unpack(D.Eigh.apply(A, uplo=UPLO), [(n,), (n, n)])
    return EighResult(w, V)


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803 - torch's name
    """The eigenvalues (ascending) of symmetric matrices; differentiable even where they
    repeat (the eigenvectors' term is never formed)."""
    A = as_matrix(A, "linalg.eigvalsh", square=True)
    return eigh(A, UPLO).eigenvalues


def svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None) -> SvdResult:
    """``A = U diag(S) Vh`` with descending ``S``; ``full_matrices=False`` gives the reduced
    form. Gradients of ``U``/``Vh`` need distinct nonzero singular values, as in torch.

    >>> import tinygrad_gd as tg
    >>> tg.linalg.svd(tg.tensor([[3.0, 0.0], [0.0, -4.0]])).S.tolist()
    [4.0, 3.0]
    """
    A = as_matrix(A, "linalg.svd")
    m, n = A.shape[-2:]
    full = bool(full_matrices) and m != n
    k = min(m, n)
    ku, kv = (m, n) if full else (k, k)
    U, S, V = D.unpack(D.Svd.apply(A, full_matrices=full), [(m, ku), (k,), (n, kv)])
    return SvdResult(U, S, mT(V))


def svdvals(A: Tensor, *, driver: str | None = None) -> Tensor:
    """The singular values, descending (the gradient ``U diag(g) Vh`` needs no distinct ones)."""
    return svd(as_matrix(A, "linalg.svdvals"), full_matrices=False).S


def qr(A: Tensor, mode: str = "reduced") -> QrResult:
    """``A = Q R`` with orthonormal ``Q`` and upper-triangular ``R``; ``mode`` is "reduced",
    "complete" or "r" (``Q`` empty). Differentiable for full-rank inputs, except
    "complete" with more rows than columns (as torch).

    >>> import tinygrad_gd as tg
    >>> q, r = tg.linalg.qr(tg.tensor([[3.0, 1.0], [4.0, 2.0]], dtype="float64"))
    >>> round(abs(r[0, 0].item()), 6)
    5.0
    """
    A = as_matrix(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    m, n = A.shape[-2:]
    kq = m if mode == "complete" else min(m, n)
    Q, R = D.unpack(D.Qr.apply(A, mode="complete" if mode == "complete" else "reduced"),
                    [(m, kq), (kq, n)])
    if mode == "r":
        Q = A._const(backend.xp_of(A.data).zeros((0,), dtype=A.dtype))
    return QrResult(Q, R)
