"""Shared fixtures: every device present, CUDA skipped cleanly where there is none."""

import pytest

from tinygrad_gd import backend

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not backend.cuda_available(), reason="needs CuPy and an NVIDIA GPU"))]


@pytest.fixture(params=DEVICES)
def device(request):
    """Each test that takes `device` runs on the CPU and, where present, on the GPU."""
    return request.param


@pytest.fixture(autouse=True)
def _restore_default_dtype():
    """A test that calls ``tg.set_default_dtype`` must not change the tests that follow it."""
    import tinygrad_gd as tg

    before = tg.get_default_dtype()
    yield
    tg.set_default_dtype(before)
