"""Every optimizer against torch's, step by step: the same initial weights, the same loss (so
the same gradients), 20 steps in float64, parameters equal to 1e-10 relative after each step.
Also torch's options (``maximize``, ``foreach``, ...), parameter groups, ``state_dict``
round trips and the closure protocol of ``LBFGS``."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import optim

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
W0 = RNG.standard_normal((3, 4))
B0 = RNG.standard_normal(4)
DATA = RNG.standard_normal((5, 3))


def _loss(lib, w, b):
    """A smooth non-quadratic loss of both parameters (the same formula on both libraries)."""
    x = lib.tensor(DATA, dtype=lib.float64)
    h = (x @ w + b).tanh()
    return (h * h).sum() + (w * w).sum() * 0.1 + (b ** 4).sum() * 0.05


def _params(lib):
    return ([lib.tensor(W0.copy(), dtype=lib.float64, requires_grad=True),
             lib.tensor(B0.copy(), dtype=lib.float64, requires_grad=True)])


def _run(make, lib, opt_module, steps=20, groups=None):
    w, b = _params(lib)
    params = [w, b] if groups is None else [{"params": [w], **groups[0]},
                                            {"params": [b], **groups[1]}]
    opt = make(opt_module, params)
    trace = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(lib, w, b).backward()
        opt.step()
        trace.append((w.detach().numpy().copy(), b.detach().numpy().copy()))
    return trace, opt


CASES = {
    "SGD": lambda o, p: o.SGD(p, lr=0.05),
    "SGD_momentum_nesterov_wd": lambda o, p: o.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                                                   weight_decay=0.01),
    "SGD_dampening_maximize": lambda o, p: o.SGD(p, lr=0.01, momentum=0.5, dampening=0.3,
                                                 maximize=True, foreach=False),
    "SGD_default_lr": lambda o, p: o.SGD(p),
    "Adam": lambda o, p: o.Adam(p, lr=0.01),
    "Adam_amsgrad_wd_maximize": lambda o, p: o.Adam(p, lr=0.01, amsgrad=True, weight_decay=0.1,
                                                    maximize=True, foreach=True),
    "Adam_decoupled": lambda o, p: o.Adam(p, lr=0.01, weight_decay=0.1,
                                          decoupled_weight_decay=True),
    "AdamW": lambda o, p: o.AdamW(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6),
    "AdamW_amsgrad": lambda o, p: o.AdamW(p, lr=0.01, amsgrad=True, capturable=False),
    "RMSprop": lambda o, p: o.RMSprop(p, lr=0.01),
    "RMSprop_centered_momentum_wd": lambda o, p: o.RMSprop(p, lr=0.01, centered=True,
                                                           momentum=0.9, weight_decay=0.1,
                                                           alpha=0.9),
    "RMSprop_maximize": lambda o, p: o.RMSprop(p, lr=0.001, maximize=True),
    "Adagrad": lambda o, p: o.Adagrad(p, lr=0.1),
    "Adagrad_decay_init_wd": lambda o, p: o.Adagrad(p, lr=0.1, lr_decay=0.01,
                                                    initial_accumulator_value=0.5,
                                                    weight_decay=0.1, eps=1e-8),
    "Adagrad_maximize": lambda o, p: o.Adagrad(p, lr=0.01, maximize=True),
    "Adadelta": lambda o, p: o.Adadelta(p),
    "Adadelta_rho_wd_maximize": lambda o, p: o.Adadelta(p, lr=0.5, rho=0.8, weight_decay=0.1,
                                                        maximize=True),
    "NAdam": lambda o, p: o.NAdam(p),
    "NAdam_wd": lambda o, p: o.NAdam(p, lr=0.01, weight_decay=0.1, momentum_decay=0.01),
    "NAdam_decoupled": lambda o, p: o.NAdam(p, lr=0.01, weight_decay=0.1,
                                            decoupled_weight_decay=True),
    "RAdam": lambda o, p: o.RAdam(p, lr=0.01),
    "RAdam_wd_beta2": lambda o, p: o.RAdam(p, lr=0.01, betas=(0.9, 0.9), weight_decay=0.1),
    "RAdam_decoupled_maximize": lambda o, p: o.RAdam(p, lr=0.01, betas=(0.9, 0.8),
                                                     weight_decay=0.1, maximize=True,
                                                     decoupled_weight_decay=True),
    "Adamax": lambda o, p: o.Adamax(p),
    "Adamax_wd": lambda o, p: o.Adamax(p, lr=0.01, betas=(0.5, 0.9), weight_decay=0.1),
}


@pytest.mark.parametrize("name", list(CASES))
def test_optimizer_matches_torch_step_by_step(name):
    ours, _ = _run(CASES[name], tg, optim)
    theirs, _ = _run(CASES[name], torch, torch.optim)
    for step, ((w, b), (tw, tb)) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(w, tw, rtol=1e-10, atol=1e-13, err_msg=f"{name} step {step}")
        np.testing.assert_allclose(b, tb, rtol=1e-10, atol=1e-13, err_msg=f"{name} step {step}")


GROUPS = {
    "SGD": (lambda o, p: o.SGD(p, lr=0.05, momentum=0.9),
            ({"lr": 0.01, "nesterov": True}, {"momentum": 0.5, "weight_decay": 0.1})),
    "Adam": (lambda o, p: o.Adam(p, lr=0.01), ({"amsgrad": True}, {"lr": 0.1,
                                                                   "betas": (0.5, 0.9)})),
    "Adagrad": (lambda o, p: o.Adagrad(p), ({"lr_decay": 0.1}, {"lr": 0.5})),
    "NAdam": (lambda o, p: o.NAdam(p), ({"momentum_decay": 0.1}, {"weight_decay": 0.2})),
    "RAdam": (lambda o, p: o.RAdam(p), ({"lr": 0.1}, {"betas": (0.9, 0.9)})),
    "Adadelta": (lambda o, p: o.Adadelta(p), ({"rho": 0.5}, {"lr": 0.1})),
}


@pytest.mark.parametrize("name", list(GROUPS))
def test_per_group_options_match_torch(name):
    make, groups = GROUPS[name]
    ours, opt = _run(make, tg, optim, groups=groups)
    theirs, topt = _run(make, torch, torch.optim, groups=groups)
    for (w, b), (tw, tb) in zip(ours, theirs):
        np.testing.assert_allclose(w, tw, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(b, tb, rtol=1e-10, atol=1e-13)
    for g, tgroup in zip(opt.param_groups, topt.param_groups):
        assert set(g) == set(tgroup), set(g) ^ set(tgroup)


@pytest.mark.parametrize("name", ["SGD_momentum_nesterov_wd", "Adam_amsgrad_wd_maximize",
                                  "Adagrad_decay_init_wd", "Adadelta", "NAdam_wd", "RAdam",
                                  "Adamax", "RMSprop_centered_momentum_wd"])
def test_state_dict_round_trip_resumes_the_same_trajectory(name):
    """10 steps, save, build a fresh optimizer, load, 10 more: as 20 uninterrupted steps."""
    full, _ = _run(CASES[name], tg, optim, steps=20)
    w, b = _params(tg)
    opt = CASES[name](optim, [w, b])
    for _ in range(10):
        opt.zero_grad()
        _loss(tg, w, b).backward()
        opt.step()
    saved = opt.state_dict()
    again = CASES[name](optim, [w, b])
    again.load_state_dict(saved)
    for _ in range(10):
        again.zero_grad()
        _loss(tg, w, b).backward()
        again.step()
    np.testing.assert_allclose(w.numpy(), full[-1][0], rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), full[-1][1], rtol=1e-12)


def test_state_dict_keys_match_torch():
    for name in ("Adam_amsgrad_wd_maximize", "Adagrad", "NAdam", "RAdam", "Adamax", "Adadelta"):
        _, opt = _run(CASES[name], tg, optim, steps=2)
        _, topt = _run(CASES[name], torch, torch.optim, steps=2)
        sd, tsd = opt.state_dict(), topt.state_dict()
        assert set(sd["state"][0]) == set(tsd["state"][0]), name
        assert set(sd["param_groups"][0]) == set(tsd["param_groups"][0]), name


def test_add_param_group_and_zero_grad_set_to_none():
    w, b = _params(tg)
    opt = optim.Adagrad([w], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.5})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["lr_decay"] == 0.0
    _loss(tg, w, b).backward()
    opt.zero_grad()
    assert w.grad is None and b.grad is None
    _loss(tg, w, b).backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and not w.grad.numpy().any()


def test_differentiable_true_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        optim.Adam(_params(tg), differentiable=True)


@pytest.mark.parametrize("kwargs", [{}, {"line_search_fn": "strong_wolfe"},
                                    {"history_size": 3, "max_iter": 7, "lr": 0.5},
                                    {"line_search_fn": "strong_wolfe", "max_eval": 9}])
def test_lbfgs_matches_torch(kwargs):
    def run(lib, opt_module):
        w, b = _params(lib)
        opt = opt_module.LBFGS([w, b], **kwargs)
        losses = []

        def closure():
            opt.zero_grad()
            loss = _loss(lib, w, b)
            loss.backward()
            return loss

        for _ in range(3):
            losses.append(float(opt.step(closure).detach()))
        state = opt.state[w]
        return w.detach().numpy(), b.detach().numpy(), losses, state["func_evals"], \
            state["n_iter"]

    ours, theirs = run(tg, optim), run(torch, torch.optim)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-10)
    assert ours[3:] == theirs[3:]


def test_lbfgs_minimises_rosenbrock():
    x = tg.tensor([-1.5, 2.0], dtype="float64", requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=100)

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss

    for _ in range(5):
        opt.step(closure)
    np.testing.assert_allclose(x.numpy(), [1.0, 1.0], atol=1e-4)


def test_lbfgs_refuses_groups_and_bad_line_search():
    w, b = _params(tg)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [w]}, {"params": [b]}])
    with pytest.raises(ValueError, match="strong_wolfe"):
        optim.LBFGS([w], line_search_fn="backtracking")
    with pytest.raises(RuntimeError, match="closure"):
        optim.LBFGS([w]).step(None)
