"""The GPU path, checked through the CuPy stand-in (``pytest --cupy-standin``) or a real GPU.

Each test is a regression test of a finding of issue 13; without the stand-in and without a
GPU they skip.
"""

import re
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


# ---------------------------------------------------------------- finding 1: index bounds
def _forms(dev):
    """Each indexing form with an out-of-range index (CuPy would wrap it around)."""
    x = tg.arange(12.0, device=dev).reshape(3, 4)
    i = lambda v: tg.tensor(v, device=dev)  # noqa: E731
    ones = tg.ones(1, 4, device=dev)
    return {
        "getitem": lambda: x[i([0, 7])],
        "getitem negative": lambda: x[i([0, -4])],
        "getitem list": lambda: x[[0, 3]],
        "getitem second axis": lambda: x[:, i([0, 4])],
        "getitem 0-d": lambda: x[i(5)],
        "getitem after an int": lambda: x[0, i([9])],
        "getitem after ellipsis": lambda: x[..., i([4])],
        "setitem": lambda: x.__setitem__(i([0, 3]), 1.0),
        "setitem pair": lambda: x.__setitem__((i([0]), i([4])), 1.0),
        "index_put": lambda: x.index_put((i([3]),), tg.tensor(1.0, device=dev)),
        "index_put accumulate": lambda: x.index_put((i([3]),), tg.tensor(1.0, device=dev),
                                                    accumulate=True),
        "gather": lambda: x.gather(1, i([[0, 4]] * 3)),
        "scatter": lambda: x.scatter(1, i([[0, 4]] * 3), 1.0),
        "scatter_add": lambda: x.scatter_add(1, i([[0, 4]]), x),
        "scatter_reduce": lambda: x.scatter_reduce(1, i([[0, 4]]), x, "amax"),
        "index_select": lambda: x.index_select(0, i([3])),
        "index_add": lambda: x.index_add(0, i([3]), ones),
        "index_copy": lambda: x.index_copy(0, i([3]), ones),
        "index_fill": lambda: x.index_fill(0, i([-1, 3]), 1.0),
        "take": lambda: x.take(i([12])),
        "take_along_dim": lambda: x.take_along_dim(i([[4]]), 1),
        "put": lambda: x.put(i([-13]), tg.ones(1, device=dev)),
        "embedding": lambda: tg.nn.functional.embedding(i([3]), x),
    }


@pytest.mark.parametrize("form", sorted(_forms("cpu")))
def test_out_of_range_indices_raise_on_the_gpu_as_on_the_cpu(form):
    with pytest.raises(IndexError) as on_cpu:
        _forms("cpu")[form]()
    with pytest.raises(IndexError) as on_gpu:
        _forms("cuda")[form]()
    # the same words (the CPU's may add where: NumPy raises it deeper, inside the op; after an
    # integer the GPU names the axis of the whole tensor, the CPU that of the selected part)
    gpu, cpu = str(on_gpu.value), str(on_cpu.value)
    pattern = r"index (-?\d+) is out of \w+ for \w+ \d+ (?:with|of) size (\d+)"
    assert gpu in cpu or re.search(pattern, gpu).groups() == re.search(pattern, cpu).groups()


def test_in_range_indices_agree_on_both_devices():
    def run(dev):
        x = tg.arange(12.0, device=dev).reshape(3, 4).requires_grad_()
        i = tg.tensor([2, -3, 0], device=dev)
        y = x[i] + x[:, i[:2]].sum() + x[1, tg.tensor([-1, 3], device=dev)].sum()
        y.sum().backward()
        z = x.detach().clone()
        z[tg.tensor([-1], device=dev), tg.tensor([-4], device=dev)] = 100.0
        return y.tolist(), x.grad.tolist(), z.tolist()

    assert run("cuda") == run("cpu")


# ------------------------------------------------------------- finding 3: RandomSearch state
@pytest.mark.parametrize("seed", [3, None])
def test_random_search_state_dict_on_the_gpu(seed):
    import pickle

    def f(x):
        return lambda: ((x - 1.0) ** 2).sum()

    tg.manual_seed(0)
    x = tg.zeros(4, device="cuda", requires_grad=True)
    opt = tg.optim.RandomSearch([x], std=2.0, seed=seed)
    opt.step(f(x))
    saved = pickle.loads(pickle.dumps(opt.state_dict()))  # plain data, no lock inside
    start = x.detach().clone()
    for _ in range(3):
        opt.step(f(x))
    straight = x.tolist()

    y = start.clone().requires_grad_()
    resumed = tg.optim.RandomSearch([y], std=2.0, seed=seed)
    resumed.load_state_dict(saved)
    for _ in range(3):
        resumed.step(f(y))
    assert y.tolist() == straight and y.data.device.id == 0
    # the same seed draws the same candidates on the CPU
    tg.manual_seed(0)
    c = tg.zeros(4, requires_grad=True)
    cpu = tg.optim.RandomSearch([c], std=2.0, seed=seed)
    for _ in range(4):
        cpu.step(f(c))
    np.testing.assert_allclose(c.numpy(), straight, rtol=1e-6)


# -------------------------------------------------- finding 7: in-place ops on expanded views
def _expanded_forms():
    return {
        "add_": lambda e, dev: e.add_(1),
        "mul_": lambda e, dev: e.mul_(2.0),
        "+=": lambda e, dev: e.__iadd__(1.0),
        "copy_": lambda e, dev: e.copy_(tg.ones(2, 3, device=dev)),
        "clamp_": lambda e, dev: e.clamp_(0.0, 1.0),
        "exp_": lambda e, dev: e.exp_(),
        "index_fill_": lambda e, dev: e.index_fill_(1, tg.tensor([0], device=dev), 0.0),
        "masked_fill_": lambda e, dev: e.masked_fill_(tg.ones(2, 3, dtype=tg.bool, device=dev),
                                                      0.0),
        "transposed sub_": lambda e, dev: e.t().sub_(1),
        "row of it": lambda e, dev: e[0].add_(1),
        "setitem": lambda e, dev: e.__setitem__((0, 0), 5.0),
        "fill_": lambda e, dev: e.fill_(3.0),
        "zero_": lambda e, dev: e.zero_(),
    }


@pytest.mark.parametrize("form", sorted(_expanded_forms()))
def test_in_place_on_an_expanded_tensor_behaves_alike_on_both_devices(form):
    def run(dev):
        s = tg.tensor([[1.0], [2.0]], device=dev)
        e = s.expand(2, 3)
        try:
            _expanded_forms()[form](e, dev)
        except RuntimeError as exc:
            return "refused: " + str(exc), s.tolist()
        return e.tolist(), s.tolist()

    on_cpu, on_gpu = run("cpu"), run("cuda")
    assert on_gpu == on_cpu
    assert on_gpu[1] == [[1.0], [2.0]]  # never written through into the source on the GPU
    assert on_gpu[0].startswith("refused: ") and "expand" in on_gpu[0]


def test_expanded_views_follow_their_source_and_contiguous_copies():
    for dev in ("cpu", "cuda"):
        s = tg.tensor([[1.0], [2.0]], device=dev)
        e = s.expand(2, 3)
        s.add_(1)  # a view sees its source's writes, as torch's
        assert e.tolist() == [[2.0] * 3, [3.0] * 3]
        c = e.contiguous()  # memory of its own: in-place ops allowed, the source untouched
        c.add_(1)
        assert c.is_contiguous() and c.tolist() == [[3.0] * 3, [4.0] * 3]
        assert s.tolist() == [[2.0], [3.0]]


def test_the_stand_in_models_cuda_graphs():
    """What tg.jit's graphs rely on, as the stand-in models it: a capture runs nothing (new
    arrays hold garbage, old ones keep their values), a launch reruns the work into the same
    arrays, host reads and draws are refused while capturing. (On a real GPU: CUDA's rules.)"""
    import sys

    standin = sys.modules.get("tests.cupy_standin")
    if standin is None or not standin.installed():
        pytest.skip("the stand-in's model")
    cp = standin.module
    x, w = cp.arange(4.0), cp.ones(4)
    stream = cp.cuda.Stream(non_blocking=True)
    with stream:
        stream.begin_capture()
        y = x * 2 + w
        w += 1
        with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="capturing"):
            bool(y.sum() > 0)
        with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="draw"):
            cp.random.default_rng(0).random(3)
        graph = stream.end_capture()
    assert np.isnan(y.get()).all() and w.get().tolist() == [1.0] * 4
    graph.launch()
    assert y.get().tolist() == [1.0, 3.0, 5.0, 7.0] and w.get().tolist() == [2.0] * 4
    x[...] = 10.0
    y_before = y
    graph.launch()
    assert y is y_before and y.get().tolist() == [22.0] * 4 and w.get().tolist() == [3.0] * 4
    with pytest.raises(RuntimeError, match="default"):
        cp.cuda.Stream.null.begin_capture()
