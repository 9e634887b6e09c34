"""Factories, random draws and dtypes/devices, compared with torch where it is installed.

Random streams differ from torch's (NumPy's generators): the tests check shapes, dtypes,
ranges, distributions and reproducibility under ``tg.manual_seed`` / ``tg.Generator``.
"""

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")


def _dt(t):
    return str(t.dtype).removeprefix("torch.")


def _same(a, b):
    assert tuple(a.shape) == tuple(b.shape) and a.dtype.name == _dt(b), (a, b)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(2, 3), lambda lib: lib.zeros((2, 3)), lambda lib: lib.zeros([2, 3]),
    lambda lib: lib.zeros(size=(2, 3)), lambda lib: lib.ones(3, dtype=lib.int64),
    lambda lib: lib.zeros(()),
    lambda lib: lib.empty(2, 0), lambda lib: lib.full((2,), 3), lambda lib: lib.full((2,), 1.5),
    lambda lib: lib.full((2,), True), lambda lib: lib.full([2, 2], 2, dtype=lib.float64),
    lambda lib: lib.arange(5), lambda lib: lib.arange(1, 4), lambda lib: lib.arange(0, 1, 0.1),
    lambda lib: lib.arange(5.0), lambda lib: lib.arange(10, 0, -3),
    lambda lib: lib.arange(0, 1, 0.3),
    lambda lib: lib.arange(3, dtype=lib.float64), lambda lib: lib.linspace(0, 1, 5),
    lambda lib: lib.linspace(-1, 1, 1), lambda lib: lib.logspace(0, 2, 3),
    lambda lib: lib.logspace(0, 3, 4, base=2.0), lambda lib: lib.eye(3), lambda lib: lib.eye(2, 3),
    lambda lib: lib.eye(2, dtype=lib.int64), lambda lib: lib.tril_indices(3, 4),
    lambda lib: lib.tril_indices(4, 3, -1), lambda lib: lib.triu_indices(3, 3, 1),
    lambda lib: lib.zeros_like(lib.ones(2, dtype=lib.int32)),
    lambda lib: lib.ones_like(lib.ones(2), dtype=lib.float64),
    lambda lib: lib.full_like(lib.ones(2, dtype=lib.int64), 7),
    lambda lib: lib.empty_like(lib.ones(2, 2)).fill_(3),
    lambda lib: lib.tensor([[1, 2], [3, 4]]), lambda lib: lib.tensor(1.5),
    lambda lib: lib.tensor([True]),
    lambda lib: lib.as_tensor([1.0, 2.0], dtype=lib.float64),
])
def test_factories_match_torch(call):
    _same(call(tg), call(torch))


def test_requires_grad_and_device_arguments():
    for f in (tg.zeros, tg.ones, tg.empty, tg.rand, tg.randn):
        t = f(2, requires_grad=True, device=tg.device("cpu"))
        assert t.requires_grad and t.device == "cpu" and t.is_leaf
    assert tg.arange(3.0, requires_grad=True).requires_grad
    assert tg.full((2,), 1.0, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="floating-point"):
        tg.zeros(2, dtype=tg.int64, requires_grad=True)


def test_from_numpy_shares_memory_and_as_tensor():
    a = np.arange(3.0)
    t = tg.from_numpy(a)
    a[0] = 10.0
    assert t.tolist() == [10.0, 1.0, 2.0] and t.dtype == tg.float64
    t.data[1] = -1.0
    assert a[1] == -1.0
    with pytest.raises(TypeError, match="numpy.ndarray"):
        tg.from_numpy([1, 2])
    with pytest.raises(TypeError, match="unsupported dtype"):
        tg.from_numpy(np.zeros(2, dtype=np.complex64))
    x = tg.ones(2)
    assert tg.as_tensor(x) is x and tg.as_tensor(x, dtype=tg.float64).dtype == tg.float64
    b = np.zeros(2, dtype=np.float32)
    tg.as_tensor(b).data[0] = 5
    assert b[0] == 5  # no copy when nothing changes (as torch.as_tensor)
    c = tg.tensor(b)
    c.data[0] = 7
    assert b[0] == 5  # tg.tensor copies


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_matches_torch(indexing):
    xs = [np.arange(2.0), np.arange(3.0) + 5, np.arange(4.0)]
    for k in (1, 2, 3):
        ours = tg.meshgrid(*[tg.tensor(x, dtype=tg.float32) for x in xs[:k]],
                           indexing=indexing)
        ref = torch.meshgrid(*[torch.tensor(x, dtype=torch.float32) for x in xs[:k]],
                             indexing=indexing)
        for a, b in zip(ours, ref):
            _same(a, b)
    ours = tg.meshgrid([tg.arange(2), tg.arange(3)], indexing=indexing)
    assert ours[0].shape == tuple(torch.meshgrid([torch.arange(2), torch.arange(3)],
                                                 indexing=indexing)[0].shape)


def test_factory_errors():
    with pytest.raises(ValueError, match="size must be non-negative"):
        tg.zeros(2, -1)
    with pytest.raises(ValueError, match="inconsistent with step sign"):
        tg.arange(0, 5, -1)
    with pytest.raises(ValueError, match="linspace: steps"):
        tg.linspace(0, 1, -2)
    with pytest.raises(TypeError, match="unexpected keyword"):
        tg.zeros(2, shape=3)
    with pytest.raises(ValueError, match="meshgrid: indexing"):
        tg.meshgrid(tg.arange(2), indexing="yx")


# -------------------------------------------------------------------------------- random
def test_manual_seed_reproduces_every_random_factory():
    def draws():
        return [tg.rand(3), tg.randn(2, 2), tg.randint(0, 10, (4,)), tg.randperm(6),
                tg.normal(0.0, 1.0, (3,)), tg.normal(tg.zeros(3), tg.ones(3)),
                tg.bernoulli(tg.full((5,), 0.5)), tg.multinomial(tg.ones(5), 3),
                tg.rand_like(tg.zeros(2)), tg.randn_like(tg.zeros(2)),
                tg.randint_like(tg.zeros(3), 5), tg.zeros(4).uniform_(-1, 1),
                tg.zeros(4).normal_(2, 3), tg.zeros(4).bernoulli_(0.3), tg.zeros(4).random_(7),
                tg.zeros(4).exponential_(2.0)]

    tg.manual_seed(123)
    a = draws()
    tg.manual_seed(123)
    b = draws()
    tg.manual_seed(124)
    c = draws()
    assert all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a, b))
    assert not all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a, c))


def test_generator_argument_is_its_own_stream():
    g = tg.Generator().manual_seed(7)
    a = [tg.rand(3, generator=g), tg.randperm(5, generator=g), tg.randn(2, generator=g)]
    tg.rand(10)  # the library's stream does not disturb g's
    g.manual_seed(7)
    b = [tg.rand(3, generator=g), tg.randperm(5, generator=g), tg.randn(2, generator=g)]
    assert all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a, b))
    assert g.initial_seed() == 7 and isinstance(g.seed(), int)
    with pytest.raises(TypeError, match="tg.Generator"):
        tg.rand(2, generator=np.random.default_rng(0))


def test_random_dtypes_shapes_and_ranges_match_torch():
    for call in (lambda lib: lib.rand(2, 3), lambda lib: lib.randn(4, dtype=lib.float64),
                 lambda lib: lib.randint(3, 9, (5,)), lambda lib: lib.randint(9, (2, 2)),
                 lambda lib: lib.randint(9, size=(2,)),
                 lambda lib: lib.randint(0, 9, (2,), dtype=lib.int32), lambda lib: lib.randperm(4),
                 lambda lib: lib.normal(0.0, 1.0, (2, 2)),
                 lambda lib: lib.normal(lib.zeros(3), 1.0),
                 lambda lib: lib.normal(1.0, lib.ones(2, 1, dtype=lib.float64)),
                 lambda lib: lib.bernoulli(lib.full((3,), 0.5, dtype=lib.float64)),
                 lambda lib: lib.multinomial(lib.ones(2, 4), 2),
                 lambda lib: lib.randint_like(lib.zeros(2, dtype=lib.int32), 3, 5),
                 lambda lib: lib.rand_like(lib.zeros(2, dtype=lib.float64))):
        ours, ref = call(tg), call(torch)
        assert ours.shape == tuple(ref.shape) and ours.dtype.name == _dt(ref)
    x = tg.randint(3, 9, (1000,))
    assert x.min().item() >= 3 and x.max().item() <= 8 and len(set(x.tolist())) == 6
    assert sorted(tg.randperm(50).tolist()) == list(range(50))


def test_random_distributions():
    tg.manual_seed(0)
    u = tg.rand(20000).numpy()
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    z = tg.randn(20000).numpy()
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    n = tg.normal(tg.full((20000,), 3.0), tg.full((20000,), 2.0)).numpy()
    assert abs(n.mean() - 3) < 0.06 and abs(n.std() - 2) < 0.06
    b = tg.bernoulli(tg.full((20000,), 0.2)).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.2) < 0.015
    e = tg.zeros(20000).exponential_(4.0).numpy()
    assert abs(e.mean() - 0.25) < 0.01
    uu = tg.zeros(20000, dtype=tg.float64).uniform_(-2, 4).numpy()
    assert -2 <= uu.min() and uu.max() < 4 and abs(uu.mean() - 1) < 0.05
    m = tg.multinomial(tg.tensor([1.0, 3.0]), 20000, replacement=True).numpy()
    assert abs(m.mean() - 0.75) < 0.015


def test_multinomial_without_replacement_and_errors():
    tg.manual_seed(1)
    for _ in range(20):
        s = tg.multinomial(tg.tensor([0.1, 0.0, 5.0, 1.0]), 3).tolist()
        assert len(set(s)) == 3 and 1 not in s
    rows = tg.multinomial(tg.tensor([[1.0, 0.0], [0.0, 1.0]]), 1)
    assert rows.tolist() == [[0], [1]] and rows.dtype == tg.int64
    with pytest.raises(ValueError, match="without replacement"):
        tg.multinomial(tg.ones(2), 3)
    with pytest.raises(ValueError, match="non-negative"):
        tg.multinomial(tg.tensor([1.0, -1.0]), 1)
    with pytest.raises(ValueError, match="bernoulli: probabilities"):
        tg.bernoulli(tg.tensor([1.5]))


def test_inplace_fills_respect_autograd_rules():
    w = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor"):
        w.normal_()
    with tg.no_grad():
        w.normal_()
    assert w.requires_grad and w.is_leaf and w.version == 1
    with pytest.raises(TypeError, match="floating-point"):
        tg.zeros(2, dtype=tg.int64).uniform_()
    i = tg.zeros(100, dtype=tg.int64).random_(2, 5)
    assert set(i.tolist()) <= {2, 3, 4}
    assert set(tg.zeros(50, dtype=tg.bool).random_().tolist()) <= {True, False}


def test_new_factories_take_self_dtype_and_device():
    x = tg.ones(2, dtype=tg.float64)
    tx = torch.ones(2, dtype=torch.float64)
    for call in (lambda t: t.new_zeros(2, 3), lambda t: t.new_ones((2,)),
                 lambda t: t.new_full((2,), 4), lambda t: t.new_empty(3),
                 lambda t: t.new_tensor([1, 2]), lambda t: t.new_zeros(2, dtype=torch.int64
                                                                       if t is tx else tg.int64)):
        ours, ref = call(x), call(tx)
        assert ours.shape == tuple(ref.shape) and ours.dtype.name == _dt(ref)
    assert x.new_ones(2, requires_grad=True).requires_grad


# ------------------------------------------------------------------- default dtype, dtypes
def test_set_default_dtype_changes_floats_and_float_factories():
    try:
        tg.set_default_dtype(tg.float64)
        torch.set_default_dtype(torch.float64)
        for call in (lambda lib: lib.tensor([1.5]), lambda lib: lib.zeros(2),
                     lambda lib: lib.rand(2),
                     lambda lib: lib.arange(0, 1, 0.5), lambda lib: lib.full((1,), 2.0),
                     lambda lib: lib.tensor([1, 2]) / 2, lambda lib: lib.tensor([1]) * 1.5,
                     lambda lib: lib.linspace(0, 1, 3), lambda lib: lib.tensor([1, 2]).exp()):
            ours, ref = call(tg), call(torch)
            assert ours.dtype.name == _dt(ref), call
        assert tg.get_default_dtype() == tg.float64
        with pytest.raises(TypeError, match="floating-point"):
            tg.set_default_dtype(tg.int64)
    finally:
        tg.set_default_dtype(tg.float32)
        torch.set_default_dtype(torch.float32)
    assert tg.tensor([1.5]).dtype == tg.float32 and tg.get_default_dtype() == tg.float32


def test_dtype_aliases_match_torch():
    for name in ("long", "int", "float", "double", "half", "short", "int8", "int16", "uint8",
                 "bool", "float16", "int32", "float32", "float64", "int64"):
        assert getattr(tg, name).name == _dt(torch.ones(1, dtype=getattr(torch, name)))
        assert getattr(tg, name).itemsize == getattr(torch, name).itemsize
        assert tg.is_floating_point(getattr(tg, name)) == getattr(torch, name).is_floating_point
    assert not hasattr(tg, "bfloat16")
    with pytest.raises(TypeError, match="bfloat16"):
        tg.zeros(2, dtype="bfloat16")
    assert tg.zeros(1, dtype="torch.float64").dtype == tg.float64


def test_finfo_iinfo_match_torch():
    for d in ("float16", "float32", "float64"):
        ours, ref = tg.finfo(getattr(tg, d)), torch.finfo(getattr(torch, d))
        for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
            assert getattr(ours, attr) == getattr(ref, attr), (d, attr)
    assert tg.finfo().eps == torch.finfo().eps
    assert tg.finfo(tg.zeros(1)).bits == 32
    for d in ("uint8", "int8", "int16", "int32", "int64"):
        ours, ref = tg.iinfo(getattr(tg, d)), torch.iinfo(getattr(torch, d))
        assert (ours.bits, ours.min, ours.max) == (ref.bits, ref.min, ref.max)
    with pytest.raises(TypeError, match="finfo"):
        tg.finfo(tg.int64)
    with pytest.raises(TypeError, match="iinfo"):
        tg.iinfo(tg.float32)


def test_promote_types_and_result_type_match_torch():
    names = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
    for a in names:
        for b in names:
            ours = tg.promote_types(getattr(tg, a), getattr(tg, b))
            ref = torch.promote_types(getattr(torch, a), getattr(torch, b))
            assert ours.name == str(ref).removeprefix("torch."), (a, b)
    cases = [(lambda lib: lib.tensor([1]), 1.0), (lambda lib: lib.tensor([1.0]), 2),
             (lambda lib: lib.tensor([1], dtype=lib.int8), lambda lib: lib.tensor(1000)),
             (lambda lib: lib.tensor([1.0], dtype=lib.float16),
              lambda lib: lib.tensor(1.0, dtype=lib.float64)),
             (lambda lib: lib.tensor(1), lambda lib: lib.tensor(1.0, dtype=lib.float64)),
             (lambda lib: lib.tensor([True]), 1), (lambda lib: lib.tensor([True]), True)]
    for a, b in cases:
        args = [v(tg) if callable(v) else v for v in (a, b)]
        targs = [v(torch) if callable(v) else v for v in (a, b)]
        assert tg.result_type(*args).name == str(torch.result_type(*targs)).removeprefix("torch.")


# ------------------------------------------------------------------------------- devices
def test_device_objects():
    for args in (("cpu",), ("cuda", 0), ("cuda:1",), ("cuda",), ("cpu", 0)):
        ours, ref = tg.device(*args), torch.device(*args)
        assert (ours.type, ours.index) == (ref.type, ref.index) and str(ours) == str(ref)
        assert repr(ours) == repr(ref)
    assert tg.device("cuda:0") == "cuda:0" and hash(tg.device("cpu")) == hash("cpu")
    assert tg.device(tg.device("cpu")) == "cpu"
    x = tg.zeros(2, device=tg.device("cpu"))
    assert x.to(tg.device("cpu")) is x and x.device == "cpu" and x.device.type == "cpu"
    assert x.device == tg.device("cpu") and x.get_device() == -1 and not x.is_cuda
    with pytest.raises(ValueError, match="bad device"):
        tg.device("tpu")
    with pytest.raises(ValueError, match="already names an index"):
        tg.device("cuda:0", 1)


def test_cuda_module():
    assert tg.cuda.is_available() == tg.cuda_available()
    assert tg.cuda.device_count() >= (1 if tg.cuda.is_available() else 0)
    tg.cuda.synchronize()
    tg.cuda.manual_seed_all(3)
    a = tg.rand(2)
    tg.cuda.manual_seed(3)
    assert tg.rand(2).tolist() == a.tolist()


def test_is_tensor_numel():
    assert tg.is_tensor(tg.zeros(1)) and not tg.is_tensor(np.zeros(1))
    assert tg.numel(tg.zeros(2, 3)) == 6
