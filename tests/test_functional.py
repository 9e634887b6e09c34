"""Functional autodiff (jacobian, hessian, hvp, vjp, jvp) against finite differences, closed forms
and torch.autograd.functional; the analysis helpers built on them."""

import numpy as np
import pytest

import tinygrad_gd as tg


def t64(a, device="cpu", requires_grad=False):
    return tg.tensor(np.asarray(a, dtype=np.float64), dtype="float64", device=device,
                     requires_grad=requires_grad)


def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def f_vec(x):
    """R^3 -> R^2, nonlinear in every input."""
    return tg.stack([(x * x).sum() * x[0].sin(), (x[1] * x[2]).exp() + x[0]])


def f_two_in_two_out(a, b):
    return (a @ b).tanh(), (a * a).sum() + b.sum()


def test_jacobian_matches_finite_differences(device):
    x = t64([0.3, -0.7, 1.1], device)
    jac = tg.jacobian(f_vec, x)
    assert jac.shape == (2, 3)
    np.testing.assert_allclose(jac.numpy(), tg.numerical_jacobian(f_vec, x).numpy(), atol=1e-7)


def test_jacobian_of_linear_map_is_the_matrix(device):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 3))
    jac = tg.jacobian(lambda x: t64(A, device) @ x, t64(rng.standard_normal(3), device))
    np.testing.assert_allclose(jac.numpy(), A, atol=1e-12)


def test_jacobian_shapes_with_tuples(device):
    rng = np.random.default_rng(1)
    a, b = t64(rng.standard_normal((2, 3)), device), t64(rng.standard_normal((3, 4)), device)
    jac = tg.jacobian(f_two_in_two_out, (a, b))
    assert isinstance(jac, tuple) and len(jac) == 2
    assert [j.shape for j in jac[0]] == [(2, 4, 2, 3), (2, 4, 3, 4)]
    assert [j.shape for j in jac[1]] == [(2, 3), (3, 4)]
    num = tg.numerical_jacobian(f_two_in_two_out, (a, b))
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(jac[i][j].numpy(), num[i][j].numpy(), atol=1e-7)


def test_jacobian_shapes_match_torch():
    torch = pytest.importorskip("torch")
    from torch.autograd import functional as TF

    rng = np.random.default_rng(2)
    a_np, b_np = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    ours = tg.jacobian(f_two_in_two_out, (t64(a_np), t64(b_np)))
    theirs = TF.jacobian(f_two_in_two_out, (torch.tensor(a_np), torch.tensor(b_np)))
    for i in range(2):
        for j in range(2):
            assert ours[i][j].shape == tuple(theirs[i][j].shape)
            np.testing.assert_allclose(ours[i][j].numpy(), theirs[i][j].numpy(), atol=1e-12)
    # single input, single output: a bare tensor, not a tuple
    single = tg.jacobian(lambda x: x.exp(), t64(a_np))
    assert single.shape == tuple(TF.jacobian(lambda x: x.exp(), torch.tensor(a_np)).shape)


def test_hessian_of_quadratic_form_is_a_plus_a_transpose(device):
    rng = np.random.default_rng(3)
    A = rng.standard_normal((4, 4))  # not symmetric
    At = t64(A, device)
    h = tg.hessian(lambda x: x @ (At @ x), t64(rng.standard_normal(4), device))
    np.testing.assert_allclose(h.numpy(), A + A.T, atol=1e-12)


def test_rosenbrock_hessian_at_its_minimum(device):
    h = tg.hessian(rosenbrock, t64([1.0, 1.0], device))
    np.testing.assert_allclose(h.numpy(), [[802.0, -400.0], [-400.0, 200.0]], atol=1e-10)


def test_hessian_matches_finite_differences_of_the_gradient():
    x = t64([0.4, -0.3, 0.8])

    def f(v):
        return (v.sin() * v.exp()).sum() + (v[0] * v[1] * v[2]) ** 2

    def gradient(v):  # evaluated by finite differences, which run under no_grad
        with tg.enable_grad():
            leaf = v.detach().requires_grad_()
            (g,) = tg.grad(f(leaf), leaf)
        return g

    h = tg.hessian(f, x)
    np.testing.assert_allclose(h.numpy(), h.numpy().T, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), tg.numerical_jacobian(gradient, x).numpy(), atol=1e-6)


def test_hessian_shapes_with_tuples_match_torch():
    torch = pytest.importorskip("torch")
    from torch.autograd import functional as TF

    rng = np.random.default_rng(4)
    a_np, b_np = rng.standard_normal((2, 2)), rng.standard_normal(3)

    def f(a, b):
        return (a * a).sum() * b.sum() + (b ** 3).sum()

    ours = tg.hessian(f, (t64(a_np), t64(b_np)))
    theirs = TF.hessian(f, (torch.tensor(a_np), torch.tensor(b_np)))
    for i in range(2):
        for j in range(2):
            assert ours[i][j].shape == tuple(theirs[i][j].shape)
            np.testing.assert_allclose(ours[i][j].numpy(), theirs[i][j].numpy(), atol=1e-12)


def test_hvp_equals_hessian_times_v(device):
    rng = np.random.default_rng(5)
    x, v = t64(rng.standard_normal(3), device), t64(rng.standard_normal(3), device)

    def f(p):
        return (p.tanh() * p).sum() * p[0] + p.exp().sum()

    out, hv = tg.hvp(f, x, v)
    h = tg.hessian(f, x)
    np.testing.assert_allclose(out.numpy(), f(x).numpy())
    np.testing.assert_allclose(hv.numpy(), h.numpy() @ v.numpy(), atol=1e-12)
    assert not hv.requires_grad


def test_hvp_with_tuples_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.autograd import functional as TF

    rng = np.random.default_rng(6)
    arrs = [rng.standard_normal((2, 3)), rng.standard_normal(3)]
    vecs = [rng.standard_normal((2, 3)), rng.standard_normal(3)]

    def f(w, b):
        return ((w * b).sum(1).tanh() ** 2).sum() + (b.exp() * b).sum()

    out, hv = tg.hvp(f, tuple(t64(a) for a in arrs), tuple(t64(v) for v in vecs))
    t_out, t_hv = TF.hvp(f, tuple(torch.tensor(a) for a in arrs),
                         tuple(torch.tensor(v) for v in vecs))
    np.testing.assert_allclose(out.numpy(), t_out.numpy(), rtol=1e-12)
    for ours, theirs in zip(hv, t_hv):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-12)


def test_vjp_matches_finite_differences(device):
    x = t64([0.3, -0.7, 1.1], device)
    v = t64([0.5, -2.0], device)
    out, g = tg.vjp(f_vec, x, v)
    np.testing.assert_allclose(out.numpy(), f_vec(x).numpy())
    expected = v.numpy() @ tg.numerical_jacobian(f_vec, x).numpy()
    np.testing.assert_allclose(g.numpy(), expected, atol=1e-7)


def test_jvp_matches_finite_differences(device):
    x = t64([0.3, -0.7, 1.1], device)
    v = t64([1.0, 0.5, -0.25], device)
    out, jv = tg.jvp(f_vec, x, v)
    expected = tg.numerical_jacobian(f_vec, x).numpy() @ v.numpy()
    np.testing.assert_allclose(jv.numpy(), expected, atol=1e-7)
    assert out.shape == (2,) and jv.shape == (2,)


def test_vjp_jvp_with_tuples_match_torch():
    torch = pytest.importorskip("torch")
    from torch.autograd import functional as TF

    rng = np.random.default_rng(7)
    a_np, b_np = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    out_v = [rng.standard_normal((2, 4)), rng.standard_normal(())]
    in_v = [rng.standard_normal((2, 3)), rng.standard_normal((3, 4))]
    ins = (t64(a_np), t64(b_np))
    t_ins = (torch.tensor(a_np), torch.tensor(b_np))

    _, ours = tg.vjp(f_two_in_two_out, ins, tuple(t64(v) for v in out_v))
    _, theirs = TF.vjp(f_two_in_two_out, t_ins, tuple(torch.tensor(v) for v in out_v))
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape)
        np.testing.assert_allclose(o.numpy(), t.numpy(), atol=1e-12)

    _, ours = tg.jvp(f_two_in_two_out, ins, tuple(t64(v) for v in in_v))
    _, theirs = TF.jvp(f_two_in_two_out, t_ins, tuple(torch.tensor(v) for v in in_v))
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape)
        np.testing.assert_allclose(o.numpy(), t.numpy(), atol=1e-12)


def test_vjp_v_may_be_omitted_only_for_a_scalar_output():
    _, g = tg.vjp(lambda x: (x * x).sum(), t64([1.0, 2.0]))
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="v can be omitted"):
        tg.vjp(lambda x: x * x, t64([1.0, 2.0]))


def test_inputs_are_not_modified_and_outputs_are_detached():
    x = t64([1.0, 2.0], requires_grad=True)
    out, g = tg.vjp(lambda t: (t ** 3).sum(), x)
    assert x.grad is None and not out.requires_grad and not g.requires_grad


def test_create_graph_gives_third_derivatives(device):
    x = t64([0.7, -0.2], device)

    def f(p):
        return (p ** 4).sum() + p[0].sin() * p[1]

    def hess_diag(p):
        h = tg.hessian(f, p, create_graph=True)
        return tg.stack([h[0, 0], h[1, 1], h[0, 1]])

    third = tg.jacobian(hess_diag, x)
    a, b = x.numpy()
    # d/d(a,b) of [12 a^2 - sin(a) b, 12 b^2, cos(a)]
    expected = [[24 * a - np.cos(a) * b, -np.sin(a)], [0.0, 24 * b], [-np.sin(a), 0.0]]
    np.testing.assert_allclose(third.numpy(), expected, atol=1e-10)

    # and through hvp: d/dx (H(x) v) . w
    v = t64([1.0, 2.0], device)

    def hv_dot(p):
        _, hv = tg.hvp(f, p, v, create_graph=True)
        return hv.sum()

    g = tg.jacobian(hv_dot, x)
    np.testing.assert_allclose(g.numpy(), tg.numerical_jacobian(hv_dot, x).numpy(), atol=1e-6)


def test_second_derivative_test_classifies_points():
    kind, eig = tg.second_derivative_test(lambda p: (p ** 2).sum(), t64([0.0, 0.0]))
    assert kind == "minimum" and isinstance(eig, np.ndarray)
    np.testing.assert_allclose(eig, [2.0, 2.0])
    kind, eig = tg.second_derivative_test(lambda p: -(p ** 2).sum() + 3.0, t64([0.0, 0.0]))
    assert kind == "maximum"
    np.testing.assert_allclose(eig, [-2.0, -2.0])
    kind, eig = tg.second_derivative_test(lambda p: p[0] ** 2 - p[1] ** 2, t64([0.0, 0.0]))
    assert kind == "saddle"
    np.testing.assert_allclose(eig, [-2.0, 2.0])
    kind, eig = tg.second_derivative_test(rosenbrock, t64([1.0, 1.0]))
    assert kind == "minimum"
    np.testing.assert_allclose(eig, np.linalg.eigvalsh([[802.0, -400.0], [-400.0, 200.0]]))


def test_second_derivative_test_is_inconclusive_away_from_critical_points_and_when_flat():
    kind, eig = tg.second_derivative_test(lambda p: p[0] ** 2 - p[1] ** 2, t64([1.0, 0.0]))
    assert kind == "inconclusive"  # gradient (2, 0): not a critical point
    np.testing.assert_allclose(eig, [-2.0, 2.0])
    kind, _ = tg.second_derivative_test(lambda p: (p ** 4).sum(), t64([0.0, 0.0]))
    assert kind == "inconclusive"  # a minimum, but the Hessian is zero: the test cannot tell
    kind, _ = tg.second_derivative_test(lambda p: p[0] ** 2 + p[1] ** 3, t64([0.0, 0.0]))
    assert kind == "inconclusive"  # semi-definite
    kind, _ = tg.second_derivative_test(lambda p: p[0] ** 2 - p[1] ** 2 + p[2] ** 4,
                                        t64([0.0, 0.0, 0.0]))
    assert kind == "saddle"  # both signs settle it, whatever the zero eigenvalue


def test_second_derivative_test_works_on_float32_input_and_any_shape():
    kind, eig = tg.second_derivative_test(lambda p: (p * p).sum() - 3 * p[0, 1] ** 2,
                                          tg.zeros(2, 2))
    assert kind == "saddle" and eig.shape == (4,)


def test_top_hessian_eigenvalue_matches_eigvalsh_of_the_explicit_hessian():
    rng = np.random.default_rng(8)
    w1 = t64(rng.standard_normal((3, 4)) * 0.5, requires_grad=True)
    w2 = t64(rng.standard_normal(4) * 0.5, requires_grad=True)
    x = t64(rng.standard_normal((5, 3)))
    y = t64(rng.standard_normal(5))

    def loss_of(a, b):
        return (((x @ a).tanh() @ b - y) ** 2).mean()

    top = tg.top_hessian_eigenvalue(lambda: loss_of(w1, w2), [w1, w2], iters=500, tol=1e-12)
    h = tg.hessian(loss_of, (w1, w2))
    n1, n2 = w1.numel(), w2.numel()
    full = np.block([[h[0][0].numpy().reshape(n1, n1), h[0][1].numpy().reshape(n1, n2)],
                     [h[1][0].numpy().reshape(n2, n1), h[1][1].numpy().reshape(n2, n2)]])
    eig = np.linalg.eigvalsh(full)
    expected = eig[np.argmax(np.abs(eig))]
    assert top == pytest.approx(expected, rel=1e-6)
    assert w1.grad is None and w2.grad is None  # parameters' .grad untouched


def test_top_hessian_eigenvalue_of_a_known_quadratic():
    rng = np.random.default_rng(9)
    q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    A = q @ np.diag([7.0, 3.0, 1.0, 0.5, 0.1, 0.0]) @ q.T
    w = t64(rng.standard_normal(6), requires_grad=True)
    At = t64(A)
    top = tg.top_hessian_eigenvalue(lambda: 0.5 * (w @ (At @ w)), [w], iters=300, tol=1e-12,
                                    seed=3)
    assert top == pytest.approx(7.0, rel=1e-8)
