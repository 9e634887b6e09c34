"""Op-table rows for linear algebra (collected by ``test_ops.py``).

Domains keep each op where it is differentiable and well conditioned: ``A + (n + 1) I`` for
inverses and solves, ``M M^T + n I`` built inside ``fn`` for Cholesky (so gradcheck sees the
symmetric structure), symmetric and rectangular matrices with well separated eigen/singular
values for eigh and svd. Eigenvectors, singular vectors and QR factors are only unique up to
signs, so those rows fix the signs (from the values, as a constant) before comparing.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from op_cases import Row, distinct, real

from tinygrad_gd.testing import broadcastable_shapes

# ------------------------------------------------------------------------------ value domains


def well_conditioned(rng, shape):
    """Strictly diagonally dominant with a positive diagonal: invertible, det > 0."""
    n = shape[-1]
    return rng.uniform(-1.0, 1.0, shape) + (n + 1) * np.eye(n)


def spread_symmetric(rng, shape):
    """Symmetric, eigenvalues at least 1 apart: the eigenvectors' gradient is well defined."""
    n = shape[-1]
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    w = np.arange(n) * 1.5 - n / 2 + rng.uniform(0.0, 0.3, shape[:-1])
    return q @ (w[..., :, None] * np.swapaxes(q, -1, -2))


def spread_singular(rng, shape):
    """Singular values 1, 2.2, 3.4, ... (+ noise): distinct and away from 0."""
    m, n = shape[-2:]
    k = min(m, n)
    u, _ = np.linalg.qr(rng.standard_normal(shape[:-2] + (m, k)))
    v, _ = np.linalg.qr(rng.standard_normal(shape[:-2] + (n, k)))
    s = 1.0 + 1.2 * np.arange(k) + rng.uniform(0.0, 0.2, shape[:-2] + (k,))
    return u @ (s[..., :, None] * np.swapaxes(v, -1, -2))


def full_rank(rng, shape):
    """Rectangular with ones on the main diagonal added: far from rank deficient."""
    m, n = shape[-2:]
    return rng.uniform(-0.5, 0.5, shape) + 2.0 * np.eye(m, n)


# --------------------------------------------------------------------------- case strategies
BATCH = st.lists(st.integers(1, 2), max_size=2).map(tuple)
SIDE = st.integers(1, 3)


@st.composite
def square(draw, count=1):
    n = draw(SIDE)
    return tuple(draw(BATCH) + (n, n) for _ in range(count)), {}


@st.composite
def rect(draw, wide=True):
    m, n = draw(SIDE), draw(SIDE)
    if not wide and m < n:
        m, n = n, m
    return (draw(BATCH) + (m, n),), {}


@st.composite
def mm_case(draw, batch=False):
    n, k, m = draw(SIDE), draw(SIDE), draw(SIDE)
    b = (draw(st.integers(1, 3)),) if batch else ()
    return (b + (n, k), b + (k, m)), {}


@st.composite
def add_case(draw, kind):
    n, k, m, b = draw(SIDE), draw(SIDE), draw(SIDE), draw(st.integers(1, 3))
    out = {"mm": (n, m), "mv": (n,), "bmm": (b, n, m), "addbmm": (n, m), "r": (n, m)}[kind]
    inp = draw(st.sampled_from([out, out[-1:], ()]))
    operands = {"mm": ((n, k), (k, m)), "mv": ((n, k), (k,)), "bmm": ((b, n, k), (b, k, m)),
                "addbmm": ((b, n, k), (b, k, m)), "r": ((n,), (m,))}[kind]
    return (inp,) + operands, {"beta": draw(st.sampled_from([1.0, 0.5])),
                               "alpha": draw(st.sampled_from([1.0, -2.0]))}


@st.composite
def solve_case(draw):
    n = draw(SIDE)
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2, max_side=2))
    kind = draw(st.sampled_from(["vector", "batched_vector", "matrix", "batched_matrix"]))
    k = draw(SIDE)
    b = {"vector": (n,), "batched_vector": batch_a + (n,), "matrix": (n, k),
         "batched_matrix": batch_b + (n, k)}[kind]
    return (batch_a + (n, n), b), {}


_EINSUM_PAIRS = [
    ("ij,jk->ik", lambda n: ((n[0], n[1]), (n[1], n[2]))),
    ("ij,jk", lambda n: ((n[0], n[1]), (n[1], n[2]))),
    ("bij,bjk->bik", lambda n: ((2, n[0], n[1]), (2, n[1], n[2]))),
    ("...ij,...jk->...ik", lambda n: ((2, 1, n[0], n[1]), (3, n[1], n[2]))),
    ("...ij,jk", lambda n: ((2, n[0], n[1]), (n[1], n[2]))),
    ("i,j->ij", lambda n: ((n[0],), (n[1],))),
    ("i,i->", lambda n: ((n[0],), (n[0],))),
    ("ij,ij->i", lambda n: ((1, n[1]), (n[0], n[1]))),
    ("ij,kj->ikj", lambda n: ((n[0], n[1]), (n[2], n[1]))),
    ("iij,jk->ik", lambda n: ((n[0], n[0], n[1]), (n[1], n[2]))),
    ("abc,cd->", lambda n: ((2, n[0], n[1]), (n[1], n[2]))),
    ("Ab,bA->A", lambda n: ((n[0], n[1]), (n[1], n[0]))),
]
_EINSUM_SINGLE = [
    ("ii", (3, 3)), ("ii->i", (3, 3)), ("ij->ji", (2, 3)), ("ijk->j", (2, 3, 2)),
    ("i->", (3,)), ("...ii->...i", (2, 3, 3)), ("...ij->ij", (2, 2, 3)), ("iji->j", (2, 3, 2)),
    ("ij", (2, 3)), ("ba", (2, 3)), ("...", (2, 3)),
]
_EINSUM_MULTI = [
    ("ij,jk,kl->il", lambda n: ((n[0], n[1]), (n[1], n[2]), (n[2], 2))),
    ("bn,anm,bm->ba", lambda n: ((2, n[0]), (n[1], n[0], n[2]), (2, n[2]))),
    ("i,i,i->i", lambda n: ((n[0],), (n[0],), (n[0],))),
    ("ij,jk,kl", lambda n: ((n[0], n[1]), (n[1], n[2]), (n[2], 2))),
]


@st.composite
def einsum_case(draw, table):
    eq, make = draw(st.sampled_from(table))
    ns = (draw(SIDE), draw(SIDE), draw(SIDE))
    shapes_ = (make,) if isinstance(make, tuple) else make(ns)
    return shapes_, {"eq": eq, "as_list": draw(st.booleans())}


@st.composite
def tensordot_case(draw):
    a = tuple(draw(st.lists(SIDE, min_size=1, max_size=3)))
    k = draw(st.integers(0, len(a)))
    b = a[len(a) - k:] + tuple(draw(st.lists(SIDE, max_size=2)))
    if draw(st.booleans()):
        return (a, b), {"dims": k}
    da = list(range(len(a) - k, len(a)))
    return (a, b), {"dims": (da, list(range(k)))}


@st.composite
def cross_case(draw):
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2, max_side=2))
    nd = max(len(batch_a), len(batch_b))
    batch_a, batch_b = (1,) * (nd - len(batch_a)) + batch_a, (1,) * (nd - len(batch_b)) + batch_b
    pos = draw(st.integers(0, nd))
    a = batch_a[:pos] + (3,) + batch_a[pos:]
    b = batch_b[:pos] + (3,) + batch_b[pos:]
    return (a, b), {"dim": pos - (nd + 1) if draw(st.booleans()) else pos}


@st.composite
def cdist_case(draw):
    p, r, m = draw(SIDE), draw(SIDE), draw(SIDE)
    batch = draw(st.sampled_from([(), (2,)]))
    return (batch + (p, m), batch + (r, m)), {"p": draw(st.sampled_from([2.0, 1.0, 3.0,
                                                                         math.inf]))}


@st.composite
def vector_norm_case(draw):
    shape = tuple(draw(st.lists(SIDE, max_size=3)))
    nd = len(shape)
    dims = [None] + list(range(-nd, nd)) + ([(0, nd - 1)] if nd >= 2 else [])
    dim = draw(st.sampled_from(dims))
    return (shape,), {"order": draw(st.sampled_from([2, 1, 3, math.inf, -math.inf, 0.5])),
                      "dim": dim, "keepdim": draw(st.booleans())}


@st.composite
def matrix_norm_case(draw, ords):
    m, n = draw(SIDE), draw(SIDE)
    shape = draw(BATCH) + (m, n)
    dim = draw(st.sampled_from([(-2, -1), (-1, -2)] + ([(0, 2)] if len(shape) == 3 else [])))
    return (shape,), {"order": draw(st.sampled_from(ords)), "dim": dim,
                      "keepdim": draw(st.booleans())}


# ------------------------------------------------------------------------- sign conventions


def _col_signs(ns, m):
    """The signs of each column's first entry, as a constant (fixes eigen/singular vectors)."""
    s = np.sign(m.detach().numpy()[..., :1, :])
    return ns.const(np.where(s == 0, 1.0, s), m)


def _np_col_signs(m):
    s = np.sign(m[..., :1, :])
    return np.where(s == 0, 1.0, s)


def _eigh(ns, x):
    a = (x + x.transpose(-2, -1)) * 0.5
    w, v = ns.lib.linalg.eigh(a)
    return w, v * _col_signs(ns, v)


def _np_eigh(x):
    w, v = np.linalg.eigh((x + np.swapaxes(x, -1, -2)) / 2)
    return w, v * _np_col_signs(v)


def _svd(ns, x):
    u, s, vh = ns.lib.linalg.svd(x, full_matrices=False)
    sign = _col_signs(ns, u)
    return u * sign, s, vh * sign.transpose(-2, -1)


def _np_svd(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    sign = _np_col_signs(u)
    return u * sign, s, vh * np.swapaxes(sign, -1, -2)


def _qr(ns, x, mode):
    q, r = ns.lib.linalg.qr(x, mode=mode)
    d = np.sign(np.diagonal(r.detach().numpy(), axis1=-2, axis2=-1))
    d = np.where(d == 0, 1.0, d)
    return q * ns.const(d[..., None, :], q), r * ns.const(d[..., :, None], r)


def _np_qr(x, mode):
    q, r = np.linalg.qr(x, mode=mode)
    d = np.sign(np.diagonal(r, axis1=-2, axis2=-1))
    d = np.where(d == 0, 1.0, d)
    return q * d[..., None, :], r * d[..., :, None]


def _spd(ns, m):
    n = m.shape[-1]
    return m @ m.transpose(-2, -1) + ns.const(n * np.eye(n), m)


def _np_spd(m):
    return m @ np.swapaxes(m, -1, -2) + m.shape[-1] * np.eye(m.shape[-1])


def _np_solve(a, b):
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    bm = b[..., None] if vector else b
    batch = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    x = np.linalg.solve(np.broadcast_to(a, batch + a.shape[-2:]),
                        np.broadcast_to(bm, batch + bm.shape[-2:]))
    return x[..., 0] if vector else x


def _np_vector_norm(x, order, dim, keepdim):
    axes = tuple(range(x.ndim)) if dim is None else (dim if isinstance(dim, tuple) else (dim,))
    a = np.abs(x)
    if order == math.inf:
        return a.max(axis=axes, keepdims=keepdim)
    if order == -math.inf:
        return a.min(axis=axes, keepdims=keepdim)
    return (a ** order).sum(axis=axes, keepdims=keepdim) ** (1.0 / order)


def _np_matrix_norm(x, order, dim, keepdim):
    return np.linalg.norm(x, ord=order, axis=dim, keepdims=keepdim)


def _np_cross(a, b, dim):
    shape = np.broadcast_shapes(a.shape, b.shape)
    return np.cross(np.broadcast_to(a, shape), np.broadcast_to(b, shape), axis=dim)


def _np_cdist(x1, x2, p):
    d = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
    return d.max(-1) if p == math.inf else (d ** p).sum(-1) ** (1.0 / p)


def _np_einsum(*xs, eq, as_list):
    return np.einsum(eq, *xs)


def _einsum(ns, *xs, eq, as_list):
    return ns.lib.einsum(eq, list(xs)) if as_list else ns.lib.einsum(eq, *xs)


def _np_expm(a):
    """Scaling and squaring with a long Taylor series: an independent reference."""
    norm = np.abs(a).sum(-2).max() if a.size else 0.0
    s = max(0, int(np.ceil(np.log2(norm))) + 4) if norm > 0 else 0
    x = a / 2.0 ** s
    out = term = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
    for k in range(1, 30):
        term = term @ x / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


def _np_matrix_power(a, n):
    return np.linalg.matrix_power(a, n)


def _np_add(kind, inp, x, y, beta, alpha):
    prod = {"mm": lambda: x @ y, "mv": lambda: x @ y, "bmm": lambda: x @ y,
            "addbmm": lambda: (x @ y).sum(0), "r": lambda: np.outer(x, y)}[kind]()
    return beta * inp + alpha * prod


def _add_row(name, kind):
    def fn(ns, inp, x, y, beta, alpha):
        return getattr(ns.lib, name)(inp, x, y, beta=beta, alpha=alpha)
    return Row(name, fn, lambda inp, x, y, beta, alpha: _np_add(kind, inp, x, y, beta, alpha),
               add_case(kind), fwd_tol=1e-12)


# ---------------------------------------------------------------------------------- the rows
DECOMP_TOL = 1e-9

ROWS: list[Row] = [
    # products
    Row("mm", lambda ns, a, b: a.mm(b), np.matmul, mm_case()),
    Row("bmm", lambda ns, a, b: ns.lib.bmm(a, b), np.matmul, mm_case(batch=True)),
    Row("mv", lambda ns, a, b: a.mv(b), np.matmul,
        st.tuples(SIDE, SIDE).map(lambda t: (((t[0], t[1]), (t[1],)), {}))),
    _add_row("addmm", "mm"), _add_row("addmv", "mv"), _add_row("baddbmm", "bmm"),
    _add_row("addbmm", "addbmm"), _add_row("addr", "r"),
    Row("einsum_pairs", _einsum, _np_einsum, einsum_case(_EINSUM_PAIRS)),
    Row("einsum_single", _einsum, _np_einsum, einsum_case(_EINSUM_SINGLE)),
    Row("einsum_multi", _einsum, _np_einsum, einsum_case(_EINSUM_MULTI)),
    Row("einsum_sublist", lambda ns, a, b: ns.lib.einsum(a, [0, 1], b, [1, 2], [0, 2]),
        lambda a, b: a @ b, mm_case()),
    Row("tensordot", lambda ns, a, b, dims: ns.lib.tensordot(a, b, dims=dims),
        lambda a, b, dims: np.tensordot(a, b, axes=dims), tensordot_case()),
    Row("kron", lambda ns, a, b: ns.lib.kron(a, b), np.kron,
        st.tuples(st.lists(SIDE, max_size=2), st.lists(SIDE, max_size=3)).map(
            lambda t: ((tuple(t[0]), tuple(t[1])), {}))),
    Row("linalg_cross", lambda ns, a, b, dim: ns.lib.linalg.cross(a, b, dim=dim), _np_cross,
        cross_case()),
    Row("cross_dim", lambda ns, a, b, dim: ns.lib.cross(a, b, dim=dim), _np_cross, cross_case()),
    Row("cdist", lambda ns, a, b, p: ns.lib.cdist(a, b, p=p),
        lambda a, b, p: _np_cdist(a, b, p), cdist_case(), (distinct,)),
    Row("inner", lambda ns, a, b: ns.lib.inner(a, b), np.inner,
        st.tuples(st.lists(SIDE, max_size=2), st.lists(SIDE, max_size=2), SIDE).map(
            lambda t: ((tuple(t[0]) + (t[2],), tuple(t[1]) + (t[2],)), {}))),
    Row("vdot", lambda ns, a, b: ns.lib.vdot(a, b), np.vdot,
        SIDE.map(lambda k: (((k,), (k,)), {}))),
    Row("vecdot", lambda ns, a, b: ns.lib.linalg.vecdot(a, b, dim=-1),
        lambda a, b: (a * b).sum(-1),
        broadcastable_shapes(2, min_dims=1, max_dims=3, max_side=3).filter(
            lambda s: len(s[0]) and len(s[1]) and s[0][-1] == s[1][-1]).map(lambda s: (s, {}))),
    Row("matrix_power", lambda ns, a, n: ns.lib.linalg.matrix_power(a, n), _np_matrix_power,
        st.tuples(square(), st.sampled_from([-2, -1, 0, 1, 2, 3])).map(
            lambda t: (t[0][0], {"n": t[1]})), (well_conditioned,)),
    Row("multi_dot", lambda ns, a, b, c: ns.lib.linalg.multi_dot([a, b, c]),
        lambda a, b, c: np.linalg.multi_dot([a, b, c]),
        st.tuples(SIDE, SIDE, SIDE, st.booleans(), st.booleans()).map(
            lambda t: ((((t[0],) if t[3] else (2, t[0])), (t[0], t[1]),
                        ((t[1],) if t[4] else (t[1], t[2]))), {}))),
    Row("chain_matmul", lambda ns, a, b: ns.lib.chain_matmul(a, b), np.matmul, mm_case()),
    Row("linalg_diagonal",
        lambda ns, x, offset: ns.lib.linalg.diagonal(x, offset=offset),
        lambda x, offset: np.diagonal(x, offset, -2, -1),
        st.tuples(rect(), st.integers(-2, 2)).map(lambda t: (t[0][0], {"offset": t[1]}))),
    # inverses and determinants
    Row("inv", lambda ns, a: ns.lib.linalg.inv(a), np.linalg.inv, square(),
        (well_conditioned,), fwd_tol=DECOMP_TOL),
    Row("inverse", lambda ns, a: a.inverse(), np.linalg.inv, square(), (well_conditioned,),
        fwd_tol=DECOMP_TOL),
    Row("det", lambda ns, a: ns.lib.linalg.det(a), np.linalg.det, square(),
        (well_conditioned,), fwd_tol=DECOMP_TOL),
    Row("det_method", lambda ns, a: a.det() * 1.0, np.linalg.det, square(), (well_conditioned,),
        fwd_tol=DECOMP_TOL),
    Row("slogdet", lambda ns, a: ns.lib.linalg.slogdet(-a).logabsdet
        * ns.lib.linalg.slogdet(-a).sign,
        lambda a: np.prod(np.linalg.slogdet(-a), axis=0), square(), (well_conditioned,),
        fwd_tol=DECOMP_TOL),
    Row("logdet", lambda ns, a: ns.lib.logdet(a), lambda a: np.linalg.slogdet(a)[1], square(),
        (well_conditioned,), fwd_tol=DECOMP_TOL),
    Row("solve", lambda ns, a, b: ns.lib.linalg.solve(a, b), _np_solve, solve_case(),
        (well_conditioned, real), fwd_tol=DECOMP_TOL),
    Row("solve_right", lambda ns, a, b: ns.lib.linalg.solve(a, b, left=False),
        lambda a, b: np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)),
                                 -1, -2),
        SIDE.flatmap(lambda n: st.tuples(SIDE).map(lambda k: (((n, n), (k[0], n)), {}))),
        (well_conditioned, real), fwd_tol=DECOMP_TOL),
    Row("pinv", lambda ns, a: ns.lib.linalg.pinv(a), np.linalg.pinv, rect(),
        (spread_singular,), fwd_tol=DECOMP_TOL),
    Row("lstsq", lambda ns, a, b: ns.lib.linalg.lstsq(a, b).solution,
        lambda a, b: np.linalg.pinv(a) @ b,
        st.tuples(SIDE, SIDE, SIDE).map(lambda t: (((t[0] + t[1], t[1]), (t[0] + t[1], t[2])),
                                                   {})),
        (spread_singular, real), fwd_tol=DECOMP_TOL),
    Row("solve_triangular", lambda ns, a, b, upper: ns.lib.linalg.solve_triangular(
        a, b, upper=upper),
        lambda a, b, upper: np.linalg.solve(np.triu(a) if upper else np.tril(a), b),
        st.tuples(square(count=2), st.booleans()).map(lambda t: (t[0][0], {"upper": t[1]})),
        (well_conditioned, real), fwd_tol=DECOMP_TOL),
    Row("matrix_exp", lambda ns, a: ns.lib.linalg.matrix_exp(a), _np_expm, square(),
        fwd_tol=1e-10),
    Row("vander", lambda ns, x, n: ns.lib.linalg.vander(x, N=n),
        lambda x, n: x[..., None] ** np.arange(n),
        st.tuples(st.lists(SIDE, min_size=1, max_size=2), st.integers(2, 4)).map(
            lambda t: ((tuple(t[0]),), {"n": t[1]}))),
    # decompositions
    Row("cholesky", lambda ns, m, upper: ns.lib.linalg.cholesky(_spd(ns, m), upper=upper),
        lambda m, upper: (np.swapaxes(np.linalg.cholesky(_np_spd(m)), -1, -2) if upper else
                          np.linalg.cholesky(_np_spd(m))),
        st.tuples(square(), st.booleans()).map(lambda t: (t[0][0], {"upper": t[1]})),
        fwd_tol=DECOMP_TOL),
    Row("cholesky_solve", lambda ns, m, b: ns.lib.cholesky_solve(
        b, ns.lib.linalg.cholesky(_spd(ns, m))),
        lambda m, b: np.linalg.solve(_np_spd(m), b),
        SIDE.flatmap(lambda n: SIDE.map(lambda k: (((n, n), (n, k)), {}))),
        fwd_tol=DECOMP_TOL),
    Row("eigh", _eigh, _np_eigh, square(), (spread_symmetric,), fwd_tol=DECOMP_TOL),
    Row("eigvalsh", lambda ns, x: ns.lib.linalg.eigvalsh((x + x.transpose(-2, -1)) * 0.5),
        lambda x: np.linalg.eigvalsh((x + np.swapaxes(x, -1, -2)) / 2), square(),
        (spread_symmetric,), fwd_tol=DECOMP_TOL),
    Row("svd", _svd, _np_svd, rect(), (spread_singular,), fwd_tol=DECOMP_TOL),
    Row("svdvals", lambda ns, x: ns.lib.linalg.svdvals(x),
        lambda x: np.linalg.svd(x, compute_uv=False), rect(), (spread_singular,),
        fwd_tol=DECOMP_TOL),
    Row("qr", lambda ns, x, mode: _qr(ns, x, mode), _np_qr,
        st.tuples(rect(), st.sampled_from(["reduced", "complete"])).map(
            lambda t: (t[0][0], {"mode": t[1]})).filter(
            lambda c: c[1]["mode"] == "reduced" or c[0][0][-2] <= c[0][0][-1]),
        (full_rank,), fwd_tol=DECOMP_TOL),
    # norms
    Row("vector_norm", lambda ns, x, order, dim, keepdim: ns.lib.linalg.vector_norm(
        x, ord=order, dim=dim, keepdim=keepdim), _np_vector_norm, vector_norm_case(), (distinct,),
        fwd_tol=1e-10),
    Row("matrix_norm_elementwise", lambda ns, x, order, dim, keepdim: ns.lib.linalg.matrix_norm(
        x, ord=order, dim=dim, keepdim=keepdim), _np_matrix_norm,
        matrix_norm_case(["fro", 1, -1, math.inf, -math.inf]), (distinct,), fwd_tol=1e-10),
    Row("matrix_norm_spectral", lambda ns, x, order, dim, keepdim: ns.lib.linalg.matrix_norm(
        x, ord=order, dim=dim, keepdim=keepdim), _np_matrix_norm,
        matrix_norm_case(["nuc", 2, -2]), (spread_singular,), fwd_tol=DECOMP_TOL),
    Row("linalg_norm", lambda ns, x: ns.lib.linalg.norm(x) + ns.lib.linalg.norm(x, dim=-1).sum()
        + ns.lib.linalg.norm(x, ord=1, dim=(-2, -1)).sum(),
        lambda x: (np.sqrt((x ** 2).sum()) + np.sqrt((x ** 2).sum(-1)).sum()
                   + np.abs(x).sum(-2).max(-1).sum()),
        rect(), (distinct,), fwd_tol=1e-10),
]
