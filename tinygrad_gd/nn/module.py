"""``Module`` (the base of every layer and model) and ``Parameter``.

Registration is explicit: assigning a ``Parameter`` or a ``Module`` to an attribute records it, in
assignment order, in ``_parameters`` / ``_modules`` (buffers go through ``register_buffer``). The
value also lives in the instance ``__dict__``, so reading ``self.fc`` in ``forward`` costs a plain
attribute lookup, and nothing ever walks ``__dict__`` to find parameters.

Forward hooks and pre-hooks (``register_forward_hook``/``register_forward_pre_hook``) are kept in
two dicts per module; ``__call__`` looks at them only to see that they are empty.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..autograd.engine import clear_grad
from ..autograd.grad_mode import _GradMode
from ..autograd.hooks import RemovableHandle, _HookDict
from ..tensor import Tensor
from . import module_hooks as _bw
from .module_hooks import BackwardHookMethods
from .module_hooks import register as _register

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

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


def _check_name(name: Any, what: str, owner: Module, registry: str) -> None:
    """torch's rules for registered names: a non-empty string without dots, and not another
    attribute (a method, a plain value) of the module."""
    if not isinstance(name, str):
        raise TypeError(f"{what} name should be a string, got {type(name).__name__}")
    if name == "":
        raise KeyError(f'{what} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{what} name can\'t contain ".", got: {name}')
    if hasattr(owner, name) and name not in owner.__dict__.get(registry, {}):
        raise KeyError(f"attribute '{name}' already exists")


class Module(BackwardHookMethods):
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
        object.__setattr__(self, "_forward_hooks", _HookDict())
        object.__setattr__(self, "_forward_pre_hooks", _HookDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        d = self.__dict__
        try:
            if (d.get("_forward_pre_hooks") or d.get("_forward_hooks")
                    or d.get("_backward_hooks") or d.get("_backward_pre_hooks")):
                return self._call_with_hooks(args, kwargs)
            return self.forward(*args, **kwargs)
        except (AttributeError, TypeError, NotImplementedError) as exc:
            # a NumPy array given to a layer fails deep inside (".. has no attribute
            # '_device'"); say what was wrong. A try costs nothing when nothing is raised.
            for i, a in enumerate(args):
                if backend.is_array(a) and not isinstance(a, Tensor):
                    raise TypeError(f"{type(self).__name__}: argument {i} is a "
                                    f"{type(a).__module__}.{type(a).__name__}, a Tensor is "
                                    "expected; wrap it with tg.tensor(array) (or "
                                    "tg.from_numpy)") from exc
            raise

    def _call_with_hooks(self, args: tuple, kwargs: dict) -> Any:
        # each hook is stored as (fn, with_kwargs), in call order
        for fn, with_kwargs in list(self._forward_pre_hooks.values()):
            if with_kwargs:
                result = fn(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("a forward pre-hook registered with with_kwargs=True "
                                           "must return None or a tuple (args, kwargs), got "
                                           f"{type(result).__name__}")
                    args, kwargs = result
            else:
                result = fn(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        hooked = _GradMode.enabled and bool(self.__dict__.get("_backward_hooks")
                                            or self.__dict__.get("_backward_pre_hooks"))
        if hooked:
            args, state = _bw.wrap_inputs(self, args)
        output = self.forward(*args, **kwargs)
        for fn, with_kwargs in list(self._forward_hooks.values()):
            result = fn(self, args, kwargs, output) if with_kwargs else fn(self, args, output)
            if result is not None:
                output = result
        if hooked:
            output = _bw.wrap_outputs(state, output)
        return output

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before each ``forward``; a non-None result replaces the
        positional arguments (a non-tuple is wrapped in one). With ``with_kwargs=True`` it is
        ``hook(module, args, kwargs)`` returning None or ``(args, kwargs)``."""
        return _register(self._forward_pre_hooks, (hook, with_kwargs), prepend)

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False, always_call: bool = False
                              ) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each ``forward``; a non-None result replaces
        the output. With ``with_kwargs=True`` it is ``hook(module, args, kwargs, output)``.

        >>> import tinygrad_gd as tg
        >>> lin = tg.nn.Linear(3, 2)
        >>> seen = []
        >>> handle = lin.register_forward_hook(lambda m, args, out: seen.append(out.shape))
        >>> _ = lin(tg.ones(4, 3)); handle.remove(); _ = lin(tg.ones(1, 3))
        >>> seen
        [(4, 2)]
        """
        return _register(self._forward_hooks, (hook, with_kwargs), prepend)

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
        _check_name(name, "parameter", self, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be an nn.Parameter or None, "
                            f"got {type(param).__name__}")
        params, modules, buffers = self._registries()
        modules.pop(name, None)
        buffers.pop(name, None)
        params[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a Tensor that is state but not a parameter (running statistics); persistent
        buffers are part of ``state_dict``."""
        _check_name(name, "buffer", self, "_buffers")
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
        _check_name(name, "module", self, "_modules")
        params, modules, buffers = self._registries()
        params.pop(name, None)
        buffers.pop(name, None)
        modules[name] = module
        object.__setattr__(self, name, module)

    def register_module(self, name: str, module: Module | None) -> None:
        """Alias of ``add_module``, as torch."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The sub-module at the dotted path ``target`` (``""`` is this module).

        >>> import tinygrad_gd as tg
        >>> net = tg.nn.Sequential(tg.nn.Linear(2, 3), tg.nn.Sequential(tg.nn.ReLU()))
        >>> type(net.get_submodule("1.0")).__name__
        'ReLU'
        """
        mod: Module = self
        if target == "":
            return mod
        for item in target.split("."):
            child = mod._modules.get(item) if isinstance(mod, Module) else None
            if child is None:
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`")
            mod = child
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target`` (``"fc.weight"``)."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}`")
        param = mod._parameters[name]
        if param is None:
            raise AttributeError(f"`{name}` is a None placeholder, not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path ``target`` (``"bn.running_mean"``)."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if name not in mod._buffers or mod._buffers[name] is None:
            raise AttributeError(f"{type(mod).__name__} has no buffer `{name}`")
        return mod._buffers[name]

    # --------------------------------------------------------------------- traversal
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for this module and every descendant, depth first; a module
        reachable by several paths comes once, unless ``remove_duplicate=False``. ``memo``: a
        set of modules to skip (filled as they are visited), as torch's."""
        seen: set[int] = {id(m) for m in memo} if memo else set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if remove_duplicate and id(mod) in seen:
                continue
            seen.add(id(mod))
            if memo is not None and remove_duplicate:
                memo.add(mod)
            yield name, mod
            kids = [(f"{name}.{k}" if name else k, m) for k, m in mod._modules.items()
                    if m is not None]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        """This module and every descendant."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for the direct sub-modules (a module held twice comes once)."""
        seen: set[int] = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        mods = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse
                else iter([(prefix, self)]))
        for mod_name, mod in mods:
            for name, t in getattr(mod, registry).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield (f"{mod_name}.{name}" if mod_name else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)``, each shared parameter once."""
        yield from self._named_members("_parameters", prefix, recurse,  # type: ignore[misc]
                                       remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, each shared parameter once (what an optimizer takes)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """``(dotted name, buffer)``."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ----------------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout drops, BatchNorm uses batch statistics) for this module and,
        through their own ``train``, every sub-module; returns ``self``."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        object.__setattr__(self, "training", mode)
        for m in self.children():
            m.train(mode)
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
            clear_grad(p, set_to_none)

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

    def cuda(self, device: Any = None) -> Module:
        """Move every parameter and buffer to a GPU (``device``: an index or a device)."""
        if device is None:
            return self.to("cuda:0")
        return self.to(f"cuda:{device}" if isinstance(device, int) else device)

    def double(self) -> Module:
        """Cast floating parameters and buffers to float64 (gradient checks)."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Cast floating parameters and buffers to float32."""
        return self.to(np.float32)

    def half(self) -> Module:
        """Cast floating parameters and buffers to float16."""
        return self.to(np.float16)

    # ------------------------------------------------------------------ state dict
    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, module by module in torch's order;
        detached (sharing memory) unless ``keep_vars``. A parameter or module shared by two owners
        appears under both names. ``destination``: a dict to fill and return. (torch's deprecated
        positional form ``state_dict(destination, prefix, keep_vars)`` works too.)"""
        if args:
            names = ("destination", "prefix", "keep_vars")
            if len(args) > 3:
                raise TypeError(f"state_dict() takes at most 3 positional arguments, got "
                                f"{len(args)}")
            given = dict(zip(names, args))
            destination = given.get("destination", destination)
            prefix = given.get("prefix", prefix)
            keep_vars = given.get("keep_vars", keep_vars)
        out = OrderedDict() if destination is None else destination
        for mod_name, mod in self.named_modules(prefix=prefix.rstrip("."),
                                                remove_duplicate=False):
            dot = f"{mod_name}." if mod_name else ""
            for name, p in mod._parameters.items():
                if p is not None:
                    out[dot + name] = p if keep_vars else p.detach()
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent:
                    out[dot + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Copy values into the parameters and buffers (in place, keeping their dtype/device);
        with ``assign=True`` the loaded tensors replace them (as torch: parameters stay
        Parameters, with their ``requires_grad``).

        Values may be Tensors or arrays. A shape mismatch is always an error; with ``strict``,
        missing and unexpected keys are too. Errors list every offending key. Returns the named
        tuple ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{type(self).__name__}.load_state_dict expects a dict of tensors "
                            f"(from module.state_dict()), got {type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
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
                    if assign:
                        self._assign(k, target, value)
                    else:
                        target.copy_(value)
        return IncompatibleKeys(missing, unexpected)

    def _assign(self, key: str, old: Tensor, value: Tensor) -> None:
        """``load_state_dict(assign=True)``: put ``value`` itself in place of ``old``; every
        module that holds ``old`` gets it."""
        new = Parameter(value, requires_grad=old.requires_grad) if isinstance(
            old, Parameter) else value
        for m in self.modules():
            for reg in (m._parameters, m._buffers):
                for name, t in reg.items():
                    if t is old:
                        reg[name] = new
                        object.__setattr__(m, name, new)

    # ------------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (its hyper-parameters)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        # torch's layout: one extra_repr line inline, otherwise one line per item, indented
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + repr(m).replace("\n", "\n  ")
                       for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"


def _swap(t: Tensor, new: Tensor) -> None:
    """Give ``t`` the array and device of ``new`` (identity and requires_grad are kept)."""
    t.data = new.data
    t._device = new._device
    t._version[0] += 1
