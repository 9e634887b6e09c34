"""Functional autodiff with ``torch.autograd``'s signatures: ``grad``, ``backward``, ``vjp``,
``jvp``, ``jacobian``, ``hessian``, ``hvp`` and ``vhp``.

``jvp`` runs in forward mode (dual tensors, ``forward_ad.py``); ``hvp`` is forward-over-reverse
by default (tangents flowing through one backward pass), reverse-over-reverse on request, and
never forms the Hessian; ``vhp`` is reverse-over-reverse; ``jacobian`` runs one VJP per output
element
(HIPS autograd's recipe). ``strict=True`` raises when an output does not depend on an input;
``vectorize`` and the strategy arguments are accepted and change nothing (one code path).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import backend
from ..functions import stack
from ..tensor import Tensor, _seed_gradient
from . import forward_ad as fwAD
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
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False
         ) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is untouched).

    ``allow_unused``: None for an input the outputs do not depend on (an error otherwise);
    ``materialize_grads``: zeros instead of None there.

    >>> import tinygrad_gd as tg
    >>> x = tg.tensor(3.0, requires_grad=True)
    >>> (dx,) = tg.grad(x ** 3, x, create_graph=True)
    >>> (d2x,) = tg.grad(dx, x)
    >>> dx.item(), d2x.item()
    (27.0, 18.0)
    """
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched=True is not supported; loop over the "
                                  "batch of grad_outputs")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("grad: materialize_grads=True needs allow_unused to be True or None")
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
    if materialize_grads:
        found = [_zeros_for(t) if g is None else g for g, t in zip(found, ins)]
    return tuple(g if g is None or create_graph else g.detach() for g in found)


def backward(tensors: TensorOrTensors, grad_tensors: TensorOrTensors | None = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             grad_variables: TensorOrTensors | None = None,
             inputs: TensorOrTensors | None = None) -> None:
    """Accumulate the gradients of several ``tensors`` (one backward pass, seeded with
    ``grad_tensors``) into the leaves' ``.grad`` (``inputs``: only those), as
    ``torch.autograd.backward``.

    >>> import tinygrad_gd as tg
    >>> x = tg.tensor([1.0, 2.0], requires_grad=True)
    >>> tg.autograd.backward([(x * x).sum(), x.sum()])
    >>> x.grad.tolist()
    [3.0, 5.0]
    """
    if grad_variables is not None:
        if grad_tensors is not None:
            raise RuntimeError("backward: pass grad_tensors or its old name grad_variables, "
                               "not both")
        grad_tensors = grad_variables
    outs, _ = _as_tuple(tensors, "tensors")
    if grad_tensors is None:
        gs: tuple = (None,) * len(outs)
    else:
        gs = (grad_tensors,) if isinstance(grad_tensors, Tensor) else tuple(grad_tensors)
        if len(gs) != len(outs):
            raise RuntimeError(f"backward: got {len(gs)} grad_tensors for {len(outs)} tensors")
    for i, o in enumerate(outs):
        if not o.requires_grad:
            raise RuntimeError(f"backward: tensor {i} does not require grad and does not have a "
                               "grad_fn")
    seeds = [_seed_gradient(o, g, "backward()") for o, g in zip(outs, gs)]
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        run_backward(list(outs), seeds, retain, create_graph)
        return
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not ins:
        raise RuntimeError("backward: inputs= was given but is empty")
    found = run_backward(list(outs), seeds, retain, create_graph, capture=ins)
    for t, g in zip(ins, found):
        if g is not None:
            g = g if create_graph else g.detach()
            t.grad = g if t.grad is None else t.grad + g


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


def _vjp_raw(outs, ins, v, create_graph, strict=False, what="vjp", sinks=None):
    roots = [o for o in outs if o.requires_grad]
    seeds = [g for o, g in zip(outs, v) if o.requires_grad]
    found = (run_backward(roots, seeds, create_graph, create_graph, capture=list(ins),
                          sinks=sinks) if roots else [None] * len(ins))
    if strict:
        for i, g in enumerate(found):
            if g is None:
                raise RuntimeError(f"{what}: the outputs are independent of input {i}; this is "
                                   "not allowed in strict mode")
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
        create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T J)``: a vector-Jacobian product, as torch.autograd.functional.vjp."""
    ins, single_in = _prepare(inputs, create_graph)
    outs, single_out = _call(func, ins)
    vs = _check_v(v, outs, "vjp")
    result = _vjp_raw(outs, ins, vs, create_graph, strict, "vjp")
    return _finish(outs, single_out, create_graph), _finish(result, single_in, create_graph)


def jvp(func: Callable, inputs: TensorOrTensors, v: TensorOrTensors | None = None,
        create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``: a Jacobian-vector product in forward mode (dual tensors: one
    forward pass carrying the tangents ``v``), as torch.autograd.functional.jvp.

    >>> import tinygrad_gd as tg
    >>> _, jv = tg.jvp(lambda x: x ** 2, tg.tensor([1.0, 2.0]), tg.tensor([1.0, 1.0]))
    >>> jv.tolist()
    [2.0, 4.0]
    """
    ins, single_in = _prepare(inputs, create_graph)
    vs = _check_v(v, ins, "jvp")
    with _dual_level("jvp"):
        duals = tuple(fwAD.make_dual(x, t) for x, t in zip(ins, vs))
        outs, single_out = _call(func, duals)
        pairs = [fwAD.unpack_dual(o) for o in outs]
    if strict and any(p.tangent is None for p in pairs):
        raise RuntimeError("jvp: an output is independent of the inputs; this is not allowed in "
                           "strict mode")
    outs = tuple(p.primal for p in pairs)
    result = tuple(_zeros_for(p.primal) if p.tangent is None else p.tangent for p in pairs)
    return _finish(outs, single_out, create_graph), _finish(result, single_out, create_graph)


def _dual_level(what: str) -> fwAD.dual_level:
    if fwAD._ForwardMode.level is not None:
        raise NotImplementedError(f"{what}: nested forward mode is not supported (a dual level "
                                  "is already active)")
    return fwAD.dual_level()


def jacobian(func: Callable, inputs: TensorOrTensors, create_graph: bool = False,
             strict: bool = False, vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian, shaped ``output.shape + input.shape`` (tuples for several inputs/outputs).

    >>> import tinygrad_gd as tg
    >>> tg.jacobian(lambda x: x ** 2, tg.tensor([1.0, 2.0])).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """
    _check_strategy(strategy, "strategy")
    ins, single_in = _prepare(inputs, create_graph)
    outs, single_out = _call(func, ins)
    rows = []
    for i, o in enumerate(outs):
        per_input = [[] for _ in ins]
        reached = [False] * len(ins)
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
                reached[j] = reached[j] or g is not None
                per_input[j].append(_zeros_for(t) if g is None else g)
        if strict and not all(reached):
            raise RuntimeError(f"jacobian: output {i} of the function is independent of input "
                               f"{reached.index(False)}; this is not allowed in strict mode")
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


def hessian(func: Callable, inputs: TensorOrTensors, create_graph: bool = False,
            strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar ``func``: the Jacobian of its gradient, shaped
    ``input.shape + input.shape`` (a tuple of tuples for several inputs)."""
    _check_strategy(outer_jacobian_strategy, "outer_jacobian_strategy")
    ins, single_in = _prepare(inputs, True)

    def gradient(*xs: Tensor):
        out, _ = _call(func, xs)
        if len(out) != 1 or out[0].numel() != 1:
            raise RuntimeError("hessian: func must return a single tensor with one element")
        gs = grad(out[0].reshape(()), xs, create_graph=True, allow_unused=not strict)
        return tuple(_zeros_for(x) if g is None else g for g, x in zip(gs, xs))

    result = jacobian(gradient, ins, create_graph=create_graph, strict=strict)
    if single_in:
        return result[0][0]
    return result


def hvp(func: Callable, inputs: TensorOrTensors, v: TensorOrTensors | None = None,
        create_graph: bool = False, strict: bool = False, *,
        mode: str = "forward-over-reverse"):
    """``(func(inputs), H v)``, the Hessian never formed. ``mode="forward-over-reverse"`` (the
    default, the cheapest): one backward pass in which the tangents ``v`` flow (dual tensors);
    ``mode="reverse-over-reverse"``: the gradient of ``grad(func) . v`` (two backward passes).

    >>> import tinygrad_gd as tg
    >>> f = lambda x: (x ** 3).sum()
    >>> _, hv = tg.hvp(f, tg.tensor([1.0, 2.0]), tg.tensor([1.0, 1.0]))
    >>> hv.tolist()
    [6.0, 12.0]
    """
    if mode == "reverse-over-reverse":
        return _second_order_product(func, inputs, v, create_graph, strict, "hvp")
    if mode != "forward-over-reverse":
        raise ValueError(f"hvp: mode must be 'forward-over-reverse' or 'reverse-over-reverse', "
                         f"got {mode!r}")
    ins, single_in = _prepare(inputs, create_graph)
    vs = _check_v(v, ins, "hvp")
    with _dual_level("hvp"), enable_grad():  # the duals must stay views of ins in the graph
        duals = tuple(fwAD.make_dual(x, t) for x, t in zip(ins, vs))
        outs, _ = _call(func, duals)
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("hvp: func must return a single tensor with one element")
        out = outs[0]
        # the gradient's tangent is H v: tangents flow through the backward pass. Only the
        # tangents of the gradients at the duals are read: `sinks` lets the last products
        # (x.T @ g of a first layer) skip the gradient's value (forward_ad.backward_to_sinks)
        sinks = None if create_graph else frozenset(id(d) for d in duals)
        gs = _vjp_raw((out,), ins, (_seed_gradient(out, None, "hvp"),), create_graph, strict,
                      "hvp", sinks)
        tangents = [fwAD.unpack_dual(g).tangent for g in gs]
        primal = fwAD.unpack_dual(out).primal
    if strict and any(t is None for t in tangents):
        raise RuntimeError("hvp: the gradient of the function is independent of the inputs; "
                           "this is not allowed in strict mode")
    result = tuple(_zeros_for(x) if t is None else t for t, x in zip(tangents, ins))
    return _finish((primal,), True, create_graph), _finish(result, single_in, create_graph)


def vhp(func: Callable, inputs: TensorOrTensors, v: TensorOrTensors | None = None,
        create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T H)``, as torch.autograd.functional.vhp: the gradient of
    ``grad(func) . v``. The Hessian of a twice differentiable function is symmetric, so this
    equals ``hvp``; both are computed the same way here.

    >>> import tinygrad_gd as tg
    >>> _, vh = tg.autograd.functional.vhp(lambda x: (x ** 3).sum(), tg.tensor([1.0, 2.0]),
    ...                                    tg.tensor([1.0, 0.0]))
    >>> vh.tolist()
    [6.0, 0.0]
    """
    return _second_order_product(func, inputs, v, create_graph, strict, "vhp")


def _second_order_product(func: Callable, inputs: TensorOrTensors, v: Any, create_graph: bool,
                          strict: bool, what: str):
    ins, single_in = _prepare(inputs, create_graph)
    vs = _check_v(v, ins, what)
    outs, _ = _call(func, ins)
    if len(outs) != 1 or outs[0].numel() != 1:
        raise RuntimeError(f"{what}: func must return a single tensor with one element")
    out = outs[0]
    with enable_grad():
        gs = _vjp_raw((out,), ins, (_seed_gradient(out, None, what),), True, strict, what)
        pairs = [(g * vv).sum() for g, vv in zip(gs, vs) if g.requires_grad]
        if not pairs:
            if strict:
                raise RuntimeError(f"{what}: the gradient of the function is independent of "
                                   "the inputs; this is not allowed in strict mode")
            result = tuple(_zeros_for(t) for t in ins)
        else:
            total = pairs[0]
            for p in pairs[1:]:
                total = total + p
            result = _vjp_raw((total,), ins, (_seed_gradient(total, None, what),),
                              create_graph, strict, what)
    return _finish((out,), True, create_graph), _finish(result, single_in, create_graph)


def _check_strategy(strategy: str, name: str) -> None:
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"{name} must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
