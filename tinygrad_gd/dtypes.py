"""Dtypes with torch's names (``tg.float32``, ``tg.long``, ...), the default float dtype, and
``finfo``/``iinfo``/``promote_types``.

Dtypes here are ``numpy.dtype`` objects: NumPy (and CuPy) understand them directly, so no
translation sits on the hot path. A NumPy dtype cannot take new attributes, so torch's
``dtype.is_floating_point`` is spelled ``tg.is_floating_point(x)`` / ``x.is_floating_point()``
(and ``dtype.itemsize`` already exists on NumPy dtypes).

``bfloat16`` does not exist in NumPy: ``tg.bfloat16`` is not defined (``AttributeError``), and
``dtype="bfloat16"`` is refused by name with the dtypes that exist.

>>> import tinygrad_gd as tg
>>> tg.float is tg.float32, tg.long is tg.int64, tg.double
(True, True, dtype('float64'))
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "float16", "float32", "float64", "half", "float", "double",
    "int8", "int16", "int32", "int64", "short", "int", "long", "uint8", "bool",
    "finfo", "iinfo", "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
    "is_floating_point", "is_complex", "dtype",
]

dtype = np.dtype  # torch.dtype is the type of dtypes; here it is NumPy's (isinstance works)

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
# torch's names that are Python builtins (tg.float, tg.int, tg.bool) are served by the module's
# __getattr__, so that float()/int()/bool() inside this module stay the builtins
_BUILTIN_NAMES = {"float": float32, "int": int32, "bool": bool_}


def __getattr__(name: str) -> Any:
    if name in _BUILTIN_NAMES:
        return _BUILTIN_NAMES[name]
    if name == "bfloat16":
        raise AttributeError("tinygrad_gd has no bfloat16: NumPy has no such dtype (use float16 "
                             "or float32)")
    raise AttributeError(f"module 'tinygrad_gd.dtypes' has no attribute {name!r}")

# The dtype Python floats and the float factories get (torch.get_default_dtype). A one-element
# list read by Tensor's constructor: one index, no call, on the path of tg.tensor([...]).
DEFAULT_FLOAT = [float32]


def get_default_dtype() -> np.dtype:
    """The dtype of Python floats in ``tg.tensor`` and of ``tg.zeros``, ``tg.rand``, ... (float32
    unless ``set_default_dtype`` changed it)."""
    return DEFAULT_FLOAT[0]


def set_default_dtype(d: Any) -> None:
    """Make ``d`` (float16/32/64) the default float dtype, as ``torch.set_default_dtype``.

    >>> import tinygrad_gd as tg
    >>> tg.set_default_dtype(tg.float64); tg.tensor([1.5]).dtype, tg.zeros(1).dtype
    (dtype('float64'), dtype('float64'))
    >>> tg.set_default_dtype(tg.float32)
    """
    from .backend import parse_dtype

    dt = parse_dtype(d)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point dtypes can be the default, "
                        f"got {dt}")
    DEFAULT_FLOAT[0] = dt


def _dtype_of(x: Any) -> np.dtype:
    """The dtype of a Tensor, an array, or a dtype-like."""
    from .backend import parse_dtype

    d = getattr(x, "dtype", None)
    if isinstance(d, np.dtype):
        return d
    return parse_dtype(x)


def is_floating_point(x: Any) -> bool:
    """True when ``x`` (a Tensor or a dtype) is floating point (``torch.is_floating_point``)."""
    return _dtype_of(x).kind == "f"


def is_complex(x: Any) -> bool:
    """True when ``x`` is complex: never, here (complex dtypes are not supported)."""
    return _dtype_of(x).kind == "c"


class finfo:  # noqa: N801 - torch's name
    """Machine limits of a float dtype (``torch.finfo``): ``bits, eps, max, min, tiny,
    smallest_normal, resolution, dtype``.

    >>> import tinygrad_gd as tg
    >>> tg.finfo(tg.float32).eps
    1.1920928955078125e-07
    """

    def __init__(self, type: Any = None) -> None:  # noqa: A002 - torch's keyword
        dt = DEFAULT_FLOAT[0] if type is None else _dtype_of(type)
        if dt.kind != "f":
            raise TypeError(f"finfo: {dt} is not a floating-point dtype (use iinfo)")
        info = np.finfo(dt)
        self.dtype = dt.name
        self.bits = int(info.bits)
        self.eps, self.max, self.min = (_pyfloat(v) for v in
                                        (info.eps, info.max, info.min))
        self.tiny = self.smallest_normal = _pyfloat(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)  # as torch: a power of ten

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801 - torch's name
    """Limits of an integer dtype (``torch.iinfo``): ``bits, max, min, dtype``."""

    def __init__(self, type: Any) -> None:  # noqa: A002 - torch's keyword
        dt = _dtype_of(type)
        if dt.kind not in "iub":
            raise TypeError(f"iinfo: {dt} is not an integer dtype (use finfo)")
        info = np.iinfo(dt) if dt.kind != "b" else None
        self.dtype = dt.name
        self.bits = 8 if info is None else int(info.bits)
        self.min = 0 if info is None else _pyint(info.min)
        self.max = 1 if info is None else _pyint(info.max)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def _pyfloat(v: Any) -> Any:
    return np.float64(v).item()


def _pyint(v: Any) -> Any:
    return np.int64(v).item()


def promote_types(type1: Any, type2: Any) -> np.dtype:
    """The smallest dtype both convert to (``torch.promote_types``): a float beats any integer
    (``int32, float16 -> float16``, unlike NumPy), wider wins within a kind.

    >>> import tinygrad_gd as tg
    >>> tg.promote_types(tg.int32, tg.float16), tg.promote_types(tg.uint8, tg.int8)
    (dtype('float16'), dtype('int16'))
    """
    a, b = _dtype_of(type1), _dtype_of(type2)
    fa, fb = a.kind == "f", b.kind == "f"
    if fa != fb:
        return a if fa else b
    return np.promote_types(a, b)


def _category(d: np.dtype) -> Any:
    """torch's type categories: bool < integer < float."""
    return {"b": 0, "i": 1, "u": 1, "f": 2}[d.kind]


def result_type(tensor1: Any, tensor2: Any) -> np.dtype:
    """The dtype of an arithmetic op on the two (``torch.result_type``): dimensioned tensors
    promote fully among themselves, then 0-d tensors, then Python numbers, each later group only
    when it raises the category (bool < int < float); a Python float gives the default dtype.

    >>> import tinygrad_gd as tg
    >>> tg.result_type(tg.tensor([1]), 1.0), tg.result_type(tg.tensor([1.0]), 2)
    (dtype('float32'), dtype('float32'))
    """
    import builtins

    groups: list[list[np.dtype]] = [[], [], []]  # dimensioned, 0-d, Python scalars
    for x in (tensor1, tensor2):
        d = getattr(x, "dtype", None)
        if isinstance(d, np.dtype):
            groups[0 if getattr(x, "ndim", 0) else 1].append(d)
        elif isinstance(x, (builtins.bool, np.bool_)):
            groups[2].append(bool_)
        elif isinstance(x, (builtins.int, np.integer)):
            groups[2].append(int64)
        elif isinstance(x, (builtins.float, np.floating)):
            groups[2].append(DEFAULT_FLOAT[0])
        else:
            raise TypeError(f"result_type: expected Tensors or Python numbers, got "
                            f"{type(x).__name__}")
    out: np.dtype | None = None
    for group in groups:
        if not group:
            continue
        best = group[0]
        for d in group[1:]:
            best = promote_types(best, d)
        if out is None or _category(best) > _category(out):
            out = best
    return out  # type: ignore[return-value]
