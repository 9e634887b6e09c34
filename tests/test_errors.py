"""Bad input gets a clear error that names the problem (shapes, dtypes, devices, the argument),
never NaN or a deep NumPy traceback."""

import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import backend


def shape_text(shape):
    return re.escape(str(tuple(shape)))


def test_matmul_shape_mismatch_names_both_shapes():
    a, b = tg.ones(2, 3), tg.ones(4, 5)
    with pytest.raises(ValueError, match=rf"{shape_text((2, 3))}.*{shape_text((4, 5))}"):
        a @ b
    with pytest.raises(ValueError, match=rf"{shape_text((3,))}.*{shape_text((2,))}"):
        tg.ones(3).dot(tg.ones(2))
    with pytest.raises(ValueError, match=r"batch dimensions.*\(2, 2, 3\).*\(3, 3, 4\)"):
        tg.ones(2, 2, 3) @ tg.ones(3, 3, 4)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        tg.tensor(2.0) @ tg.ones(2)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "pow", "maximum"])
def test_broadcasting_failure_names_both_shapes(op):
    a, b = tg.ones(2, 3), tg.ones(4)
    fn = getattr(a, op) if op == "maximum" else getattr(a, f"__{op}__")
    with pytest.raises(ValueError, match=rf"{shape_text((2, 3))} and {shape_text((4,))} do not "
                                         "broadcast"):
        fn(b)


def test_where_and_broadcast_to_failures_name_shapes():
    with pytest.raises(ValueError, match=r"where: shapes \(3,\), \(2,\) and \(\) do not"):
        tg.where(tg.tensor([True, False, True]), tg.ones(2), 0.0)
    with pytest.raises(ValueError, match=r"cannot broadcast shape \(2, 3\) to \(3, 3\)"):
        tg.ones(2, 3).broadcast_to(3, 3)


def test_backward_on_a_non_scalar_without_gradient():
    x = tg.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar outputs.*shape \(2, 3\).*gradient="):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the output has shape "
                                           r"\(2, 3\)"):
        (x * 2).backward(gradient=tg.ones(3))


def test_second_backward_through_a_freed_graph():
    x = tg.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*"
                                           "retain_graph=True"):
        y.backward()
    z = (x.exp()).sum()
    tg.grad(z, x)
    with pytest.raises(RuntimeError, match="second time"):
        tg.grad(z, x)


def test_backward_on_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (tg.ones(2) * 2).sum().backward()


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients, got "
                                        "dtype int64"):
        tg.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point.*int64"):
        tg.arange(3).requires_grad_()
    with pytest.raises(RuntimeError, match=r"input 0 \(shape \(3,\), dtype int64\) does not "
                                           "require grad; only floating-point"):
        tg.grad(tg.ones(1, requires_grad=True).sum(), tg.arange(3))
    with pytest.raises(TypeError, match="floating-point.*int64"):
        tg.jacobian(lambda x: x * 2, tg.arange(3))


def test_in_place_change_of_a_saved_tensor_names_the_operation():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    y = h.sin()  # Sin saves its input
    with tg.no_grad():
        h.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"Sin's input 0 \(2,\) was saved for backward and then "
                                           r"modified in place \(its version is 1, expected 0\)"):
        y.sum().backward()
    e = x.exp()  # Exp saves its output
    e += 1.0
    with pytest.raises(RuntimeError, match=r"Exp's output \(2,\) was saved .* modified in place"):
        e.sum().backward()


def test_in_place_on_a_leaf_that_requires_grad_outside_no_grad():
    w = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"leaf tensor \(3,\) that requires grad.*no_grad"):
        w += 1.0
    with pytest.raises(RuntimeError, match="leaf tensor"):
        w[0] = 5.0


def test_mixing_devices_names_both_devices():
    a, b = tg.ones(2), tg.ones(2)
    b._device = "cuda:0"  # a fake second device: the check is on the device string
    with pytest.raises(RuntimeError, match="cpu and cuda:0"):
        a + b
    with pytest.raises(RuntimeError, match="cpu and cuda:0"):
        _ = a < b
    with pytest.raises(RuntimeError, match="cpu and cuda:0"):
        tg.cat([a, b])


@pytest.mark.skipif(backend.cuda_available(), reason="a GPU is present: cuda works here")
def test_cuda_without_cupy_or_gpu_says_what_is_missing():
    missing = "CuPy, which is not installed" if backend._cupy is None else "sees no CUDA GPU"
    with pytest.raises(RuntimeError, match=rf"device 'cuda'.*{missing}"):
        tg.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match=rf"'cuda:1'.*{missing}"):
        tg.ones(2).to("cuda:1")


def test_bad_device_strings():
    with pytest.raises(ValueError, match=r"bad device 'tpu'; expected 'cpu', 'cuda' or 'cuda:N'"):
        tg.zeros(2, device="tpu")
    with pytest.raises(ValueError, match="bad device 'cuda:x'"):
        tg.tensor([1.0], device="cuda:x")
    # .to("gpu") may be a device mistake: the message names both (it used to list dtypes only)
    with pytest.raises(TypeError, match=r"to: 'gpu' is neither a dtype .* nor a device \('cpu', "
                                        r"'cuda' or 'cuda:N'\)"):
        tg.ones(2).to("gpu")
    assert tg.ones(2).to("double").dtype == tg.float64 and tg.ones(2).to("cpu").device == "cpu"


@pytest.mark.parametrize("dtype", ["float128", "floatt32", "complex64", np.complex128, "str"])
def test_unknown_dtype(dtype):
    with pytest.raises(TypeError, match=r"(unknown|unsupported) dtype .*expected one of"):
        tg.zeros(2, dtype=dtype)
    with pytest.raises(TypeError, match="dtype"):
        tg.tensor([1.0], dtype=dtype)
    with pytest.raises(TypeError, match="dtype"):
        tg.ones(2).to(dtype)


def test_unsupported_data():
    with pytest.raises(TypeError, match="cannot make a Tensor from"):
        tg.tensor("hello")
    with pytest.raises(TypeError, match="unsupported dtype complex128"):
        tg.tensor(np.array([1j]))
    with pytest.raises(TypeError, match="unsupported operand type.*str"):
        tg.ones(2) + "a"


def test_reshape_errors_name_shape_and_size():
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\) "
                                         r"\(6 elements\) into \(4,\)"):
        tg.ones(2, 3).reshape(4)
    with pytest.raises(ValueError, match="cannot reshape"):
        tg.ones(2, 3).view(-1, 4)


def test_cat_stack_split_errors():
    with pytest.raises(ValueError, match=r"cat: shapes \[\(2, 3\), \(2, 4\)\] differ outside "
                                         "dimension 0"):
        tg.cat([tg.ones(2, 3), tg.ones(2, 4)])
    with pytest.raises(ValueError, match="non-empty"):
        tg.cat([])
    with pytest.raises(IndexError, match="dim 2 out of range for 2 dimensions"):
        tg.cat([tg.ones(2, 3), tg.ones(2, 3)], dim=2)
    with pytest.raises(ValueError, match="zero-dimensional"):
        tg.cat([tg.tensor(1.0), tg.tensor(2.0)])
    with pytest.raises(ValueError, match=r"stack: all tensors need the same shape, got "
                                         r"\[\(2,\), \(3,\)\]"):
        tg.stack([tg.ones(2), tg.ones(3)])
    with pytest.raises(ValueError, match=r"sections \[1, 1\] do not sum to dimension 0's size 3"):
        tg.ones(3).split([1, 1])
    with pytest.raises(ValueError, match="size must be positive"):
        tg.ones(3).split(0)
    with pytest.raises(ValueError, match="chunk: chunks must be a positive int, got 0"):
        tg.ones(3).chunk(0)  # was a ZeroDivisionError


def test_flatten_with_start_after_end_is_an_error():
    with pytest.raises(ValueError, match="start_dim 2 comes after end_dim 1"):
        tg.ones(2, 3, 4).flatten(2, 1)  # was a silent reshape to (2, 3, 1, 4)
    assert tg.ones(2, 3, 4).flatten(1, -1).shape == (2, 12)
    with pytest.raises(IndexError, match="flatten: dim 5 out of range for 3 dimensions"):
        tg.ones(2, 3, 4).flatten(5)  # wrapped around to dim 2 silently
    with pytest.raises(ValueError, match=r"permute: \(0, 5\) is not a permutation of 2"):
        tg.ones(2, 3).permute(0, 5)  # was taken as permute(0, 1)
    assert tg.ones(2, 3).permute(-1, 0).shape == (3, 2)


def test_pad_errors():
    with pytest.raises(ValueError, match=r"pad: \(1,\) needs an even length of at most 2 \* 2"):
        tg.ones(2, 2).pad((1,))
    with pytest.raises(ValueError, match=r"pad: \(1, 1, 1, 1, 1, 1\) needs"):
        tg.ones(2, 2).pad((1, 1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match="negative padding"):
        tg.ones(2, 2).pad((-1, 0))


def test_indexing_out_of_range_names_the_shape():
    x = tg.ones(3, 2)
    with pytest.raises(IndexError, match=r"shape \(3, 2\)"):
        x[5]
    with pytest.raises(IndexError, match=r"shape \(3, 2\)"):
        x[tg.tensor([0, 7])]
    with pytest.raises(IndexError, match=r"shape \(3, 2\)"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="integer or bool, got float"):
        x[tg.tensor([0.5])]


def test_a_mask_of_the_wrong_shape_is_an_error():
    """As NumPy and torch. A too-short mask used to select silently (x[[True]] gave x[0:1])."""
    x = tg.ones(2, 3)
    with pytest.raises(IndexError, match=r"mask of shape \(1,\) does not match the dimensions "
                                         r"\(2,\) it indexes in a tensor of shape \(2, 3\)"):
        x[tg.tensor([True])]
    with pytest.raises(IndexError, match=r"mask of shape \(2,\) does not match .* \(3,\)"):
        x[..., tg.tensor([True, False])]
    with pytest.raises(IndexError, match="mask of shape"):
        x[tg.tensor([True, False, True])] = 0.0
    assert x[:, tg.tensor([True, False, True])].shape == (2, 2)
    assert x[None, tg.tensor([True, False])].shape == (1, 1, 3)
    assert x[x > 0].shape == (6,)


def test_axis_errors():
    with pytest.raises(IndexError, match="axis 2 is out of range for a tensor with 2 dimension"):
        tg.ones(2, 3).sum(dim=2)
    with pytest.raises(ValueError, match="repeats a dimension"):
        tg.ones(2, 3).sum(axis=(1, -1))
    with pytest.raises(TypeError, match="either axis or dim"):
        tg.ones(2, 3).sum(axis=0, dim=1)
    with pytest.raises(ValueError, match=r"permute: \(0, 0\) is not a permutation of 2"):
        tg.ones(2, 3).permute(0, 0)
    with pytest.raises(IndexError, match="unsqueeze: dim 3 out of range"):
        tg.ones(2).unsqueeze(3)
    with pytest.raises(ValueError, match=r"max\(\) of an empty reduction"):
        tg.ones(0, 3).max(dim=0)


def test_grad_argument_errors():
    x = tg.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="2 outputs but 1 grad_outputs"):
        tg.grad([x * 2, x * 3], x, grad_outputs=[tg.ones(2)])
    with pytest.raises(TypeError, match="inputs must be a Tensor or a tuple of Tensors, got "
                                        "ndarray"):
        tg.grad((x * 2).sum(), np.ones(2))
    with pytest.raises(RuntimeError, match=r"hvp: v has shapes \[\(3,\)\], expected \[\(2,\)\]"):
        tg.hvp(lambda t: (t * t).sum(), x, tg.ones(3))
    with pytest.raises(RuntimeError, match="hessian: func must return a single tensor with one"):
        tg.hessian(lambda t: t * t, x)


def test_scalar_conversions_of_many_elements():
    with pytest.raises(ValueError, match=r"item\(\) needs a tensor with one element, got shape "
                                         r"\(2,\)"):
        tg.ones(2).item()
    with pytest.raises(RuntimeError, match="truth value of a tensor with 2 elements is ambiguous"):
        bool(tg.ones(2))
    with pytest.raises(ValueError, match="one element"):
        float(tg.ones(2))
    with pytest.raises(TypeError, match="only 0-d integer tensors can be used as a Python index"):
        [1, 2][tg.tensor(1.0)]
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{tg.ones(2):.2f}"


def test_python_scalar_conversions_of_one_element():
    """float(loss), int(t), f"{loss:.3f}" and list[index_tensor] work, as in torch (they were
    TypeErrors)."""
    assert float(tg.tensor([2.5])) == 2.5 and isinstance(float(tg.tensor(2.5)), float)
    assert int(tg.tensor(3.7)) == 3 and int(tg.tensor([4])) == 4
    assert [10, 20, 30][tg.tensor(1)] == 20 and list(range(tg.tensor(3))) == [0, 1, 2]
    assert f"{tg.tensor(2.5, dtype='float64'):.3f}" == "2.500"
    assert f"{tg.tensor(1.0)}" == repr(tg.tensor(1.0))
    # and so does a tensor made from a list of 0-d tensors (as torch.tensor([t1, t2]))
    assert tg.tensor([tg.tensor(1.0), tg.tensor(2.0)]).tolist() == [1.0, 2.0]


def test_factory_errors():
    with pytest.raises(ValueError, match="size must be non-negative integers"):
        tg.zeros(-1, 2)
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        tg.arange(0, 5, 0)  # was a ZeroDivisionError
    with pytest.raises(TypeError, match="randn: dtype must be floating point, got int64"):
        tg.randn(2, dtype="int64")  # rand used to return zeros silently
    with pytest.raises(TypeError, match="rand: dtype must be floating point"):
        tg.rand(2, dtype="int32")
    with pytest.raises(ValueError, match=r"randint: high \(2\) must be greater than low \(5\)"):
        tg.randint(5, 2, size=(3,))
    with pytest.raises(ValueError, match="clamp: give at least one of min and max"):
        tg.ones(2).clamp()
    with pytest.raises(ValueError, match="gelu: approximate must be"):
        tg.ones(2).gelu(approximate="fast")
    with pytest.raises(ValueError, match="norm: unsupported order p='max'"):
        tg.ones(2).norm(p="max")


def test_full_takes_its_dtype_from_the_fill_value():
    """As torch: an int fill gives int64, a bool fill bool (both were float32)."""
    assert tg.full((2,), 3).dtype == tg.int64 and tg.full((2,), 3).tolist() == [3, 3]
    assert tg.full((2,), True).dtype == tg.bool
    assert tg.full((2,), 3.0).dtype == tg.float32
    assert tg.full((2,), 3, dtype="float64").dtype == tg.float64


def test_transpose_and_expand_dim_errors():
    with pytest.raises(IndexError, match="transpose: dim 2 out of range for 2 dimensions"):
        tg.ones(2, 3).transpose(0, 2)  # was "list index out of range"
    assert tg.tensor(1.0).transpose(0, -1).shape == ()
    with pytest.raises(ValueError, match=r"expand: cannot expand shape \(2,\) to \(-1, 2\)"):
        tg.ones(2).expand(-1, 2)  # a -1 in a new leading dimension was silently taken as 2
    with pytest.raises(ValueError, match="expand: cannot expand shape"):
        tg.ones(2, 3).expand(3)
    assert tg.ones(2, 1).expand(3, -1, 4).shape == (3, 2, 4)
