"""Edge cases of the ops, one test each, compared with torch where it is installed: ties (which
are not differentiable), gradients at kinks, dtype rules, empty and 0-d tensors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from op_cases import dim_kw

import tinygrad_gd as tg

# ------------------------------------------------------------------- ties (not differentiable)


@pytest.mark.parametrize("method", ["amax", "amin"])
def test_reduction_ties_split_the_gradient_evenly(device, method):
    x = tg.tensor([[1.0, 3.0, 3.0], [-2.0, -2.0, 0.5]], dtype="float64", device=device,
                  requires_grad=True)
    getattr(x, method)(dim=1).sum().backward()
    expected = ([[0, 0.5, 0.5], [0, 0, 1]] if method == "amax" else [[1, 0, 0], [0.5, 0.5, 0]])
    np.testing.assert_allclose(x.grad.numpy(), expected)
    x.grad = None
    getattr(x, method)().backward()  # a tie over the whole tensor too
    flat = x.numpy().ravel()
    target = flat.max() if method == "amax" else flat.min()
    np.testing.assert_allclose(x.grad.numpy().ravel(), (flat == target) / (flat == target).sum())


def test_reduction_ties_match_torch():
    torch = pytest.importorskip("torch")
    a = np.array([[2.0, 2.0, 1.0, 2.0], [0.0, 5.0, 5.0, -1.0]])
    x = tg.tensor(a, dtype="float64", requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    for dim in (None, 0, 1):
        x.grad, t.grad = None, None
        (x.amax(**dim_kw(dim)) * 3.0).sum().backward()
        (t.amax(**({} if dim is None else {"dim": dim})) * 3.0).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_maximum_minimum_ties_split_the_gradient(device):
    a = tg.tensor([1.0, 2.0, 3.0], dtype="float64", device=device, requires_grad=True)
    b = tg.tensor([1.0, 5.0, 3.0], dtype="float64", device=device, requires_grad=True)
    (a.maximum(b) + 10 * a.minimum(b)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [5.5, 10.0, 5.5])
    np.testing.assert_allclose(b.grad.numpy(), [5.5, 1.0, 5.5])



@pytest.mark.parametrize("p", [1, 2, 3, math.inf])
def test_norm_gradient_at_zero_is_zero_not_nan(device, p):
    x = tg.tensor([[0.0, 0.0], [1.0, -2.0]], dtype="float64", device=device, requires_grad=True)
    x.norm(p=p, dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0], [0.0, 0.0])
    assert np.isfinite(x.grad.numpy()).all()


def test_clamp_with_tensor_bounds_matches_torch(device):
    """torch accepts tensors as min/max: x gets the gradient where min <= x <= max, each bound
    where it is taken."""
    torch = pytest.importorskip("torch")
    vals, lo_v, hi_v = [-1.0, 0.5, 2.0, 0.0], 0.0, [1.0, 1.0, 1.0, 0.0]
    x = tg.tensor(vals, dtype="float64", device=device, requires_grad=True)
    lo = tg.tensor(lo_v, dtype="float64", device=device, requires_grad=True)
    hi = tg.tensor(hi_v, dtype="float64", device=device, requires_grad=True)
    w = tg.tensor([1.0, 2.0, 3.0, 4.0], dtype="float64", device=device)
    y = x.clamp(min=lo, max=hi)
    (y * w).sum().backward()
    tx, tlo, thi = (torch.tensor(v, dtype=torch.float64, requires_grad=True)
                    for v in (vals, lo_v, hi_v))
    ty = tx.clamp(min=tlo, max=thi)
    (ty * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    for ours, theirs in ((x, tx), (lo, tlo), (hi, thi)):
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    b = tg.tensor(0.1, dtype="float64", device=device, requires_grad=True)
    assert tg.gradcheck(lambda a, b: a.clamp(min=b), (x.detach().requires_grad_(), b))


def test_clamp_of_an_int_tensor_with_a_float_bound_gives_floats(device):
    """torch promotes: clamp(int, 1.5) is float (it used to clip in int64 and lose the 1.5)."""
    x = tg.tensor([1, 2, 3], device=device)
    y = x.clamp(min=1.5, max=2.5)
    assert y.dtype == tg.float32
    np.testing.assert_array_equal(y.numpy(), [1.5, 2.0, 2.5])
    z = x.clamp(0, 2)
    assert z.dtype == tg.int64 and z.tolist() == [1, 2, 2]


def test_softplus_derivatives_at_zero_match_torch(device):
    """softplus'(0) = 1/2 and softplus''(0) = 1/4 (the relu + |x| form gave a slope of 0 there)."""
    torch = pytest.importorskip("torch")
    vals = [-30.0, -1.0, 0.0, 0.0, 1.0, 19.0, 30.0]
    for beta, threshold in ((1.0, 20.0), (2.0, 5.0)):
        x = tg.tensor(vals, dtype="float64", device=device, requires_grad=True)
        (g,) = tg.grad(x.softplus(beta, threshold).sum(), x, create_graph=True)
        (gg,) = tg.grad(g.sum(), x)
        t = torch.tensor(vals, dtype=torch.float64, requires_grad=True)
        (tgr,) = torch.autograd.grad(torch.nn.functional.softplus(t, beta, threshold).sum(), t,
                                     create_graph=True)
        (tgg,) = torch.autograd.grad(tgr.sum(), t)
        np.testing.assert_allclose(g.numpy(), tgr.detach().numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-9, atol=1e-15)
    assert tg.gradgradcheck(lambda t: t.softplus(), tg.tensor([0.0, -0.5, 0.5], dtype="float64",
                                                             device=device, requires_grad=True))


def test_logsumexp_and_softmax_of_empty_tensors_match_torch(device):
    """An empty reduction gives -inf (log of an empty sum), as torch; it was NumPy's "zero-size
    array to reduction operation maximum" error."""
    torch = pytest.importorskip("torch")
    for shape, dim in (((0,), 0), ((0, 3), 0), ((0, 3), 1), ((2, 0), 1)):
        x = tg.zeros(*shape, dtype="float64", device=device, requires_grad=True)
        t = torch.zeros(*shape, dtype=torch.float64)
        with np.errstate(divide="ignore"):  # log(0) = -inf is the intended value
            np.testing.assert_array_equal(x.logsumexp(dim).numpy(), t.logsumexp(dim).numpy())
            assert x.softmax(dim).shape == x.log_softmax(dim).shape == shape
            x.logsumexp(dim).sum().backward()
        assert x.grad.shape == shape


def test_sum_of_uint8_is_int64(device):
    """As torch (NumPy alone gives uint64, not a Tensor dtype): e.g. summing image bytes."""
    x = tg.tensor(np.array([[200, 100], [255, 1]], dtype=np.uint8), device=device)
    for total in (x.sum(), x.sum(0), x.sum(dim=1, keepdim=True)):
        assert total.dtype == tg.int64
    assert x.sum().item() == 556


def test_split_and_chunk_take_numpy_ints(device):
    """Sizes computed with NumPy (np.int64) work as Python ints do (split raised "not iterable")."""
    x = tg.tensor(np.arange(5.0), device=device)
    assert [p.tolist() for p in x.split(np.int64(2))] == [[0.0, 1.0], [2.0, 3.0], [4.0]]
    assert [p.shape for p in x.chunk(np.int64(2))] == [(3,), (2,)]


def test_a_0d_tensor_does_not_widen_a_dimensioned_one_of_its_kind(device):
    """torch's rule: float32 vector op float64 0-d tensor is float32 (it was float64, silently
    upcasting a whole batch); across kinds (int vector, float 0-d) the float still wins."""
    torch = pytest.importorskip("torch")
    cases = [("float32", (2,), "float64", ()), ("float64", (), "float32", (2,)),
             ("float16", (2,), "float32", ()), ("int32", (2,), "int64", ()),
             ("uint8", (2,), "int64", ()), ("int64", (2,), "float64", ()),
             ("bool", (2,), "int64", ()), ("float32", (), "float64", ())]
    for da, sa, db, sb in cases:
        a = tg.ones(sa, dtype=da, device=device)
        b = tg.ones(sb, dtype=db, device=device)
        ta, tb = torch.ones(sa, dtype=getattr(torch, da)), torch.ones(sb, dtype=getattr(torch, db))
        want = str((ta * tb).dtype).replace("torch.", "")
        for got in (a * b, b + a, tg.where(a > 0, a, b), a.maximum(b)):
            assert str(got.dtype) == want, (da, sa, db, sb, got.dtype, want)
    w = tg.tensor(2.0, dtype="float64", device=device, requires_grad=True)
    x = tg.ones(3, device=device)
    (x * w).sum().backward()  # the float64 parameter still gets a float64 gradient
    assert w.grad.dtype == tg.float64 and w.grad.item() == 3.0


def test_mask_logic_operators(device):
    """(x > a) & (x < b), ~mask, | and ^ work on bool/int tensors as in torch (they were
    TypeErrors); they carry no gradient and refuse float tensors with a clear message."""
    x = tg.tensor([-1.0, 0.5, 2.0], device=device, requires_grad=True)
    pos, small = x > 0, x < 1
    cases = [((pos & small), [False, True, False]), ((pos | ~pos), [True, True, True]),
             ((pos ^ small), [True, False, True]), (~pos, [True, False, False]),
             (pos.logical_not(), [True, False, False]), (True & pos, [False, True, True])]
    for got, want in cases:
        assert got.dtype == tg.bool and not got.requires_grad and got.tolist() == want
    assert (tg.tensor([6], device=device) & 3).tolist() == [2]
    assert (~tg.tensor(True, device=device)).shape == ()
    with pytest.raises(TypeError, match="bitwise_and: needs bool or integer tensors, got dtype "
                                        "float32"):
        _ = x & pos
    with pytest.raises(TypeError, match="~ needs a bool or integer tensor"):
        _ = ~x


def test_any_and_all_over_a_dim(device):
    """mask.all(dim=1) and mask.any(0, keepdim=True), as in torch (any/all took no dim before)."""
    m = tg.tensor([[True, False], [True, True]], device=device)
    assert m.any().item() is True and m.all().item() is False
    assert m.all(dim=1).tolist() == [False, True]
    assert m.any(0, True).tolist() == [[True, True]]
    assert m.all(dim=-1, keepdim=True).shape == (2, 1)
    assert (tg.tensor([1.0, 0.0], device=device) > 0.5).any(axis=0).item() is True


def test_float16_mean_and_var_accumulate_in_float32(device):
    """As torch: the mean of 100000 float16 ones is 1, not inf (a float16 sum overflows)."""
    x = tg.ones(100_000, dtype="float16", device=device, requires_grad=True)
    m, v = x.mean(), x.var(dim=0)
    assert m.dtype == v.dtype == tg.float16
    assert m.item() == 1.0 and v.item() == 0.0 and x.std().item() == 0.0
    m.backward()
    assert x.grad.dtype == tg.float16 and np.isclose(float(x.grad[0]), 1e-5, rtol=1e-2)
    y = tg.full((300,), 15.0, dtype="float16", device=device)  # sum of squares 67500 > 65504
    for p, want in ((2, 259.75), (3, 100.4375)):  # torch's float16 values
        assert y.norm(p=p).dtype == tg.float16 and y.norm(p=p).item() == want


def test_leaky_relu_of_an_int_tensor_is_float(device):
    """It used to build an int slope array, so 0.01 became 0 and -2 mapped to 0."""
    y = tg.tensor([-2, 3], device=device).leaky_relu(0.5)
    assert y.dtype == tg.float32 and y.tolist() == [-1.0, 3.0]


def test_builtin_abs(device):
    """abs(t) is t.abs() (a TypeError before), gradient included."""
    x = tg.tensor([-2.0, 3.0], device=device, requires_grad=True)
    y = abs(x)
    assert y.tolist() == [2.0, 3.0]
    y.sum().backward()
    assert x.grad.tolist() == [-1.0, 1.0]
