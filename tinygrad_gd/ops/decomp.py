"""Matrix functions and decompositions: one primitive each, forward through ``xp.linalg``.

Every backward rule is written in Tensor ops (matmul, solve, inv, ... are themselves these
primitives), so gradients of gradients work. A decomposition with several outputs (eigh, svd,
qr, slogdet) has one primitive whose output packs them along a flat last axis; the functions of
``tinygrad_gd.linalg`` unpack it with differentiable slicing, and backward unpacks the gradient
the same way. Batch dimensions come first, as in torch.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..autograd import forward_ad as fw
from ..autograd.engine import Primitive

if TYPE_CHECKING:
    from ..tensor import Tensor


class LinAlgError(RuntimeError):
    """A matrix the operation cannot handle: singular, not positive-definite, no convergence.

    A ``RuntimeError``, as torch's ``torch.linalg.LinAlgError`` is.
    """


# ------------------------------------------------------------------------------ array helpers


def lapack(fn: Any, a: Any, name: str, what: str, *args: Any, **kw: Any) -> Any:
    """Call ``fn(a, ...)``; a failure (NumPy raises, CuPy gives non-finite values) becomes a
    ``LinAlgError`` that names the op, the problem and the first failing batch element."""
    xp = backend.xp_of(a)
    try:
        out = fn(a, *args, **kw)
    except np.linalg.LinAlgError:
        raise LinAlgError(f"{name}: {what}{_where(fn, a, args, kw)}") from None
    if xp is not np:  # cuSOLVER reports failures as NaN/inf in the result, not as an error
        first = out[0] if isinstance(out, tuple) else out
        if not bool(xp.isfinite(first).all()) and bool(xp.isfinite(a).all()):
            raise LinAlgError(f"{name}: {what}")
    return out


def _where(fn: Any, a: Any, args: tuple, kw: dict) -> str:
    """`` (batch element (i, j))`` for the first matrix of a batch that fails (error path only)."""
    batch = a.shape[:-2]
    if not batch:
        return ""
    for idx in np.ndindex(*batch):
        try:
            fn(a[idx], *args, **kw)
        except np.linalg.LinAlgError:
            return f" (batch element {idx})"
    return ""


def pack(xp: Any, arrays: list, batch: tuple) -> Any:
    """The arrays' trailing (non-batch) parts laid end to end along one last axis."""
    flat = [a.reshape(batch + (math.prod(a.shape[len(batch):]),)) for a in arrays]
    return xp.concatenate(flat, axis=-1)


def unpack(t: Tensor, shapes: list[tuple[int, ...]]) -> list[Tensor]:
    """The inverse of ``pack`` on Tensors (differentiable slices and reshapes)."""
    batch = t.shape[:-1]
    out, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        out.append(t[..., start:start + size].reshape(batch + tuple(shape)))
        start += size
    return out


# ----------------------------------------------------------------------------- Tensor helpers


def mT(t: Tensor) -> Tensor:  # noqa: N802 - torch's name
    """The last two dimensions swapped."""
    return t.transpose(-1, -2)


def eye_like(t: Tensor, n: int) -> Tensor:
    """A constant ``n x n`` identity of ``t``'s dtype and device."""
    return t._const(backend.xp_of(t.data).eye(n, dtype=t.dtype))


def tri_mask(t: Tensor, n: int, m: int | None = None, k: int = 0) -> Tensor:
    """A constant lower-triangular mask (ones on and below diagonal ``k``)."""
    xp = backend.xp_of(t.data)
    return t._const(xp.tril(xp.ones((n, n if m is None else m), dtype=t.dtype), k))


def diag_embed(v: Tensor) -> Tensor:
    """``(..., n)`` -> the ``(..., n, n)`` matrices with ``v`` on the diagonal."""
    return v.unsqueeze(-1) * eye_like(v, v.shape[-1])


def any_nonzero(t: Tensor) -> bool:
    """Whether a gradient has any nonzero entry (skip the terms of outputs nobody used)."""
    return bool(backend.xp_of(t.data).any(t.data))


def solve_t(a: Tensor, b: Tensor) -> Tensor:
    """``a^-1 b`` for same-batch ``a (..., n, n)`` and ``b (..., n, k)``, differentiable."""
    return Solve.apply(a, b)


def right_solve_t(x: Tensor, r: Tensor) -> Tensor:
    """``x r^-T`` (a solve from the right), as ``(r^-1 x^T)^T``."""
    batch = np.broadcast_shapes(x.shape[:-2], r.shape[:-2])
    xt = mT(x).broadcast_to(batch + (x.shape[-1], x.shape[-2]))
    return mT(Solve.apply(r.broadcast_to(batch + r.shape[-2:]), xt))


def inv_t(a: Tensor, name: str) -> Tensor:
    """``a^-1`` inside a backward rule; a singular ``a`` gets an error naming the op."""
    try:
        return Inv.apply(a)
    except LinAlgError:
        raise LinAlgError(f"{name}: the gradient needs an invertible matrix, and this one is "
                          "singular") from None


# --------------------------------------------------------------------------------- primitives


class Inv(Primitive):
    """``A^-1``; ``dA = -A^-T g A^-T``."""

    saves_inputs = False
    saves_output = True

    def forward(self, a):
        return lapack(backend.xp_of(a).linalg.inv, a, "linalg.inv",
                      "the input matrix is singular, so it has no inverse")

    def jvp(self, ta, *rest):
        y = self.output
        return -(y @ ta @ y)

    def backward(self, g):
        inv_t_ = mT(self.output)
        return -(inv_t_ @ g @ inv_t_)


class Det(Primitive):
    """``det A``; ``dA = g det(A) A^-T`` (needs an invertible ``A``)."""

    saves_output = True

    def forward(self, a):
        return backend.xp_of(a).linalg.det(a)

    def jvp(self, ta, *rest):
        (a,) = self.inputs
        tr = (mT(inv_t(a, "linalg.det")) * ta).sum(axis=(-2, -1))  # tr(A^-1 tA)
        return self.output * tr

    def backward(self, g):
        (a,) = self.inputs
        scale = (g * self.output).unsqueeze(-1).unsqueeze(-1)
        return scale * mT(inv_t(a, "linalg.det"))


_SLOGDET_PICK = np.array([0.0, 1.0])  # the tangent of (sign, log|det|) is (0, d log)


class Slogdet(Primitive):
    """``(sign, log|det A|)`` packed along a last axis of 2; only the log has a gradient,
    ``dA = g A^-T``."""

    def forward(self, a):
        xp = backend.xp_of(a)
        sign, logabs = xp.linalg.slogdet(a)
        return xp.stack([sign.astype(a.dtype), logabs.astype(a.dtype)], axis=-1)

    def jvp(self, ta, *rest):
        (a,) = self.inputs
        dlog = (mT(inv_t(a, "linalg.slogdet")) * ta).sum(axis=(-2, -1))
        return dlog.unsqueeze(-1) * ta._const(_SLOGDET_PICK.astype(ta.dtype))

    def backward(self, g):
        (a,) = self.inputs
        return g[..., 1].unsqueeze(-1).unsqueeze(-1) * mT(inv_t(a, "linalg.slogdet"))


class Solve(Primitive):
    """``X = A^-1 B`` for ``A (..., n, n)``, ``B (..., n, k)`` of one batch shape;
    ``dB = A^-T g``, ``dA = -dB X^T``."""

    saves_output = True

    def forward(self, a, b):
        return lapack(backend.xp_of(a).linalg.solve, a, "linalg.solve",
                      "the coefficient matrix A is singular, so the system has no unique "
                      "solution", b)

    def jvp(self, ta, tb, *rest):
        a, b = self.inputs
        x = self.output
        rhs = fw.tsum(tb, -(ta @ x) if ta is not None else None)
        return Solve.apply(a, rhs)

    def backward(self, g):
        a, _ = self.inputs
        gb = Solve.apply(mT(a), g)
        ga = -(gb @ mT(self.output)) if self.needs_grad(0) else None
        return ga, gb


class Cholesky(Primitive):
    """Lower ``L`` with ``A = L L^T`` (reads the lower triangle of ``A``, as torch).

    Backward (torch's): ``P = tril(L^T g)`` with a halved diagonal, symmetrised, then
    ``dA = L^-T P L^-1``.
    """

    saves_inputs = False
    saves_output = True

    def forward(self, a):
        return lapack(backend.xp_of(a).linalg.cholesky, a, "linalg.cholesky",
                      "the input is not positive-definite, so the factorization could not "
                      "be completed")

    def backward(self, g):
        low = self.output
        n = low.shape[-1]
        phi = (mT(low) @ g) * tri_mask(low, n)
        phi = 0.5 * (phi + mT(phi * tri_mask(low, n, k=-1)))
        left = Solve.apply(mT(low), phi)                                 # L^-T P
        return mT(Solve.apply(mT(low), mT(left)))                         # (L^-T P) L^-1


class Eigh(Primitive):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices, packed
    ``[w (n), V (n, n)]``.

    ``dA = V (diag(gw) + F * (V^T gV)) V^T`` with ``F_ij = 1 / (w_j - w_i)`` off the diagonal;
    the ``F`` term is skipped when the eigenvectors get no gradient (``eigvalsh``), so repeated
    eigenvalues are fine there, as in torch.
    """

    saves_inputs = False
    saves_output = True

    def forward(self, a, uplo):
        xp = backend.xp_of(a)
        w, v = lapack(xp.linalg.eigh, a, "linalg.eigh", "the eigenvalue algorithm did not "
                      "converge", UPLO=uplo)
        return pack(xp, [w.astype(a.dtype), v], a.shape[:-2])

    def backward(self, g):
        n = math.isqrt(self.output.shape[-1])
        w, v = unpack(self.output, [(n,), (n, n)])
        gw, gv = unpack(g, [(n,), (n, n)])
        inner = diag_embed(gw)
        if any_nonzero(gv):
            eye = eye_like(w, n)
            gap = w.unsqueeze(-2) - w.unsqueeze(-1) + eye   # w_j - w_i, 1 on the diagonal
            inner = inner + (mT(v) @ gv) * (1.0 - eye) / gap
        return v @ inner @ mT(v)


class Svd(Primitive):
    """``U, S, Vh`` packed ``[U (m, ku), S (k), V (n, kv)]`` (V = Vh^T; ``ku = kv = k`` for the
    reduced form, ``m`` and ``n`` for the full one).

    Backward is torch's ``svd_backward`` for the reduced SVD; with ``full_matrices=True`` the
    extra columns, which are not unique, get no gradient (as in torch).
    """

    saves_inputs = False
    saves_output = True

    def forward(self, a, full_matrices):
        xp = backend.xp_of(a)
        self.m, self.n = a.shape[-2:]
        u, s, vh = lapack(xp.linalg.svd, a, "linalg.svd", "the SVD did not converge",
                          full_matrices=full_matrices)
        self.shapes = [u.shape[-2:], s.shape[-1:], (vh.shape[-1], vh.shape[-2])]
        return pack(xp, [u, s.astype(a.dtype), backend.xp_of(a).swapaxes(vh, -1, -2)],
                    a.shape[:-2])

    def backward(self, g):
        m, n = self.m, self.n
        k = min(m, n)
        u, s, v = unpack(self.output, self.shapes)
        gu, gs, gv = unpack(g, self.shapes)
        u, gu, v, gv = u[..., :k], gu[..., :k], v[..., :k], gv[..., :k]
        has_u, has_v = any_nonzero(gu), any_nonzero(gv)
        if not has_u and not has_v:  # svdvals: U diag(gS) V^T
            return u @ (gs.unsqueeze(-1) * mT(v))
        eye = eye_like(s, k)
        s2 = s * s
        gap = s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye   # S_j^2 - S_i^2, 1 on the diagonal
        inner = diag_embed(gs)
        if has_u:
            uhgu = mT(u) @ gu
            inner = inner + (uhgu - mT(uhgu)) * s.unsqueeze(-2) / gap
        if has_v:
            vhgv = mT(v) @ gv
            inner = inner + s.unsqueeze(-1) * (vhgv - mT(vhgv)) / gap
        if m > n and has_u:  # U's columns span only part of R^m: the rest of gU, projected
            gu_sinv = gu / s.unsqueeze(-2)
            return (u @ inner + gu_sinv - u @ (mT(u) @ gu_sinv)) @ mT(v)
        if m < n and has_v:
            sinv_gvh = mT(gv) / s.unsqueeze(-1)
            return u @ (inner @ mT(v) + sinv_gvh - (sinv_gvh @ v) @ mT(v))
        return u @ inner @ mT(v)


class Qr(Primitive):
    """``Q, R`` packed ``[Q (m, kq), R (kq, n)]``.

    Backward (for ``m >= n``, reduced, full rank; and ``m < n`` through the square part):
    ``M = tril(Q^T gQ - gQ^T Q + R gR^T - gR R^T)``,
    ``dA = Q (gR + M R^-T) + (gQ - Q Q^T gQ) R^-T``.
    """

    saves_output = True  # and the input: the wide case reads A's trailing columns

    def forward(self, a, mode):
        xp = backend.xp_of(a)
        self.m, self.n, self.mode = a.shape[-2], a.shape[-1], mode
        q, r = lapack(xp.linalg.qr, a, "linalg.qr", "the QR decomposition failed", mode=mode)
        self.shapes = [q.shape[-2:], r.shape[-2:]]
        return pack(xp, [q, r], a.shape[:-2])

    def backward(self, g):
        m, n = self.m, self.n
        if self.mode == "complete" and m > n:
            raise RuntimeError("linalg.qr: the QR decomposition is not differentiable when "
                               "mode='complete' and the matrix has more rows than columns")
        q, r = unpack(self.output, self.shapes)
        gq, gr = unpack(g, self.shapes)
        if m >= n:
            return _qr_grad_tall(q, r, gq, gr)
        # A = [X | Y] with X square: X = Q U is a square QR and Y = Q V
        u, gu, gv = r[..., :, :m], gr[..., :, :m], gr[..., :, m:]
        y = self.inputs[0][..., :, m:]
        gx = _qr_grad_tall(q, u, gq + y @ mT(gv), gu)
        from ..functions import cat

        gy = q @ gv
        batch = np.broadcast_shapes(gx.shape[:-2], gy.shape[:-2])
        return cat([gx.broadcast_to(batch + gx.shape[-2:]),
                    gy.broadcast_to(batch + gy.shape[-2:])], dim=-1)


def _qr_grad_tall(q: Tensor, r: Tensor, gq: Tensor, gr: Tensor) -> Tensor:
    k = r.shape[-2]
    qdq = mT(q) @ gq
    rdr = r @ mT(gr)
    low = (qdq - mT(qdq) + rdr - mT(rdr)) * tri_mask(r, k)
    return q @ (gr + right_solve_t(low, r)) + right_solve_t(gq - q @ qdq, r)
