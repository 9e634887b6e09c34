"""Who owns a ``.grad``: a gradient the caller still holds (a seed passed to ``backward``, a
tensor a hook or a user's Function returned) is copied before it becomes a leaf's ``.grad``, as
torch's AccumulateGrad clones a gradient it cannot steal; changing one must never change the
other. Each case is checked against torch."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import tinygrad_gd as tg


def _seed_to_leaf(lib, x, v):
    x.backward(v)


def _seed_through_add(lib, x, v):
    (x + 0).backward(v)


def _seed_with_inputs(lib, x, v):
    (x + 0).backward(v, inputs=[x])


def _hook_result(lib, x, v):
    x.register_hook(lambda g: v)
    (x * 2).sum().backward()


def _function_result(lib, x, v):
    class Keep(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return v

    Keep.apply(x).sum().backward()


def _retained_root(lib, x, v):
    y = x * 1
    y.retain_grad()
    y.backward(v)
    x.grad = y.grad  # (checked through y below: the retained gradient is the copy)


CASES: dict[str, Callable] = {
    "seed to a leaf": _seed_to_leaf,
    "seed passed on by an add": _seed_through_add,
    "seed with backward(inputs=)": _seed_with_inputs,
    "a hook's result": _hook_result,
    "a Function's result": _function_result,
    "a retained root's seed": _retained_root,
}


def _run(lib, case: Callable) -> tuple[list, list, list]:
    x = lib.ones(3, dtype=lib.float64, requires_grad=True)
    v = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
    case(lib, x, v)
    with lib.no_grad():
        v.mul_(10)  # the user changes what they hold: the .grad keeps its values
    grad_after_v = x.grad.tolist()
    with lib.no_grad():
        x.grad.mul_(-1)  # and changing the .grad leaves theirs alone
    return grad_after_v, v.tolist(), x.grad.tolist()


@pytest.mark.parametrize("name", list(CASES))
def test_a_gradient_the_caller_holds_is_copied_into_grad_as_torch(name):
    torch = pytest.importorskip("torch")
    ours = _run(tg, CASES[name])
    theirs = _run(torch, CASES[name])
    assert ours == theirs
    assert ours[0] != ours[2]  # the checks above could fail: .grad did change


def test_a_copied_seed_stays_differentiable_under_create_graph():
    x = tg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    w = tg.tensor([3.0, 4.0], dtype="float64", requires_grad=True)
    v = w * 1  # a seed that is itself a function of w
    (x + 0).backward(v, create_graph=True)
    assert x.grad is not v and x.grad.requires_grad
    x.grad.sum().backward()  # d(sum of x.grad)/dw = 1: the copy is recorded
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 1.0])


def test_a_gradient_made_by_the_pass_becomes_the_grad_without_a_copy():
    # the common case (a training step) must not pay for a copy: a hook on the node sees the
    # very tensor that then becomes the leaf's .grad
    x = tg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    seen = []
    y = x * 3
    y.register_hook(lambda g: None)
    x.register_hook(lambda g: seen.append(g))
    y.sum().backward()
    assert seen and x.grad is seen[0]


def _accumulate_and_zero(lib) -> list:
    x = lib.ones(3, dtype=lib.float64, requires_grad=True)
    (x * 2).sum().backward()
    held = x.grad
    (x * 3).sum().backward()  # added into the .grad tensor there is
    seen = [held.tolist(), held is x.grad]
    lib.optim.SGD([x], lr=0.1).zero_grad(set_to_none=False)  # zeroed in place, kept
    seen += [held.tolist(), held is x.grad]
    (x * 4).sum().backward()
    seen += [held.tolist(), held is x.grad]
    m = lib.nn.Linear(2, 1).double()
    m(lib.ones(1, 2, dtype=lib.float64)).sum().backward()
    w = m.weight.grad
    m.zero_grad(set_to_none=False)
    return seen + [w is m.weight.grad, w.tolist()]


def test_backward_adds_into_the_grad_tensor_and_zero_grad_keeps_it_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _accumulate_and_zero(tg), _accumulate_and_zero(torch)
    assert ours == theirs
    assert ours[0] == [5.0] * 3 and ours[1] is True


def test_a_grad_from_create_graph_gets_a_new_sum_not_an_in_place_one():
    x = tg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    (x ** 2).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    (x ** 2).sum().backward()  # first is part of a graph: left as it was
    assert first.tolist() == [2.0, 4.0] and x.grad.tolist() == [4.0, 8.0]
