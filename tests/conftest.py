"""Shared fixtures: every device present, CUDA skipped cleanly where there is none.

``pytest --cupy-standin`` (or ``TINYGRAD_GD_CUPY_STANDIN=1``) runs the suite through the strict
CuPy stand-in of ``tests/cupy_standin``: ``import cupy`` gives it, ``cuda_available()`` is true
and every ``device``-parametrised case runs on ``"cuda"`` as well. Hypothesis draws
``TINYGRAD_GD_STANDIN_EXAMPLES`` examples per property there (default 3), to keep CI short.
"""

import os
import sys

import pytest

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STANDIN = (os.environ.get("TINYGRAD_GD_CUPY_STANDIN") == "1"
           or any(a == "--cupy-standin" for a in sys.argv))
if STANDIN:  # before tinygrad_gd is imported: its backend imports cupy once
    if _ROOT not in sys.path:
        sys.path.insert(0, _ROOT)
    from tests import cupy_standin

    cupy_standin.install()

from tinygrad_gd import backend  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--cupy-standin", action="store_true", default=False,
                     help="run through the strict CuPy stand-in (tests/cupy_standin)")


def pytest_configure(config):
    if config.getoption("--cupy-standin") and not STANDIN:
        raise pytest.UsageError("--cupy-standin must be given on the command line (it has to "
                                "act before tinygrad_gd is imported)")


def pytest_collection_modifyitems(config, items):
    """Through the stand-in, run the cases that reach the GPU path: the ``cuda`` cases of the
    device-parametrised tests and the GPU-path test files (the rest ran in the plain run), with
    fewer Hypothesis examples (``TINYGRAD_GD_STANDIN_EXAMPLES``, default 3)."""
    if not STANDIN or os.environ.get("TINYGRAD_GD_STANDIN_ALL") == "1":
        return
    from hypothesis import settings

    n = int(os.environ.get("TINYGRAD_GD_STANDIN_EXAMPLES", "3"))
    keep, drop = [], []
    for item in items:
        spec = getattr(item, "callspec", None)
        on_gpu = spec is not None and str(spec.params.get("device", "")).startswith("cuda")
        gpu_file = os.path.basename(str(item.fspath)) in ("test_gpu_path.py",
                                                          "test_transfers.py")
        (keep if on_gpu or gpu_file else drop).append(item)
        inner = getattr(getattr(item, "obj", None), "hypothesis", None)
        test = getattr(inner, "inner_test", None)
        held = getattr(item.obj, "_hypothesis_internal_use_settings", None) if test else None
        if held is not None and held.max_examples > n:
            item.obj._hypothesis_internal_use_settings = settings(held, max_examples=n)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


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
