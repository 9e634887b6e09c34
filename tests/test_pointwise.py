"""Pointwise family beyond the op table: dtypes, integer and bool semantics, errors, tests and
logic, bit operations, in-place forms, activation modules; compared with torch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

INTS_A, INTS_B = [-7, 7, 5, -5, 0, 9], [2, -2, 3, 3, -4, -3]
SPECIAL = [float("nan"), float("inf"), float("-inf"), -1.5, 0.0, 2.0]


def _same(ours, theirs, exact=True):
    """Values and dtype (as a name) of a tg result equal torch's."""
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    if exact:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    else:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------- integer semantics
@pytest.mark.parametrize("op", [
    lambda m, a, b: a // b, lambda m, a, b: a % b, lambda m, a, b: m.fmod(a, b),
    lambda m, a, b: m.remainder(a, b), lambda m, a, b: m.floor_divide(a, b),
    lambda m, a, b: a.div(b, rounding_mode="trunc"),
    lambda m, a, b: a.div(b, rounding_mode="floor"),
    lambda m, a, b: m.divide(a, b), lambda m, a, b: a / b, lambda m, a, b: 7 // b,
    lambda m, a, b: 7 % b, lambda m, a, b: a // 2, lambda m, a, b: a % -3,
    lambda m, a, b: m.true_divide(a, b),
])
def test_integer_division_and_modulo_match_torch(device, op):
    """Floor division of ints stays int and rounds down; % takes the divisor's sign, fmod the
    dividend's; trunc rounds toward zero; true division gives floats."""
    a, b = tg.tensor(INTS_A, device=device), tg.tensor(INTS_B, device=device)
    _same(op(tg, a, b).cpu(), op(torch, torch.tensor(INTS_A), torch.tensor(INTS_B)), exact=False)


def test_float_division_rounding_matches_torch(device):
    va, vb = [-7.5, 7.5, 5.0, -5.25, 0.5], [2.0, -2.0, 3.0, 0.75, -0.25]
    a, b = tg.tensor(va, device=device), tg.tensor(vb, device=device)
    ta, tb = torch.tensor(va), torch.tensor(vb)
    for f in (lambda m, x, y: x // y, lambda m, x, y: x % y, lambda m, x, y: m.fmod(x, y),
              lambda m, x, y: x.div(y, rounding_mode="trunc"), lambda m, x, y: 2.5 % y):
        _same(f(tg, a, b).cpu(), f(torch, ta, tb), exact=False)


@pytest.mark.parametrize("op", [lambda a: a // 0, lambda a: a % 0, lambda a: a.fmod(0),
                                lambda a: a.div(tg.tensor([1, 0, 1, 1, 1, 1]),
                                                rounding_mode="trunc")])
def test_integer_division_by_zero_raises(op):
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        op(tg.tensor(INTS_A))


def test_float_division_by_zero_gives_torchs_values():
    a = tg.tensor([5.0, -5.0, 0.0])
    ta = torch.tensor([5.0, -5.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning leaks out: NaN/inf is the answer
        for f in (lambda x: x // 0.0, lambda x: x % 0.0, lambda x: x.fmod(0.0)):
            np.testing.assert_array_equal(f(a).numpy(), f(ta).numpy())


def test_div_rejects_an_unknown_rounding_mode_and_bools():
    with pytest.raises(ValueError, match="rounding_mode must be None, 'trunc' or 'floor'"):
        tg.tensor([1.0]).div(2, rounding_mode="round")
    with pytest.raises(TypeError, match="bool"):
        _ = tg.tensor([True]) // tg.tensor([True])
    with pytest.raises(TypeError, match="bool"):
        _ = tg.tensor([True]) % tg.tensor([True])
    assert (tg.tensor([True]) % 2).tolist() == (torch.tensor([True]) % 2).tolist() == [1]


def test_rounding_division_and_floor_give_zero_gradients_as_torch():
    vals = [1.5, -2.5, 0.3]
    x = tg.tensor(vals, requires_grad=True)
    t = torch.tensor(vals, requires_grad=True)
    for f in (lambda v: v.floor(), lambda v: v.round(), lambda v: v.sign(),
              lambda v: v.div(2, rounding_mode="floor"), lambda v: v.frac(), lambda v: v % 2):
        (g,) = tg.grad(f(x).sum(), x)
        (tgr,) = torch.autograd.grad(f(t).sum(), t)
        np.testing.assert_array_equal(g.numpy(), tgr.numpy())


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "sign", "fix", "square",
                                  "abs", "neg"])
def test_rounding_and_sign_of_ints_keep_ints(name):
    a, ta = tg.tensor(INTS_A), torch.tensor(INTS_A)
    _same(getattr(a, name)(), getattr(ta, name)())


@pytest.mark.parametrize("name", ["tan", "asin", "atan", "sinh", "cosh", "asinh", "exp2",
                                  "expm1", "log2", "log10", "log1p", "rsqrt", "reciprocal", "erfc",
                                  "erf", "atanh", "acosh", "sqrt", "sigmoid"])
def test_transcendental_functions_of_ints_and_bools_give_float32(name):
    for vals in ([1, 2, 3], [True, False]):
        ours, theirs = getattr(tg, name)(tg.tensor(vals)), getattr(torch, name)(
            torch.tensor(vals))
        _same(ours, theirs, exact=False)


def test_what_torch_refuses_on_ints_and_bools_is_refused():
    i = tg.tensor(INTS_A)
    for f in (lambda: i.round(decimals=1), lambda: i.frac(), lambda: i.hypot(i),
              lambda: i.logaddexp(i), lambda: i.lerp(i, 0.5), lambda: tg.tensor([True]).floor()):
        with pytest.raises(TypeError):
            f()


def test_sign_and_sgn_of_bools_stay_bool():
    b = tg.tensor([True, False])
    _same(b.sign(), torch.tensor([True, False]).sign())
    _same(tg.sgn(b), torch.sgn(torch.tensor([True, False])))


def test_special_values_match_torch():
    x, t = tg.tensor(SPECIAL + [1.0, -1.0, 0.5]), torch.tensor(SPECIAL + [1.0, -1.0, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("asin", "acos", "atanh", "acosh", "erfinv", "log2", "log10", "log1p",
                     "expm1", "tan", "sinh", "cosh", "erfc", "exp2", "floor", "round", "trunc",
                     "sign", "asinh", "atan"):
            ours, theirs = getattr(x, name)().numpy(), getattr(t, name)().numpy()
            np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7, err_msg=name)


def test_erfinv_is_accurate_to_double_precision_up_to_the_tails():
    v = np.concatenate([np.linspace(-0.999, 0.999, 201), 1 - np.logspace(-15, -1, 15),
                        -1 + np.logspace(-15, -1, 15), [-1.0, 1.0, 1.5]])
    ours = tg.tensor(v, dtype="float64").erfinv().numpy()
    np.testing.assert_allclose(ours, torch.erfinv(torch.tensor(v)).numpy(), rtol=1e-13,
                               atol=1e-15)


def test_round_decimals_matches_torch():
    v = [2.567, -1.25, 0.125, 1234.5678]
    for d in (0, 1, 2, -1):
        np.testing.assert_allclose(tg.tensor(v).round(decimals=d).numpy(),
                                   torch.tensor(v).round(decimals=d).numpy(), rtol=1e-6)


# ------------------------------------------------------------ binary math: promotion
def test_binary_math_promotes_as_torch():
    f32, f64 = tg.tensor([1.0, 2.0]), tg.tensor([0.5, 3.0], dtype="float64")
    t32, t64 = torch.tensor([1.0, 2.0]), torch.tensor([0.5, 3.0], dtype=torch.float64)
    for name in ("atan2", "hypot", "logaddexp", "logaddexp2", "fmod", "remainder"):
        _same(getattr(tg, name)(f32, f64), getattr(torch, name)(t32, t64), exact=False)
    _same(tg.atan2(tg.tensor([1, 2]), tg.tensor([2, 2])),
          torch.atan2(torch.tensor([1, 2]), torch.tensor([2, 2])), exact=False)
    _same(f32.lerp(tg.tensor([3.0, 3.0]), tg.tensor([0.5, 0.25])),
          t32.lerp(torch.tensor([3.0, 3.0]), torch.tensor([0.5, 0.25])), exact=False)


def test_binary_math_names_shapes_that_do_not_broadcast():
    a, b = tg.ones(2, 3), tg.ones(4)
    for f in (lambda: a.atan2(b), lambda: a.hypot(b), lambda: a % b, lambda: a // b,
              lambda: a.logaddexp(b), lambda: a.isclose(b), lambda: a.logical_and(b)):
        with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\) do not broadcast"):
            f()


def test_logaddexp_is_stable_and_its_gradient_splits_at_ties():
    x = tg.tensor([1000.0, -1000.0, 0.0], requires_grad=True)
    y = tg.tensor([1000.0, -1000.0, 0.0])
    out = x.logaddexp(y)
    np.testing.assert_allclose(out.numpy(), [1000 + math.log(2), -1000 + math.log(2),
                                             math.log(2)], rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5, 0.5])


def test_clamp_min_max_and_nan_to_num_match_torch():
    v = SPECIAL
    x, t = tg.tensor(v), torch.tensor(v)
    _same(x.clamp_min(0.5), t.clamp_min(0.5))
    _same(tg.clamp_max(x, 0.5), torch.clamp_max(t, 0.5))
    _same(x.nan_to_num(), t.nan_to_num())
    _same(tg.nan_to_num(x, nan=1.0, posinf=9.0, neginf=-9.0),
          torch.nan_to_num(t, nan=1.0, posinf=9.0, neginf=-9.0))
    _same(tg.tensor(INTS_A).nan_to_num(), torch.tensor(INTS_A).nan_to_num())
    xg = tg.tensor(v, requires_grad=True)
    xg.nan_to_num().sum().backward()
    np.testing.assert_array_equal(xg.grad.numpy(), [0, 0, 0, 1, 1, 1])


# ---------------------------------------------------------------- tests and comparisons
@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf"])
def test_value_tests_match_torch(device, name):
    for vals in (SPECIAL, INTS_A, [True, False]):
        ours = getattr(tg, name)(tg.tensor(vals, device=device)).cpu()
        _same(ours, getattr(torch, name)(torch.tensor(vals)))
        assert not ours.requires_grad


def test_isclose_allclose_equal_match_torch():
    a = [1.0, float("nan"), float("inf"), 2.0, -float("inf")]
    b = [1.0 + 1e-7, float("nan"), float("inf"), 2.1, float("inf")]
    x, y, tx, ty = tg.tensor(a), tg.tensor(b), torch.tensor(a), torch.tensor(b)
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.1}, {"atol": 0.2, "rtol": 0.0}):
        _same(x.isclose(y, **kw), tx.isclose(ty, **kw))
        assert tg.allclose(x, y, **kw) is torch.allclose(tx, ty, **kw)
    assert tg.allclose(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.0 + 1e-9])) is True
    assert tg.allclose(tg.tensor([1.0, 1.0]), tg.tensor([1.0])) is True  # broadcasts, as torch
    _same(tg.isclose(tg.tensor(INTS_A), tg.tensor(INTS_A)),
          torch.isclose(torch.tensor(INTS_A), torch.tensor(INTS_A)))
    assert tg.equal(x[:1], tg.tensor([1.0])) is True
    assert tg.equal(tg.tensor([1, 2]), tg.tensor([1.0, 2.0])) is torch.equal(
        torch.tensor([1, 2]), torch.tensor([1.0, 2.0]))
    assert tg.tensor([1, 2]).equal(tg.tensor([1, 2, 3])) is False
    assert tg.equal(x, x) is False  # NaN != NaN, as torch
    with pytest.raises(TypeError, match="one dtype"):
        tg.isclose(tg.tensor([1.0]), tg.tensor([1.0], dtype="float64"))


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal",
                                  "less", "less_equal", "not_equal"])
def test_comparison_methods_and_functions_match_torch(name):
    a, b = [1.0, 2.0, 3.0], [2.0, 2.0, 2.0]
    _same(getattr(tg.tensor(a), name)(tg.tensor(b)), getattr(torch.tensor(a), name)(
        torch.tensor(b)))
    _same(getattr(tg, name)(tg.tensor(a), 2.0), getattr(torch, name)(torch.tensor(a), 2.0))
    out = getattr(tg.tensor(a, requires_grad=True), name)(2.0)
    assert out.dtype == tg.bool and not out.requires_grad


def test_comparing_with_none_is_a_clear_error():
    with pytest.raises(TypeError, match="cannot compare a tensor with NoneType"):
        tg.tensor([1.0]).eq(None)


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_ops_match_torch(name):
    a, b = [0.0, 1.5, -2.0, 0.0], [0, 0, 3, 1]
    _same(getattr(tg, name)(tg.tensor(a), tg.tensor(b)),
          getattr(torch, name)(torch.tensor(a), torch.tensor(b)))
    _same(getattr(tg.tensor(a), name)(tg.tensor(b)), getattr(torch.tensor(a), name)(
        torch.tensor(b)))
    _same(tg.logical_not(tg.tensor(a)), torch.logical_not(torch.tensor(a)))


# --------------------------------------------------------------------------- bitwise
@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor",
                                  "bitwise_left_shift", "bitwise_right_shift"])
def test_bitwise_ops_match_torch(name):
    a, b = [5, -6, 12, 0], [3, 1, 2, 4]
    _same(getattr(tg, name)(tg.tensor(a), tg.tensor(b)),
          getattr(torch, name)(torch.tensor(a), torch.tensor(b)))
    _same(getattr(tg.tensor(a), name)(2), getattr(torch.tensor(a), name)(2))
    if "shift" not in name:
        bools = [True, False, True]
        _same(getattr(tg, name)(tg.tensor(bools), tg.tensor([True, True, False])),
              getattr(torch, name)(torch.tensor(bools), torch.tensor([True, True, False])))


def test_shift_operators_and_bitwise_not_match_torch():
    a, ta = tg.tensor([-7, 7, 5]), torch.tensor([-7, 7, 5])
    for f in (lambda x: x << 2, lambda x: x >> 1, lambda x: 2 << x.abs(), lambda x: 64 >> x.abs(),
              lambda x: ~x, lambda x: x.bitwise_not()):
        _same(f(a), f(ta))
    _same(tg.tensor([True, False]) << 1, torch.tensor([True, False]) << 1)
    _same(tg.bitwise_not(tg.tensor([True, False])), torch.bitwise_not(torch.tensor([True, False])))
    small = tg.tensor(np.array([1, 2], dtype=np.int32))
    _same(small << 3, torch.tensor([1, 2], dtype=torch.int32) << 3)


def test_bit_operations_refuse_floats():
    x = tg.tensor([1.0, 2.0])
    for f in (lambda: x << 1, lambda: x >> 1, lambda: 1 << x, lambda: x.bitwise_and(1),
              lambda: tg.bitwise_or(x, x), lambda: x.bitwise_left_shift(1)):
        with pytest.raises(TypeError, match="integer"):
            f()


# ------------------------------------------------------------------------ in place
@pytest.mark.parametrize("name, args", [
    ("clamp_", (-0.5, 0.5)), ("clip_", (0.0, None)), ("relu_", ()), ("sigmoid_", ()),
    ("tanh_", ()), ("exp_", ()), ("abs_", ()), ("neg_", ()), ("floor_", ()), ("round_", ()),
    ("pow_", (2,)), ("sqrt_", ()), ("clamp_min_", (0.1,)), ("atan_", ()), ("sign_", ()),
    ("nan_to_num_", ()), ("fmod_", (0.7,)), ("remainder_", (0.7,)), ("lerp_", (tg.ones(4), 0.5)),
    ("eq_", (0.25,)), ("frac_", ()),
])
def test_inplace_forms_under_no_grad_write_the_memory(name, args):
    vals = [-1.5, 0.25, 2.0, 0.7]
    x = tg.tensor(vals, requires_grad=True)
    t = torch.tensor(vals, requires_grad=True)
    view = x[1:]  # shares memory and the version counter
    version = x.version
    with tg.no_grad():
        out = getattr(x, name)(*args)
    with torch.no_grad():
        getattr(t, name)(*(torch.tensor(a.numpy()) if isinstance(a, tg.Tensor) else a
                           for a in args))
    assert out is x and x.version == version + 1 and x.requires_grad
    np.testing.assert_allclose(x.numpy(), t.detach().numpy(), rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(view.numpy(), x.numpy()[1:], equal_nan=True)


@pytest.mark.parametrize("name, args", [("relu_", ()), ("sigmoid_", ()), ("tanh_", ()),
                                        ("exp_", ()), ("log_", ()), ("clamp_", (0.3, 1.5)),
                                        ("mul_", (3.0,)), ("pow_", (2,)), ("sin_", ()),
                                        ("reciprocal_", ()), ("erfinv_", ())])
def test_inplace_forms_in_a_graph_match_torch(name, args):
    vals = [0.5, 0.9, 0.2]
    x = tg.tensor(vals, dtype="float64", requires_grad=True)
    t = torch.tensor(vals, dtype=torch.float64, requires_grad=True)
    y, ty = x * 2.0 - 0.5, t * 2.0 - 0.5
    getattr(y, name)(*args)
    getattr(ty, name)(*args)
    (y * tg.tensor([1.0, 2.0, 3.0], dtype="float64")).sum().backward()
    (ty * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10)


def test_inplace_on_a_leaf_that_requires_grad_raises():
    x = tg.tensor([1.0, -1.0], requires_grad=True)
    for f in (lambda: x.relu_(), lambda: x.clamp_(0, 1), lambda: tg.sigmoid_(x)):
        with pytest.raises(RuntimeError, match="leaf tensor"):
            f()


def test_inplace_change_of_a_saved_tensor_is_caught_at_backward():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    x = tg.tensor([0.5, -0.5])
    y = (w * x).sum()
    x.relu_()  # x was saved by the product for w's gradient
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_inplace_errors_on_dtype_and_shape():
    i = tg.tensor([4, 9])
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.sqrt_()
    with pytest.raises(RuntimeError, match="cannot broadcast its own tensor"):
        tg.tensor([1.0, 2.0]).fmod_(tg.ones(3, 2))
    assert i.floor_divide_(2).tolist() == [2, 4] and i.dtype == tg.int64


def test_top_level_and_functional_inplace_forms():
    x = tg.tensor([-1.0, 0.5, 3.0])
    assert tg.relu_(x) is x and x.tolist() == [0.0, 0.5, 3.0]
    assert tg.clamp_(x, max=1.0) is x and x.tolist() == [0.0, 0.5, 1.0]
    y = tg.tensor([-2.0, 2.0])
    for f, want in ((F.relu_, [0.0, 2.0]), (F.elu_, [0.0, 2.0])):
        assert f(y) is y and y.tolist() == want
    z = tg.tensor([-2.0, 0.5, 2.0])
    F.hardtanh_(z)
    F.threshold_(z, 0.6, -3.0)
    assert z.tolist() == [-3.0, -3.0, 1.0]


def test_inplace_flag_of_functions_and_modules_changes_nothing():
    x = tg.tensor([-1.0, 2.0])
    out = F.relu(x, inplace=True)
    assert x.tolist() == [-1.0, 2.0] and out.tolist() == [0.0, 2.0]
    assert nn.SiLU(inplace=True)(x) is not x and x.tolist() == [-1.0, 2.0]


# ------------------------------------------------------------------ activations
def test_activation_kinks_have_torchs_gradients():
    """At the exact kinks torch picks a side; so do we (hardtanh 0 at its bounds, elu alpha at
    0, hardswish (2x + 3)/6 on (-3, 3) with 0 at -3 and 1 at 3, hardshrink/threshold 0 at the
    threshold)."""
    vals = [-3.0, -1.0, 0.0, 1.0, 3.0, 6.0, 0.5, -0.5]
    cases = [lambda m, x: m.hardtanh(x), lambda m, x: m.relu6(x), lambda m, x: m.elu(x, 0.7),
             lambda m, x: m.celu(x, 2.0), lambda m, x: m.selu(x), lambda m, x: m.hardswish(x),
             lambda m, x: m.hardshrink(x, 0.5), lambda m, x: m.softshrink(x, 0.5),
             lambda m, x: m.threshold(x, 1.0, -1.0), lambda m, x: m.relu(x),
             lambda m, x: m.leaky_relu(x, 0.1), lambda m, x: m.logsigmoid(x),
             lambda m, x: m.softsign(x), lambda m, x: m.silu(x), lambda m, x: m.mish(x),
             lambda m, x: m.hardsigmoid(x)]
    for f in cases:
        x = tg.tensor(vals, requires_grad=True)
        t = torch.tensor(vals, requires_grad=True)
        y, ty = f(F, x), f(TF, t)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-7)
        (g,) = tg.grad(y.sum(), x)
        (tgr,) = torch.autograd.grad(ty.sum(), t)
        np.testing.assert_allclose(g.numpy(), tgr.numpy(), rtol=1e-6, atol=1e-7)


def test_logsigmoid_is_stable_and_twice_differentiable_at_zero():
    x = tg.tensor([-800.0, 0.0, 800.0], dtype="float64", requires_grad=True)
    t = torch.tensor([-800.0, 0.0, 800.0], dtype=torch.float64, requires_grad=True)
    y, ty = F.logsigmoid(x), TF.logsigmoid(t)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    (g,) = tg.grad(y.sum(), x, create_graph=True)
    (tgr,) = torch.autograd.grad(ty.sum(), t, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tgr.detach().numpy())
    np.testing.assert_allclose(tg.grad(g.sum(), x)[0].numpy(),
                               torch.autograd.grad(tgr.sum(), t)[0].numpy(), atol=1e-300)


def test_softmax_family_dtype_and_implicit_dim():
    v = np.arange(6.0).reshape(2, 3)
    x, t = tg.tensor(v, dtype="float32"), torch.tensor(v, dtype=torch.float32)
    for name in ("softmax", "log_softmax", "softmin"):
        ours = getattr(F, name)(x, dim=1, dtype=tg.float64)
        _same(ours, getattr(TF, name)(t, dim=1, dtype=torch.float64), exact=False)
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            implicit = getattr(F, name)(x)
        np.testing.assert_allclose(implicit.numpy(), getattr(F, name)(x, 1).numpy())
    with pytest.warns(UserWarning):
        assert F.softmax(tg.ones(3)).tolist() == pytest.approx([1 / 3] * 3)


def test_glu_prelu_errors_and_hardtanh_bounds():
    with pytest.raises(ValueError, match="halving dimension must be even"):
        F.glu(tg.ones(2, 3))
    with pytest.raises(ValueError, match="prelu: weight has 3 elements"):
        F.prelu(tg.ones(2, 4), tg.ones(3))
    with pytest.raises(ValueError, match="min_val 1.0 is greater than max_val"):
        F.hardtanh(tg.ones(2), 1.0, -1.0)


def test_prelu_learns_its_slopes_as_torch():
    m, tm = nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    v = np.random.default_rng(0).standard_normal((4, 3, 2)).astype(np.float32)
    (m(tg.tensor(v)) ** 2).sum().backward()
    (tm(torch.tensor(v)) ** 2).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-5)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert tg.prelu(tg.tensor([-2.0, 1.0]), tg.tensor([0.5])).tolist() == [-1.0, 1.0]
    assert tg.tensor([-2.0]).prelu(tg.tensor([0.5])).tolist() == [-1.0]


MODULES = [
    ("ReLU", ()), ("ReLU", (True,)), ("LeakyReLU", (0.2, True)), ("Tanh", ()), ("Sigmoid", ()),
    ("GELU", ("tanh",)), ("Softmax", (1,)), ("SiLU", (True,)), ("Mish", ()), ("ELU", (0.5,)),
    ("ELU", (1.0, True)), ("SELU", ()), ("CELU", (2.0,)), ("Hardtanh", (-2.0, 2.0, True)),
    ("ReLU6", (True,)), ("Hardswish", (True,)), ("Hardsigmoid", ()), ("Softsign", ()),
    ("LogSigmoid", ()), ("Softplus", (2.0, 10.0)), ("Softmin", (0,)), ("LogSoftmax", (1,)),
    ("Tanhshrink", ()), ("Hardshrink", (0.3,)), ("Softshrink", ()), ("Threshold", (0.1, 20.0)),
    ("Threshold", (0.1, 20.0, True)), ("PReLU", (2,)), ("GLU", (0,)),
]


@pytest.mark.parametrize("name, args", MODULES, ids=[f"{n}{a}" for n, a in MODULES])
def test_activation_modules_match_torch(name, args):
    m, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(m) == repr(tm)
    v = np.random.default_rng(1).standard_normal((2, 2, 3)).astype(np.float32)
    x, t = tg.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    y, ty = m(x * 1.0), tm(t * 1.0)  # torch's inplace=True modules refuse leaves
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- function forms
def test_function_forms_exist_exactly_where_torch_has_them():
    names = ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin",
             "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "atan2", "arctan2", "exp2",
             "expm1", "log2", "log10", "log1p", "rsqrt", "reciprocal", "square", "sign", "sgn",
             "floor", "ceil", "round", "trunc", "fix", "frac", "fmod", "remainder",
             "floor_divide", "div", "divide", "true_divide", "lerp", "hypot", "logaddexp",
             "logaddexp2", "erf", "erfc", "erfinv", "relu", "sigmoid", "selu", "celu",
             "threshold", "prelu", "hardshrink", "clamp_min", "clamp_max", "nan_to_num", "isnan",
             "isinf", "isfinite", "isposinf", "isneginf", "isclose", "allclose", "equal", "eq",
             "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
             "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not",
             "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
             "bitwise_right_shift", "negative", "absolute", "relu_", "sigmoid_", "clamp_",
             "exp_", "selu_"]
    for n in names:
        assert hasattr(torch, n), n  # the list itself stays honest
        assert callable(getattr(tg, n)), n
    for n in ("silu", "mish", "hardtanh", "softsign", "glu", "elu"):
        assert hasattr(torch, n) == hasattr(tg, n), n


def test_method_forms_exist_where_torch_has_them():
    x = tg.tensor([0.5])
    for n in ("arctan2", "hardshrink", "prelu", "clamp_min_", "clip_", "logical_not_",
              "bitwise_and_", "greater_", "erfinv_", "lerp_", "divide_", "true_divide_"):
        assert hasattr(torch.Tensor, n) and hasattr(x, n), n
    assert tg.tensor([-7]).div(2, rounding_mode="floor").item() == -4
    assert tg.remainder(-7, tg.tensor([3])).tolist() == [2]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_at_special_values_matches_torch(dtype):
    values = [-math.inf, -1.0, -0.0, 0.0, 1e-45 if dtype == "float32" else 5e-324, math.nan,
              2.0, math.inf]
    x = tg.tensor(values * 3, dtype=dtype, requires_grad=True)
    t = torch.tensor(values * 3, dtype=getattr(torch, dtype), requires_grad=True)
    ours, theirs = x.relu(), t.relu()
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())
    g = np.linspace(-1, 1, len(values) * 3)
    ours.backward(tg.tensor(g, dtype=dtype))
    theirs.backward(torch.tensor(g, dtype=getattr(torch, dtype)))
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())  # NaN passes it on too
