"""The replay of ``tg.jit``: the recorded calls compiled into a flat list of closures over slots,
with the buffers of temporaries allocated once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .tracer import JitError, _has_ref, _Ref, _subst, _Trace, _Traced


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
        tr.check_const(x.data, "the traced function returns")
        return ("const", x)
    if isinstance(x, (tuple, list)):
        return ("seq", type(x), [_out_spec(v, tr) for v in x])
    if isinstance(x, dict):
        return ("dict", {k: _out_spec(v, tr) for k, v in x.items()})
    if isinstance(x, (np.ndarray, np.generic)) and isinstance(x, _Traced):
        raise JitError("tg.jit: the traced function returns a raw traced array; return Tensors")
    return ("const", x)
