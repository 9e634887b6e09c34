"""Elementwise math, rounding, division, activations, tests and logic.

``PointwiseMethods`` gathers the methods (math in ``pointwise_math``, tests/comparisons/logic/bit
operations in ``pointwise_logic``), adds the activation methods torch has on tensors and the
in-place forms (``x.clamp_()``, ``x.relu_()``, ...), and this module holds the ``tg.X`` function
forms that torch has at its top level.

In-place forms are built once, generically: the result is computed out of place from the
tensor's current value and written back through ``Tensor.copy_``, which records the write in the
graph when there is one and writes the memory in place otherwise (e.g. under ``no_grad``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .pointwise_logic import LogicMethods
from .pointwise_math import MathMethods

if TYPE_CHECKING:
    from ..tensor import Tensor


class PointwiseMethods(MathMethods, LogicMethods):
    """Mixin of ``Tensor``: elementwise math, rounding, division, activations, tests and logic."""

    __slots__ = ()

    def neg(self) -> Tensor:
        """-x (torch's named form of unary minus)."""
        return -self

    def negative(self) -> Tensor:
        """-x (torch's named form of unary minus)."""
        return -self

    def absolute(self) -> Tensor:
        """|x| (torch's alias of ``abs``)."""
        return self.abs()

    # --------------------------------------------------- activations torch has as methods
    def hardshrink(self, lambd: float = 0.5) -> Tensor:
        """x where |x| > lambd, else 0."""
        from ..nn.functional.activation import hardshrink

        return hardshrink(self, lambd)

    def prelu(self, weight: Tensor) -> Tensor:
        """x for x > 0, ``weight * x`` otherwise (``weight``: one value or one per channel)."""
        from ..nn.functional.activation import prelu

        return prelu(self, weight)

    # -------------------------------------------------------------------- in place
    def _inplace_source(self) -> Tensor:
        """The current value as a separate handle, to compute an in-place op's result from."""
        return self._snapshot()

    def _inplace_result(self, new: Tensor, name: str) -> Tensor:
        """Write ``new`` (computed out of place) into ``self``: through ``copy_``, so it is
        recorded in the graph when one is involved and done in the memory otherwise."""
        if tuple(new.shape) != tuple(self.shape):
            raise RuntimeError(f"{name}_: the result has shape {tuple(new.shape)} but the tensor "
                               f"written into has {tuple(self.shape)} (an in-place op cannot "
                               "broadcast its own tensor)")
        if not np.can_cast(new.dtype, self.dtype, "same_kind"):
            raise RuntimeError(f"{name}_: the result type {new.dtype} can't be cast to the "
                               f"tensor's dtype {self.dtype}")
        return self.copy_(new)


def _inplace(name: str) -> Callable[..., Tensor]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        new = getattr(self._inplace_source(), name)(*args, **kwargs)
        return self._inplace_result(new, name)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place ``{name}``: ``x.{name}_(...)`` writes ``x.{name}(...)`` into x."
    return method


# Tensor methods with an in-place form in torch (``div_``/``add_``/... are in tensor.py)
_INPLACE = [
    "abs", "absolute", "neg", "negative", "exp", "log", "sqrt", "sin", "cos", "tan", "tanh",
    "sigmoid", "relu", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
    "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "atan2", "arctan2", "exp2",
    "expm1", "log2", "log10", "log1p", "rsqrt", "reciprocal", "square", "sign", "sgn", "floor",
    "ceil", "round", "trunc", "fix", "frac", "erf", "erfc", "erfinv", "lgamma", "digamma",
    "polygamma", "mvlgamma", "clamp", "clip",
    "clamp_min", "clamp_max", "nan_to_num", "pow", "fmod", "remainder", "floor_divide",
    "divide", "true_divide", "lerp", "hypot", "eq", "ne", "lt", "le", "gt", "ge", "greater",
    "greater_equal", "less", "less_equal", "not_equal", "logical_and", "logical_or",
    "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "bitwise_left_shift", "bitwise_right_shift",
]
for _name in _INPLACE:
    setattr(PointwiseMethods, _name + "_", _inplace(_name))


# ---------------------------------------------------------------------- tg.X function forms
def _as_tensor(input: Any, args: tuple) -> Tensor:  # noqa: A002 - torch's argument name
    """The Tensor to call the method on: ``input``, or made from it on the device and in the
    way of a Tensor second argument (``tg.remainder(5, t)``)."""
    from ..tensor import Tensor

    if isinstance(input, Tensor):
        return input
    if args and isinstance(args[0], Tensor):
        return args[0]._operand(input)
    return Tensor(input)


def _function(name: str, doc: str) -> Callable[..., Any]:
    def f(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - torch's name
        return getattr(_as_tensor(input, args), name)(*args, **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


_FUNCTIONS = {
    "tan": "Tangent.", "asin": "Inverse sine.", "acos": "Inverse cosine.",
    "atan": "Inverse tangent.", "sinh": "Hyperbolic sine.", "cosh": "Hyperbolic cosine.",
    "asinh": "Inverse hyperbolic sine.", "acosh": "Inverse hyperbolic cosine.",
    "atanh": "Inverse hyperbolic tangent.", "arcsin": "Alias of asin.",
    "arccos": "Alias of acos.", "arctan": "Alias of atan.", "arcsinh": "Alias of asinh.",
    "arccosh": "Alias of acosh.", "arctanh": "Alias of atanh.",
    "atan2": "atan2(input, other): the angle of the point (other, input).",
    "arctan2": "Alias of atan2.", "exp2": "2 ** x.", "expm1": "e^x - 1, exact for small x.",
    "log2": "Base-2 logarithm.", "log10": "Base-10 logarithm.",
    "log1p": "log(1 + x), exact for small x.", "rsqrt": "1 / sqrt(x).",
    "reciprocal": "1 / x.", "square": "x * x.", "sign": "The sign, -1, 0 or 1.",
    "sgn": "The sign (sign for real tensors).", "erf": "The error function.",
    "erfc": "The complementary error function.", "erfinv": "The inverse error function.",
    "lgamma": "log |Gamma(x)|.", "digamma": "d/dx lgamma(x).",
    "mvlgamma": "mvlgamma(input, p): the multivariate log-gamma.",
    "negative": "-x.", "absolute": "|x|.",
    "floor": "Round down.", "ceil": "Round up.", "round": "Round half to even (decimals=).",
    "trunc": "Round toward zero.", "fix": "Alias of trunc.", "frac": "x - trunc(x).",
    "fmod": "fmod(input, other): remainder with the dividend's sign.",
    "remainder": "remainder(input, other): Python's modulo, the divisor's sign.",
    "floor_divide": "floor_divide(input, other): input // other.",
    "div": "div(input, other, rounding_mode=None|'trunc'|'floor').",
    "divide": "Alias of div.", "true_divide": "input / other.",
    "lerp": "lerp(input, end, weight): input + weight (end - input).",
    "hypot": "sqrt(input^2 + other^2).", "logaddexp": "log(e^input + e^other).",
    "logaddexp2": "log2(2^input + 2^other).", "clamp_min": "max(input, min).",
    "clamp_max": "min(input, max).", "nan_to_num": "Replace NaN and infinities.",
    "isnan": "True where NaN.", "isinf": "True where infinite.",
    "isfinite": "True where finite.", "isposinf": "True where +inf.",
    "isneginf": "True where -inf.", "isclose": "Elementwise closeness (rtol, atol, equal_nan).",
    "allclose": "True when all elements are close (a Python bool).",
    "equal": "True when shapes and elements are equal (a Python bool).",
    "eq": "input == other.", "ne": "input != other.", "lt": "input < other.",
    "le": "input <= other.", "gt": "input > other.", "ge": "input >= other.",
    "greater": "Alias of gt.", "greater_equal": "Alias of ge.", "less": "Alias of lt.",
    "less_equal": "Alias of le.", "not_equal": "Alias of ne.",
    "logical_and": "Both nonzero.", "logical_or": "Either nonzero.",
    "logical_xor": "Exactly one nonzero.", "logical_not": "Zero.",
    "bitwise_and": "input & other.", "bitwise_or": "input | other.",
    "bitwise_xor": "input ^ other.", "bitwise_not": "~input.",
    "bitwise_left_shift": "input << other.", "bitwise_right_shift": "input >> other.",
    "hardshrink": "x where |x| > lambd, else 0.",
    "prelu": "prelu(input, weight): x for x > 0, weight * x otherwise.",
}
# torch's top-level in-place functions (torch.relu_(x), torch.clamp_(x, 0, 1), ...)
_FUNCTIONS_INPLACE = [
    "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin",
    "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "exp2", "expm1", "log2", "log10",
    "log1p", "rsqrt", "reciprocal", "square", "floor", "ceil", "round", "trunc", "fix", "frac",
    "erf", "erfc", "relu", "sigmoid", "tanh", "exp", "log", "sqrt", "abs", "neg", "negative",
    "clamp", "clip", "clamp_min", "clamp_max", "nan_to_num",
]
for _name, _doc in _FUNCTIONS.items():
    globals()[_name] = _function(_name, _doc)
for _name in _FUNCTIONS_INPLACE:
    globals()[_name + "_"] = _function(_name + "_", f"In-place {_name}, written into input.")


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """scale * elu(x, alpha), the self-normalising activation."""
    from ..nn.functional.activation import selu as f

    return f(input)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x for x > 0, alpha (e^(x / alpha) - 1) otherwise."""
    from ..nn.functional.activation import celu as f

    return f(input, alpha)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """x where x > threshold, else value."""
    from ..nn.functional.activation import threshold as f

    return f(input, threshold, value)


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """selu, written into input."""
    from ..nn.functional.activation import selu_ as f

    return f(input)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """celu, written into input."""
    from ..nn.functional.activation import celu_ as f

    return f(input, alpha)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """threshold, written into input."""
    from ..nn.functional.activation import threshold_ as f

    return f(input, threshold, value)


def polygamma(n: int, input: Any) -> Tensor:  # noqa: A002
    """The n-th derivative of digamma, in torch's argument order (the order first)."""
    return _as_tensor(input, ()).polygamma(n)


__all__: list[str] = (list(_FUNCTIONS) + [n + "_" for n in _FUNCTIONS_INPLACE]
                      + ["selu", "celu", "threshold", "selu_", "celu_", "threshold_",
                         "polygamma"])
