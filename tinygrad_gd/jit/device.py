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
import re
import warnings
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


def is_draw(fn: Any) -> bool:
    """Whether a recorded call is a random draw (made again, on the host side, every replay)."""
    return isinstance(fn, functools.partial) and fn.func in (_draw, _random._draw)


def _like(array: Any) -> Any:
    """An uninitialised array on ``array``'s device with its shape, dtype and layout."""
    order = sorted(range(array.ndim), key=lambda i: -abs(array.strides[i]))
    buf = backend.xp_of(array).empty(tuple(array.shape[i] for i in order), array.dtype)
    return buf.transpose(tuple(order.index(i) for i in range(array.ndim)))


_FALLBACK = object()


class GraphRunner:
    """A GPU plan's replay whose first calls run as one CUDA graph (``cupy.cuda.Graph``).

    The *head* of the plan, its calls up to the first random draw, guard or ``.grad``
    assignment, has no Python decision in it: the second replay captures it on a stream of its
    own (the first is a plain replay) and every later replay launches it, then runs the rest of
    the plan (the draws, the optimizer's step with its hyper-parameters read now, the outputs)
    as plain code. What a graph needs is kept fixed: the inputs it reads are copied into arrays
    of the capture, the state it reads must be the very arrays it captured (else it is dropped
    and captured again), the arrays it makes stay alive with it and are rewritten by each
    launch, so a gradient it made is copied before it leaves the step. A capture that fails
    (a library call that needs the host) leaves the plan on plain replays, with a warning.
    """

    def __init__(self, plain: Any, src: Any, tr: Any, prologue: int, head: int, head_refs: set,
                 grad_lines: dict[int, int]) -> None:
        self.plain, self.device, self.names = plain, src.device, src.names
        lines = src.lines
        self.prologue, self.head, self.tail = lines[:prologue], lines[prologue:head], lines[head:]
        self.inputs = [(s, pos) for s, pos in tr.inputs if s in head_refs]
        self.ext = [s for s, *_ in tr.ext if s in head_refs]
        fixed = {s for s, _ in tr.inputs} | {s for s, *_ in tr.ext}
        self.made = head_refs - fixed  # the slots the head's calls make
        self.grad_lines = {i - head: s for i, s in grad_lines.items() if i >= head}
        self.graph: Any = None
        self.refused: str | None = None if self.head else "nothing before the first draw"
        self._fn: Any = None
        self._keep: Any = None
        self._calls = 0

    def __call__(self, flat: list) -> Any:
        with backend.on_device(self.device):
            if self._fn is not None:
                out = self._fn(flat)
                if out is not _FALLBACK:
                    return out
                self._fn = self.graph = self._keep = None  # the state's arrays are new ones
                self._calls = 0
            if self.refused is not None or self._calls == 0:
                self._calls += 1
                return self.plain(flat)
            try:
                if not self._capture(flat):
                    return self.names["RETRACE"]
            except Exception as exc:  # noqa: BLE001 - any failure: plain replays stay correct
                self.refused = f"{type(exc).__name__}: {exc}"
                warnings.warn(f"tg.jit: the step could not be captured as a CUDA graph "
                              f"({self.refused}); it is replayed without one", RuntimeWarning,
                              stacklevel=3)
                return self.plain(flat)
            return self._fn(flat)

    def _capture(self, flat: list) -> bool:
        cp = backend._cupy
        ns = dict(self.names)
        ns["FALLBACK"] = _FALLBACK
        for s, pos in self.inputs:  # the graph reads the inputs from arrays of its own
            ns[f"IN_{s}"] = _like(flat[pos].data)
        inputs = {f"s{s} = flat[{pos}].data": f"s{s} = IN_{s}" for s, pos in self.inputs}
        bind = [inputs.get(line, line) for line in self.prologue]  # (copied in before launch)
        source = "def capture(flat):\n" + "".join(
            f"    {line}\n" for line in bind + self.head) + "    return locals()\n"
        ns["copyto"] = cp.copyto
        exec(compile(source, "<tg.jit capture>", "exec"), ns)  # noqa: S102 - our own source
        stream = cp.cuda.Stream(non_blocking=True)  # its memory arena is the graph's alone
        with stream:
            stream.begin_capture()
            try:
                env = ns["capture"](flat)
            finally:
                graph = stream.end_capture()
        if env is ns["RETRACE"]:
            return False
        used = set(re.findall(r"\bs(\d+)\b", "\n".join(self.tail)))
        lines = list(self.prologue)
        if self.ext:
            ns.update({f"E_{s}": env[f"s{s}"] for s in self.ext})
            lines.append("if " + " or ".join(f"s{s} is not E_{s}" for s in self.ext) +
                         ": return FALLBACK")
        lines += [f"copyto(IN_{s}, s{s})" for s, _ in self.inputs]
        ns["GRAPH"] = graph
        lines.append("GRAPH.launch()")
        for s in sorted(self.made):
            if str(s) in used:
                ns[f"E_{s}"] = env[f"s{s}"]
                lines.append(f"s{s} = E_{s}")
        for i, line in enumerate(self.tail):  # a gradient made by the graph: a copy leaves
            s = self.grad_lines.get(i)
            lines.append(line.replace(f"make(s{s}, DEVICE)", f"make(s{s}.copy(), DEVICE)")
                         if s in self.made else line)
        self.source = "def graphed(flat):\n" + "".join(f"    {line}\n" for line in lines)
        exec(compile(self.source, "<tg.jit graphed replay>", "exec"), ns)  # noqa: S102
        self.graph, self._fn, self._keep = graph, ns["graphed"], (env, stream, ns)
        return True
