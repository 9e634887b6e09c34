"""torch's device-generic and start-up APIs that scripts call before any tensor exists:
``tg.accelerator`` (PyTorch's quick start picks its device with it), ``tg.backends``' flags and
``tg.compile``. On the CuPy stand-in (``--cupy-standin``) the accelerator is there."""

from __future__ import annotations

import pytest

import tinygrad_gd as tg
from tinygrad_gd import backend


def test_the_quick_starts_device_line_picks_a_device_that_works(device):
    picked = (tg.accelerator.current_accelerator().type if tg.accelerator.is_available()
              else "cpu")
    assert picked == ("cuda" if tg.cuda.is_available() else "cpu")
    assert tg.accelerator.device_count() == tg.cuda.device_count()
    x = tg.ones(2, device=picked)
    assert (x * 2).sum().item() == 4.0
    if picked == "cuda":
        assert tg.accelerator.current_device_index() == 0
        tg.accelerator.set_device_index("cuda:0")
        with tg.accelerator.device_index(0):
            tg.accelerator.synchronize()
        assert tg.accelerator.current_accelerator(check_available=True) == "cuda"


def test_without_a_gpu_the_accelerator_says_so():
    if tg.cuda.is_available():
        pytest.skip("a GPU (or the stand-in) is present")
    assert not tg.accelerator.is_available() and tg.accelerator.device_count() == 0
    assert tg.accelerator.current_accelerator(check_available=True) is None
    expected = None if backend._cupy is None else tg.device("cuda")
    assert tg.accelerator.current_accelerator() == expected
    tg.accelerator.synchronize()  # nothing to wait for
    with tg.accelerator.device_index(None):
        pass
    with pytest.raises(RuntimeError, match="no accelerator is available"):
        tg.accelerator.current_device_index()


def test_backend_flags_are_recorded_and_say_what_is_used():
    before = tg.backends.cudnn.benchmark, tg.backends.cudnn.deterministic
    try:
        tg.backends.cudnn.benchmark = True
        tg.backends.cudnn.deterministic = True
        tg.backends.cuda.matmul.allow_tf32 = True
        assert tg.backends.cudnn.benchmark and tg.backends.cudnn.deterministic
    finally:
        tg.backends.cudnn.benchmark, tg.backends.cudnn.deterministic = before
        tg.backends.cuda.matmul.allow_tf32 = False
    assert not tg.backends.cudnn.is_available() and tg.backends.cudnn.version() is None
    assert not tg.backends.mps.is_available() and not tg.backends.mps.is_built()
    assert tg.backends.cuda.is_built() == (backend._cupy is not None)
    assert tg.backends.cuda.is_available() == tg.cuda.is_available()
    assert "benchmark" in repr(tg.backends.cudnn)


def test_compile_hands_back_what_it_is_given_in_every_spelling():
    model = tg.nn.Linear(3, 2)
    assert tg.compile(model) is model
    assert tg.compile(model, mode="reduce-overhead", fullgraph=True) is model

    @tg.compile
    def double(x):
        return x * 2

    @tg.compile(dynamic=True)
    def triple(x):
        return x * 3

    x = tg.tensor([1.0, 2.0])
    assert double(x).tolist() == [2.0, 4.0] and triple(x).tolist() == [3.0, 6.0]


def test_cuda_memory_and_properties_answer_as_torchs(device):
    if device == "cpu" and not tg.cuda.is_available():
        assert tg.cuda.memory_allocated() == 0 and tg.cuda.memory_reserved() == 0
        tg.cuda.empty_cache()
        assert tg.cuda.is_bf16_supported() is False
        with pytest.raises(RuntimeError, match="no CUDA GPU"):
            tg.cuda.get_device_properties(0)
        with pytest.raises(RuntimeError, match="no CUDA GPU"):
            tg.cuda.set_device(0)
        return
    if device == "cpu":
        pytest.skip("the GPU case covers a machine with a GPU")
    x = tg.ones(1000, device=device)
    assert tg.cuda.memory_allocated() >= 0 and tg.cuda.memory_reserved() >= 0
    tg.cuda.empty_cache()
    props = tg.cuda.get_device_properties(0)
    assert props.total_memory > 0 and props.name and "total_memory" in repr(props)
    tg.cuda.set_device("cuda:0")
    assert tg.cuda.current_device() == 0 and x.sum().item() == 1000.0
