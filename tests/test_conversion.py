"""Casts, dtype and device questions, shape/view helpers that are not differentiable rows, and
torch's printing of tensors, compared with torch where it is installed."""

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")


def _dt(t):
    return str(t.dtype).removeprefix("torch.")


@pytest.mark.parametrize("method", ["long", "int", "short", "char", "byte", "double", "float",
                                    "half", "bool"])
@pytest.mark.parametrize("values", [[1.7, -2.2, 0.0], [3, 0, 1], [True, False, True]])
def test_cast_methods_match_torch(method, values):
    ours = getattr(tg.tensor(values), method)()
    ref = getattr(torch.tensor(values), method)()
    assert ours.dtype.name == _dt(ref)
    if not (method == "byte" and values[1] == -2.2):  # negative floats to uint8: undefined
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_float_casts_are_differentiable_int_casts_are_not():
    x = tg.tensor([1.5, 2.5], dtype=tg.float64, requires_grad=True)
    (x.half().float() * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0] and x.grad.dtype == tg.float64
    for m in ("long", "int", "short", "char", "byte", "bool"):
        assert not getattr(x, m)().requires_grad
    assert x.type(tg.float32).requires_grad and x.type_as(tg.zeros(1)).dtype == tg.float32


def test_type_strings_and_type_casts():
    for values, dtype in (([1.0], None), ([1], None), ([1.0], "float64"), ([1], "int32"),
                          ([True], None), ([1], "uint8"), ([1.0], "float16"), ([1], "int8"),
                          ([1], "int16")):
        ours = tg.tensor(values, dtype=dtype)
        ref = torch.tensor(values, dtype=getattr(torch, dtype) if dtype else None)
        assert ours.type() == ref.type()
    x = tg.tensor([1.5])
    assert x.type("torch.DoubleTensor").dtype == tg.float64
    assert x.type(tg.int64).tolist() == [1]
    with pytest.raises(TypeError, match="unknown tensor type"):
        x.type("torch.ComplexTensor")


def test_dtype_and_device_questions_match_torch():
    for values, dtype in (([1.0, 2.0], "float32"), ([1, 2], "int64"), ([1.0], "float16"),
                          ([True], "bool"), ([1], "uint8"), ([[1.0]], "float64")):
        ours = tg.tensor(values, dtype=dtype)
        ref = torch.tensor(values, dtype=getattr(torch, dtype))
        assert ours.is_floating_point() == ref.is_floating_point() == tg.is_floating_point(ours)
        assert ours.is_complex() == ref.is_complex() == tg.is_complex(ours)
        assert ours.element_size() == ref.element_size() == ours.itemsize == ref.itemsize
        assert ours.nbytes == ref.nbytes
        assert ours.get_device() == ref.get_device() and ours.is_cuda == ref.is_cuda
        assert ours.is_cpu


def test_contiguous():
    x = tg.zeros(2, 3)
    assert x.contiguous() is x and x.is_contiguous()
    assert not tg.from_numpy(np.zeros((3, 2)).T).is_contiguous()


def test_shape_method_errors():
    x = tg.zeros(2, 3, 4)
    with pytest.raises(ValueError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        x.t()
    with pytest.raises(ValueError, match="mT needs a matrix"):
        _ = tg.zeros(3).mT
    with pytest.raises(ValueError, match="H needs a matrix"):
        _ = x.H
    with pytest.raises(ValueError, match="unflatten: sizes"):
        x.unflatten(1, (2, 2))
    with pytest.raises(IndexError, match="narrow"):
        x.narrow(0, 1, 2)
    with pytest.raises(IndexError, match="movedim: dim 3 out of range"):
        x.movedim(3, 0)
    with pytest.raises(ValueError, match="repeated dim"):
        x.movedim((0, 0), (1, 2))
    with pytest.raises(ValueError, match="unfold: size"):
        x.unfold(0, 3, 1)
    with pytest.raises(ValueError, match="unfold: step"):
        x.unfold(0, 1, 0)
    with pytest.raises(IndexError, match="unbind"):
        tg.tensor(1.0).unbind()
    with pytest.raises(ValueError, match="hstack"):
        tg.hstack([])


def test_shape_helpers_match_torch_on_ints():
    a = np.arange(24).reshape(2, 3, 4)
    for call in (lambda lib, t: t.unfold(2, 2, 2), lambda lib, t: lib.atleast_3d(t[0, 0]),
                 lambda lib, t: lib.column_stack([t[0, 0], t[1, 0]]),
                 lambda lib, t: lib.atleast_2d(t[0, 0], t)[0], lambda lib, t: t.ravel(),
                 lambda lib, t: t.squeeze((0, 1)), lambda lib, t: lib.atleast_1d(t[0, 0, 0])):
        ours, ref = call(tg, tg.tensor(a)), call(torch, torch.tensor(a))
        assert ours.shape == tuple(ref.shape) and ours.dtype.name == _dt(ref)
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert len(tg.atleast_2d(tg.zeros(2), tg.zeros(3))) == 2


# ---------------------------------------------------------------------------------- printing
_CASES = [
    [1.0, 2.0, 3.0], 0.5, 3.0, [1.5, 2.25], [[1, 2], [3, 4]], [True, False], [],
    [1e-5, 1e5], [1e9, 1.0], [0.0, -0.0], [float("nan"), float("inf"), -float("inf"), 1.0],
    [float("nan"), 1.5], [123456.7, 0.001], [-1.0, 1.0], [[1.5, -2.0], [3.0, 4.25]],
    [[[1.0]]], [0.1, 0.2, 0.3], -7, [10 ** 12, 1], [1e-3, 1e-2],
]


def _norm(text):
    return text.replace("torch.", "tinygrad_gd.")


@pytest.mark.parametrize("values", _CASES)
def test_repr_matches_torch(values):
    assert repr(tg.tensor(values)) == _norm(repr(torch.tensor(values)))


@pytest.mark.parametrize("make", [
    lambda rng: rng.standard_normal((3, 4)).astype(np.float32),
    lambda rng: np.arange(2000.0).astype(np.float32),
    lambda rng: rng.standard_normal((40, 50)),
    lambda rng: rng.integers(-100, 100, (5, 300)),
    lambda rng: rng.standard_normal((4, 3, 1200)).astype(np.float32) * 1e5,
    lambda rng: np.zeros((2, 0)), lambda rng: np.zeros((0,), np.int64),
    lambda rng: np.array([1, 2], dtype=np.int32), lambda rng: np.ones((2, 3), np.float16),
    lambda rng: np.arange(30.0).reshape(2, 3, 5) / 7, lambda rng: rng.random(1001) > 0.5,
    lambda rng: np.array([[1e-8, 1.0], [3.0, 4.0]], np.float32),
])
def test_repr_of_arrays_matches_torch(make):
    a = make(np.random.default_rng(0))
    assert repr(tg.tensor(a)) == _norm(repr(torch.tensor(a)))
    assert str(tg.tensor(a)) == repr(tg.tensor(a))


def test_repr_suffixes():
    x = tg.tensor([1.5, 2.25], requires_grad=True)
    assert repr(x) == "tensor([1.5000, 2.2500], requires_grad=True)"
    assert repr(x * 2) == f"tensor([3.0000, 4.5000], grad_fn=<{type((x * 2).grad_fn).__name__}>)"
    assert repr(x.detach()) == "tensor([1.5000, 2.2500])"
    assert repr(tg.tensor([1.0], dtype=tg.float64)) == "tensor([1.], dtype=tinygrad_gd.float64)"
    long_row = tg.arange(20, dtype=tg.float64)
    ref = torch.arange(20, dtype=torch.float64)
    assert repr(long_row) == _norm(repr(ref))
    try:
        tg.set_default_dtype(tg.float64)
        assert repr(tg.tensor([1.5])) == "tensor([1.5000])"
        expected = "tensor([1.5000], dtype=tinygrad_gd.float32)"
        assert repr(tg.tensor([1.5], dtype=tg.float32)) == expected
    finally:
        tg.set_default_dtype(tg.float32)


def test_set_printoptions_matches_torch():
    a = np.linspace(0, 1, 7)
    try:
        for kw in ({"precision": 2}, {"sci_mode": True}, {"threshold": 5, "edgeitems": 2},
                   {"linewidth": 30}, {"profile": "short"}):
            tg.set_printoptions(**kw)
            torch.set_printoptions(**kw)
            assert repr(tg.tensor(a)) == _norm(repr(torch.tensor(a)))
    finally:
        tg.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert repr(tg.tensor([0.5])) == "tensor([0.5000])"


def test_to_takes_torch_keywords_and_a_tensor():
    x = tg.tensor([1.5, 2.5], requires_grad=True)
    assert x.to("cpu", non_blocking=True) is x and x.to(memory_format=None) is x
    y = x.to(copy=True)
    assert y is not x and y.tolist() == x.tolist() and y.requires_grad
    z = x.to(tg.zeros(1, dtype=tg.float64))
    assert z.dtype == tg.float64 and z.device == "cpu"
    (z * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    ref = torch.tensor([1.5, 2.5]).to(torch.zeros(1, dtype=torch.float64))
    assert str(ref.dtype).removeprefix("torch.") == z.dtype.name
