"""``tg.jit`` on a GPU: the recorded NumPy calls, replayed with CuPy's.

A GPU step is traced on host copies of its inputs and state (``_trace``'s dry run), so the
recording is the same list of NumPy calls as on the CPU. The plan then names, for each call, the
CuPy function of the same name (``np.add`` -> ``cupy.add``, ``np.ndarray.reshape`` ->
``cupy.ndarray.reshape``, ``np.linalg.solve`` -> ``cupy.linalg.solve``), moves the constants the
calls use to the device once, and allocates its buffers there with the trace's memory layout (so
a reshape that was a view on the host is a view on the device too; the plan checks it when it
makes the view). A call with no CuPy counterpart (an object ufunc made by ``np.frompyfunc``) is
refused with ``JitError`` when the plan is built, never replayed on the host.

``GraphRunner`` then runs the plan's runs of calls between its host-side steps as CUDA graphs
(see its docstring).
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


def device_buffer(like: Any, device: str) -> Any:
    """An uninitialised device array with ``like``'s shape, dtype and memory layout (a ufunc's
    output follows its inputs' layout: an F-ordered result must stay F-ordered, or a later
    reshape would copy where the trace's made a view). ``like``: an array, or a
    ``(shape, dtype, strides)`` triple."""
    shape, dtype, strides = like if type(like) is tuple else (like.shape, like.dtype,
                                                               like.strides)
    order = sorted(range(len(shape)), key=lambda i: -abs(strides[i]))
    with backend.on_device(device):
        buf = backend.get_xp(device).empty(tuple(shape[i] for i in order), dtype)
    return buf.transpose(tuple(order.index(i) for i in range(len(shape))))


def check_view(view: Any, base: Any, what: str) -> Any:
    """Refuse a device result that is a copy where the trace's was a view."""
    if view is not base and not backend.xp_of(view).may_share_memory(view, base):
        raise JitError(f"tg.jit: {what} made a copy on the GPU where it made a view on the host "
                       "(a different memory layout); run this step eagerly")
    return view


def is_draw(fn: Any) -> bool:
    """Whether a recorded call is a random draw (made again, on the host side, every replay)."""
    return isinstance(fn, functools.partial) and fn.func in (_draw, _random._draw)


_FALLBACK = object()


class GraphRunner:
    """A GPU plan's replay whose runs of calls between host-side steps run as CUDA graphs.

    The plan's calls are cut at each random draw, guard, ``.grad`` assignment and optimizer
    step; each run of calls between them (the forward and backward passes, split only where
    dropout draws) has no Python decision in it, so it is one ``cupy.cuda.Graph``. The first
    replay is plain. The second captures every run first, each on the one stream kept for them,
    running nothing (a capture that fails, say a library call that needs the host, leaves the
    plan on plain replays with a warning, and nothing of the step done twice); then it and every
    later replay launch the graphs and run the host-side steps between them as plain code (the
    optimizer reads its hyper-parameters then). A graph reads fixed arrays: the inputs, and the
    draws a run uses, are copied into arrays of its own first; the state it reads must be the
    very arrays it captured (else the graphs are dropped and captured again); the arrays it
    makes live with it and each launch rewrites them, so a gradient made there is copied before
    it leaves the step.
    """

    def __init__(self, plain: Any, src: Any, tr: Any, prologue: int, segments: list,
                 grad_lines: dict[int, int]) -> None:
        self.plain, self.device, self.names = plain, src.device, src.names
        lines = src.lines
        self.prologue = lines[:prologue]
        made = set().union(*(g[3] for g in segments))
        inputs = {s for s, _ in tr.inputs}
        ext = {s for s, *_ in tr.ext}
        reads = set().union(*(g[2] for g in segments))
        self.inputs = [(s, pos) for s, pos in tr.inputs if s in reads]
        self.ext = sorted(ext & reads)
        self.made = made
        # per run: the host lines before it, its lines, the slots made outside the graphs (by a
        # draw) that it reads, the slots it makes
        self.runs, end = [], prologue
        for first, last, read, make in segments:
            self.runs.append((self._host(lines, end, first, grad_lines), lines[first:last],
                              sorted(read - made - inputs - ext), make))
            end = last
        self.drawn = {s: tr.meta[s] for run in self.runs for s in run[2]}
        self.final = self._host(lines, end, len(lines), grad_lines)
        self.graphs: list = []
        self.refused: str | None = None
        self.source = ""
        self._fn: Any = None
        self._keep: Any = None
        self._calls = 0

    def _host(self, lines: list, start: int, end: int, grad_lines: dict[int, int]) -> list:
        """Lines run on the host between graphs; a gradient a graph made is copied out."""
        out = []
        for i in range(start, end):
            s = grad_lines.get(i)
            line = lines[i]
            out.append(line.replace(f"make(s{s}, DEVICE)", f"make(s{s}.copy(), DEVICE)")
                       if s in self.made else line)
        return out

    @property
    def graph(self) -> Any:
        """The first graph (None before the capture)."""
        return self.graphs[0] if self.graphs else None

    def __call__(self, flat: list) -> Any:
        with backend.on_device(self.device):
            if self._fn is None and self.refused is None and self._calls > 0:
                try:
                    if not self._capture(flat):
                        return self.names["RETRACE"]
                except Exception as exc:  # noqa: BLE001 - nothing ran: a plain replay is right
                    self.refused = f"{type(exc).__name__}: {exc}"
                    warnings.warn(f"tg.jit: the step could not be captured as CUDA graphs "
                                  f"({self.refused}); it is replayed without them",
                                  RuntimeWarning, stacklevel=3)
            if self._fn is not None:
                out = self._fn(flat)
                if out is not _FALLBACK:
                    return out
                self._fn, self.graphs, self._keep = None, [], None  # the state's arrays changed
                self._calls = 0
            self._calls += 1
            return self.plain(flat)

    def _capture(self, flat: list) -> bool:
        """Capture every run as a graph, running nothing; build the replay that launches them.
        False when the state no longer fits the plan (a retrace)."""
        cp = backend._cupy
        ns = dict(self.names)
        statics = {s: device_buffer(flat[pos].data, self.device) for s, pos in self.inputs}
        statics.update({s: device_buffer(m, self.device) for s, m in self.drawn.items()})
        ns.update({f"IN_{s}": a for s, a in statics.items()})
        env: dict[str, Any] = {}
        graphs: list = []
        stream = cp.cuda.Stream(non_blocking=True)  # its memory arena is the graphs' alone
        capturing = [False]

        def begin() -> None:
            stream.__enter__()
            capturing[0] = True
            stream.begin_capture()

        def end(local: dict) -> None:
            capturing[0] = False
            try:
                graphs.append(stream.end_capture())
            finally:
                stream.__exit__(None, None, None)
            env.update(local)

        ns.update(FALLBACK=_FALLBACK, BEGIN=begin, END=end, copyto=cp.copyto)
        fixed = [f"s{s} = IN_{s}" for s, _ in self.inputs]
        capture = self.prologue + fixed
        graphed = list(self.prologue)
        if self.ext:
            graphed.append("if " + " or ".join(f"s{s} is not E_{s}" for s in self.ext) +
                           ": return FALLBACK")
        graphed += [f"copyto(IN_{s}, s{s}); s{s} = IN_{s}" for s, _ in self.inputs]
        later = "\n".join(self.final + [line for run in self.runs for line in run[0]])
        for k, (host, lines, drawn, make) in enumerate(self.runs):
            capture += [f"s{s} = IN_{s}" for s in drawn] + ["BEGIN()"] + lines + \
                ["END(locals())"]
            graphed += host + [f"copyto(IN_{s}, s{s}); s{s} = IN_{s}" for s in drawn] + \
                [f"GRAPH_{k}.launch()"] + [f"s{s} = E_{s}" for s in sorted(make)
                                           if re.search(rf"\bs{s}\b", later)]
        graphed += self.final
        source = "def capture(flat):\n" + "".join(f"    {line}\n" for line in capture)
        exec(compile(source, "<tg.jit capture>", "exec"), ns)  # noqa: S102 - our own source
        try:
            if ns["capture"](flat) is ns["RETRACE"]:
                return False
        except BaseException:
            if capturing[0]:  # end the failed capture: the stream must not stay in capture mode
                try:
                    stream.end_capture()
                except Exception:  # noqa: BLE001, S110 - an invalidated capture may raise here
                    pass
                finally:
                    stream.__exit__(None, None, None)
            raise
        ns.update({f"GRAPH_{k}": g for k, g in enumerate(graphs)})
        ns.update({f"E_{s}": env[f"s{s}"] for s in self.made | set(self.ext)
                   if f"s{s}" in env})
        self.source = "def graphed(flat):\n" + "".join(f"    {line}\n" for line in graphed)
        exec(compile(self.source, "<tg.jit graphed replay>", "exec"), ns)  # noqa: S102
        self.graphs, self._fn, self._keep = graphs, ns["graphed"], (env, stream, ns)
        return True
