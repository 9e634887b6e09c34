"""Newton (exact and CG), the line searches, and the zeroth-order searches."""

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import optim
from tinygrad_gd.optim import line_search


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


# --------------------------------------------------------------------------- Newton
@pytest.mark.parametrize("solver", ["exact", "cg"])
def test_newton_rosenbrock_converges_quadratically(solver, device):
    x = tg.tensor([-1.2, 1.0], dtype="float64", requires_grad=True, device=device)
    opt = optim.Newton([x], solver=solver, line_search="backtracking")
    errors = []
    for _ in range(30):
        opt.step(lambda: rosenbrock(x))
        errors.append(float(np.linalg.norm(x.numpy() - 1.0)))
        if errors[-1] < 1e-13:
            break
    assert errors[-1] <= 1e-8, errors
    assert len(errors) <= 30
    # quadratic convergence: once close, e_{k+1} <= C e_k^2 with a moderate C
    tail = [(a, b) for a, b in zip(errors, errors[1:]) if a < 1e-2 and b > 0]
    assert len(tail) >= 2
    for a, b in tail:
        assert b / a ** 2 < 100, (a, b)
    # and not merely linear: the last ratios e_{k+1}/e_k collapse
    assert min(b / a for a, b in tail) < 1e-3


def test_one_cg_step_solves_an_spd_quadratic_of_dimension_50(device):
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(50, 50)))
    A = Q @ np.diag(np.linspace(1.0, 20.0, 50)) @ Q.T
    b = rng.normal(size=50)
    At, bt = tg.tensor(A, device=device), tg.tensor(b, device=device)
    x = tg.zeros(50, dtype="float64", requires_grad=True, device=device)
    opt = optim.Newton([x], solver="cg", cg_tol=1e-12)
    opt.step(lambda: 0.5 * (x @ (At @ x)) - (bt * x).sum())
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(A, b), rtol=0, atol=1e-9)
    assert 1 <= opt.stats["hvps"] <= 50 and opt.stats["hvps"] == opt.stats["cg_iters"]
    # the iteration cap: 3 CG iterations, 3 HVPs, a partial but descending step
    y = tg.zeros(50, dtype="float64", requires_grad=True, device=device)
    capped = optim.Newton([y], solver="cg", cg_max_iter=3)
    capped.step(lambda: 0.5 * (y @ (At @ y)) - (bt * y).sum())
    assert capped.stats["hvps"] == 3
    value = lambda v: 0.5 * v @ A @ v - b @ v  # noqa: E731
    assert value(x.numpy()) < value(y.numpy()) < value(np.zeros(50))


def test_exact_newton_on_several_parameter_tensors_matches_the_analytic_step():
    a = tg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    b = tg.tensor([[0.5]], dtype="float64", requires_grad=True)

    def f():  # separable quartic + coupling: H is easy to write
        return (a ** 4).sum() + (a[0] * b[0, 0]) ** 2 + b.sum() ** 2

    x = np.array([1.0, 2.0, 0.5])
    g = np.array([4 + 2 * 0.25, 32, 2 * 0.5 * 1 + 2 * 0.5])
    H = np.array([[12 + 2 * 0.25, 0, 4 * 1 * 0.5], [0, 48, 0], [4 * 0.5, 0, 2 * 1 + 2]])
    want = x - np.linalg.solve(H, g)
    opt = optim.Newton([a, b])
    opt.step(f)
    np.testing.assert_allclose(np.r_[a.numpy(), b.numpy().ravel()], want, rtol=1e-12)
    assert opt.stats["hvps"] == 3
    np.testing.assert_allclose(np.r_[a.grad.numpy(), b.grad.numpy().ravel()], g)


def test_damped_newton_leaves_a_saddle():
    """f = x^2 - y^2: pure Newton jumps straight onto the saddle (0, 0); damped Newton's shift
    makes every direction a descent direction, so it moves away along y."""
    x0 = np.array([1.0, 0.5])
    H = np.diag([2.0, -2.0])
    undamped = x0 - np.linalg.solve(H, np.array([2.0, -1.0]))
    assert np.allclose(undamped, 0.0)      # what the undamped iteration would do
    for solver, kw in (("exact", {"damping": 1.0}), ("exact", {}),
                       ("cg", {"damping": 3.0})):
        p = tg.tensor(x0, dtype="float64", requires_grad=True)
        opt = optim.Newton([p], solver=solver, **kw)
        values = []

        def saddle(p=p):
            return p[0] ** 2 - p[1] ** 2
        for _ in range(5):
            opt.step(saddle)
            values.append(p.numpy().copy())
        assert abs(values[-1][1]) > 2.0, (solver, values)     # |y| grows: away from the saddle
        assert values[-1][0] ** 2 - values[-1][1] ** 2 < -4.0
        assert np.linalg.norm(values[-1]) > 1.0


def test_cg_negative_curvature_falls_back_to_descent():
    p = tg.tensor([0.0, 1e-3], dtype="float64", requires_grad=True)
    opt = optim.Newton([p], solver="cg", line_search="backtracking")
    loss0 = opt.step(lambda: p[0] ** 2 - p[1] ** 2 + p[1] ** 4).item()
    after = (p[0] ** 2 - p[1] ** 2 + p[1] ** 4).item()
    assert after < loss0 and opt.stats["cg_iters"] == 1


def test_newton_grid_line_search_and_lr():
    x = tg.tensor([-1.2, 1.0], dtype="float64", requires_grad=True)
    opt = optim.Newton([x], line_search="grid")
    for _ in range(40):
        opt.step(lambda: rosenbrock(x))
    np.testing.assert_allclose(x.numpy(), [1.0, 1.0], atol=1e-8)
    y = tg.tensor([4.0], dtype="float64", requires_grad=True)
    optim.Newton([y], lr=0.5).step(lambda: (y ** 2).sum())
    assert y.item() == pytest.approx(2.0)   # half a Newton step on a quadratic


def test_newton_bad_input():
    x = tg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    with pytest.raises(RuntimeError, match="closure"):
        optim.Newton([x]).step()
    with pytest.raises(ValueError, match="max_exact_params"):
        optim.Newton([tg.zeros(1001, requires_grad=True)])
    optim.Newton([tg.zeros(1001, requires_grad=True)], solver="cg")  # fine Hessian-free
    with pytest.raises(ValueError, match="solver"):
        optim.Newton([x], solver="lbfgs")
    with pytest.raises(ValueError, match="line_search"):
        optim.Newton([x], line_search="wolfe")
    with pytest.raises(ValueError, match="damping"):
        optim.Newton([x], damping=-1.0)

    with pytest.raises(RuntimeError, match="closure"):
        optim.Newton([x]).step()
    with pytest.raises(TypeError, match="one-element"):
        optim.Newton([x]).step(lambda: x ** 2)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Newton([])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.Newton([x * 1.0])


# ---------------------------------------------------------------------- line searches
def test_backtracking_armijo():
    calls = []

    def phi(t):
        calls.append(t)
        return (6.0 * t - 3.0) ** 2   # f(x) = (x - 3)^2 from x = 0 along d = 6

    r = line_search.backtracking(phi, phi0=9.0, slope=-36.0, t0=4.0, c=0.25, rho=0.5)
    assert calls == [4.0, 2.0, 1.0, 0.5] and r.step == 0.5 and r.value == 0.0 and r.success
    # the Armijo condition itself: 0.9 -> phi = 5.76 > 9 - 0.25 * 0.9 * 36 = 0.9 fails,
    # 0.45 -> phi = 0.09 <= 9 - 4.05 passes
    r = line_search.backtracking(phi, 9.0, -36.0, t0=0.9, c=0.25, rho=0.5)
    assert r.step == pytest.approx(0.45) and r.evaluations == 2
    r = line_search.backtracking(lambda t: math.nan, 1.0, -1.0, max_iter=5)
    assert not r.success and r.step == 0.0 and r.value == 1.0
    with pytest.raises(ValueError, match="descent"):
        line_search.backtracking(phi, 9.0, 1.0)


def test_grid():
    r = line_search.grid(lambda t: (t - 0.3) ** 2, steps=[1.0, 0.5, 0.25, 0.125])
    assert r.step == 0.25 and r.evaluations == 4 and r.success
    r = line_search.grid(lambda t: 1.0 + t, steps=[1.0, 0.5], phi0=1.0)
    assert r.step == 0.0 and not r.success
    with pytest.raises(ValueError, match="at least one"):
        line_search.grid(lambda t: t, steps=[])


# ----------------------------------------------------------------------- random search
def sphere(x):
    return lambda: ((x - 1.0) ** 2).sum()


def test_random_search_keeps_the_best_and_is_seeded():
    runs = []
    for _ in range(2):
        x = tg.zeros(3, dtype="float64", requires_grad=True)
        opt = optim.RandomSearch([x], std=1.0, mean=1.0, seed=3)
        history = [opt.step(sphere(x)).item() for _ in range(30)]
        assert all(b <= a for a, b in zip(history, history[1:]))     # monotone
        assert history[-1] == pytest.approx(sphere(x)().item())       # x holds the best
        runs.append((history, x.numpy().copy()))
    assert runs[0][0] == runs[1][0] and np.array_equal(runs[0][1], runs[1][1])
    assert runs[0][0][-1] < 3.0      # better than the start (loss 3)
    x = tg.zeros(3, dtype="float64", requires_grad=True)
    optim.RandomSearch([x], seed=4).step(sphere(x))
    assert not np.array_equal(x.numpy(), runs[0][1])   # another seed, another draw


def test_random_local_search_descends_and_uses_the_library_generator():
    def run():
        tg.manual_seed(7)
        x = tg.zeros(2, dtype="float64", requires_grad=True)
        opt = optim.RandomLocalSearch([x], step_size=0.2, n_samples=2)
        for _ in range(150):
            loss = opt.step(sphere(x))
        return loss.item(), x.numpy()

    (l1, x1), (l2, x2) = run(), run()
    assert l1 == l2 and np.array_equal(x1, x2) and l1 < 0.02


def test_random_search_state_dict_resumes_the_same_draws():
    x = tg.zeros(2, dtype="float64", requires_grad=True)
    opt = optim.RandomLocalSearch([x], step_size=0.3, seed=1)
    for _ in range(5):
        opt.step(sphere(x))
    sd, x_saved = opt.state_dict(), x.numpy().copy()
    straight = [opt.step(sphere(x)).item() for _ in range(5)]
    y = tg.tensor(x_saved, requires_grad=True)
    opt2 = optim.RandomLocalSearch([y], step_size=0.3, seed=99)
    opt2.load_state_dict(sd)
    assert [opt2.step(sphere(y)).item() for _ in range(5)] == straight


def test_search_bad_input():
    x = tg.zeros(2, requires_grad=True)
    for opt in (optim.RandomSearch([x]), optim.RandomLocalSearch([x])):
        with pytest.raises(RuntimeError, match="closure"):
            opt.step()
    with pytest.raises(ValueError, match="std"):
        optim.RandomSearch([x], std=-1.0)
    with pytest.raises(ValueError, match="n_samples"):
        optim.RandomLocalSearch([x], n_samples=0)
    with pytest.raises(ValueError, match="empty"):
        optim.RandomSearch([])


# ------------------------------------------------------------- torch's closure protocol
@pytest.mark.parametrize("solver", ["exact", "cg"])
@pytest.mark.parametrize("line_search", [None, "backtracking", "grid"])
def test_torch_style_closure_gives_the_same_steps_as_a_loss_only_closure(solver, line_search):
    """A closure that calls zero_grad() and backward() (torch's LBFGS protocol) and one that
    only returns the loss take the same Newton steps; the grads left are the start's."""
    def f(x):
        return ((x - 1.0) ** 4).sum() + (x[0] * x[1]) ** 2 + (x ** 2).sum()

    start = [2.0, -1.5, 0.5]
    x1 = tg.tensor(start, dtype="float64", requires_grad=True)
    x2 = tg.tensor(start, dtype="float64", requires_grad=True)
    opt1 = tg.optim.Newton([x1], solver=solver, line_search=line_search)
    opt2 = tg.optim.Newton([x2], solver=solver, line_search=line_search)

    def torch_closure():
        opt2.zero_grad()
        loss = f(x2)
        loss.backward()
        return loss

    for _ in range(4):
        g_start = tg.grad(f(x1), [x1])[0].numpy()
        l1 = opt1.step(lambda: f(x1))
        l2 = opt2.step(torch_closure)
        assert l1.item() == pytest.approx(l2.item(), rel=1e-12)
        np.testing.assert_allclose(x2.numpy(), x1.numpy(), rtol=1e-12)
        np.testing.assert_allclose(x2.grad.numpy(), g_start, rtol=1e-12)
    assert opt2.stats["evaluations"] == opt1.stats["evaluations"]


def test_torch_style_closure_on_a_model():
    tg.manual_seed(0)
    model = tg.nn.Linear(3, 1).double()
    x = tg.randn(8, 3, dtype="float64")
    y = x @ tg.tensor([[1.0], [-2.0], [0.5]], dtype="float64") + 0.25
    opt = tg.optim.Newton(model.parameters())

    def closure():
        opt.zero_grad()
        loss = tg.nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    opt.step(closure)  # least squares: one Newton step solves it
    assert closure().item() < 1e-20


def test_backward_frees_graphs_again_after_a_newton_step():
    x = tg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    opt = tg.optim.Newton([x])

    def closure():
        opt.zero_grad()
        loss = (x ** 3).sum()
        loss.backward()
        return loss

    opt.step(closure)
    loss = (x ** 3).sum()
    loss.backward()
    with pytest.raises(RuntimeError):
        loss.backward()  # the graph was freed: Newton's keep-graphs switch is off again
