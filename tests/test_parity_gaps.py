"""Small torch-parity gaps found in review, each against torch: the ``axis=``/``keepdims=``
aliases on every reduction, ``argmax``/``argmin`` on 0-d, bool and empty input, ``tg.empty``'s
message, the gradients of ``**`` at 0 and for negative bases, ``var``/``std`` over a size-1
dim, and DataLoader batches of a TensorDataset being lists."""

import pickle
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


# ----------------------------------------------------- breadth: names scripts use, vs torch
def _plain(o):
    if isinstance(o, (tuple, list)):
        return [_plain(i) for i in o]
    if hasattr(o, "numpy"):
        a = o.detach().numpy() if hasattr(o, "detach") else o.numpy()
        return (a.tolist(), str(o.dtype).split(".")[-1])
    return o


X7 = [3, 1, 2, 3, 3, 0, 1]
BOUNDS = [0.5, 1.5, 2.5]
VALS = [[0.0, 1.0, 2.7], [1.5, -1.0, 9.0]]
NON_DIFFERENTIABLE = {
    "unique": lambda lib: lib.unique(lib.tensor(X7)),
    "unique_inverse_counts": lambda lib: lib.tensor(X7).unique(return_inverse=True,
                                                           return_counts=True),
    "unique_dim": lambda lib: lib.unique(lib.tensor([[1, 2], [1, 2], [0, 5]]), dim=0,
                                     return_inverse=True),
    "bincount": lambda lib: lib.bincount(lib.tensor(X7)),
    "bincount_weights": lambda lib: lib.tensor(X7).bincount(lib.tensor(X7) * 0.5, minlength=9),
    "bucketize": lambda lib: lib.bucketize(lib.tensor(VALS), lib.tensor(BOUNDS)),
    "bucketize_right": lambda lib: lib.bucketize(lib.tensor(VALS), lib.tensor(BOUNDS), right=True),
    "searchsorted": lambda lib: lib.searchsorted(lib.tensor(BOUNDS), lib.tensor(VALS)),
    "searchsorted_rows": lambda lib: lib.searchsorted(lib.tensor([[0.0, 1, 2], [1, 2, 3]]),
                                                  lib.tensor(VALS), side="right"),
    "searchsorted_int32": lambda lib: lib.searchsorted(lib.tensor(BOUNDS), lib.tensor(1.5),
                                                   out_int32=True, right=True),
    "isin": lambda lib: lib.isin(lib.tensor(X7), lib.tensor([1, 3])),
    "isin_invert": lambda lib: lib.isin(lib.tensor(X7), lib.tensor([1, 3]), invert=True),
    "heaviside": lambda lib: lib.heaviside(lib.tensor([-1.0, 0.0, 2.0]), lib.tensor([0.5])),
    "signbit": lambda lib: lib.tensor([-0.0, 0.0, -1.0, 2.0]).signbit(),
    "histc": lambda lib: lib.histc(lib.tensor([1.0, 2, 1, 2.5, 4]), bins=4, min=0, max=3),
    "histc_range": lambda lib: lib.tensor([1.0, 2, 1, 2.5, 4]).histc(bins=3),
    "is_nonzero": lambda lib: lib.tensor([0.0]).is_nonzero(),
    "is_same_size": lambda lib: lib.is_same_size(lib.ones(2, 3), lib.zeros(2, 3)),
    "nelement": lambda lib: (lib.ones(2, 3).nelement(), lib.ones(2, 3).ndimension()),
    "stride": lambda lib: (lib.ones(2, 3, 4).stride(), lib.ones(2, 3, 4).stride(1),
                         lib.ones(2, 3).t().stride()),
    "is_signed": lambda lib: [lib.is_signed(lib.ones(1)), lib.ones(1, dtype=lib.uint8).is_signed(),
                            lib.ones(1, dtype=lib.int32).is_signed()],
    "can_cast": lambda lib: [lib.can_cast(a, b) for a, b in [
        (lib.float64, lib.float32), (lib.float32, lib.int32), (lib.int64, lib.float16),
        (lib.float32, lib.bool), (lib.bool, lib.int8), (lib.int64, lib.uint8)]],
    "broadcast_shapes": lambda lib: tuple(lib.broadcast_shapes((2, 1), (3,), 1)),
    "scalar_tensor": lambda lib: lib.scalar_tensor(3),
    "addcmul_": lambda lib: lib.ones(2).addcmul_(lib.ones(2) * 2, lib.ones(2) * 3, value=2),
    "cumsum_": lambda lib: lib.tensor([1.0, 2, 3]).cumsum_(0),
    "xlogy_": lambda lib: lib.tensor([0.0, 2.0]).xlogy_(lib.tensor([0.0, 3.0])),
    "float_power_dtype": lambda lib: lib.float_power(lib.tensor([2, 3]), 2),
    "diff_bool": lambda lib: lib.tensor([True, False, False]).diff(),
    "corrcoef_1d": lambda lib: lib.corrcoef(lib.tensor([1.0, 2, 4])),
    "select": lambda lib: lib.select(lib.arange(6).reshape(2, 3), 1, -1),
    "sum_to_size": lambda lib: lib.arange(6.0).reshape(2, 3).sum_to_size(1, 3),
    "apply_": lambda lib: lib.tensor([1.0, 2.0, 3.0]).apply_(lambda v: v * v + 1),
    "trapz": lambda lib: lib.trapz(lib.tensor([1.0, 2, 4])),
    "add_alpha": lambda lib: lib.tensor([1.0, 2.0]).add(lib.ones(2), alpha=3).sub(lib.ones(2),
                                                                          alpha=0.5),
    "top_level_functional": lambda lib: [lib.conv2d(lib.ones(1, 1, 3, 3), lib.ones(1, 1, 2, 2)),
                                       lib.max_pool2d(lib.arange(16.0).reshape(1, 1, 4, 4), 2),
                                       lib.dropout(lib.ones(3), 0.5, False),
                                       lib.rms_norm(lib.tensor([3.0, 4.0]), (2,))],
}


@pytest.mark.parametrize("name", sorted(NON_DIFFERENTIABLE))
def test_breadth_values_match_torch(name):
    f = NON_DIFFERENTIABLE[name]
    ours, theirs = _plain(f(tg)), _plain(f(torch))
    if name == "top_level_functional":  # float rounding in rms_norm
        np.testing.assert_allclose(ours[3][0], theirs[3][0], rtol=1e-6)
        ours, theirs = ours[:3], theirs[:3]
    assert ours == theirs


class _Boom:
    ran = False

    def __reduce__(self):
        return (_Boom._run, ())

    @staticmethod
    def _run():
        _Boom.ran = True


def test_storage_and_process_knobs():
    x = tg.ones(3, 4)
    assert x.data_ptr() != 0 and x[1:].data_ptr() - x.data_ptr() == 4 * 4
    assert x.pin_memory() is x and x.share_memory_() is x and not x.is_shared()
    assert not x.is_inference() and not x.is_neg()
    tg.manual_seed(0)
    state = tg.get_rng_state()
    a = tg.randn(3)
    tg.set_rng_state(state)
    assert state.dtype == tg.uint8 and (tg.randn(3) == a).all().item()
    with pytest.raises(RuntimeError, match="get_rng_state"):
        tg.set_rng_state(tg.zeros(3, dtype=tg.uint8))
    # a state read back from a checkpoint is data: a pickle in its place is refused, not run
    payload = pickle.dumps(_Boom())
    with pytest.raises(RuntimeError, match="get_rng_state"):
        tg.set_rng_state(tg.tensor(np.frombuffer(payload, dtype=np.uint8).copy()))
    assert not _Boom.ran
    before = tg.get_num_threads()
    tg.set_num_threads(2)
    assert tg.get_num_threads() == 2
    tg.set_num_threads(before)
    tg.use_deterministic_algorithms(True)
    assert tg.are_deterministic_algorithms_enabled()
    tg.use_deterministic_algorithms(False)
    tg.set_float32_matmul_precision("high")
    assert tg.get_float32_matmul_precision() == "high"
    tg.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError):
        tg.set_float32_matmul_precision("low")
    tg.set_anomaly_enabled(True)
    assert tg.is_anomaly_enabled()
    tg.set_anomaly_enabled(False)
    assert not tg.is_anomaly_enabled()
    assert isinstance(tg.seed(), int)


def test_detach_and_apply_in_place_as_torch():
    for lib in (tg, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 2
        assert b.detach_() is b and not b.requires_grad and b.grad_fn is None
    with pytest.raises(RuntimeError, match="requires grad"):
        tg.tensor([1.0], requires_grad=True).apply_(lambda v: v)
    with pytest.raises(RuntimeError, match="elements"):
        tg.ones(2).is_nonzero()
    with pytest.raises(RuntimeError, match="bincount"):
        tg.tensor([1.0]).bincount()
    with pytest.raises(IndexError, match="select"):
        tg.ones(2, 3).select(1, 3)
    with pytest.raises(RuntimeError, match="sum_to_size"):
        tg.ones(2, 3).sum_to_size(2, 2)


NN_EXTRAS = [
    (lambda lib: lib.RMSNorm(4), (2, 3, 4)), (lambda lib: lib.RMSNorm((3, 4), eps=1e-3), (2, 3, 4)),
    (lambda lib: lib.RMSNorm(4, elementwise_affine=False), (3, 4)),
    (lambda lib: lib.InstanceNorm3d(2, affine=True), (2, 2, 3, 4, 2)),
    (lambda lib: lib.InstanceNorm3d(2), (2, 3, 4, 2)),
    (lambda lib: lib.ZeroPad3d((1, 0, 2, 1, 0, 1)), (1, 2, 3, 3, 3)),
    (lambda lib: lib.ConstantPad3d(1, 2.5), (2, 2, 2, 2)),
    (lambda lib: lib.ReflectionPad3d(1), (1, 2, 3, 3, 3)),
    (lambda lib: lib.ReplicationPad3d((1, 2, 0, 1, 2, 0)), (1, 2, 3, 3, 3)),
    (lambda lib: lib.CircularPad3d(1), (1, 2, 3, 3, 3)),
    (lambda lib: lib.Softmax2d(), (2, 3, 2, 2)),
    (lambda lib: lib.Dropout3d(0.5).eval(), (2, 2, 2, 2, 2)),
]


@pytest.mark.parametrize("i", range(len(NN_EXTRAS)))
def test_nn_extras_match_torch(i):
    make, shape = NN_EXTRAS[i]
    m, t = make(tg.nn).double(), make(torch.nn).double()
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    x = np.random.default_rng(i).normal(size=shape)
    a, b = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = m(a), t(b)
    seed = np.random.default_rng(9).normal(size=yb.shape)
    (ya * tg.tensor(seed)).sum().backward()
    (yb * torch.tensor(seed)).sum().backward()
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert repr(m) == repr(t)


def test_dropout3d_gumbel_and_with_indices():
    y = tg.nn.functional.dropout3d(tg.ones(2, 4, 2, 2, 2), 0.5)
    planes = y.numpy().reshape(8, -1)
    assert all(len(set(r)) == 1 for r in planes) and set(np.unique(planes)) <= {0.0, 2.0}
    logits = tg.randn(3, 5, requires_grad=True)
    g = tg.nn.functional.gumbel_softmax(logits, hard=True)
    assert g.sum(-1).tolist() == [1.0, 1.0, 1.0] and set(np.unique(g.numpy())) <= {0.0, 1.0}
    (g * tg.arange(5.0)).sum().backward()
    assert logits.grad is not None and np.isfinite(logits.grad.numpy()).all()
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    ours = tg.nn.functional.max_pool2d_with_indices(tg.tensor(x), 2)[1]
    theirs = torch.nn.functional.max_pool2d_with_indices(torch.tensor(x), 2)[1]
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("kw", [{}, {"batch_first": True, "padding_value": -1.0},
                                {"batch_first": True, "padding_side": "left"}])
def test_pad_sequence_matches_torch(kw):
    from torch.nn.utils.rnn import pad_sequence as torch_pad

    from tinygrad_gd.nn.utils.rnn import pad_sequence, unpad_sequence

    arrays = [np.random.default_rng(n).normal(size=(n, 2)) for n in (3, 1, 2)]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, ty = pad_sequence(ours, **kw), torch_pad(theirs, **kw)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy())
    if kw.get("padding_side", "right") == "right":
        back = unpad_sequence(y, [3, 1, 2], batch_first=kw.get("batch_first", False))
        assert [b.tolist() for b in back] == [a.tolist() for a in arrays]


def test_legacy_typed_tensors_size_and_variable_as_torch():
    for lib in (tg, torch):
        a, b = lib.FloatTensor([1, 2]), lib.LongTensor(2, 3)
        v = lib.autograd.Variable(lib.ones(2), requires_grad=True)
        assert str(a.dtype).endswith("float32") and tuple(b.shape) == (2, 3)
        assert str(b.dtype).endswith("int64")  # values: uninitialised in torch, zeros here
        assert isinstance(a, lib.FloatTensor) and not isinstance(b, lib.FloatTensor)
        assert isinstance(b, lib.LongTensor) and v.requires_grad
        assert lib.Size([2, 3]) == (2, 3) and lib.Size([2, 3]).numel() == 6
    assert tg.LongTensor(2, 3).sum().item() == 0
    assert tg.ones(2, requires_grad=True).numpy(force=True).tolist() == [1.0, 1.0]


def test_lazy_linear_becomes_linear_as_torch():
    for lib in (tg, torch):
        m = lib.nn.LazyLinear(3)
        assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
        weight = m.weight
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        m(lib.ones(2, 4)).sum().backward()
        opt.step()
        assert type(m) is lib.nn.Linear and tuple(m.weight.shape) == (3, 4)
        assert repr(m) == "Linear(in_features=4, out_features=3, bias=True)"
    assert m.weight is not None and weight is not None
    ours = tg.nn.LazyLinear(2)
    w = ours.weight
    ours(tg.ones(1, 5))
    assert ours.weight is w and abs(w.numpy()).max() <= 1 / np.sqrt(5) and w.numpy().std() > 0


def test_var_and_std_without_degrees_of_freedom_match_torch():
    """correction >= the count: torch divides by zero (inf, or nan where all values are equal),
    in value and in var's gradient; it was nan everywhere."""
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).random((1, 2, 3, 1, 5))
    for correction, dims in ((5, (0, 4)), (7, (0, 4)), (1, (0, 3))):
        for name in ("var", "std"):
            x = tg.tensor(a, requires_grad=True)
            t = torch.tensor(a, requires_grad=True)
            with np.errstate(all="ignore"):
                y = getattr(x, name)(dim=dims, correction=correction)
                (g,) = tg.grad(y.sum(), x)
            yt = getattr(t, name)(dim=dims, correction=correction)
            (gt,) = torch.autograd.grad(yt.sum(), t)
            np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
            # the gradient of var with exactly no degree of freedom; torch's own backward
            # formulas for std, and for a negative count, are not the derivative of its value
            if name == "var" and correction == 5:
                np.testing.assert_array_equal(g.numpy(), gt.numpy())
    assert np.isnan(tg.tensor([2.0, 2.0]).var(correction=2).item())


def test_asarray_shares_copies_and_refuses_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        a = np.arange(3.0)
        shared, copied = lib.asarray(a), lib.asarray(a, copy=True)
        a[0] = 9.0
        assert shared.tolist() == [9.0, 1.0, 2.0] and copied.tolist() == [0.0, 1.0, 2.0]
        with pytest.raises((ValueError, RuntimeError)):
            lib.asarray([1, 2], copy=False)
        x = lib.ones(2, requires_grad=True) * 2
        assert lib.asarray(x) is x and not lib.asarray(x, requires_grad=False).requires_grad
        assert lib.asarray(x, requires_grad=True).grad_fn is not None
        assert lib.asarray(3.5, dtype=lib.float64).dtype == lib.float64
    assert str(tg.asarray([1, 2]).dtype) == "int64" and tg.asarray([1.0]).dtype == tg.float32


def test_get_worker_info_is_none_in_the_loading_process():
    from tinygrad_gd.utils.data import get_worker_info

    assert get_worker_info() is None


def test_an_int_outside_an_integer_tensors_range_wraps_as_torchs():
    torch = pytest.importorskip("torch")
    for op in (lambda t: t - 3, lambda t: t + 300, lambda t: t * -1, lambda t: t < -3,
               lambda t: t == -6):
        ours = op(tg.tensor([250, 3], dtype=tg.uint8))
        theirs = op(torch.tensor([250, 3], dtype=torch.uint8))
        assert ours.tolist() == theirs.tolist()
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert (tg.tensor([1], dtype=tg.int8) + 200).tolist() == [-55]
