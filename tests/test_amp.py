"""``tg.amp``: GradScaler's loss scaling, against torch's on the CPU (torch 2.13 scales there),
step for step; autocast as a region that computes in the tensors' own dtypes and says so."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg


def _scaled_training(lib, grads_with_inf: set[int], growth_interval: int = 3) -> list:
    """Eight steps of SGD through a GradScaler; the steps in ``grads_with_inf`` get an inf
    gradient (the step must be skipped and the scale backed off)."""
    w = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64, requires_grad=True)
    opt = lib.optim.SGD([w], lr=0.1, momentum=0.9)
    scaler = lib.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=growth_interval)
    seen = []
    for i in range(8):
        opt.zero_grad()
        loss = (w * w * (i + 1)).sum()
        scaled = scaler.scale(loss)
        scaled.backward()
        seen.append(("scaled", scaled.item(), w.grad.tolist()))
        if i in grads_with_inf:
            with lib.no_grad():
                w.grad[0] = float("inf")
        if i == 5:
            scaler.unscale_(opt)  # unscaled by hand first (gradient clipping would go here)
            seen.append(("unscaled", w.grad.tolist()))
        result = scaler.step(opt)
        seen.append(("step", result, w.tolist()))
        scaler.update()
        seen.append(("scale", scaler.get_scale(), scaler.state_dict()))
    return seen


@pytest.mark.parametrize("infs", [set(), {1, 2, 6}])
def test_grad_scaler_matches_torch_step_for_step(infs):
    torch = pytest.importorskip("torch")
    ours, theirs = _scaled_training(tg, infs), _scaled_training(torch, infs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a[0] == b[0]
        if a[0] == "scale":
            assert a[1] == b[1] and a[2] == b[2]
        else:
            np.testing.assert_allclose(np.asarray(a[1:][-1], dtype=float),
                                       np.asarray(b[1:][-1], dtype=float), rtol=1e-12)
    # the steps with an inf were skipped (the parameters did not move) and backed the scale off
    scales = [s[1] for s in ours if s[0] == "scale"]
    assert (scales[1] < scales[0]) == (1 in infs)


def test_grad_scaler_refuses_what_torch_refuses():
    w = tg.tensor([1.0], requires_grad=True)
    opt = tg.optim.SGD([w], lr=0.1)
    scaler = tg.amp.GradScaler("cpu")
    with pytest.raises(ValueError, match="iterable of Tensors"):
        scaler.scale(3.0)
    assert [t.item() for t in scaler.scale([w.sum(), (w.sum(),)])[:1]] == [65536.0]
    with pytest.raises(RuntimeError, match="no inf checks"):
        scaler.update()
    with pytest.raises(RuntimeError, match="none of the optimizer's parameters"):
        scaler.step(opt)
    scaler = tg.amp.GradScaler("cpu")
    scaler.scale((w * w).sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="Closure"):
        scaler.step(opt, closure=lambda: None)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    scaler.update()
    with pytest.raises(RuntimeError, match="state dict is empty"):
        tg.amp.GradScaler("cpu").load_state_dict({})
    other = tg.amp.GradScaler("cpu", init_scale=8.0)
    other.load_state_dict(scaler.state_dict())
    assert other.state_dict() == scaler.state_dict()
    with pytest.raises(ValueError, match="growth factor"):
        tg.amp.GradScaler("cpu", growth_factor=1.0)


def test_a_disabled_scaler_passes_through_and_cuda_without_a_gpu_disables_itself():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = tg.optim.SGD([w], lr=0.5)
    off = tg.amp.GradScaler("cpu", enabled=False)
    loss = (w * w).sum()
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}
    loss.backward()
    off.step(opt)
    off.update()
    assert w.tolist() == [0.0, 0.0]
    if not tg.cuda.is_available():
        with pytest.warns(UserWarning, match="no GPU is available"):
            assert not tg.amp.GradScaler().is_enabled()
        with pytest.warns(UserWarning, match="no GPU is available"):
            assert not tg.cuda.amp.GradScaler().is_enabled()


def test_autocast_is_a_region_that_computes_in_the_tensors_own_dtypes():
    x = tg.tensor([[1.0, 2.0]], dtype=tg.float32)
    w = tg.tensor([[0.5], [0.25]], dtype=tg.float32)
    assert not tg.is_autocast_enabled("cpu")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        with tg.autocast("cpu", dtype=tg.float16):
            assert tg.is_autocast_enabled("cpu") and not tg.is_autocast_enabled("cuda")
            assert tg.get_autocast_dtype("cpu") == tg.float16
            with tg.autocast("cpu", enabled=False):
                assert not tg.is_autocast_enabled("cpu")
            y = x @ w
    assert not tg.is_autocast_enabled("cpu")
    assert y.dtype == tg.float32 and y.tolist() == [[1.0]]
    assert tg.get_autocast_dtype("cuda") == tg.float16

    @tg.autocast("cpu", enabled=False)
    def f(a):
        return a * 2, tg.is_autocast_enabled("cpu")

    assert f(x)[0].tolist() == [[2.0, 4.0]] and f(x)[1] is False
    with pytest.raises(ValueError, match="device_type"):
        tg.autocast(1)
    with pytest.raises(RuntimeError, match="unsupported device type"):
        tg.autocast("tpu")
    assert tg.amp.custom_fwd(f) is f and tg.amp.custom_fwd(cast_inputs=tg.float32)(f) is f
    assert tg.amp.custom_bwd(f) is f


def test_entering_an_enabled_region_warns_that_nothing_is_cast(monkeypatch):
    monkeypatch.setattr(tg.amp, "_WARNED", [False])
    with pytest.warns(UserWarning, match="lower-precision casting is not implemented"):
        with tg.autocast("cpu"):
            pass
    if not tg.cuda.is_available():
        with pytest.warns(UserWarning, match="Disabling autocast"):
            region = tg.autocast("cuda")
        with region:
            assert not tg.is_autocast_enabled("cuda")


def test_grad_scaler_on_each_device_gives_the_cpu_result(device):
    def run(dev: str) -> list:
        w = tg.tensor([1.0, -2.0], dtype=tg.float64, requires_grad=True, device=dev)
        opt = tg.optim.SGD([w], lr=0.1)
        scaler = tg.amp.GradScaler(dev.split(":")[0], init_scale=64.0, growth_interval=1)
        out = []
        for i in range(3):
            opt.zero_grad()
            scaler.scale((w * w).sum() * (float("inf") if i == 1 else 1.0)).backward()
            scaler.step(opt)
            scaler.update()
            out.append((w.tolist(), scaler.get_scale()))
        return out

    assert run(device) == run("cpu")
