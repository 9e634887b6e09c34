"""No device-to-host syncs inside a training step, counted by the CuPy stand-in.

``pytest --cupy-standin`` runs these (the stand-in counts every transfer by call site; a real GPU
cannot be counted this way, so they skip elsewhere). A step's forward, backward, optimizer and
scheduler calls must make no device-to-host copy from the library and, once warm, no
host-to-device copy either (Python scalars are copied to the GPU once, then cached). The
values that only a sync could check are checked on the CPU and behind
``tg.set_debug_checks(True)`` on a GPU; these tests also check that the sync-free forms agree
with the CPU.
"""

import math
import sys

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F

standin = sys.modules.get("tests.cupy_standin")
pytestmark = pytest.mark.skipif(standin is None or not standin.installed(),
                                reason="counts transfers through the CuPy stand-in "
                                       "(pytest --cupy-standin)")


def _mlp():
    return nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 10))


def _cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.25),
                         nn.Linear(8, 10))


def _optimizer(name, params):
    if name == "sgd":
        return tg.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4)
    return tg.optim.Adam(params, lr=1e-3)


def _setup(model_name, shape, opt_name):
    """A model on the GPU, its optimizer, a cosine schedule, a batch."""
    tg.manual_seed(0)
    model = (_mlp() if model_name == "mlp" else _cnn()).to("cuda")
    opt = _optimizer(opt_name, model.parameters())
    sched = tg.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    return (model, opt, sched, tg.randn(*shape, device="cuda"),
            tg.randint(0, 10, (shape[0],), device="cuda"))


@pytest.mark.parametrize("model_name,shape", [("mlp", (8, 20)), ("cnn", (8, 1, 10, 10))])
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_a_training_step_makes_no_transfers(model_name, shape, opt_name):
    model, opt, sched, x, y = _setup(model_name, shape, opt_name)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
        return loss

    first = step()  # warm: the Python scalars of the step reach the GPU here, once
    before = model[0].weight.detach().clone()
    with standin.count_transfers() as log:
        for _ in range(3):
            last = step()
    assert log.library("d2h") == {}, f"device-to-host syncs in a step: {log.d2h}"
    assert log.library("h2d") == {}, f"host-to-device copies in a warm step: {log.h2d}"
    # the step did train, on the GPU (and the counter is live: reading a loss is a copy)
    assert model[0].weight.device == "cuda:0"
    assert not np.array_equal(model[0].weight.numpy(), before.numpy())
    with standin.count_transfers() as log:
        values = first.item(), last.item()
    assert sum(log.d2h.values()) == 2 and all(math.isfinite(v) for v in values)


@pytest.mark.parametrize("model_name,shape", [("mlp", (8, 20)), ("cnn", (8, 1, 10, 10))])
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_a_jitted_step_makes_no_transfers(model_name, shape, opt_name):
    """tg.jit on the GPU: the trace copies the state to the host once; replays copy nothing
    either way (the plan's constants went to the GPU when it was built)."""
    model, opt, sched, x, y = _setup(model_name, shape, opt_name)

    @tg.jit
    def step(x, y):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        return opt.param_groups[0]["params"][0].sum()  # (a value computed after the step)

    for _ in range(2):  # traced twice: before and after the gradients exist
        first = step(x, y)
        sched.step()
    before = model[0].weight.detach().clone()
    with standin.count_transfers() as log:
        for _ in range(3):
            last = step(x, y)
            sched.step()
    assert step.traces == 2
    assert log.library("d2h") == {}, f"device-to-host syncs in a replay: {log.d2h}"
    assert log.library("h2d") == {}, f"host-to-device copies in a replay: {log.h2d}"
    assert model[0].weight.device == "cuda:0" and last.device == "cuda:0"
    assert not np.array_equal(model[0].weight.numpy(), before.numpy())
    assert math.isfinite(first.item()) and math.isfinite(last.item())


def test_python_scalars_are_copied_to_the_gpu_once():
    x = tg.randn(4, device="cuda")
    with standin.count_transfers() as log:
        (x * 0.25 + 3).mean(), x * -0.0
    first = sum(log.library("h2d").values())
    with standin.count_transfers() as log:
        y = x * 0.25 + 3
        z = x * -0.0
    assert first >= 1 and log.library("h2d") == {}
    np.testing.assert_allclose(y.numpy(), x.numpy() * 0.25 + 3, rtol=1e-6)
    pos = x.numpy() > 0
    # the sign of a zero is kept apart from 0.0 in the cache
    assert np.signbit(z.numpy()[pos]).all() and not np.signbit((x * 0.0).numpy()[pos]).any()
    assert np.isnan((x * float("nan")).numpy()).all() and (x * 2.0 == x + x).all().item()


def _ce_cases(k=5):
    return [dict(), dict(reduction="sum"), dict(reduction="none"), dict(ignore_index=1),
            dict(ignore_index=1, reduction="none"), dict(weight=np.linspace(0.5, 2, k)),
            dict(weight=np.linspace(0.5, 2, k), ignore_index=2, reduction="mean"),
            dict(label_smoothing=0.1), dict(label_smoothing=0.2, ignore_index=3)]


@pytest.mark.parametrize("loss_name,case", [
    (name, i) for name in ("cross_entropy", "nll_loss") for i, kw in enumerate(_ce_cases())
    if name == "cross_entropy" or "label_smoothing" not in kw])  # nll_loss has no smoothing
def test_class_losses_on_the_gpu_match_the_cpu_without_syncs(case, loss_name):
    kw = dict(_ce_cases()[case])
    rng = np.random.default_rng(case)
    logits = rng.standard_normal((6, 5, 2))
    labels = rng.integers(0, 5, (6, 2))
    labels[0, 0] = 1  # the ignored class is there
    fn = getattr(F, loss_name)
    results = {}
    for dev in ("cpu", "cuda"):
        x = tg.tensor(logits, device=dev, requires_grad=True)
        args = dict(kw)
        if "weight" in args:
            args["weight"] = tg.tensor(args["weight"], device=dev)
        with standin.count_transfers() as log:
            inp = x.log_softmax(1) if loss_name == "nll_loss" else x
            out = fn(inp, tg.tensor(labels, device=dev), **args)
            out.backward(tg.ones_like(out))
        if dev == "cuda":
            assert log.library("d2h") == {}, log.d2h
        results[dev] = out.numpy(), x.grad.numpy()
    np.testing.assert_allclose(results["cuda"][0], results["cpu"][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results["cuda"][1], results["cpu"][1], rtol=1e-12, atol=1e-12)


def test_every_label_ignored_gives_nan_and_a_zero_gradient_on_both_devices():
    for dev in ("cpu", "cuda"):
        x = tg.randn(3, 4, device=dev, requires_grad=True)
        loss = F.cross_entropy(x, tg.full((3,), -100, device=dev))
        loss.backward()
        assert math.isnan(loss.item()) and x.grad.abs().sum().item() == 0.0


@pytest.mark.parametrize("bad", [5, -1])
def test_an_out_of_range_label_on_the_gpu(bad):
    x = tg.randn(3, 5, device="cuda", requires_grad=True)
    labels = tg.tensor([0, bad, 2], device="cuda")
    with standin.count_transfers() as log:  # no sync: the row's loss is NaN instead
        loss = F.cross_entropy(x, labels, reduction="none")
        mean = F.cross_entropy(x, labels)
    assert log.library("d2h") == {}
    assert np.isnan(loss.numpy()).tolist() == [False, True, False] and math.isnan(mean.item())
    with pytest.raises(ValueError, match=f"target label {bad} is out of range for 5 classes"):
        F.cross_entropy(x.cpu(), labels.cpu())
    tg.set_debug_checks(True)
    try:  # opt-in: the CPU's error, at the call, at the price of a sync
        assert tg.debug_checks_enabled()
        with pytest.raises(ValueError, match=f"target label {bad} is out of range for 5 classes"):
            F.cross_entropy(x, labels)
        with pytest.raises(ValueError, match="out of range"):
            F.nll_loss(x.log_softmax(1), labels)
    finally:
        tg.set_debug_checks(False)
    assert not tg.debug_checks_enabled()


@pytest.mark.parametrize("kernel,stride", [(2, 2), (3, 2)])
def test_max_pool_with_nans_matches_the_cpu_without_syncs(kernel, stride):
    rng = np.random.default_rng(0)
    data = rng.standard_normal((2, 3, 7, 7))
    data[0, 0, 1, 1] = np.nan
    data[1, 2, :2, :2] = 4.0  # a tied window
    results = {}
    for dev in ("cpu", "cuda"):
        x = tg.tensor(data, device=dev, requires_grad=True)
        with standin.count_transfers() as log:
            out = F.max_pool2d(x, kernel, stride)
            out.backward(tg.ones_like(out))
        if dev == "cuda" and kernel == stride:  # the overlapping form still syncs (README)
            assert log.library("d2h") == {}, log.d2h
        results[dev] = out.numpy(), x.grad.numpy()
    np.testing.assert_array_equal(results["cuda"][0], results["cpu"][0])
    np.testing.assert_array_equal(results["cuda"][1], results["cpu"][1])
