"""``Function``: torch's extension API for user-defined differentiable operations.

A subclass writes ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as static methods
and is called through ``apply``. ``forward`` runs with grad mode off on the arguments as given
(Tensors and plain Python values); ``backward`` receives one gradient per output and returns one
per ``forward`` argument (``None`` for non-Tensors and for inputs that need none). ``backward``
written with Tensor ops stays differentiable: with ``create_graph=True`` the engine runs it with
grad mode on, so double backward and ``gradgradcheck`` work through it.

How it sits in the engine. The engine's graph has one output per node, and the node that made a
tensor is ``tensor._ctx``. ``apply`` builds one node per call, an instance of a class made once
per Function (``MyFnBackward``, what ``grad_fn`` shows), which is also the ``ctx`` the user's
methods receive (as in torch, where ``y.grad_fn`` is the ctx). Its edges are the Tensor
arguments' nodes.

- One output: the output's ``_ctx`` is that node, and its ``backward(g)`` calls the user's.
- Several outputs: each output gets a light router node (same class name) whose only edge is the
  owner; a router's backward deposits its gradient in the owner's slot for that output. The
  owner sets ``gathers``, so the engine, when the owner's turn comes (after every router that the
  pass reached, by the usual dependency counts), takes ``gathered()`` -- the tuple of slots --
  instead of a single gradient. Missing gradients become zeros (``set_materialize_grads``).

Saved tensors are checked on unpacking (``ctx.saved_tensors``): a tensor changed in place after
it was saved raises there, as the engine does for its own primitives. Outputs saved for backward
are held weakly (an output holding its node holding it would be a reference cycle).
"""

from __future__ import annotations

import functools
import traceback
import weakref
from collections.abc import Callable
from typing import Any

from .. import backend
from . import forward_ad as _fwad
from .engine import _FREED_MESSAGE, Primitive, _modified_error
from .grad_mode import _AnomalyMode, _GradMode, no_grad

__all__ = ["Function", "FunctionCtx", "once_differentiable", "BackwardCFunction"]


class FunctionCtx:
    """The ``ctx`` handed to ``forward`` and ``backward``: save tensors, mark outputs, and keep
    any attribute (``ctx.scale = 2``) for backward."""

    materialize_grads = True
    needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep Tensors (or ``None``) for backward; read them back with ``saved_tensors``."""
        from ..tensor import Tensor

        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save Tensors or None, but argument "
                                f"{i} is a {type(t).__name__}; keep other values as attributes "
                                "of ctx")
        self._to_save = tensors

    def save_for_forward(self, *tensors: Any) -> None:
        """Accepted for compatibility (forward-mode AD is not built on ``Function``)."""
        self._to_save_forward = tensors

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """Declare outputs (integer indices, masks) that get no gradient."""
        self._non_differentiable = tuple(outputs)

    def mark_dirty(self, *tensors: Any) -> None:
        """In-place changes of inputs in ``forward`` are not supported: raise a clear error."""
        raise NotImplementedError("mark_dirty: a Function whose forward modifies its inputs in "
                                  "place is not supported; return a new tensor instead")

    def set_materialize_grads(self, value: bool) -> None:
        """With ``False``, ``backward`` receives ``None`` (not zeros) for outputs that got no
        gradient."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The tensors given to ``save_for_backward``; raises if one was changed in place since."""
        saved = self.__dict__.get("_saved")
        if saved is None:
            if getattr(self, "freed", False):
                raise RuntimeError(_FREED_MESSAGE)
            return tuple(self.__dict__.get("_to_save", ()))
        out = []
        for i, entry in enumerate(saved):
            if entry is None:
                out.append(None)
                continue
            t, version = entry
            if isinstance(t, weakref.ref):
                t = t()
                if t is None:  # pragma: no cover - the engine keeps outputs alive in backward
                    raise RuntimeError(f"{type(self).__name__}: a saved output was freed")
            if t._version[0] != version:
                raise _modified_error(self, f"saved tensor {i} {tuple(t.shape)}",  # type: ignore
                                      t._version[0], version)
            out.append(t)
        return tuple(out)


class BackwardCFunction(FunctionCtx, Primitive):
    """The node of one ``Function.apply`` call; also its ``ctx``. Subclassed once per Function
    (as ``<Name>Backward``)."""

    _forward_cls: type[Function]
    saves_inputs = False  # saved tensors are checked in ``saved_tensors``, not by the engine
    foreign_grads = True  # backward may return a tensor the user keeps

    def name(self) -> str:
        """The node's name, as torch's ``grad_fn.name()``."""
        return type(self).__name__

    def gathered(self) -> tuple[Any, ...] | None:
        """The gradients the routers deposited (None when none arrived)."""
        slots, self._slots = self._slots, [None] * len(self._slots)
        return None if all(g is None for g in slots) else tuple(slots)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        from ..tensor import Tensor

        grads = list(grad) if self.gathers else [grad]
        for k, (shape, dtype, device, diff) in enumerate(self._out_meta):
            if grads[k] is None and dtype is not None and (self.materialize_grads or not diff):
                grads[k] = Tensor._make(backend.get_xp(device).zeros(shape, dtype), device)
        result = self._forward_cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        return self._match_inputs(result, Tensor)

    def _match_inputs(self, result: tuple[Any, ...], tensor_cls: type) -> tuple[Any, ...]:
        """One gradient per Tensor argument, checked: count, kind and shape."""
        name = type(self).__name__
        n = self._n_args
        if len(result) < n or any(g is not None for g in result[n:]):
            raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(result)})")
        out = []
        for pos, t in zip(self._positions, self.inputs):
            g = result[pos]
            if g is not None:
                if not isinstance(g, tensor_cls):
                    raise TypeError(f"function {name} returned a {type(g).__name__} as the "
                                    f"gradient at position {pos}; expected a Tensor or None")
                if g.shape != t.shape and not _expandable(t.shape, g.shape):
                    raise RuntimeError(f"function {name} returned an invalid gradient at index "
                                       f"{pos} - got {list(g.shape)} but expected shape "
                                       f"compatible with {list(t.shape)}")
            out.append(g)
        tensor_positions = set(self._positions)
        for pos in range(n):
            if pos not in tensor_positions and result[pos] is not None:
                raise RuntimeError(f"function {name} returned a gradient different than None at "
                                   f"position {pos}, but the corresponding forward input was "
                                   "not a Tensor")
        return tuple(out)

    def release(self) -> None:
        super().release()
        self._saved = None


class _OutputRouter(Primitive):
    """One output of a several-output Function: passes its gradient to the owner's slot."""

    saves_inputs = False

    def backward(self, grad: Any) -> tuple[None]:
        owner = self.edges[0]
        slots = owner._slots
        k = self.index
        slots[k] = grad if slots[k] is None else slots[k] + grad
        return (None,)

    def __getattr__(self, name: str) -> Any:
        # ``y.grad_fn.saved_tensors`` and the user's ctx attributes, as on torch's shared node
        owner = self.__dict__.get("_owner_ref")
        if owner is None or owner() is None:
            raise AttributeError(name)
        return getattr(owner(), name)


def _expandable(shape: tuple[int, ...], to: tuple[int, ...]) -> bool:
    """Whether ``shape`` broadcasts to ``to`` (then the gradient is summed down to it)."""
    if len(shape) > len(to):
        return False
    return all(s == 1 or s == t for s, t in zip(reversed(shape), reversed(to)))


class Function:
    """Base class of user-defined differentiable operations (torch's ``autograd.Function``).

    >>> import tinygrad_gd as tg
    >>> class Square(tg.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * g
    >>> x = tg.tensor([1.0, 3.0], requires_grad=True)
    >>> y = Square.apply(x)
    >>> y.grad_fn.name()
    'SquareBackward'
    >>> y.sum().backward()
    >>> x.grad.tolist()
    [2.0, 6.0]
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses override it (a static method taking ``ctx`` first)."""
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        """One gradient per ``forward`` argument; subclasses override it."""
        raise NotImplementedError("a Function subclass must define backward(ctx, *grads) to be "
                                  "differentiated")

    vjp = backward

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        """torch's alternative to a ``forward`` taking ``ctx``: not supported here."""
        raise NotImplementedError

    @classmethod
    def _node_class(cls) -> type[BackwardCFunction]:
        node = cls.__dict__.get("_node_cls")
        if node is None:
            name = f"{cls.__name__}Backward"
            node = type(name, (BackwardCFunction,), {"_forward_cls": cls})
            node._router = type(name, (_OutputRouter,), {})
            cls._node_cls = node
        return node

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` and, when an argument Tensor requires grad, record the node."""
        from ..tensor import Tensor

        if "setup_context" in cls.__dict__:
            raise NotImplementedError(f"{cls.__name__}: Functions with setup_context are not "
                                      "supported; take ctx as forward's first argument")
        node_cls = cls._node_class()
        ctx = object.__new__(node_cls)
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = tuple(args[i] for i in positions)
        grad_on = _GradMode.enabled
        ctx.needs_input_grad = tuple(grad_on and isinstance(a, Tensor) and a.requires_grad
                                     for a in args)
        with no_grad(), _fwad._paused():  # forward mode: the tangents come from cls.jvp
            result = cls.forward(ctx, *args, **kwargs)
        requires = grad_on and any(t.requires_grad for t in tensors)
        if not requires:
            return _fwad.function_tangents(cls, ctx, args, result)
        if tensors:
            device = tensors[0]._device
            for t in tensors:
                if t._device != device:
                    raise RuntimeError(f"{cls.__name__}: expected all tensors on one device, "
                                       f"found {device} and {t._device}")
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        non_diff = {id(t) for t in ctx.__dict__.get("_non_differentiable", ())}
        ctx.inputs, ctx.edges = tensors, tuple(t._ctx for t in tensors)
        ctx.versions, ctx.freed = None, False
        ctx._positions, ctx._n_args = positions, len(args)
        ctx.gathers = not single
        if _AnomalyMode.enabled:
            ctx.trace = traceback.extract_stack()[:-1]
        input_ids = {id(t) for t in tensors}
        new_outs: list[Any] = []
        meta = []
        made: dict[int, Tensor] = {}  # id of what forward returned -> the output tensor
        for k, o in enumerate(outs):
            if not isinstance(o, Tensor):
                new_outs.append(o)
                meta.append(((), None, "cpu", False))
                continue
            diff = id(o) not in non_diff and backend.is_floating(o.dtype)
            meta.append((o.shape, o.dtype, o._device, diff))
            if not diff:
                new_outs.append(o)
                continue
            if id(o) in input_ids or o._ctx is not None or o.requires_grad or id(o) in made:
                alias = Tensor._make(o.data, o._device)  # never re-parent a tensor from outside
                alias._version = o._version
            else:
                alias = o
            alias.requires_grad = True
            if single:
                alias._ctx = ctx
            else:
                router = object.__new__(node_cls._router)
                router.inputs = (Tensor._make(backend.get_xp(o._device).zeros(0, o.dtype),
                                              o._device),)
                router.edges, router.versions, router.freed = (ctx,), None, False
                router.index, router._owner_ref = k, weakref.ref(ctx)
                alias._ctx = router
            made.setdefault(id(o), alias)
            new_outs.append(alias)
        ctx._out_meta = meta
        ctx._slots = [None] * len(outs)
        ctx._saved = _pack_saved(ctx.__dict__.pop("_to_save", ()), made)
        return _fwad.function_tangents(cls, ctx, args, new_outs[0] if single else tuple(new_outs))


def _pack_saved(tensors: tuple[Any, ...], made: dict[int, Any]) -> list[Any]:
    """Saved tensors with their versions now; outputs (by what forward returned) weakly."""
    packed: list[Any] = []
    for t in tensors:
        if t is None:
            packed.append(None)
        elif id(t) in made:
            out = made[id(t)]
            packed.append((weakref.ref(out), out._version[0]))
        else:
            packed.append((t, t._version[0]))
    return packed


class _DelayedError(Primitive):
    """Identity whose backward raises: marks the result of a ``once_differentiable`` backward."""

    saves_inputs = False

    def forward(self, a: Any, *rest: Any) -> Any:
        return a

    def jvp(self, ta, *rest):
        return ta

    def backward(self, grad: Any) -> Any:
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def once_differentiable(fn: Callable) -> Callable:
    """Decorate a ``backward`` that is not itself differentiable (it runs with grad mode off);
    differentiating its result again raises a clear error instead of giving a wrong answer."""
    from ..tensor import Tensor

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with no_grad():
            outputs = fn(ctx, *args)
        if not _GradMode.enabled:  # not create_graph: nothing will differentiate this
            return outputs
        needing = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        if not needing:
            return outputs
        single = not isinstance(outputs, tuple)
        wrapped = tuple(_DelayedError.apply(o, *needing) if isinstance(o, Tensor) else o
                        for o in ((outputs,) if single else outputs))
        return wrapped[0] if single else wrapped

    return wrapper
