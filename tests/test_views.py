"""Views write through, as torch's: every view op crossed with every in-place form, in grad mode
and under ``no_grad``, compared with torch (values of the base, the view and an older view of
the same base, and the gradients); expand refuses in-place writes; deepcopy keeps pairs."""

import copy

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")

SHAPE = (2, 3, 4)

# view op: (name, fn(ns_tensor)) -- the same code runs on both libraries
VIEWS = {
    "slice": lambda y: y[:, 1:],
    "int_index": lambda y: y[1],
    "int_and_slice": lambda y: y[1, :, ::2],
    "element": lambda y: y[1, 2, 3],
    "reshape": lambda y: y.reshape(6, 4),
    "view": lambda y: y.view(2, 12),
    "view_as": lambda y: y.view_as(y.new_zeros(6, 4) if hasattr(y, "new_zeros") else y),
    "transpose": lambda y: y.transpose(0, 2),
    "permute": lambda y: y.permute(2, 0, 1),
    "mT": lambda y: y.mT,
    "t": lambda y: y[0].t(),
    "squeeze": lambda y: y[:1].squeeze(0),
    "unsqueeze": lambda y: y.unsqueeze(1),
    "flatten": lambda y: y.flatten(1),
    "unflatten": lambda y: y.unflatten(2, (2, 2)),
    "movedim": lambda y: y.movedim(0, -1),
    "narrow": lambda y: y.narrow(2, 1, 2),
    "unbind": lambda y: y.unbind(1)[1],
    "split": lambda y: y.split(2, dim=2)[1],
    "chunk": lambda y: y.chunk(2, dim=2)[0],
    "view_of_view": lambda y: y.transpose(0, 1)[1:].reshape(-1, 4)[::2],
}

# torch refuses in-place ops on outputs of multi-view functions (unbind, split, chunk) in grad
# mode; here they are ordinary views, so torch's reference is the same view by slicing
TORCH_SAME = {"unbind": lambda y: y[:, 1], "split": lambda y: y[:, :, 2:4],
              "chunk": lambda y: y[:, :, :2]}

# in-place form: fn(view, w) where w is a tensor of the view's shape that requires grad
INPLACE = {
    "add_": lambda v, w: v.add_(2.0),
    "add_tensor": lambda v, w: v.add_(w),
    "sub_": lambda v, w: v.sub_(w, alpha=0.5),
    "mul_": lambda v, w: v.mul_(3.0),
    "mul_tensor": lambda v, w: v.mul_(w),
    "div_": lambda v, w: v.div_(2.0),
    "iadd": lambda v, w: v.__iadd__(w),
    "imul": lambda v, w: v.__imul__(w),
    "copy_": lambda v, w: v.copy_(w * 2),
    "fill_": lambda v, w: v.fill_(7.0),
    "zero_": lambda v, w: v.zero_(),
    "clamp_": lambda v, w: v.clamp_(0.2, 0.7),
    "exp_": lambda v, w: v.exp_(),
    "setitem": lambda v, w: v.__setitem__((Ellipsis,), w),
    "masked_fill_": lambda v, w: v.masked_fill_(w > 0.5, 0.0),
}


def _lib(name):
    return tg if name == "tg" else torch


def _run(libname, view, op, grad_mode):
    lib = _lib(libname)
    rng = np.random.default_rng(0)
    x0 = rng.uniform(0.1, 1.0, SHAPE)
    x = lib.tensor(x0, dtype=lib.float64, requires_grad=True)
    c = lib.tensor(rng.uniform(-1, 1, SHAPE), dtype=lib.float64)
    y = x * 1
    older = y.reshape(24)  # a view taken before the in-place op, used after it
    v = (TORCH_SAME.get(view, VIEWS[view]) if lib is torch else VIEWS[view])(y)
    shape = tuple(v.shape)
    w = lib.tensor(rng.uniform(0.1, 1.0, shape), dtype=lib.float64, requires_grad=True)
    if grad_mode:
        INPLACE[op](v, w)
        loss = (y * c).sum() + (v * v).sum() + (older * older).sum()
        loss.backward()
        grads = [x.grad.numpy(), None if w.grad is None else w.grad.numpy()]
    else:
        with lib.no_grad():
            INPLACE[op](v, w)
        grads = []
    return [y.detach().numpy().copy(), v.detach().numpy().copy(),
            older.detach().numpy().copy(), *grads]


@pytest.mark.parametrize("grad_mode", [True, False], ids=["grad", "no_grad"])
@pytest.mark.parametrize("op", list(INPLACE))
@pytest.mark.parametrize("view", list(VIEWS))
def test_inplace_on_a_view_matches_torch(view, op, grad_mode):
    ours, theirs = _run("tg", view, op, grad_mode), _run("torch", view, op, grad_mode)
    for a, b in zip(ours, theirs):
        if b is None:
            assert a is None or not np.any(a)
            continue
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_the_issue_examples():
    x = tg.ones(4, requires_grad=True)
    y = x * 1
    y[:2].mul_(10)
    assert y.tolist() == [10, 10, 1, 1]
    y.sum().backward()
    assert x.grad.tolist() == [10, 10, 1, 1]
    x = tg.ones(4, requires_grad=True)
    y = x * 1
    v = y.reshape(2, 2)
    y.mul_(3)
    assert v.tolist() == [[3, 3], [3, 3]]
    (v * v).sum().backward()
    assert x.grad.tolist() == [18] * 4


@pytest.mark.parametrize("make", [lambda y: y.expand(3, 4), lambda y: y.broadcast_to((2, 3, 4)),
                                  lambda y: y[None].expand(2, 1, 4)[:, 0]])
@pytest.mark.parametrize("grad_mode", [True, False])
def test_inplace_on_an_expanded_view_raises_as_torch(make, grad_mode):
    for lib in (tg, torch):
        y = lib.ones(1, 4, requires_grad=True) * 1
        e = make(y)
        with (lib.enable_grad() if grad_mode else lib.no_grad()):
            with pytest.raises(RuntimeError, match="single memory location"):
                e.add_(1.0)
    assert y.tolist() == [[1.0] * 4]


def test_expand_follows_its_base():
    y = tg.zeros(1, 3)
    e = y.expand(2, 3)
    y.add_(1.0)
    assert e.tolist() == [[1.0] * 3] * 2


def test_inplace_on_a_view_of_a_leaf_that_requires_grad_raises():
    x = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf"):
        x[:2].mul_(2)
    with tg.no_grad():
        x[:2].mul_(2)  # as optimizers do
    assert x.tolist() == [2, 2, 1]


def test_view_made_under_no_grad_then_written_with_grad_on_raises():
    y = tg.ones(3, requires_grad=True) * 1
    with tg.no_grad():
        v = y[:2]
    with pytest.raises(RuntimeError, match="no_grad"):
        v.mul_(2)


def test_saved_view_then_base_changed_in_place_is_refused_at_backward():
    x = tg.ones(3, requires_grad=True)
    y = x * 1
    v = y[:2]
    z = (v * v).sum()  # Mul saved v
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified in place"):
        z.backward()


def test_detach_shares_memory_and_version_without_history():
    y = tg.ones(3, requires_grad=True) * 1
    d = y.detach()
    d.mul_(4)
    assert y.tolist() == [4, 4, 4] and d._version is y._version and d.grad_fn is None


def test_second_derivatives_through_a_view_write():
    def f(lib, x0):
        x = lib.tensor(x0, dtype=lib.float64, requires_grad=True)
        y = x * x
        y[1:].mul_(x[:2])
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x)
        return g.detach().numpy(), h.numpy()

    x0 = np.array([0.5, 1.5, -2.0])
    for a, b in zip(f(tg, x0), f(torch, x0)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_deepcopy_keeps_a_base_and_view_pair():
    base = tg.arange(6.0)
    pair = {"base": base, "view": base.reshape(2, 3)[1]}
    dup = copy.deepcopy(pair)
    dup["view"].mul_(10)
    assert dup["base"].tolist() == [0, 1, 2, 30, 40, 50]
    assert base.tolist() == [0, 1, 2, 3, 4, 5]
    assert dup["view"]._version is dup["base"]._version


def test_deepcopy_of_a_module_still_works():
    model = tg.nn.Sequential(tg.nn.Linear(3, 2), tg.nn.ReLU())
    dup = copy.deepcopy(model)
    with tg.no_grad():
        dup[0].weight.mul_(0)
    assert not np.all(model[0].weight.numpy() == 0)
    assert dup[0].weight.requires_grad and type(dup[0].weight) is type(model[0].weight)
