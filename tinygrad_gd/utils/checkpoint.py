"""``tg.utils.checkpoint``: activation checkpointing, torch's ``checkpoint`` and
``checkpoint_sequential``.

A checkpointed segment keeps only its inputs and outputs for the backward pass. Its
intermediate activations are freed when its forward pass ends and recomputed when its gradient
is needed, so the memory a deep model holds for backward is that of the segment boundaries plus
one segment, at the price of a second forward pass per segment.

- The forward pass runs recorded once, to find what the segment's outputs depend on: its tensor
  arguments, the parameters it uses, and tensors from outside it reached through closures.
  That graph is then dropped.
- The backward pass runs the segment again, with the random generators as they were (dropout
  draws the same masks), and differentiates the recomputed outputs with respect to those
  inputs.
- This works under ``tg.grad``, ``backward(inputs=...)`` and ``create_graph=True`` alike, with
  either ``use_reentrant``. torch's reentrant variant refuses the first two.

>>> import tinygrad_gd as tg
>>> from tinygrad_gd.utils.checkpoint import checkpoint
>>> layer = tg.nn.Linear(2, 2)
>>> x = tg.ones(3, 2, requires_grad=True)
>>> y = checkpoint(lambda a: layer(a).tanh(), x, use_reentrant=False)
>>> y.sum().backward()
>>> layer.weight.grad.shape, x.grad.shape
((2, 2), (3, 2))
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .. import backend
from ..autograd import enable_grad, is_grad_enabled
from ..autograd.function import Function
from ..autograd.functional import grad as _grad
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def _snapshot() -> dict[str, Any]:
    """Copies of the library's random generators (one per device), as they are now."""
    try:
        return {dev: copy.deepcopy(gen) for dev, gen in backend.generators._by_device.items()}
    except Exception as exc:  # pragma: no cover - a generator that cannot be copied
        raise RuntimeError("checkpoint: a device's random generator cannot be saved to "
                           "replay the segment's draws; pass preserve_rng_state=False if the "
                           "segment draws nothing") from exc


class _Replay:
    """Within the block, the generators are copies of a snapshot (the segment draws what it drew
    the first time); afterwards they are what they were."""

    def __init__(self, snapshot: dict[str, Any] | None) -> None:
        self.snapshot = snapshot

    def __enter__(self) -> None:
        if self.snapshot is not None:
            self.kept = backend.generators._by_device
            backend.generators._by_device = {d: copy.deepcopy(g)
                                             for d, g in self.snapshot.items()}

    def __exit__(self, *exc: Any) -> None:
        if self.snapshot is not None:
            backend.generators._by_device = self.kept


def _boundary(outputs: Sequence[Tensor], args: Sequence[Tensor]) -> list[Tensor]:
    """The tensors outside the segment that its outputs depend on differentiably: leaves that
    require grad (parameters), found by walking the recorded graph back from the outputs and
    stopping at the segment's tensor arguments."""
    stop = {id(a) for a in args}
    found: dict[int, Tensor] = {}
    seen: set[int] = set()
    stack = [o._ctx for o in outputs if o._ctx is not None]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        for t, parent in zip(fn.inputs, fn.edges):
            if id(t) in stop:
                continue
            if parent is None:
                if t._requires_grad and t._ctx is None:
                    found.setdefault(id(t), t)
            else:
                stack.append(parent)
    return list(found.values())


class _Held:
    """What the segment needs besides its differentiable inputs (passed as one argument)."""

    def __init__(self, function: Callable, args: tuple, kwargs: dict, outputs: tuple,
                 single: bool, rng: dict | None, recompute_ctx: Any) -> None:
        self.function, self.args, self.kwargs = function, args, kwargs
        self.outputs, self.single, self.rng = outputs, single, rng
        self.recompute_ctx = recompute_ctx


class _Checkpoint(Function):
    @staticmethod
    def forward(ctx: Any, held: _Held, *inputs: Tensor) -> Any:
        ctx.held = held
        outs, held.outputs = held.outputs, None  # handed over once: the node keeps no copy
        return outs[0] if held.single else outs

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        held = ctx.held
        n_args = sum(isinstance(a, Tensor) for a in held.args)
        inputs = list(ctx.inputs)  # the tensor arguments, then the boundary leaves
        detached = {}
        for a in held.args:
            if isinstance(a, Tensor):
                d = a.detach()
                d._requires_grad = a.requires_grad and a.dtype.kind == "f"
                detached[id(a)] = d
        args = tuple(detached.get(id(a), a) for a in held.args)
        with _Replay(held.rng), enable_grad(), held.recompute_ctx:
            outs = held.function(*args, **held.kwargs)
        outs = (outs,) if held.single else tuple(outs)
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        wrt = [detached[id(a)] for a in held.args if isinstance(a, Tensor)]
        wrt += inputs[n_args:]
        want = [w for w in wrt if w.requires_grad]
        if not pairs or not want:
            return (None,) * (1 + len(inputs))
        found = _grad([o for o, _ in pairs], want, [g for _, g in pairs],
                      retain_graph=True, create_graph=is_grad_enabled(), allow_unused=True)
        by_id = {id(w): g for w, g in zip(want, found)}
        return (None,) + tuple(by_id.get(id(w)) for w in wrt)


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable | None = None, determinism_check: str = "default",
               debug: bool = False, preserve_rng_state: bool = True, early_stop: bool = True,
               **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, its activations recomputed in the backward pass instead
    of kept (see the module's docstring). ``context_fn`` returns two context managers, entered
    around the first run and around the recomputation, as torch's."""
    if use_reentrant is None:
        warnings.warn("tg.utils.checkpoint: pass use_reentrant explicitly, as torch asks "
                      "(both values give the same results here)", UserWarning, stacklevel=2)
    if determinism_check not in ("default", "none"):
        raise ValueError(f"checkpoint: determinism_check must be 'default' or 'none', got "
                         f"{determinism_check!r}")
    first_ctx, recompute_ctx = (context_fn() if context_fn is not None
                                else (contextlib.nullcontext(), contextlib.nullcontext()))
    if not is_grad_enabled():
        with first_ctx:
            return function(*args, **kwargs)
    rng = _snapshot() if preserve_rng_state else None
    with first_ctx:
        out = function(*args, **kwargs)
    single = not isinstance(out, tuple)
    outs = (out,) if single else tuple(out)
    tensor_args = [a for a in args if isinstance(a, Tensor)]
    recorded = [o for o in outs if isinstance(o, Tensor) and o._ctx is not None]
    leaves = _boundary(recorded, tensor_args)
    if not any(a.requires_grad for a in tensor_args) and not leaves:
        return out  # nothing to differentiate: no graph to save memory on
    kept = tuple(o.detach() if isinstance(o, Tensor) else o for o in outs)
    del out, outs, recorded  # the segment's graph, and the activations it saved, go here
    held = _Held(function, args, kwargs, kept, single, rng, recompute_ctx)
    return _Checkpoint.apply(held, *tensor_args, *leaves)


def checkpoint_sequential(functions: Any, segments: int, input: Tensor,  # noqa: A002
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Run ``functions`` (a ``Sequential`` or a list of modules) in ``segments`` chunks, each
    checkpointed but the last (whose activations the backward pass needs first), as torch's."""
    if use_reentrant is None:
        warnings.warn("tg.utils.checkpoint: pass use_reentrant explicitly, as torch asks "
                      "(both values give the same results here)", UserWarning, stacklevel=2)
    modules = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be >= 1, got {segments}")
    size = max(len(modules) // segments, 1)

    def run(start: int, end: int) -> Callable:
        def forward(x: Any) -> Any:
            for m in modules[start:end + 1]:
                x = m(x)
            return x
        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=bool(use_reentrant),  # noqa: A001
                           **kwargs)
    return run(end + 1, len(modules) - 1)(input)
