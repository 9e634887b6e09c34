"""The tracer of ``tg.jit``: an ``ndarray`` subclass that records every NumPy call made on it,
with the slots of its operands and results (see the package docstring)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend


class JitError(RuntimeError):
    """What ``tg.jit`` cannot trace or replay exactly (a value read, an untracked write...)."""


class _Ref:
    """A slot in a recorded call's arguments."""

    __slots__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i


_ACTIVE: list = [None]  # the _Trace being recorded, or None
_ALLOCATORS = ("zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
               "full_like", "asarray", "array", "ascontiguousarray", "asanyarray", "copy")


def _root(a: Any) -> Any:
    """The object that owns ``a``'s memory (the end of its chain of ``.base``)."""
    while True:
        b = getattr(a, "base", None)
        if b is None:
            return a
        a = b


def _plain(a: np.ndarray) -> np.ndarray:
    arr = a.__dict__.get("_arr")
    return arr if arr is not None else np.ndarray.view(a, np.ndarray)


class _Traced(np.ndarray):
    """A backend array seen while tracing: NumPy calls on it are recorded (see module doc)."""

    def __array_finalize__(self, obj: Any) -> None:
        tr = _ACTIVE[0]
        if tr is not None and not tr.quiet:
            self._slot = None  # made by an ndarray method the jit does not intercept

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _call(getattr(ufunc, method), inputs, kwargs, ufunc=method)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _call(func, args, kwargs)

    # ndarray methods that make new arrays without a ufunc: recorded as calls of the method
    def astype(self, *a: Any, **k: Any) -> Any:
        return _call(np.ndarray.astype, (self,) + a, k)

    def copy(self, *a: Any, **k: Any) -> Any:
        return _call(np.ndarray.copy, (self,) + a, k)

    def reshape(self, *a: Any, **k: Any) -> Any:
        return _call(np.ndarray.reshape, (self,) + a, k)

    def transpose(self, *a: Any) -> Any:
        return _call(np.ndarray.transpose, (self,) + a, {})

    T = property(lambda self: self.transpose())

    def swapaxes(self, *a: Any) -> Any:
        return _call(np.ndarray.swapaxes, (self,) + a, {})

    def ravel(self, *a: Any, **k: Any) -> Any:
        return _call(np.ndarray.ravel, (self,) + a, k)

    def flatten(self, *a: Any, **k: Any) -> Any:
        return _call(np.ndarray.flatten, (self,) + a, k)

    def squeeze(self, *a: Any, **k: Any) -> Any:
        return _call(np.ndarray.squeeze, (self,) + a, k)

    def view(self, *a: Any, **k: Any) -> Any:
        return _call(np.ndarray.view, (self,) + a, k)

    def argmax(self, *a: Any, **k: Any) -> Any:
        return _call(np.ndarray.argmax, (self,) + a, k)

    def argmin(self, *a: Any, **k: Any) -> Any:
        return _call(np.ndarray.argmin, (self,) + a, k)

    # methods NumPy runs in C without a ufunc: recorded too (``nonzero`` returns plain arrays,
    # which would otherwise pass for constants: a boolean mask's indices replayed stale)
    for _name in ("nonzero", "argsort", "sort", "searchsorted", "dot", "take", "repeat",
                  "compress", "choose", "argpartition", "partition", "put", "cumsum", "cumprod",
                  "trace", "diagonal", "round", "clip"):
        locals()[_name] = (lambda m: lambda self, *a, **k: _call(m, (self,) + a, k))(
            getattr(np.ndarray, _name))
    del _name

    def __getitem__(self, index: Any) -> Any:
        return _call(np.ndarray.__getitem__, (self, index), {})

    def __setitem__(self, index: Any, value: Any) -> None:
        _call(np.ndarray.__setitem__, (self, index, value), {})

    def fill(self, value: Any) -> None:
        _call(np.ndarray.fill, (self, value), {})

    # values read into Python: a guard while tracing (the library branches on a NaN check...)
    def __bool__(self) -> bool:
        return _guard(self, bool)

    def __float__(self) -> float:
        return _guard(self, float)

    def __int__(self) -> int:
        return _guard(self, int)

    def __index__(self) -> int:
        return _guard(self, int)

    def item(self, *a: Any) -> Any:
        return _guard(self, lambda v: v.item(*a))

    def tolist(self) -> Any:
        return _guard(self, lambda v: v.tolist())

    def jit_value_read(self) -> None:
        """Called by ``Tensor.numpy()`` (so ``.item()``, ``bool(t)``...): refused while tracing."""
        tr = _ACTIVE[0]
        if tr is not None and not tr.quiet:
            raise JitError(
                f"tg.jit: the traced function reads a tensor's values into Python (shape "
                f"{self.shape}, via .item()/.tolist()/.numpy()/float()/bool()/printing); a "
                "replay could not follow another branch. Return the tensor and read it outside "
                "the jitted function")


def _guard(x: _Traced, conv: Callable[[Any], Any]) -> Any:
    value = conv(_plain(x))
    tr = _ACTIVE[0]
    if tr is not None and not tr.quiet:
        tr.prog.append(("check", conv, (_Ref(tr.slot_of(x)),), {}, value))
    return value


def _call(fn: Any, args: Any, kwargs: dict, ufunc: str | None = None) -> Any:
    """Run ``fn`` on the plain arrays behind ``args``; while tracing, record it."""
    tr = _ACTIVE[0]
    if tr is None or tr.quiet:
        out = kwargs.get("out")
        res = fn(*_strip(args), **_strip(kwargs))
        if out is not None:  # an in-place call returns its out argument itself
            outs = out if isinstance(out, tuple) else (out,)
            if isinstance(res, tuple):
                return tuple(o if isinstance(o, np.ndarray) else r for o, r in zip(outs, res))
            return outs[0] if outs[0] is not None else res
        return res
    return tr.record(fn, args, kwargs, ufunc)


def _strip(x: Any) -> Any:
    if isinstance(x, _Traced):
        return _plain(x)
    if type(x) is tuple or type(x) is list:
        return type(x)(_strip(v) for v in x)
    if type(x) is dict:
        return {k: _strip(v) for k, v in x.items()}
    return x


class _Trace:
    """The recording of one call: slots, the program (closures), external bindings."""

    def __init__(self) -> None:
        self.n = 0
        self.thread = threading.get_ident()
        self._quiet = False
        # a dry run: a GPU step traced on host copies of its state, which it may change freely
        # (the optimizer's step is recorded, not run); the first replay is the real step
        self.dry = False
        # ("call", entry) | ("check", fn, args, kwargs, value): a value the trace branched on |
        # ("grads", [(tensor, slot)]) | ("step", optimizer). A call's entry: [fn, args, kwargs,
        # result slots, reusable, its buffer, generic, single, ufunc method, view]
        self.prog: list = []
        self.ext: list = []  # (slot, tensor, "data"|"grad", shape, dtype)
        self.inputs: list = []  # (slot, arg position)
        self.made: list = []  # weak references to every traced array (escape check)
        self.shares: dict[int, set] = {}  # slot -> input slots it may share memory with
        # id of the memory's owner of every traced array -> that owner (kept alive, so the ids
        # stay unique): an untraced array over such memory was made by a call nobody recorded
        self.roots: dict[int, Any] = {}
        self.meta: dict[int, tuple] = {}  # slot -> (shape, dtype, strides) of its trace array

    @property
    def quiet(self) -> bool:
        """Whether calls now run unrecorded: inside a recorded call, or in another thread than
        the tracing one (the hooks are process-wide; another thread's work is not this step's)."""
        return self._quiet or threading.get_ident() != self.thread

    @quiet.setter
    def quiet(self, value: bool) -> None:
        self._quiet = value

    def new_slot(self) -> int:
        self.n += 1
        return self.n - 1

    def wrap(self, a: np.ndarray, slot: int | None = None) -> _Traced:
        self.quiet, q = True, self.quiet
        try:
            t = a.view(_Traced)
        finally:
            self.quiet = q
        t._slot = self.new_slot() if slot is None else slot
        t._arr = a  # the plain array (a plain view of t would keep t alive through .base)
        self.meta[t._slot] = (a.shape, a.dtype, a.strides)
        root = _root(a)
        self.roots[id(root)] = root
        self.made.append(weakref.ref(t))
        return t

    def slot_of(self, x: _Traced) -> int:
        slot = getattr(x, "_slot", None)
        if slot is None:
            raise JitError("tg.jit: an array made by an ndarray method the jit does not record "
                           f"(shape {x.shape}) is used by the traced function; run it eagerly")
        return slot

    def check_const(self, x: Any, what: str) -> None:
        """Refuse an untraced array over a traced array's memory: a replay would read the
        trace's stale values from it (it was made by a call the jit did not record)."""
        if isinstance(x, np.ndarray) and not isinstance(x, _Traced) and \
                id(_root(x)) in self.roots:
            raise JitError(f"tg.jit: {what} an array of shape {x.shape} made from a traced "
                           "value by a call the jit does not record; a replay would reuse the "
                           "trace's values. Run the function eagerly (and report the op)")

    def template(self, x: Any, refs: list) -> Any:
        if isinstance(x, _Traced):
            r = _Ref(self.slot_of(x))
            refs.append(r.i)
            return r
        if isinstance(x, np.ndarray):
            self.check_const(x, "a NumPy call receives")
        if type(x) is tuple or type(x) is list:
            return type(x)(self.template(v, refs) for v in x)
        if type(x) is dict:
            return {k: self.template(v, refs) for k, v in x.items()}
        return x

    def record(self, fn: Any, args: Any, kwargs: dict, ufunc: str | None,
               run: Callable | None = None) -> Any:
        """Run ``fn`` (or ``run`` in its place) on the plain arrays and record the call."""
        refs: list = []
        targs = self.template(tuple(args), refs)
        tkw = self.template(dict(kwargs), refs)
        out = kwargs.get("out")
        outs = (out if isinstance(out, tuple) else (out,)) if out is not None else ()
        for o in outs:
            if o is not None and not isinstance(o, _Traced):
                raise JitError(f"tg.jit: {getattr(fn, '__name__', fn)} writes a traced value "
                               "into an array the jit does not track")
        self.quiet = True
        try:
            res = (run or fn)(*_strip(args), **_strip(kwargs))
        finally:
            self.quiet = False
        # an object ufunc's (np.frompyfunc) 0-d result is a Python value: kept as a 0-d array
        values = (np.ndarray, np.generic, bool, int, float, complex) if ufunc else (
            np.ndarray, np.generic)
        if not ufunc and refs and isinstance(res, (bool, int, float, complex)) and not \
                isinstance(res, np.generic) and fn not in _METADATA:
            self.prog.append(("check", fn, targs, tkw, res))
            return res  # a value computed from traced arrays, read by Python: a guard
        single = not isinstance(res, tuple)
        results = (res,) if single else res
        wrapped, slots, generic = [], [], False
        for i, r in enumerate(results):
            if i < len(outs) and outs[i] is not None:
                wrapped.append(outs[i])  # written in place: its slot already exists
                slots.append(None)
            elif isinstance(r, values):
                if not isinstance(r, np.ndarray):
                    r, generic = np.asarray(r), True
                w = self.wrap(r)
                wrapped.append(w)
                slots.append(w._slot)
                self.shares[w._slot] = {s for s, a in zip(refs, _flat_arrays(args))
                                        if np.may_share_memory(r, a)}
            else:
                wrapped.append(r)
                slots.append(None)
        reusable = (ufunc in ("__call__", "reduce") and not outs and single
                    and slots[0] is not None and isinstance(res, np.ndarray) and res.base is None)
        # a view of its one traced operand (w.T, a reshape): the replay may cache it
        view = single and slots[0] is not None and len(refs) == 1 and bool(
            self.shares.get(slots[0]))
        entry = [fn, targs, tkw, tuple(slots), reusable, results[0] if reusable else None,
                 generic, single, ufunc, view]
        self.prog.append(("call", entry))
        if fn in _SIZED_BY_VALUES or (fn is np.ndarray.__getitem__ and _masks(args[1:])):
            for s in slots:  # a shape that depends on values: a guard (the plan's is fixed)
                if s is not None:
                    self.prog.append(("check", shape, (_Ref(s),), {}, self.meta[s][0]))
        if res is None and single:
            return None
        return wrapped[0] if single else tuple(wrapped)


def _real_generator(device: str) -> Any:
    """The library's generator for ``device`` (past the tracer's proxy)."""
    gens = backend.generators
    return type(gens).get(gens, device)


def _draw(device: str, name: str, *a: Any, **k: Any) -> Any:
    """One draw from the library's generator current at this moment (trace or replay)."""
    return getattr(_real_generator(device), name)(*a, **k)


# functions whose results' shapes depend on the values (how many are nonzero, unique...)
_SIZED_BY_VALUES = {np.ndarray.nonzero, np.nonzero, np.flatnonzero, np.argwhere, np.unique,
                    np.ndarray.compress, np.compress, np.extract}


def shape(array: Any) -> tuple:
    """An array's shape (a guard's reading: the same on NumPy and CuPy arrays)."""
    return array.shape


def _masks(index: Any) -> bool:
    """Whether an index holds a boolean array (the result's size then counts its Trues)."""
    if type(index) in (tuple, list):
        return any(_masks(v) for v in index)
    return isinstance(index, np.ndarray) and index.dtype == np.bool_ and index.ndim > 0


# functions whose Python results depend only on shapes, dtypes and memory layout, which the
# trace's signature fixes (anything else returning a Python value from arrays is a guard)
_METADATA = {np.ndim, np.shape, np.size, np.result_type, np.can_cast, np.may_share_memory,
             np.shares_memory, np.iscomplexobj, np.isrealobj, np.isscalar, np.min_scalar_type}


def _flat_arrays(args: Any) -> list:
    """The arrays in ``args`` in the order ``template`` numbers their slots."""
    found: list = []

    def walk(x: Any) -> None:
        if isinstance(x, _Traced):
            found.append(_plain(x))
        elif type(x) is tuple or type(x) is list:
            for v in x:
                walk(v)
        elif type(x) is dict:
            for v in x.values():
                walk(v)

    walk(tuple(args))
    return found


def _subst(x: Any, slots_: Any) -> Any:
    """``x`` with each slot reference replaced by ``slots_[slot]`` (a list or a dict)."""
    if type(x) is _Ref:
        return slots_[x.i]
    if type(x) is tuple or type(x) is list:
        return type(x)(_subst(v, slots_) for v in x)
    if type(x) is dict:
        return {k: _subst(v, slots_) for k, v in x.items()}
    return x
