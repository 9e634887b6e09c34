"""The one place that knows NumPy from CuPy.

Everything else in the library is written once against an array module ``xp`` that this file hands
out: ``numpy`` for ``"cpu"`` and ``cupy`` for ``"cuda"`` / ``"cuda:N"``. The few calls where the two
differ (scatter-add, strided windows, ``erf``, device transfers, random generators) live here too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

try:  # CuPy is optional (the ``cuda`` extra); without it only "cpu" exists.
    import cupy as _cupy
except Exception:  # noqa: BLE001 - any import failure (no CUDA driver, ABI) means "no GPU"
    _cupy = None

Array = Any  # numpy.ndarray or cupy.ndarray

DTYPES = {
    "float16": np.float16,
    "float32": np.float32,
    "float64": np.float64,
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "bool": np.bool_,
}
_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
            "int": "int32", "short": "int16", "char": "int8", "byte": "uint8"}  # torch's names


def parse_dtype(dtype: Any) -> np.dtype:
    """Turn ``"float32"``, ``np.float64``, ``tg.int64``... into a ``numpy.dtype``; reject others."""
    if isinstance(dtype, str):
        name = _ALIASES.get(dtype.removeprefix("torch."), dtype.removeprefix("torch."))
        if name == "bfloat16":
            raise TypeError("bfloat16 is not supported: NumPy has no bfloat16 (use float16 or "
                            "float32)")
        if name not in DTYPES:
            raise TypeError(f"unknown dtype {dtype!r}; expected one of {sorted(DTYPES)}")
        return np.dtype(DTYPES[name])
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}; expected one of {sorted(DTYPES)}") from None
    if dt.name not in DTYPES:
        raise TypeError(f"unsupported dtype {dt.name!r}; expected one of {sorted(DTYPES)}")
    return dt


def is_floating(dtype: np.dtype) -> bool:
    """True for float16/32/64: the dtypes that can carry gradients."""
    return dtype.kind == "f"


def split_to_args(args: tuple, device: Any = None, dtype: Any = None) -> tuple[Any, Any]:
    """Sort the positional arguments of ``.to(...)`` into a device and a dtype, as torch does:
    ``"cpu"``/``"cuda:N"`` are devices, dtype names and dtype objects are dtypes."""
    for arg in args:
        if not isinstance(arg, str):
            dtype = arg
        elif arg.strip().lower().startswith(("cpu", "cuda")):
            device = arg
        elif arg in DTYPES or arg in _ALIASES:
            dtype = arg
        else:
            raise TypeError(f"to: {arg!r} is neither a dtype (one of {sorted(DTYPES)}) nor a "
                            "device ('cpu', 'cuda' or 'cuda:N')")
    return device, dtype


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    if _cupy is None:
        return False
    try:
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - CUDA runtime errors all mean "no usable GPU"
        return False


def parse_device(device: Any) -> str:
    """Normalise ``None``/``"cpu"``/``"cuda"``/``"cuda:N"`` to ``"cpu"`` or ``"cuda:N"``.

    Raises a ``RuntimeError`` that says what is missing when a GPU is asked for and cannot be used.
    """
    if device is None:
        return "cpu"
    name = str(device).strip().lower()
    if name == "cpu" or (name.startswith("cpu:") and name[4:].isdigit()):  # torch takes "cpu:0"
        return "cpu"
    if name == "cuda" or name.startswith("cuda:"):
        index_text = name[5:] if name.startswith("cuda:") else "0"
        if not index_text.isdigit():
            raise ValueError(f"bad device {device!r}; expected 'cpu', 'cuda' or 'cuda:N'")
        if _cupy is None:
            raise RuntimeError(
                f"device {device!r} needs CuPy, which is not installed; "
                "install it with: pip install 'tinygrad_gd[cuda]'"
            )
        if not cuda_available():
            raise RuntimeError(f"device {device!r} asked for, but CuPy sees no CUDA GPU")
        index = int(index_text)
        count = _cupy.cuda.runtime.getDeviceCount()
        if index >= count:
            raise RuntimeError(f"device {device!r} asked for, but only {count} GPU(s) exist")
        return f"cuda:{index}"
    raise ValueError(f"bad device {device!r}; expected 'cpu', 'cuda' or 'cuda:N'")


def get_xp(device: str):
    """The array module for a (normalised) device string.

    For ``"cuda:N"`` it is CuPy bound to GPU N: each call runs under ``cupy.cuda.Device(N)``,
    so allocations and kernels land on that GPU whichever one is current."""
    if device == "cpu":
        return np
    xp = _BOUND.get(device)
    if xp is None:
        xp = _BOUND[device] = _OnDevice(_cupy, int(device.split(":")[1]))
    return xp


class _OnDevice:
    """A CuPy module, function, ufunc or generator whose calls run on one GPU."""

    __slots__ = ("_obj", "_index", "_cache")

    def __init__(self, obj: Any, index: int) -> None:
        self._obj, self._index, self._cache = obj, index, {}

    def __getattr__(self, name: str) -> Any:
        hit = self._cache.get(name)
        if hit is not None:
            return hit
        attr = getattr(self._obj, name)
        if isinstance(attr, type) or not (callable(attr) or type(attr).__name__ == "module"):
            return attr  # dtypes, ndarray, constants: nothing to bind
        bound = self._cache[name] = _OnDevice(attr, self._index)
        return bound

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with _cupy.cuda.Device(self._index):
            out = self._obj(*args, **kwargs)
        # a generator's draws must run on its device too
        return _OnDevice(out, self._index) if type(out).__name__ == "Generator" else out


_BOUND: dict[str, _OnDevice] = {}


def on_device(device: str) -> Any:
    """A context in which CuPy's current device is ``device`` (a no-op for ``"cpu"``)."""
    if device == "cpu":
        return _NULL
    return _cupy.cuda.Device(int(device.split(":")[1]))


class _Null:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


_NULL = _Null()


def device_of(array: Array) -> str:
    """The device string of a backend array."""
    if isinstance(array, np.ndarray) or _cupy is None:
        return "cpu"
    if isinstance(array, _cupy.ndarray):
        return f"cuda:{array.device.id}"
    return "cpu"


def is_array(obj: Any) -> bool:
    """True for a NumPy or CuPy array."""
    return isinstance(obj, np.ndarray) or (_cupy is not None and isinstance(obj, _cupy.ndarray))


def to_device(array: Array, device: str) -> Array:
    """Copy ``array`` to ``device`` (no copy when it is already there)."""
    if device == "cpu":
        if isinstance(array, np.ndarray):
            return array
        return _cupy.asnumpy(array) if _cupy is not None and isinstance(array, _cupy.ndarray) else (
            np.asarray(array))
    index = int(device.split(":")[1])
    if isinstance(array, _cupy.ndarray):
        if array.device.id == index:
            return array
        with _cupy.cuda.Device(index):  # CuPy's copy() copies across GPUs; asarray would not
            return array.copy()
    with _cupy.cuda.Device(index):
        return _cupy.asarray(array)


def to_numpy(array: Array) -> np.ndarray:
    """A host NumPy array (copies from the GPU)."""
    return to_device(array, "cpu")


_DEBUG_CHECKS = [False]


def set_debug_checks(enabled: bool) -> None:
    """Check, on a GPU too, the values that only a device-to-host copy can check (a sync).

    Off by default: a training step on a GPU then never waits on the host. On the CPU these
    checks cost nothing and always run. With them off, a GPU flags bad values without a sync
    instead (``cross_entropy``'s out-of-range labels give a NaN loss), as CUDA's device-side
    asserts report errors later; ``tg.set_debug_checks(True)`` raises at the call, as the CPU.

    >>> import tinygrad_gd as tg
    >>> tg.set_debug_checks(True); tg.debug_checks_enabled()
    True
    >>> tg.set_debug_checks(False)
    """
    _DEBUG_CHECKS[0] = bool(enabled)


def debug_checks_enabled() -> bool:
    """Whether ``set_debug_checks(True)`` is in effect."""
    return _DEBUG_CHECKS[0]


def is_host(array: Array) -> bool:
    """True for a NumPy array: its values can be read without a device-to-host copy."""
    return isinstance(array, np.ndarray)


def checks_values(array: Array) -> bool:
    """True where checking the values of ``array`` is free (the CPU) or asked for
    (``set_debug_checks(True)``); False on a GPU otherwise (the check would be a sync)."""
    return isinstance(array, np.ndarray) or _DEBUG_CHECKS[0]


_ZEROS: dict[np.dtype, np.ndarray] = {}  # dtype -> a read-only flat buffer of zeros
_ZERO_VIEWS: dict[tuple, np.ndarray] = {}  # (shape, dtype) -> its view of that buffer
_np_zeros = np.zeros  # bound here: tg.jit patches np.zeros while tracing, and this is no step's


def host_zeros(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A read-only C-ordered NumPy array of zeros, a view of one buffer per dtype (grown as
    needed; never written, so past the allocator's threshold its pages are the kernel's one
    page of zeros)."""
    view = _ZERO_VIEWS.get((shape, dtype))
    if view is not None:
        return view
    n = math.prod(shape)
    buf = _ZEROS.get(dtype)
    if buf is None or buf.size < n:
        buf = _np_zeros(max(n, 4096), dtype)
        buf.flags.writeable = False
        _ZEROS[dtype] = buf
        _ZERO_VIEWS.clear()  # (views of the old buffer stay valid; they are just not reused)
    view = buf[:n].reshape(shape)
    if len(_ZERO_VIEWS) < 256:  # a training loop asks for a few shapes, again and again
        _ZERO_VIEWS[(shape, dtype)] = view
    return view


def zeros_laid_out_as(array: np.ndarray) -> np.ndarray | None:
    """Read-only zeros with ``array``'s shape, dtype and memory order (``host_zeros``), or None
    when ``array`` is not a permutation of a contiguous block.

    NumPy vectorises a ufunc of two arrays laid out alike, not of an array and a scalar:
    ``np.maximum(x, zeros)`` runs 2-3x faster than ``np.maximum(x, 0)``; with another memory
    order than ``x``'s it would run slower than either.
    """
    if array.flags.c_contiguous:
        return host_zeros(array.shape, array.dtype)
    order = sorted(range(array.ndim), key=lambda i: -array.strides[i])
    if not array.transpose(order).flags.c_contiguous:
        return None
    zeros = host_zeros(tuple(array.shape[i] for i in order), array.dtype)
    return zeros.transpose(sorted(range(array.ndim), key=order.__getitem__))


_SCALARS: dict[tuple, Array] = {}


def device_scalar(value: Any, dtype: np.dtype, device: str) -> Array:
    """A 0-d array of ``value`` on ``device``; on a GPU cached per value, dtype and device, so a
    Python scalar in an op (``x * 0.5``, ``mean``'s ``1/n``) is copied to the GPU once, not on
    every call. The cached arrays are only ever read: ops never write their operands.

    A Python int outside an integer dtype's range wraps around, as torch's C cast does
    (``uint8_tensor - 3``); NumPy 2 would raise OverflowError."""
    if dtype.kind in "iu" and isinstance(value, int) and not isinstance(value, bool):
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            value = np.array(value, dtype=np.int64).astype(dtype).item()
    if device == "cpu":
        return np.asarray(value, dtype=dtype)
    # -0.0 == 0.0 and 1 == True hash alike: the sign of a zero is part of the key; NaN is not
    # equal to itself, so it is keyed by name
    key = (value if value == value else "nan", math.copysign(1.0, value) if value == 0 else 0,
           dtype, device)
    hit = _SCALARS.get(key)
    if hit is None:
        if len(_SCALARS) >= 4096:  # a loop over ever new scalars must not grow it for ever
            _SCALARS.clear()
        hit = _SCALARS[key] = get_xp(device).asarray(value, dtype=dtype)
    return hit


def min_max(array: Array) -> tuple[Any, Any]:
    """The smallest and largest element of a non-empty array as Python numbers: on a GPU one
    device-to-host copy (a sync), where ``int(a.min()), int(a.max())`` would make two."""
    if isinstance(array, np.ndarray):
        return array.min().item(), array.max().item()
    xp = xp_of(array)
    with _cupy.cuda.Device(array.device.id):
        both = xp.stack((array.min(), array.max())).get()
    return both[0].item(), both[1].item()


def outside(array: Array, low: int, high: int) -> bool:
    """Whether any element of a non-empty integer array lies outside ``[low, high)``: one
    boolean read (on a GPU one sync). Not the min and max as numbers (``min_max`` is for the
    error message): they change with every batch, and ``tg.jit`` would have to refuse a step
    that read them, where it guards this boolean."""
    below = array.min() < low if array.dtype.kind == "i" or low > 0 else False
    return bool(below | (array.max() >= high))


def scatter_add(target: Array, index: Any, values: Array) -> None:
    """``target[index] += values`` where repeated indices accumulate (unbuffered)."""
    if isinstance(target, np.ndarray):
        np.add.at(target, index, values)
    else:
        # cupyx.scatter_add is deprecated since CuPy 12 (it warns on every call)
        with _cupy.cuda.Device(target.device.id):
            _cupy.add.at(target, index, values)


def sliding_windows(x: Array, window: tuple[int, ...], axes: tuple[int, ...]) -> Array:
    """A read-only strided view of ``x``: sliding windows over ``axes``, window dims appended."""
    if isinstance(x, np.ndarray):
        return np.lib.stride_tricks.sliding_window_view(x, window, axis=axes)
    # CuPy has no sliding_window_view; build the same view from strides.
    shape = list(x.shape)
    strides = list(x.strides)
    for ax, w in zip(axes, window):
        shape[ax] = shape[ax] - w + 1
    shape += list(window)
    strides += [x.strides[ax] for ax in axes]
    return _cupy.lib.stride_tricks.as_strided(x, shape=tuple(shape), strides=tuple(strides))


_np_erf = np.frompyfunc(math.erf, 1, 1)


def erf(x: Array) -> Array:
    """The error function, elementwise, in the dtype of ``x``."""
    if not isinstance(x, np.ndarray):
        from cupyx.scipy.special import erf as cupy_erf

        # CuPy's erf has no float16 loop ('e->d'): cast back, as the CPU path keeps the dtype
        return cupy_erf(x).astype(x.dtype, copy=False)
    try:
        from scipy.special import erf as scipy_erf  # fast path when SciPy happens to be installed
    except ImportError:
        return np.asarray(_np_erf(x), dtype=x.dtype)
    return scipy_erf(x).astype(x.dtype, copy=False)


class _Generators:
    """One seeded generator per device, so ``tg.manual_seed`` makes every draw reproducible."""

    def __init__(self) -> None:
        self.seed: int | None = None
        self._by_device: dict[str, Any] = {}

    def manual_seed(self, seed: int) -> None:
        self.seed = int(seed)
        self._by_device.clear()

    def get(self, device: str):
        gen = self._by_device.get(device)
        if gen is None:
            xp = get_xp(device)
            if device == "cpu":
                gen = np.random.default_rng(self.seed)
            else:  # bound to its GPU: CuPy refuses draws while another device is current
                gen = xp.random.default_rng(self.seed)
            self._by_device[device] = gen
        return gen


generators = _Generators()


def xp_of(array: Array):
    """The array module that ``array`` belongs to."""
    return np if isinstance(array, np.ndarray) or _cupy is None else _cupy.get_array_module(array)


def reuse_freed_memory(max_block: int = 32 << 20, keep: int = 512 << 20) -> bool:
    """Ask glibc's allocator to keep freed blocks of up to ``max_block`` bytes in the heap.

    By default glibc gives every array above ~128 KiB its own fresh pages and returns them when
    it is freed, so each training step's activations page-fault in again: on the CNN of the
    examples that is half the step. With this call (a process-wide setting, so it is opt-in; the
    training script and the benchmarks make it) the next step reuses the same memory; up to
    ``keep`` bytes of free heap stay with the process. Returns False where it does not apply
    (not Linux with glibc), changing nothing.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's <malloc.h> constants
    return bool(mallopt(m_mmap_threshold, int(max_block)) and
                mallopt(m_trim_threshold, int(keep)))
