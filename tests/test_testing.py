"""tinygrad_gd.testing: the strategies draw what they promise, assert_gradcheck catches bugs."""

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import tinygrad_gd as tg
from tinygrad_gd.autograd import Primitive
from tinygrad_gd.testing import assert_gradcheck, broadcastable_shapes, shapes, tensors

FAST = settings(max_examples=25, deadline=None, derandomize=True, database=None)


@FAST
@given(shapes(min_dims=1, max_dims=3, min_side=2, max_side=5))
def test_shapes_respect_bounds(shape):
    assert 1 <= len(shape) <= 3 and all(2 <= s <= 5 for s in shape)


def test_shapes_include_0d_and_size_1_dimensions():
    assert find(shapes(), lambda s: s == ()) == ()
    assert 1 in find(shapes(min_dims=2), lambda s: 1 in s)


@FAST
@given(broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast_together(shapes_):
    assert len(shapes_) == 3
    np.broadcast_shapes(*shapes_)


@FAST
@given(broadcastable_shapes((2, 3), n=3))
def test_broadcastable_shapes_around_a_given_shape(shapes_):
    assert shapes_[0] == (2, 3) and len(shapes_) == 3
    assert np.broadcast_shapes(*shapes_)[-2:] == (2, 3)


def test_broadcastable_shapes_draw_real_broadcasting():
    pair = find(broadcastable_shapes(2), lambda p: len(p[0]) != len(p[1]) and all(p))
    assert np.broadcast_shapes(*pair)
    with pytest.raises(ValueError, match="at least 1"):
        broadcastable_shapes(0)


@FAST
@given(tensors((2, 3), min_value=0.5, max_value=2.0, requires_grad=True))
def test_tensors_shape_dtype_bounds_and_grad(x):
    assert isinstance(x, tg.Tensor) and x.shape == (2, 3) and x.dtype == tg.float64
    assert x.requires_grad and x.is_leaf
    assert (x.numpy() >= 0.5).all() and (x.numpy() <= 2.0).all()


@FAST
@given(tensors(shapes(max_dims=2), dtype="int64", min_value=-3, max_value=3),
       tensors((4,), dtype="float32", unique=True), tensors((2,), dtype="bool"))
def test_tensors_other_dtypes(i, f, b):
    assert i.dtype == tg.int64 and ((i.numpy() >= -3) & (i.numpy() <= 3)).all()
    assert f.dtype == tg.float32 and len(set(f.tolist())) == 4
    assert b.dtype == tg.bool


@FAST
@given(tensors((3,), elements=st.sampled_from([1.0, 2.0])))
def test_tensors_with_elements(x):
    assert set(x.tolist()) <= {1.0, 2.0}


def test_tensors_reject_grad_on_integers():
    with pytest.raises(TypeError, match="floating dtype"):
        tensors(dtype="int64", requires_grad=True)


@FAST
@given(st.data())
def test_assert_gradcheck_on_broadcast_functions(data):
    sa, sb = data.draw(broadcastable_shapes(2, max_side=3))
    a = data.draw(tensors(sa, requires_grad=True))
    b = data.draw(tensors(sb, requires_grad=True))
    assert_gradcheck(lambda a, b: (a - b) * b.tanh(), (a, b))


class OffByOne(Primitive):
    def forward(self, a):
        return a * 3.0

    def backward(self, g):
        return g * 3.0 + 1.0


class ConstantBackward(Primitive):
    def forward(self, a):
        return a ** 3

    def backward(self, g):
        return g * g._const(3.0 * self.inputs[0].data ** 2)  # not differentiable again


def test_assert_gradcheck_raises_assertion_error_with_the_details():
    x = tg.tensor([0.5, -1.0], dtype="float64")
    with pytest.raises(AssertionError, match=r"mismatch for input 0 at element .*analytic"):
        assert_gradcheck(OffByOne.apply, x)
    assert not x.requires_grad  # the caller's tensor was not changed


def test_assert_gradcheck_checks_second_derivatives_unless_told_not_to():
    x = tg.tensor([0.5, -1.0], dtype="float64", requires_grad=True)
    assert_gradcheck(ConstantBackward.apply, x, check_gradgrad=False)
    with pytest.raises(AssertionError, match="mismatch"):
        assert_gradcheck(ConstantBackward.apply, x)


def test_assert_gradcheck_needs_a_floating_input():
    with pytest.raises(ValueError, match="no floating-point input"):
        assert_gradcheck(lambda i: i * 2, tg.arange(3))
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        assert_gradcheck(lambda a: a, np.ones(2))


def test_testing_is_a_submodule():
    assert tg.testing.assert_gradcheck is assert_gradcheck


def _close_cases(lib):
    return [
        (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0000001])),
        (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.1])),
        (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0], dtype=lib.float64)),
        (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0, 3.0])),
        (lib.tensor([float("nan")]), lib.tensor([float("nan")])),
        (lib.tensor([1, 2]), lib.tensor([1, 3])),
        (lib.tensor([1e-6]), lib.tensor([0.0])),
        (lib.tensor([float("inf")]), lib.tensor([float("inf")])),
        (lib.tensor([1.0], dtype=lib.float16), lib.tensor([1.0009], dtype=lib.float16)),
        (1.0, 1.0 + 1e-8),
        ([lib.tensor([1.0]), 2.0], [lib.tensor([1.0]), 2.0]),
        ({"a": lib.tensor([1.0])}, {"a": lib.tensor([1.5])}),
    ]


def test_assert_close_passes_and_fails_exactly_where_torchs_does():
    torch = pytest.importorskip("torch")
    from tinygrad_gd.testing import assert_close

    for ours, theirs in zip(_close_cases(tg), _close_cases(torch)):
        try:
            torch.testing.assert_close(*theirs)
            want = None
        except AssertionError as exc:
            want = str(exc).split(":")[0].split("!")[0]
        if want is None:
            assert_close(*ours)
        else:
            with pytest.raises(AssertionError) as caught:
                assert_close(*ours)
            assert str(caught.value).split(":")[0].split("!")[0].replace("torch.", "") == \
                want.replace("torch.", "")


def test_assert_close_names_the_worst_element_and_checks_its_arguments():
    from tinygrad_gd.testing import assert_close

    with pytest.raises(AssertionError, match=r"Mismatched elements: 1 / 3 .*\n"
                                             r"Greatest absolute difference: 0.5 at index \(1,\)"):
        assert_close(tg.tensor([1.0, 2.0, 5.0]), tg.tensor([1.0, 2.5, 5.0]))
    assert_close(tg.tensor([1.0]), tg.tensor([1.1]), rtol=0.2, atol=0.0)
    assert_close(tg.tensor([float("nan")]), tg.tensor([float("nan")]), equal_nan=True)
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        assert_close(tg.tensor([1.0]), tg.tensor([1.0]), rtol=0.1)
    with pytest.raises(AssertionError, match="custom"):
        assert_close(tg.tensor([1.0]), tg.tensor([2.0]), msg="custom")
