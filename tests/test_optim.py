"""First-order optimizers and the Optimizer base: hand formulas, torch.optim, state, bad input."""

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import optim

# f(x) = 1/2 sum(a * x^2) - sum(c * x): gradient a * x - c, minimum at c / a.
A = np.array([1.0, 3.0, 0.5])
C = np.array([0.5, -1.0, 2.0])
X0 = np.array([1.0, -2.0, 0.5])


def quad(x):
    return 0.5 * (tg.tensor(A) * x * x).sum() - (tg.tensor(C) * x).sum()


def grad_np(x):
    return A * x - C


def run(make, steps, x0=X0):
    """`steps` optimizer steps on `quad`; returns the list of iterates after each step."""
    x = tg.tensor(x0.copy(), requires_grad=True)
    opt = make([x])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        quad(x).backward()
        opt.step()
        out.append(x.numpy().copy())
    return out


# ----------------------------------------------------------------- first 3 steps, by hand
def test_gd_three_steps_by_hand():
    got = run(lambda p: optim.GD(p, lr=0.1), 3)
    x = X0.copy()
    for k in range(3):
        x = x - 0.1 * grad_np(x)
        np.testing.assert_allclose(got[k], x, rtol=0, atol=1e-14)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_three_steps_by_hand(nesterov):
    lr, mu, wd, damp = 0.1, 0.9, 0.01, 0.0
    got = run(lambda p: optim.SGD(p, lr=lr, momentum=mu, weight_decay=wd, nesterov=nesterov), 3)
    x, b = X0.copy(), None
    for k in range(3):
        d = grad_np(x) + wd * x
        b = d.copy() if b is None else mu * b + (1 - damp) * d
        x = x - lr * (d + mu * b if nesterov else b)
        np.testing.assert_allclose(got[k], x, rtol=0, atol=1e-14)


def test_sgd_dampening_three_steps_by_hand():
    got = run(lambda p: optim.SGD(p, lr=0.2, momentum=0.5, dampening=0.3), 3)
    x, b = X0.copy(), None
    for k in range(3):
        d = grad_np(x)
        b = d.copy() if b is None else 0.5 * b + 0.7 * d   # the first buffer is undamped (torch)
        x = x - 0.2 * b
        np.testing.assert_allclose(got[k], x, rtol=0, atol=1e-14)


@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop_three_steps_by_hand(centered):
    lr, alpha, eps, mu = 0.01, 0.9, 1e-8, 0.5
    got = run(lambda p: optim.RMSprop(p, lr=lr, alpha=alpha, eps=eps, momentum=mu,
                                      centered=centered), 3)
    x, v, m, b = X0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    for k in range(3):
        g = grad_np(x)
        v = alpha * v + (1 - alpha) * g * g
        m = alpha * m + (1 - alpha) * g
        s = np.sqrt(v - m * m if centered else v) + eps
        b = mu * b + g / s
        x = x - lr * b
        np.testing.assert_allclose(got[k], x, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_three_steps_by_hand(amsgrad):
    lr, b1, b2, eps, wd = 0.1, 0.8, 0.9, 1e-8, 0.05
    got = run(lambda p: optim.Adam(p, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd,
                                   amsgrad=amsgrad), 3)
    x, m, v, vmax = X0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    for t in range(1, 4):
        g = grad_np(x) + wd * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        vhat = (vmax if amsgrad else v) / (1 - b2 ** t)
        x = x - lr * (m / (1 - b1 ** t)) / (np.sqrt(vhat) + eps)
        np.testing.assert_allclose(got[t - 1], x, rtol=1e-13, atol=1e-14)


def test_adamw_three_steps_by_hand():
    lr, b1, b2, eps, wd = 0.1, 0.9, 0.999, 1e-8, 0.2
    got = run(lambda p: optim.AdamW(p, lr=lr, weight_decay=wd), 3)
    x, m, v = X0.copy(), np.zeros(3), np.zeros(3)
    for t in range(1, 4):
        g = grad_np(x)              # the gradient at the un-decayed point
        x = x * (1 - lr * wd)       # decoupled decay
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        x = x - lr / (1 - b1 ** t) * m / (np.sqrt(v / (1 - b2 ** t)) + eps)
        np.testing.assert_allclose(got[t - 1], x, rtol=1e-13, atol=1e-14)


# ------------------------------------------------------------------------ against torch
TORCH_CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True,
                 "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.95), "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}),
]


@pytest.mark.parametrize("name,kwargs", TORCH_CASES)
def test_25_steps_match_torch(name, kwargs, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    M = rng.normal(size=(6, 6))
    H = M @ M.T / 6 + 0.5 * np.eye(6)
    c, x0 = rng.normal(size=6), rng.normal(size=6)
    x = tg.tensor(x0.copy(), requires_grad=True, device=device)
    xt = torch.tensor(x0.copy(), requires_grad=True)
    opt, opt_t = getattr(optim, name)([x], **kwargs), getattr(torch.optim, name)([xt], **kwargs)
    Ht, ct = torch.tensor(H), torch.tensor(c)
    Hg, cg = tg.tensor(H, device=device), tg.tensor(c, device=device)
    for _ in range(25):
        opt.zero_grad()
        (0.5 * (x @ (Hg @ x)) - (cg * x).sum()).backward()
        opt.step()
        opt_t.zero_grad()
        (0.5 * (xt @ (Ht @ xt)) - (ct * xt).sum()).backward()
        opt_t.step()
    np.testing.assert_allclose(x.numpy(), xt.detach().numpy(), rtol=0, atol=1e-6)
    assert np.abs(x.numpy() - x0).max() > 1e-3  # it moved: the comparison is not vacuous


# --------------------------------------------------------------------------- behaviour
def test_sgd_escapes_saddle_that_full_batch_gd_stalls_on():
    """f(x, y) = mean_i [x^2 + a_i y + y^4/4 - y^2/2]: the saddle (0, 0) of the full loss (the a_i
    sum to zero) has stable manifold y = 0. Full-batch GD started there stays on it and converges
    to the saddle; SGD on single examples sees a_i != 0, leaves y = 0 and ends in a minimum."""
    # dyadic values summing to exactly 0 in any order, so the full gradient in y is exactly 0
    a = np.array([1, -1, 2, -2, 0.5, -0.5, 1.5, -1.5, 3, -3, 0.25, -0.25, 1, -1, 2, -2])
    np.random.default_rng(0).shuffle(a)

    def loss(p, idx):
        x, y = p[0], p[1]
        ai = tg.tensor(a[idx])
        return (x * x + ai * y + y ** 4 / 4 - y * y / 2).mean()

    def train(batch, seed):
        p = tg.tensor([1.0, 0.0], dtype="float64", requires_grad=True)
        opt = optim.GD([p], lr=0.05) if batch is None else optim.SGD([p], lr=0.05)
        pick = np.random.default_rng(seed)
        for _ in range(300):
            idx = np.arange(16) if batch is None else pick.integers(0, 16, size=batch)
            opt.zero_grad()
            loss(p, idx).backward()
            opt.step()
        return p

    def settle(p):
        """Full-batch GD from where SGD left off: the noise goes, the basin decides the end."""
        opt = optim.GD([p], lr=0.1)
        for _ in range(200):
            opt.zero_grad()
            loss(p, np.arange(16)).backward()
            opt.step()
        return p.numpy()

    full = lambda p: float(p[0] ** 2 + p[1] ** 4 / 4 - p[1] ** 2 / 2)  # noqa: E731
    gd = settle(train(None, 0))
    assert gd[1] == 0.0 and abs(gd[0]) < 1e-8           # stuck at the saddle (0, 0), f = 0
    assert full(gd) == pytest.approx(0.0, abs=1e-12)
    for seed in range(3):
        sgd = settle(train(1, seed))
        assert abs(abs(sgd[1]) - 1.0) < 1e-6       # escaped to a minimum (0, +-1)
        assert full(sgd) == pytest.approx(-0.25, abs=1e-9)


def test_param_groups_use_their_own_hyperparameters():
    a = tg.tensor([1.0], requires_grad=True)
    b = tg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    (a * 2 + b * 2).sum().backward()
    opt.step()
    assert a.item() == pytest.approx(0.8) and b.item() == pytest.approx(0.0)
    assert opt.param_groups[1]["momentum"] == 0.0  # defaults filled in


def test_state_dict_resume_gives_the_same_trajectory():
    def fresh():
        return tg.tensor(X0.copy(), requires_grad=True)

    def steps(x, opt, n):
        for _ in range(n):
            opt.zero_grad()
            quad(x).backward()
            opt.step()

    for make in (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                 lambda p: optim.Adam(p, lr=0.1, amsgrad=True),
                 lambda p: optim.RMSprop(p, lr=0.01, centered=True, momentum=0.3)):
        x = fresh()
        opt = make([x])
        steps(x, opt, 10)
        straight = x.numpy().copy()
        y = fresh()
        opt1 = make([y])
        steps(y, opt1, 5)
        saved, y_saved = opt1.state_dict(), y.numpy().copy()
        steps(y, opt1, 3)           # keeps going: the saved copy must not move with it
        z = tg.tensor(y_saved, requires_grad=True)
        opt2 = make([z])
        opt2.load_state_dict(saved)
        steps(z, opt2, 5)
        np.testing.assert_allclose(z.numpy(), straight, rtol=0, atol=1e-14)


def test_load_state_dict_restores_hyperparameters_and_checks_shapes():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([x], lr=0.1, momentum=0.9)
    (x * x).sum().backward()
    opt.step()
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = 0.01
    opt2 = optim.SGD([tg.tensor([0.0, 0.0], requires_grad=True)], lr=0.5, momentum=0.9)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.01
    with pytest.raises(ValueError, match="parameter groups"):
        optim.SGD([{"params": [x]}, {"params": [tg.ones(1, requires_grad=True)]}],
                  lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="shape"):
        optim.SGD([tg.ones(3, requires_grad=True)], lr=0.1, momentum=0.9).load_state_dict(sd)


def test_numpy_scalar_hyperparameters_are_accepted():
    x = tg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([x], lr=np.float32(0.5), momentum=np.float64(0.5))
    (x * x).sum().backward()
    opt.step()
    assert x.item() == pytest.approx(0.0)


def test_zero_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([x], lr=0.1)
    (x * x).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert x.grad is not None and x.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert x.grad is None


def test_parameters_without_grad_are_skipped_and_closure_loss_is_returned():
    x = tg.tensor([1.0], requires_grad=True)
    y = tg.tensor([1.0], requires_grad=True)
    opt = optim.Adam([x, y], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 1.0 and y.item() == 1.0 and x.item() == pytest.approx(0.9)


def test_in_place_update_of_a_saved_parameter_is_caught():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([x], lr=0.1)
    (x * x).sum().backward()
    live = (x * x).sum()     # saves x for backward
    v = x.version
    opt.step()
    assert x.version == v + 1
    with pytest.raises(RuntimeError, match="modified in place"):
        live.backward()


def test_float32_parameters_stay_float32(device):
    x = tg.tensor([1.0, 2.0], device=device, requires_grad=True)
    for opt in (optim.SGD([x], lr=0.1, momentum=0.9), optim.Adam([x]), optim.AdamW([x]),
                optim.RMSprop([x], centered=True), optim.GD([x])):
        (x * x).sum().backward()
        opt.step()
        opt.zero_grad()
        assert x.dtype == tg.float32 and x.device.startswith(device)
    assert np.all(np.isfinite(x.numpy()))


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("make,match", [
    (lambda p: optim.SGD(p, lr=-0.1), "learning rate"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=1.0), "momentum"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.1), "momentum"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "beta"),
    (lambda p: optim.Adam(p, eps=-1e-8), "eps"),
    (lambda p: optim.RMSprop(p, alpha=1.5), "alpha"),
    (lambda p: optim.GD(p, lr=math.nan), "learning rate"),
    (lambda p: optim.GD(p, lr="0.1"), "learning rate"),
    (lambda p: optim.SGD([{"params": p, "lr": -1.0}], lr=0.1), "learning rate"),
])
def test_bad_hyperparameters_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make([tg.ones(2, requires_grad=True)])


def test_a_step_after_the_parameters_became_float64_is_computed_in_float64():
    # the scratch buffers are cached per parameter: model.double() after the first step must
    # not leave the update computed in the old float32 scratch
    w = tg.nn.Parameter(tg.tensor([1.0, 2.0]))
    opt = optim.SGD([w], lr=1e-3)
    w.grad = tg.ones(2)
    opt.step()
    with tg.no_grad():
        w.data = w.data.astype(np.float64)
    g = np.array([0.1234567890123, 0.9876543210987])
    start = w.numpy().copy()
    w.grad = tg.tensor(g)
    opt.step()
    assert w.dtype == np.float64
    np.testing.assert_allclose(w.numpy(), start - 1e-3 * g, rtol=0, atol=1e-15)


def test_bad_parameters_raise_clear_errors():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    leaf = tg.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.Adam([leaf * 2])
    with pytest.raises(TypeError, match="single Tensor"):
        optim.Adam(leaf)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.Adam([leaf, 3.0])
    with pytest.raises(ValueError, match="more than one"):
        optim.Adam([leaf, leaf])
    with pytest.raises(TypeError, match="floating"):
        optim.Adam([tg.tensor([1, 2])])


def test_state_dicts_round_trip_through_tg_save(tmp_path):
    """Optimizer and scheduler state survive tg.save/tg.load (npz, no pickle) exactly."""
    from tinygrad_gd.optim import lr_scheduler as S

    def setup(x):
        opt = optim.Adam([x], lr=0.1, betas=(0.8, 0.9), amsgrad=True)
        return opt, S.MultiStepLR(opt, milestones=[3, 6], gamma=0.5)

    def steps(x, opt, sched, n):
        for _ in range(n):
            opt.zero_grad()
            quad(x).backward()
            opt.step()
            sched.step()

    x = tg.tensor(X0.copy(), requires_grad=True)
    opt, sched = setup(x)
    steps(x, opt, sched, 4)
    tg.save({"opt": opt.state_dict(), "sched": sched.state_dict(), "x": x}, tmp_path / "c.npz")
    steps(x, opt, sched, 4)
    ck = tg.load(tmp_path / "c.npz")
    y = tg.tensor(ck["x"].numpy(), requires_grad=True)
    opt2, sched2 = setup(y)
    opt2.load_state_dict(ck["opt"])
    sched2.load_state_dict(ck["sched"])
    assert opt2.param_groups[0]["betas"] == (0.8, 0.9)
    steps(y, opt2, sched2, 4)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    assert sched2.get_last_lr() == sched.get_last_lr()
