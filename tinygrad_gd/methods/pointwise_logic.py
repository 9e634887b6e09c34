"""Elementwise tests, comparisons, logic and bit operations of ``Tensor``: none has a gradient.

``isnan``/``isinf``/``isfinite``/``isposinf``/``isneginf``/``isclose`` give bool tensors,
``allclose`` and ``equal`` Python bools; the comparison methods (``eq``, ``lt``, ...) are the
operators' named forms; ``logical_*`` treat any nonzero as True; ``bitwise_*`` and the shifts
work on integer and bool tensors and refuse floats, as torch does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend

if TYPE_CHECKING:
    from ..tensor import Tensor


def _nd(x: Any) -> Any:
    """NumPy gives scalars for 0-d results; a Tensor holds arrays."""
    return np.asarray(x) if isinstance(x, np.generic) else x


class LogicMethods:
    """Mixin of ``Tensor``: tests, comparisons, logical and bitwise operations."""

    __slots__ = ()

    # ------------------------------------------------------------------------- tests
    def _test(self, fn: Any, default: bool) -> Tensor:
        if not backend.is_floating(self.dtype):  # integers are never NaN nor infinite
            return self._const(self.xp.full(self.shape, default, dtype=bool))
        return self._const(_nd(fn(self.data)))

    def isnan(self) -> Tensor:
        """True where the element is NaN."""
        return self._test(self.xp.isnan, False)

    def isinf(self) -> Tensor:
        """True where the element is +inf or -inf."""
        return self._test(self.xp.isinf, False)

    def isposinf(self) -> Tensor:
        """True where the element is +inf."""
        return self._test(lambda a: a == float("inf"), False)

    def isneginf(self) -> Tensor:
        """True where the element is -inf."""
        return self._test(lambda a: a == float("-inf"), False)

    def isfinite(self) -> Tensor:
        """True where the element is neither NaN nor infinite."""
        return self._test(self.xp.isfinite, True)

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Tensor:
        """True where ``|self - other| <= atol + rtol |other|`` (broadcasting); infinities
        match themselves, NaNs match only with ``equal_nan=True``. Both need one dtype, as in
        torch.

        >>> import tinygrad_gd as tg
        >>> tg.tensor([1.0, 2.0]).isclose(tg.tensor([1.0 + 1e-7, 2.1])).tolist()
        [True, False]
        """
        other = self._operand(other)
        if other.dtype != self.dtype:
            raise TypeError(f"isclose: both tensors need one dtype (as torch), got {self.dtype} "
                            f"and {other.dtype}")
        if other._device != self._device:
            raise RuntimeError(f"isclose of tensors on {self._device} and {other._device}")
        if rtol < 0 or atol < 0:
            raise ValueError(f"isclose: rtol and atol must be non-negative, got {rtol} and {atol}")
        xp = self.xp
        try:
            if self.dtype.kind == "b":  # NumPy cannot subtract bools: closeness is equality
                out = self.data == other.data
            else:
                out = xp.isclose(self.data, other.data, rtol=rtol, atol=atol, equal_nan=equal_nan)
        except ValueError:
            raise ValueError(f"isclose: shapes {tuple(self.shape)} and {tuple(other.shape)} do "
                             "not broadcast") from None
        return self._const(_nd(out))

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        """True when every element ``isclose`` (a Python bool)."""
        return bool(self.isclose(other, rtol, atol, equal_nan).data.all())

    def equal(self, other: Any) -> bool:
        """True when both have one shape and equal elements (a Python bool)."""
        other = self._operand(other)
        if tuple(self.shape) != tuple(other.shape):
            return False
        return bool((self == other).data.all())

    # -------------------------------------------------------------------- comparisons
    def _cmp(self, other: Any, op: str) -> Tensor:
        if other is None or isinstance(other, str):
            raise TypeError(f"{op.strip('_')}: cannot compare a tensor with "
                            f"{type(other).__name__}")
        return getattr(self, op)(other)

    def eq(self, other: Any) -> Tensor:
        """``self == other`` elementwise (bool, no gradient)."""
        return self._cmp(other, "__eq__")

    def ne(self, other: Any) -> Tensor:
        """``self != other`` elementwise."""
        return self._cmp(other, "__ne__")

    def lt(self, other: Any) -> Tensor:
        """``self < other`` elementwise."""
        return self._cmp(other, "__lt__")

    def le(self, other: Any) -> Tensor:
        """``self <= other`` elementwise."""
        return self._cmp(other, "__le__")

    def gt(self, other: Any) -> Tensor:
        """``self > other`` elementwise."""
        return self._cmp(other, "__gt__")

    def ge(self, other: Any) -> Tensor:
        """``self >= other`` elementwise."""
        return self._cmp(other, "__ge__")

    not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge

    # ------------------------------------------------------------------------ logic
    def _logical(self, other: Any, ufunc: str) -> Tensor:
        other = self._operand(other)
        if other._device != self._device:
            raise RuntimeError(f"{ufunc} of tensors on {self._device} and {other._device}")
        try:
            return self._const(_nd(getattr(self.xp, ufunc)(self.data, other.data)))
        except ValueError:
            raise ValueError(f"{ufunc}: shapes {tuple(self.shape)} and {tuple(other.shape)} do "
                             "not broadcast") from None

    def logical_and(self, other: Any) -> Tensor:
        """True where both are nonzero."""
        return self._logical(other, "logical_and")

    def logical_or(self, other: Any) -> Tensor:
        """True where either is nonzero."""
        return self._logical(other, "logical_or")

    def logical_xor(self, other: Any) -> Tensor:
        """True where exactly one is nonzero."""
        return self._logical(other, "logical_xor")

    # ---------------------------------------------------------------------- bitwise
    def bitwise_and(self, other: Any) -> Tensor:
        """``self & other`` (integer or bool tensors)."""
        return self & other

    def bitwise_or(self, other: Any) -> Tensor:
        """``self | other`` (integer or bool tensors)."""
        return self | other

    def bitwise_xor(self, other: Any) -> Tensor:
        """``self ^ other`` (integer or bool tensors)."""
        return self ^ other

    def bitwise_not(self) -> Tensor:
        """``~self``: bits flipped (integers), logical not (bools)."""
        return ~self

    def bitwise_left_shift(self, other: Any) -> Tensor:
        """``self << other``, integers only (bools shift as int64, as torch)."""
        return self._shift(other, "left_shift")

    def bitwise_right_shift(self, other: Any) -> Tensor:
        """``self >> other`` (arithmetic shift), integers only."""
        return self._shift(other, "right_shift")

    def _shift(self, other: Any, ufunc: str, reflected: bool = False) -> Tensor:
        from ..tensor import _promote

        other = self._operand(other)
        a, b = (other, self) if reflected else (self, other)
        for t in (a, b):
            if t.dtype.kind not in "biu":
                raise TypeError(f"bitwise_{ufunc}: needs integer tensors, got dtype {t.dtype}")
        if a._device != b._device:
            raise RuntimeError(f"bitwise_{ufunc} of tensors on {a._device} and {b._device}")
        if a.dtype.kind == "b" or b.dtype.kind == "b" or a.dtype != b.dtype:
            a, b = _promote(a, b)
            if a.dtype.kind == "b":  # two bools: torch shifts them as int64
                a, b = a.long(), b.long()
        try:
            return a._const(_nd(getattr(a.xp, ufunc)(a.data, b.data)))
        except ValueError:
            raise ValueError(f"bitwise_{ufunc}: shapes {tuple(a.shape)} and {tuple(b.shape)} "
                             "do not broadcast") from None

    def __lshift__(self, other: Any) -> Tensor:
        return self._shift(other, "left_shift")

    def __rlshift__(self, other: Any) -> Tensor:
        return self._shift(other, "left_shift", reflected=True)

    def __rshift__(self, other: Any) -> Tensor:
        return self._shift(other, "right_shift")

    def __rrshift__(self, other: Any) -> Tensor:
        return self._shift(other, "right_shift", reflected=True)
