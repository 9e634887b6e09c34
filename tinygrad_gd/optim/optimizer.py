"""``Optimizer``: the base class of every optimizer (parameter groups, per-parameter state,
``step``/``zero_grad``, ``state_dict``/``load_state_dict``), as in ``torch.optim``."""

from __future__ import annotations

import copy
import inspect
import numbers
from collections.abc import Callable, Iterable
from typing import Any

from .. import backend
from ..autograd import enable_grad, no_grad
from ..autograd.engine import clear_grad
from ..tensor import Tensor

Params = Iterable[Tensor] | Iterable[dict[str, Any]]


class _Required:
    """Sentinel for a hyper-parameter with no default (``lr`` of ``SGD``, as torch)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()

#: Set by ``tg.jit`` while it traces, so that ``step`` is recorded as itself (jit.py).
_STEP_HOOK: list = [None]


class Optimizer:
    """Base of all optimizers: holds ``param_groups`` and per-parameter ``state``.

    ``params`` is an iterable of Tensors or of dicts (parameter groups), each dict holding
    ``"params"`` and any hyper-parameters that override ``defaults`` for that group::

        SGD([{"params": body}, {"params": head, "lr": 1e-3}], lr=1e-2, momentum=0.9)

    ``state`` maps each parameter to a dict (momentum buffers, step counts...). It is keyed by the
    parameter itself: Tensors hash by identity, and a dict looks keys up by identity before it
    ever compares them with ``==``, so this is safe. ``state_dict()`` replaces the parameters by
    their position (counted across groups, as torch), so a saved state loads into a fresh
    optimizer built over fresh parameters of the same shapes.

    Subclasses implement ``_update(group)``: the in-place update of the group's parameters, run
    under ``no_grad``, on the backend arrays.
    """

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors or of dicts, got a single "
                            "Tensor; wrap it in a list: [x]")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---------------------------------------------------------------- groups and validation
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with ``"params"``), filling in the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("a parameter group needs a 'params' entry")
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter group")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, but parameter "
                                f"{i} is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (parameter {i}, shape "
                                 f"{p.shape}, made by {type(p.grad_fn).__name__}); optimize the "
                                 "leaf it was computed from, or .detach().requires_grad_() it")
            if not backend.is_floating(p.dtype):
                raise TypeError(f"parameter {i} has dtype {p.dtype}; only floating-point "
                                "tensors can be optimized")
            if id(p) in seen:
                raise ValueError(f"parameter {i} (shape {p.shape}) appears in more than one "
                                 "parameter group (or twice in one)")
            seen.add(id(p))
        group["params"] = params
        for key, value in self.defaults.items():
            if value is required and key not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"hyper-parameter {key!r}")
            group.setdefault(key, value)
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group: dict[str, Any]) -> None:
        """Raise ``ValueError`` for bad hyper-parameters in ``group`` (subclasses extend)."""
        lr = group.get("lr")
        if lr is not None and not (_is_real(lr) and lr >= 0):
            raise ValueError(f"invalid learning rate: {lr!r} (must be a number >= 0)")

    # ----------------------------------------------------------------------- the step
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update the parameters once from their ``.grad``; return ``closure()``'s loss if given.

        ``closure`` re-evaluates the model, calls ``backward()`` and returns the loss.
        """
        if _STEP_HOOK[0] is not None:  # tg.jit is tracing: it records the step (jit.py)
            recorded = _STEP_HOOK[0](self, closure)
            if recorded is not NotImplemented:  # (NotImplemented: another thread's step)
                return recorded
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update(group)
        return loss

    def _update(self, group: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (``None`` by default; zeros in place otherwise)."""
        for group in self.param_groups:
            for p in group["params"]:
                clear_grad(p, set_to_none)

    # ---------------------------------------------------------------- saving and resuming
    def _all_params(self) -> list[Tensor]:
        return [p for g in self.param_groups for p in g["params"]]

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as plain data: ``{"state": {index: {...}}, "param_groups":
        [{hyper-parameters..., "params": [indices]}]}``; Tensors in the state are copied."""
        index = {id(p): i for i, p in enumerate(self._all_params())}
        groups = []
        for g in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in g.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in g["params"]]
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            state[index[id(p)]] = {k: (Tensor._make(v.data.copy(), v.device)
                                      if isinstance(v, Tensor) else copy.deepcopy(v))
                                   for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``: hyper-parameters of each group and per-parameter state
        (copied onto each parameter's device and dtype), so training resumes exactly.

        A state from another optimizer type (other hyper-parameters, or other per-parameter
        entries than this optimizer's own state holds) is refused, naming both."""
        groups = self._checked_state_dict(state_dict)
        if len(groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(groups)} parameter groups, this "
                             f"optimizer has {len(self.param_groups)}")
        for i, (saved, mine) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(mine["params"]):
                raise ValueError(f"parameter group {i}: the loaded state has "
                                 f"{len(saved['params'])} parameters, this optimizer has "
                                 f"{len(mine['params'])}")
        by_index = {}
        for saved, mine in zip(groups, self.param_groups):
            for idx, p in zip(saved["params"], mine["params"]):
                by_index[idx] = p
        name = type(self).__name__
        new_state = {}
        for idx, s in state_dict["state"].items():
            p = by_index.get(int(idx)) if _is_index(idx) else None
            if p is None or not isinstance(s, dict):
                raise TypeError(f"{name}.load_state_dict: state entry {idx!r} must be a "
                                f"parameter index (0..{len(by_index) - 1}) mapped to a dict, "
                                f"got {type(s).__name__}")
            own = self.state.get(p)
            if own is not None and own and set(own) != set(s):
                raise ValueError(
                    f"{name}.load_state_dict: parameter {idx}'s state holds "
                    f"{sorted(map(str, s))}, but this {name}'s state holds {sorted(own)}; "
                    f"it comes from another optimizer{_guess_type(groups, self)}")
            new_state[p] = {k: self._state_value(p, k, v) for k, v in s.items()}
        self.state = new_state
        for saved, mine in zip(groups, self.param_groups):
            for k, v in saved.items():
                if k != "params":
                    mine[k] = copy.deepcopy(v)

    def _checked_state_dict(self, state_dict: Any) -> list[dict[str, Any]]:
        """The saved param groups, after checking the structure and that the saved
        hyper-parameters are this optimizer's (not another type's)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}.load_state_dict expects a dict (from optimizer.state_dict()),"
                            f" got {type(state_dict).__name__}")
        groups, state = state_dict.get("param_groups"), state_dict.get("state")
        if not isinstance(groups, (list, tuple)) or not isinstance(state, dict) or not all(
                isinstance(g, dict) and isinstance(g.get("params"), (list, tuple))
                and all(_is_index(i) for i in g["params"]) for g in groups):
            raise TypeError(f"{name}.load_state_dict: the dict needs 'state' (a dict) and "
                            "'param_groups' (a list of dicts, each with a 'params' list of "
                            f"indices), as optimizer.state_dict() makes; got keys "
                            f"{sorted(map(str, state_dict))}")
        mine = set(self.defaults)
        for i, g in enumerate(groups):
            saved = set(g) - {"params"}
            missing = sorted(mine - saved)
            foreign = sorted(k for k in saved - mine if k in _other_hyper_parameters(self))
            if missing or foreign:
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {i} of the loaded state has "
                    f"hyper-parameters {sorted(map(str, saved))}, this {name} has "
                    f"{sorted(mine)} (missing {missing}, foreign {foreign}); the state comes "
                    f"from another optimizer{_guess_type(groups, self)}")
        return list(groups)

    @staticmethod
    def _state_value(p: Tensor, key: str, value: Any) -> Any:
        if isinstance(value, Tensor) or backend.is_array(value):
            array = value.data if isinstance(value, Tensor) else value
            if array.shape != p.shape and array.ndim != 0:
                raise ValueError(f"state {key!r} has shape {array.shape} but its parameter has "
                                 f"shape {p.shape}")
            array = backend.to_device(array, p.device).copy()
            if backend.is_floating(array.dtype):
                array = array.astype(p.dtype, copy=False)
            return Tensor._make(array, p.device)
        return copy.deepcopy(value)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


def _is_index(value: Any) -> bool:
    """An int (or a numeric string: JSON turns dict keys into strings), not a bool."""
    if isinstance(value, str):
        return value.isdigit()
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _optimizer_types() -> list[type]:
    """Every Optimizer subclass defined so far (the library's and the user's)."""
    found, todo = [], [Optimizer]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.append(sub)
                todo.append(sub)
    return found


def _hyper_parameters(cls: type) -> set[str]:
    """The keyword arguments of ``cls.__init__`` but ``params``: its hyper-parameters."""
    try:
        names = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return set()
    return {n for n, p in names.items() if n not in ("self", "params")
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def _other_hyper_parameters(opt: Optimizer) -> set[str]:
    """Hyper-parameter names of the other optimizer types that ``opt`` does not take: a saved
    group holding one of them was written by another type (schedulers' keys such as
    ``initial_lr`` are nobody's hyper-parameter, so they pass)."""
    mine = _hyper_parameters(type(opt)) | set(opt.defaults)
    return {k for cls in _optimizer_types() for k in _hyper_parameters(cls)} - mine


def _guess_type(groups: Any, opt: Optimizer) -> str:
    """`` (saved by SGD?)``: the optimizer types that best match the saved hyper-parameters
    (all of theirs saved, the most of them)."""
    saved = set().union(*(set(g) for g in groups if isinstance(g, dict))) - {"params"}
    fits = {cls.__name__: len(hp) for cls in _optimizer_types()
            if cls is not type(opt) and not cls.__name__.startswith("_")
            and (hp := _hyper_parameters(cls)) and hp <= saved}
    best = sorted(n for n, size in fits.items() if size == max(fits.values(), default=0))
    return f" (saved by {' or '.join(best)}?)" if best else ""


def _zeros_like(p: Tensor) -> Tensor:
    """A zero state buffer with the parameter's shape, dtype and device."""
    return Tensor._make(backend.xp_of(p.data).zeros_like(p.data), p.device)


def _is_real(value: Any) -> bool:
    """A real number (NumPy scalars included), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_range(name: str, value: Any, low: float, high: float | None = None,
                 high_open: bool = True) -> None:
    """``ValueError`` unless ``low <= value < high`` (``<= high`` with ``high_open=False``)."""
    ok = _is_real(value) and value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        bound = "" if high is None else (f" and < {high}" if high_open else f" and <= {high}")
        raise ValueError(f"invalid {name}: {value!r} (must be >= {low}{bound})")
