"""Forward-mode autodiff with dual tensors, as ``torch.autograd.forward_ad``.

Inside ``with dual_level():`` a tensor made by ``make_dual(primal, tangent)`` carries a tangent,
and every primitive applied to it computes, next to its value, the tangent of its output: its
``jvp(*tangents)`` rule (``Primitive.jvp``), a Jacobian-vector product written with Tensor ops.
``unpack_dual(y)`` reads ``(primal, tangent)`` back.

- The tangent is stored on the tensor (``Tensor._fw``, a pair ``(level, tangent)``), so tangents
  of an exited level are simply ignored. One level at a time, as torch.
- The rules run with forward mode paused (a tangent carries no tangent of its own) and with grad
  mode as it is: a tangent built from tensors that require grad is recorded, so it can be
  differentiated in reverse mode (reverse-over-forward).
- Backward rules are made of the same primitives, so tangents also flow through a backward
  pass (forward-over-reverse: ``jvp(grad(f))``, the cheapest Hessian-vector product).
- A primitive without a rule of its own gets ``transpose_jvp``: its backward (linear in the
  output gradient ``u``) is differentiated with respect to ``u``, ``J t = d/du <J^T u, t>``. It is
  exact wherever the backward rule is, and it costs about a double backward of that one node.

``Primitive.apply`` reads one flag (``_ForwardMode.level``): with no level active, forward mode
costs nothing.
"""

from __future__ import annotations

import contextlib
import weakref
from collections import namedtuple
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["dual_level", "make_dual", "unpack_dual", "UnpackedDualTensor", "enter_dual_level",
           "exit_dual_level"]


class _ForwardMode:
    """The active dual level (an int), or None: read by ``Primitive.apply`` on every op."""

    level: int | None = None
    counter = 0


UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__doc__ = "``unpack_dual``'s result: the primal and its tangent (or None)."


def enter_dual_level() -> int:
    """Start a dual level (prefer ``with dual_level():``); nesting is refused, as torch."""
    if _ForwardMode.level is not None:
        raise RuntimeError("Nested forward mode AD is not supported: a dual level is already "
                           "active (exit it first)")
    _ForwardMode.counter += 1
    _ForwardMode.level = _ForwardMode.counter
    return _ForwardMode.level


def exit_dual_level(*, level: int | None = None) -> None:
    """End the active dual level: every tangent made in it is forgotten."""
    if level is not None and level != _ForwardMode.level:
        raise RuntimeError(f"exit_dual_level: level {level} is not the active one "
                           f"({_ForwardMode.level})")
    _ForwardMode.level = None


class dual_level:  # noqa: N801 - torch's name
    """Context manager for forward-mode AD: tangents live for the duration of the block.

    >>> import tinygrad_gd as tg
    >>> import tinygrad_gd.autograd.forward_ad as fwAD
    >>> x = tg.tensor([1.0, 2.0])
    >>> with fwAD.dual_level():
    ...     y = fwAD.make_dual(x, tg.tensor([1.0, 0.0])) ** 3
    ...     fwAD.unpack_dual(y).tangent.tolist()
    [3.0, 0.0]
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()


@contextlib.contextmanager
def _paused() -> Iterator[None]:
    """Run without forward mode (a tangent rule's own ops must not compute tangents)."""
    level = _ForwardMode.level
    _ForwardMode.level = None
    try:
        yield
    finally:
        _ForwardMode.level = level


def tangent_of(t: Any) -> Tensor | None:
    """The tangent ``t`` carries at the active level, or None."""
    fw = getattr(t, "_fw", None)
    if fw is None or fw[0] != _ForwardMode.level or _ForwardMode.level is None:
        return None
    return fw[1]


def _set_tangent(t: Tensor, tangent: Tensor) -> None:
    t._fw = (_ForwardMode.level, tangent)


def _alias(t: Tensor) -> Tensor:
    """A differentiable view of ``t`` with no tangent (shares memory and version)."""
    from ..ops.movement import Reshape
    from ..tensor import Tensor

    with _paused():
        if t.requires_grad:
            return Reshape.apply(t, shape=t.shape)
        out = Tensor._make(t.data, t._device)
        out._version = t._version
        return out


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` that carries ``tangent`` (same shape) at the active dual level.

    Gradients still flow from the result back to ``tensor`` in reverse mode.
    """
    from .. import backend
    from ..tensor import Tensor

    if _ForwardMode.level is None:
        raise RuntimeError("make_dual: no dual level is active; use `with "
                           "tg.autograd.forward_ad.dual_level():`")
    if level is not None and level != _ForwardMode.level:
        raise RuntimeError(f"make_dual: level {level} is not the active one")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError("make_dual: expected two Tensors, got "
                        f"{type(tensor).__name__} and {type(tangent).__name__}")
    if not backend.is_floating(tensor.dtype):
        raise TypeError(f"make_dual: the primal must be floating-point, got {tensor.dtype}")
    if tangent.shape != tensor.shape:
        raise ValueError(f"make_dual: the tangent has shape {tuple(tangent.shape)} but the primal "
                         f"has shape {tuple(tensor.shape)}; they must match")
    if tangent._device != tensor._device:
        raise ValueError(f"make_dual: the tangent is on {tangent._device}, the primal on "
                         f"{tensor._device}")
    if tangent.dtype != tensor.dtype:
        with _paused():
            tangent = tangent.to(tensor.dtype)
    out = _alias(tensor)
    _set_tangent(out, tangent)
    return out


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of a dual tensor: a view without the tangent, and the tangent
    (None when it has none at the active level)."""
    from ..tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"unpack_dual: expected a Tensor, got {type(tensor).__name__}")
    tangent = tangent_of(tensor)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_alias(tensor), tangent)


# ------------------------------------------------------------------------- the propagation


def propagate(fn: Any, inputs: tuple, kwargs: dict, out: Tensor) -> None:
    """After ``fn`` made ``out`` from ``inputs`` (``Primitive.apply``): give ``out`` the tangent
    ``fn.jvp(*tangents)`` when some input carries one."""
    from .. import backend

    level = _ForwardMode.level
    tangents = []
    found = False
    for t in inputs:
        fw = getattr(t, "_fw", None)
        if fw is not None and fw[0] == level:
            tangents.append(fw[1])
            found = True
        else:
            tangents.append(None)
    if not found or not backend.is_floating(out.data.dtype):
        return
    # the rules read the inputs, the output and the op's keyword arguments, as backward does
    fn.inputs = inputs
    fn.fw_kwargs = kwargs
    fn.fw_out_meta = (out.shape, out.dtype, out._device)
    if fn.saves_output and getattr(fn, "out_ref", None) is None:
        fn.out_ref = (weakref.ref(out), out._version[0])
    _ForwardMode.level = None
    try:
        tangent = fn.jvp(*tangents)
    finally:
        _ForwardMode.level = level
    if tangent is None:
        return
    if tangent.shape != out.shape or tangent.dtype != out.dtype:
        tangent = _fit_tangent(tangent, out)
    out._fw = (level, tangent)


def _fit_tangent(tangent: Tensor, out: Tensor) -> Tensor:
    """Broadcast a tangent to the output's shape (``a + b`` with only ``b``'s tangent, ``b``
    smaller) and cast it to its dtype."""
    with _paused():
        if tangent.shape != out.shape:
            tangent = tangent.broadcast_to(out.shape)
        if tangent.dtype != out.dtype:
            tangent = tangent.to(out.dtype)
    return tangent


def transpose_jvp(fn: Any, tangents: tuple) -> Tensor | None:
    """``J t`` from ``fn.backward`` alone: ``d/du <backward(u), t>`` at ``u = 1`` (the backward
    rule is linear in ``u``, so this is exact wherever the backward rule is).

    When nothing needs a reverse-mode graph of the result, the inputs are replaced by detached
    leaves, so the small backward pass does not walk the graph behind them.
    """
    from .. import backend
    from ..tensor import Tensor
    from .engine import _fit, run_backward
    from .grad_mode import _GradMode, enable_grad

    out = fn.output if fn.saves_output else None
    shape, dtype, device = fn.fw_out_meta
    inputs = fn.inputs
    record = _GradMode.enabled and (any(t.requires_grad for t in inputs)
                                    or any(t is not None and t.requires_grad for t in tangents))
    saved_ref = getattr(fn, "out_ref", None)
    if not record:
        fn.inputs = tuple(t.detach() for t in inputs)
        if out is not None:
            out = out.detach()
            fn.out_ref = (weakref.ref(out), out._version[0])
    fn.needs_grad = lambda i: tangents[i] is not None
    try:
        u = Tensor._make(backend.get_xp(device).ones(shape, dtype), device, True)
        with enable_grad():
            vjps = fn.backward(u)
            if not isinstance(vjps, tuple):
                vjps = (vjps,)
            dot = None
            for g, t, x in zip(vjps, tangents, inputs):
                if g is None or t is None:
                    continue
                if g.shape != x.shape or g.dtype != x.dtype:
                    g = _fit(g, x)
                term = (g * t).sum()
                dot = term if dot is None else dot + term
        if dot is None or not dot.requires_grad:
            return None
        seed = Tensor._make(backend.get_xp(device).ones((), dot.dtype), device)
        (result,) = run_backward([dot], [seed], True, record, capture=[u])
    finally:
        del fn.needs_grad
        fn.inputs = inputs
        if saved_ref is not None:
            fn.out_ref = saved_ref
    return result


def no_jvp(fn: Any) -> None:
    """The rule of a primitive that has no tangent rule: a clear error, never a wrong tangent."""
    raise NotImplementedError(f"{type(fn).__name__}: forward-mode AD (a jvp rule) is not "
                              "implemented for this operation")


# ------------------------------------------------------------------- user autograd.Function


def function_tangents(cls: type, ctx: Any, args: tuple, result: Any) -> Any:
    """``Function.apply`` under forward mode: the outputs get ``cls.jvp(ctx, *tangents)``.

    As torch, a Function used on dual tensors must define ``jvp``; otherwise this raises.
    """
    if _ForwardMode.level is None:
        return result
    from .. import backend
    from ..tensor import Tensor

    tangents = [tangent_of(a) if isinstance(a, Tensor) else None for a in args]
    if all(t is None for t in tangents):
        return result
    if getattr(cls, "jvp", None) is None:
        raise NotImplementedError(
            f"{cls.__name__}: this autograd.Function is used on dual tensors (forward-mode AD) "
            "but defines no jvp(ctx, *tangents) staticmethod; define one")
    saved = {k: ctx.__dict__.pop(k) for k in ("_saved", "_to_save") if k in ctx.__dict__}
    # ctx.saved_tensors in jvp: what save_for_forward kept (torch's rule)
    ctx._to_save = ctx.__dict__.get("_to_save_forward", ())
    try:
        with _paused():
            full = [(_zeros_like(a) if t is None and isinstance(a, Tensor)
                     and backend.is_floating(a.dtype) else t) for a, t in zip(args, tangents)]
            outs_t = cls.jvp(ctx, *full)
    finally:
        ctx.__dict__.pop("_to_save", None)
        ctx.__dict__.update(saved)
    outs = result if isinstance(result, tuple) else (result,)
    outs_t = outs_t if isinstance(outs_t, tuple) else (outs_t,)
    if len(outs_t) != len(outs):
        raise RuntimeError(f"{cls.__name__}.jvp returned {len(outs_t)} tangents for "
                           f"{len(outs)} outputs")
    for o, t in zip(outs, outs_t):
        if isinstance(o, Tensor) and t is not None and backend.is_floating(o.dtype):
            _set_tangent(o, _fit_tangent(t, o))
    return result


def _zeros_like(t: Tensor) -> Tensor:
    from .. import backend
    from ..tensor import Tensor

    return Tensor._make(backend.xp_of(t.data).zeros(t.shape, t.dtype), t._device)


# --------------------------------------------------------------- helpers for the jvp rules


def tsum(*terms: Tensor | None) -> Tensor | None:
    """The sum of the tangent terms that are not None (None when all are: a zero tangent)."""
    total = None
    for t in terms:
        if t is not None:
            total = t if total is None else total + t
    return total


def linear_jvp(fn: Any, tangent: Tensor | None, **override: Any) -> Tensor | None:
    """The rule of a primitive linear in its one input: the same op on the tangent."""
    if tangent is None:
        return None
    return type(fn).apply(tangent, **{**fn.fw_kwargs, **override})


def diag_jvp(fn: Any, tangents: tuple) -> Tensor | None:
    """The rule of an elementwise primitive: its Jacobian is diagonal in each input, hence
    symmetric, so ``J_i t_i`` is its backward rule applied to ``t_i`` (broadcast to the output's
    shape), one input at a time."""
    shape = fn.fw_out_meta[0]
    total = None
    try:
        for i, t in enumerate(tangents):
            if t is None:
                continue
            if t.shape != shape:
                t = t.broadcast_to(shape)
            fn.needs_grad = lambda j, i=i: j == i
            parts = fn.backward(t)
            part = parts[i] if isinstance(parts, tuple) else parts
            total = part if total is None else total + part
    finally:
        fn.__dict__.pop("needs_grad", None)
    return total


def zeros_for(x: Tensor, t: Tensor | None) -> Tensor:
    """``t``, or zeros shaped like ``x`` where an input carries no tangent."""
    return t if t is not None else _zeros_like(x)


# ------------------------------------------------- forward over reverse: tangent-only gradients


def backward_to_sinks(fn: Any, grad: Tensor, sinks: frozenset) -> tuple:
    """``fn.backward(grad)`` inside a forward-over-reverse pass (``hvp``) whose gradients at the
    tensors in ``sinks`` (ids) are read for their tangents only (``H v``; the gradient itself is
    thrown away).

    A primitive with a ``vjp_tangent(i, g, dg, tangents)`` rule gives a sink input's gradient as
    a zero placeholder (a broadcast view: no memory, no arithmetic) carrying the exact tangent,
    and skips computing the gradient's value: for ``x @ w`` that is the ``x.T @ g`` product of
    the first layer's weight gradient, a third of a Hessian-vector product's arithmetic. The
    other inputs' gradients are computed as usual.
    """
    from .. import backend
    from ..tensor import Tensor

    rule = getattr(fn, "vjp_tangent", None)
    inputs = fn.inputs
    if rule is None:
        return fn.backward(grad)
    sink = [id(t) in sinks and t._requires_grad for t in inputs]
    if not any(sink):
        return fn.backward(grad)
    if all(s or not t._requires_grad for s, t in zip(sink, inputs)):
        out: list = [None] * len(inputs)
    else:  # the other inputs first, as usual (their gradients carry their tangents)
        fn.needs_grad = lambda i: not sink[i] and inputs[i]._requires_grad
        try:
            out = list(fn.backward(grad))
        finally:
            del fn.needs_grad
    level = _ForwardMode.level
    dg = tangent_of(grad)
    tangents = [tangent_of(t) for t in inputs]
    _ForwardMode.level = None  # the rule's ops compute plain values (they are tangents)
    try:
        for i, is_sink in enumerate(sink):
            if not is_sink:
                continue
            tangent = rule(i, grad, dg, tangents)
            if tangent is None:
                continue
            xp = backend.xp_of(tangent.data)
            zero = xp.broadcast_to(xp.zeros((), tangent.data.dtype), tangent.data.shape)
            placeholder = Tensor._make(zero, tangent._device)
            placeholder._fw = (level, tangent)
            out[i] = placeholder
    finally:
        _ForwardMode.level = level
    return tuple(out)
