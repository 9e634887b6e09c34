"""tg.func against torch.func (float64, 1e-7) on programs mixing elementwise ops, matmul,
reductions, indexing, cat, where, softmax/log_softmax and conv; and the dual-tensor API."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
import tinygrad_gd.autograd.forward_ad as fwAD

torch = pytest.importorskip("torch")
tf = pytest.importorskip("torch.func")


def _program(lib, nnf):
    def f(x):
        w = lib.arange(12, dtype=x.dtype).reshape(3, 4) / 10.0
        h = (x.reshape(2, 3) @ w).tanh()                       # matmul, elementwise
        h = lib.cat([h, h[:, :2] * 2.0], dim=1)                 # indexing, cat
        h = lib.where(h > 0, h, h.exp() - 1.0)                  # where
        s = nnf.softmax(h, dim=1) + nnf.log_softmax(h, dim=0)       # softmax, log_softmax
        img = x.reshape(1, 1, 2, 3)
        k = lib.ones(1, 1, 2, 2, dtype=x.dtype) * 0.3
        c = nnf.conv2d(img, k, padding=1)                         # conv
        return lib.cat([s.sum(0), c.reshape(-1) ** 2, x.mean().reshape(1)])
    return f


TG_F, TORCH_F = _program(tg, tg.nn.functional), _program(torch, torch.nn.functional)
X = np.random.default_rng(0).standard_normal(6)


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), b.detach().numpy(), rtol=1e-7, atol=1e-9)


def test_jacfwd_and_jacrev_match_torch():
    x, t = tg.tensor(X), torch.tensor(X)
    want = tf.jacrev(TORCH_F)(t)
    _close(tg.func.jacfwd(TG_F)(x).numpy(), want)
    _close(tg.func.jacrev(TG_F)(x).numpy(), want)


def test_jvp_and_hessian_and_forward_over_reverse_match_torch():
    x, t = tg.tensor(X), torch.tensor(X)
    v = np.linspace(-1, 1, 6)
    out, jv = tg.func.jvp(TG_F, (x,), (tg.tensor(v),))
    tout, tjv = tf.jvp(TORCH_F, (t,), (torch.tensor(v),))
    _close(out.numpy(), tout)
    _close(jv.numpy(), tjv)

    def scalar(lib):
        return lambda z: ((TG_F if lib is tg else TORCH_F)(z) ** 2).sum()

    _close(tg.func.hessian(scalar(tg))(x).numpy(), tf.hessian(scalar(torch))(t))
    _, hv = tg.func.jvp(tg.func.grad(scalar(tg)), (x,), (tg.tensor(v),))
    _, thv = tf.jvp(tf.grad(scalar(torch)), (t,), (torch.tensor(v),))
    _close(hv.numpy(), thv)
    _, hv2 = tg.hvp(scalar(tg), x, tg.tensor(v))
    _close(hv2.numpy(), thv)
    _, hv3 = tg.hvp(scalar(tg), x, tg.tensor(v), mode="reverse-over-reverse")
    _close(hv3.numpy(), thv)


def test_grad_argnums_aux_vjp_and_functional_call():
    a, b = tg.tensor([1.0, 2.0], dtype="float64"), tg.tensor([0.5, -1.0], dtype="float64")
    f = lambda x, y: ((x * y).sin().sum(), x.sum())  # noqa: E731
    (ga, gb), aux = tg.func.grad(f, argnums=(0, 1), has_aux=True)(a, b)
    ta, tb = torch.tensor([1.0, 2.0]).double(), torch.tensor([0.5, -1.0]).double()
    tf_ = lambda x, y: ((x * y).sin().sum(), x.sum())  # noqa: E731
    (tga, tgb), _ = tf.grad(tf_, argnums=(0, 1), has_aux=True)(ta, tb)
    _close(ga.numpy(), tga)
    _close(gb.numpy(), tgb)
    assert aux.item() == 3.0
    out, fn = tg.func.vjp(lambda x: x.exp(), a)
    (g,) = fn(tg.ones(2, dtype="float64"))
    np.testing.assert_allclose(g.numpy(), np.exp([1.0, 2.0]))
    net = tg.nn.Linear(2, 1).double()
    params = {k: tg.zeros_like(v) + 1.0 for k, v in net.named_parameters()}
    y = tg.func.functional_call(net, params, (a,))
    assert y.item() == 4.0
    names = list(params)
    loss = lambda *ps: tg.func.functional_call(net, dict(zip(names, ps)), (a,)).sum()  # noqa
    gw, gb_ = tg.func.grad(loss, argnums=(0, 1))(*params.values())
    assert gw.tolist() == [[1.0, 2.0]] and gb_.tolist() == [1.0]
    assert net.weight.grad is None and net.weight.tolist() != [[1.0, 1.0]]  # restored


def test_dual_level_rules():
    x = tg.tensor([1.0, 2.0], dtype="float64")
    with pytest.raises(RuntimeError, match="no dual level"):
        fwAD.make_dual(x, x)
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="Nested"):
            fwAD.enter_dual_level()
        with pytest.raises(ValueError, match="shape"):
            fwAD.make_dual(x, tg.ones(3, dtype="float64"))
        d = fwAD.make_dual(x, tg.ones(2, dtype="float64"))
        y = d * d
        assert fwAD.unpack_dual(y).tangent.tolist() == [2.0, 4.0]
    assert fwAD.unpack_dual(y).tangent is None  # the level ended
    with pytest.raises(NotImplementedError, match="nested forward mode"):
        tg.func.jacfwd(tg.func.jacfwd(lambda z: z.sin()))(x)


def test_user_function_jvp_is_used_and_required():
    class Cube(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_forward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            return g

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return 3 * x * x * t

    class NoJvp(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = tg.tensor([1.0, 2.0], dtype="float64")
    _, t = tg.func.jvp(Cube.apply, (x,), (tg.ones(2, dtype="float64"),))
    assert t.tolist() == [3.0, 12.0]
    with pytest.raises(NotImplementedError, match="NoJvp.*jvp"):
        tg.func.jvp(NoJvp.apply, (x,), (tg.ones(2, dtype="float64"),))


def test_reverse_over_forward():
    x = tg.tensor([0.3, -0.7], dtype="float64", requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, tg.tensor([1.0, 0.0], dtype="float64"))
        t = fwAD.unpack_dual((d.sin() * d).sum()).tangent  # d/dx0 (x sin x)
    (g,) = tg.grad(t, x)
    x0 = 0.3
    np.testing.assert_allclose(g.numpy(), [2 * np.cos(x0) - x0 * np.sin(x0), 0.0], rtol=1e-12)


def _model_loss(lib, nnf):
    """A loss of all its parameters through every product with a tangent-only gradient rule
    (fused Linear, matmul on either side, batch-broadcast matmul), a weight used twice, conv and
    the fused cross-entropy."""
    def loss(w1, b1, k, kb, w2, m, a):
        x = lib.arange(24, dtype=w1.dtype).reshape(4, 6).sin()
        h = nnf.linear(x, w1, b1).tanh()                              # Linear (4, 5)
        c = nnf.conv2d(h.reshape(4, 1, 1, 5), k, kb, padding=(0, 1))  # conv (4, 2, 1, 5)
        z = c.reshape(4, 2, 5) @ m                                    # batch matmul (4, 2, 3)
        logits = nnf.linear(z.reshape(4, 6).tanh(), w2) + (w2 * w2).sum()  # w2 used twice
        return (nnf.cross_entropy(logits, lib.tensor([0, 2, 1, 2]))
                + (a @ h).tanh().sum() + nnf.linear(a, h.T).sin().sum())
    return loss


def test_hvp_of_a_model_loss_matches_torch_both_modes():
    rng = np.random.default_rng(3)
    shapes = [(5, 6), (5,), (2, 1, 1, 3), (2,), (3, 6), (5, 3), (2, 4)]
    ps = [rng.standard_normal(s) * 0.5 for s in shapes]
    vs = [rng.standard_normal(s) for s in shapes]
    _, want = torch.autograd.functional.hvp(
        _model_loss(torch, torch.nn.functional), tuple(map(torch.tensor, ps)),
        tuple(map(torch.tensor, vs)))
    for mode in ("forward-over-reverse", "reverse-over-reverse"):
        _, got = tg.hvp(_model_loss(tg, tg.nn.functional), tuple(map(tg.tensor, ps)),
                        tuple(map(tg.tensor, vs)), mode=mode)
        for a, b in zip(got, want):
            _close(a.numpy(), b)
    # create_graph keeps the gradients' values (no tangent-only shortcut) and stays exact
    _, got = tg.hvp(_model_loss(tg, tg.nn.functional), tuple(map(tg.tensor, ps)),
                    tuple(map(tg.tensor, vs)), create_graph=True)
    for a, b in zip(got, want):
        _close(a.detach().numpy(), b)
