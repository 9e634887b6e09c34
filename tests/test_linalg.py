"""Linear algebra beyond the op table: errors, named tuples, modes, non-differentiable results
and edge cases, compared with torch where it is installed."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def t64(a, requires_grad=False, device="cpu"):
    return tg.tensor(np.asarray(a, dtype=np.float64), device=device, requires_grad=requires_grad)


def th(a, requires_grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def close(ours, theirs, tol=1e-10):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=tol, atol=tol)


# ------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("fn", [tg.linalg.inv, tg.inverse, lambda a: tg.linalg.solve(a, a)])
def test_singular_matrix_raises_linalg_error(device, fn):
    a = tg.tensor([[1.0, 2.0], [2.0, 4.0]], device=device)
    with pytest.raises(tg.linalg.LinAlgError, match="singular"):
        fn(a)
    assert issubclass(tg.linalg.LinAlgError, RuntimeError)  # as torch's


def test_singular_error_names_the_batch_element():
    a = np.stack([np.eye(2), np.zeros((2, 2)), np.eye(2)])
    with pytest.raises(tg.linalg.LinAlgError, match=re.escape("batch element (1,)")):
        tg.linalg.inv(t64(a))


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "eigh", "eigvalsh"])
def test_non_square_input_names_the_shape(name):
    with pytest.raises(ValueError, match=r"square matrices.*2 by 3.*\(4, 2, 3\)"):
        getattr(tg.linalg, name)(tg.ones(4, 2, 3))
    with pytest.raises(ValueError, match=r"at least 2 dimensions.*\(3,\)"):
        getattr(tg.linalg, name)(tg.ones(3))


def test_not_positive_definite_says_so(device):
    with pytest.raises(tg.linalg.LinAlgError, match="not positive-definite"):
        tg.linalg.cholesky(tg.tensor([[1.0, 2.0], [2.0, 1.0]], device=device))
    with pytest.raises(torch.linalg.LinAlgError, match="not positive-definite"):
        torch.linalg.cholesky(torch.tensor([[1.0, 2.0], [2.0, 1.0]]))


def test_integer_and_float16_inputs_are_refused_as_in_torch():
    with pytest.raises(TypeError, match=r"linalg.det: expected a floating point.*int64"):
        tg.linalg.det(tg.tensor([[1, 2], [3, 4]]))
    with pytest.raises(RuntimeError):
        torch.linalg.det(torch.tensor([[1, 2], [3, 4]]))
    with pytest.raises(TypeError, match="float16"):
        tg.linalg.inv(tg.eye(2, dtype="float16"))


def test_det_gradient_at_a_singular_matrix_is_a_clear_error():
    a = t64([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    d = tg.linalg.det(a)
    assert d.item() == 0.0
    with pytest.raises(tg.linalg.LinAlgError, match="linalg.det: the gradient needs an "
                                                    "invertible matrix"):
        d.backward()


def test_product_shape_errors():
    with pytest.raises(ValueError, match=r"mm: input must be a matrix.*\(3,\)"):
        tg.mm(tg.ones(3), tg.ones(3, 2))
    with pytest.raises(ValueError, match=r"bmm: batch sizes differ"):
        tg.bmm(tg.ones(2, 2, 3), tg.ones(3, 3, 2))
    with pytest.raises(ValueError, match=r"mv: vec must be a vector"):
        tg.mv(tg.ones(2, 3), tg.ones(3, 1))
    with pytest.raises(ValueError, match=r"addmm: input of shape \(3,\) does not broadcast"):
        tg.addmm(tg.ones(3), tg.ones(2, 2), tg.ones(2, 2))
    with pytest.raises(ValueError, match=r"linalg.solve: A \(2, 2\) and B \(3,\) do not fit"):
        tg.linalg.solve(tg.eye(2), tg.ones(3))
    with pytest.raises(ValueError, match="length 3"):
        tg.linalg.cross(tg.ones(2), tg.ones(2))
    with pytest.raises(ValueError, match="same number of columns"):
        tg.cdist(tg.ones(2, 3), tg.ones(2, 4))


@pytest.mark.parametrize("args, match", [
    (("ij,jk->ik", tg.ones(2, 3)), "2 operand subscripts but 1 operands"),
    (("ij->ij", tg.ones(2, 3, 4)), "has 2 letters but operand 0 has 3 dimensions"),
    (("i1->i", tg.ones(2, 3)), "letters"),
    (("ij,jk->ik", tg.ones(2, 3), tg.ones(4, 2)), "subscript 'j' has size 4"),
    (("ij->iz", tg.ones(2, 3)), "do not appear"),
    (("ij->ii", tg.ones(2, 3)), "repeats"),
])
def test_einsum_errors(args, match):
    with pytest.raises(ValueError, match=match):
        tg.einsum(*args)


# ------------------------------------------------------------------------- einsum vs torch


@pytest.mark.parametrize("eq, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]), ("i j , j k -> i k", [(2, 3), (3, 2)]), ("...ij->...ji", [(2, 1, 3, 2)]),
    ("...ij,...jk", [(2, 1, 3, 2), (4, 2, 2)]), ("bij,bjk->bik", [(1, 2, 3), (5, 3, 2)]),
    ("ij->", [(2, 3)]), ("Ba,aB->B", [(2, 3), (3, 2)]), ("iij->j", [(3, 3, 2)]),
    ("i,j,k->ijk", [(2,), (3,), (2,)]), ("...", [(2, 3)]), ("...ij->ij", [(4, 2, 3)]),
    ("i,i", [(1,), (3,)]), ("ij,ij->ij", [(1, 3), (2, 1)]), ("aab,bc->ac", [(2, 2, 3), (3, 1)]),
    ("ab,cd->abcd", [(2, 1), (1, 2)]), ("abc,cba->", [(2, 3, 2), (2, 3, 2)]),
])
def test_einsum_matches_torch(eq, shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    xs = [t64(a, requires_grad=True) for a in arrays]
    ts = [th(a, requires_grad=True) for a in arrays]
    out, tout = tg.einsum(eq, *xs), torch.einsum(eq, *ts)
    assert out.shape == tuple(tout.shape)
    close(out, tout)
    if out.ndim == 0 or out.numel() > 0:
        cot = RNG.standard_normal(out.shape)
        grads = tg.grad(out, xs, grad_outputs=t64(cot))
        tgrads = torch.autograd.grad(tout, ts, grad_outputs=th(cot))
        for g, tgr in zip(grads, tgrads):
            close(g, tgr)


def test_einsum_list_and_sublist_forms():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))
    want = torch.einsum("ij,jk", [th(a), th(b)])
    close(tg.einsum("ij,jk", [t64(a), t64(b)]), want)
    close(tg.einsum(t64(a), [0, 1], t64(b), [1, 2], [0, 2]), want)
    c = RNG.standard_normal((3, 2))
    close(tg.einsum(t64(a), [Ellipsis, 1], t64(c), [1, Ellipsis]),
          torch.einsum(th(a), [Ellipsis, 1], th(c), [1, Ellipsis]))


# ------------------------------------------------------------------- named tuples and modes


def test_named_tuples_and_shapes_match_torch():
    a = RNG.standard_normal((2, 4, 3))
    sym = a @ np.swapaxes(a, -1, -2) + np.eye(4)
    w, v = tg.linalg.eigh(t64(sym))
    res = tg.linalg.eigh(t64(sym))
    assert res.eigenvalues is not None and res.eigenvectors.shape == (2, 4, 4)
    close(w, torch.linalg.eigvalsh(th(sym)))
    for full in (True, False):
        ours, theirs = tg.linalg.svd(t64(a), full_matrices=full), torch.linalg.svd(
            th(a), full_matrices=full)
        assert [tuple(x.shape) for x in ours] == [tuple(x.shape) for x in theirs]
        recon = ours.U[..., :, :3] @ (ours.S[..., :, None] * ours.Vh[..., :3, :])
        np.testing.assert_allclose(recon.numpy(), a, atol=1e-12)
        close(ours.S, theirs.S)
    for mode in ("reduced", "complete", "r"):
        q, r = tg.linalg.qr(t64(a), mode=mode)
        tq, tr = torch.linalg.qr(th(a), mode=mode)
        assert q.shape == tuple(tq.shape) and r.shape == tuple(tr.shape)
        np.testing.assert_allclose(np.abs(r.numpy()), np.abs(tr.numpy()), atol=1e-12)
    sign, logabs = tg.linalg.slogdet(t64(-np.eye(3)))
    assert sign.item() == -1.0 and logabs.item() == 0.0
    assert tg.linalg.slogdet(t64(np.eye(2))).logabsdet.item() == 0.0


def test_legacy_svd_and_logdet_match_torch():
    a = RNG.standard_normal((4, 3))
    u, s, v = tg.svd(t64(a))
    tu, ts, tv = torch.svd(th(a))
    close(s, ts)
    np.testing.assert_allclose(np.abs(v.numpy()), np.abs(tv.numpy()), atol=1e-12)
    assert tg.svd(t64(a), compute_uv=False).U.shape == (4, 4)
    neg = np.diag([-1.0, 2.0])
    assert math.isnan(tg.logdet(t64(neg)).item()) and math.isnan(torch.logdet(th(neg)).item())
    assert tg.logdet(t64(np.zeros((2, 2)))).item() == -math.inf


def test_full_svd_gradient_ignores_the_extra_columns_as_torch():
    a = RNG.standard_normal((4, 2))
    x, tx = t64(a, requires_grad=True), th(a, requires_grad=True)
    u, s, vh = tg.linalg.svd(x)
    tu, ts, tvh = torch.linalg.svd(tx)
    (g,) = tg.grad((u[:, :2].abs().sum() + s.sum() + vh.abs().sum()), x)
    (tgr,) = torch.autograd.grad(tu[:, :2].abs().sum() + ts.sum() + tvh.abs().sum(), tx)
    close(g, tgr, 1e-9)


def test_qr_complete_tall_is_not_differentiable():
    x = t64(RNG.standard_normal((3, 2)), requires_grad=True)
    q, r = tg.linalg.qr(x, mode="complete")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        q.sum().backward()


# ------------------------------------------------------------------ non-differentiable parts


def test_matrix_rank_pinv_lstsq_cond_match_torch():
    low = RNG.standard_normal((5, 2)) @ RNG.standard_normal((2, 4))  # rank 2
    assert tg.linalg.matrix_rank(t64(low)).item() == torch.linalg.matrix_rank(th(low)).item() == 2
    assert tg.linalg.matrix_rank(t64(low)).dtype == tg.int64
    assert tg.linalg.matrix_rank(t64(np.zeros((2, 2)))).item() == 0
    sym = low @ low.T
    assert tg.linalg.matrix_rank(t64(sym), hermitian=True).item() == 2
    close(tg.linalg.pinv(t64(low)), torch.linalg.pinv(th(low)), 1e-9)
    close(tg.linalg.pinv(t64(sym), hermitian=True), torch.linalg.pinv(th(sym), hermitian=True),
          1e-8)
    a, b = RNG.standard_normal((6, 3)), RNG.standard_normal((6, 2))
    for driver in ("gelsy", "gelsd", "gelss", "gels"):
        ours, theirs = tg.linalg.lstsq(t64(a), t64(b), driver=driver), torch.linalg.lstsq(
            th(a), th(b), driver=driver)
        for o, t in zip(ours, theirs):
            assert o.shape == tuple(t.shape), (driver, o.shape, t.shape)
            close(o, t, 1e-9)
    close(tg.linalg.cond(t64(a)), torch.linalg.cond(th(a)), 1e-9)
    sq = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    for p in (1, math.inf, "fro", "nuc", -2):
        close(tg.linalg.cond(t64(sq), p), torch.linalg.cond(th(sq), p), 1e-9)


def test_ex_variants_report_info_instead_of_raising():
    bad = np.stack([np.eye(2), np.zeros((2, 2))])
    inv, info = tg.linalg.inv_ex(t64(bad))
    tinv, tinfo = torch.linalg.inv_ex(th(bad))
    assert (info.numpy() != 0).tolist() == (tinfo.numpy() != 0).tolist() == [False, True]
    np.testing.assert_allclose(inv.numpy()[0], np.eye(2))
    L, info = tg.linalg.cholesky_ex(t64(np.stack([np.eye(2), -np.eye(2)])))
    assert (info.numpy() != 0).tolist() == [False, True]
    with pytest.raises(tg.linalg.LinAlgError):
        tg.linalg.inv_ex(t64(bad), check_errors=True)


def test_norm_forms_match_torch():
    x = RNG.standard_normal((2, 3, 4))
    m = RNG.standard_normal((3, 4))
    v = np.array([0.0, -3.0, 4.0])
    cases = [
        (lambda lib, a: lib.linalg.norm(a), x), (lambda lib, a: lib.linalg.norm(a, dim=1), x),
        (lambda lib, a: lib.linalg.norm(a, ord=2), m),
        (lambda lib, a: lib.linalg.norm(a, ord="nuc"), m),
        (lambda lib, a: lib.linalg.norm(a, ord=-1, dim=(0, 2), keepdim=True), x),
        (lambda lib, a: lib.linalg.norm(a, ord=math.inf), v),
        (lambda lib, a: lib.linalg.vector_norm(a, ord=0), v),
        (lambda lib, a: lib.linalg.vector_norm(a, ord=-2), v[1:]),
        (lambda lib, a: lib.linalg.vector_norm(a, dim=(0, 2), keepdim=True), x),
        (lambda lib, a: lib.linalg.matrix_norm(a, ord=-math.inf, dim=(2, 0)), x),
        (lambda lib, a: lib.linalg.matrix_norm(a, ord=2, keepdim=True), x),
    ]
    for fn, a in cases:
        close(fn(tg, t64(a)), fn(torch, th(a)), 1e-9)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        tg.linalg.norm(t64(x), ord=2)
    with pytest.raises(ValueError, match="ord must be"):
        tg.linalg.matrix_norm(t64(m), ord=3)


def test_cross_default_dim_is_the_first_of_size_3_as_torch():
    a, b = RNG.standard_normal((3, 3, 2)), RNG.standard_normal((3, 3, 2))
    with pytest.warns(UserWarning):
        want = torch.cross(th(a), th(b))
    close(tg.cross(t64(a), t64(b)), want)
    close(t64(a).cross(t64(b), dim=1), torch.cross(th(a), th(b), dim=1))


def test_solve_triangular_and_matrix_power_match_torch():
    a = np.triu(RNG.standard_normal((3, 3))) + 3 * np.eye(3)
    b = RNG.standard_normal((3, 2))
    for upper, left, unit in ((True, True, False), (True, False, True)):
        bb = b if left else b.T
        close(tg.linalg.solve_triangular(t64(a + 5 * np.tril(np.ones((3, 3)), -1)), t64(bb),
                                         upper=upper, left=left, unitriangular=unit),
              torch.linalg.solve_triangular(th(a + 5 * np.tril(np.ones((3, 3)), -1)), th(bb),
                                            upper=upper, left=left, unitriangular=unit))
    for n in (-3, 0, 5):
        close(t64(a).matrix_power(n), torch.linalg.matrix_power(th(a), n), 1e-9)


def test_addmm_with_beta_zero_ignores_nan_input_as_torch():
    inp = t64(np.full((2, 2), np.nan))
    out = tg.addmm(inp, t64(np.eye(2)), t64(np.eye(2)), beta=0, alpha=3)
    np.testing.assert_array_equal(out.numpy(), 3 * np.eye(2))
    x = t64(np.ones(2))
    close(x.addmv(t64(np.eye(2)), t64([1.0, 2.0]), beta=2),
          th(np.ones(2)).addmv(th(np.eye(2)), th([1.0, 2.0]), beta=2))


# ------------------------------------------------------------------- gradients at edge cases


def test_cdist_gradient_at_zero_distance_is_zero_not_nan(device):
    pts = np.array([[0.0, 1.0], [2.0, -1.0]])
    for p in (2.0, 1.0, 3.0):
        x = tg.tensor(pts, dtype="float64", device=device, requires_grad=True)
        tx = th(pts, requires_grad=True)
        tg.cdist(x, x.detach() * 1.0, p=p).sum().backward()
        torch.cdist(tx, tx.detach() * 1.0, p=p).sum().backward()
        assert np.isfinite(x.grad.numpy()).all()
        close(x.grad, tx.grad)


def test_eigvalsh_and_svdvals_gradients_with_repeated_values_match_torch():
    """The eigenvectors' term is never formed when only values are used, so a repeated
    eigenvalue (the identity) gives a finite gradient, as torch."""
    for fn in (lambda lib, a: lib.linalg.eigvalsh(a), lambda lib, a: lib.linalg.svdvals(a),
               lambda lib, a: lib.linalg.matrix_norm(a, "nuc")):
        x, tx = t64(np.eye(3), requires_grad=True), th(np.eye(3), requires_grad=True)
        w = RNG.standard_normal(3)
        (fn(tg, x) * t64(w)).sum().backward() if fn(tg, x).ndim else fn(tg, x).backward()
        (fn(torch, tx) * th(w)).sum().backward() if fn(torch, tx).ndim else fn(
            torch, tx).backward()
        close(x.grad, tx.grad, 1e-9)


def test_second_derivatives_match_torch():
    """Hessian-vector products through inv, logdet, solve, cholesky and eigh."""
    a = RNG.standard_normal((3, 3)) + 4 * np.eye(3)
    b = RNG.standard_normal(3)
    fns = [lambda lib, x: lib.linalg.inv(x).sum(), lambda lib, x: lib.logdet(x),
           lambda lib, x: lib.linalg.solve(x, lib.ones(3, dtype=x.dtype)).pow(2).sum(),
           lambda lib, x: lib.linalg.cholesky(x @ x.T).sum(),
           lambda lib, x: (lib.linalg.eigh(x + x.T).eigenvalues ** 3).sum(),
           lambda lib, x: lib.linalg.svdvals(x).max()]
    for fn in fns:
        x, tx = t64(a, requires_grad=True), th(a, requires_grad=True)
        (g,) = tg.grad(fn(tg, x), x, create_graph=True)
        (hv,) = tg.grad((g * t64(np.outer(b, b))).sum(), x)
        (tgr,) = torch.autograd.grad(fn(torch, tx), tx, create_graph=True)
        (thv,) = torch.autograd.grad((tgr * th(np.outer(b, b))).sum(), tx)
        close(hv, thv, 1e-8)


def test_float32_stays_float32_through_decompositions(device):
    a = tg.tensor(RNG.standard_normal((3, 3)) + 4 * np.eye(3), dtype="float32", device=device,
                  requires_grad=True)
    outs = [tg.linalg.inv(a), tg.linalg.det(a), tg.linalg.slogdet(a).sign,
            tg.linalg.eigh(a @ a.T).eigenvectors, tg.linalg.svd(a).Vh, tg.linalg.qr(a).R,
            tg.linalg.matrix_norm(a, "nuc"), tg.linalg.pinv(a)]
    assert all(o.dtype == tg.float32 for o in outs)
    (g,) = tg.grad(sum(o.sum() for o in outs if o.requires_grad), a)
    assert g.dtype == tg.float32


def test_tensor_methods_match_torch():
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    v = RNG.standard_normal(3)
    x, tx = t64(a), th(a)
    for name, args in (("det", ()), ("inverse", ()), ("logdet", ()), ("matrix_power", (2,)),
                       ("mm", (x,)), ("mv", (t64(v),)), ("inner", (x,)), ("kron", (x,)),
                       ("pinverse", ())):
        targs = tuple(th(arg.numpy()) if isinstance(arg, tg.Tensor) else arg for arg in args)
        close(getattr(x, name)(*args), getattr(tx, name)(*targs), 1e-9)
    s, la = x.slogdet()
    ts, tla = tx.slogdet()
    assert s.item() == ts.item()
    close(la, tla)
    spd = a @ a.T
    with warnings.catch_warnings():  # torch.cholesky is deprecated (it warns once a process)
        warnings.simplefilter("ignore")
        want = th(spd).cholesky()
    close(t64(spd).cholesky(), want, 1e-9)
    close(tg.tensordot(x, x, dims=([0], [1])), torch.tensordot(tx, tx, dims=([0], [1])))
    close(tg.vdot(t64(v), t64(v)), torch.vdot(th(v), th(v)))
    close(tg.chain_matmul(x, x, x), torch.linalg.multi_dot([tx, tx, tx]), 1e-9)


def test_tensorinv_tensorsolve_vander_matrix_exp_match_torch():
    a = RNG.standard_normal((4, 2, 2)) + 3 * np.eye(4).reshape(4, 2, 2)
    close(tg.linalg.tensorinv(t64(a), ind=1), torch.linalg.tensorinv(th(a), ind=1), 1e-9)
    b = RNG.standard_normal(4)
    close(tg.linalg.tensorsolve(t64(a), t64(b)), torch.linalg.tensorsolve(th(a), th(b)), 1e-9)
    x = np.array([[0.0, 2.0, -1.5], [1.0, 3.0, 0.5]])
    close(tg.linalg.vander(t64(x), N=4), torch.linalg.vander(th(x), N=4))
    with pytest.raises(ValueError, match="greater than 1"):
        tg.linalg.vander(t64(x), N=1)
    for scale in (0.1, 1.0, 10.0):
        m = RNG.standard_normal((2, 3, 3)) * scale
        close(tg.linalg.matrix_exp(t64(m)), torch.linalg.matrix_exp(th(m)), 1e-9 * scale ** 2)
        close(t64(m).matrix_exp(), torch.matrix_exp(th(m)), 1e-9 * scale ** 2)


def test_solve_ex_cholesky_solve_inverse_and_ger_match_torch():
    bad = np.stack([np.eye(2) * 2, np.zeros((2, 2))])
    b = RNG.standard_normal((2, 2))
    x, info = tg.linalg.solve_ex(t64(bad), t64(b))
    tx, tinfo = torch.linalg.solve_ex(th(bad), th(b))
    assert (info.numpy() != 0).tolist() == (tinfo.numpy() != 0).tolist() == [False, True]
    np.testing.assert_allclose(x.numpy()[0], tx.numpy()[0])
    good = bad[:1] + np.eye(2)
    close(tg.linalg.solve_ex(t64(good), t64(b), left=False).result,
          torch.linalg.solve_ex(th(good), th(b), left=False).result)
    a = RNG.standard_normal((3, 3))
    spd = a @ a.T + 3 * np.eye(3)
    rhs = RNG.standard_normal((3, 2))
    for upper in (False, True):
        L, tL = tg.linalg.cholesky(t64(spd), upper=upper), torch.linalg.cholesky(th(spd),
                                                                                 upper=upper)
        close(tg.cholesky_solve(t64(rhs), L, upper), torch.cholesky_solve(th(rhs), tL, upper))
        close(L.cholesky_inverse(upper), tL.cholesky_inverse(upper), 1e-9)
    v, w = RNG.standard_normal(2), RNG.standard_normal(3)
    close(t64(v).ger(t64(w)), torch.ger(th(v), th(w)))


def test_cdist_of_many_points_takes_the_matmul_path_as_torch():
    """Over 25 points torch computes p=2 distances through a matmul; so do we (memory P * R),
    with the same values, a zero gradient at zero distance, and the per-pair path on request."""
    a = RNG.standard_normal((30, 4))
    b = np.concatenate([a[:3], RNG.standard_normal((5, 4))])
    for mode in (None, "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        x, tx = t64(a, requires_grad=True), th(a, requires_grad=True)
        kw = {} if mode is None else {"compute_mode": mode}
        out, tout = tg.cdist(x, t64(b), **kw), torch.cdist(tx, th(b), **kw)
        close(out, tout, 1e-7)
        cot = RNG.standard_normal(out.shape)
        (g,) = tg.grad(out, x, grad_outputs=t64(cot))
        (tgr,) = torch.autograd.grad(tout, tx, grad_outputs=th(cot))
        assert np.isfinite(g.numpy()).all()
        close(g, tgr, 1e-6)
    with pytest.raises(ValueError, match="compute_mode"):
        tg.cdist(t64(a), t64(b), compute_mode="fast")
