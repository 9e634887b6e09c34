"""``Module.register_full_backward_hook`` and ``register_full_backward_pre_hook`` against
torch's: what the hooks see, what their results replace, and the no-input-gradient case."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

RNG = np.random.default_rng(0)
W, B, X = RNG.standard_normal((2, 3)), RNG.standard_normal(2), RNG.standard_normal((4, 3))


def _linear_run(lib, x_requires: bool, scale_in=None, scale_out=None) -> list:
    log: list = []
    lin = lib.nn.Linear(3, 2).double()
    with lib.no_grad():
        lin.weight.copy_(lib.tensor(W))
        lin.bias.copy_(lib.tensor(B))

    def full(module, grad_input, grad_output):
        assert module is lin
        log.append(("full", [None if g is None else g.detach().numpy().copy() for g in grad_input],
                    [g.detach().numpy().copy() for g in grad_output]))
        if scale_in is not None:
            return tuple(None if g is None else g * scale_in for g in grad_input)
        return None

    def pre(module, grad_output):
        log.append(("pre", [g.detach().numpy().copy() for g in grad_output]))
        return tuple(g * scale_out for g in grad_output) if scale_out is not None else None

    lin.register_full_backward_hook(full)
    lin.register_full_backward_pre_hook(pre)
    x = lib.tensor(X, requires_grad=x_requires)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lin(x * 1.0).tanh().sum().backward()
    log.append(("weight.grad", lin.weight.grad.numpy().copy()))
    log.append(("x.grad", None if x.grad is None else x.grad.numpy().copy()))
    return log


def _same(ours, theirs) -> None:
    if isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    elif theirs is None or isinstance(theirs, str):
        assert ours == theirs
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("x_requires,scale_in,scale_out", [
    (True, None, None), (False, None, None), (True, 2.0, None), (True, None, 3.0),
    (True, 0.5, 4.0)])
def test_linear_hooks_see_and_replace_what_torchs_do(x_requires, scale_in, scale_out):
    torch = pytest.importorskip("torch")
    ours = _linear_run(tg, x_requires, scale_in, scale_out)
    theirs = _linear_run(torch, x_requires, scale_in, scale_out)
    _same(ours, theirs)


def _two_run(lib) -> list:
    class Two(lib.nn.Module):
        def forward(self, a, k, b):
            return a * b * k, a + b

    log = []
    m = Two()
    m.register_full_backward_hook(
        lambda mod, gi, go: log.append(([None if g is None else g.numpy().copy() for g in gi],
                                        [g.numpy().copy() for g in go])))
    a = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([3.0, 4.0], dtype=lib.float64)
    p, q = m(a, 2.0, b)
    (p.sum() * 2 + q.sum()).backward()
    return log + [a.grad.numpy().copy()]


def test_several_arguments_and_outputs_as_torch():
    torch = pytest.importorskip("torch")
    _same(_two_run(tg), _two_run(torch))


def test_no_input_gradient_warns_and_a_removed_hook_is_gone():
    lin = tg.nn.Linear(3, 2)
    seen = []
    handle = lin.register_full_backward_hook(lambda m, gi, go: seen.append(gi))
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        lin(tg.ones(1, 3)).sum().backward()
    assert seen == [(None,)]
    handle.remove()
    lin(tg.ones(1, 3, requires_grad=True)).sum().backward()
    assert len(seen) == 1
    with tg.no_grad():  # nothing recorded, nothing hooked
        lin.register_full_backward_hook(lambda m, gi, go: seen.append(gi))
        assert lin(tg.ones(1, 3)).grad_fn is None
    bad = tg.nn.Linear(3, 2)
    bad.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="returned 2 grad_input entries, expected 1"):
        bad(tg.ones(1, 3, requires_grad=True)).sum().backward()


def test_grad_cam_style_use():
    # the gradient of the class score with respect to a conv layer's activations
    tg.manual_seed(0)
    conv = tg.nn.Conv2d(1, 2, 3, padding=1)
    head = tg.nn.Linear(2 * 4 * 4, 3)
    grads, acts = [], []
    conv.register_forward_hook(lambda m, args, out: acts.append(out))
    conv.register_full_backward_hook(lambda m, gi, go: grads.append(go[0]))
    x = tg.randn(1, 1, 4, 4)
    score = head(conv(x).relu().flatten(1))[0, 2]
    with pytest.warns(UserWarning, match="no inputs require gradients"):  # x needs none
        score.backward()
    assert grads[0].shape == acts[0].shape == (1, 2, 4, 4)
    weights = grads[0].mean(dim=(2, 3), keepdim=True)
    cam = (weights * acts[0].detach()).sum(1).relu()
    assert cam.shape == (1, 4, 4) and np.isfinite(cam.numpy()).all()
