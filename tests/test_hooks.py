"""Tensor hooks, retain_grad, tg.autograd.backward, anomaly detection and the functional API's
torch signatures, compared with torch."""

import inspect
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")


def both(a, requires_grad=True):
    a = np.asarray(a, dtype=np.float64)
    return tg.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def run_hooked(lib, x):
    """Hooks on a leaf and a non-leaf, a replacement, a removal and retain_grad."""
    calls = []
    y = x * 2
    y.register_hook(lambda g: calls.append(("y", g.tolist())))
    h = y.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
    removed = x.register_hook(lambda g: calls.append(("removed", None)))
    removed.remove()
    x.register_hook(lambda g: calls.append(("x", g.tolist())))
    y.retain_grad()
    z = y * y + y  # y used twice: the hooks see the summed gradient once
    z.sum().backward()
    h.remove()
    return calls, y


def test_tensor_hooks_match_torch():
    x, xt = both([1.0, -2.0])
    calls, y = run_hooked(tg, x)
    calls_t, yt = run_hooked(torch, xt)
    assert calls == calls_t
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    assert y.retains_grad and yt.retains_grad
    np.testing.assert_allclose(y.grad.numpy(), yt.grad.numpy())


def test_removed_hook_is_not_called_and_handle_is_a_context_manager():
    x = tg.ones(2, requires_grad=True)
    calls = []
    with x.register_hook(lambda g: calls.append(1)):
        (x * 1).sum().backward()
    (x * 1).sum().backward()
    assert calls == [1]


def test_hooks_fire_in_autograd_grad_and_retain_grad_fills_grad():
    x, xt = both([1.0, 2.0])
    outs = []
    for lib, t in ((tg, x), (torch, xt)):
        seen = []
        t.register_hook(lambda g, seen=seen: seen.append(g.tolist()))
        y = t * 3
        y.retain_grad()
        (g,) = lib.autograd.grad((y * y).sum(), t)
        outs.append((seen, g.tolist(), y.grad.tolist()))
    assert outs[0] == outs[1]


def test_non_leaf_grad_is_none_without_retain_grad_and_leaf_does_not_retain():
    x, xt = both([1.0])
    y = x * 2
    y.sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yt = xt * 2
        yt.sum().backward()
        assert yt.grad is None
    assert y.grad is None
    assert not x.retains_grad and not xt.retains_grad
    assert not y.retains_grad


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tg.ones(2).register_hook(lambda g: g)


def test_autograd_backward_several_roots_and_inputs():
    x, xt = both([1.0, 2.0])
    w, wt = both([3.0, -1.0])
    tg.autograd.backward([(x * w).sum(), x * x], [None, tg.tensor([1.0, 0.5], dtype="float64")])
    torch.autograd.backward([(xt * wt).sum(), xt * xt],
                            [None, torch.tensor([1.0, 0.5], dtype=torch.float64)])
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy())
    tg.autograd.backward((x * w).sum(), inputs=[w])
    torch.autograd.backward((xt * wt).sum(), inputs=[wt])
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy())


def test_grad_materialize_grads():
    x, xt = both([1.0, 2.0])
    u, ut = both([5.0])
    g = tg.autograd.grad((x * x).sum(), [x, u], materialize_grads=True)
    gt = torch.autograd.grad((xt * xt).sum(), [xt, ut], materialize_grads=True)
    for a, b in zip(g, gt):
        np.testing.assert_allclose(a.numpy(), b.numpy())


def test_detect_anomaly_names_the_op_and_the_line():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tg.autograd.detect_anomaly():
            assert tg.autograd.is_anomaly_enabled()
            y = x.sqrt()  # the line the error must point at
            loss = (y * 0).sum()
            with pytest.raises(RuntimeError) as info:
                loss.backward()
    assert not tg.autograd.is_anomaly_enabled()
    msg = str(info.value)
    assert "Function 'Sqrt' returned nan values" in msg
    assert "y = x.sqrt()  # the line the error must point at" in msg
    assert "test_hooks.py" in msg


def test_anomaly_off_gives_nan_silently_and_set_detect_anomaly_forms():
    x = tg.tensor([0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x.sqrt() * 0).sum().backward()
        assert np.isnan(x.grad.numpy()).all()
        tg.autograd.set_detect_anomaly(True)
        try:
            assert tg.autograd.is_anomaly_enabled()
            y = (x.sqrt() * 0).sum()
        finally:
            tg.autograd.set_detect_anomaly(False)
        assert not tg.autograd.is_anomaly_enabled()
        with tg.autograd.set_detect_anomaly(True):
            with pytest.raises(RuntimeError, match="Sqrt"):
                y.backward()
        assert not tg.autograd.is_anomaly_enabled()


def test_anomaly_in_custom_function_names_it():
    class Bad(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = tg.ones(2, requires_grad=True)
    with tg.autograd.detect_anomaly():
        y = Bad.apply(x)
        expected = "(?s)'BadBackward'.*of the Bad operation.*y = Bad.apply"
        with pytest.raises(RuntimeError, match=expected):
            y.sum().backward()


@pytest.mark.parametrize("name", ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"])
def test_functional_signatures_match_torch(name):
    ours = inspect.signature(getattr(tg.autograd.functional, name))
    theirs = inspect.signature(getattr(torch.autograd.functional, name))
    names = list(theirs.parameters)
    assert list(ours.parameters)[:len(names)] == names
    for p in theirs.parameters.values():
        assert ours.parameters[p.name].default == p.default
    for extra in list(ours.parameters.values())[len(names):]:  # e.g. hvp's mode=: optional
        assert extra.kind is inspect.Parameter.KEYWORD_ONLY and extra.default is not extra.empty


def test_vhp_and_hvp_match_torch():
    a = np.array([0.3, -1.2, 2.0])
    v = np.array([1.0, 0.5, -2.0])

    def f(lib):
        return lambda x: (x.sin() * x.prod()).sum()

    for name in ("vhp", "hvp"):
        out, r = getattr(tg.autograd.functional, name)(f(tg), tg.tensor(a), tg.tensor(v))
        out_t, r_t = getattr(torch.autograd.functional, name)(f(torch), torch.tensor(a),
                                                              torch.tensor(v))
        np.testing.assert_allclose(out.numpy(), out_t.numpy())
        np.testing.assert_allclose(r.numpy(), r_t.numpy())


def test_strict_mode_raises_for_an_unused_input():
    def f(x, y):
        return x * 2

    ins = (tg.ones(2), tg.ones(2))
    with pytest.raises(RuntimeError, match="strict"):
        tg.autograd.functional.jacobian(f, ins, strict=True)
    with pytest.raises(RuntimeError, match="strict"):
        tg.autograd.functional.vjp(f, ins, tg.ones(2), strict=True)
    jac = tg.autograd.functional.jacobian(f, ins)
    assert jac[1].numpy().tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_lazy_autograd_names():
    assert tg.autograd.grad is tg.grad
    from tinygrad_gd.autograd.function import once_differentiable

    assert tg.autograd.function.once_differentiable is once_differentiable
    assert callable(tg.autograd.gradcheck) and callable(tg.autograd.gradgradcheck)
