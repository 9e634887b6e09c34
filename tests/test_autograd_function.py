"""``tg.autograd.Function`` (torch's extension API), compared with torch's own."""

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")


def make_functions(lib):
    """The same custom Functions written against either library."""

    class Scale(lib.autograd.Function):
        """x * k with a non-Tensor argument; backward returns None for it."""

        @staticmethod
        def forward(ctx, x, k, note=None):
            ctx.save_for_backward(x)
            ctx.k = k
            ctx.seen_needs = ctx.needs_input_grad
            return x * x * k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g * ctx.k, None, None

    class ExpMul(lib.autograd.Function):
        """Two outputs (a*e^a*b-ish): the backward is written with Tensor ops."""

        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a.exp() * b, a * b

        @staticmethod
        def backward(ctx, g1, g2):
            a, b = ctx.saved_tensors
            e = a.exp()
            return g1 * e * b + g2 * b, g1 * e + g2 * a

    class SortWithIndex(lib.autograd.Function):
        """A non-differentiable second output (indices)."""

        @staticmethod
        def forward(ctx, x):
            values, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return values, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            (idx,) = ctx.saved_tensors
            out = lib.zeros_like(g)
            out[idx] = g
            return out

    class ExpOut(lib.autograd.Function):
        """Saves its output (double backward must see that it depends on x)."""

        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    return Scale, ExpMul, SortWithIndex, ExpOut


TG, TORCH = make_functions(tg), make_functions(torch)


def pair(shape, seed=0, requires_grad=True):
    a = np.random.default_rng(seed).standard_normal(shape)
    return (tg.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def test_single_output_non_tensor_args_and_needs_input_grad():
    (x, xt), (c, ct) = pair((3,)), pair((3,), 1, requires_grad=False)
    y = TG[0].apply(x, 3.0, "note")
    yt = TORCH[0].apply(xt, 3.0, "note")
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy())
    assert y.grad_fn.seen_needs == yt.grad_fn.seen_needs == (True, False, False)
    assert type(y.grad_fn).__name__ == type(yt.grad_fn).__name__ == "ScaleBackward"
    assert y.grad_fn.name() == yt.grad_fn.name()
    (y * c).sum().backward()
    (yt * ct).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    # no input requires grad: the output is plain
    z = TG[0].apply(c, 2.0)
    assert not z.requires_grad and z.grad_fn is None


def test_multi_output_gradients_match_torch():
    (a, at), (b, bt) = pair((4,)), pair((4,), 1)
    o1, o2 = TG[1].apply(a, b)
    t1, t2 = TORCH[1].apply(at, bt)
    assert o1.grad_fn is not None and o2.grad_fn is not None
    assert type(o1.grad_fn).__name__ == "ExpMulBackward"
    (o1.sin().sum() + (o2 * o2).sum()).backward()
    (t1.sin().sum() + (t2 * t2).sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy())
    np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy())


def test_multi_output_only_one_used_gets_zeros_for_the_other():
    (a, at), (b, bt) = pair((3,)), pair((3,), 1)
    o1, _ = TG[1].apply(a, b)
    t1, _ = TORCH[1].apply(at, bt)
    o1.sum().backward()
    t1.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy())
    np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy())


def test_mark_non_differentiable():
    x, xt = pair((5,))
    v, idx = TG[2].apply(x)
    vt, idxt = TORCH[2].apply(xt)
    assert not idx.requires_grad and not idxt.requires_grad
    assert v.requires_grad
    (v * tg.arange(5.0).double()).sum().backward()
    (vt * torch.arange(5.0).double()).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_gradcheck_and_gradgradcheck_through_functions():
    a = tg.randn(3, dtype="float64", requires_grad=True)
    b = tg.randn(3, dtype="float64", requires_grad=True)
    assert tg.autograd.gradcheck(TG[1].apply, (a, b))
    assert tg.autograd.gradgradcheck(TG[1].apply, (a, b))
    assert tg.autograd.gradcheck(lambda t: TG[0].apply(t, 2.5), (a,))
    assert tg.autograd.gradgradcheck(lambda t: TG[0].apply(t, 2.5), (a,))
    assert tg.autograd.gradgradcheck(TG[3].apply, (a,))  # saved output keeps its graph


def test_second_derivative_through_saved_output_matches_torch():
    x, xt = pair((3,))
    (g,) = tg.autograd.grad(TG[3].apply(x).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(TORCH[3].apply(xt).sum(), xt, create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), x)
    (ht,) = torch.autograd.grad(gt.sum(), xt)
    np.testing.assert_allclose(h.numpy(), ht.numpy())


def test_wrong_number_of_gradients_names_the_function():
    class Bad(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"BadBackward.*incorrect number of gradients "
                                           r"\(expected 2, got 1\)"):
        Bad.apply(x, x).sum().backward()


def test_extra_none_gradients_are_allowed_and_gradient_for_non_tensor_is_an_error():
    class Extra(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    class NonTensor(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = tg.ones(2, requires_grad=True)
    Extra.apply(x, 2.0).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="position 1.*not a Tensor"):
        NonTensor.apply(x, 2.0).sum().backward()


def test_wrong_gradient_shape_is_an_error():
    class Shape(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g[:2]

    x = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"ShapeBackward returned an invalid gradient"):
        Shape.apply(x).sum().backward()


def test_forward_runs_without_grad_and_in_place_change_of_saved_tensor_raises():
    seen = []

    class Probe(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(tg.is_grad_enabled())
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2

    x = tg.ones(3, requires_grad=True)
    h = x * 1
    y = Probe.apply(h)
    assert seen == [False]
    with tg.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="ProbeBackward.*modified in place"):
        y.sum().backward()


def test_returning_an_input_does_not_reparent_it():
    class Ident(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = tg.ones(2, requires_grad=True)
    y = Ident.apply(x)
    assert x.is_leaf and not y.is_leaf
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_materialize_grads_off_passes_none():
    got = []

    class Two(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            got.append(g2)
            return g1

    x = tg.ones(2, requires_grad=True)
    a, _ = Two.apply(x)
    a.sum().backward()
    assert got == [None]


def test_once_differentiable():
    from tinygrad_gd.autograd.function import once_differentiable

    class Once(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = tg.autograd.grad(Once.apply(x).sum(), x)
    assert g.tolist() == [2.0, 4.0]
    # as torch: the guard applies when a gradient flowing in requires grad (a double-VJP)
    v = tg.ones(2, requires_grad=True)
    (g,) = tg.autograd.grad(Once.apply(x), x, grad_outputs=v, create_graph=True)
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_freed_graph_and_retain_graph():
    x, _ = pair((2,))
    y = TG[3].apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(x.numpy()))
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()
