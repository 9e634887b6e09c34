"""gradcheck catches wrong derivatives and says where; numerical_jacobian's shapes."""

import re
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import backend
from tinygrad_gd.autograd import Primitive


class WrongSquare(Primitive):
    """x^2 with a backward that is off by 10% at the second element."""

    def forward(self, a):
        return a * a

    def backward(self, g):
        (x,) = self.inputs
        scale = np.ones(x.shape)
        scale.reshape(-1)[1] = 1.1
        return g * 2.0 * x * g._const(backend.to_device(scale, g._device))  # on g's device


class WrongSecondOrder(Primitive):
    """x^2 whose backward uses x as a constant: right first derivative, zero second derivative."""

    def forward(self, a):
        return a * a

    def backward(self, g):
        (x,) = self.inputs
        return g * g._const(2.0 * x.data)


def t64(a, requires_grad=True, device="cpu"):
    return tg.tensor(np.asarray(a, dtype=np.float64), dtype="float64",
                     requires_grad=requires_grad, device=device)


def test_gradcheck_passes_on_correct_gradients(device):
    a, b = t64([[0.3, -1.2], [0.7, 2.0]], device=device), t64([0.5, -0.4], device=device)
    assert tg.gradcheck(lambda a, b: (a * b).tanh() @ b, (a, b))
    assert tg.gradgradcheck(lambda a, b: (a * b).tanh() @ b, (a, b))


def test_gradcheck_catches_a_wrong_backward_and_names_input_element_and_values(device):
    x = t64([0.5, 2.0, -1.0], device=device)
    y = t64([1.0, 1.0, 1.0], device=device)
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradcheck(lambda y, x: y * WrongSquare.apply(x), (y, x))
    msg = str(info.value)
    assert isinstance(info.value, AssertionError)
    assert "input 1" in msg  # x is the second input
    # output 1 w.r.t. x[1]: the wrong entry of the Jacobian
    assert "element (1, 1) (output element (1,), input element (1,))" in msg
    analytic = float(re.search(r"analytic ([-\d.e]+),", msg).group(1))
    numerical = float(re.search(r"numerical ([-\d.e]+),", msg).group(1))
    assert analytic == pytest.approx(2 * 2.0 * 1.1)
    assert numerical == pytest.approx(2 * 2.0, rel=1e-6)
    assert "1 of 9 elements differ" in msg


def test_gradcheck_without_raising_warns_and_returns_false():
    x = t64([0.5, 2.0])
    with pytest.warns(UserWarning, match="mismatch for input 0"):
        assert tg.gradcheck(lambda x: WrongSquare.apply(x), x, raise_exception=False) is False


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = t64([0.5, 2.0, -1.0])
    assert tg.gradcheck(lambda x: WrongSecondOrder.apply(x), x)
    with pytest.raises(tg.GradcheckError, match="mismatch for input 0"):
        tg.gradgradcheck(lambda x: WrongSecondOrder.apply(x), x)


def test_gradcheck_warns_about_float32_inputs():
    x = tg.tensor([0.5, -1.25, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="input 0 is float32, not float64"):
        assert tg.gradcheck(lambda t: t * 2.0, x, eps=1e-2, atol=1e-3, rtol=1e-3)


def test_gradcheck_is_quiet_in_float64():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tg.gradcheck(lambda t: t.exp(), t64([0.1, 0.2]))
        # integer index inputs are exact: no precision warning for them (there was one)
        assert tg.gradcheck(lambda t, i: t[i] * 2.0, (t64([0.1, 0.2]), tg.tensor([1, 1])))
        # and gradgradcheck takes them too (it raised "inputs must be floating-point")
        assert tg.gradgradcheck(lambda t, i: t[i] ** 3, (t64([0.1, 0.2]), tg.tensor([1, 1, 0])))


def test_gradcheck_checks_only_inputs_that_require_grad():
    x, c = t64([0.5, 2.0]), t64([1.0, 3.0], requires_grad=False)
    # a wrong gradient for c would go unnoticed: c is a constant here
    assert tg.gradcheck(lambda x, c: x * WrongSquare.apply(c), (x, c))
    with pytest.raises(ValueError, match="no input requires grad"):
        tg.gradcheck(lambda c: c * 2, (c,))


def test_numerical_jacobian_shapes_and_values():
    x = t64(np.arange(6.0).reshape(2, 3) / 10, requires_grad=False)
    jac = tg.numerical_jacobian(lambda t: t.sin(), x)
    assert jac.shape == (2, 3, 2, 3) and jac.dtype == np.float64
    np.testing.assert_allclose(jac.numpy().reshape(6, 6), np.diag(np.cos(x.numpy().ravel())),
                               atol=1e-9)
    scalar = tg.numerical_jacobian(lambda t: (t * t).sum(), x)
    assert scalar.shape == (2, 3)
    np.testing.assert_allclose(scalar.numpy(), 2 * x.numpy(), atol=1e-8)

    a, b = t64([1.0, 2.0], False), t64(0.5, False)
    both = tg.numerical_jacobian(lambda a, b: (a * b, (a * a).sum() + b), (a, b))
    assert isinstance(both, tuple) and len(both) == 2
    assert [j.shape for j in both[0]] == [(2, 2), (2,)]
    assert [j.shape for j in both[1]] == [(2,), ()]
    np.testing.assert_allclose(both[0][0].numpy(), 0.5 * np.eye(2), atol=1e-9)
    np.testing.assert_allclose(both[1][1].numpy(), 1.0, atol=1e-9)


def test_numerical_jacobian_matches_tg_jacobian_shapes():
    a, b = t64(np.ones((2, 1)), False), t64(np.ones(3), False)

    def f(a, b):
        return (a * b).exp(), b.sum()

    num, ana = tg.numerical_jacobian(f, (a, b)), tg.jacobian(f, (a, b))
    for i in range(2):
        for j in range(2):
            assert num[i][j].shape == ana[i][j].shape
            np.testing.assert_allclose(num[i][j].numpy(), ana[i][j].numpy(), atol=1e-7)


def test_numerical_jacobian_does_not_change_the_input():
    x = t64([0.1, 0.2, 0.3], False)
    before = x.numpy().copy()
    tg.numerical_jacobian(lambda t: t * t, x)
    np.testing.assert_array_equal(x.numpy(), before)


def test_non_tensor_inputs_pass_through_and_constant_tensors_are_not_checked():
    torch = pytest.importorskip("torch")
    x = t64([0.3, -0.7, 1.1], True)
    c = t64([2.0, 0.5, -1.0], False)
    seen = []

    def make(lib):
        def f(a, k, b, mode, nothing, scale):
            seen.append((type(k).__name__, mode, nothing, type(scale).__name__))
            return (a * k + b.sin() * a) * scale
        return f

    args = (x, 3, c, "mode", None, 0.5)
    targs = (torch.tensor(x.numpy(), requires_grad=True), 3, torch.tensor(c.numpy()), "mode",
             None, 0.5)
    assert tg.gradcheck(make(tg), args) and tg.gradgradcheck(make(tg), args)
    assert torch.autograd.gradcheck(make(torch), targs)
    assert set(seen) == {("int", "mode", None, "float")}

    # a wrong derivative in the checked input is still caught with plain values around it
    class Wrong(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a, k):
            return a * k

        @staticmethod
        def backward(ctx, g):
            return g, None  # should be g * k

    with pytest.raises(tg.GradcheckError, match="mismatch for input 0"):
        tg.gradcheck(Wrong.apply, (x, 3.0))
