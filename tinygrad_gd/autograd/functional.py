"""Functional autodiff with ``torch.autograd``'s signatures: ``grad``, ``vjp``, ``jvp``,
``jacobian``, ``hessian`` and ``hvp``.

Everything is built from reverse mode. ``jvp`` uses the double-VJP trick (a VJP is linear in its
cotangent, so differentiating it with respect to the cotangent gives the JVP); ``hvp`` is
reverse-over-reverse and never forms the Hessian; ``jacobian`` runs one VJP per output element
(HIPS autograd's recipe).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import backend
from ..functions import stack
from ..tensor import Tensor, _seed_gradient
from .engine import run_backward
from .grad_mode import enable_grad

TensorOrTensors = Tensor | Sequence[Tensor]


def _as_tuple(x: Any, what: str) -> tuple[tuple[Tensor, ...], bool]:
    if isinstance(x, Tensor):
        return (x,), True
    if isinstance(x, (tuple, list)) and all(isinstance(t, Tensor) for t in x):
        return tuple(x), False
    raise TypeError(f"{what} must be a Tensor or a tuple of Tensors, got {type(x).__name__}")


def grad(outputs: TensorOrTensors, inputs: TensorOrTensors,
         grad_outputs: TensorOrTensors | None = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is untouched).

    >>> import tinygrad_gd as tg
    >>> x = tg.tensor(3.0, requires_grad=True)
    >>> (dx,) = tg.grad(x ** 3, x, create_graph=True)
    >>> (d2x,) = tg.grad(dx, x)
    >>> dx.item(), d2x.item()
    (27.0, 18.0)
    """
    outs, _ = _as_tuple(outputs, "outputs")
    ins, _ = _as_tuple(inputs, "inputs")
    if grad_outputs is None:
        gouts: tuple = (None,) * len(outs)
    else:
        gouts = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
        if len(gouts) != len(outs):
            raise ValueError(f"grad: {len(outs)} outputs but {len(gouts)} grad_outputs")
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError(
                f"grad: input {i} (shape {t.shape}, dtype {t.dtype}) does not require grad"
                + ("; only floating-point tensors can" if not backend.is_floating(t.dtype) else ""))
    roots, seeds = [], []
    for i, (o, g) in enumerate(zip(outs, gouts)):
        if not o.requires_grad:
            if allow_unused:
                continue
            raise RuntimeError(f"grad: output {i} does not require grad (it does not depend on "
                               "any input that requires grad)")
        roots.append(o)
        seeds.append(_seed_gradient(o, g, "grad()"))
    retain = create_graph if retain_graph is None else retain_graph
    found = run_backward(roots, seeds, retain, create_graph, capture=list(ins)) if roots else (
        [None] * len(ins))
    for i, g in enumerate(found):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {ins[i].shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it")
    return tuple(g if g is None or create_graph else g.detach() for g in found)


def _prepare(inputs: TensorOrTensors, create_graph: bool) -> tuple[tuple[Tensor, ...], bool]:
    ins, single = _as_tuple(inputs, "inputs")
    for t in ins:
        if not backend.is_floating(t.dtype):
            raise TypeError(f"inputs must be floating-point tensors, got dtype {t.dtype}")
    # Fresh leaves (or, with create_graph, differentiable aliases) that require grad.
    prepared = tuple(t.detach().requires_grad_() if not create_graph else
                     (t.clone() if t.requires_grad else t.detach().requires_grad_())
                     for t in ins)
    return prepared, single


def _call(func: Callable, ins: tuple[Tensor, ...]) -> tuple[tuple[Tensor, ...], bool]:
    with enable_grad():
        out = func(*ins)
    return _as_tuple(out, "func's output")


def _zeros_for(t: Tensor) -> Tensor:
    return Tensor._make(backend.xp_of(t.data).zeros(t.shape, dtype=t.dtype), t.device)


def _vjp_raw(outs, ins, v, create_graph):
    roots = [o for o in outs if o.requires_grad]
    seeds = [g for o, g in zip(outs, v) if o.requires_grad]
    if not roots:
        return tuple(_zeros_for(t) for t in ins)
    found = run_backward(roots, seeds, create_graph, create_graph, capture=list(ins))
    return tuple(_zeros_for(t) if g is None else g for g, t in zip(found, ins))


def _finish(xs: tuple[Tensor, ...], single: bool, create_graph: bool):
    xs = tuple(x if create_graph else x.detach() for x in xs)
    return xs[0] if single else xs


def _check_v(v: Any, like: tuple[Tensor, ...], what: str) -> tuple[Tensor, ...]:
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"{what}: v can be omitted only when there is a single "
                               "one-element tensor")
        return (Tensor._make(backend.xp_of(like[0].data).ones(like[0].shape, like[0].dtype),
                             like[0].device),)
    vs, _ = _as_tuple(v, "v")
    if len(vs) != len(like) or any(a.shape != b.shape for a, b in zip(vs, like)):
        raise RuntimeError(f"{what}: v has shapes {[tuple(a.shape) for a in vs]}, expected "
                           f"{[tuple(b.shape) for b in like]}")
    return vs


def vjp(func: Callable, inputs: TensorOrTensors, v: TensorOrTensors | None = None,
        create_graph: bool = False):
    """``(func(inputs), v^T J)``: a vector-Jacobian product, as torch.autograd.functional.vjp."""
    ins, single_in = _prepare(inputs, create_graph)
    outs, single_out = _call(func, ins)
    vs = _check_v(v, outs, "vjp")
    result = _vjp_raw(outs, ins, vs, create_graph)
    return _finish(outs, single_out, create_graph), _finish(result, single_in, create_graph)


def jvp(func: Callable, inputs: TensorOrTensors, v: TensorOrTensors | None = None,
        create_graph: bool = False):
    """``(func(inputs), J v)``: a Jacobian-vector product by the double-VJP trick."""
    ins, single_in = _prepare(inputs, create_graph)
    vs = _check_v(v, ins, "jvp")
    outs, single_out = _call(func, ins)
    with enable_grad():
        # u is a dummy cotangent; g(u) = u^T J is linear in u, and d(g(u) . v)/du = J v.
        us = tuple(_zeros_for(o).requires_grad_() for o in outs)
        gs = _vjp_raw(outs, ins, us, True)
        dot = sum(((g * vv).sum() for g, vv in zip(gs, vs) if g.requires_grad),
                  start=Tensor._make(backend.xp_of(ins[0].data).zeros((), ins[0].dtype),
                                     ins[0].device))
        if not dot.requires_grad:
            result = tuple(_zeros_for(o) for o in outs)
        else:
            found = run_backward([dot], [_seed_gradient(dot, None, "jvp")], create_graph,
                                 create_graph, capture=list(us))
            result = tuple(_zeros_for(o) if g is None else g for g, o in zip(found, outs))
    return _finish(outs, single_out, create_graph), _finish(result, single_out, create_graph)


def jacobian(func: Callable, inputs: TensorOrTensors, create_graph: bool = False):
    """The Jacobian, shaped ``output.shape + input.shape`` (tuples for several inputs/outputs).

    >>> import tinygrad_gd as tg
    >>> tg.jacobian(lambda x: x ** 2, tg.tensor([1.0, 2.0])).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """
    ins, single_in = _prepare(inputs, create_graph)
    outs, single_out = _call(func, ins)
    rows = []
    for o in outs:
        per_input = [[] for _ in ins]
        flat_n = o.numel()
        for k in range(flat_n):
            seed = backend.xp_of(o.data).zeros(o.numel(), dtype=o.dtype)
            seed[k] = 1
            seed_t = Tensor._make(seed.reshape(o.shape), o.device)
            if o.requires_grad:
                found = run_backward([o], [seed_t], True, create_graph, capture=list(ins))
            else:
                found = [None] * len(ins)
            for j, (g, t) in enumerate(zip(found, ins)):
                per_input[j].append(_zeros_for(t) if g is None else g)
        blocks = []
        for j, t in enumerate(ins):
            if per_input[j]:
                block = stack(per_input[j]).reshape(o.shape + t.shape)
            else:
                block = Tensor._make(backend.xp_of(t.data).zeros(o.shape + t.shape, t.dtype),
                                     t.device)
            blocks.append(block if create_graph else block.detach())
        rows.append(blocks[0] if single_in else tuple(blocks))
    return rows[0] if single_out else tuple(rows)


def hessian(func: Callable, inputs: TensorOrTensors, create_graph: bool = False):
    """The Hessian of a scalar ``func``: the Jacobian of its gradient, shaped
    ``input.shape + input.shape`` (a tuple of tuples for several inputs)."""
    ins, single_in = _prepare(inputs, True)

    def gradient(*xs: Tensor):
        out, _ = _call(func, xs)
        if len(out) != 1 or out[0].numel() != 1:
            raise RuntimeError("hessian: func must return a single tensor with one element")
        gs = grad(out[0].reshape(()), xs, create_graph=True, allow_unused=True)
        return tuple(_zeros_for(x) if g is None else g for g, x in zip(gs, xs))

    result = jacobian(gradient, ins, create_graph=create_graph)
    if single_in:
        return result[0][0]
    return result


def hvp(func: Callable, inputs: TensorOrTensors, v: TensorOrTensors,
        create_graph: bool = False):
    """``(func(inputs), H v)`` by reverse-over-reverse: two backward passes, no Hessian formed.

    >>> import tinygrad_gd as tg
    >>> f = lambda x: (x ** 3).sum()
    >>> _, hv = tg.hvp(f, tg.tensor([1.0, 2.0]), tg.tensor([1.0, 1.0]))
    >>> hv.tolist()
    [6.0, 12.0]
    """
    ins, single_in = _prepare(inputs, create_graph)
    vs = _check_v(v, ins, "hvp")
    outs, _ = _call(func, ins)
    if len(outs) != 1 or outs[0].numel() != 1:
        raise RuntimeError("hvp: func must return a single tensor with one element")
    out = outs[0]
    with enable_grad():
        gs = _vjp_raw((out,), ins, (_seed_gradient(out, None, "hvp"),), True)
        pairs = [(g * vv).sum() for g, vv in zip(gs, vs) if g.requires_grad]
        if not pairs:
            result = tuple(_zeros_for(t) for t in ins)
        else:
            total = pairs[0]
            for p in pairs[1:]:
                total = total + p
            result = _vjp_raw((total,), ins, (_seed_gradient(total, None, "hvp"),),
                              create_graph)
    return _finish((out,), True, create_graph), _finish(result, single_in, create_graph)
