"""The replay of ``tg.jit``: the recorded calls turned into the source of one Python function,
one line per NumPy call on local variables, compiled once.

Generating the source (as ``torch.fx`` does) rather than looping over closures makes a replay
cost what the same calls written out by hand would: one Python call per NumPy call. On the way
the program is simplified, each step sound for any inputs of the traced signature:

- *constant folding*: a call whose operands are all constants (the backward pass's seed, ``1/n``
  broadcast) is computed once, here, unless its memory is written later or leaves the step;
- *view caching*: a view of an array (``w.T``, a reshape) is made again only when the array
  bound to its operand is another object than at the last replay (parameters and the replay's
  own buffers stay the same objects from step to step);
- *buffers*: a temporary computed by a ufunc or a reduction is written with ``out=`` into a buffer
  allocated once (the trace's own array); results that outlive the step (gradients left in
  ``.grad``) are allocated fresh, except that a gradient is written over the array the last
  replay gave that ``.grad`` when nothing else holds it any more (its reference count says so:
  NumPy's own temporary elision makes the same test), so a user who keeps a gradient keeps its
  values.

``plan.source`` holds the generated code, to read what a replay runs.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import numpy as np

from .. import backend
from ..autograd.grad_mode import _GradMode
from ..tensor import Tensor
from . import device as _dev
from .tracer import JitError, _Ref, _subst, _Trace, _Traced

_RETRACE = object()
_TENSOR_KEY = object()  # the first item of a Tensor argument's part of a cache key

# ndarray methods and functions whose result is a view of their first operand (when the trace's
# result shared its memory): cached by the identity of that operand
_VIEWS = {np.ndarray.transpose, np.ndarray.reshape, np.ndarray.swapaxes, np.ndarray.view,
          np.ndarray.squeeze, np.ndarray.astype, np.ndarray.__getitem__, np.broadcast_to,
          np.ndarray.ravel, np.expand_dims, np.moveaxis}
# calls that write into their first operand
_WRITERS = {np.ndarray.__setitem__, np.ndarray.fill, np.copyto, np.put, np.place, np.putmask,
            np.fill_diagonal, np.put_along_axis, backend.scatter_add, np.ndarray.sort,
            np.ndarray.partition, np.ndarray.put}
# allocators whose contents do not depend on anything but their arguments
_FILLED = {np.zeros, np.ones, np.full, np.zeros_like, np.ones_like, np.full_like}


def _check(now: Any, value: Any, what: Any) -> None:
    if now != value and not (now != now and value != value):  # NaN equals NaN here
        name = getattr(what, "__name__", None) or type(what).__name__
        raise JitError(f"tg.jit: the traced step depends on a value ({name}) that is {value!r} "
                       f"in the trace and {now!r} now (a label or index out of range, a branch "
                       "on a NaN check, the size of a boolean mask...); run it eagerly (which "
                       "names the problem) or keep that value fixed")


def _same_key(value: Any, const: Any) -> bool:
    """Whether ``value`` and ``const`` are one key to a dict (the same object, or equal hashes
    and ``==``); False for an unhashable value (the cache key then refuses it clearly)."""
    if value is const:
        return True
    try:
        return hash(value) == hash(const) and bool(value == const)
    except Exception:  # noqa: BLE001 - unhashable, or an == that is no truth value
        return False


def _refs(x: Any) -> list[int]:
    if type(x) is _Ref:
        return [x.i]
    if type(x) in (tuple, list):
        return [i for v in x for i in _refs(v)]
    if type(x) is dict:
        return [i for v in x.values() for i in _refs(v)]
    return []


class _Source:
    """The generated function's lines and the objects its names refer to."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.lines: list[str] = []
        self.names: dict[str, Any] = {"np": np, "RETRACE": _RETRACE, "check": _check,
                                      "make": Tensor._make, "JitError": JitError,
                                      "DEVICE": device, "check_view": _dev.check_view,
                                      "refs": sys.getrefcount, "same_key": _same_key}
        self.ids: dict[int, str] = {}
        self.keep: list = []  # the host objects named (their ids must stay unique)

    def name(self, obj: Any, hint: str = "c") -> str:
        """A global name bound to ``obj`` in the generated function's namespace (a host array
        or a container of them moved to the GPU once, for a GPU plan)."""
        key = id(obj)
        if key not in self.ids:
            self.ids[key] = f"{hint}_{len(self.names)}"
            self.keep.append(obj)
            self.names[self.ids[key]] = (obj if self.device == "cpu"
                                         else _dev.to_device(obj, self.device))
        return self.ids[key]

    def expr(self, x: Any, folded: dict[int, Any]) -> str:
        """Python source for an argument: a slot's local, a folded constant, a container of
        them, or a global name for any other object."""
        if type(x) is _Ref:
            return self.name(folded[x.i]) if x.i in folded else f"s{x.i}"
        if type(x) in (tuple, list) and _refs(x):
            inner = ", ".join(self.expr(v, folded) for v in x)
            return f"({inner},)" if type(x) is tuple else f"[{inner}]"
        if type(x) is dict and _refs(x):
            return "{" + ", ".join(f"{self.name(k)}: {self.expr(v, folded)}"
                                   for k, v in x.items()) + "}"
        if x is None or type(x) is bool:
            return repr(x)
        return self.name(x)

    def call(self, fn: Any, args: Any, kwargs: dict, folded: dict[int, Any]) -> str:
        if self.device != "cpu":  # CuPy's function of the same name
            fn, kwargs = _dev.device_fn(fn, kwargs, self.device)
            out = kwargs.get("out")
            if type(out) is tuple and len(out) == 1:  # CuPy's reductions want the array
                kwargs = {**kwargs, "out": out[0]}
        parts = [self.expr(a, folded) for a in args]
        parts += [f"{k}={self.expr(v, folded)}" if k.isidentifier() else
                  f"**{{{k!r}: {self.expr(v, folded)}}}" for k, v in kwargs.items()]
        return f"{self.name(fn, _hint(fn))}({', '.join(parts)})"


class _Plan:
    """A compiled trace: ``replay(flat)`` binds the inputs and the state, runs the generated
    function and returns the outputs (or ``_RETRACE`` when the state's arrays changed)."""

    def __init__(self, tr: _Trace, out_spec: Any, device: str = "cpu",
                 graphs: bool = True, guard: tuple | None = None) -> None:
        self.device = device
        self.first: Any = None  # the trace call's own result (set by the tracer)
        escaping = _escaping(tr)
        written = _written(tr)
        read = _read(tr, out_spec)
        src = _Source(device)
        array_type = "np.ndarray" if device == "cpu" else src.name(
            backend.get_xp(device).ndarray, "ndarray")
        same_device = "" if device == "cpu" else f" or s{{s}}.device.id != {_index(device)}"
        folded: dict[int, Any] = {}
        recycled = _recycled(tr, read) if device == "cpu" else {}
        body = src.lines
        if guard is not None:
            body += _guard_lines(src, *guard)
        for s, pos in tr.inputs:
            body.append(f"s{s} = flat[{pos}].data")
        for s, t, kind, shape, dtype in tr.ext:
            if kind == "grad" and s not in read:
                continue  # an old gradient the step never reads (zero_grad came first)
            tn = src.name(t, "t")
            if kind == "data":
                body.append(f"s{s} = {tn}.data")
            else:
                body += [f"s{s} = {tn}.grad", f"if s{s} is None: return RETRACE",
                         f"s{s} = s{s}.data"]
            body.append(f"if type(s{s}) is not {array_type}{same_device.format(s=s)} or "
                        f"s{s}.shape != {shape!r} or s{s}.dtype != {src.name(dtype)}: "
                        "return RETRACE")
        prologue = len(body)  # the lines binding the inputs and the state, and their guards
        buffers = _share_buffers(tr, escaping, out_spec)
        if device != "cpu":  # the same buffers, allocated on the GPU with the same layouts
            on_gpu = {id(b): _dev.device_buffer(b, device) for b in buffers.values()}
            buffers = {s: on_gpu[id(b)] for s, b in buffers.items()}
        self.buffers = len({id(b) for b in buffers.values()})
        last_grads = None
        # runs of calls a CUDA graph can hold (all but draws), for a GPU plan: [first line,
        # end line, slots read, slots made]; between them the draws, guards, `.grad`s, steps
        segments: list[list] = []
        grad_lines: dict[int, int] = {}  # line -> the slot a `.grad` assignment there wraps
        for item in tr.prog:
            kind = item[0]
            graphable = kind == "call" and not _dev.is_draw(item[1][0])
            if graphable and (not segments or segments[-1][1] != len(body)):
                segments.append([len(body), len(body), set(), set()])
            if graphable:
                segments[-1][2].update(i for i in _refs((item[1][1], item[1][2]))
                                       if i not in folded)
            if kind == "grads":
                # the same gradients again after an optimizer step (which never assigns .grad)
                now = [(id(t), s) for t, s in item[1]]
                if now == last_grads:
                    continue
                last_grads = now
            elif kind != "step":
                last_grads = None
            if kind == "call":
                _emit_call(src, item[1], folded, buffers, written, escaping, recycled)
                if graphable:
                    segments[-1][1] = len(body)
                    segments[-1][3].update(x for x in item[1][3] if x is not None)
            elif kind == "check":
                _, fn, args, kwargs, value = item
                if all(i in folded for i in _refs((args, kwargs))):
                    continue  # on constants: it held in the trace, it holds now
                body.append(f"check({src.call(fn, args, kwargs, folded)}, "
                            f"{src.name(value)}, {src.name(fn)})")
            elif kind == "grads":
                for t, s in item[1]:
                    tn = src.name(t, "t")
                    if s is not None and s not in folded:
                        grad_lines[len(body)] = s
                    body.append(f"{tn}.grad = None" if s is None else
                                f"{tn}.grad = make({_local(src, s, folded)}, DEVICE)")
            else:  # "step": the optimizer's own update, reading its hyper-parameters now
                body.append(f"{src.name(item[1], 'opt')}.step()")
        body.append(f"return {_out_expr(src, out_spec, folded)}")
        self.source = "def replay(flat):\n" + "".join(f"    {line}\n" for line in body)
        code = compile(self.source, "<tg.jit replay>", "exec")
        exec(code, src.names)  # noqa: S102 - our own generated source, over our own names
        self.replay = src.names["replay"]
        if device != "cpu":  # every allocation and kernel on the step's GPU
            self.replay = _on_device(self.replay, device)
            segments = [g for g in segments if g[1] > g[0]]  # (folded calls leave no line)
            if graphs and segments:  # each run of calls between draws etc. as a CUDA graph
                self.replay = _dev.GraphRunner(self.replay, src, tr, prologue, segments,
                                               grad_lines)


def _guard_lines(src: _Source, key: tuple, modules: list, params: list) -> list[str]:
    """Lines that return ``RETRACE`` unless a call matches the cache key this plan was traced
    under (``_Jitted.__call__``'s: the arguments' shapes, dtypes, ``requires_grad`` and devices
    or values, grad mode, the modules' ``training`` flags, which ``.grad`` are None), so the
    last plan can be tried before the key is computed: the same test as the key's, a few local
    reads instead of building and hashing a tuple (after a step's BLAS calls have pushed Python's
    own working set out of the caches, that tuple costs as much as a dozen small NumPy calls)."""
    _, grad_mode, args, training, no_grad = key
    lines = [f"if len(flat) != {len(args)} or {src.name(_GradMode)}.enabled is not "
             f"{grad_mode!r}: return RETRACE"]
    tensor = src.name(Tensor, "Tensor")
    for i, arg in enumerate(args):
        if type(arg) is tuple and len(arg) == 5 and arg[0] is _TENSOR_KEY:
            _, shape, dtype, requires_grad, device = arg
            lines += [f"a = flat[{i}]",
                      f"if not isinstance(a, {tensor}) or a._requires_grad is not "
                      f"{requires_grad!r} or a._device != {device!r} or a.data.shape != "
                      f"{shape!r} or a.data.dtype != {src.name(np.dtype(dtype))}: return RETRACE"]
        else:  # a hashable value, equal as the key's dict compares it
            lines.append(f"if not same_key(flat[{i}], {src.name(arg)}): return RETRACE")
    flags = [f"{src.name(m, 'mod')}.training != {t!r}" for m, t in zip(modules, training)]
    flags += [f"{src.name(p, 't')}.grad is {'not ' if none else ''}None"
              for p, none in zip(params, no_grad)]
    for k in range(0, len(flags), 8):  # (lines of a readable length)
        lines.append(f"if {' or '.join(flags[k:k + 8])}: return RETRACE")
    return lines


def _index(device: str) -> int:
    return int(device.split(":")[1])


def _on_device(replay: Any, device: str) -> Any:
    """``replay`` run with ``device`` the current GPU."""
    def run(flat: list) -> Any:
        with backend.on_device(device):
            return replay(flat)
    return run


def _hint(fn: Any) -> str:
    """A readable stem for a function's name in the generated source (``matmul``,
    ``add_reduce``, ``getitem``)."""
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, np.ufunc):
        method = getattr(fn, "__name__", "__call__")
        name = owner.__name__ + ("" if method == "__call__" else "_" + method)
    else:
        name = getattr(fn, "__name__", "") or getattr(getattr(fn, "func", None), "__name__", "f")
    name = re.sub(r"\W", "_", name).strip("_")
    return name if name.isidentifier() else "f"


def _local(src: _Source, s: int, folded: dict[int, Any]) -> str:
    return src.name(folded[s]) if s in folded else f"s{s}"


def _emit_call(src: _Source, entry: list, folded: dict, buffers: dict, written: set,
               escaping: set, recycled: dict) -> None:
    """Append one recorded call to the source (or fold it)."""
    fn, args, kwargs, slots, _, _, generic, single, ufunc, view = entry
    refs = _refs((args, kwargs))
    results = [s for s in slots if s is not None]
    pure = ufunc is not None or fn in _VIEWS or fn in _FILLED
    if pure and results and all(i in folded for i in refs) and not \
            any(s in written or s in escaping for s in results):
        out = fn(*_subst(args, folded), **_subst(kwargs, folded))
        for s, v in zip(slots, (out,) if single else out):
            if s is not None:
                folded[s] = np.asarray(v) if generic else v
        return
    body = src.lines
    if slots[0] in buffers:
        out = (buffers[slots[0]],)  # a buffer allocated once, shared by slots not alive together
        src.name(out if src.device == "cpu" else out[0], "out")  # (CuPy's calls take out[0])
        kwargs = {**kwargs, "out": out}
        generic = False
    call = src.call(fn, args, kwargs, folded)
    if view and refs[0] not in folded:  # a view of its one operand (see the tracer)
        memo = src.name([None, None], "m")  # [operand at the last replay, its view]
        if src.device != "cpu":
            call = f"check_view({call}, s{refs[0]}, {_hint(fn)!r})"
        body += [f"if {memo}[0] is not s{refs[0]}: {memo}[0] = s{refs[0]}; {memo}[1] = {call}",
                 f"s{slots[0]} = {memo}[1]"]
        return
    if slots[0] in recycled:  # a gradient, into the last replay's array if no one holds that
        s, memo = slots[0], src.name([None], "g")  # [the array the last replay made]
        # the references: the memo, `a`, the call's argument; and `r.data` if `r` (then `r`'s:
        # the `.grad`, `r`, the argument) - any other (a kept `.grad`, a view) and it stays
        body += [f"a = {memo}[0]; r = {src.name(recycled[s], 't')}.grad",
                 "if a is not None and (refs(a) == 4 and refs(r) == 3 if r is not None and "
                 f"r.data is a else refs(a) == 3): s{s} = {call[:-1]}, out=(a,))",
                 f"else: s{s} = {memo}[0] = {call}"]
        return
    if generic and src.device == "cpu":  # (CuPy returns 0-d arrays itself)
        call = f"np.asarray({call})" if single else f"tuple(map(np.asarray, {call}))"
    if single:
        body.append(f"s{slots[0]} = {call}" if slots[0] is not None else call)
    elif any(s is not None for s in slots):
        body.append(", ".join(f"s{s}" if s is not None else "_" for s in slots) + f", = {call}")
    else:
        body.append(call)


def _share_buffers(tr: _Trace, escaping: set, out_spec: Any) -> dict[int, np.ndarray]:
    """The buffer each temporary writes into (``out=``): one per temporary that a ufunc or a
    reduction made fresh in the trace, shared by temporaries of the same shape, dtype and strides
    whose lives do not overlap. A temporary lives from its call to the last use of it or of any
    array that may share its memory (its views), so the trace's memory stays what it needs at
    once, not what it allocated in all."""
    component: dict[int, int] = {}  # slot -> a representative of the slots sharing memory

    def find(s: int) -> int:
        while component.get(s, s) != s:
            s = component[s]
        return s
    for s, others in tr.shares.items():
        for o in others:
            component[find(s)] = find(o)
    last: dict[int, int] = {}  # representative -> the last program position using it
    made: list = []  # (position, slot, trace's array) of each candidate
    for pos, item in enumerate(tr.prog):
        if item[0] == "call":
            entry = item[1]
            used = _refs((entry[1], entry[2])) + [s for s in entry[3] if s is not None]
            if entry[4] and entry[3][0] not in escaping:
                made.append((pos, entry[3][0], entry[5]))
        elif item[0] == "check":
            used = _refs((item[2], item[3]))
        elif item[0] == "grads":
            used = [s for _, s in item[1] if s is not None]
        else:
            used = []
        for s in used:
            last[find(s)] = pos
    for s in _spec_slots(out_spec):
        last[find(s)] = len(tr.prog)
    free: dict[tuple, list] = {}  # (shape, dtype, strides) -> [[buffer, busy until position]]
    assigned: dict[int, np.ndarray] = {}
    for pos, s, buf in made:
        key = (buf.shape, buf.dtype.str, buf.strides)
        until = last.get(find(s), pos)
        for slot in free.setdefault(key, []):
            if slot[1] < pos:
                slot[1] = until
                assigned[s] = slot[0]
                break
        else:
            free[key].append([buf, until])
            assigned[s] = buf
    return assigned


def _spec_slots(spec: Any) -> list[int]:
    if spec[0] == "slot":
        return [spec[1]]
    if spec[0] == "seq":
        return [s for x in spec[2] for s in _spec_slots(x)]
    if spec[0] == "dict":
        return [s for x in spec[1].values() for s in _spec_slots(x)]
    return []


def _escaping(tr: _Trace) -> set:
    """Slots whose arrays outlive the step (gradients left in ``.grad``), and every slot they may
    share memory with: those are allocated fresh at each replay, never folded."""
    escaping: set = set()
    todo = [s for kind, *x in tr.prog if kind == "grads" for _, s in x[0] if s is not None]
    while todo:
        s = todo.pop()
        if s not in escaping:
            escaping.add(s)
            todo.extend(tr.shares.get(s, ()))
    return escaping


def _read(tr: _Trace, out_spec: Any) -> set:
    """The slots that some call, guard, ``.grad`` assignment or output reads."""
    read = set(_spec_slots(out_spec))
    for kind, *x in tr.prog:
        if kind == "call":
            read.update(_refs((x[0][1], x[0][2])))
        elif kind == "check":
            read.update(_refs((x[1], x[2])))
        elif kind == "grads":
            read.update(s for _, s in x[0] if s is not None)
    return read


def _recycled(tr: _Trace, read: set) -> dict[int, Any]:
    """Gradients that a replay may write over last replay's array of the same ``.grad`` (slot ->
    that tensor): made fresh by a call that takes ``out=``, sharing memory with nothing, given to
    one tensor, whose old gradient the step does not read (accumulation)."""
    owner: dict[int, Any] = {}
    shared: set = set()
    for kind, *x in tr.prog:
        if kind == "grads":
            for t, s in x[0]:
                if s is not None and owner.setdefault(s, t) is not t:
                    shared.add(s)
    for s, others in tr.shares.items():
        if others:
            shared |= others | {s}
    made = {x[0][3][0] for kind, *x in tr.prog if kind == "call" and x[0][4]}
    kept = {id(t) for s, t, kind, _, _ in tr.ext if kind == "grad" and s in read}
    return {s: t for s, t in owner.items() if s in made and s not in shared and id(t) not in kept}


def _written(tr: _Trace) -> set:
    """Slots whose memory some call writes in place (``out=``, ``a[i] = v``, ``fill``), with
    every slot sharing memory with them: their values are not constants."""
    neighbours: dict[int, set] = {}
    for s, others in tr.shares.items():
        for o in others:
            neighbours.setdefault(s, set()).add(o)
            neighbours.setdefault(o, set()).add(s)
    todo = []
    for kind, *x in tr.prog:
        if kind != "call":
            continue
        fn, args, kwargs = x[0][:3]
        todo += _refs(kwargs.get("out"))
        if fn in _WRITERS or getattr(fn, "__name__", None) == "at":  # ufunc.at
            todo += _refs(args[:1])
    written: set = set()
    while todo:
        s = todo.pop()
        if s not in written:
            written.add(s)
            todo.extend(neighbours.get(s, ()))
    return written


def _out_expr(src: _Source, spec: Any, folded: dict) -> str:
    kind = spec[0]
    if kind == "slot":
        return f"make({_local(src, spec[1], folded)}.copy(), DEVICE)"
    if kind == "const":
        return src.name(spec[1])
    if kind == "seq":
        inner = ", ".join(_out_expr(src, s, folded) for s in spec[2])
        return f"{src.name(spec[1])}(({inner},))"
    return "{" + ", ".join(f"{src.name(k)}: {_out_expr(src, s, folded)}"
                           for k, s in spec[1].items()) + "}"


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
