"""``Module`` (the base of every layer and model) and ``Parameter``.

Registration is explicit: assigning a ``Parameter`` or a ``Module`` to an attribute records it, in
assignment order, in ``_parameters`` / ``_modules`` (buffers go through ``register_buffer``). The
value also lives in the instance ``__dict__``, so reading ``self.fc`` in ``forward`` costs a plain
attribute lookup, and nothing ever walks ``__dict__`` to find parameters.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor

__all__ = ["Module", "Parameter", "IncompatibleKeys"]


class Parameter(Tensor):
    """A Tensor that a ``Module`` registers as trainable: ``requires_grad=True`` by default.

    Wrapping a Tensor shares its memory. Results of operations on a Parameter are plain Tensors.

    >>> import tinygrad_gd as tg
    >>> p = tg.nn.Parameter(tg.zeros(2, 3))
    >>> p.requires_grad, p.shape, type(p * 2).__name__
    (True, (2, 3), 'Tensor')
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros(0, dtype=np.float32)
        super().__init__(data, requires_grad=requires_grad)

    @classmethod
    def _make(cls, data: Any, device: str, requires_grad: bool = False) -> Tensor:
        # Operations build their outputs with ``inputs[0]._make``: they must be plain Tensors,
        # or every intermediate computed from a weight would look like a new parameter.
        return Tensor._make(data, device, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match (as torch's named tuple)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of layers and models: subclass it, assign layers in ``__init__``, write
    ``forward``; calling the module runs ``forward``.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd import nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Linear(4, 2)
    ...     def forward(self, x):
    ...         return self.fc(x).relu()
    >>> net = Net()
    >>> [name for name, _ in net.named_parameters()]
    ['fc.weight', 'fc.bias']
    >>> net(tg.ones(3, 4)).shape
    (3, 2)
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ registration
    def _registries(self) -> tuple[dict, dict, dict]:
        try:
            d = self.__dict__
            return d["_parameters"], d["_modules"], d["_buffers"]
        except KeyError:
            raise AttributeError(
                f"cannot assign parameters, modules or buffers before "
                f"{type(self).__name__}.__init__() called super().__init__()") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, (Parameter, Module)):
            params, modules, buffers = self._registries()
            target = params if isinstance(value, Parameter) else modules
            for reg in (params, modules, buffers):
                if reg is not target:  # a reassigned name keeps its place, as in torch
                    reg.pop(name, None)
            target[name] = value
        else:
            d = self.__dict__
            params, modules, buffers = (d.get("_parameters", {}), d.get("_modules", {}),
                                        d.get("_buffers", {}))
            if name in params:
                if value is not None:
                    raise TypeError(f"cannot assign a {type(value).__name__} to parameter "
                                    f"{name!r}: expected an nn.Parameter or None")
                params[name] = None
            elif name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign a {type(value).__name__} to sub-module "
                                    f"{name!r}: expected an nn.Module or None")
                modules[name] = None
            elif name in buffers:
                if value is not None and not isinstance(value, Tensor):
                    raise TypeError(f"cannot assign a {type(value).__name__} to buffer "
                                    f"{name!r}: expected a Tensor or None")
                buffers[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for reg in self._registries():
            reg.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or a ``None`` placeholder) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be an nn.Parameter or None, "
                            f"got {type(param).__name__}")
        self._registries()[0][name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a Tensor that is state but not a parameter (running statistics); persistent
        buffers are part of ``state_dict``."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, "
                            f"got {type(tensor).__name__}")
        params, modules, buffers = self._registries()
        params.pop(name, None)
        modules.pop(name, None)
        buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a sub-module under ``name`` (names may be any string, as in Sequential)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be an nn.Module or None, "
                            f"got {type(module).__name__}")
        params, modules, buffers = self._registries()
        params.pop(name, None)
        buffers.pop(name, None)
        modules[name] = module
        object.__setattr__(self, name, module)

    # --------------------------------------------------------------------- traversal
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True
                      ) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for this module and every descendant, depth first; a module
        reachable by several paths comes once, unless ``remove_duplicate=False``."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if remove_duplicate and id(mod) in seen:
                continue
            seen.add(id(mod))
            yield name, mod
            kids = [(f"{name}.{k}" if name else k, m) for k, m in mod._modules.items()
                    if m is not None]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        """This module and every descendant."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for the direct sub-modules."""
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry: str, prefix: str, recurse: bool
                       ) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        mods = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for mod_name, mod in mods:
            for name, t in getattr(mod, registry).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{mod_name}.{name}" if mod_name else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)``, each shared parameter once."""
        yield from self._named_members("_parameters", prefix, recurse)  # type: ignore[misc]

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, each shared parameter once (what an optimizer takes)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True
                      ) -> Iterator[tuple[str, Tensor]]:
        """``(dotted name, buffer)``."""
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ----------------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout drops, BatchNorm uses batch statistics) for every sub-module."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradients of every parameter on or off (freezing layers)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients (``None``, as torch's default; or zeros in place)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                with no_grad():
                    p.grad = p.grad.detach()
                    p.grad.zero_()

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module (children first) and then on this module."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ---------------------------------------------------------------- device, dtype
    def _convert(self, fn: Callable[[Tensor], Tensor]) -> Module:
        """Replace the array of every parameter, gradient and buffer in place, so references
        held elsewhere (an optimizer's parameter list) stay valid."""
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None:
                    _swap(p, fn(p.detach()))
                    if p.grad is not None:
                        p.grad = fn(p.grad.detach())
            for b in m._buffers.values():
                if b is not None:
                    _swap(b, fn(b.detach()))
        return self

    def to(self, *args: Any, device: Any = None, dtype: Any = None) -> Module:
        """Move (``"cuda"``, ``"cpu"``) and/or cast (floating parameters and buffers only) in
        place; returns ``self``, as torch."""

        device, dtype = backend.split_to_args(args, device, dtype)
        dev = backend.parse_device(device) if device is not None else None
        dt = backend.parse_dtype(dtype) if dtype is not None else None
        if dt is not None and not backend.is_floating(dt):
            raise TypeError(f"Module.to: only floating dtypes are allowed, got {dt}")

        def convert(t: Tensor) -> Tensor:
            if dt is not None and backend.is_floating(t.dtype):
                t = t.to(dt)
            return t.to(dev) if dev is not None else t

        return self._convert(convert)

    def cpu(self) -> Module:
        """Move every parameter and buffer to the CPU."""
        return self.to("cpu")

    def cuda(self, index: int = 0) -> Module:
        """Move every parameter and buffer to GPU ``index``."""
        return self.to(f"cuda:{index}")

    def double(self) -> Module:
        """Cast floating parameters and buffers to float64 (gradient checks)."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Cast floating parameters and buffers to float32."""
        return self.to(np.float32)

    # ------------------------------------------------------------------ state dict
    def state_dict(self, prefix: str = "") -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, detached (sharing memory), module by
        module in torch's order. A parameter or module shared by two owners appears under both
        names."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for mod_name, mod in self.named_modules(prefix, remove_duplicate=False):
            dot = f"{mod_name}." if mod_name else ""
            for name, p in mod._parameters.items():
                if p is not None:
                    out[dot + name] = p.detach()
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent:
                    out[dot + name] = b.detach()
        return out

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters and buffers (in place, keeping their dtype/device).

        Values may be Tensors or arrays. A shape mismatch is always an error; with ``strict``,
        missing and unexpected keys are too. Errors list every offending key.
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        bad_shapes = []
        for k, target in own.items():
            if k in state_dict:
                shape = tuple(np.shape(state_dict[k]) if not isinstance(state_dict[k], Tensor)
                              else state_dict[k].shape)
                if shape != target.shape:
                    bad_shapes.append(f"{k}: checkpoint shape {shape}, model shape "
                                      f"{tuple(target.shape)}")
        problems = []
        if bad_shapes:
            problems.append("size mismatch for " + "; ".join(bad_shapes))
        if strict and missing:
            problems.append("missing keys: " + ", ".join(repr(k) for k in missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(repr(k) for k in unexpected))
        if problems:
            raise RuntimeError(f"error(s) loading state_dict into {type(self).__name__}: "
                               + ". ".join(problems))
        with no_grad():
            for k, target in own.items():
                if k in state_dict:
                    value = state_dict[k]
                    if not isinstance(value, Tensor):  # NumPy/CuPy arrays, nested lists
                        value = Tensor(value if backend.is_array(value) else np.asarray(value),
                                       device=target.device)
                    target.copy_(value)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (its hyper-parameters)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, m in self._modules.items():
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n" + "\n".join(lines) + "\n)"


def _swap(t: Tensor, new: Tensor) -> None:
    """Give ``t`` the array and device of ``new`` (identity and requires_grad are kept)."""
    t.data = new.data
    t._device = new._device
    t._version[0] += 1
