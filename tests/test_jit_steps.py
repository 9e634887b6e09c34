"""tg.jit on the training steps people write: gradients recycled only when nobody holds them;
steps whose per-batch numbers (a clipping norm, indices, class weights, a cumulative average)
the library keeps as arrays replay with new batches and equal eager runs."""

from __future__ import annotations

import weakref

import numpy as np
import pytest
from jit_cases import Hidden, assert_same, data, eager_and_jitted, mlp, step_fn

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.jit import JitError
from tinygrad_gd.nn import functional as F


def _batches(rng, n, x_shape, classes, low=0):
    return [(tg.tensor(rng.standard_normal(x_shape).astype(np.float32)),
             tg.tensor(rng.integers(low, classes, x_shape[0]))) for _ in range(n)]


def test_gradients_are_written_over_only_when_nothing_else_holds_them():
    X, Y = (tg.tensor(a[0]) for a in data((16, 20), 5))
    runs = []
    for use_jit in (False, True):
        tg.manual_seed(0)
        model = mlp()
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        runs.append((model, opt, tg.jit(step_fn(model, opt)) if use_jit else
                     step_fn(model, opt)))
    (eager, eager_opt, eager_step), (model, opt, step) = runs

    def both():
        eager_step(X, Y)
        step(X, Y)
    for _ in range(3):
        both()
    w = model[0].weight
    before = weakref.ref(w.grad.data)  # (a weak reference holds nothing)
    both()
    assert w.grad.data is before()  # nobody kept it: the replay wrote the new gradient over it

    kept, view, array = w.grad, model[2].weight.grad[0], model[4].bias.grad.data
    saved = [kept.numpy().copy(), view.numpy().copy(), array.copy()]
    both()
    both()
    for held, value in zip((kept.data, view.data, array), saved):
        np.testing.assert_array_equal(held, value)  # what the user holds keeps its values
    assert w.grad.data is not kept.data and model[4].bias.grad.data is not array
    del kept, view, array
    both()
    eager_opt.zero_grad()
    opt.zero_grad()  # zero_grad after the step: the array is then the plan's alone
    both()
    before = weakref.ref(w.grad.data)
    opt.zero_grad()
    eager_opt.zero_grad()
    both()
    assert w.grad.data is before()
    for (name, a), b in zip(model.named_parameters(), eager.parameters()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=0, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=0, atol=1e-6,
                                   err_msg=name)


def test_gradient_clipping_inside_the_step_equals_eager(device):
    # clip_grad_norm_ keeps its coefficient an array (no value read): the replay clips each
    # step by that step's norm
    X, Y = data((16, 20), 5)

    def make():
        model = mlp().to(device)
        return model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True,
                                weight_decay=1e-3)
    batches = [(tg.tensor(x), tg.tensor(y)) for x, y in zip(X, Y)]
    assert_same(eager_and_jitted(make, batches, 30, device=device, clip=0.5))


def test_an_embedding_step_with_new_indices_each_call_equals_eager():
    # the index range check reads one boolean, not the indices' min and max (which change with
    # every batch: a trace would have to refuse them)
    rng = np.random.default_rng(0)
    batches = [(tg.tensor(rng.integers(0, 30, (8, 5))), tg.tensor(rng.integers(0, 4, 8)))
               for _ in range(6)]

    def make():
        model = nn.Sequential(nn.Embedding(30, 8), nn.LayerNorm(8), nn.Flatten(),
                              nn.Linear(40, 4))
        return model, optim.AdamW(model.parameters(), lr=1e-2)
    runs = eager_and_jitted(make, batches, 18,
                            loss_fn=lambda out, y: F.cross_entropy(out, y, label_smoothing=0.1))
    assert_same(runs)
    with pytest.raises(JitError, match="out of range"):
        runs[1][2](tg.tensor(np.full((8, 5), 30)), batches[0][1])  # names the likely cause


def test_gather_with_new_indices_each_call_equals_eager():
    # a policy-gradient style loss: log-probabilities picked by gather at each step's actions
    batches = _batches(np.random.default_rng(1), 5, (8, 5), 4)

    def make():
        model = nn.Linear(5, 4, bias=False)
        return model, optim.SGD(model.parameters(), lr=0.1)
    assert_same(eager_and_jitted(
        make, batches, 15,
        loss_fn=lambda out, a: -out.log_softmax(1).gather(1, a[:, None]).mean()))


def test_batchnorm_cumulative_average_replays():
    # momentum=None averages over num_batches_tracked, a count that changes with every step:
    # it stays a tensor (read as a number it would be a guard that fails at the next call)
    batches = _batches(np.random.default_rng(2), 5, (8, 3), 3)
    models = []

    def make():
        model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3, momentum=None))
        models.append(model)
        return model, optim.SGD(model.parameters(), lr=0.1)
    assert_same(eager_and_jitted(make, batches, 10, loss_fn=lambda out, _: out.pow(2).mean()))
    eager, jitted = (m[1] for m in models)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(jitted, name).numpy(), getattr(eager, name).numpy(),
                                   rtol=0, atol=1e-6)
    assert jitted.num_batches_tracked.item() == eager.num_batches_tracked.item() == 10


def test_class_weights_and_ignored_labels_replay():
    # the weighted mean's denominator and the ignored-label mask stay arrays: both change from
    # batch to batch (here label 0 is ignored, and only every other batch holds it)
    batches = _batches(np.random.default_rng(3), 6, (8, 5), 4, low=1)
    for _, y in batches[1::2]:
        y.data[:3] = 0
    weight = tg.tensor([1.0, 2.0, 0.5, 3.0])

    def make():
        model = nn.Linear(5, 4)
        return model, optim.SGD(model.parameters(), lr=0.1)
    assert_same(eager_and_jitted(
        make, batches, 12,
        loss_fn=lambda out, y: F.cross_entropy(out, y, weight=weight, ignore_index=0)))


def test_a_tensor_the_search_misses_is_state_from_its_first_read():
    # behind a callable object the search does not look; on the CPU the tensor still becomes
    # state when the step first reads it, so indexing it with each call's indices (a NumPy call
    # on an array the tracer would never see) and changes to it between calls are replayed
    table = Hidden(tg.tensor(np.linspace(0.5, 2.0, 5).astype(np.float32)))

    @tg.jit
    def f(x, idx):
        return (x * table()[idx]).sum() + table().gather(0, idx).sum()

    rng = np.random.default_rng(4)
    for i in range(5):
        x = tg.tensor(rng.standard_normal(6).astype(np.float32))
        idx = tg.tensor(rng.integers(0, 5, 6))
        eager = (x * table()[idx]).sum() + table().gather(0, idx).sum()
        np.testing.assert_allclose(f(x, idx).item(), eager.item(), rtol=1e-6)
        if i == 2:
            table.tensor.mul_(2.0)
    assert f.traces == 1 and type(tg.Tensor.__dict__["data"]).__name__ == "member_descriptor"


def test_a_tensor_the_step_makes_stays_its_own():
    # a tensor made during the trace is not state: a step that makes one and changes it in
    # place starts from a fresh one at every call, as eagerly
    @tg.jit
    def f(x):
        idx = tg.arange(3)
        idx += 1
        return x[idx].sum()

    for i in range(4):
        x = tg.tensor(np.arange(5.0) * (i + 1))
        assert f(x).item() == x[tg.arange(3) + 1].sum().item() == 6.0 * (i + 1)


def test_gradient_accumulation_replays_as_eager(device):
    # micro-batches accumulated across calls (step every other call), two backward passes in
    # one step, and zero_grad(set_to_none=False): backward adds into the .grad arrays there are
    def run(jit: bool) -> list:
        tg.manual_seed(0)
        net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).to(device)
        opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

        def micro(x, y):
            loss = F.cross_entropy(net(x), y) / 2
            loss.backward()
            return loss

        def two(x, y):
            opt.zero_grad(set_to_none=False)
            F.cross_entropy(net(x[:3]), y[:3]).backward()
            F.cross_entropy(net(x[3:]), y[3:]).backward()
            opt.step()

        if jit:
            micro, two = tg.jit(micro), tg.jit(two)
        rng = np.random.default_rng(0)
        params = []
        for i in range(40):
            x = tg.tensor(rng.standard_normal((6, 4)).astype(np.float32), device=device)
            y = tg.tensor(rng.integers(0, 3, 6), device=device)
            if i < 20:
                micro(x, y)
                if i % 2:
                    opt.step()
                    opt.zero_grad()
            else:
                two(x, y)
            params.append([p.numpy().copy() for p in net.parameters()])
        return params

    for eager, jitted in zip(run(False), run(True)):
        for a, b in zip(eager, jitted):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
