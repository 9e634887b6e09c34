"""The backend's own helpers: devices, dtypes and the allocator setting."""

import platform

import numpy as np
import pytest

from tinygrad_gd import backend


def test_parse_device_normalises_names():
    assert backend.parse_device(None) == "cpu"
    assert backend.parse_device(" CPU ") == "cpu"
    assert backend.parse_device("cpu:0") == "cpu"
    assert backend.split_to_args(("cpu:0", "float64")) == ("cpu:0", "float64")
    with pytest.raises(ValueError, match="'tpu'"):
        backend.parse_device("tpu")
    with pytest.raises(ValueError, match="cuda:x"):
        backend.parse_device("cuda:x")


def test_parse_dtype_aliases_and_rejects():
    assert backend.parse_dtype("double") == np.float64
    assert backend.parse_dtype(np.float32) == np.float32
    with pytest.raises(TypeError, match="complex64"):
        backend.parse_dtype(np.complex64)


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="mallopt is glibc's")
def test_reuse_freed_memory_applies_on_glibc_and_arrays_still_work():
    assert backend.reuse_freed_memory() is True
    for _ in range(3):  # large arrays come and go as in training steps
        a = np.ones((1024, 1024), dtype=np.float32)
        assert float(a.sum()) == 1024 * 1024
        del a


def test_host_zeros_are_read_only_views_of_one_growing_buffer():
    a = backend.host_zeros((3, 4), np.dtype(np.float32))
    b = backend.host_zeros((5000,), np.dtype(np.float32))  # past the first buffer: it grows
    c = backend.host_zeros((2, 2), np.dtype(np.float64))
    for z, shape, dtype in ((a, (3, 4), np.float32), (b, (5000,), np.float32),
                            (c, (2, 2), np.float64)):
        assert z.shape == shape and z.dtype == dtype and not z.any()
        assert z.flags.c_contiguous and not z.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            z[...] = 1  # (no op can write into them: every user shares them)
    assert np.shares_memory(b, backend.host_zeros((7,), np.dtype(np.float32)))


def test_zeros_laid_out_as_follow_the_arrays_memory_order():
    a = np.random.default_rng(0).standard_normal((3, 4, 5, 6)).astype(np.float32)
    b = a.reshape(3, 1, 20, 6)  # a size-1 dimension
    for x in (a, a.transpose(1, 0, 2, 3), a.T, a.transpose(2, 0, 3, 1), a[..., :0], b, b.T):
        z = backend.zeros_laid_out_as(x)
        assert z.shape == x.shape and z.dtype == x.dtype and not z.any()
        steps = [(st, n) for st, n in zip(z.strides, x.shape) if n > 1]
        assert steps == [(st, n) for st, n in zip(x.strides, x.shape) if n > 1] or not x.size
        np.testing.assert_array_equal(np.maximum(x, z), np.maximum(x, 0))
    assert backend.zeros_laid_out_as(a[:, ::2]) is None  # not one block: the caller's 0 it is
