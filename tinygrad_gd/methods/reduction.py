"""Reductions, scans, sorting and selection (values and indices), with torch's signatures.

``dim``/``keepdim`` are torch's names; ``axis``/``keepdims`` are accepted as aliases. Functions
that give values and indices return torch's named tuples (``tinygrad_gd.return_types``).
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

from .. import backend, return_types
from ..ops import reduce as R
from ..ops import scan as S
from ..ops import sort as O
from ..ops.elementwise import where_const

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = [
    "max", "min", "amax", "amin", "aminmax", "sort", "argsort", "msort", "topk", "kthvalue",
    "median", "nanmedian", "mode", "cumsum", "cumprod", "logcumsumexp", "cummax", "cummin",
    "prod", "nansum", "nanmean", "std_mean", "var_mean", "count_nonzero", "argmax", "argmin",
    "norm", "sum", "mean", "var", "std", "all", "any",
]


def _dim(dim: Any, keepdim: Any, axis: Any, keepdims: Any, empty_is_all: bool = True):
    """torch's ``dim``/``keepdim`` with the ``axis``/``keepdims`` aliases; ``dim=()`` or ``[]``
    means every dimension (as torch's sum and amax)."""
    if axis is not None:
        if dim is not None:
            raise TypeError("pass either axis or dim, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if empty_is_all and isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    return dim, bool(keepdim)


def _axis_alias(fn: Any) -> Any:
    """Accept torch's ``axis=``/``keepdims=`` aliases of ``dim=``/``keepdim=`` (torch's argument
    parser takes them for every reduction) on a method whose signature names only ``dim``."""
    @functools.wraps(fn)
    def method(self: Any, *args: Any, axis: Any = None, keepdims: Any = None,
               **kwargs: Any) -> Any:
        if axis is not None:
            if "dim" in kwargs:
                raise TypeError(f"{fn.__name__}(): pass either axis or dim, not both")
            kwargs["dim"] = axis
        if keepdims is not None:
            kwargs["keepdim"] = keepdims
        return fn(self, *args, **kwargs)
    return method


def _axes(x: Tensor, dim: Any) -> tuple[int, ...]:
    return R.normalize_axis(dim, x.ndim)


def _need_float(x: Tensor, name: str) -> None:
    if not backend.is_floating(x.dtype):
        raise TypeError(f"{name}(): expected a floating-point tensor, got dtype {x.dtype} "
                        "(as torch; pass dtype= or convert with .float())")


def _single_dim(dim: Any, name: str) -> int:
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): dim must be one int, got {dim!r} (for the values over "
                        f"several dims use a{name})")
    return dim


def _nan_mask(x: Tensor) -> Any:
    return backend.xp_of(x.data).isnan(x.data)


class ReductionMethods:
    """Mixin of ``Tensor``: Reductions, scans, sorting and selection (values and indices)."""

    __slots__ = ()

    # ------------------------------------------------------------------- sums and means
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None) -> Tensor:
        """Sum over ``dim`` (an int, a tuple or list; all when None); ``dtype`` casts first.
        Bools and ints sum to int64, as torch."""
        dim, keep = _dim(dim, keepdim, axis, keepdims)
        x = self.to(dtype) if dtype is not None else self
        if not backend.is_floating(x.dtype) and dtype is None and x.dtype != "int64":
            x = x.to("int64")
        return R.sum(x, dim, keep)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None) -> Tensor:
        """Arithmetic mean over ``dim``; integer tensors need ``dtype=`` (as torch)."""
        dim, keep = _dim(dim, keepdim, axis, keepdims)
        x = self.to(dtype) if dtype is not None else self
        _need_float(x, "mean")
        return R.mean(x, dim, keep)

    def nansum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None) -> Tensor:
        """Sum over ``dim`` treating NaN as 0 (no gradient reaches a NaN)."""
        x = self.to(dtype) if dtype is not None else self
        if backend.is_floating(x.dtype):
            x = where_const(~_nan_mask(x), x, 0.0) if _nan_mask(x).any() else x
        return x.sum(dim, keepdim, axis=axis, keepdims=keepdims)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None, axis=None,
                keepdims=None) -> Tensor:
        """Mean over ``dim`` of the elements that are not NaN."""
        x = self.to(dtype) if dtype is not None else self
        _need_float(x, "nanmean")
        count = x._const((~_nan_mask(x)).astype(x.dtype))
        return x.nansum(dim, keepdim, axis=axis, keepdims=keepdims) / count.sum(
            dim, keepdim, axis=axis, keepdims=keepdims)

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None) -> Tensor:
        """Product over ``dim`` (all when None). Ints stay int64; the gradient is exact where
        elements are zero (one or several), to every order.

        >>> import tinygrad_gd as tg
        >>> x = tg.tensor([2.0, 0.0, 3.0], requires_grad=True)
        >>> x.prod().backward()
        >>> x.grad.tolist()
        [0.0, 6.0, 0.0]
        """
        dim, keep = _dim(dim, keepdim, axis, keepdims)
        return S.prod(self, _axes(self, dim), keep, dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None) -> Tensor:
        """Variance over ``dim`` with Bessel's ``correction`` (1 by default; ``unbiased=False``
        means 0), as torch."""
        dim, keep = _dim(dim, keepdim, axis, keepdims)
        _need_float(self, "var")
        return R.var(self, dim, keep, correction=_correction(unbiased, correction))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None) -> Tensor:
        """Standard deviation, ``sqrt(var)``, with ``var``'s arguments."""
        dim, keep = _dim(dim, keepdim, axis, keepdims)
        _need_float(self, "std")
        return R.std(self, dim, keep, correction=_correction(unbiased, correction))

    @_axis_alias
    def count_nonzero(self, dim=None) -> Tensor:
        """How many elements are nonzero over ``dim`` (int64; no gradient)."""
        axes = _axes(self, _dim(dim, False, None, None)[0])
        n = backend.xp_of(self.data).count_nonzero(self.data, axis=axes)
        return self._const(backend.xp_of(self.data).asarray(n, dtype="int64"))

    # ------------------------------------------------------------------ max and min
    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> Any:
        """``max()``: the largest value (0-d; ties share the gradient). ``max(dim)``: the named
        tuple ``(values, indices)`` (the gradient goes to the index). ``max(other)``: maximum.

        >>> import tinygrad_gd as tg
        >>> values, indices = tg.tensor([[1.0, 4.0], [3.0, 2.0]]).max(dim=0)
        >>> values.tolist(), indices.tolist()
        ([3.0, 4.0], [1, 0])
        """
        from ..tensor import Tensor

        if isinstance(dim, Tensor):
            return self.maximum(dim)
        dim, keep = _dim(dim, keepdim, axis, keepdims, empty_is_all=False)
        if dim is None:
            return R.amax(self)
        return return_types.max(O.max_dim(self, _single_dim(dim, "max"), keep))

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> Any:
        """``min()``, ``min(dim)`` -> ``(values, indices)``, ``min(other)``: as ``max``."""
        from ..tensor import Tensor

        if isinstance(dim, Tensor):
            return self.minimum(dim)
        dim, keep = _dim(dim, keepdim, axis, keepdims, empty_is_all=False)
        if dim is None:
            return R.amin(self)
        return return_types.min(O.max_dim(self, _single_dim(dim, "min"), keep, minimum=True))

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> Tensor:
        """Largest values over ``dim`` (an int or tuple; all when None or ``()``); tied elements
        share the gradient evenly."""
        dim, keep = _dim(dim, keepdim, axis, keepdims)
        return R.amax(self, dim, keep)

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> Tensor:
        """Smallest values over ``dim``; tied elements share the gradient evenly."""
        dim, keep = _dim(dim, keepdim, axis, keepdims)
        return R.amin(self, dim, keep)

    @_axis_alias
    def aminmax(self, *, dim=None, keepdim=False) -> Any:
        """The named tuple ``(min, max)`` over ``dim`` (all when None)."""
        if dim is not None:
            _single_dim(dim, "aminmax")
        return return_types.aminmax((R.amin(self, dim, keepdim), R.amax(self, dim, keepdim)))

    # -------------------------------------------------------------- sorting, selection
    @_axis_alias
    def sort(self, dim=-1, descending=False, stable=False) -> Any:
        """The named tuple ``(values, indices)`` sorted along ``dim`` (always stable: ties keep
        their order; NaN sorts as the largest value)."""
        return return_types.sort(O.sort(self, dim, descending))

    @_axis_alias
    def argsort(self, dim=-1, descending=False, stable=False) -> Tensor:
        """The indices that sort along ``dim`` (stable)."""
        axis = S.scan_axis(self, dim, "argsort")
        if self.ndim == 0:
            return self._const(backend.xp_of(self.data).zeros((), dtype="int64"))
        return self._const(O.sort_indices(self.data, axis, descending).astype("int64"))

    def msort(self) -> Tensor:
        """Values sorted along the first dimension."""
        return O.sort(self, 0, False)[0]

    @_axis_alias
    def topk(self, k, dim=-1, largest=True, sorted=True) -> Any:  # noqa: A002 - torch's name
        """The named tuple ``(values, indices)`` of the ``k`` largest (``largest=False``:
        smallest) along ``dim``, in sorted order."""
        return return_types.topk(O.topk(self, k, dim, largest))

    @_axis_alias
    def kthvalue(self, k, dim=-1, keepdim=False) -> Any:
        """The named tuple ``(values, indices)`` of the ``k``-th smallest along ``dim``."""
        return return_types.kthvalue(O.kthvalue(self, k, dim, keepdim))

    @_axis_alias
    def median(self, dim=None, keepdim=False) -> Any:
        """``median()``: the lower median of all elements (0-d; ties share the gradient).
        ``median(dim)``: the named tuple ``(values, indices)``. NaN propagates."""
        if dim is None:
            return O.median_all(self)
        return return_types.median(O.median_dim(self, dim, keepdim))

    @_axis_alias
    def nanmedian(self, dim=None, keepdim=False) -> Any:
        """``median`` ignoring NaN (NaN only where a slice is all NaN)."""
        if dim is None:
            return O.median_all(self, ignore_nan=True, name="nanmedian")
        return return_types.nanmedian(O.median_dim(self, dim, keepdim, True, "nanmedian"))

    @_axis_alias
    def mode(self, dim=-1, keepdim=False) -> Any:
        """The named tuple ``(values, indices)``: the most frequent value along ``dim`` (the
        smallest of equally frequent ones) and the index of its last occurrence."""
        return return_types.mode(O.mode(self, dim, keepdim))

    # ------------------------------------------------------------------------ scans
    def cumsum(self, dim=None, *, dtype=None, axis=None) -> Tensor:
        """Cumulative sum along ``dim`` (bools and ints give int64).

        >>> import tinygrad_gd as tg
        >>> tg.tensor([1, 2, 3]).cumsum(0).tolist()
        [1, 3, 6]
        """
        return S.cumsum(self, _required_dim(dim, axis, "cumsum"), dtype)

    def cumprod(self, dim=None, *, dtype=None, axis=None) -> Tensor:
        """Cumulative product along ``dim``; the gradient is exact at zeros."""
        return S.cumprod(self, _required_dim(dim, axis, "cumprod"), dtype)

    def logcumsumexp(self, dim=None, *, axis=None) -> Tensor:
        """log(cumsum(exp(x))) along ``dim``, stable for any magnitudes."""
        return S.logcumsumexp(self, _required_dim(dim, axis, "logcumsumexp"))

    def cummax(self, dim=None, *, axis=None) -> Any:
        """The named tuple ``(values, indices)`` of the running maximum along ``dim``."""
        return return_types.cummax(O.cummax(self, _required_dim(dim, axis, "cummax")))

    def cummin(self, dim=None, *, axis=None) -> Any:
        """The named tuple ``(values, indices)`` of the running minimum along ``dim``."""
        return return_types.cummin(O.cummax(self, _required_dim(dim, axis, "cummin"), True))

    # ------------------------------------------------------------------------- norms
    def norm(self, p="fro", dim=None, keepdim=False, dtype=None, *, axis=None,
             keepdims=None) -> Tensor:
        """Vector p-norm over ``dim`` (all elements when None): p a number, ``inf``, ``-inf``,
        0 (the count of nonzeros) or ``"fro"`` (the 2-norm); ``"nuc"`` is the nuclear norm of
        a matrix. The gradient at the zero vector is 0."""
        dim, keep = _dim(dim, keepdim, axis, keepdims)
        x = self.to(dtype) if dtype is not None else self
        _need_float(x, "norm")
        if p is None:
            p = "fro"
        if p == "nuc":
            from .. import linalg

            if not hasattr(linalg, "matrix_norm"):
                raise NotImplementedError("norm: p='nuc' needs tg.linalg.matrix_norm")
            dims = (-2, -1) if dim is None else dim
            return linalg.matrix_norm(x, "nuc", dim=dims, keepdim=keep)
        if isinstance(p, str) and p not in ("fro", "inf"):
            raise ValueError(f"norm: unsupported order p={p!r}; use a number, inf, 'fro' or "
                             "'nuc'")
        if p == 0:
            axes = _axes(x, dim)
            count = (x != 0).to(x.dtype).sum(axes, keep)
            return count + (x * 0.0).sum(axes, keep)  # a constant with a zero gradient
        if p == -math.inf:
            return x.abs().amin(dim, keep)
        return R.norm(x, p, dim, keep)


def _correction(unbiased: Any, correction: Any) -> float:
    if unbiased is not None and correction is not None:
        raise TypeError("var/std: pass either unbiased or correction, not both")
    if correction is not None:
        return correction
    return 0 if unbiased is False else 1


def _required_dim(dim: Any, axis: Any, name: str) -> int:
    dim = axis if dim is None else dim
    if dim is None:
        raise TypeError(f"{name}() missing the required argument 'dim'")
    return dim


# --------------------------------------------------------------------- function forms


def _tensor(x: Any) -> Tensor:
    from ..tensor import Tensor

    return x if isinstance(x, Tensor) else Tensor(x)


def _function(name: str, doc: str):
    def f(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - torch's name
        return getattr(_tensor(input), name)(*args, **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


def std_mean(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
             correction: Any = None, axis: Any = None, keepdims: Any = None
             ) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim``, a plain tuple as torch's.

    >>> import tinygrad_gd as tg
    >>> s, m = tg.std_mean(tg.tensor([1.0, 3.0]))
    >>> round(s.item(), 4), m.item()
    (1.4142, 2.0)
    """
    x = _tensor(input)
    dim, keepdim = _dim(dim, keepdim, axis, keepdims)
    return (x.std(dim, unbiased, keepdim, correction=correction), x.mean(dim, keepdim))


def var_mean(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
             correction: Any = None, axis: Any = None, keepdims: Any = None
             ) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim``, a plain tuple as torch's."""
    x = _tensor(input)
    dim, keepdim = _dim(dim, keepdim, axis, keepdims)
    return (x.var(dim, unbiased, keepdim, correction=correction), x.mean(dim, keepdim))


max = _function("max", "torch.max: the largest value, (values, indices) over a dim, or the "  # noqa: A001
                "elementwise maximum of two tensors.")
min = _function("min", "torch.min: as max, for the smallest.")  # noqa: A001
amax = _function("amax", "Largest values over dims (ties share the gradient).")
amin = _function("amin", "Smallest values over dims (ties share the gradient).")
aminmax = _function("aminmax", "The named tuple (min, max) over a dim.")
sort = _function("sort", "The named tuple (values, indices) sorted along a dim.")
argsort = _function("argsort", "The indices that sort along a dim.")
msort = _function("msort", "Values sorted along the first dimension.")
topk = _function("topk", "The named tuple (values, indices) of the k largest along a dim.")
kthvalue = _function("kthvalue", "The named tuple (values, indices) of the k-th smallest.")
median = _function("median", "The lower median (0-d), or (values, indices) along a dim.")
nanmedian = _function("nanmedian", "The median ignoring NaN.")
mode = _function("mode", "The named tuple (values, indices) of the most frequent value.")
cumsum = _function("cumsum", "Cumulative sum along a dim.")
cumprod = _function("cumprod", "Cumulative product along a dim (exact gradient at zeros).")
logcumsumexp = _function("logcumsumexp", "Stable log(cumsum(exp(x))) along a dim.")
cummax = _function("cummax", "The named tuple (values, indices) of the running maximum.")
cummin = _function("cummin", "The named tuple (values, indices) of the running minimum.")
prod = _function("prod", "Product over a dim (all when None).")
nansum = _function("nansum", "Sum treating NaN as zero.")
nanmean = _function("nanmean", "Mean of the elements that are not NaN.")
count_nonzero = _function("count_nonzero", "How many elements are nonzero over dims.")
argmax = _function("argmax", "Index of the largest element (flattened when dim is None).")
argmin = _function("argmin", "Index of the smallest element (flattened when dim is None).")
sum = _function("sum", "Sum over dims (all when None).")  # noqa: A001
mean = _function("mean", "Mean over dims (all when None).")
var = _function("var", "Variance (Bessel-corrected by default).")
std = _function("std", "Standard deviation (Bessel-corrected by default).")
all = _function("all", "True where every element (over a dim; all when None) is nonzero.")  # noqa: A001
any = _function("any", "True where any element (over a dim; all when None) is nonzero.")  # noqa: A001


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False, out: Any = None,  # noqa: A002
         dtype: Any = None) -> Tensor:
    """torch.norm: the vector p-norm over ``dim`` (the Frobenius norm by default)."""
    if out is not None:
        raise TypeError("norm: out= is not supported (tensors here are not written in place)")
    return _tensor(input).norm(p, dim, keepdim, dtype)
