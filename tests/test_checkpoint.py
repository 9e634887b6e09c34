"""``tg.utils.checkpoint``: a checkpointed segment gives the gradients the plain one gives (to
its arguments, the parameters it uses and tensors it closes over; under ``tg.grad`` and
``create_graph`` too), replays its random draws, and frees its activations after the forward
pass."""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.utils.checkpoint import checkpoint, checkpoint_sequential

RNG = np.random.default_rng(0)
W1, W2, X = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 4)), RNG.standard_normal((5, 3))


def _segment_run(lib, wrap) -> list:
    w1 = lib.tensor(W1, requires_grad=True)
    w2 = lib.tensor(W2, requires_grad=True)
    x = lib.tensor(X, requires_grad=True)
    h = x * 2  # a non-leaf argument
    shift = x.sum(0)  # a non-leaf the segment closes over

    def segment(a, scale):
        return (a @ w1.T).tanh() @ w2.T * scale + shift, a.sum()

    y, s = wrap(segment, h, 0.5)
    ((y ** 2).sum() + s).backward()
    return [t.grad.numpy().copy() for t in (w1, w2, x)]


@pytest.mark.parametrize("reentrant", [False, True])
def test_gradients_equal_the_plain_segments_and_torchs(reentrant):
    torch = pytest.importorskip("torch")
    from torch.utils.checkpoint import checkpoint as torch_checkpoint

    ours = _segment_run(tg, lambda f, *a: checkpoint(f, *a, use_reentrant=reentrant))
    plain = _segment_run(tg, lambda f, *a: f(*a))
    theirs = _segment_run(torch, lambda f, *a: torch_checkpoint(f, *a, use_reentrant=reentrant))
    for a, b, c in zip(ours, plain, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-12)


def test_grad_and_double_backward_through_a_checkpoint():
    x = tg.tensor(X)
    w = tg.tensor(W1, requires_grad=True)
    y = checkpoint(lambda a: (a @ w.T).tanh(), x, use_reentrant=False)
    (g,) = tg.grad(y.sum(), [w], create_graph=True)
    (gg,) = tg.grad((g * g).sum(), [w])
    v = tg.tensor(W1, requires_grad=True)
    (g2,) = tg.grad((x @ v.T).tanh().sum(), [v], create_graph=True)
    (gg2,) = tg.grad((g2 * g2).sum(), [v])
    np.testing.assert_allclose(g.detach().numpy(), g2.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gg.numpy(), gg2.numpy(), rtol=1e-12)
    assert w.grad is None  # tg.grad leaves .grad alone, through the segment too


def test_dropout_draws_the_same_masks_when_recomputed():
    lin, drop = tg.nn.Linear(3, 3), tg.nn.Dropout(0.5)
    x = tg.tensor(X.astype(np.float32), requires_grad=True)
    tg.manual_seed(5)
    out = checkpoint(lambda a: drop(lin(a)), x, use_reentrant=False)
    after = tg.rand(3)  # the recomputation must not move the generator either
    out.sum().backward()
    grads = [x.grad.numpy().copy(), lin.weight.grad.numpy().copy()]
    x.grad = None
    lin.zero_grad()
    tg.manual_seed(5)
    plain = drop(lin(x))
    assert (tg.rand(3) == after).all().item()
    plain.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), plain.detach().numpy())
    np.testing.assert_array_equal(grads[0], x.grad.numpy())
    np.testing.assert_array_equal(grads[1], lin.weight.grad.numpy())


def test_checkpoint_sequential_equals_the_plain_model():
    seq = tg.nn.Sequential(*[tg.nn.Linear(3, 3) for _ in range(7)])
    x = tg.tensor(X.astype(np.float32), requires_grad=True)
    checkpoint_sequential(seq, 3, x, use_reentrant=False).sum().backward()
    first = [p.grad.numpy().copy() for p in seq.parameters()] + [x.grad.numpy().copy()]
    seq.zero_grad()
    x.grad = None
    seq(x).sum().backward()
    for a, p in zip(first, list(seq.parameters()) + [x]):
        np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="segments"):
        checkpoint_sequential(seq, 0, x, use_reentrant=False)


def test_the_segments_activations_are_freed_after_its_forward_pass():
    inside = []
    w = tg.tensor(W1, requires_grad=True)

    def segment(a):
        h = (a @ w.T).tanh()
        inside.append(weakref.ref(h))
        return h * 3

    x = tg.tensor(X, requires_grad=True)
    y = checkpoint(segment, x, use_reentrant=False)
    gc.collect()
    assert inside[0]() is None  # the activation is gone until backward recomputes it
    y.sum().backward()
    plain = segment(x)
    assert len(inside) == 3 and inside[2]() is not None  # the plain graph keeps it
    np.testing.assert_allclose(y.detach().numpy(), plain.detach().numpy())


def test_no_grad_runs_plainly_and_use_reentrant_unset_warns():
    with tg.no_grad():
        y = checkpoint(lambda a: a * 2, tg.ones(2), use_reentrant=False)
    assert y.tolist() == [2.0, 2.0] and y.grad_fn is None
    with pytest.warns(UserWarning, match="use_reentrant"):
        checkpoint(lambda a: a * 2, tg.ones(2, requires_grad=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint(lambda a: a * 2, tg.ones(2, requires_grad=True), use_reentrant=True)
    with pytest.raises(ValueError, match="determinism_check"):
        checkpoint(lambda a: a, tg.ones(1), use_reentrant=False, determinism_check="x")
