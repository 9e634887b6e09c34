"""``nn.utils.parametrize``: a module's tensor computed from others on every access, torch's
``register_parametrization``.

Registering a parametrization of ``module.weight`` does four things:
- it moves the parameter to ``module.parametrizations.weight.original`` (or ``original0``,
  ``original1``, ... when the parametrization's ``right_inverse`` returns several tensors, as
  weight normalisation's does);
- it gives the module a subclass whose ``weight`` property returns
  ``parametrization(original)``;
- assigning ``module.weight = value`` stores ``right_inverse(value)`` in the originals;
- the state dict's keys are torch's.

>>> import tinygrad_gd as tg
>>> from tinygrad_gd.nn.utils import parametrize
>>> class Symmetric(tg.nn.Module):
...     def forward(self, x):
...         return x.triu() + x.triu(1).T
>>> lin = tg.nn.Linear(3, 3)
>>> _ = parametrize.register_parametrization(lin, "weight", Symmetric())
>>> bool((lin.weight == lin.weight.T).all().item())
True
>>> sorted(lin.state_dict())
['bias', 'parametrizations.weight.original']
"""

from __future__ import annotations

from ...autograd import no_grad
from ...tensor import Tensor
from ..container import ModuleDict, ModuleList
from ..module import Module, Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized",
           "ParametrizationList"]


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor (applied in order) and its original(s)."""

    def __init__(self, modules: list[Module], original: Tensor,
                 unsafe: bool = False) -> None:
        super().__init__(modules)
        self.unsafe = unsafe
        first = modules[0]
        with no_grad():
            new = first.right_inverse(original) if hasattr(first, "right_inverse") else original
        self.is_tensor = isinstance(new, Tensor)
        if self.is_tensor:
            self.ntensors = 1
            if new is original:
                self.original = original if isinstance(original, Parameter) else Parameter(
                    original.detach(), requires_grad=original.requires_grad)
            else:
                self.original = Parameter(new.detach(), requires_grad=original.requires_grad)
        else:
            self.ntensors = len(new)
            for i, t in enumerate(new):
                setattr(self, f"original{i}",
                        Parameter(t.detach(), requires_grad=original.requires_grad))

    def right_inverse(self, value: Tensor) -> None:
        """Store ``value`` in the originals, through the parametrizations' ``right_inverse``
        (last first), in place."""
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    value = module.right_inverse(value)
                elif not self.unsafe and module is not self[0]:
                    raise RuntimeError(f"parametrization {type(module).__name__} has no "
                                       "right_inverse: the tensor cannot be assigned")
            values = (value,) if self.is_tensor else tuple(value)
            names = ["original"] if self.is_tensor else [f"original{i}"
                                                          for i in range(self.ntensors)]
            for name, v in zip(names, values):
                getattr(self, name).copy_(v)

    def forward(self) -> Tensor:
        """The parametrized tensor."""
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in list(self)[1:]:
            x = module(x)
        return x


def _property(name: str) -> property:
    def get(self: Module) -> Tensor:
        return self.parametrizations[name]()

    def set_(self: Module, value: Tensor) -> None:
        self.parametrizations[name].right_inverse(value)

    return property(get, set_, doc=f"``{name}``, computed by its parametrizations.")


def _parametrized_class(module: Module) -> type:
    cls = type(module)
    if getattr(cls, "_is_parametrized_class", False):
        return cls
    return type(f"Parametrized{cls.__name__}", (cls,), {"_is_parametrized_class": True})


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Make ``module.<tensor_name>`` ``parametrization(original)``; a second registration on
    the same name applies after the first. Returns ``module``."""
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        return module
    original = getattr(module, tensor_name, None)
    if not isinstance(original, Tensor):
        raise ValueError(f"register_parametrization: module {type(module).__name__} has no "
                         f"parameter or buffer named {tensor_name!r}")
    if not unsafe:
        with no_grad():
            out = parametrization(original) if not hasattr(parametrization, "right_inverse") \
                else None
        if out is not None and (out.shape != original.shape or out.dtype != original.dtype):
            raise ValueError(f"register_parametrization: the parametrization changes "
                             f"{tensor_name!r} from {tuple(original.shape)} {original.dtype} to "
                             f"{tuple(out.shape)} {out.dtype}; pass unsafe=True to allow it")
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    for reg in module._registries():
        reg.pop(tensor_name, None)
    module.__dict__.pop(tensor_name, None)
    if "parametrizations" not in module._modules:
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    cls = _parametrized_class(module)
    setattr(cls, tensor_name, _property(tensor_name))
    module.__class__ = cls
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has parametrizations (on ``tensor_name``, when given)."""
    plists = module._modules.get("parametrizations")
    if plists is None:
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Undo ``register_parametrization``: ``module.<tensor_name>`` becomes a plain parameter
    again, holding the parametrized value (or the original, with
    ``leave_parametrized=False``)."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"remove_parametrizations: module {type(module).__name__} has no "
                         f"parametrization on {tensor_name!r}")
    plist = module.parametrizations[tensor_name]
    with no_grad():
        if leave_parametrized:
            value = plist()
        elif plist.is_tensor:
            value = plist.original
        else:
            raise ValueError("remove_parametrizations: leave_parametrized=False needs a single "
                             "original tensor")
    requires = (plist.original if plist.is_tensor else plist.original0).requires_grad
    del module.parametrizations[tensor_name]
    cls = type(module)
    if tensor_name in cls.__dict__:
        delattr(cls, tensor_name)
    if len(module.parametrizations) == 0:
        del module._modules["parametrizations"]
        module.__dict__.pop("parametrizations", None)
        module.__class__ = cls.__bases__[0]
    module.register_parameter(tensor_name, Parameter(value.detach(), requires_grad=requires))
    return module
