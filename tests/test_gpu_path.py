"""The GPU path, checked through the CuPy stand-in (``pytest --cupy-standin``) or a real GPU.

Each test is a regression test of a finding of issue 13; without the stand-in and without a
GPU they skip.
"""

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import backend

pytestmark = pytest.mark.skipif(not backend.cuda_available(), reason="needs a GPU or the stand-in")


def _two_gpus():
    if tg.cuda.device_count() < 2:
        pytest.skip("needs two GPUs")


def test_advanced_indexing_backward_uses_add_at_without_warnings():
    x = tg.tensor([1.0, 2.0, 3.0], device="cuda", requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # cupyx.scatter_add warns
        x[tg.tensor([0, 0, 2], device="cuda")].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]


def test_optimizer_step_after_moving_the_model_to_the_gpu():
    for make in (lambda p: tg.optim.SGD(p, lr=0.1, weight_decay=0.01),
                 lambda p: tg.optim.SGD(p, lr=0.1, maximize=True)):
        model = tg.nn.Linear(3, 2)
        opt = make(model.parameters())
        model(tg.ones(4, 3)).sum().backward()
        opt.step()
        model.to("cuda")
        opt.zero_grad()
        model(tg.ones(4, 3, device="cuda")).sum().backward()
        opt.step()  # the scratch views made on the CPU must not be reused as out=
        assert model.weight.device == "cuda:0"


def test_gelu_keeps_float16_on_the_gpu():
    x = tg.tensor([-1.0, 0.5, 2.0], dtype="float16", device="cuda")
    y = tg.nn.functional.gelu(x)
    assert y.dtype == tg.float16
    np.testing.assert_allclose(y.numpy(), tg.nn.functional.gelu(x.cpu()).numpy(), rtol=1e-3)


def test_factories_and_ops_on_the_second_gpu_stay_there():
    _two_gpus()
    for t in (tg.zeros(3, device="cuda:1"), tg.tensor([1.0, 2.0], device="cuda:1"),
              tg.arange(4, device="cuda:1"), tg.randn(3, device="cuda:1")):
        assert t.device == "cuda:1" and t.data.device.id == 1
    x = tg.ones(3, device="cpu").to("cuda:1").requires_grad_()
    y = (x * 2.0).exp().sum()
    y.backward()
    assert y.data.device.id == 1 and x.grad.data.device.id == 1
    back = x.to("cuda:0")
    assert back.data.device.id == 0 and back.tolist() == [1.0, 1.0, 1.0]


def test_sgd_on_the_second_gpu():
    _two_gpus()
    model = tg.nn.Linear(3, 2).to("cuda:1")
    opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, maximize=True)
    model(tg.ones(2, 3, device="cuda:1")).sum().backward()
    opt.step()
    assert model.weight.data.device.id == 1
