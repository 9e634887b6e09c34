"""Small torch-parity gaps found in review, each against torch: the ``axis=``/``keepdims=``
aliases on every reduction, ``argmax``/``argmin`` on 0-d, bool and empty input, ``tg.empty``'s
message, the gradients of ``**`` at 0 and for negative bases, ``var``/``std`` over a size-1
dim, and DataLoader batches of a TensorDataset being lists."""

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.data import DataLoader, TensorDataset

torch = pytest.importorskip("torch")

X = [[1.0, 2.0, 4.0], [0.5, 3.0, 1.0]]

# (name, extra positional args): every reduction torch accepts axis= for
AXIS_OPS = [("sum", ()), ("mean", ()), ("nansum", ()), ("nanmean", ()), ("prod", ()),
            ("var", ()), ("std", ()), ("count_nonzero", ()), ("amax", ()), ("amin", ()),
            ("aminmax", ()), ("argmax", ()), ("argmin", ()), ("max", ()), ("min", ()),
            ("median", ()), ("nanmedian", ()), ("mode", ()), ("kthvalue", (1,)),
            ("topk", (2,)), ("sort", ()), ("argsort", ()), ("cumsum", ()), ("cumprod", ()),
            ("logcumsumexp", ()), ("cummax", ()), ("cummin", ()), ("logsumexp", ()),
            ("all", ()), ("any", ())]


def _values(out):
    if isinstance(out, tuple):
        return [np.asarray(o.detach().numpy() if hasattr(o, "detach") else o.numpy())
                for o in out]
    return [out.detach().numpy() if isinstance(out, torch.Tensor) else out.numpy()]


@pytest.mark.parametrize("name,extra", AXIS_OPS)
@pytest.mark.parametrize("form", ["method", "function"])
def test_axis_alias_as_torch(name, extra, form):
    for keep in (False, True):
        kw = {"axis": 1}
        if name not in ("cumsum", "cumprod", "logcumsumexp", "cummax", "cummin", "sort",
                        "argsort", "topk", "count_nonzero", "aminmax"):
            kw["keepdim"] = keep
        outs = []
        for lib in (tg, torch):
            x = lib.tensor(X)
            if form == "method":
                out = getattr(x, name)(*extra, **kw)
            else:
                out = getattr(lib, name)(x, *extra, **kw)
            outs.append(_values(out))
        for a, b in zip(*outs):
            np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=f"{name} {kw}")


@pytest.mark.parametrize("fn", ["std_mean", "var_mean"])
def test_std_var_mean_axis_and_keepdims(fn):
    x = np.array(X)
    for kw in [dict(axis=1), dict(axis=(0, 1), keepdims=True), dict(dim=0, correction=0)]:
        tkw = {("keepdim" if k == "keepdims" else k): v for k, v in kw.items()}
        ours = getattr(tg, fn)(tg.tensor(x), **kw)
        theirs = getattr(torch, fn)(torch.tensor(x), **tkw)
        assert isinstance(ours, tuple) and len(ours) == 2
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    with pytest.raises(TypeError, match="axis or dim"):
        getattr(tg, fn)(tg.tensor(x), dim=0, axis=1)


def test_axis_and_dim_together_are_refused():
    with pytest.raises(TypeError, match="axis or dim"):
        tg.tensor(X).median(dim=0, axis=1)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_edge_cases_as_torch(name):
    for kw in [{}, {"dim": 0}, {"dim": -1, "keepdim": True}]:
        ours = getattr(tg.tensor(3.0), name)(**kw)
        theirs = getattr(torch.tensor(3.0), name)(**kw)
        assert ours.shape == tuple(theirs.shape) and ours.item() == theirs.item() == 0
        assert ours.dtype == tg.int64
    with pytest.raises(IndexError, match="out of range"):
        getattr(tg.tensor(3.0), name)(dim=1)
    with pytest.raises(RuntimeError):
        getattr(torch.tensor([True, False]), name)()
    with pytest.raises(TypeError, match="bool"):
        getattr(tg.tensor([True, False]), name)()
    with pytest.raises(ValueError, match="empty"):
        getattr(tg.zeros(0), name)()
    with pytest.raises(IndexError, match="size 0"):
        getattr(tg.zeros(2, 0), name)(1)
    assert getattr(tg.zeros(2, 0), name)(0).shape == tuple(getattr(torch.zeros(2, 0), name)(0)
                                                           .shape)
    # integers are fine, as torch
    assert getattr(tg.tensor([3, 1, 7]), name)().item() == getattr(torch.tensor([3, 1, 7]),
                                                                   name)().item()


def test_empty_negative_size_names_empty():
    for call in (lambda: tg.empty(-1), lambda: tg.empty(2, -3), lambda: tg.empty(size=(-1,))):
        with pytest.raises(ValueError, match=r"^empty: "):
            call()


PEER_POW = {"x**0.0": lambda x: x ** 0.0, "x**1.0": lambda x: x ** 1.0,
            "x**-1.0": lambda x: x ** -1.0, "x**8.0": lambda x: x ** 8.0,
            "x**5.5": lambda x: x ** 5.5, "x**-5.5": lambda x: x ** -5.5,
            "1.0**x": lambda x: 1.0 ** x, "5.5**x": lambda x: 5.5 ** x,
            "(-5.5)**x": lambda x: (-5.5) ** x, "8.0**x": lambda x: 8.0 ** x,
            "x**2.0": lambda x: x ** 2.0, "0.0**x": lambda x: 0.0 ** x}


@pytest.mark.parametrize("case", sorted(PEER_POW))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_pow_values_and_gradients_on_minus2_to_2_match_torch(case, dtype):
    vals = np.linspace(-2.0, 2.0, 17)  # 0, negative integers and halves included
    f = PEER_POW[case]
    a = tg.tensor(vals, dtype=dtype, requires_grad=True)
    b = torch.tensor(vals, dtype=getattr(torch, dtype), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ya, yb = f(a), f(b)
        ya.sum().backward()
        yb.sum().backward()
    rtol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=rtol,
                               equal_nan=True)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, equal_nan=True)


@pytest.mark.parametrize("xv,yv", [(0.0, 0.0), (0.0, 1.0), (0.0, -1.0), (0.0, 2.0),
                                   (0.0, -0.5), (0.0, 0.5), (-2.0, 2.0), (-1.0, 0.5),
                                   (2.0, 0.0), (-2.0, -3.0)])
def test_pow_of_two_tensors_gradients_at_zero_match_torch(xv, yv):
    xa, ya = (tg.tensor(v, dtype="float64", requires_grad=True) for v in (xv, yv))
    xb, yb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (xv, yv))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        (xa ** ya).backward()
        (xb ** yb).backward()
    np.testing.assert_allclose([xa.grad.item(), ya.grad.item()],
                               [xb.grad.item(), yb.grad.item()], equal_nan=True)


@pytest.mark.parametrize("fn", ["var", "std", "var_mean", "std_mean"])
def test_var_std_over_a_size_one_dim_match_torch(fn):
    v = np.array([[1.0], [2.0]])
    outs = []
    for lib in (tg, torch):
        x = lib.tensor(v, dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            r = getattr(lib, fn)(x, dim=1)
            first = r[0] if isinstance(r, tuple) else r
            first.sum().backward()
        outs.append((first.detach().numpy(), x.grad.numpy()))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)  # nan value and nan gradient, as torch
    assert np.isnan(outs[0][0]).all()


def test_tensor_dataset_batches_are_lists_as_torch():
    x, y = np.arange(30.0).reshape(10, 3), np.arange(10)
    for shuffle in (False, True):
        ours = next(iter(DataLoader(TensorDataset(tg.tensor(x), tg.tensor(y)), batch_size=4,
                                    shuffle=shuffle)))
        theirs = next(iter(torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=4,
            shuffle=shuffle)))
        assert type(ours) is type(theirs) is list and len(ours) == len(theirs) == 2
    xb, yb = next(iter(DataLoader(TensorDataset(tg.tensor(x), tg.tensor(y)), batch_size=4)))
    assert xb.tolist() == x[:4].tolist() and yb.tolist() == y[:4].tolist()
