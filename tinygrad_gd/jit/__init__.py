"""``tg.jit``: trace a function of Tensors once, then replay its NumPy calls as generated code.

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
``modules=``/``optimizers=``): every parameter, buffer, tensor kept as a module attribute or
reached directly, and existing ``.grad`` becomes an *external* slot, bound to the live array at
each replay. Random draws from the library's
generators are recorded as draws, made again at every replay from the generator current then (so
``tg.manual_seed`` makes jitted runs reproducible). ``Optimizer.step`` is recorded as itself: the
replay hands it the gradients' slot arrays and calls it, so it reads ``lr`` (a schedule's),
momentum and its step counts at replay time, never baked in. ``zero_grad`` needs no record: the
gradients each parameter holds at each ``step`` and at the end are recorded as slots.

The recording is then compiled into the source of one Python function, a line per NumPy call
on local variables (``jitted.cache`` maps each signature to its plan; ``plan.source`` is that
code, to read). On the way, calls on constants only are computed once (the backward seed, ``1/n``
broadcast), views of the same array are made once (``w.T``), and a ufunc or reduction whose
result is a fresh temporary writes with ``out=`` into a buffer allocated once (the trace's own
array); results that outlive the step (gradients left in ``.grad``) are allocated fresh, or on
the CPU written over last replay's gradient when its reference count shows nothing else holds it
(so a gradient the user keeps keeps its values). A replay binds the inputs' and the state's
arrays and runs that function. Returned Tensors are copies of their slots (detached: no graph
exists after a replay). A call first tries the plan the last call ran, whose first lines check
what the cache key would (the arguments, grad mode, ``training`` flags, which ``.grad`` are
None); only when they fail is the key computed.

On a GPU (CuPy) the recording is the same list. The first call of a signature runs the step on
host copies of its inputs and state, a *dry run* that keeps nothing: the library takes its GPU
paths there (no value is read to choose a form), the optimizer's step is recorded without running,
the CPU generator is left as it was. The plan then calls CuPy's function of each recorded name
(``jit/device.py``), with its constants and buffers moved to the GPU once; that first replay is
the call's real step. Replays copy nothing between host and device. A recorded call CuPy has no
counterpart for is refused when the plan is built.

A GPU plan's runs of calls between its random draws, guards, ``.grad`` assignments and optimizer
steps (the forward and backward passes, cut where dropout draws) run as CUDA graphs
(``cupy.cuda.Graph``): the second replay captures each on a stream of its own, later replays
copy the inputs and the draws into the graphs' arrays and launch them, and run the host-side
steps between as before; see ``jit/device.py``'s ``GraphRunner``. ``tg.jit(graphs=False)``
turns this off.

Guards and limits
-----------------
- A new trace (a cache keyed by the signature) when an input's shape, dtype, device or
  ``requires_grad`` changes, a non-Tensor argument changes, grad mode changes, a found module's
  ``training`` flag changes, or a found parameter's ``.grad`` goes from None to set (or back).
- Reading a tensor's values into Python inside the function (``.item()``, ``if t > 0:``,
  ``float(t)``, ``.numpy()``, ``.tolist()``, printing) raises ``JitError``, as TinyJit and
  ``torch.compile(fullgraph=True)`` do: the replay could not follow another branch. Branches the
  library takes internally on values (a NaN check) become guards: a replay where the value
  differs raises ``JitError`` instead of computing something else. So do shapes that depend on
  values (the size of a boolean mask, ``nonzero``, ``unique``): the plan's shapes are the
  trace's.
- A trace records the tracing thread's work only: what other threads run meanwhile runs as
  usual, unrecorded.
- Python-side effects are not replayed: appending to a list, a scheduler's ``step()`` (call it
  outside), reassigning a module attribute to a new Tensor (refused: a traced array still alive
  after the trace raises ``JitError``), ``opt.step(closure)``.
- What the replay cannot see is refused, never replayed stale: an array made from a traced
  array's memory by a call nobody records (``np.ndarray(buffer=x.data)``) raises ``JitError``
  when a recorded call, an output or a ``.grad`` uses it; a Python value computed from traced
  arrays (``np.allclose(x.data, 0)``) is a guard. One hole is left: such an untracked view
  *copied* by an ndarray method into fresh memory before use cannot be told from a constant.
- The state search follows the user's functions the step reaches (closures, defaults, the
  globals they name) three functions deep, and containers two levels deep. On the CPU a tensor
  it does not reach still becomes state when the step first reads it (``Tensor.data`` is a
  property while the function is traced; ``_Missed``). On a GPU the trace refuses such a
  tensor (it meets the dry run's host copies); pass modules and optimizers reached another way
  as ``modules=``/``optimizers=``, and such tensors as arguments.
- One device per step: inputs and state on several devices raise ``JitError``. On a GPU, a
  tensor the step creates on the GPU itself (``device="cuda"`` written out, rather than
  ``device=x.device``) meets the dry run's host copies and fails as a device mismatch. The dry
  run computes one step on the CPU, with a host copy of the state: each trace of a large model
  costs that much time and host memory, once.

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
import types
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from .. import random as _random
from ..autograd import engine as _engine
from ..autograd.grad_mode import _GradMode
from ..optim import optimizer as _optimizer
from ..tensor import Tensor
from .replay import _RETRACE, _TENSOR_KEY, _out_spec, _Plan
from .tracer import _ACTIVE, _ALLOCATORS, JitError, _draw, _real_generator, _Trace, _Traced

__all__ = ["jit", "JitError"]

# functions of these packages are not searched for state (their globals are the library's)
_LIBRARIES = ("tinygrad_gd", "numpy", "cupy", "torch")


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
        else:
            tr.check_const(g.data, "a .grad holds")
    tr.prog.append(("grads", entries))


def _step_hook(opt: Any, closure: Any) -> Any:
    tr = _ACTIVE[0]
    if tr.quiet:  # another thread's step: it runs as usual
        return NotImplemented
    if closure is not None:
        raise JitError("tg.jit: opt.step(closure) inside a jitted function is not supported; "
                       "call loss.backward() and opt.step() in the function")
    _sync_grads(tr, opt._all_params())
    tr.prog.append(("step", opt))
    if tr.dry:  # host copies of a GPU step: the real update is the first replay's
        return None
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


def _user_draw(tr: _Trace, orig: Any) -> Any:
    """``random._draw`` while tracing: a draw from a ``tg.Generator`` (``generator=``) is
    recorded as a draw from it, made again at every replay (a draw from the library's default
    generator goes through ``_GenProxy``)."""
    def draw(device: str, generator: Any, fn: Any) -> Any:
        if generator is None or tr.quiet:
            return orig(device, generator, fn)
        # a dry run (see _trace) must leave the generator as it was: it draws elsewhere
        run = (lambda f: f(np.random.default_rng())) if tr.dry else None
        return tr.record(functools.partial(orig, device, generator), (fn,), {}, None, run=run)
    return draw


def _device_helpers() -> list[tuple[Any, str]]:
    """The library's functions that take one way on NumPy arrays and another on CuPy's (SciPy
    or ``np.frompyfunc`` on the host, ``cupyx`` on a GPU): a GPU trace records each as one call,
    so the replay calls it on CuPy arrays and it takes its GPU way."""
    from ..ops import gamma, special

    return [(backend, "erf"), (backend, "scatter_add"), (backend, "sliding_windows"),
            (special, "erfc_array"), (special, "erfinv_array"), (gamma, "lgamma_array"),
            (gamma, "digamma_array"), (gamma, "polygamma_array")]


def _whole(tr: _Trace, orig: Any) -> Any:
    @functools.wraps(orig)
    def call(*a: Any, **k: Any) -> Any:
        return orig(*a, **k) if tr.quiet else tr.record(orig, a, k, None)
    return call


def _allocator(tr: _Trace, name: str, orig: Any) -> Any:
    converts = name in ("asarray", "array", "ascontiguousarray", "asanyarray", "copy",
                        "as_strided")

    def make(*a: Any, **k: Any) -> Any:
        if tr.quiet:
            return orig(*a, **k)
        if converts and not any(isinstance(v, _Traced) for v in a):
            for v in a:  # a plain view of a traced array (np.ndarray(buffer=...)) copied
                tr.check_const(v, f"np.{name} receives")
            return orig(*a, **k)
        return tr.record(orig, a, k, None)  # a fresh buffer (or a conversion) at every replay
    return make


class _Patches:
    """Install the tracing hooks for the duration of one trace, and remove them after."""

    def __init__(self, tr: _Trace) -> None:
        self.tr = tr
        self.touched: dict[int, Tensor] = {}
        self.grads_before: dict[int, tuple] = {}  # id -> (tensor, its .grad before the trace)

    def __enter__(self) -> _Patches:
        tr = self.tr
        self.saved = {name: getattr(np, name) for name in _ALLOCATORS}
        for name, orig in self.saved.items():
            setattr(np, name, _allocator(tr, name, orig))
        backend.generators.get = lambda device: _GenProxy(tr, device)
        self.as_strided = np.lib.stride_tricks.as_strided
        np.lib.stride_tricks.as_strided = _allocator(tr, "as_strided", self.as_strided)
        self.draw = _random._draw
        _random._draw = _user_draw(tr, self.draw)
        self.host = backend.is_host, backend.checks_values
        self.helpers = ({(mod, name): getattr(mod, name) for mod, name in _device_helpers()}
                        if tr.dry else {})
        if tr.dry:  # the host copies stand for GPU arrays: the library takes its GPU paths
            is_host, checks = self.host  # (no value read to choose a form, no sync to check)
            backend.is_host = lambda a: is_host(a) and not isinstance(a, _Traced)
            backend.checks_values = lambda a: checks(a) and (
                not isinstance(a, _Traced) or backend.debug_checks_enabled())
            for (mod, name), orig in self.helpers.items():  # one call each, replayed as itself
                setattr(mod, name, _whole(tr, orig))  # (it picks CuPy's way on CuPy arrays)
        self.accumulate = _engine._accumulate
        touched, accumulate, before = self.touched, self.accumulate, self.grads_before

        def track(t: Tensor, g: Tensor, *args: Any) -> None:
            if id(t) not in touched and not tr.quiet:
                touched[id(t)] = t
                before.setdefault(id(t), (t, t.grad))
            accumulate(t, g, *args)
        _engine._accumulate = track
        _optimizer._STEP_HOOK[0] = _step_hook
        _ACTIVE[0] = tr
        return self

    def __exit__(self, *exc: Any) -> None:
        _ACTIVE[0] = None
        _optimizer._STEP_HOOK[0] = None
        _engine._accumulate = self.accumulate
        _random._draw = self.draw
        backend.is_host, backend.checks_values = self.host
        for (mod, name), orig in self.helpers.items():
            setattr(mod, name, orig)
        del backend.generators.get
        np.lib.stride_tricks.as_strided = self.as_strided
        for name, orig in self.saved.items():
            setattr(np, name, orig)


# ---------------------------------------------------------------------------- the decorator
def _discover(fn: Any, extra: list) -> tuple[list, list]:
    """The Modules, Optimizers and Tensors a function reaches: its closure, the globals it
    names, its ``self``, one level into containers and plain objects, and the same of the
    user's functions it reaches so (a ``loss_fn`` closing over class weights), three functions
    deep; plus ``extra``. Their tensors are the step's state (bound at each replay, never folded
    as constants: a tensor the function closes over may change between calls, and a constant
    indexed by traced values would be computed once: ``weight[labels]`` on an array the tracer
    does not see is a NumPy call it cannot record)."""
    from ..nn.module import Module

    seen: dict[int, Any] = {}
    functions: set = set()

    def visit(obj: Any, depth: int) -> None:
        if id(obj) in seen or obj is None:
            return
        if isinstance(obj, types.FunctionType) and id(obj) not in functions \
                and not (obj.__module__ or "").startswith(_LIBRARIES) and len(functions) < 64:
            functions.add(id(obj))
            if depth > 0:
                reach(obj, depth - 1)
        elif isinstance(obj, (Module, _optimizer.Optimizer, Tensor)):
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

    def reach(target: Any, calls: int) -> None:
        """Visit what ``target`` closes over, its defaults and the globals it names; ``calls``:
        how many functions deeper the user's functions it reaches are followed."""
        for cell in getattr(target, "__closure__", None) or ():
            try:
                visit_fn(cell.cell_contents, calls)
            except ValueError:  # an empty cell
                pass
        for value in (getattr(target, "__defaults__", None) or ()) + tuple(
                (getattr(target, "__kwdefaults__", None) or {}).values()):
            visit_fn(value, calls)
        glob = getattr(target, "__globals__", {})
        if hasattr(target, "__code__"):
            for name in names(target.__code__):
                if name in glob:
                    visit_fn(glob[name], calls)

    def visit_fn(obj: Any, calls: int) -> None:
        visit(obj, calls if isinstance(obj, types.FunctionType) else 2)

    target = getattr(fn, "__func__", fn)
    visit(getattr(fn, "__self__", None), 2)
    reach(target, 3)
    for obj in extra:
        visit(obj, 2)
    modules, params, ids = [], [], set()
    for obj in seen.values():
        if isinstance(obj, Module):
            tensors = list(obj.parameters()) + [b for b in obj.buffers() if b is not None]
            for m in obj.modules():
                if id(m) not in ids:
                    ids.add(id(m))
                    modules.append(m)
                    # a tensor kept as a plain attribute (not a registered buffer) is state too
                    tensors += [v for v in vars(m).values() if isinstance(v, Tensor)]
        elif isinstance(obj, Tensor):  # a tensor the function closes over: state, not a constant
            tensors = [obj]
        else:
            tensors = obj._all_params()
        for t in tensors:
            if id(t) not in ids:
                ids.add(id(t))
                params.append(t)
    return modules, params


class _Jitted:
    """The object ``tg.jit`` returns: call it as the function; ``traces`` counts the traces."""

    def __init__(self, fn: Callable, modules: Any = None, optimizers: Any = None,
                 graphs: bool = True) -> None:
        self.fn = fn
        self.graphs = graphs
        self.extra = list(modules or []) + list(optimizers or [])
        self.cache: dict = {}
        self.traces = 0
        self._found: tuple | None = None
        self._last: Any = None  # the plan the last call ran (tried first: see _guard_lines)
        functools.update_wrapper(self, fn)

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        return self if obj is None else functools.partial(self.__call__, obj)

    def cache_clear(self) -> None:
        """Forget every trace (the next call traces again)."""
        self.cache.clear()
        self._found = self._last = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        last = self._last
        if last is not None and not kwargs:  # the last plan, if its own guards let it
            out = last.replay(list(args))
            if out is not _RETRACE:
                return out
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
                self._last = plan if not names else None
                return out
        self.traces += 1
        devices = {t._device for t in flat + params if isinstance(t, Tensor)}
        if len(devices) > 1:
            raise JitError(f"tg.jit: the inputs and the state are on several devices "
                           f"({', '.join(sorted(devices))}); a traced step runs on one")
        plan = _trace(self.fn, args, kwargs, flat, params, devices.pop() if devices else "cpu",
                      self.graphs, (key, modules, params))
        self.cache[key] = plan
        self._last = plan if not names else None
        out = plan.first
        plan.first = None
        if plan.device != "cpu":  # the trace ran on host copies: the real step is this replay
            out = plan.replay(flat)
            if out is _RETRACE:  # pragma: no cover - the state was bound a moment ago
                raise JitError("tg.jit: the state changed while the step was traced")
        return out


def _arg_key(a: Any) -> Any:
    if isinstance(a, Tensor):
        return (_TENSOR_KEY, a.shape, a.dtype.str, a._requires_grad, a._device)
    try:
        hash(a)
    except TypeError:
        raise JitError(f"tg.jit: argument of type {type(a).__name__} is neither a Tensor nor "
                       "hashable (non-Tensor arguments key the trace cache)") from None
    return a


def _trace(fn: Callable, args: tuple, kwargs: dict, flat: list, params: list,
           device: str, graphs: bool = True, guard: tuple | None = None) -> _Plan:
    """Run ``fn`` once with every array it reaches traced; the compiled plan, with the call's
    own return value in ``plan.first``.

    On a GPU the step runs on host copies of its inputs and state (a *dry run*: nothing it does
    there is kept, and the optimizer's step is recorded, not run); the plan then replays the
    same calls with CuPy's functions, the first replay being the real step."""
    if _ACTIVE[0] is not None:
        raise JitError("tg.jit: a jitted function called inside another one's trace")
    tr = _Trace()
    tr.dry = device != "cpu"
    restore: list = []  # (tensor, original array, original device, the traced array)
    swapped: set = set()

    def swap(t: Tensor, s: int) -> None:
        orig, dev = t.data, t._device
        t.data = tr.wrap(backend.to_numpy(orig) if tr.dry else orig, s)
        t._device = "cpu"
        restore.append((t, orig, dev, t.data))

    for pos, a in enumerate(flat):
        if isinstance(a, Tensor) and id(a) not in swapped:
            swapped.add(id(a))
            s = tr.new_slot()
            swap(a, s)
            tr.inputs.append((s, pos))
    for p in params:
        for kind, t in (("data", p), ("grad", p.grad)):
            if t is None or id(t) in swapped or not (
                    type(t.data) is np.ndarray if device == "cpu" else
                    backend.is_array(t.data) and backend.device_of(t.data) == device):
                continue
            swapped.add(id(t))
            s = tr.new_slot()
            tr.ext.append((s, p, kind, t.data.shape, t.data.dtype))
            swap(t, s)
    patches = _Patches(tr)
    found = None if tr.dry else _Missed(tr, swap, swapped)
    if tr.dry:  # what the dry run must leave as it found: the gradients, the CPU's draws
        for p in params:
            patches.grads_before.setdefault(id(p), (p, p.grad))
        cpu_rng = _real_generator("cpu")
        rng_state = cpu_rng.bit_generator.state
    try:
        with patches:
            try:
                if found is not None:
                    with found:
                        result = fn(*args, **kwargs)
                else:
                    result = fn(*args, **kwargs)
            except RuntimeError as exc:
                if tr.dry and "one device" in str(exc):
                    raise JitError(
                        f"tg.jit: {exc}. The step was traced on host copies of the tensors it "
                        "was found to use: pass the modules and optimizers it reaches another "
                        "way as modules=/optimizers=, and make new tensors on x.device rather "
                        "than a device written out") from exc
                raise
            spec = _out_spec(result, tr)
            leaves = list({id(t): t for t in params + list(patches.touched.values())}.values())
            _sync_grads(tr, leaves)
            out = None if tr.dry else _copy_out(result)
            del result
    finally:
        replaced = _restore(restore)
        if tr.dry:  # nothing of the dry run stays: gradients, draws
            for t, grad in patches.grads_before.values():
                t.grad = grad
            cpu_rng.bit_generator.state = rng_state
        else:
            for t in params + list(patches.touched.values()):
                if t.grad is not None and isinstance(t.grad.data, _Traced):
                    t.grad.data = t.grad.data._arr
    if replaced:
        raise JitError("tg.jit: the traced function replaced a tensor's .data; update "
                       "state in place")
    alive = [w() for w in tr.made if w() is not None]
    if alive:  # perhaps only held by garbage cycles: a full collection (slow in a big heap) then
        del alive
        gc.collect()
        alive = [w() for w in tr.made if w() is not None]
    if alive:
        raise JitError(f"tg.jit: {len(alive)} traced array(s) (shapes "
                       f"{sorted({a.shape for a in alive})[:4]}) are still referenced after the "
                       "traced function returned: it stored a step's result outside (a module "
                       "attribute, a list, a global), which a replay cannot update")
    plan = _Plan(tr, spec, device, graphs, guard)
    plan.first = out
    return plan


class _Missed:
    """While the traced function runs on the CPU: a tensor that existed before the trace, that
    the state search did not find, becomes state when the step first reads its ``.data``
    (``Tensor.data`` is a property for that long). Else it would be a constant of the trace,
    and an index into it with traced values (``t[idx]``), a NumPy call on an array the tracer
    never saw, would be computed once and replayed stale.

    Tensors made during the trace (``Tensor._make`` and ``Tensor.__init__`` note them) are not
    affected: a constant ``tg.arange`` the step makes stays the step's own. A tensor that
    existed before keeps its id throughout, so no new one can be taken for it."""

    def __init__(self, tr: _Trace, swap: Callable, swapped: set) -> None:
        self.tr, self.swap, self.swapped = tr, swap, swapped
        self.saved = {name: Tensor.__dict__[name] for name in ("data", "_make", "__init__")}

    def __enter__(self) -> None:
        tr, swap, swapped = self.tr, self.swap, self.swapped
        slot, make, init = (self.saved[k] for k in ("data", "_make", "__init__"))
        made: set = set()

        def read(t: Tensor) -> Any:
            d = slot.__get__(t, Tensor)
            if type(d) is np.ndarray and id(t) not in made and id(t) not in swapped and \
                    not tr.quiet:
                swapped.add(id(t))
                s = tr.new_slot()
                tr.ext.append((s, t, "data", d.shape, d.dtype))
                swap(t, s)
                return slot.__get__(t, Tensor)
            return d

        def new(cls: type, *args: Any, **kwargs: Any) -> Tensor:
            t = make.__func__(cls, *args, **kwargs)
            made.add(id(t))
            return t

        def construct(t: Tensor, *args: Any, **kwargs: Any) -> None:
            made.add(id(t))
            init(t, *args, **kwargs)
        Tensor._make = classmethod(new)
        Tensor.__init__ = construct
        Tensor.data = property(read, slot.__set__)

    def __exit__(self, *exc: Any) -> None:
        for name, value in self.saved.items():
            setattr(Tensor, name, value)


def _restore(entries: list) -> list:
    """Put back each swapped tensor's array and device; the tensors whose ``.data`` the traced
    function replaced. Empties ``entries``: the traced arrays must die now (the trace checks
    that none outlives it)."""
    replaced = [entry[0] for entry in entries if entry[0].data is not entry[3]]
    for t, orig, device, _ in entries:
        t.data, t._device = orig, device
    entries.clear()
    return replaced


def _copy_out(x: Any) -> Any:
    """The trace call's return value, as a replay returns it (copies, detached)."""
    if isinstance(x, Tensor):
        return Tensor._make(x.data._arr.copy(), "cpu") if isinstance(x.data, _Traced) else x
    if isinstance(x, (tuple, list)):
        return type(x)(_copy_out(v) for v in x)
    if isinstance(x, dict):
        return {k: _copy_out(v) for k, v in x.items()}
    return x


def jit(fn: Callable | None = None, *, modules: Any = None, optimizers: Any = None,
        graphs: bool = True) -> Any:
    """Trace ``fn`` (a function of Tensors, e.g. a whole training step) once per signature and
    replay its backend calls afterwards (see the module's docstring for how, and the limits).

    ``@tg.jit`` or ``@tg.jit(modules=[...], optimizers=[...])`` (state reached another way than
    the function's closure, globals or ``self``). ``graphs=False`` replays a GPU step without
    CUDA graphs. The returned object has ``traces`` (how many times it traced) and
    ``cache_clear()``.
    """
    if fn is None:
        return lambda f: _Jitted(f, modules, optimizers, graphs)
    return _Jitted(fn, modules, optimizers, graphs)


jit.JitError = JitError  # type: ignore[attr-defined]
