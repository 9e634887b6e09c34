"""Module hooks: the registration every kind shares (``register``), and the backward hooks,
torch's ``register_full_backward_hook`` and ``register_full_backward_pre_hook`` (what Grad-CAM
and gradient-inspection scripts use).

While a module has such hooks, its call passes the tensor arguments through one identity node
and its tensor outputs through another (torch's ``BackwardHook`` does the same):

- the outputs' node receives every ``grad_output`` at once. It runs the pre-hooks, each of which
  may replace ``grad_output``, and keeps what they leave;
- the inputs' node receives every ``grad_input`` at once, once the module's own backward pass is
  through. It runs the full hooks with ``(module, grad_input, grad_output)``; a hook's non-None
  result replaces ``grad_input``.

``grad_input`` has one entry per positional argument (None for a non-tensor). When no argument
requires a gradient, the full hooks run from the outputs' node with ``grad_input`` all None, and
a warning says so, as torch's.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from ..autograd.function import Function
from ..autograd.hooks import RemovableHandle, _HookDict, add_hook
from ..tensor import Tensor


def register(hooks: dict, entry: Any, prepend: bool) -> RemovableHandle:
    """Add a module hook, first in call order when ``prepend``."""
    handle = add_hook(hooks, entry)
    if prepend:
        items = list(hooks.items())
        hooks.clear()
        hooks.update([items[-1], *items[:-1]])
    return handle


class BackwardHookMethods:
    """``Module``'s backward-hook registration (the hook dicts are made on first use)."""

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False
                                    ) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` once the gradients with respect to
        the module's arguments are computed; a non-None result (a tuple) replaces
        ``grad_input``.

        >>> import tinygrad_gd as tg
        >>> lin = tg.nn.Linear(3, 2)
        >>> seen = []
        >>> h = lin.register_full_backward_hook(lambda m, gi, go: seen.append(go[0].shape))
        >>> lin(tg.ones(4, 3, requires_grad=True)).sum().backward()
        >>> seen
        [(4, 2)]
        """
        return register(self._hook_dict("_backward_hooks"), hook, prepend)

    def register_full_backward_pre_hook(self, hook: Callable[..., Any], prepend: bool = False
                                        ) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients with respect to the module's
        outputs arrive, before its own backward pass; a non-None result replaces them."""
        return register(self._hook_dict("_backward_pre_hooks"), hook, prepend)

    def _hook_dict(self, name: str) -> dict:
        hooks = self.__dict__.get(name)
        if hooks is None:
            hooks = _HookDict()
            object.__setattr__(self, name, hooks)
        return hooks


class _State:
    """One call's bookkeeping: the module, its argument positions and the ``grad_output``
    the pre-hooks left."""

    def __init__(self, module: Any, args: tuple) -> None:
        self.module = module
        self.n_args = len(args)
        self.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.inputs_hooked = any(args[i].requires_grad for i in self.positions)
        self.grad_output: tuple | None = None


def _check(result: Any, expected: int, what: str) -> tuple:
    result = result if isinstance(result, tuple) else (result,)
    if len(result) != expected:
        raise RuntimeError(f"a backward hook returned {len(result)} {what}, expected "
                           f"{expected}")
    return result


def _full_hooks(state: _State, grad_input: tuple) -> tuple:
    for hook in list(state.module._backward_hooks.values()):
        result = hook(state.module, grad_input, state.grad_output)
        if result is not None:
            grad_input = _check(result, len(grad_input), "grad_input entries")
    return grad_input


class _Inputs(Function):
    """Identity over the module's tensor arguments; its backward runs the full hooks."""

    @staticmethod
    def forward(ctx: Any, state: _State, *tensors: Tensor) -> tuple:
        ctx.state = state
        ctx.set_materialize_grads(False)
        out = tuple(t.detach() for t in tensors)
        # an argument that needs no gradient stays one (its grad_input is zeros, as torch's)
        ctx.mark_non_differentiable(*[o for o, t in zip(out, tensors) if not t.requires_grad])
        return out

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        state = ctx.state
        grad_input: list = [None] * state.n_args
        for pos, g in zip(state.positions, grads):
            grad_input[pos] = g
        result = _full_hooks(state, tuple(grad_input))
        return (None,) + tuple(result[pos] for pos in state.positions)


class _Outputs(Function):
    """Identity over the module's tensor outputs; its backward runs the pre-hooks."""

    @staticmethod
    def forward(ctx: Any, state: _State, *tensors: Tensor) -> tuple:
        ctx.state = state
        ctx.set_materialize_grads(False)
        return tuple(t.detach() for t in tensors)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        state = ctx.state
        module = state.module
        for hook in list(module.__dict__.get("_backward_pre_hooks", {}).values()):
            result = hook(module, grads)
            if result is not None:
                grads = _check(result, len(grads), "grad_output entries")
        state.grad_output = grads
        if not state.inputs_hooked and module.__dict__.get("_backward_hooks"):
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients",
                          UserWarning, stacklevel=2)
            _full_hooks(state, (None,) * state.n_args)
        return (None,) + tuple(grads)


def wrap_inputs(module: Any, args: tuple) -> tuple[tuple, _State]:
    """The arguments, their tensors passed through the inputs' node (when one requires a
    gradient and full hooks exist)."""
    state = _State(module, args)
    if not state.inputs_hooked or not module.__dict__.get("_backward_hooks"):
        return args, state
    tensors = [args[i] for i in state.positions]
    passed = _Inputs.apply(state, *tensors)
    passed = passed if isinstance(passed, tuple) else (passed,)
    out = list(args)
    for pos, t in zip(state.positions, passed):
        out[pos] = t
    return tuple(out), state


def wrap_outputs(state: _State, output: Any) -> Any:
    """The output (a tensor, or a tuple or list of them), its tensors that require a gradient
    passed through the outputs' node."""
    single = isinstance(output, Tensor)
    items = [output] if single else list(output) if isinstance(output, (tuple, list)) else None
    if items is None:
        return output
    positions = [i for i, o in enumerate(items) if isinstance(o, Tensor) and o.requires_grad]
    if not positions:
        return output
    passed = _Outputs.apply(state, *[items[i] for i in positions])
    passed = passed if isinstance(passed, tuple) else (passed,)
    for pos, t in zip(positions, passed):
        items[pos] = t
    if single:
        return items[0]
    return type(output)(items) if isinstance(output, tuple) else items
