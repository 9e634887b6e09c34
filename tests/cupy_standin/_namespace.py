"""CuPy's namespaces in the stand-in: top-level routines and ufuncs, ``random``, ``linalg``,
``lib.stride_tricks``, ``cuda`` and ``cupyx``.

Only names CuPy exports exist here (the list below is CuPy's ``cupy/__init__.py``), so code that
calls a NumPy function CuPy lacks fails here as on a GPU.
"""

from __future__ import annotations

import math
import types
import warnings
from typing import Any

import numpy as np

from . import _array as A
from . import _graph
from . import _runtime as rt
from ._random import Generator, default_rng

CUPY_NAMES = frozenset("""
    AxisError ComplexWarning DataSource ElementwiseKernel ModuleDeprecationWarning RankWarning
    RawKernel RawModule ReductionKernel TooHardError VisibleDeprecationWarning abs absolute add
    all allclose amax amin angle any append apply_along_axis apply_over_axes arange arccos arccosh
    arcsin arcsinh arctan arctan2 arctanh argmax argmin argpartition argsort argwhere around array
    array2string array_equal array_equiv array_repr array_split array_str asanyarray asarray
    asarray_chkfinite ascontiguousarray asfarray asfortranarray astype atleast_1d atleast_2d
    atleast_3d average bartlett bincount bitwise_and bitwise_count bitwise_not bitwise_or
    bitwise_xor blackman bool bool_ broadcast broadcast_arrays broadcast_shapes broadcast_to byte
    byte_bounds bytes_ c_ cbrt cdouble ceil cfloat character choose class clear_memo clip
    clongfloat column_stack complex128 complex192 complex256 complex64 complex_ complexfloating
    compress concatenate conj conjugate convolve copy copysign copyto corrcoef correlate cos cosh
    count_nonzero cov cross csingle cuda cumprod cumproduct cumsum cumulative_prod cumulative_sum
    cupyx deg2rad degrees delete diag diag_indices diag_indices_from diagflat diagonal diff
    digitize disp divide divmod dot double dsplit dstack dtype e ediff1d einsum empty empty_like
    equal euler_gamma exceptions exp exp2 expand_dims expm1 extract eye fabs fft fill_diagonal
    find_common_type finfo fix flatiter flatnonzero flexible flip fliplr flipud float128 float16
    float32 float64 float96 float_ float_power floating floor floor_divide fmax fmin fmod
    format_float_positional format_float_scientific format_parser frexp fromDlpack from_dlpack
    frombuffer fromfile fromfunction fromiter fromstring full full_like gcd generic genfromtxt
    get_array_wrap get_printoptions gradient greater greater_equal half hamming hanning heaviside
    histogram histogram2d histogramdd hsplit hstack hypot i0 identity iinfo imag importlib in1d
    index_exp indices inexact inf inner int16 int32 int64 int8 int_ intc integer interp
    intersect1d intp invert isclose iscomplex iscomplexobj isdtype isfinite isfortran isin isinf
    isnan isneginf isposinf isreal isrealobj issubdtype iterable ix_ kaiser kron lcm ldexp
    left_shift less less_equal lexsort linalg linspace load loadtxt log log10 log1p log2 logaddexp
    logaddexp2 logical_and logical_not logical_or logical_xor logspace long longfloat longlong
    make_aligned_dtype mask_indices matmul matrix_transpose max maximum may_share_memory mean
    median memoize meshgrid mgrid min min_scalar_type minimum mintypecode mod modf moveaxis msort
    multiply nan nan_to_num nanargmax nanargmin nancumprod nancumsum nanmax nanmean nanmedian
    nanmin nanprod nanstd nansum nanvar ndarray ndindex negative newaxis nextafter nonzero
    not_equal number object_ ogrid ones ones_like outer packbits pad partition percentile pi
    piecewise place poly poly1d polyadd polyfit polymul polynomial polysub polyval positive power
    printoptions prod product promote_types ptp put put_along_axis putmask quantile r_ rad2deg
    radians random ravel ravel_multi_index real real_if_close reciprocal remainder repeat require
    reshape resize right_shift rint roll rollaxis roots rot90 round round_ row_stack s_ safe_eval
    save savetxt savez savez_compressed searchsorted select set_printoptions set_string_function
    setdiff1d setxor1d shape shares_memory short sign signbit signedinteger sin sinc single
    singlecomplex sinh size sort sort_complex split sqrt square squeeze stack std subtract sum
    swapaxes take take_along_axis tan tanh tensordot testing tile trace transpose trapezoid tri
    tril tril_indices tril_indices_from trim_zeros triu triu_indices triu_indices_from true_divide
    trunc typename ubyte ufunc uint uint16 uint32 uint64 uint8 uintc uintp ulong ulonglong
    unicode_ union1d unique unique_all unique_counts unique_inverse unique_values unpackbits
    unravel_index unsignedinteger unwrap ushort vander var vdot vectorize void vsplit vstack where
    who zeros zeros_like """.split())

_COMPARISONS = {"greater", "greater_equal", "less", "less_equal", "equal", "not_equal"}
_UFUNC_KW = {"out", "dtype", "casting", "signature", "order"}


class ufunc:  # noqa: N801 - CuPy's name
    """A CuPy ufunc: device arrays and scalars only; ``out=`` a device array."""

    def __init__(self, name: str, impl: Any, types: tuple[str, ...] | None = None) -> None:
        self.__name__ = name
        self._impl = impl
        self._types = types  # CuPy's loop table where it differs from NumPy's ('e->d')
        self.nin = getattr(impl, "nin", 1)
        self.nout = getattr(impl, "nout", 1)

    def _inputs(self, args: tuple) -> list:
        comparison = self.__name__ in _COMPARISONS
        return [A.unwrap_kernel_arg(x, comparison) for x in args]

    @_graph.kernel
    def __call__(self, *args: Any, out: Any = None, **kwargs: Any) -> Any:
        if len(args) > self.nin:  # out given positionally
            args, out = args[:self.nin], args[self.nin]
        if len(args) != self.nin:
            raise TypeError(f"Wrong number of arguments for {self.__name__!r}")
        bad = set(kwargs) - _UFUNC_KW
        if bad:
            raise TypeError(f"Wrong arguments {bad}")
        xs = self._inputs(args)
        o = A.check_out(out)
        if self._types is not None:
            xs = [_loop_cast(x, self._types) for x in xs]
        with np.errstate(all="ignore"):  # a GPU never warns
            if o is not None:
                self._impl(*xs, out=o._a, **kwargs)
                return out if not isinstance(out, tuple) else out[0]
            return A.wrap(self._impl(*xs, **kwargs))

    @_graph.kernel
    def at(self, a: Any, indices: Any, b: Any = None) -> None:
        if not isinstance(a, A.ndarray):
            raise TypeError(f"Unsupported type {type(a)}")
        rt.check_peer(a._dev)
        key = A.to_device_index(indices, a.shape)
        args = () if b is None else (A.unwrap_kernel_arg(b),)
        self._impl.at(a._a, key, *args)

    @_graph.kernel
    def reduce(self, a: Any, axis: Any = 0, dtype: Any = None, out: Any = None,
               keepdims: bool = False) -> Any:
        o = A.check_out(out)
        with np.errstate(all="ignore"):
            r = self._impl.reduce(A.unwrap_kernel_arg(a), axis=axis, dtype=dtype,
                                  out=None if o is None else o._a, keepdims=keepdims)
        return out if o is not None else A.wrap(r)

    @_graph.kernel
    def accumulate(self, a: Any, axis: int = 0, dtype: Any = None, out: Any = None) -> Any:
        o = A.check_out(out)
        with np.errstate(all="ignore"):
            r = self._impl.accumulate(A.unwrap_kernel_arg(a), axis=axis, dtype=dtype,
                                      out=None if o is None else o._a)
        return out if o is not None else A.wrap(r)

    @_graph.kernel
    def outer(self, a: Any, b: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return A.wrap(self._impl.outer(*self._inputs((a, b)), **kwargs))

    def __repr__(self) -> str:
        return f"<ufunc '{self.__name__}'>"


def _loop_cast(x: Any, types: tuple[str, ...]) -> Any:
    """Cast an input to the first loop of CuPy's table it casts to safely (e.g. 'e->d')."""
    dt = x.dtype if isinstance(x, np.ndarray) else np.result_type(x)
    for t in types:
        src, dst = t.split("->")
        if np.can_cast(dt, src):
            arr = np.asarray(x, dtype=src)
            return _Typed(arr, np.dtype(dst))
    raise TypeError(f"ufunc not supported for the input type {dt}")


class _Typed:
    """An input already cast to a loop's input type, with the loop's output type attached."""

    def __init__(self, array: np.ndarray, out_dtype: np.dtype) -> None:
        self.array, self.out_dtype = array, out_dtype


def _typed_unary(fn: Any):
    """A scalar function as a unary ufunc body that honours the CuPy loop's output dtype."""
    vec = np.frompyfunc(fn, 1, 1)

    def impl(x: Any, out: Any = None) -> np.ndarray:
        arr, dt = (x.array, x.out_dtype) if isinstance(x, _Typed) else (np.asarray(x), None)
        dt = dt or arr.dtype
        r = np.asarray(vec(arr.astype(np.float64)), dtype=np.float64).astype(dt)
        if out is not None:
            out[...] = r
            return out
        return r

    impl.nin, impl.nout = 1, 1  # type: ignore[attr-defined]
    return impl


def _erfinv_scalar(y: float) -> float:
    """erfinv by bisection then Newton (the stand-in needs the values, not the speed)."""
    if math.isnan(y) or abs(y) > 1:
        return math.nan
    if abs(y) == 1:
        return math.copysign(math.inf, y)
    lo, hi = -6.0, 6.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if math.erf(mid) < y:
            lo = mid
        else:
            hi = mid
    x = (lo + hi) / 2
    for _ in range(2):
        d = 2 / math.sqrt(math.pi) * math.exp(-x * x)
        if d > 0:
            x -= (math.erf(x) - y) / d
    return x


def _erfcinv_scalar(y: float) -> float:
    return _erfinv_scalar(1.0 - y)


# ---------------------------------------------------------------------------- routines
def _routine(name: str, impl: Any):
    def fn(*args: Any, **kwargs: Any) -> Any:
        out = kwargs.pop("out", None)
        o = A.check_out(out)
        a = A.unwrap_arg(args)
        kw = {k: A.unwrap_arg(v) for k, v in kwargs.items()}
        if o is not None:
            kw["out"] = o._a
        with np.errstate(all="ignore"):
            r = impl(*a, **kw)
        return out if o is not None else _writable(A.wrap(r))

    fn.__name__ = name
    return fn


def _writable(x: Any) -> Any:
    """CuPy has no read-only arrays: views NumPy makes read-only (diagonal) are writable."""
    if isinstance(x, A.ndarray) and not x._a.flags.writeable:
        try:
            x._a.flags.writeable = True
        except ValueError:
            pass
    return x


def _host_helper(impl: Any):
    """Routines that only read dtypes/shapes (result_type, ndim, ...): no data moves."""

    def fn(*args: Any, **kwargs: Any) -> Any:
        def plain(x: Any) -> Any:
            if isinstance(x, A.ndarray):
                return x._a
            if isinstance(x, (list, tuple)):
                return type(x)(plain(v) for v in x)
            return x

        return impl(*plain(args), **{k: plain(v) for k, v in kwargs.items()})

    return fn


_HOST_HELPERS = {"result_type", "can_cast", "min_scalar_type", "ndim", "shape", "size",
                 "isscalar", "iscomplexobj", "isrealobj", "isfortran", "finfo", "iinfo",
                 "issubdtype", "promote_types", "common_type", "broadcast_shapes", "dtype",
                 "obj2sctype", "issctype", "mintypecode", "typename"}
_SYNCING = {"nonzero", "argwhere", "flatnonzero", "unique", "unique_all", "unique_counts",
            "unique_inverse", "unique_values", "extract", "trim_zeros"}
_SCALAR_RESULTS = {"count_nonzero", "allclose", "array_equal", "array_equiv"}


def _syncing(name: str, impl: Any):
    base = _routine(name, impl)

    def fn(*args: Any, **kwargs: Any) -> Any:
        rt.transfers.record("d2h")  # the output's size depends on the data: CuPy syncs
        return base(*args, **kwargs)

    return fn


def _scalar_result(name: str, impl: Any):
    base = _routine(name, impl)

    def fn(*args: Any, **kwargs: Any) -> Any:
        r = base(*args, **kwargs)
        return r if isinstance(r, A.ndarray) else A.wrap(np.asarray(r))

    return fn


def _from_host(default_copy: bool):
    """``cupy.array``/``asarray``: host data is copied in (a host-to-device transfer)."""

    def fn(obj: Any, dtype: Any = None, copy: Any = None, order: Any = "K", subok: bool = False,
           ndmin: int = 0, *, blocking: bool = False) -> A.ndarray:
        copy = default_copy if copy is None else copy
        if isinstance(obj, A.ndarray):
            if not copy and (dtype is None or np.dtype(dtype) == obj.dtype) and ndmin <= obj.ndim:
                return obj
            rt.check_peer(obj._dev)
            return A.wrap(np.array(obj._a, dtype=dtype, ndmin=ndmin))
        if isinstance(obj, (list, tuple)) and any(isinstance(v, A.ndarray) for v in obj):
            return A.wrap(np.array(A.unwrap_arg(obj), dtype=dtype, ndmin=ndmin))
        rt.transfers.record("h2d")
        return A.wrap(np.array(obj, dtype=dtype, ndmin=ndmin, copy=True))

    return fn


def asnumpy(a: Any, stream: Any = None, order: str = "C", out: Any = None,
            blocking: bool = True) -> np.ndarray:
    """Copy a device array to the host (a counted device-to-host transfer)."""
    if isinstance(a, A.ndarray):
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def get_array_module(*args: Any) -> Any:
    for a in args:
        if isinstance(a, A.ndarray):
            return module
    return np


def _strided(x: A.ndarray, shape: tuple, strides: tuple) -> A.ndarray:
    return A.wrap(np.lib.stride_tricks.as_strided(x._a, shape=shape, strides=strides), x._dev)


def broadcast_to(array: Any, shape: Any) -> A.ndarray:
    """A writable view whose broadcast elements alias (CuPy's, unlike NumPy's read-only one)."""
    if not isinstance(array, A.ndarray):
        raise TypeError(f"Unsupported type {type(array)}")
    view = np.broadcast_to(array._a, shape)
    return _strided(array, view.shape, view.strides)


def broadcast_arrays(*args: Any) -> list:
    arrays = [a if isinstance(a, A.ndarray) else None for a in args]
    if None in arrays:
        raise TypeError("broadcast_arrays: device arrays only")
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    return [broadcast_to(a, shape) for a in arrays]


def as_strided(x: Any, shape: Any = None, strides: Any = None) -> A.ndarray:
    return _strided(x, tuple(x.shape if shape is None else shape),
                    tuple(x.strides if strides is None else strides))


def sliding_window_view(x: Any, window_shape: Any, axis: Any = None, *, subok: bool = False,
                        writeable: bool = False) -> A.ndarray:
    view = np.lib.stride_tricks.sliding_window_view(x._a, window_shape, axis=axis)
    return _strided(x, view.shape, view.strides)


def take(a: Any, indices: Any, axis: Any = None, out: Any = None) -> A.ndarray:
    """``cupy.take``: out-of-range indices wrap around (CuPy has no 'raise' mode here)."""
    n = a.size if axis is None else a.shape[axis]
    if isinstance(indices, A.ndarray):
        rt.check_peer(indices._dev)
        idx = indices._a
    elif isinstance(indices, (np.ndarray, list, tuple)):
        rt.transfers.record("h2d")
        idx = np.asarray(indices)
    else:
        idx = np.asarray(indices)
    if n > 0:
        idx = idx % n
    o = A.check_out(out)
    r = np.take(a._a, idx, axis=axis, out=None if o is None else o._a)
    return out if o is not None else A.wrap(r)


def take_along_axis(a: Any, indices: Any, axis: Any) -> A.ndarray:
    if indices.dtype.kind not in "iu":
        raise IndexError("`indices` must be an integer array")
    src = a.ravel() if axis is None else a
    ax = 0 if axis is None else axis % src.ndim
    idx = indices._a % src.shape[ax] if src.shape[ax] else indices._a
    rt.check_peer(indices._dev)
    return A.wrap(np.take_along_axis(A.unwrap_arg(src), idx, axis=ax))


def put_along_axis(a: Any, indices: Any, values: Any, axis: Any) -> None:
    rt.check_peer(a._dev)
    idx = indices._a % a.shape[axis] if a.shape[axis] else indices._a
    np.put_along_axis(a._a, idx, A.unwrap_kernel_arg(values), axis=axis)


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("Must provide both 'x' and 'y' or neither.")
    c, xa, ya = (A.unwrap_kernel_arg(v) for v in (condition, x, y))
    return A.wrap(np.where(c, xa, ya))


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> A.ndarray:
    return _writable(A.wrap(np.diagonal(a._a, offset, axis1, axis2), a._dev))


def full(shape: Any, fill_value: Any, dtype: Any = None, order: str = "C") -> A.ndarray:
    if isinstance(fill_value, A.ndarray):
        rt.check_peer(fill_value._dev)
        if fill_value.ndim != 0:
            raise ValueError("fill_value must be a scalar or a 0-d array")
        fill_value = fill_value._a
    return A.wrap(np.full(shape, A.unwrap_kernel_arg(fill_value) if not isinstance(
        fill_value, np.ndarray) else fill_value, dtype=dtype, order=order))


# ---------------------------------------------------------------------------- linalg
def _no_raise(name: str, impl: Any):
    """CuPy's linalg does not check cuSOLVER's info by default (``linalg='ignore'``): a singular
    or non-positive-definite input gives NaNs, never a LinAlgError."""
    base = _routine(name, impl)

    def fn(*args: Any, **kwargs: Any) -> Any:
        try:
            return base(*args, **kwargs)
        except np.linalg.LinAlgError:
            like = args[-1] if name == "solve" else args[0]
            return A.wrap(np.full(like.shape, np.nan, dtype=np.result_type(like.dtype, np.float32)))

    return fn


_LINALG_NAMES = ("cholesky cond det eig eigh eigvals eigvalsh inv lstsq matrix_power matrix_rank "
                 "norm pinv qr slogdet solve svd tensorinv tensorsolve").split()


def _make_linalg() -> types.ModuleType:
    mod = types.ModuleType("cupy.linalg")
    for name in _LINALG_NAMES:
        impl = getattr(np.linalg, name)
        maker = _no_raise if name in ("cholesky", "inv", "solve") else _routine
        setattr(mod, name, _graph.kernel(maker(name, impl)))
    mod.LinAlgError = np.linalg.LinAlgError
    return mod


# ---------------------------------------------------------------------------- cuda
def _make_cuda() -> types.ModuleType:
    cuda = types.ModuleType("cupy.cuda")
    runtime = types.ModuleType("cupy.cuda.runtime")
    runtime.getDeviceCount = lambda: rt.N_DEVICES
    runtime.getDevice = rt.current
    runtime.setDevice = rt.set_current
    runtime.getDeviceProperties = lambda i: {"name": b"CuPy stand-in (NumPy)",
                                             "totalGlobalMem": 1 << 34, "major": 9, "minor": 0}
    runtime.runtimeGetVersion = lambda: 12040
    runtime.driverGetVersion = lambda: 12040
    runtime.CUDARuntimeError = rt.CUDARuntimeError
    runtime.is_hip = False
    cuda.runtime = runtime
    cuda.Device = rt.Device
    cuda.get_device_id = rt.current
    cuda.is_available = lambda: True

    class Stream:
        """A CUDA stream: current inside ``with``; captures into a ``cupy.cuda.Graph``."""

        null = None
        _current: list = []

        def __init__(self, null: bool = False, non_blocking: bool = False,
                     ptds: bool = False) -> None:
            self._null = null

        def __enter__(self) -> Stream:
            Stream._current.append(self)
            return self

        def __exit__(self, *exc: Any) -> None:
            Stream._current.pop()

        def synchronize(self) -> None:
            if _graph.STATE.stream is self:
                _graph.refuse("synchronizing a capturing stream")

        def begin_capture(self, mode: Any = None) -> None:
            _graph.begin(self)

        def end_capture(self) -> _graph.Graph:
            return _graph.end(self)

        def is_capturing(self) -> bool:
            return _graph.STATE.stream is self

    Stream.null = Stream(null=True)
    cuda.Stream = Stream
    cuda.Graph = _graph.Graph
    cuda.get_current_stream = lambda: Stream._current[-1] if Stream._current else Stream.null
    runtime.streamCaptureModeRelaxed = 2
    return cuda


class _MemoryPool:
    def used_bytes(self) -> int:
        return 0

    def total_bytes(self) -> int:
        return 0

    def free_all_blocks(self) -> None:
        """Nothing to free."""


_POOL = _MemoryPool()


# ---------------------------------------------------------------------------- cupyx
def _scatter(op: str):
    def fn(a: Any, slices: Any, value: Any) -> None:
        warnings.warn(f"`ndarray.scatter_{op}` is deprecated. Please use `cupy.{op}.at` "
                      "instead." if op == "add" else f"`ndarray.scatter_{op}` is deprecated "
                      f"Please use `cupy.{op}imum.at` instead.", DeprecationWarning, stacklevel=2)
        getattr(module, {"add": "add", "max": "maximum", "min": "minimum"}[op]).at(
            a, slices, value)

    return fn


def _digamma_scalar(x: float) -> float:
    """psi(x) by the recurrence to 20 and three terms of the asymptotic series (1e-13)."""
    if x <= 0 and x == math.floor(x):
        return -math.inf if x == 0 else math.nan
    if x < 0.5:
        return _digamma_scalar(1 - x) - math.pi / math.tan(math.pi * x)
    acc = 0.0
    while x < 20:
        acc -= 1 / x
        x += 1
    return acc + math.log(x) - 0.5 / x - 1 / (12 * x * x) + 1 / (120 * x ** 4) - 1 / (252 * x ** 6)


def _polygamma_scalar(n: float, x: float) -> float:
    """The n-th derivative of digamma: (-1)^(n+1) n! zeta(n + 1, x), the Hurwitz zeta summed to
    30 and finished with four Euler-Maclaurin terms."""
    n = int(n)
    if n == 0:
        return _digamma_scalar(x)
    if x <= 0 and x == math.floor(x):
        return math.inf if n % 2 else -math.inf
    s, acc = n + 1, 0.0
    while x < 30:
        acc += x ** -s
        x += 1
    tail = (x ** (1 - s) / (s - 1) + 0.5 * x ** -s + s * x ** (-s - 1) / 12
            - s * (s + 1) * (s + 2) * x ** (-s - 3) / 720
            + s * (s + 1) * (s + 2) * (s + 3) * (s + 4) * x ** (-s - 5) / 30240)
    return (-1) ** (n + 1) * math.factorial(n) * (acc + tail)


def _typed_binary(fn: Any):
    """A scalar function of two arguments as a binary ufunc body (float64 out, as CuPy's
    polygamma)."""
    vec = np.frompyfunc(fn, 2, 1)

    def impl(a: Any, b: Any, out: Any = None) -> np.ndarray:
        arrs = [x.array if isinstance(x, _Typed) else np.asarray(x) for x in (a, b)]
        r = np.asarray(vec(arrs[0].astype(np.float64), arrs[1].astype(np.float64)),
                       dtype=np.float64)
        if out is not None:
            out[...] = r
            return out
        return r
    impl.nin = 2
    return impl


def _make_cupyx() -> tuple[types.ModuleType, ...]:
    cupyx = types.ModuleType("cupyx")
    scipy = types.ModuleType("cupyx.scipy")
    special = types.ModuleType("cupyx.scipy.special")
    cupyx.scatter_add, cupyx.scatter_max, cupyx.scatter_min = (
        _scatter("add"), _scatter("max"), _scatter("min"))
    loops = {"erf": (math.erf, ("e->d", "f->f", "d->d")),
             "erfc": (math.erfc, ("e->d", "f->f", "d->d")),
             "erfinv": (_erfinv_scalar, ("f->f", "d->d")),
             "erfcinv": (_erfcinv_scalar, ("f->f", "d->d")),
             "gammaln": (math.lgamma, ("l->d", "e->d", "f->f", "d->d")),
             "digamma": (_digamma_scalar, ("f->f", "d->d"))}
    for name, (fn, table) in loops.items():
        setattr(special, name, ufunc(name, _typed_unary(fn), table))
    special.polygamma = ufunc("polygamma", _typed_binary(_polygamma_scalar))
    scipy.special = special
    cupyx.scipy = scipy
    return cupyx, scipy, special


# ---------------------------------------------------------------------------- assembly
module = types.ModuleType("cupy")
module.__version__ = "13.6.0+standin"
_OVERRIDES = {
    "array": _from_host(True), "asarray": _from_host(False), "asanyarray": _from_host(False),
    "ascontiguousarray": _from_host(False), "asnumpy": asnumpy,
    "get_array_module": get_array_module, "ndarray": A.ndarray, "broadcast_to": broadcast_to,
    "broadcast_arrays": broadcast_arrays, "take": take, "take_along_axis": take_along_axis,
    "put_along_axis": put_along_axis, "where": where, "diagonal": diagonal, "full": full,
    "ufunc": ufunc,
}


def _build() -> None:
    for name in CUPY_NAMES:
        if name in _OVERRIDES:
            continue
        obj = getattr(np, name, None)
        if obj is None:
            continue
        if isinstance(obj, np.ufunc):
            setattr(module, name, ufunc(name, obj))
        elif name in _HOST_HELPERS or isinstance(obj, type) or not callable(obj):
            setattr(module, name, _host_helper(obj) if name in _HOST_HELPERS and not
                    isinstance(obj, type) else obj)
        elif name in _SYNCING:
            setattr(module, name, _graph.kernel(_syncing(name, obj)))
        elif name in _SCALAR_RESULTS:
            setattr(module, name, _graph.kernel(_scalar_result(name, obj)))
        else:
            setattr(module, name, _graph.kernel(_routine(name, obj)))
    for name, obj in _OVERRIDES.items():  # (the device operations among them are kernels)
        setattr(module, name, obj if isinstance(obj, type) or name in (
            "asnumpy", "get_array_module") else _graph.kernel(obj))
    module.linalg = _make_linalg()
    random = types.ModuleType("cupy.random")
    random.default_rng = default_rng
    random.Generator = Generator
    module.random = random
    module.cuda = _make_cuda()
    lib = types.ModuleType("cupy.lib")
    stride_tricks = types.ModuleType("cupy.lib.stride_tricks")
    stride_tricks.as_strided = _graph.kernel(as_strided)
    stride_tricks.sliding_window_view = _graph.kernel(sliding_window_view)
    lib.stride_tricks = stride_tricks
    module.lib = lib
    module.get_default_memory_pool = lambda: _POOL
    module.get_default_pinned_memory_pool = lambda: _POOL


_build()
nonzero = module.nonzero
cupyx, cupyx_scipy, cupyx_special = _make_cupyx()


def ufunc_for(name: str) -> Any:
    """The stand-in ufunc a NumPy ufunc dispatches to (CuPy: ``cupy.X`` or special's)."""
    f = getattr(module, name, None)
    if isinstance(f, ufunc):
        return f
    f = getattr(cupyx_special, name, None)
    return f if isinstance(f, ufunc) else None


def function_for(func: Any) -> Any:
    """The stand-in routine a NumPy function dispatches to, or None where CuPy has none."""
    name = getattr(func, "__name__", "")
    where_ = getattr(func, "__module__", "") or ""
    if "linalg" in where_:
        return getattr(module.linalg, name, None)
    if "stride_tricks" in where_:
        return getattr(module.lib.stride_tricks, name, None)
    if name in CUPY_NAMES:
        return getattr(module, name, None)
    return None
