"""The tape: ``Primitive`` (one class per primitive operation) and the reverse-mode engine.

A ``Primitive`` computes its forward pass on raw backend arrays and its backward pass on **Tensors**
made of other differentiable operations. So when ``create_graph=True`` the backward pass is itself
recorded, and differentiating it again gives second (and higher) derivatives.

The graph is a DAG of ``Primitive`` nodes; every node has exactly one output tensor, and
``tensor._ctx`` is the node that made it (``None`` for leaves). ``backward`` walks it in reverse
topological order, found without recursion.

Besides ``backward``, a node may carry gradient hooks (``hooks``, ``retain_ref``: see
``hooks.py``), and a node with several outputs (a user's ``autograd.Function`` returning a tuple)
sets ``gathers``: each of its outputs is made by a light router node that deposits its gradient
in the owner's slots, and the owner's ``gathered()`` hands them to its ``backward`` at once (see
``function.py``). While anomaly detection is on (``anomaly_mode.py``), every gradient a node
returns is checked for NaN.
"""

from __future__ import annotations

import os
import threading
import traceback
import weakref
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend as _backend
from . import forward_ad as _fwad
from . import views as _views
from .forward_ad import _ForwardMode
from .grad_mode import _AnomalyMode, _GradMode, _GradModeContext
from .hooks import POST_ACCUMULATE, run_hooks

if TYPE_CHECKING:
    from ..tensor import Tensor


class Primitive:
    """A differentiable primitive: ``forward`` on arrays, ``backward`` on Tensors.

    Subclasses set ``saves_inputs``/``saves_output`` to say what backward reads (so in-place
    changes of exactly those tensors are caught) and ``is_view`` when the output shares memory
    with the first input (a view: ``views.py``; a forward that had to copy sets ``self.copied``).
    """

    __slots__ = ("inputs", "edges", "versions", "out_ref", "freed", "__dict__")
    saves_inputs = True
    saves_output = False
    # True when an input's value is read only for the other inputs' gradients (Mul): a change
    # to it matters only if another input needs a gradient (torch saves it only then)
    saves_for_others = False
    is_view = False
    # Set per node only when used (instance attributes shadow these): gradient hooks on the
    # output, a weak reference to an output whose ``.grad`` is retained, and "several outputs".
    hooks: dict | None = None
    retain_ref: Any = None
    gathers = False
    # True when backward may return tensors its caller still holds (a user's Function): such a
    # gradient is copied before it becomes a ``.grad`` (see ``_accumulate``)
    foreign_grads = False

    def forward(self, *arrays: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad: Tensor) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def jvp(self, *tangents: Tensor | None) -> Tensor | None:
        """The output's tangent from the inputs' (None: zero), in Tensor ops (forward mode).
        This default transposes ``backward`` (see ``forward_ad.transpose_jvp``)."""
        return _fwad.transpose_jvp(self, tangents)

    @classmethod
    def apply(cls, *inputs: Tensor, **kwargs: Any) -> Tensor:
        """Run ``forward`` on the inputs' arrays and, when grads are on, record the node."""
        # The hot path of every operation: one and two inputs (nearly all calls) are unrolled,
        # the rest take one pass (device check, "does anything need a gradient", the arrays).
        t0 = inputs[0]
        device = t0._device
        n = len(inputs)
        if t0._view is not None and t0._view.version != t0._version[0]:
            _views.refresh(t0)  # a view whose base changed in place: rebuild its node
        if n == 2:
            t1 = inputs[1]
            if t1._device != device:
                _device_error(cls, device, t1._device)
            if t1._view is not None and t1._view.version != t1._version[0]:
                _views.refresh(t1)
            requires = t0._requires_grad or t1._requires_grad
            arrays: Any = (t0.data, t1.data)
        elif n == 1:
            requires = t0._requires_grad
            arrays = (t0.data,)
        else:
            requires = t0._requires_grad
            arrays = [t0.data]
            for t in inputs[1:]:
                if t._device != device:
                    _device_error(cls, device, t._device)
                if t._view is not None and t._view.version != t._version[0]:
                    _views.refresh(t)
                requires = requires or t._requires_grad
                arrays.append(t.data)
        fn = object.__new__(cls)
        if device == "cpu":
            data = (fn.forward(*arrays, **kwargs) if kwargs or n != 2
                    else fn.forward(arrays[0], arrays[1]))
        else:  # on GPU N, allocate and launch there, whichever GPU is current
            with _backend.on_device(device):
                data = fn.forward(*arrays, **kwargs)
        if type(data) is not np.ndarray and isinstance(data, np.generic):
            data = np.asarray(data)  # NumPy turns 0-d results into scalars; keep arrays
        requires = requires and _GradMode.enabled
        out = t0._make(data, device, requires)
        if cls.is_view and "copied" not in fn.__dict__:
            _views.track(t0, out, cls, kwargs)  # shares memory and version counter
        if requires:
            fn.inputs = inputs
            fn.freed = False
            # The nodes that made the inputs, fixed now: an in-place op recorded later gives its
            # tensor a new node (Tensor._rebase), and this node must still reach the old one.
            if n == 2:
                fn.edges = (t0._ctx, t1._ctx)
                fn.versions = ((t0._version[0], t1._version[0]) if cls.saves_inputs
                               else None)
            elif n == 1:
                fn.edges = (t0._ctx,)
                fn.versions = (t0._version[0],) if cls.saves_inputs else None
            else:
                fn.edges = tuple([t._ctx for t in inputs])
                fn.versions = (tuple([t._version[0] for t in inputs]) if cls.saves_inputs
                               else None)
            if cls.saves_output:
                fn.out_ref = (weakref.ref(out), out._version[0])
            out._ctx = fn
        if _ForwardMode.level is not None:  # forward-mode AD: the output's tangent (jvp)
            _fwad.propagate(fn, inputs, kwargs, out)
        return out

    def needs_grad(self, i: int) -> bool:
        """Whether input ``i`` wants a gradient (skip work for the ones that do not)."""
        return self.inputs[i]._requires_grad

    @property
    def output(self) -> Tensor:
        """The output tensor (kept alive by whichever node passed the gradient here)."""
        out = self.out_ref[0]()
        if out is None:  # pragma: no cover - the engine keeps consumers alive until the end
            raise RuntimeError(f"{type(self).__name__}: its output was freed before backward")
        return out

    def check_versions(self) -> None:
        """Raise if a tensor this node saved was changed in place after the forward pass."""
        if self.versions is not None:
            for i, (t, v) in enumerate(zip(self.inputs, self.versions)):
                if t._version[0] != v and not (self.saves_for_others and not any(
                        u._requires_grad for j, u in enumerate(self.inputs) if j != i)):
                    raise _modified_error(self, f"input {i} {tuple(t.shape)}", t._version[0], v)
        if self.saves_output:
            ref, v = self.out_ref
            out = ref()
            if out is not None and out._version[0] != v:
                raise _modified_error(self, f"output {tuple(out.shape)}", out._version[0], v)

    def parents(self) -> Iterable[Primitive]:
        """The nodes that made this node's inputs (leaves have none)."""
        for parent in self.edges:
            if parent is not None:
                yield parent

    def release(self) -> None:
        """Drop references to saved tensors: the graph cannot be walked again after this."""
        self.inputs = ()
        self.edges = ()
        self.versions = None
        self.freed = True


def _device_error(cls: type, device: str, other: str) -> None:
    raise RuntimeError(f"{cls.__name__}: expected all tensors on one device, "
                       f"found {device} and {other}")


def _modified_error(fn: Primitive, what: str, now: int, then: int) -> RuntimeError:
    return RuntimeError(
        f"{type(fn).__name__}'s {what} was saved for backward and then modified in place "
        f"(its version is {now}, expected {then}); clone it before changing it, or change it "
        "after backward"
    )


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Specify retain_graph=True on the first backward() or "
    "tg.grad() call if you need to backward through the graph again."
)


def _topological_counts(roots: Sequence[Primitive]) -> dict[Primitive, int]:
    """Count, for each node reachable from ``roots``, how many consumers it has in the subgraph."""
    counts: dict[Primitive, int] = dict.fromkeys(roots, 0)
    stack = list(counts)
    while stack:  # a node is pushed once: when its first consumer finds it (absent from counts)
        fn = stack.pop()
        if fn.freed:
            raise RuntimeError(_FREED_MESSAGE)
        for parent in fn.edges:
            if parent is not None:
                seen = counts.get(parent)
                if seen is None:
                    counts[parent] = 1
                    stack.append(parent)
                else:
                    counts[parent] = seen + 1
    return counts


class _ThreadFlag(threading.local):
    """A per-thread boolean read and written as ``flag[0]`` (a thread starts with False)."""

    value = False

    def __getitem__(self, i: int) -> bool:
        return self.value

    def __setitem__(self, i: int, value: bool) -> None:
        self.value = bool(value)


#: While ``KEEP_GRAPHS[0]`` is true every backward pass retains its graph: ``optim.Newton``
#: sets it around a torch-style closure (which calls ``loss.backward()``) to differentiate the
#: same graph twice afterwards. Per thread, as grad mode: a Newton step in one thread must not
#: keep the graphs of another thread's training alive.
KEEP_GRAPHS = _ThreadFlag()

#: Callbacks queued during a backward pass (``queue_callback``), run once when it ends.
_FINAL_CALLBACKS: list = []


def queue_callback(callback: Any) -> None:
    """Run ``callback()`` once when the current backward pass ends, after every leaf's ``.grad``
    is filled (torch's ``Variable._execution_engine.queue_callback``; DDP waits for its last
    gradient allreduce there)."""
    _FINAL_CALLBACKS.append(callback)


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Tensor],
    retain_graph: bool,
    create_graph: bool,
    capture: Sequence[Tensor] | None = None,
    sinks: frozenset | None = None,
    into_grad: bool = False,
) -> list[Tensor | None] | None:
    """The engine behind ``Tensor.backward`` and ``tg.grad``.

    With ``capture=None`` the gradients of leaves are accumulated into their ``.grad``; otherwise
    the gradients of the tensors in ``capture`` (leaves or not) are returned and ``.grad`` is
    untouched. Each leaf's contributions are summed first and delivered at the end, so a leaf's
    hooks see its whole gradient once. ``sinks`` (ids of tensors, forward over reverse only):
    tensors whose gradient is wanted for its tangent alone (``forward_ad.backward_to_sinks``).
    ``into_grad``: the gradients of ``capture`` are accumulated into their ``.grad`` instead
    (``backward(inputs=...)``).
    """
    grads: dict[Primitive, Tensor] = {}
    # Gradients that someone outside this pass may hold: the seeds, and what hooks and users'
    # Functions returned. One that would become a .grad as it is gets copied first, as torch's
    # AccumulateGrad clones a gradient it cannot steal (else changing one changes the other).
    foreign: dict[int, Tensor] = {id(g): g for g in root_grads}
    leaves: dict[int, list] = {}  # id -> [leaf, summed gradient]
    root_fns = []
    for t, g in zip(roots, root_grads):
        if t._ctx is None:  # a leaf root: its gradient is the seed itself
            _add_leaf(leaves, t, g)
            continue
        fn = t._ctx
        grads[fn] = grads[fn] + g if fn in grads else g
        root_fns.append(fn)
    counts = _topological_counts(root_fns)
    captured_fns: dict[Primitive, list[int]] = {}  # a tensor may be asked for more than once
    if capture is not None:
        for i, t in enumerate(capture):
            if t._ctx is not None:
                captured_fns.setdefault(t._ctx, []).append(i)
    results: list[Tensor | None] = [None] * len(capture) if capture is not None else []

    # Leaves with post-accumulate hooks get their .grad as soon as their gradient is complete
    # (DDP starts an allreduce then); only counted when such hooks exist (not on the hot path).
    pending = _leaf_uses(counts) if POST_ACCUMULATE and capture is None else None
    ready = [fn for fn in dict.fromkeys(root_fns) if counts[fn] == 0]
    visited: list[Primitive] = []
    check_nan = _AnomalyMode.enabled and _AnomalyMode.check_nan
    with _GradModeContextFor(create_graph):
        while ready:
            fn = ready.pop()
            visited.append(fn)
            grad = grads.pop(fn, None)
            if fn.gathers:  # several outputs: their routers left the gradients in its slots
                grad = fn.gathered()
            if fn.hooks is not None and grad is not None:
                grad = _node_hooks(fn, grad, create_graph, foreign)
            if captured_fns and fn in captured_fns:
                for i in captured_fns[fn]:
                    results[i] = grad
            edges = fn.edges
            if grad is None:  # nothing reached this node: just release its parents' counts
                input_grads: Any = (None,) * len(edges)
            else:
                versions = fn.versions  # saved tensors changed in place? (the full check
                if versions is not None:  # runs only on a mismatch: it knows the exceptions)
                    for t, v in zip(fn.inputs, versions):
                        if t._version[0] != v:
                            fn.check_versions()
                            break
                if fn.saves_output:
                    ref, v = fn.out_ref
                    out = ref()
                    if out is not None and out._version[0] != v:
                        fn.check_versions()
                input_grads = (fn.backward(grad) if sinks is None
                               else _fwad.backward_to_sinks(fn, grad, sinks))
                if type(input_grads) is not tuple:
                    input_grads = (input_grads,)
                if len(input_grads) != len(edges):
                    raise RuntimeError(f"{type(fn).__name__}.backward returned "
                                       f"{len(input_grads)} gradients for {len(edges)} inputs")
                if fn.foreign_grads:
                    for g in input_grads:
                        if g is not None:
                            foreign[id(g)] = g
                if check_nan:
                    _check_nan(fn, input_grads)
            delivered: Any = None  # the gradients handed out by this node (two inputs: Add)
            for t, parent, g in zip(fn.inputs, edges, input_grads):
                # a leaf: no parent now nor when recorded (a later in-place op may add one)
                if g is not None and (parent is not None or (t._ctx is None and t._requires_grad)):
                    ga, ta = g.data, t.data
                    if ga.shape != ta.shape or (ga.dtype is not ta.dtype and ga.dtype != ta.dtype):
                        g = _fit(g, t)
                    if delivered is None:
                        delivered = g
                    else:
                        if type(delivered) is not list:
                            delivered = [delivered]
                        if any(g is d for d in delivered):
                            g = g.clone()  # one tensor for two inputs (Add): keep them apart
                        delivered.append(g)
                    if parent is None:
                        _add_leaf(leaves, t, g)
                    else:
                        grads[parent] = grads[parent] + g if parent in grads else g
                if parent is not None:
                    left = counts[parent] - 1
                    counts[parent] = left
                    if left == 0:
                        ready.append(parent)
            if pending:
                _release_leaves(fn, pending, leaves, create_graph, foreign)
        for t, g in leaves.values():  # leaf hooks run inside the pass's grad mode too
            hooks = getattr(t, "_hooks", None)
            if hooks:
                leaves[id(t)][1] = _hooked(hooks, g, foreign)
    if not retain_graph and not KEEP_GRAPHS[0]:  # KEEP_GRAPHS: set by optim.Newton
        for fn in visited:
            fn.release()
    if capture is None:
        for t, g in leaves.values():
            _accumulate(t, g, create_graph, foreign)
            if POST_ACCUMULATE and id(t) in POST_ACCUMULATE:
                _post_accumulate(t)
        if _FINAL_CALLBACKS:
            _run_final_callbacks()
        return None
    for i, t in enumerate(capture):
        if t._ctx is None and id(t) in leaves:
            results[i] = leaves[id(t)][1]
    if into_grad:
        for t, g in zip(capture, results):
            if g is not None:
                _accumulate(t, g, create_graph, foreign)
        return None
    return results


class _GradModeContextFor(_GradModeContext):
    """Grad mode for the backward pass: recording only when ``create_graph`` is set."""

    def __init__(self, create_graph: bool) -> None:
        self.mode = create_graph


def _leaf_uses(counts: dict[Primitive, int]) -> dict[int, int]:
    """For each leaf with post-accumulate hooks: how many edges of the subgraph lead to it."""
    uses: dict[int, int] = {}
    for fn in counts:
        for t, parent in zip(fn.inputs, fn.edges):
            if parent is None and id(t) in POST_ACCUMULATE:
                uses[id(t)] = uses.get(id(t), 0) + 1
    return uses


def _release_leaves(fn: Primitive, pending: dict[int, int], leaves: dict[int, list],
                    create_graph: bool, foreign: dict[int, Tensor]) -> None:
    """After ``fn``'s backward: a hooked leaf whose last consumer this was gets its ``.grad``
    now (its tensor hooks first), then its post-accumulate hooks run."""
    for t, parent in zip(fn.inputs, fn.edges):
        key = id(t)
        if parent is None and key in pending:
            pending[key] -= 1
            if pending[key] == 0:
                del pending[key]
                entry = leaves.pop(key, None)
                if entry is None:  # no gradient reached it
                    continue
                hooks = getattr(t, "_hooks", None)
                g = _hooked(hooks, entry[1], foreign) if hooks else entry[1]
                _accumulate(t, g, create_graph, foreign)
                _post_accumulate(t)


def _post_accumulate(t: Tensor) -> None:
    for hook in list(POST_ACCUMULATE[id(t)].values()):
        hook(t)


def _run_final_callbacks() -> None:
    callbacks = list(_FINAL_CALLBACKS)
    _FINAL_CALLBACKS.clear()
    for cb in callbacks:
        cb()


def _fit(g: Tensor, t: Tensor) -> Tensor:
    """Reduce a broadcast gradient to the input's shape and dtype (once, here, not in every op)."""
    if g.data.shape != t.data.shape:
        g = g.sum_to(t.shape)
    if g.data.dtype != t.data.dtype:
        g = g.to(t.dtype)
    return g


def _add_leaf(leaves: dict[int, list], t: Tensor, g: Tensor) -> None:
    entry = leaves.get(id(t))
    if entry is None:
        leaves[id(t)] = [t, g]
    else:
        entry[1] = entry[1] + g


def _accumulate(t: Tensor, g: Tensor, create_graph: bool,
                foreign: dict[int, Tensor] | None = None) -> None:
    """``t.grad += g``, as torch's AccumulateGrad: outside ``create_graph`` the sum is written
    into the ``.grad`` tensor there is (whoever holds it sees it); a first gradient that someone
    else may hold (``foreign``) is copied (a recorded copy when ``create_graph``); one this pass
    made becomes the ``.grad`` as it is."""
    old = t.grad
    if old is not None:
        if not create_graph and _adds_in_place(old, g):
            with _backend.on_device(old._device):
                _backend.xp_of(old.data).add(old.data, g.data, out=old.data)
            old._version[0] += 1
        else:
            t.grad = old + (g if create_graph else g.detach())
    elif foreign and foreign.get(id(g)) is g:
        t.grad = g.clone() if create_graph else g.detach().clone()
    else:
        t.grad = g if create_graph or (g._ctx is None and not g._requires_grad) else g.detach()


def clear_grad(t: Tensor, set_to_none: bool = True) -> None:
    """``zero_grad`` for one tensor, as torch's: ``.grad = None``, or else that ``.grad`` tensor
    itself cut from any graph and zeroed in place (whoever holds it sees the zeros, and the next
    backward pass adds into it)."""
    g = t.grad
    if g is None:
        return
    if set_to_none:
        t.grad = None
        return
    if g._ctx is not None and g._view is not None:  # a view in a graph: no in-place detach
        g = t.grad = g.detach()
    g._ctx, g._requires_grad = None, False
    with _GradModeContextFor(False):
        g.zero_()


def _adds_in_place(old: Tensor, g: Tensor) -> bool:
    """Whether ``g`` can be added into the ``.grad`` tensor ``old`` itself: same shape, dtype and
    device, writable, and not part of a graph (a ``.grad`` from ``create_graph`` gets a new sum)."""
    a, b = old.data, g.data
    return (old._ctx is None and not old._requires_grad and a.shape == b.shape
            and a.dtype == b.dtype and old._device == g._device
            and getattr(a.flags, "writeable", True))


def _hooked(hooks: dict, grad: Tensor, foreign: dict[int, Tensor]) -> Tensor:
    """``run_hooks``, noting a gradient a hook returned as ``foreign`` (the hook's owner may
    hold it)."""
    new = run_hooks(hooks, grad)
    if new is not grad:
        foreign[id(new)] = new
    return new


def _node_hooks(fn: Primitive, grad: Tensor, create_graph: bool,
                foreign: dict[int, Tensor]) -> Tensor:
    """Run a node's tensor hooks on its output's gradient, then fill a retained ``.grad``."""
    grad = _hooked(fn.hooks, grad, foreign)
    if fn.retain_ref is not None:
        t = fn.retain_ref()
        if t is not None:
            _accumulate(t, grad, create_graph, foreign)
    return grad


def _check_nan(fn: Primitive, input_grads: Sequence[Any]) -> None:
    """Anomaly mode: raise, naming the forward op and where it was called, if a gradient is NaN."""
    from .. import backend

    for i, g in enumerate(input_grads):
        if g is None or g.data.dtype.kind not in "fc":
            continue
        if bool(backend.xp_of(g.data).isnan(g.data).any()):
            name = type(fn).__name__
            op = getattr(fn, "_forward_cls", type(fn)).__name__  # a user Function: its name
            raise RuntimeError(
                f"Function '{name}' returned nan values in its {i}th output: the backward of "
                f"the {op} operation produced a NaN gradient for its input {i}.\n"
                + _forward_trace(fn))


def _forward_trace(fn: Primitive) -> str:
    frames = fn.__dict__.get("trace")
    if frames is None:
        return ("(no forward traceback: the operation was recorded before anomaly detection was "
                "enabled; run the forward pass inside `with tg.autograd.detect_anomaly():`)")
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(pkg + os.sep)]
    shown = (user or frames)[-_TRACE_FRAMES:]  # the innermost calls: where the user wrote it
    return ("The forward operation was called from (most recent call last):\n"
            + "".join(traceback.format_list(shown)).rstrip())


_TRACE_FRAMES = 12
