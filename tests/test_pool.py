"""The eager path's reuse of memory and constants: the buffer pool of large temporaries
(``ops/pool.py``), Python float operands made once (``tensor._cpu_scalar``), relu's boolean
slope."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.nn import functional as F
from tinygrad_gd.ops import pool

BIG = (512, 1024)  # 2 MiB of float32: pooled


def test_a_held_buffer_is_never_handed_out_and_a_released_one_comes_back():
    like = np.empty(1)
    a = pool.empty(BIG, np.float32, like)
    b = pool.empty(BIG, np.float32, like)
    assert a is not b and not np.shares_memory(a, b)
    view = a[1:]  # a view holds its base
    del a
    c = pool.empty(BIG, np.float32, like)
    assert not np.shares_memory(c, view) and not np.shares_memory(c, b)
    addrs = {view.base.ctypes.data, c.ctypes.data}
    del view, c
    d = pool.empty(BIG, np.float32, like)
    assert d.ctypes.data in addrs  # nothing refers to them any more: one is reused
    z = pool.zeros(BIG, np.float32, like)
    assert z is not d and not z.any()


def test_small_buffers_and_subclasses_are_not_pooled():
    like = np.empty(1)
    a = pool.empty((4, 4), np.float32, like)
    addr = a.ctypes.data
    del a
    assert pool.empty((4, 4), np.float32, like).shape == (4, 4)  # plain np.empty

    class Sub(np.ndarray):
        pass

    sub = np.empty(1).view(Sub)
    big = pool.empty(BIG, np.float32, sub)  # tg.jit's traced arrays: the trace must see it
    assert big.shape == BIG and addr is not None
    assert all(b is not big for bufs in pool._POOL.values() for b in bufs)


def test_convolution_steps_with_reused_buffers_equal_fresh_ones():
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((64, 4, 20, 20)).astype(np.float32))
    conv = tg.nn.Conv2d(4, 16, 3, padding=1)
    grads = []
    for _ in range(3):
        conv.zero_grad()
        out = F.max_pool2d(conv(x).relu(), 2)
        (out * out).sum().backward()
        grads.append((out.numpy().copy(), conv.weight.grad.numpy().copy()))
        assert conv.weight.grad.dtype == np.float32
    pool.clear()
    conv.zero_grad()
    out = F.max_pool2d(conv(x).relu(), 2)
    (out * out).sum().backward()
    for o, g in grads:
        np.testing.assert_array_equal(o, out.numpy())
        np.testing.assert_array_equal(g, conv.weight.grad.numpy())


def test_float_operands_are_cached_read_only_and_keep_signed_zero():
    x = tg.tensor([1.0, -2.0], dtype="float64", requires_grad=True)
    y = x * 0.25
    z = x * 0.25
    const_y, const_z = y.grad_fn.inputs[1], z.grad_fn.inputs[1]
    assert const_y is const_z and not const_y.data.flags.writeable
    assert np.signbit((tg.tensor([1.0]) * -0.0).numpy()).all()
    assert not np.signbit((tg.tensor([1.0]) * 0.0).numpy()).any()
    assert (x * 0.25).dtype == np.float64 and (x.float() * 0.25).dtype == np.float32
    (y + z).sum().backward()
    assert x.grad.tolist() == [0.5, 0.5]


def test_relu_with_a_boolean_slope_matches_torch_to_second_order():
    torch = pytest.importorskip("torch")
    v = np.array([-1.5, 0.0, 2.0, 3.0])
    x = tg.tensor(v, requires_grad=True)
    (g,) = tg.grad((x.relu() ** 2).sum(), [x], create_graph=True)
    (gg,) = tg.grad(g.sum(), [x])
    tx = torch.tensor(v, requires_grad=True)
    (tg_,) = torch.autograd.grad((tx.relu() ** 2).sum(), [tx], create_graph=True)
    (tgg,) = torch.autograd.grad(tg_.sum(), [tx])
    np.testing.assert_allclose(g.numpy(), tg_.detach().numpy())
    np.testing.assert_allclose(gg.numpy(), tgg.numpy())
    h = tg.tensor(v.astype(np.float32), requires_grad=True)
    h.relu().sum().backward()
    assert h.grad.dtype == np.float32 and h.grad.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert tg.tensor([-2, 3]).relu().tolist() == [0, 3]


@pytest.mark.parametrize("size", [8, 9])
def test_max_pool_gradient_from_a_flattened_layer_matches_torch(size):
    # the pooled gradient arrives C-ordered (from Flatten and Linear) while the convolution's
    # output, and so the pooling windows, are stored batch-last: PoolScatter copies it into the
    # windows' order first; the values and the layout handed to the convolution must not change
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 2, size, size))
    conv, fc = tg.nn.Conv2d(2, 3, 3, padding=1).double(), None
    h = conv(tg.tensor(x))
    assert h.data.strides[0] < h.data.strides[1]  # batch-last, as the test means
    h.retain_grad()
    flat = F.max_pool2d(h.relu(), 2).flatten(1)
    fc = tg.nn.Linear(flat.shape[1], 4).double()
    fc(flat).pow(2).sum().backward()
    tconv = torch.nn.Conv2d(2, 3, 3, padding=1).double()
    tfc = torch.nn.Linear(flat.shape[1], 4).double()
    with torch.no_grad():
        for t, p in [(tconv.weight, conv.weight), (tconv.bias, conv.bias),
                     (tfc.weight, fc.weight), (tfc.bias, fc.bias)]:
            t.copy_(torch.from_numpy(p.numpy()))
    th = tconv(torch.from_numpy(x))
    th.retain_grad()
    tfc(torch.nn.functional.max_pool2d(th.relu(), 2).flatten(1)).pow(2).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), th.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv.weight.grad.numpy(), tconv.weight.grad.numpy(), rtol=1e-10)
    if size == 9:  # the last row and column are in no window: a zero gradient
        assert not h.grad.numpy()[:, :, 8, :].any() and not h.grad.numpy()[:, :, :, 8].any()
