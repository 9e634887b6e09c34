"""Containers, as torch's: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList`` and
``ParameterDict``.

Every element is registered on the container (modules under their index or key in ``_modules``,
parameters in ``_parameters``), so ``model.parameters()`` and ``state_dict()`` find them under
torch's names (``layers.0.weight``, ``params.3``, ``table.key``). The list-like containers keep
their names ``"0"``, ``"1"``, ... contiguous: deleting or inserting renumbers, as torch does.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..tensor import Tensor
from .module import Module, Parameter

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _index(i: int, n: int, what: str) -> int:
    """A Python index into ``n`` items, negative ones counted from the end."""
    if not isinstance(i, int):
        raise TypeError(f"{what} indices must be integers or slices, not {type(i).__name__}")
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of range for a {what} of length {n}")
    return i % n


def _check_module(m: Any, what: str) -> Module:
    if not isinstance(m, Module):
        raise TypeError(f"{what}: expected an nn.Module, got {type(m).__name__}")
    return m


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: modules named by their position."""

    def _renumber(self, modules: list[Module]) -> None:
        """Register ``modules`` under ``"0"``, ``"1"``, ... in place of the current ones."""
        for name in list(self._modules):
            self.__dict__.pop(name, None)
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        values = list(self._modules.values())
        if isinstance(index, slice):
            return type(self)(values[index])
        return values[_index(index, len(values), type(self).__name__)]

    def __setitem__(self, index: int, module: Module) -> None:
        i = _index(index, len(self), type(self).__name__)
        self.add_module(list(self._modules)[i], _check_module(module, type(self).__name__))

    def __delitem__(self, index: int | slice) -> None:
        # torch renumbers after a deletion (named Sequential entries get numbers too)
        values = list(self._modules.values())
        if isinstance(index, slice):
            del values[index]
        else:
            del values[_index(index, len(values), type(self).__name__)]
        self._renumber(values)

    def append(self, module: Module) -> Any:
        """Add a module at the end; returns the container."""
        self.add_module(str(len(self)), _check_module(module, type(self).__name__))
        return self

    def extend(self, modules: Iterable[Module]) -> Any:
        """Add several modules at the end; returns the container."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert a module before position ``index`` (the ones after move up by one)."""
        _check_module(module, type(self).__name__)
        values = list(self._modules.values())
        n = len(values)
        if not isinstance(index, int) or not -n <= index <= n:
            raise IndexError(f"insert: index {index} is out of range for a "
                             f"{type(self).__name__} of length {n}")
        values.insert(index % (n + 1) if index < 0 else index, module)
        self._renumber(values)

    def pop(self, index: int | slice = -1) -> Any:
        """Remove the module at ``index`` and return it."""
        value = self[index]
        del self[index]
        return value

    def __dir__(self) -> list[str]:
        return [k for k in super().__dir__() if not k.isdigit()]


class Sequential(_ModuleSequence):
    """Modules applied in order; built from arguments or an ordered dict of named modules.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd import nn
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> net(tg.ones(3, 4)).shape, len(net), type(net[1:]).__name__
    ((3, 2), 3, 'Sequential')
    >>> list(net.state_dict())
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, *modules: Module | OrderedDict) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, m in modules[0].items():
                self.add_module(str(name), _check_module(m, "Sequential"))
        else:
            for i, m in enumerate(modules):
                if not isinstance(m, Module):
                    raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not an "
                                    "nn.Module")
                self.add_module(str(i), m)

    def forward(self, input: Any) -> Any:  # noqa: A002 - torch's name
        """Each module's output is the next one's input."""
        for m in self._modules.values():
            input = m(input)  # noqa: A001
        return input

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[_index(index, len(items), "Sequential")][1]

    def __add__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but "
                             f"{type(other).__name__} is given.")
        return Sequential(*self, *other)

    def __iadd__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but "
                             f"{type(other).__name__} is given.")
        return self.extend(list(other))


class ModuleList(_ModuleSequence):
    """A list of modules, registered so their parameters are found (a plain list is not).

    >>> from tinygrad_gd import nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
    >>> layers += [nn.Linear(2, 1)]
    >>> len(layers), [n for n, _ in layers.named_parameters()][-1]
    (3, '2.bias')
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __repr__(self) -> str:
        # torch's: runs of identical consecutive modules print once, as "(0-2): 3 x Linear(...)"
        reprs = [repr(m) for m in self]
        if not reprs:
            return f"{self._get_name()}()"
        runs: list[list[Any]] = []  # [first index, last index, repr]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = [(f"({a}): {r}" if a == b else f"({a}-{b}): {b - a + 1} x {r}").replace(
            "\n", "\n  ") for a, b, r in runs]
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward(); iterate over it in yours")


class ModuleDict(Module):
    """A dict of modules by string key, registered (``state_dict`` keys are ``key.param``);
    keeps insertion order.

    >>> from tinygrad_gd import nn
    >>> heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "box": nn.Linear(4, 4)})
    >>> list(heads.keys()), "cls" in heads
    (['cls', 'box'], True)
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, _check_module(module, "ModuleDict"))

    def __delitem__(self, key: str) -> None:
        del self._modules[key]
        self.__dict__.pop(key, None)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def clear(self) -> None:
        """Remove every module."""
        for key in list(self._modules):
            del self[key]

    def pop(self, key: str) -> Module:
        """Remove the module under ``key`` and return it."""
        value = self[key]
        del self[key]
        return value

    def keys(self) -> Any:
        """The keys, in insertion order."""
        return self._modules.keys()

    def items(self) -> Any:
        """``(key, module)`` pairs."""
        return self._modules.items()

    def values(self) -> Any:
        """The modules."""
        return self._modules.values()

    def update(self, modules: Mapping[str, Module] | Iterable) -> None:
        """Add or replace modules from a mapping or from ``(key, module)`` pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for j, pair in enumerate(pairs):
            if isinstance(pair, Module) or len(pair) != 2:
                raise ValueError(f"ModuleDict.update: element #{j} should be a (key, module) "
                                 "pair")
            self[pair[0]] = pair[1]

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ModuleDict has no forward(); index it in yours")


def _as_parameter(value: Any, what: str) -> Parameter:
    """Tensors are wrapped (sharing memory, requiring grad) as torch's containers do."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"{what}: expected a Tensor or nn.Parameter, got {type(value).__name__}")


def _describe(p: Tensor) -> str:
    size = "x".join(str(d) for d in p.shape)
    device = "" if str(p.device) == "cpu" else f" ({p.device})"
    return f"Parameter containing: [{p.dtype} of size {size}{device}]"


class ParameterList(Module):
    """A list of parameters, registered under ``"0"``, ``"1"``, ...; plain Tensors added to it
    become Parameters.

    >>> import tinygrad_gd as tg
    >>> ps = tg.nn.ParameterList([tg.nn.Parameter(tg.ones(2)), tg.zeros(3)])
    >>> [name for name, _ in ps.named_parameters()], type(ps[1]).__name__
    (['0', '1'], 'Parameter')
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def __getitem__(self, index: int | slice) -> Any:
        values = list(self._parameters.values())
        if isinstance(index, slice):
            return ParameterList(values[index])
        return values[_index(index, len(values), "ParameterList")]

    def __setitem__(self, index: int, value: Any) -> None:
        i = _index(index, len(self), "ParameterList")
        self.register_parameter(str(i), _as_parameter(value, "ParameterList"))

    def append(self, value: Any) -> ParameterList:
        """Add a parameter at the end."""
        self.register_parameter(str(len(self)), _as_parameter(value, "ParameterList"))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Add several parameters at the end."""
        for v in values:
            self.append(v)
        return self

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def __dir__(self) -> list[str]:
        return [k for k in super().__dir__() if not k.isdigit()]

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): {_describe(p)}" for k, p in self._parameters.items())

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ParameterList has no forward()")


class ParameterDict(Module):
    """A dict of parameters by string key (``state_dict`` keys are the keys); plain Tensors put
    in it become Parameters. As torch, ``update`` from a plain dict adds keys in sorted order,
    from an ``OrderedDict``/``ParameterDict`` or pairs in their order."""

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.register_parameter(key, _as_parameter(value, "ParameterDict"))

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]
        self.__dict__.pop(key, None)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def keys(self) -> Any:
        """The keys, in insertion order."""
        return self._parameters.keys()

    def items(self) -> Any:
        """``(key, parameter)`` pairs."""
        return self._parameters.items()

    def values(self) -> Any:
        """The parameters."""
        return self._parameters.values()

    def get(self, key: str, default: Any = None) -> Any:
        """The parameter under ``key``, or ``default``."""
        return self._parameters.get(key, default)

    def pop(self, key: str) -> Parameter:
        """Remove the parameter under ``key`` and return it."""
        value = self[key]
        del self[key]
        return value

    def setdefault(self, key: str, default: Any = None) -> Parameter:
        """The parameter under ``key``, first setting it to ``default`` when absent."""
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        """Remove every parameter."""
        for key in list(self._parameters):
            del self[key]

    def update(self, parameters: Any) -> None:
        """Add or replace parameters from a mapping or from ``(key, value)`` pairs."""
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs: Iterable = list(parameters.items())
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())
        else:
            pairs = parameters
        for j, pair in enumerate(pairs):
            if isinstance(pair, Tensor) or len(pair) != 2:
                raise ValueError(f"ParameterDict.update: element #{j} should be a (key, value) "
                                 "pair")
            self[pair[0]] = pair[1]

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): {_describe(p)}" for k, p in self._parameters.items())

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ParameterDict has no forward()")
