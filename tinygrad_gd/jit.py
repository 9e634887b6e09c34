"""``tg.jit``: trace a function of Tensors once, then replay its NumPy calls from a flat list.

How it works
------------
The first call with a new signature *traces*: it runs the function eagerly (so that call is an
ordinary training step), while every backend array it touches is an ``_Traced`` array, an
``ndarray`` subclass whose ``__array_ufunc__`` / ``__array_function__`` and array methods record
each NumPy call with the *slots* of its operands and results. What is recorded is therefore the
backend calls themselves, wherever they happen: inside primitives' forward and backward, in
Tensor methods that compute on raw arrays (relu's slope, cross-entropy's ``softmax - onehot``),
BatchNorm's in-place running statistics, the backward seed. The Tensor objects, the tape and the
topological sort exist only while tracing.

The state the step reads and writes is found in the function's closure and globals (and
``modules=``/``optimizers=``): every parameter, buffer and existing ``.grad`` becomes an
*external* slot, bound to the live array at each replay. Random draws from the library's
generators are recorded as draws, made again at every replay from the generator current then (so
``tg.manual_seed`` makes jitted runs reproducible). ``Optimizer.step`` is recorded as itself: the
replay hands it the gradients' slot arrays and calls it, so it reads ``lr`` (a schedule's),
momentum and its step counts at replay time, never baked in. ``zero_grad`` needs no record: the
gradients each parameter holds at each ``step`` and at the end are recorded as slots.

A replay binds the inputs' and the state's arrays to their slots and runs the list: each entry is
a closure calling one NumPy function. A ufunc or reduction whose result is a fresh temporary gets a
buffer allocated once (the trace's own array) and is called with ``out=``; results that outlive
the step (gradients left in ``.grad``) are allocated fresh. Returned Tensors are copies of their
slots (detached: no graph exists after a replay).

Guards and limits
-----------------
- A new trace (a cache keyed by the signature) when an input's shape, dtype, device or
  ``requires_grad`` changes, a non-Tensor argument changes, grad mode changes, a found module's
  ``training`` flag changes, or a found parameter's ``.grad`` goes from None to set (or back).
- Reading a tensor's values into Python inside the function (``.item()``, ``if t > 0:``,
  ``float(t)``, ``.numpy()``, ``.tolist()``, printing) raises ``JitError``, as TinyJit and
  ``torch.compile(fullgraph=True)`` do: the replay could not follow another branch. Branches the
  library takes internally on values (a NaN check) become guards: a replay where the value
  differs raises ``JitError`` instead of computing something else.
- Python-side effects are not replayed: appending to a list, a scheduler's ``step()`` (call it
  outside), reassigning a module attribute to a new Tensor (refused: a traced array still alive
  after the trace raises ``JitError``), ``opt.step(closure)``.
- State outside the found modules and optimizers is not tracked: pass ``modules=``/
  ``optimizers=`` when they are reached another way than the closure, globals or ``self``.
- CPU (NumPy) only for now; CuPy tensors raise ``JitError``.

>>> import tinygrad_gd as tg
>>> w = tg.tensor([1.0, 2.0], requires_grad=True)
>>> opt = tg.optim.SGD([w], lr=0.1)
>>> @tg.jit
... def step(x):
...     opt.zero_grad()
...     loss = ((w * x).sum() - 1.0) ** 2
...     loss.backward()
...     opt.step()
...     return loss
>>> [round(step(tg.tensor([1.0, 1.0])).item(), 4) for _ in range(3)]
[4.0, 1.44, 0.5184]
>>> step.traces      # the second call traced again: w.grad went from None to set (a guard)
2
"""

from __future__ import annotations

import functools
import gc
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import backend
from .autograd import engine as _engine
from .autograd.grad_mode import _GradMode
from .optim import optimizer as _optimizer
from .tensor import Tensor

__all__ = ["jit", "JitError"]


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
        slot = tr.slot_of(x)

        def check(slots_: list) -> None:
            now = conv(slots_[slot])
            if now != value and not (now != now and value != value):  # NaN equals NaN here
                raise JitError(f"tg.jit: the traced step branched on a value that is {value!r} "
                               f"in the trace and {now!r} now (a NaN check?); run it eagerly")

        tr.prog.append(("guard", check))
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
        self.quiet = False
        self.prog: list = []  # ("call", closure) | ("guard", closure) | ("grads", ...) | ...
        self.calls: list = []  # per call: [fn, args, kwargs, res slots, reusable, buf]
        self.ext: list = []  # (slot, tensor, "data"|"grad", shape, dtype)
        self.inputs: list = []  # (slot, arg position)
        self.made: list = []  # weak references to every traced array (escape check)
        self.shares: dict[int, set] = {}  # slot -> input slots it may share memory with

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
        self.made.append(weakref.ref(t))
        return t

    def slot_of(self, x: _Traced) -> int:
        slot = getattr(x, "_slot", None)
        if slot is None:
            raise JitError("tg.jit: an array made by an ndarray method the jit does not record "
                           f"(shape {x.shape}) is used by the traced function; run it eagerly")
        return slot

    def template(self, x: Any, refs: list) -> Any:
        if isinstance(x, _Traced):
            r = _Ref(self.slot_of(x))
            refs.append(r.i)
            return r
        if type(x) is tuple or type(x) is list:
            return type(x)(self.template(v, refs) for v in x)
        if type(x) is dict:
            return {k: self.template(v, refs) for k, v in x.items()}
        return x

    def record(self, fn: Any, args: Any, kwargs: dict, ufunc: str | None) -> Any:
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
            res = fn(*_strip(args), **_strip(kwargs))
        finally:
            self.quiet = False
        single = not isinstance(res, tuple)
        results = (res,) if single else res
        wrapped, slots, generic = [], [], False
        for i, r in enumerate(results):
            if i < len(outs) and outs[i] is not None:
                wrapped.append(outs[i])  # written in place: its slot already exists
                slots.append(None)
            elif isinstance(r, (np.ndarray, np.generic)):
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
        entry = [fn, targs, tkw, tuple(slots), reusable, results[0] if reusable else None,
                 generic, single]
        self.calls.append(entry)
        self.prog.append(("call", entry))
        if res is None and single:
            return None
        return wrapped[0] if single else tuple(wrapped)


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


def _subst(x: Any, slots_: list) -> Any:
    if type(x) is _Ref:
        return slots_[x.i]
    if type(x) is tuple or type(x) is list:
        return type(x)(_subst(v, slots_) for v in x)
    if type(x) is dict:
        return {k: _subst(v, slots_) for k, v in x.items()}
    return x


def _has_ref(x: Any) -> bool:
    if type(x) is _Ref:
        return True
    if type(x) is tuple or type(x) is list:
        return any(_has_ref(v) for v in x)
    if type(x) is dict:
        return any(_has_ref(v) for v in x.values())
    return False


# ------------------------------------------------------------------------------ replay
def _compile_call(entry: list, escaping: set) -> Callable[[list], None]:
    """A closure running one recorded NumPy call on the slot list ``slots_``."""
    fn, targs, tkw, slots, reusable, buf, generic, single = entry
    kw = dict(tkw)
    if reusable and slots[0] not in escaping:
        kw["out"] = (buf,)  # the buffer allocated once (the trace's own array)
        generic = False
    if not _has_ref(kw) and all(type(a) is _Ref or not _has_ref(a) for a in targs):
        refs = [(i, a.i) for i, a in enumerate(targs) if type(a) is _Ref]
        if len(targs) == 1 and refs:
            i0 = refs[0][1]

            def call(slots_: list) -> Any:
                return fn(slots_[i0], **kw)
        elif len(targs) == 2 and len(refs) == 2:
            i0, i1 = refs[0][1], refs[1][1]

            def call(slots_: list) -> Any:
                return fn(slots_[i0], slots_[i1], **kw)
        else:
            base = list(targs)

            def call(slots_: list) -> Any:
                a = base.copy()
                for i, s in refs:
                    a[i] = slots_[s]
                return fn(*a, **kw)
    else:
        def call(slots_: list) -> Any:
            return fn(*_subst(targs, slots_), **_subst(kw, slots_))
    if not single:
        def run(slots_: list) -> None:
            for s, v in zip(slots, call(slots_)):
                if s is not None:
                    slots_[s] = np.asarray(v) if generic else v
        return run
    s0 = slots[0]
    if s0 is None:
        return call
    if generic:
        def run(slots_: list) -> None:
            slots_[s0] = np.asarray(call(slots_))
        return run

    def run(slots_: list) -> None:
        slots_[s0] = call(slots_)
    return run


class _Plan:
    """A compiled trace: bind the inputs and the state, run the closures, rebuild the outputs."""

    def __init__(self, tr: _Trace, out_spec: Any) -> None:
        self.n = tr.n
        self.inputs = tr.inputs
        self.ext = tr.ext
        self.out_spec = out_spec
        escaping: set = set()
        todo = [s for kind, x in tr.prog if kind == "grads" for _, s in x if s is not None]
        while todo:
            s = todo.pop()
            if s not in escaping:
                escaping.add(s)
                todo.extend(tr.shares.get(s, ()))
        self.prog: list = []
        for kind, x in tr.prog:
            if kind == "call":
                self.prog.append(_compile_call(x, escaping))
            elif kind == "guard":
                self.prog.append(x)
            elif kind == "grads":
                self.prog.append(functools.partial(_set_grads, x))
            else:  # "step": the optimizer's own update, reading its hyper-parameters now
                self.prog.append(lambda slots_, opt=x: opt.step())
        self.buffers = sum(1 for e in tr.calls if e[4] and e[3][0] not in escaping)

    def replay(self, flat: list) -> Any:
        slots_: list = [None] * self.n
        for s, pos in self.inputs:
            slots_[s] = flat[pos].data
        for s, t, kind, shape, dtype in self.ext:
            a = t.data if kind == "data" else (t.grad.data if t.grad is not None else None)
            if a is None or a.shape != shape or a.dtype != dtype or type(a) is not np.ndarray:
                return _RETRACE
            slots_[s] = a
        for run in self.prog:
            run(slots_)
        return _build(self.out_spec, slots_)


_RETRACE = object()


def _set_grads(entries: list, slots_: list) -> None:
    for t, s in entries:
        t.grad = None if s is None else Tensor._make(slots_[s], "cpu")


def _build(spec: Any, slots_: list) -> Any:
    kind = spec[0]
    if kind == "slot":
        return Tensor._make(slots_[spec[1]].copy(), "cpu")
    if kind == "const":
        return spec[1]
    if kind == "seq":
        return spec[1](_build(s, slots_) for s in spec[2])
    return {k: _build(s, slots_) for k, s in spec[1].items()}


def _out_spec(x: Any, tr: _Trace) -> Any:
    if isinstance(x, Tensor):
        if isinstance(x.data, _Traced):
            return ("slot", tr.slot_of(x.data))
        return ("const", x)
    if isinstance(x, (tuple, list)):
        return ("seq", type(x), [_out_spec(v, tr) for v in x])
    if isinstance(x, dict):
        return ("dict", {k: _out_spec(v, tr) for k, v in x.items()})
    if isinstance(x, (np.ndarray, np.generic)) and isinstance(x, _Traced):
        raise JitError("tg.jit: the traced function returns a raw traced array; return Tensors")
    return ("const", x)


# ------------------------------------------------------------------------- tracing hooks
def _sync_grads(tr: _Trace, tensors: list) -> None:
    """Record which array each tensor's ``.grad`` holds now (``zero_grad`` and backward's
    assignments are replayed as their outcome)."""
    own = {(id(t), s) for s, t, kind, _, _ in tr.ext if kind == "grad"}
    entries = []
    for t in tensors:
        g = t.grad
        if g is None:
            entries.append((t, None))
        elif isinstance(g.data, _Traced):
            s = tr.slot_of(g.data)
            if (id(t), s) not in own:  # an untouched old gradient stays as it is
                entries.append((t, s))
    tr.prog.append(("grads", entries))


def _step_hook(opt: Any, closure: Any) -> Any:
    tr = _ACTIVE[0]
    if closure is not None:
        raise JitError("tg.jit: opt.step(closure) inside a jitted function is not supported; "
                       "call loss.backward() and opt.step() in the function")
    _sync_grads(tr, opt._all_params())
    tr.prog.append(("step", opt))
    hook, _optimizer._STEP_HOOK[0] = _optimizer._STEP_HOOK[0], None
    tr.quiet = True
    try:
        return opt.step()  # the real update now; recorded as "call opt.step()" for replays
    finally:
        tr.quiet = False
        _optimizer._STEP_HOOK[0] = hook


class _GenProxy:
    """Stands for a device's generator while tracing: each draw is recorded as a draw."""

    def __init__(self, tr: _Trace, device: str) -> None:
        self._tr, self._device = tr, device

    def __getattr__(self, name: str) -> Any:
        if self._tr.quiet:
            return getattr(_real_generator(self._device), name)
        fn = functools.partial(_draw, self._device, name)
        return lambda *a, **k: self._tr.record(fn, a, k, None)


def _real_generator(device: str) -> Any:
    gens = backend.generators
    return type(gens).get(gens, device)


def _draw(device: str, name: str, *a: Any, **k: Any) -> Any:
    """One draw from the library's generator current at this moment (trace or replay)."""
    return getattr(_real_generator(device), name)(*a, **k)


def _allocator(tr: _Trace, name: str, orig: Any) -> Any:
    converts = name in ("asarray", "array", "ascontiguousarray", "asanyarray", "copy")

    def make(*a: Any, **k: Any) -> Any:
        if tr.quiet or (converts and not any(isinstance(v, _Traced) for v in a)):
            return orig(*a, **k)
        return tr.record(orig, a, k, None)  # a fresh buffer (or a conversion) at every replay
    return make


class _Patches:
    """Install the tracing hooks for the duration of one trace, and remove them after."""

    def __init__(self, tr: _Trace) -> None:
        self.tr = tr
        self.touched: dict[int, Tensor] = {}

    def __enter__(self) -> _Patches:
        tr = self.tr
        self.saved = {name: getattr(np, name) for name in _ALLOCATORS}
        for name, orig in self.saved.items():
            setattr(np, name, _allocator(tr, name, orig))
        backend.generators.get = lambda device: _GenProxy(tr, device)
        self.accumulate = _engine._accumulate
        touched, accumulate = self.touched, self.accumulate

        def track(t: Tensor, g: Tensor, create_graph: bool) -> None:
            touched[id(t)] = t
            accumulate(t, g, create_graph)
        _engine._accumulate = track
        _optimizer._STEP_HOOK[0] = _step_hook
        _ACTIVE[0] = tr
        return self

    def __exit__(self, *exc: Any) -> None:
        _ACTIVE[0] = None
        _optimizer._STEP_HOOK[0] = None
        _engine._accumulate = self.accumulate
        del backend.generators.get
        for name, orig in self.saved.items():
            setattr(np, name, orig)


# ---------------------------------------------------------------------------- the decorator
def _discover(fn: Any, extra: list) -> tuple[list, list]:
    """The Modules and Optimizers a function reaches: its closure, the globals it names, its
    ``self``, one level into containers and plain objects; plus ``extra``."""
    from .nn.module import Module

    seen: dict[int, Any] = {}

    def visit(obj: Any, depth: int) -> None:
        if id(obj) in seen or obj is None:
            return
        if isinstance(obj, (Module, _optimizer.Optimizer)):
            seen[id(obj)] = obj
        elif depth > 0 and isinstance(obj, (list, tuple)):
            for v in obj:
                visit(v, depth - 1)
        elif depth > 0 and isinstance(obj, dict):
            for v in obj.values():
                visit(v, depth - 1)
        elif depth > 0 and hasattr(obj, "__dict__") and not isinstance(obj, type) and not \
                callable(obj):
            for v in vars(obj).values():
                visit(v, depth - 1)

    def names(code: Any) -> set:
        found = set(code.co_names)
        for c in code.co_consts:
            if hasattr(c, "co_names"):
                found |= names(c)
        return found

    target = getattr(fn, "__func__", fn)
    visit(getattr(fn, "__self__", None), 2)
    for cell in getattr(target, "__closure__", None) or ():
        try:
            visit(cell.cell_contents, 2)
        except ValueError:  # an empty cell
            pass
    glob = getattr(target, "__globals__", {})
    if hasattr(target, "__code__"):
        for name in names(target.__code__):
            if name in glob:
                visit(glob[name], 2)
    for obj in extra:
        visit(obj, 2)
    modules, params, ids = [], [], set()
    for obj in seen.values():
        if isinstance(obj, Module):
            for m in obj.modules():
                if id(m) not in ids:
                    ids.add(id(m))
                    modules.append(m)
            tensors = list(obj.parameters()) + [b for b in obj.buffers() if b is not None]
        else:
            tensors = obj._all_params()
        for t in tensors:
            if id(t) not in ids:
                ids.add(id(t))
                params.append(t)
    return modules, params


class _Jitted:
    """The object ``tg.jit`` returns: call it as the function; ``traces`` counts the traces."""

    def __init__(self, fn: Callable, modules: Any = None, optimizers: Any = None) -> None:
        self.fn = fn
        self.extra = list(modules or []) + list(optimizers or [])
        self.cache: dict = {}
        self.traces = 0
        self._found: tuple | None = None
        functools.update_wrapper(self, fn)

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        return self if obj is None else functools.partial(self.__call__, obj)

    def cache_clear(self) -> None:
        """Forget every trace (the next call traces again)."""
        self.cache.clear()
        self._found = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        names = tuple(sorted(kwargs))
        flat = list(args) + [kwargs[k] for k in names]
        if self._found is None:
            self._found = _discover(self.fn, self.extra + [a for a in flat
                                                           if not isinstance(a, Tensor)])
        modules, params = self._found
        key = (names, _GradMode.enabled, tuple(_arg_key(a) for a in flat),
               tuple(m.training for m in modules), tuple(p.grad is None for p in params))
        plan = self.cache.get(key)
        if plan is not None:
            out = plan.replay(flat)
            if out is not _RETRACE:
                return out
        self.traces += 1
        plan, out = _trace(self.fn, args, kwargs, flat, params)
        self.cache[key] = plan
        return out


def _arg_key(a: Any) -> Any:
    if isinstance(a, Tensor):
        if a._device != "cpu":
            raise JitError(f"tg.jit: only CPU tensors can be traced for now, got one on "
                           f"{a._device}")
        return (a.shape, a.dtype.str, a._requires_grad)
    try:
        hash(a)
    except TypeError:
        raise JitError(f"tg.jit: argument of type {type(a).__name__} is neither a Tensor nor "
                       "hashable (non-Tensor arguments key the trace cache)") from None
    return a


def _trace(fn: Callable, args: tuple, kwargs: dict, flat: list, params: list) -> tuple:
    if _ACTIVE[0] is not None:
        raise JitError("tg.jit: a jitted function called inside another one's trace")
    tr = _Trace()
    restore: list = []  # (tensor, original array)
    swapped: set = set()
    for pos, a in enumerate(flat):
        if isinstance(a, Tensor) and id(a) not in swapped:
            swapped.add(id(a))
            s = tr.new_slot()
            restore.append((a, a.data))
            a.data = tr.wrap(a.data, s)
            tr.inputs.append((s, pos))
    for p in params:
        for kind, t in (("data", p), ("grad", p.grad)):
            if t is None or id(t) in swapped or type(t.data) is not np.ndarray:
                continue
            swapped.add(id(t))
            s = tr.new_slot()
            tr.ext.append((s, p, kind, t.data.shape, t.data.dtype))
            restore.append((t, t.data))
            t.data = tr.wrap(t.data, s)
    patches = _Patches(tr)
    try:
        with patches:
            result = fn(*args, **kwargs)
            spec = _out_spec(result, tr)
            leaves = list({id(t): t for t in params + list(patches.touched.values())}.values())
            _sync_grads(tr, leaves)
            out = _copy_out(result)
            del result
    finally:
        for t, orig in restore:
            if isinstance(t.data, _Traced) and getattr(t.data, "_arr", None) is orig:
                t.data = orig
        for t in params + list(patches.touched.values()):
            if t.grad is not None and isinstance(t.grad.data, _Traced):
                t.grad.data = t.grad.data._arr
    for t, orig in restore:
        if t.data is not orig:
            raise JitError("tg.jit: the traced function replaced a tensor's .data; update "
                           "state in place")
    gc.collect()
    alive = [w() for w in tr.made if w() is not None]
    if alive:
        raise JitError(f"tg.jit: {len(alive)} traced array(s) (shapes "
                       f"{sorted({a.shape for a in alive})[:4]}) are still referenced after the "
                       "traced function returned: it stored a step's result outside (a module "
                       "attribute, a list, a global), which a replay cannot update")
    return _Plan(tr, spec), out


def _copy_out(x: Any) -> Any:
    """The trace call's return value, as a replay returns it (copies, detached)."""
    if isinstance(x, Tensor):
        return Tensor._make(x.data._arr.copy(), "cpu") if isinstance(x.data, _Traced) else x
    if isinstance(x, (tuple, list)):
        return type(x)(_copy_out(v) for v in x)
    if isinstance(x, dict):
        return {k: _copy_out(v) for k, v in x.items()}
    return x


def jit(fn: Callable | None = None, *, modules: Any = None, optimizers: Any = None) -> Any:
    """Trace ``fn`` (a function of Tensors, e.g. a whole training step) once per signature and
    replay its backend calls afterwards (see the module's docstring for how, and the limits).

    ``@tg.jit`` or ``@tg.jit(modules=[...], optimizers=[...])`` (state reached another way than
    the function's closure, globals or ``self``). The returned object has ``traces`` (how many
    times it traced) and ``cache_clear()``.
    """
    if fn is None:
        return lambda f: _Jitted(f, modules, optimizers)
    return _Jitted(fn, modules, optimizers)


jit.JitError = JitError  # type: ignore[attr-defined]
