"""``tg.jit`` on a GPU: the recorded NumPy calls, replayed with CuPy's.

A GPU step is traced on host copies of its inputs and state (``_trace``'s dry run), so the
recording is the same list of NumPy calls as on the CPU. The plan then names, for each call, the
CuPy function of the same name (``np.add`` -> ``cupy.add``, ``np.ndarray.reshape`` ->
``cupy.ndarray.reshape``, ``np.linalg.solve`` -> ``cupy.linalg.solve``), moves the constants the
calls use to the device once, and allocates its buffers there with the trace's memory layout (so
a reshape that was a view on the host is a view on the device too; the plan checks it when it
makes the view). A call with no CuPy counterpart (an object ufunc made by ``np.frompyfunc``) is
refused with ``JitError`` when the plan is built, never replayed on the host.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import backend
from .. import random as _random
from .tracer import JitError, _draw

# ufunc.reduce -> CuPy's reduction of the same meaning (CuPy's ufuncs lack most methods)
_REDUCTIONS = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min",
               "logical_or": "any", "logical_and": "all"}
_NO_DTYPE = {"max", "min", "any", "all"}  # CuPy's forms without a dtype argument


def device_fn(fn: Any, kwargs: dict, device: str) -> tuple[Any, dict]:
    """CuPy's counterpart of a recorded call (and its keyword arguments, adapted)."""
    cp = backend._cupy  # the module itself: the replay runs with the step's GPU current
    if isinstance(fn, functools.partial) and fn.func in (_draw, _random._draw):
        return functools.partial(fn.func, device, *fn.args[1:]), kwargs  # the GPU's generator
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, np.ufunc):
        method = fn.__name__
        target = getattr(cp, owner.__name__, None) if owner.__name__.isidentifier() else None
        if target is None:
            _refuse(f"the ufunc {owner.__name__}")
        if method == "__call__":
            return target, kwargs
        if method == "reduce" and owner.__name__ in _REDUCTIONS:
            return _reduction(cp, owner.__name__, kwargs)
        if hasattr(target, method):
            return getattr(target, method), kwargs
        _refuse(f"{owner.__name__}.{method}")
    if getattr(fn, "__objclass__", None) is np.ndarray:  # an ndarray method
        target = getattr(cp.ndarray, fn.__name__, None)
        if target is None:
            _refuse(f"ndarray.{fn.__name__}")
        return target, kwargs
    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__name__", None)
    if module.split(".")[0] == "numpy" and name:
        space: Any = cp
        for part in module.split(".")[1:]:  # numpy.linalg -> cupy.linalg; private parts skipped
            if not part.startswith("_"):
                space = getattr(space, part, None)
                if space is None:
                    _refuse(f"{module}.{name}")
        target = getattr(space, name, None) or getattr(cp, name, None)
        if target is None:
            _refuse(f"numpy.{name}")
        return target, kwargs
    return fn, kwargs  # Python's own (bool, float...) and the library's functions


def _reduction(cp: Any, ufunc: str, kwargs: dict) -> tuple[Any, dict]:
    name = _REDUCTIONS[ufunc]
    kw = dict(kwargs)
    if kw.pop("where", True) is not True or "initial" in kw:
        _refuse(f"{ufunc}.reduce with where= or initial=")
    kw.setdefault("axis", 0)  # ufunc.reduce's default, unlike sum's
    if name in _NO_DTYPE:
        dtype = kw.pop("dtype", None)
        if dtype is not None and not (name in ("any", "all") and np.dtype(dtype) == np.bool_):
            _refuse(f"{ufunc}.reduce with dtype={dtype}")
    return getattr(cp, name), kw


def _refuse(what: str) -> None:
    raise JitError(f"tg.jit: {what} has no CuPy counterpart, so this step cannot be replayed on "
                   "a GPU; run it eagerly there (or jit it on the CPU)")


def to_device(obj: Any, device: str) -> Any:
    """A constant for the device: host arrays moved there (inside containers too)."""
    if isinstance(obj, np.ndarray):
        return backend.to_device(obj, device)
    if type(obj) in (tuple, list):
        return type(obj)(to_device(v, device) for v in obj)
    if type(obj) is dict:
        return {k: to_device(v, device) for k, v in obj.items()}
    return obj


def device_buffer(like: np.ndarray, device: str) -> Any:
    """An uninitialised device array with ``like``'s shape, dtype and memory layout (a ufunc's
    output follows its inputs' layout: an F-ordered result must stay F-ordered, or a later
    reshape would copy where the trace's made a view)."""
    order = sorted(range(like.ndim), key=lambda i: -abs(like.strides[i]))
    with backend.on_device(device):
        buf = backend.get_xp(device).empty(tuple(like.shape[i] for i in order), like.dtype)
    return buf.transpose(tuple(int(i) for i in np.argsort(order)))


def check_view(view: Any, base: Any, what: str) -> Any:
    """Refuse a device result that is a copy where the trace's was a view."""
    if view is not base and not backend.xp_of(view).may_share_memory(view, base):
        raise JitError(f"tg.jit: {what} made a copy on the GPU where it made a view on the host "
                       "(a different memory layout); run this step eagerly")
    return view
