"""Grad mode, anomaly mode and the engine's switches belong to a thread, as in torch: two threads
train two models while a third evaluates under ``no_grad``, and each gets exactly the numbers
it gets alone."""

import threading

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.autograd import engine


def _model(seed: int) -> nn.Module:
    tg.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))


def _data(seed: int):
    rng = np.random.default_rng(seed)
    return (tg.tensor(rng.standard_normal((32, 6)).astype(np.float32)),
            tg.tensor(rng.integers(0, 3, 32)))


def _train(model, x, y, steps, barrier=None):
    opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for i in range(steps):
        if barrier is not None and i == 0:
            barrier.wait()
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def _evaluate(model, x, rounds, barrier=None, stop=None):
    outs = []
    for i in range(rounds):
        if barrier is not None and i == 0:
            barrier.wait()
        with tg.no_grad():  # entered and left over and over while the others train
            out = model(x)
            assert not out.requires_grad
        outs.append(out.numpy().copy())
    return outs


def test_two_trainers_and_an_evaluator_get_what_they_get_alone():
    steps, rounds = 40, 200
    data = [_data(1), _data(2), _data(3)]
    alone = [_train(_model(10), *data[0], steps), _train(_model(20), *data[1], steps),
             _evaluate(_model(30), data[2][0], rounds)]

    models = [_model(10), _model(20), _model(30)]
    results: list = [None, None, None]
    errors: list = []
    barrier = threading.Barrier(3)

    def run(i, fn, *args):
        try:
            results[i] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(0, _train, models[0], *data[0], steps, barrier)),
               threading.Thread(target=run, args=(1, _train, models[1], *data[1], steps, barrier)),
               threading.Thread(target=run, args=(2, _evaluate, models[2], data[2][0], rounds,
                                                  barrier))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for i in (0, 1):
        assert results[i][0] == alone[i][0]  # the same losses, bit for bit
        for a, b in zip(results[i][1], alone[i][1]):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(results[2], alone[2]):
        np.testing.assert_array_equal(a, b)
    assert tg.is_grad_enabled()


def _in_thread(fn):
    out: list = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


def test_no_grad_in_one_thread_leaves_other_threads_recording():
    x = tg.ones(2, requires_grad=True)
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        assert _in_thread(lambda: ((x * 2).requires_grad, tg.is_grad_enabled())) == (True, True)
    # and the other way: a thread that switches grad off for good leaves this one alone
    _in_thread(lambda: tg.set_grad_enabled(False))
    assert tg.is_grad_enabled() and (x * 2).requires_grad


def test_overlapping_no_grad_blocks_in_two_threads_restore_each_threads_mode():
    inside = [threading.Event(), threading.Event()]
    leave_first = threading.Event()
    seen = []

    def first():
        with tg.no_grad():
            inside[0].set()
            inside[1].wait()
            leave_first.wait()
        seen.append(("first", tg.is_grad_enabled()))

    def second():
        inside[0].wait()
        with tg.no_grad():
            inside[1].set()
            leave_first.set()  # the first block ends while this one is open
            seen.append(("second inside", tg.is_grad_enabled()))
        seen.append(("second", tg.is_grad_enabled()))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == [("first", True), ("second", True), ("second inside", False)]
    assert tg.is_grad_enabled()


def test_a_shared_no_grad_decorator_works_in_several_threads():
    @tg.no_grad()
    def f(x):
        return (x * 2).requires_grad, tg.is_grad_enabled()

    x = tg.ones(2, requires_grad=True)
    results = []
    threads = [threading.Thread(target=lambda: results.append(f(x))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [(False, False)] * 4 and tg.is_grad_enabled()


def test_inference_mode_is_no_grad_per_thread():
    x = tg.ones(2, requires_grad=True)
    with tg.inference_mode():
        assert tg.is_inference_mode_enabled() and not (x * 2).requires_grad
        assert _in_thread(tg.is_inference_mode_enabled) is False
        with tg.inference_mode(False):
            assert not tg.is_inference_mode_enabled()
    assert not tg.is_inference_mode_enabled() and (x * 2).requires_grad

    @tg.inference_mode
    def g():
        return (x * 2).requires_grad

    assert g() is False


def test_anomaly_mode_belongs_to_its_thread():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with tg.autograd.detect_anomaly():
        assert tg.autograd.is_anomaly_enabled()
        # another thread runs without anomaly mode: no NaN check, no recorded stack
        def other():
            y = (x.sqrt() * 0).sum()
            y.backward()
            return tg.autograd.is_anomaly_enabled(), "trace" in y._ctx.__dict__

        assert _in_thread(other) == (False, False)
        y = (x.sqrt() * 0).sum()
        with pytest.raises(RuntimeError, match="Sqrt"):
            y.backward()
    assert not tg.autograd.is_anomaly_enabled()
    assert tg.autograd.Primitive.__dict__["apply"] is _plain_apply()


def _plain_apply():
    from tinygrad_gd.autograd import anomaly_mode

    return anomaly_mode._PLAIN_APPLY


def test_keep_graphs_is_per_thread():
    engine.KEEP_GRAPHS[0] = True
    try:
        def other():
            x = tg.ones(2, requires_grad=True)
            y = (x * x).sum()
            y.backward()
            with pytest.raises(RuntimeError, match="second time"):
                y.backward()
            return engine.KEEP_GRAPHS[0]

        assert _in_thread(other) is False
    finally:
        engine.KEEP_GRAPHS[0] = False
