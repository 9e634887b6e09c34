"""The transforms of ``tinygrad_gd.func`` (see the package's docstring)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .. import backend
from ..autograd import forward_ad as fwAD
from ..autograd.engine import run_backward
from ..autograd.grad_mode import _GradMode, enable_grad
from ..functions import stack
from ..tensor import Tensor

Argnums = int | tuple[int, ...]


def _argnums(argnums: Argnums, n: int, what: str) -> tuple[tuple[int, ...], bool]:
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    if not nums:
        raise ValueError(f"{what}: argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int) or not -n <= a < n:
            raise ValueError(f"{what}: argnums {argnums!r} is out of range for {n} positional "
                             "arguments")
    return tuple(a % n for a in nums), single


def _differentiable(x: Any, what: str) -> Tensor:
    """``x`` itself when it already requires grad (so outer transforms still see the graph),
    else a leaf alias that does (keeping a forward-mode tangent)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: the differentiated arguments must be Tensors, got "
                        f"{type(x).__name__}")
    if not backend.is_floating(x.dtype):
        raise TypeError(f"{what}: can only differentiate floating-point tensors, got {x.dtype}")
    if x.requires_grad:
        return x
    out = Tensor._make(x.data, x._device, True)
    out._version = x._version
    fw = getattr(x, "_fw", None)
    if fw is not None:
        out._fw = fw
    return out


def _split_aux(result: Any, has_aux: bool, what: str) -> tuple[Any, Any]:
    if not has_aux:
        return result, None
    if not isinstance(result, tuple) or len(result) != 2:
        raise RuntimeError(f"{what}(f, has_aux=True): f must return a tuple (output, aux)")
    return result


def _zeros(t: Tensor) -> Tensor:
    return Tensor._make(backend.xp_of(t.data).zeros(t.shape, t.dtype), t._device)


def _grads(outs: list[Tensor], seeds: list[Tensor], xs: list[Tensor], create: bool
           ) -> list[Tensor]:
    roots = [(o, s) for o, s in zip(outs, seeds) if o.requires_grad]
    if not roots:
        found: list = [None] * len(xs)
    else:
        found = run_backward([o for o, _ in roots], [s for _, s in roots], True, create,
                             capture=xs)
    return [_zeros(x) if g is None else g for g, x in zip(found, xs)]


def _needs_graph(xs: list[Tensor], args: tuple) -> bool:
    """Record the backward pass only when an outer reverse-mode transform will differentiate
    it (an argument already required grad). Forward-mode tangents flow without it."""
    return _GradMode.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args)


def grad_and_value(func: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(gradient, value)`` (``((gradient, value), aux)`` with
    ``has_aux``) of a scalar ``func`` with respect to the arguments ``argnums``."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums, single = _argnums(argnums, len(args), "grad")
        create = _needs_graph([], tuple(args[i] for i in nums))
        args = list(args)
        xs = [_differentiable(args[i], "grad") for i in nums]
        for i, x in zip(nums, xs):
            args[i] = x
        with enable_grad():
            out, aux = _split_aux(func(*args, **kwargs), has_aux, "grad")
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("grad: func must return a Tensor with a single element, got "
                               f"{getattr(out, 'shape', type(out).__name__)}")
        seed = Tensor._make(backend.xp_of(out.data).ones(out.shape, out.dtype), out._device)
        gs = _grads([out], [seed], xs, create)
        if not create:
            gs = [_keep_tangent(g) for g in gs]
            out = _keep_tangent(out)
        g = gs[0] if single else tuple(gs)
        return ((g, out), aux) if has_aux else (g, out)

    return wrapper


def _keep_tangent(t: Tensor) -> Tensor:
    """``t.detach()`` that keeps its forward-mode tangent (the graph is not needed, the tangent
    is: ``jvp(grad(f))``)."""
    out = t.detach()
    fw = getattr(t, "_fw", None)
    if fw is not None:
        out._fw = fw
    return out


def grad(func: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar ``func`` with respect to the arguments ``argnums``, as
    ``torch.func.grad``.

    >>> import tinygrad_gd as tg
    >>> tg.func.grad(lambda x: (x ** 3).sum())(tg.tensor([1.0, 2.0])).tolist()
    [3.0, 12.0]
    """
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = gv(*args, **kwargs)
        if has_aux:
            (g, _), aux = result
            return g, aux
        return result[0]

    return wrapper


def vjp(func: Callable, *primals: Tensor, has_aux: bool = False) -> Any:
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` returns one gradient per primal (a
    tuple), as ``torch.func.vjp``."""
    create = _needs_graph([], primals)
    xs = [_differentiable(p, "vjp") for p in primals]
    with enable_grad():
        out, aux = _split_aux(func(*xs), has_aux, "vjp")
    outs = list(out) if isinstance(out, (tuple, list)) else [out]

    def vjp_fn(cotangents: Any) -> tuple[Tensor, ...]:
        cots = list(cotangents) if isinstance(cotangents, (tuple, list)) else [cotangents]
        if len(cots) != len(outs) or any(c.shape != o.shape for c, o in zip(cots, outs)):
            raise RuntimeError("vjp_fn: expected cotangents shaped like the outputs "
                               f"{[tuple(o.shape) for o in outs]}, got "
                               f"{[tuple(c.shape) for c in cots]}")
        gs = _grads(outs, cots, xs, create or _needs_graph([], tuple(cots)))
        return tuple(gs if create else [_keep_tangent(g) for g in gs])

    shown = out if create else (
        tuple(_keep_tangent(o) for o in outs) if isinstance(out, (tuple, list))
        else _keep_tangent(out))
    return (shown, vjp_fn, aux) if has_aux else (shown, vjp_fn)


@contextlib.contextmanager
def _level(what: str) -> Iterator[None]:
    if fwAD._ForwardMode.level is not None:
        raise NotImplementedError(f"{what}: nested forward mode (a forward-mode transform "
                                  "inside another, e.g. jacfwd(jacfwd(f))) is not supported; "
                                  "use jacfwd(jacrev(f)) or jacrev(jacfwd(f))")
    with fwAD.dual_level():
        yield


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> Any:
    """``(func(*primals), J tangents)`` computed in forward mode (dual tensors), as
    ``torch.func.jvp``.

    >>> import tinygrad_gd as tg
    >>> out, t = tg.func.jvp(lambda x: x.sin(), (tg.tensor([0.0]),), (tg.tensor([2.0]),))
    >>> t.tolist()
    [2.0]
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise RuntimeError("jvp: primals and tangents must be tuples of Tensors")
    if len(primals) != len(tangents):
        raise RuntimeError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    with _level("jvp"):
        duals = [fwAD.make_dual(p, t) for p, t in zip(primals, tangents)]
        out, aux = _split_aux(func(*duals), has_aux, "jvp")
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        pairs = [fwAD.unpack_dual(o) for o in outs]
    prim = [p.primal for p in pairs]
    tans = [_zeros(p.primal) if p.tangent is None else p.tangent for p in pairs]
    if isinstance(out, (tuple, list)):
        result: tuple = (tuple(prim), tuple(tans))
    else:
        result = (prim[0], tans[0])
    return (*result, aux) if has_aux else result


def _unit(x: Tensor, k: int) -> Tensor:
    e = backend.xp_of(x.data).zeros(x.numel(), x.dtype)
    e[k] = 1
    return Tensor._make(e.reshape(x.shape), x._device)


def jacrev(func: Callable, argnums: Argnums = 0, *, has_aux: bool = False) -> Callable:
    """The Jacobian by reverse mode, one backward pass per output element, shaped
    ``output.shape + input.shape`` (tuples for several ``argnums``), as ``torch.func.jacrev``."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums, single = _argnums(argnums, len(args), "jacrev")
        create = _needs_graph([], tuple(args[i] for i in nums)) or (
            fwAD._ForwardMode.level is not None)
        args = list(args)
        xs = [_differentiable(args[i], "jacrev") for i in nums]
        for i, x in zip(nums, xs):
            args[i] = x
        with enable_grad():
            out, aux = _split_aux(func(*args, **kwargs), has_aux, "jacrev")
        if not isinstance(out, Tensor):
            raise TypeError("jacrev: func must return a Tensor")
        rows: list[list[Tensor]] = [[] for _ in xs]
        for k in range(out.numel()):
            for j, g in enumerate(_grads([out], [_unit(out, k)], xs, create)):
                rows[j].append(g)
        jac = [_stack_rows(r, out, x) for r, x in zip(rows, xs)]
        if not create:
            jac = [_keep_tangent(t) for t in jac]
        result = jac[0] if single else tuple(jac)
        return (result, aux) if has_aux else result

    return wrapper


def _stack_rows(rows: list[Tensor], out: Tensor, x: Tensor) -> Tensor:
    if not rows:
        return Tensor._make(backend.xp_of(x.data).zeros(out.shape + x.shape, x.dtype), x._device)
    return stack(rows).reshape(out.shape + x.shape)


def jacfwd(func: Callable, argnums: Argnums = 0, *, has_aux: bool = False) -> Callable:
    """The Jacobian by forward mode, one forward pass per input element, shaped
    ``output.shape + input.shape``, as ``torch.func.jacfwd``: cheaper than ``jacrev`` for tall
    Jacobians (few inputs, many outputs)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums, single = _argnums(argnums, len(args), "jacfwd")
        blocks = []
        aux = out = None
        for i in nums:
            x = args[i]
            if not isinstance(x, Tensor) or not backend.is_floating(x.dtype):
                raise TypeError("jacfwd: the differentiated arguments must be floating Tensors")
            cols = []
            for k in range(x.numel()):
                with _level("jacfwd"):
                    call = list(args)
                    call[i] = fwAD.make_dual(x, _unit(x, k))
                    res, aux = _split_aux(func(*call, **kwargs), has_aux, "jacfwd")
                    if not isinstance(res, Tensor):
                        raise TypeError("jacfwd: func must return a Tensor")
                    primal, tangent = fwAD.unpack_dual(res)
                out = primal
                cols.append(_zeros(primal) if tangent is None else tangent)
            if not cols:
                res = func(*args, **kwargs)
                out, aux = _split_aux(res, has_aux, "jacfwd")
                blocks.append(Tensor._make(backend.xp_of(x.data).zeros(
                    out.shape + x.shape, x.dtype), x._device))
                continue
            jac = stack(cols, dim=-1) if cols[0].ndim else stack(cols)
            blocks.append(jac.reshape(out.shape + x.shape))
        result = blocks[0] if single else tuple(blocks)
        return (result, aux) if has_aux else result

    return wrapper


def hessian(func: Callable, argnums: Argnums = 0) -> Callable:
    """The Hessian of a scalar ``func``, ``jacfwd(jacrev(func))`` (forward over reverse), as
    ``torch.func.hessian``.

    >>> import tinygrad_gd as tg
    >>> tg.func.hessian(lambda x: (x ** 3).sum())(tg.tensor([1.0, 2.0])).tolist()
    [[6.0, 0.0], [0.0, 12.0]]
    """
    return jacfwd(jacrev(func, argnums), argnums)


_MISSING = object()


def _slot(module: Any, name: str) -> tuple[Any, str]:
    """The module owning the dotted ``name`` and the attribute name in it."""
    owner_name, _, attr = name.rpartition(".")
    return (module.get_submodule(owner_name) if owner_name else module), attr


def _tied_names(module: Any) -> dict[str, list[str]]:
    """Every parameter/buffer name mapped to all the names that hold the same tensor (tied
    weights: ``decoder.weight = encoder.weight``), as torch's ``tie_weights=True``."""
    by_id: dict[int, list[str]] = {}
    for named in (module.named_parameters(remove_duplicate=False),
                  module.named_buffers(remove_duplicate=False)):
        for n, t in named:
            by_id.setdefault(id(t), []).append(n)
    return {n: names for names in by_id.values() for n in names}


def functional_call(module: Any, parameter_and_buffer_dicts: Mapping[str, Tensor] | Any,
                    args: Any = None, kwargs: Mapping[str, Any] | None = None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """Call ``module`` with its parameters and buffers replaced by the tensors in the dict(s)
    (names as ``named_parameters()``), restored afterwards, even when the call raises: a
    model's output as a function of its parameters, as ``torch.func.functional_call``.

    The swap replaces both the registry entry and the instance attribute, so every layer (which
    reads ``self.weight``) sees it. With ``tie_weights`` (the default) a tensor given for one
    name of a tied weight replaces it under all its names. A name that is not a parameter or
    buffer is set as a plain attribute for the call, as torch. The module is modified during
    the call: calling the same module from several threads at once is not safe (nor in torch).

    >>> import tinygrad_gd as tg
    >>> lin = tg.nn.Linear(2, 1)
    >>> w, b = tg.tensor([[1.0, 2.0]]), tg.tensor([0.5])
    >>> tg.func.functional_call(lin, {"weight": w, "bias": b}, (tg.ones(1, 2),)).tolist()
    [[3.5]]
    """
    dicts = (parameter_and_buffer_dicts if isinstance(parameter_and_buffer_dicts, (tuple, list))
             else (parameter_and_buffer_dicts,))
    merged: dict[str, Tensor] = {}
    for d in dicts:
        for k, v in d.items():
            if k in merged:
                raise ValueError(f"functional_call: {k!r} appears in more than one dict")
            merged[k] = v
    tied = _tied_names(module) if (tie_weights or strict) else {}
    if tie_weights:
        expanded: dict[str, Tensor] = {}
        for name, value in merged.items():
            for other in tied.get(name, [name]):
                if other in merged and merged[other] is not value:
                    raise ValueError(f"functional_call got multiple values for keys "
                                     f"{sorted(n for n in tied[name] if n in merged)}, which "
                                     "are tied. Consider using tie_weights=False")
                expanded[other] = value
        merged = expanded
    if strict:
        names = set(tied)
        missing, unexpected = sorted(names - set(merged)), sorted(set(merged) - names)
        if missing or unexpected:
            raise RuntimeError(f"functional_call (strict): missing {missing}, unexpected "
                               f"{unexpected}")
    saved: list[tuple[Any, dict | None, str, Any, Any]] = []
    try:
        for name, value in merged.items():
            owner, attr = _slot(module, name)
            store = next((s for s in (owner._parameters, owner._buffers) if attr in s), None)
            # save before writing, so a failure half-way restores what was already swapped
            saved.append((owner, store, attr, store[attr] if store is not None else None,
                          owner.__dict__.get(attr, _MISSING)))
            if store is not None:
                store[attr] = value
            # the attribute is what layers read (``self.weight``); bypass __setattr__, which
            # would refuse a plain Tensor for a parameter
            owner.__dict__[attr] = value
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for owner, store, attr, old, old_attr in reversed(saved):
            if store is not None:
                store[attr] = old
            if old_attr is _MISSING:
                owner.__dict__.pop(attr, None)
            else:
                owner.__dict__[attr] = old_attr
