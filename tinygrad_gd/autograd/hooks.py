"""Gradient hooks on tensors (``Tensor.register_hook``, ``retain_grad``) and the removable handle
that every hook registration returns (torch's ``torch.utils.hooks.RemovableHandle``).

Where hooks live: a non-leaf tensor's hooks are kept on the node that made it (``fn.hooks``, a dict,
and ``fn.retain_ref``, a weak reference to the tensor whose ``.grad`` is filled), because the engine
visits nodes, not tensors; a leaf's hooks are kept on the tensor (``tensor._hooks``). Nothing is
stored, and nothing is read on the forward pass, until a hook is registered.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..tensor import Tensor

_ids = itertools.count()


class RemovableHandle:
    """Returned by every ``register_*hook``: ``handle.remove()`` unregisters the hook (also usable
    as a context manager, which removes it on exit)."""

    def __init__(self, hooks: dict[int, Any]) -> None:
        self.id = next(_ids)
        self._hooks_ref = weakref.ref(hooks) if _weakrefable(hooks) else (lambda: hooks)

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        hooks = self._hooks_ref()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _weakrefable(obj: Any) -> bool:
    try:
        weakref.ref(obj)
    except TypeError:
        return False
    return True


class _HookDict(dict):
    """A dict that can be weakly referenced (plain dicts cannot), so a handle does not keep a
    graph node alive."""


def add_hook(hooks: dict[int, Any], fn: Any) -> RemovableHandle:
    """Register ``fn`` in ``hooks`` (insertion order is call order) and return its handle."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


def register_tensor_hook(t: Tensor, fn: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
    """``Tensor.register_hook``: ``fn(grad)`` runs when the gradient of ``t`` is computed and may
    return a replacement."""
    if not callable(fn):
        raise TypeError(f"register_hook: expected a callable, got {type(fn).__name__}")
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t._ctx is None:
        hooks = getattr(t, "_hooks", None)
        if hooks is None:
            hooks = t._hooks = _HookDict()
    else:
        hooks = node_hooks(t._ctx)
    return add_hook(hooks, fn)


#: Leaf tensor -> its post-accumulate-grad hooks (``Tensor.register_post_accumulate_grad_hook``).
#: Keyed by ``id`` (a Tensor's ``==`` is elementwise, so no WeakKeyDictionary), the entry removed
#: when the tensor dies. Kept off the tensor (no new slot), so the engine tests one truthiness
#: per pass and does no extra work while no live tensor has such a hook.
POST_ACCUMULATE: dict[int, dict[int, Any]] = {}


def register_post_accumulate_hook(t: Tensor, fn: Callable[[Tensor], None]) -> RemovableHandle:
    """``Tensor.register_post_accumulate_grad_hook``: ``fn(t)`` runs once the backward pass has
    accumulated the whole gradient of the leaf ``t`` into ``t.grad`` (as soon as it is complete,
    not at the end of the pass), and returns nothing."""
    if not callable(fn):
        raise TypeError(f"register_post_accumulate_grad_hook: expected a callable, got "
                        f"{type(fn).__name__}")
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t._ctx is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    hooks = POST_ACCUMULATE.get(id(t))
    if hooks is None:
        hooks = POST_ACCUMULATE[id(t)] = _HookDict()
        weakref.finalize(t, POST_ACCUMULATE.pop, id(t), None)
    return add_hook(hooks, fn)


def node_hooks(fn: Any) -> dict[int, Any]:
    """The hook dict of a graph node, created on first use."""
    if fn.hooks is None:
        fn.hooks = _HookDict()
    return fn.hooks


def retain_grad(t: Tensor) -> None:
    """``Tensor.retain_grad``: backward fills a non-leaf's ``.grad`` (a no-op on leaves)."""
    if not t.requires_grad:
        raise RuntimeError("can't retain_grad on a Tensor that has requires_grad=False")
    if t._ctx is None:
        return
    node_hooks(t._ctx)  # the engine looks at ``fn.hooks`` only: make it non-None
    t._ctx.retain_ref = weakref.ref(t)


def retains_grad(t: Tensor) -> bool:
    """Whether backward fills this non-leaf's ``.grad`` (False for leaves, as torch)."""
    fn = t._ctx
    return fn is not None and fn.retain_ref is not None and fn.retain_ref() is t


def run_hooks(hooks: dict[int, Any], grad: Tensor) -> Tensor:
    """Call each hook on the gradient in registration order; a non-None return replaces it."""
    from ..tensor import Tensor

    for fn in list(hooks.values()):
        new = fn(grad)
        if new is not None:
            if not isinstance(new, Tensor):
                raise TypeError(f"a gradient hook returned a {type(new).__name__}; it must "
                                "return a Tensor or None")
            if new.shape != grad.shape:
                raise RuntimeError(f"a gradient hook returned a gradient of shape "
                                   f"{tuple(new.shape)} for a gradient of shape "
                                   f"{tuple(grad.shape)}")
            grad = new
    return grad
