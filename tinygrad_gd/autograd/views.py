"""Views, as torch's (``torch/csrc/autograd/variable.h``): a tensor made by a view op shares its
base's memory and version counter, and in-place writes go through both ways.

- A view records its **root base** and the **steps** (view primitive, keyword arguments) that
  make it from the base (``ViewMeta``), set by ``Primitive.apply`` for ``is_view`` primitives
  and by basic indexing. NumPy already shares the memory, so values are always current.
- An in-place op on a view, while recording, writes the memory and **rewrites the base's
  history** (torch's ``CopySlices``): the base's new node is a ``ViewScatter`` that puts the
  view's new graph into the old base, so gradients reach both.
- A view whose base changed in place (its shared version moved since its node was built) gets
  its node **regenerated** from the base's current node when next used (``refresh``), so it is
  never stale: ``v = y.reshape(4); y.mul_(3)`` then ``v`` is ``3 y`` in values and gradient.
- In-place writes into a tensor where several elements share one memory location (``expand``)
  are refused, as torch refuses them.

A tensor that is not a view pays one slot read (``t._view is None``) per operation input.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .grad_mode import _GradMode

if TYPE_CHECKING:
    from ..tensor import Tensor


class ViewMeta:
    """What makes a tensor a view: its root ``base``, the ``steps`` from it, the shared version at
    which its node was last built, and whether it was made while recording."""

    __slots__ = ("base", "steps", "version", "grad")

    def __init__(self, base: Tensor, steps: tuple, version: int, grad: bool) -> None:
        self.base, self.steps, self.version, self.grad = base, steps, version, grad


def track(src: Tensor, out: Tensor, cls: type, kwargs: dict) -> None:
    """Make ``out`` (just made from ``src`` by view primitive ``cls``) a view of ``src``'s base."""
    meta = src._view
    step = ((cls, kwargs),)
    out._version = src._version
    if meta is None:
        out._view = ViewMeta(src, step, out._version[0], _GradMode.enabled)
    else:
        out._view = ViewMeta(meta.base, meta.steps + step, out._version[0], _GradMode.enabled)


def refresh(t: Tensor) -> None:
    """Rebuild a view's node from its base's current node (after the base changed in place)."""
    from .grad_mode import set_grad_enabled

    meta = t._view
    meta.version = t._version[0]
    with set_grad_enabled(meta.grad):  # a view made under no_grad stays without history
        r = meta.base
        for cls, kw in meta.steps:
            r = cls.apply(r, **kw)
    t._ctx, t._requires_grad = r._ctx, r._requires_grad
    meta.version = t._version[0]


def region(array: Any, steps: tuple) -> Any:
    """The steps run on a raw array (the view's elements of ``array``)."""
    for cls, kw in steps:
        array = cls.forward(object.__new__(cls), array, **kw)
    return array


def region_of(t: Tensor, steps: tuple) -> Tensor:
    """The steps run on a Tensor, recorded (the view of ``t``, differentiable)."""
    for cls, kw in steps:
        t = cls.apply(t, **kw)
    return t


def check_inplace(t: Tensor, name: str = "an in-place operation") -> None:
    """Refuse in-place writes autograd cannot follow, and bring a stale view's node up to date."""
    strides, shape = t.data.strides, t.data.shape
    if 0 in strides and t.data.size and any(s == 0 and n > 1 for s, n in zip(strides, shape)):
        raise RuntimeError(
            f"{name}: unsupported operation: more than one element of the written-to tensor "
            f"{tuple(shape)} refers to a single memory location (an expand/broadcast view). "
            "Please clone() the tensor before performing the operation.")
    meta = t._view
    if meta is None:
        return
    if meta.version != t._version[0]:
        refresh(t)
    base = meta.base
    if not _GradMode.enabled or not (base._requires_grad or t._requires_grad):
        return
    if base._ctx is None and base._requires_grad:
        raise RuntimeError(
            f"{name}: a view of a leaf tensor {tuple(base.shape)} that requires grad is being "
            "used in an in-place operation; do it under `with tg.no_grad():` or on a clone()")
    if not meta.grad and base._requires_grad:
        raise RuntimeError(
            f"{name}: this view of a tensor that requires grad was made under no_grad and is "
            "being modified in place with grad mode on; autograd cannot follow it. Make the view "
            "with grad mode on, or write under no_grad, or clone() it")


def write(t: Tensor, new: Tensor) -> None:
    """``t`` takes the value and graph of ``new`` (an out-of-place result of ``t``'s shape): the
    memory is written, so every view sees it; a view's base gets a ``ViewScatter`` node."""
    from ..ops.movement import ViewScatter
    from ..tensor import Tensor

    if new.dtype != t.dtype:
        new = new.to(t.dtype)
    t.data[...] = new.data
    meta = t._view
    if meta is None:
        t._ctx, t._requires_grad = new._ctx, new._requires_grad
    else:
        base = meta.base
        if new._requires_grad or base._requires_grad:
            old = Tensor._make(base.data, base._device, base._requires_grad)
            old._ctx = base._ctx
            fn = object.__new__(ViewScatter)
            fn.steps = meta.steps
            fn.inputs, fn.edges = (old, new), (old._ctx, new._ctx)
            fn.versions, fn.freed = None, False
            base._ctx, base._requires_grad = fn, True
        # ``t`` itself is rebuilt from the base at its next use (its version is now stale)
    t._version[0] += 1


def deepcopy(t: Tensor, memo: dict) -> Tensor:
    """``copy.deepcopy`` of a tensor: a view is copied as a view of its base's copy (both
    through ``memo``), so a base/view pair stays a pair sharing memory and version."""
    cls = type(t)
    out = object.__new__(cls)
    memo[id(t)] = out
    meta = t._view
    for klass in cls.__mro__:
        for name in getattr(klass, "__slots__", ()):
            if name in ("__weakref__", "__dict__", "data", "_version", "_view") or \
                    not hasattr(t, name):
                continue
            object.__setattr__(out, name, copy.deepcopy(getattr(t, name), memo))
    if meta is None:
        out.data = copy.deepcopy(t.data, memo)
        out._version = copy.deepcopy(t._version, memo)
        out._view = None
    else:
        base = copy.deepcopy(meta.base, memo)
        out.data = region(base.data, meta.steps)
        out._version = base._version
        out._view = ViewMeta(base, meta.steps, meta.version, meta.grad)
    return out
