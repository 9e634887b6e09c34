"""Reductions, scans, sorting and selection against torch: indices, ties, dtypes, named tuples,
NaN, empty dimensions and errors (the differentiable values are in ``rows_reduction.py``)."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
DISTINCT = RNG.permutation(24).reshape(2, 3, 4) * 0.5 - 5.0
TIES = np.array([[1.0, 3.0, 3.0, 0.0, 3.0], [2.0, 2.0, 1.0, 2.0, 1.0], [5.0, 5.0, 5.0, 5.0, 5.0]])


def _both(array, requires_grad=False):
    x = tg.tensor(array, dtype="float64", requires_grad=requires_grad)
    t = torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)
    return x, t


def _same(ours, theirs):
    """Values (NaN in the same places), shape and dtype name equal."""
    theirs = theirs.detach() if isinstance(theirs, torch.Tensor) else theirs
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# (method, args, kwargs) that return (values, indices) in both libraries
PAIRS = [
    ("max", (1,), {}), ("max", (-1,), {"keepdim": True}), ("min", (0,), {}),
    ("min", (), {"dim": 2, "keepdim": True}),
    ("sort", (), {}), ("sort", (0,), {"descending": True}), ("sort", (), {"dim": 1,
                                                                          "stable": True}),
    ("topk", (2,), {}), ("topk", (1,), {"dim": 0, "largest": False}),
    ("kthvalue", (2,), {}), ("kthvalue", (1, 0, True), {}),
    ("median", (1,), {}), ("median", (-1,), {"keepdim": True}), ("nanmedian", (0,), {}),
    ("mode", (), {}), ("mode", (1, True), {}),
    ("cummax", (2,), {}), ("cummin", (0,), {}),
]


@pytest.mark.parametrize("method,args,kwargs", PAIRS, ids=lambda v: str(v))
def test_values_and_indices_match_torch(method, args, kwargs):
    x, t = _both(DISTINCT)
    ours, theirs = getattr(x, method)(*args, **kwargs), getattr(t, method)(*args, **kwargs)
    assert type(ours).__name__ == type(theirs).__name__ == method
    assert type(ours).__module__ == "tinygrad_gd.return_types"
    assert ours._fields == ("values", "indices") and isinstance(ours, tuple)
    values, indices = ours  # unpacking, as in torch
    assert values is ours.values and indices is ours[1]
    _same(values, theirs.values)
    _same(indices, theirs.indices)
    # the function forms take the same arguments
    again = getattr(tg, method)(x, *args, **kwargs)
    _same(again.indices, theirs.indices)


@pytest.mark.parametrize("method,args", [("sort", (1,)), ("sort", (0, True)), ("cummax", (1,)),
                                         ("cummin", (1,)), ("mode", (1,)), ("max", (1,)),
                                         ("min", (1,)), ("median", (1,))])
def test_tie_indices_match_torch(method, args):
    """Stable sorts, the last index of a running extreme, the last occurrence of the mode and
    the first extreme of max/min, as torch chooses at ties."""
    x, t = _both(TIES)
    ours, theirs = getattr(x, method)(*args), getattr(t, method)(*args)
    _same(ours.values, theirs.values)
    _same(ours.indices, theirs.indices)


def test_topk_and_kthvalue_at_ties_name_indices_holding_the_values():
    """torch leaves their tie order to its selection algorithm; ours is the stable order."""
    x, t = tg.tensor(TIES), torch.tensor(TIES)
    for ours, theirs in ((x.kthvalue(3, 1, keepdim=True), t.kthvalue(3, 1, keepdim=True)),
                         (x.topk(3), t.topk(3)),
                         (x.topk(2, largest=False), t.topk(2, largest=False))):
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(np.take_along_axis(TIES, ours.indices.numpy(), 1),
                                      ours.values.numpy())
    assert x.topk(3).indices.tolist()[0] == [1, 2, 4]  # stable: first come first


@pytest.mark.parametrize("method,args", [("max", (1,)), ("min", (1,)), ("median", (1,)),
                                         ("mode", (1,)), ("sort", (1,)), ("cummax", (1,)),
                                         ("cummin", (1,)), ("topk", (3,)), ("kthvalue", (2, 1))])
def test_gradient_goes_to_the_returned_indices_as_torch(method, args):
    """At ties, value-selecting ops route the whole gradient to the index they return (cummax's
    repeated indices add up)."""
    x, t = _both(TIES, requires_grad=True)
    ours, theirs = getattr(x, method)(*args), getattr(t, method)(*args)
    w = RNG.standard_normal(tuple(theirs.values.shape))
    (ours.values * tg.tensor(w)).sum().backward()
    (theirs.values * torch.tensor(w)).sum().backward()
    if method in ("kthvalue", "topk"):  # torch's tied index is its own: check our routing
        expected = np.zeros_like(TIES)
        idx = ours.indices.numpy().reshape(len(TIES), -1)
        np.put_along_axis(expected, idx, w.reshape(len(TIES), -1), 1)
        np.testing.assert_allclose(x.grad.numpy(), expected)
    else:
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("fn", [lambda m: m.max(), lambda m: m.min(), lambda m: m.median(),
                                lambda m: m.amax(1), lambda m: m.amin(dim=(0, 1)),
                                lambda m: m.aminmax(dim=1)[1], lambda m: m.aminmax()[0],
                                lambda m: m.nanmedian()])
def test_whole_tensor_and_amax_gradients_split_ties_as_torch(fn):
    x, t = _both(TIES, requires_grad=True)
    out, tout = fn(x), fn(t)
    _same(out, tout)
    w = RNG.standard_normal(tuple(tout.shape))
    (out * tg.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_max_forms():
    x, t = _both(DISTINCT)
    other = tg.tensor(DISTINCT[::-1].copy())
    _same(x.max(), t.max())
    assert x.max().shape == () and x.min(axis=1, keepdims=True).values.shape == (2, 1, 4)
    _same(x.max(other), t.max(torch.tensor(DISTINCT[::-1].copy())))
    _same(tg.max(x, other), torch.max(t, torch.tensor(DISTINCT[::-1].copy())))
    _same(tg.min(x, 1, True).indices, torch.min(t, 1, True).indices)
    r = tg.aminmax(x, dim=0, keepdim=True)
    tr = torch.aminmax(t, dim=0, keepdim=True)
    assert r._fields == ("min", "max") and type(r).__name__ == "aminmax"
    _same(r.min, tr.min)
    _same(r.max, tr.max)
    s = tg.tensor(3.0)  # a 0-d tensor takes dim 0
    _same(s.max(0).indices, torch.tensor(3.0).max(0).indices)
    assert "values=" in repr(x.max(1)) and "indices=" in repr(x.max(1))
    r = pickle.loads(pickle.dumps(tg.return_types.max((1, 2))))
    assert r.values == 1 and type(r) is tg.return_types.max


def test_argmax_and_argmin_match_torch():
    x, t = _both(TIES)
    for kwargs in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"dim": -1}):
        _same(x.argmax(**kwargs), t.argmax(**kwargs))
        _same(tg.argmin(x, **kwargs), torch.argmin(t, **kwargs))


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool", "uint8"])
def test_integer_dtypes_follow_torch(dtype):
    a = np.array([[1, 0, 3], [2, 2, 1]]).astype(dtype)
    x, t = tg.tensor(a), torch.tensor(a)
    cases = [lambda m: m.sum(), lambda m: m.sum(1), lambda m: m.prod(), lambda m: m.prod(0),
             lambda m: m.cumsum(1), lambda m: m.cumprod(0), lambda m: m.count_nonzero(1),
             lambda m: m.sum(dtype=_dt(m, "float64"))]
    if dtype != "bool":
        cases += [lambda m: m.max(1).values, lambda m: m.max(1).indices, lambda m: m.amax(0),
                  lambda m: m.sort(1).values, lambda m: m.cummax(1).values,
                  lambda m: m.mode(1).values, lambda m: m.median(), lambda m: m.topk(2).values]
    for fn in cases:
        _same(fn(x), fn(t))


def _dt(m, name):
    return getattr(tg if isinstance(m, tg.Tensor) else torch, name)


def test_mean_var_of_ints_refuse_as_torch_and_take_dtype():
    x = tg.tensor([1, 2, 4])
    for fn in (lambda m: m.mean(), lambda m: m.var(), lambda m: m.std(dim=0)):
        with pytest.raises(TypeError, match="floating-point"):
            fn(x)
        with pytest.raises(RuntimeError):
            fn(torch.tensor([1, 2, 4]))
    _same(x.mean(dtype=tg.float64), torch.tensor([1, 2, 4]).mean(dtype=torch.float64))


def test_sum_and_mean_take_lists_tuples_and_dtype():
    x, t = _both(DISTINCT)
    for dim in ([0, 2], (1,), [-1], (0, 1, 2)):
        _same(x.sum(dim), t.sum(dim))
        np.testing.assert_allclose(x.mean(dim=dim, keepdim=True).numpy(),
                                   t.mean(dim=dim, keepdim=True).numpy(), rtol=1e-15)
    _same(x.float().sum(1, dtype=tg.float64), t.float().sum(1, dtype=torch.float64))
    _same(x.sum(dim=[]), t.sum(dim=[]))
    _same(tg.sum(x, 0, True), torch.sum(t, 0, True))


def test_var_std_signatures_as_torch():
    x, t = _both(DISTINCT)
    for args, kwargs in (((1,), {}), ((1, False), {}), ((0, True, True), {}),
                         ((), {"dim": 2, "correction": 0}), ((), {"unbiased": False})):
        np.testing.assert_allclose(x.var(*args, **kwargs).numpy(),
                                   t.var(*args, **kwargs).numpy(), rtol=1e-13)
        np.testing.assert_allclose(x.std(*args, **kwargs).numpy(),
                                   t.std(*args, **kwargs).numpy(), rtol=1e-13)
    for fn in ("std_mean", "var_mean"):
        ours, theirs = getattr(tg, fn)(x, 1, keepdim=True), getattr(torch, fn)(t, 1, keepdim=True)
        assert type(ours) is tuple and len(ours) == 2
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-13)


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, -1.5], [0.0, 2.0, 0.0, 1.5],
                                    [0.0, 0.0, 0.0, 2.0], [0.5, -2.0, 3.0, 1.5]])
@pytest.mark.parametrize("op", ["prod", "cumprod", "prod_dim"])
def test_prod_and_cumprod_gradients_at_zeros_match_torch(values, op):
    """First and second derivatives, one zero and several (the classic x.prod() / x bug)."""
    a = np.array([values, values[::-1]])

    def f(m):
        return {"prod": lambda: m.prod(), "cumprod": lambda: m.cumprod(1),
                "prod_dim": lambda: m.prod(1, keepdim=True)}[op]()

    x, t = _both(a, requires_grad=True)
    w = np.arange(1.0, a.size + 1).reshape(a.shape)
    (g,) = tg.grad(f(x).sum(), x, create_graph=True)
    (gg,) = tg.grad((g * tg.tensor(w)).sum(), x)
    (tgr,) = torch.autograd.grad(f(t).sum(), t, create_graph=True)
    (tgg,) = torch.autograd.grad((tgr * torch.tensor(w)).sum(), t)
    np.testing.assert_allclose(g.numpy(), tgr.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), atol=1e-12)
    assert tg.gradgradcheck(f, (x,))


def test_prod_third_derivative_with_three_zeros():
    """d^3 prod / dx0 dx1 dx2 at (0, 0, 0, 2) is 2: every zero is peeled in turn."""
    x = tg.tensor([0.0, 0.0, 0.0, 2.0], dtype="float64", requires_grad=True)
    (g,) = tg.grad(x.prod(), x, create_graph=True)
    (h0,) = tg.grad(g[1], x, create_graph=True)
    (h01,) = tg.grad(h0[2], x)
    np.testing.assert_allclose(h01.numpy(), [2.0, 0.0, 0.0, 0.0])


def test_logcumsumexp_is_stable_and_matches_torch():
    a = np.array([[-200.0, 0.0, -1000.0, 5.0, 700.0], [1e-3, -1e-3, 3.0, -800.0, 2.0]])
    for dtype in ("float64", "float32"):
        x = tg.tensor(a, dtype=dtype, requires_grad=True)
        t = torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True)
        y, ty = x.logcumsumexp(1), t.logcumsumexp(1)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
        w = np.array([[1.0, -2.0, 0.5, 0.0, 3.0], [-1.0, -1.0, 2.0, 1.0, 0.5]])
        (y * tg.tensor(w, dtype=dtype)).sum().backward()
        (ty * torch.tensor(w, dtype=getattr(torch, dtype))).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)
        assert np.isfinite(x.grad.numpy()).all()
    with pytest.raises(TypeError, match="logcumsumexp: expected a floating tensor"):
        tg.tensor([1, 2]).logcumsumexp(0)


def test_nan_handling_matches_torch():
    nan = float("nan")
    a = np.array([[1.0, nan, 3.0, 0.5], [2.0, 1.0, nan, nan], [4.0, 3.0, 2.0, 1.0]])
    x, t = _both(a)
    for fn in (lambda m: m.max(1), lambda m: m.min(1), lambda m: m.sort(1),
               lambda m: m.sort(1, descending=True), lambda m: m.cummax(1),
               lambda m: m.cummin(1), lambda m: m.median(1), lambda m: m.nanmedian(1)):
        ours, theirs = fn(x), fn(t)
        _same(ours.values, theirs.values)
        _same(ours.indices, theirs.indices)
    for fn in (lambda m: m.max(), lambda m: m.median(), lambda m: m.nanmedian(),
               lambda m: m.nansum(1), lambda m: m.nanmean(0), lambda m: m.nansum()):
        np.testing.assert_allclose(fn(x).numpy(), fn(t).numpy(), rtol=1e-15)
    allnan = tg.tensor([nan, nan], dtype="float64")
    r, tr = allnan.nanmedian(0), torch.tensor([nan, nan]).nanmedian(0)
    assert np.isnan(r.values.item()) and r.indices.item() == tr.indices.item()


def test_nansum_sends_no_gradient_to_nans():
    x = tg.tensor([1.0, float("nan"), 2.0], requires_grad=True)
    x.nansum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]


def test_empty_dimensions_match_torch():
    for shape, fn in (((0, 3), lambda m: m.sum(0)), ((0, 3), lambda m: m.prod(0)),
                      ((0, 3), lambda m: m.prod()), ((2, 0), lambda m: m.cumsum(1)),
                      ((2, 0), lambda m: m.cumprod(1)), ((2, 0), lambda m: m.sort(1).values),
                      ((0, 3), lambda m: m.max(1).values), ((0, 3), lambda m: m.count_nonzero(0)),
                      ((2, 0), lambda m: m.logcumsumexp(1)), ((0, 3), lambda m: m.topk(2).values)):
        x = tg.zeros(*shape, dtype="float64")
        _same(fn(x), fn(torch.zeros(*shape, dtype=torch.float64)))
    x = tg.zeros(0, 3, requires_grad=True)
    x.prod(0).sum().backward()
    assert x.grad.shape == (0, 3)


def test_errors_name_the_op():
    x = tg.tensor(DISTINCT)
    with pytest.raises(IndexError, match="max\\(\\) of an empty reduction"):
        tg.zeros(0, 3).max(dim=0)
    with pytest.raises(ValueError):  # NumPy's kind too, for code that caught it before
        tg.zeros(0, 3).min(dim=0)
    with pytest.raises(IndexError, match="median\\(\\) of an empty reduction"):
        tg.zeros(2, 0).median(1)
    with pytest.raises(IndexError, match="topk: k=5 is out of range for dimension -1 of size 4"):
        x.topk(5)
    with pytest.raises(IndexError, match="kthvalue: k=0 is out of range"):
        x.kthvalue(0)
    with pytest.raises(TypeError, match="max\\(\\): dim must be one int"):
        x.max(dim=(0, 1))
    with pytest.raises(TypeError, match="cumsum\\(\\) missing the required argument 'dim'"):
        x.cumsum()
    with pytest.raises(IndexError, match="sort: dim 3 is out of range"):
        x.sort(3)
    with pytest.raises(ValueError, match="norm: unsupported order p='max'"):
        x.norm("max")


@pytest.mark.parametrize("p", [0, 1, 2, 3, 0.5, -1, math.inf, -math.inf, "fro", None])
def test_norm_orders_match_torch(p):
    x, t = _both(DISTINCT, requires_grad=True)
    for kwargs in ({}, {"dim": 1}, {"dim": (0, 2), "keepdim": True}):
        if p == "fro" and "dim" in kwargs and isinstance(kwargs["dim"], int):
            continue
        out, tout = x.norm(p, **kwargs), t.norm(p, **kwargs)
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
        (g,) = tg.grad(out.sum(), x)
        (tgr,) = torch.autograd.grad(tout.sum(), t, allow_unused=True)  # unused for p = 0
        expected = np.zeros(x.shape) if tgr is None else tgr.numpy()
        np.testing.assert_allclose(g.numpy(), expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(tg.norm(x).item(), torch.norm(t).item(), rtol=1e-14)


def test_argsort_msort_and_function_forms():
    x, t = _both(TIES)
    _same(x.argsort(1), t.argsort(1))
    _same(tg.argsort(x, 0, descending=True), torch.argsort(t, 0, descending=True))
    _same(tg.msort(x), torch.msort(t))
    _same(tg.cumsum(x, 1), torch.cumsum(t, 1))
    _same(tg.cumprod(x, dim=0), torch.cumprod(t, dim=0))
    _same(tg.prod(x, 1), torch.prod(t, 1))
    _same(tg.count_nonzero(x), torch.count_nonzero(t))
    np.testing.assert_allclose(tg.logcumsumexp(x, 0).numpy(), torch.logcumsumexp(t, 0).numpy())
    _same(tg.amax(x, 1), torch.amax(t, 1))  # values only, whatever the dim
    s = tg.tensor(2.5)  # 0-d: dim 0 is accepted by the scans and sorts
    for fn in (lambda m: m.cumsum(0), lambda m: m.sort(0).indices, lambda m: m.argsort(),
               lambda m: m.cummax(-1).indices, lambda m: m.topk(1).values):
        _same(fn(s), fn(torch.tensor(2.5)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, dim, keepdim", [
    ((128, 40), 0, False), ((64, 4, 8), (0, 1), True), ((300, 10), 1, True),
    ((8, 40, 6), -1, False), ((40, 130), 1, False), ((40, 60), 0, True)])
def test_large_sums_match_torch(shape, dim, keepdim, dtype):
    # sums over leading axes and short last axes of large float arrays run as BLAS
    # matrix-vector products (ops/reduce.py's array_sum); the others as NumPy's sum
    a = RNG.standard_normal(shape)
    a[1, 2] = np.inf
    a[2, 0] = -np.inf  # inf - inf = nan where they meet, as in torch
    x = tg.tensor(a, dtype=dtype, requires_grad=True)
    t = torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True)
    with np.errstate(invalid="ignore"):
        ours, theirs = x.sum(dim, keepdim=keepdim), t.sum(dim, keepdim=keepdim)
    assert tuple(ours.shape) == tuple(theirs.shape) and str(ours.dtype) == dtype
    single = dtype == "float32"  # (rounding: the order of the additions differs)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(),
                               rtol=1e-5 if single else 1e-12, atol=1e-6 if single else 0)
    w = RNG.standard_normal(theirs.shape)
    (ours * tg.tensor(w, dtype=dtype)).sum().backward()
    (theirs * torch.tensor(w, dtype=getattr(torch, dtype))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_a_large_sum_passes_gradgradcheck():
    x = tg.tensor(RNG.standard_normal((40, 26)), dtype="float64", requires_grad=True)
    assert tg.autograd.gradcheck(lambda v: v.sum(0) ** 2, (x,))
    assert tg.autograd.gradgradcheck(lambda v: v.sum(0) ** 2, (x,))
