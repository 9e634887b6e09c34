"""Property-test your own functions and layers the way tinygrad_gd tests its operations.

Hypothesis (a dev dependency, ``pip install hypothesis``) draws shapes and values; this module
gives the strategies and one assertion:

- ``shapes(...)``: tensor shapes, 0-d and size-1 dimensions included (where bugs live);
- ``broadcastable_shapes(...)``: tuples of shapes that broadcast together;
- ``tensors(...)``: Tensors of a drawn (or given) shape, float64 by default;
- ``assert_gradcheck(func, inputs)``: compare autodiff with central differences, to first and
  second order, raising ``AssertionError`` with the name of the input, the worst element and both
  values when they disagree;
- ``assert_close(actual, expected)``: torch.testing's comparison (tolerances by dtype, shapes and
  dtypes checked, the worst element named).

Hypothesis is imported inside the functions, so ``import tinygrad_gd`` never needs it.

A worked example: a user checks the gradient of their own smooth activation over every shape::

    import tinygrad_gd as tg
    from hypothesis import given, settings
    from tinygrad_gd.testing import assert_gradcheck, tensors

    def swish(x):
        return x * x.sigmoid()

    @settings(max_examples=20, deadline=None)
    @given(tensors(min_value=-3, max_value=3, requires_grad=True))
    def test_swish_gradients(x):
        assert_gradcheck(swish, x)       # first and second derivatives, in float64

And a binary function over shapes that broadcast (the gradient of the smaller input is summed
over the broadcast dimensions, which is the part most often gotten wrong)::

    from hypothesis import strategies as st
    from tinygrad_gd.testing import broadcastable_shapes

    @given(st.data())
    def test_weighted_difference(data):
        sa, sb = data.draw(broadcastable_shapes(2))
        a = data.draw(tensors(sa, requires_grad=True))
        b = data.draw(tensors(sb, requires_grad=True))
        assert_gradcheck(lambda a, b: (a - b) * b.tanh(), (a, b))

Run it with ``pytest`` as any Hypothesis test. Keep shapes small: a gradient check evaluates the
function twice per input element (and gradgradcheck once more per output element).

>>> from tinygrad_gd.testing import assert_gradcheck
>>> import tinygrad_gd as tg
>>> assert_gradcheck(lambda x: (x * x.sigmoid()).sum(), tg.randn(4, dtype="float64"))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import backend
from .gradcheck import gradcheck, gradgradcheck
from .tensor import Tensor

__all__ = ["shapes", "broadcastable_shapes", "tensors", "assert_gradcheck", "assert_close"]


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """A strategy for shapes: tuples of ``min_dims..max_dims`` sides in ``min_side..max_side``.

    The defaults include the 0-d shape ``()`` and size-1 dimensions; Hypothesis shrinks failures
    towards them.

    >>> from hypothesis import given
    >>> from tinygrad_gd.testing import shapes
    >>> @given(shapes(max_dims=2))
    ... def check(shape):
    ...     assert len(shape) <= 2 and all(1 <= s <= 4 for s in shape)
    >>> check()
    """
    from hypothesis.extra import numpy as hnp

    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(shape_or_n: int | tuple[int, ...] = 2, *, n: int | None = None,
                         min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
                         max_side: int = 4):
    """A strategy for tuples of shapes that broadcast together (NumPy's rules).

    - ``broadcastable_shapes(3)``: 3 mutually broadcastable shapes, e.g. ``((2, 1), (3, 1, 4), ())``
    - ``broadcastable_shapes((2, 3))``: pairs ``((2, 3), other)`` where ``other`` broadcasts with
      ``(2, 3)``; ``n=3`` gives ``((2, 3), other1, other2)``.

    0-d shapes, size-1 dimensions and differing numbers of dimensions all occur.

    >>> import numpy as np
    >>> from hypothesis import given
    >>> from tinygrad_gd.testing import broadcastable_shapes
    >>> @given(broadcastable_shapes(2))
    ... def check(pair):
    ...     np.broadcast_shapes(*pair)   # raises if they do not broadcast
    >>> check()
    """
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    if isinstance(shape_or_n, (int, np.integer)) and not isinstance(shape_or_n, bool):
        if n is not None:
            raise TypeError("broadcastable_shapes: give the count once (positionally or as n=)")
        count = int(shape_or_n)
        if count < 1:
            raise ValueError(f"broadcastable_shapes: need at least 1 shape, got {count}")
        return hnp.mutually_broadcastable_shapes(
            num_shapes=count, min_dims=min_dims, max_dims=max_dims, min_side=min_side,
            max_side=max_side).map(lambda b: tuple(b.input_shapes))
    base = tuple(int(s) for s in shape_or_n)
    count = 2 if n is None else int(n)
    if count < 2:
        raise ValueError(f"broadcastable_shapes: n counts the given shape too, so n >= 2, got {n}")
    others = hnp.mutually_broadcastable_shapes(
        num_shapes=count - 1, base_shape=base, min_dims=min_dims,
        max_dims=max(max_dims, len(base)), min_side=min_side, max_side=max_side)
    return st.tuples(st.just(base), others).map(lambda t: (t[0],) + tuple(t[1].input_shapes))


def tensors(shape: Any = None, dtype: Any = "float64", *, elements: Any = None,
            min_value: float = -3.0, max_value: float = 3.0, device: str = "cpu",
            requires_grad: bool = False, unique: bool = False):
    """A strategy for Tensors.

    ``shape``: a tuple, a strategy of tuples, or None for ``shapes()``. Values are finite floats
    in ``[min_value, max_value]`` (ints for integer dtypes, True/False for bool) unless
    ``elements`` (a strategy for one value) is given. ``unique=True`` draws distinct values (useful
    to keep ``max`` and ``sort``-like functions away from ties). ``requires_grad`` applies to
    floating dtypes.

    >>> from hypothesis import given
    >>> from tinygrad_gd.testing import tensors
    >>> @given(tensors((2, 3), min_value=0.5, max_value=2.0))
    ... def check(x):
    ...     assert x.shape == (2, 3) and str(x.dtype) == "float64"
    ...     assert (x >= 0.5).all().item() and (x <= 2.0).all().item()
    >>> check()
    """
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    dt = backend.parse_dtype(dtype)
    if elements is None:
        if dt.kind == "f":
            elements = st.floats(min_value=min_value, max_value=max_value, allow_nan=False,
                                 allow_infinity=False, allow_subnormal=False,
                                 width=min(64, 8 * dt.itemsize))
        elif dt.kind in "iu":
            lo = max(int(np.ceil(min_value)), int(np.iinfo(dt).min))
            hi = min(int(np.floor(max_value)), int(np.iinfo(dt).max))
            elements = st.integers(min_value=lo, max_value=hi)
        else:
            elements = st.booleans()
    if shape is None:
        shape = shapes()
    if requires_grad and dt.kind != "f":
        raise TypeError(f"tensors: requires_grad=True needs a floating dtype, got {dt}")
    arrays = hnp.arrays(dt, shape, elements=elements, unique=unique)
    return arrays.map(lambda a: Tensor(a, dtype=dt, device=device, requires_grad=requires_grad))


def assert_gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6,
                     atol: float = 1e-5, rtol: float = 1e-3, check_gradgrad: bool = True,
                     grad_outputs: Any = None) -> None:
    """Assert that ``func``'s autodiff gradients agree with central differences.

    ``inputs`` is a Tensor or a tuple of Tensors. The inputs that require grad are checked; when
    none does, every floating input is (on detached copies: the caller's tensors are not
    changed). With ``check_gradgrad`` (the default) second derivatives are checked too, with
    ``tg.gradgradcheck``. Use float64 inputs: in float32, finite differences are too coarse
    (``tg.gradcheck`` warns).

    Raises ``AssertionError`` (a ``tg.GradcheckError``) whose message names the input, the worst
    element, the analytic and the numerical values.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.testing import assert_gradcheck
    >>> assert_gradcheck(lambda a, b: a * b.exp(), (tg.randn(2, dtype="float64"),
    ...                                             tg.randn(2, dtype="float64")))
    """
    ins = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if not all(isinstance(t, Tensor) for t in ins):
        raise TypeError("assert_gradcheck: inputs must be a Tensor or a tuple of Tensors")
    if not any(t.requires_grad for t in ins):
        ins = tuple(t.detach().requires_grad_() if backend.is_floating(t.dtype) else t
                    for t in ins)
        if not any(t.requires_grad for t in ins):
            raise ValueError("assert_gradcheck: no floating-point input to check")
    gradcheck(func, ins, eps=eps, atol=atol, rtol=rtol, raise_exception=True)
    if check_gradgrad:
        gradgradcheck(func, ins, grad_outputs=grad_outputs, eps=eps, atol=atol, rtol=rtol,
                      raise_exception=True)


# torch.testing's default (rtol, atol) by dtype; other dtypes compare exactly
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: float | None = None, atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False, msg: str | None = None) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close, as
    ``torch.testing.assert_close``: ``|actual - expected| <= atol + rtol * |expected|`` elementwise
    with tolerances picked by dtype when not given, shapes, dtypes and devices equal; Python
    numbers, sequences and mappings are compared element by element.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.testing import assert_close
    >>> assert_close(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.0000001]))
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    if isinstance(expected, dict) or isinstance(actual, dict):
        if not (isinstance(actual, dict) and isinstance(expected, dict)) or \
                set(actual) != set(expected):
            raise AssertionError(msg or f"The keys of the mappings do not match: "
                                 f"{sorted(map(str, actual))} != {sorted(map(str, expected))}")
        for key in expected:
            assert_close(actual[key], expected[key], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_device=check_device, check_dtype=check_dtype, msg=msg)
        return
    if isinstance(expected, (list, tuple)) and not isinstance(actual, Tensor):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            raise AssertionError(msg or f"The length of the sequences do not match: "
                                 f"{len(actual) if hasattr(actual, '__len__') else '-'} != "
                                 f"{len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_device=check_device, check_dtype=check_dtype, msg=msg)
        return
    if isinstance(actual, Tensor) != isinstance(expected, Tensor) and check_dtype:
        raise AssertionError(msg or f"Expected both inputs to be Tensors or both numbers, got "
                             f"{type(actual).__name__} and {type(expected).__name__}")
    a = actual.detach().numpy() if isinstance(actual, Tensor) else np.asarray(actual)
    e = expected.detach().numpy() if isinstance(expected, Tensor) else np.asarray(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: "
                             f"{a.shape} != {e.shape}.")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: "
                             f"{a.dtype} != {e.dtype}.")
    if check_device and isinstance(actual, Tensor) and isinstance(expected, Tensor) \
            and actual.device != expected.device:
        raise AssertionError(msg or f"The values for attribute 'device' do not match: "
                             f"{actual.device} != {expected.device}.")
    if rtol is None:
        rtol, atol = max((_TOLERANCES.get(np.result_type(d).name, (0.0, 0.0))
                          for d in (a.dtype, e.dtype)), key=lambda t: t[0])
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore"):
        diff = np.abs(a64 - e64)
        ok = diff <= atol + rtol * np.abs(e64)
        ok |= a64 == e64  # infinities of one sign
        if equal_nan:
            ok |= np.isnan(a64) & np.isnan(e64)
    if ok.all():
        return
    bad = int((~ok).sum())
    diff = np.where(np.isnan(diff), np.inf, diff)
    worst = np.unravel_index(int(np.argmax(np.where(ok, -1.0, diff))), diff.shape) if diff.ndim \
        else ()
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = diff / np.abs(e64)
    rel = np.where(np.isnan(rel), np.inf, rel)
    worst_rel = np.unravel_index(int(np.argmax(np.where(ok, -1.0, rel))), rel.shape) if rel.ndim \
        else ()
    kind = "Tensor-likes" if isinstance(expected, Tensor) else "Scalars"
    close = "equal" if rtol == 0 and atol == 0 else "close"
    raise AssertionError(msg or (
        f"{kind} are not {close}!\n\nMismatched elements: {bad} / {max(a.size, 1)} "
        f"({100.0 * bad / max(a.size, 1):.1f}%)\n"
        f"Greatest absolute difference: {float(diff[worst])} at index {tuple(map(int, worst))} "
        f"(up to {atol} allowed)\n"
        f"Greatest relative difference: {float(rel[worst_rel])} at index "
        f"{tuple(map(int, worst_rel))} (up to {rtol} allowed)"))
