"""``tg.amp``: torch's automatic mixed precision API, so training scripts written with it run.

``GradScaler`` is torch's, step for step: ``scale(loss)`` multiplies the loss by the scale,
``step(opt)`` divides the gradients by it (``unscale_``) and skips the update when one of them
is not finite, and ``update()`` halves the scale after such a step and doubles it after
``growth_interval`` clean ones. As in torch, a scaler for ``"cuda"`` on a machine without a GPU
warns and disables itself (every call then passes straight through).

``autocast`` marks a region as torch's does (``is_autocast_enabled`` says so inside it), but
lower-precision casting is not implemented: NumPy has no bfloat16 and no fast float16 products.
The region computes in the tensors' own dtypes, so its results are float32 where torch's would
be float16/bfloat16 (they differ by that rounding); entering an enabled region warns once to say
so. A ``"cuda"`` region without a GPU warns and is disabled, as torch's.

>>> import tinygrad_gd as tg
>>> w = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
>>> opt = tg.optim.SGD([w], lr=0.1)
>>> scaler = tg.amp.GradScaler("cpu")
>>> with tg.autocast("cpu", enabled=False):
...     loss = (w * w).sum()
>>> scaler.scale(loss).backward()       # gradients 65536 times too large ...
>>> scaler.step(opt)                    # ... divided back before the update
>>> scaler.update()
>>> w.tolist()
[0.8, 1.6]
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from . import backend
from .autograd import no_grad
from .tensor import Tensor

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd", "is_autocast_available",
           "is_autocast_enabled", "get_autocast_dtype"]

_DEVICE_TYPES = ("cpu", "cuda")
_DEFAULT_DTYPES = {"cpu": "bfloat16", "cuda": "float16"}  # torch's (named: NumPy has no bf16)


class _Regions(threading.local):
    """Per thread: the autocast regions entered and not yet left, innermost last."""

    def __init__(self) -> None:
        self.stack: list[tuple[str, bool, Any]] = []


_REGIONS = _Regions()
_WARNED = [False]


def _cuda_missing() -> bool:
    return not backend.cuda_available()


def is_autocast_available(device_type: str) -> bool:
    """Whether ``autocast`` accepts ``device_type`` (``"cpu"`` or ``"cuda"``)."""
    return device_type in _DEVICE_TYPES


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """True inside an enabled ``autocast`` region for ``device_type`` (``"cuda"`` when None,
    as torch's)."""
    device_type = device_type or "cuda"
    for kind, enabled, _ in reversed(_REGIONS.stack):
        if kind == device_type:
            return enabled
    return False


def get_autocast_dtype(device_type: str) -> Any:
    """The dtype an enabled region of ``device_type`` asks for: the one given to ``autocast``,
    else torch's default (float16 on ``"cuda"``, the name ``"bfloat16"`` on ``"cpu"``)."""
    for kind, _, dtype in reversed(_REGIONS.stack):
        if kind == device_type and dtype is not None:
            return dtype
    default = _DEFAULT_DTYPES.get(device_type)
    return np.dtype(default) if default == "float16" else default


class autocast:  # noqa: N801 - torch's name
    """A region run, in torch, with lower-precision products; here in the tensors' own dtypes
    (see the module's docstring). Usable as a context manager and as a decorator."""

    def __init__(self, device_type: str, dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _DEVICE_TYPES:
            raise RuntimeError(f"autocast: unsupported device type {device_type!r}; expected "
                               "'cpu' or 'cuda'")
        if enabled and device_type == "cuda" and _cuda_missing():
            warnings.warn("autocast: device_type 'cuda' asked for, but no GPU is available. "
                          "Disabling autocast.", UserWarning, stacklevel=2)
            enabled = False
        self.device = device_type
        self.fast_dtype = dtype
        self._enabled = bool(enabled)

    def __enter__(self) -> autocast:
        if self._enabled and not _WARNED[0]:
            _WARNED[0] = True
            warnings.warn("tg.autocast: lower-precision casting is not implemented; the region "
                          "computes in its tensors' own dtypes (float32 results where torch's "
                          "would be float16/bfloat16)", UserWarning, stacklevel=2)
        _REGIONS.stack.append((self.device, self._enabled, self.fast_dtype))
        return self

    def __exit__(self, *exc: Any) -> None:
        _REGIONS.stack.pop()

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device, self.fast_dtype, self._enabled):
                return func(*args, **kwargs)
        return wrapper


def custom_fwd(fwd: Callable | None = None, *, device_type: str = "cuda",
               cast_inputs: Any = None) -> Callable:
    """torch's decorator for a custom ``Function.forward`` under autocast: here the function
    is returned as it is (no region casts anything)."""
    if fwd is None:
        return lambda f: f
    return fwd


def custom_bwd(bwd: Callable | None = None, *, device_type: str = "cuda") -> Callable:
    """torch's decorator for a custom ``Function.backward``: returned as it is."""
    if bwd is None:
        return lambda f: f
    return bwd


_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"


class GradScaler:
    """torch's dynamic loss scaling (see the module's docstring for what each call does).

    ``device`` is ``"cuda"`` by default, as torch's; without a GPU such a scaler warns and is
    disabled. ``enabled=False`` makes every call pass straight through.
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = str(device).split(":")[0]
        if self._device not in _DEVICE_TYPES:
            raise RuntimeError(f"GradScaler: unsupported device {device!r}; expected 'cpu' or "
                               "'cuda'")
        if enabled and self._device == "cuda" and _cuda_missing():
            warnings.warn("GradScaler is enabled for 'cuda', but no GPU is available. "
                          "Disabling.", UserWarning, stacklevel=2)
            enabled = False
        if growth_factor <= 1.0:
            raise ValueError("GradScaler: the growth factor must be > 1.0")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError("GradScaler: the backoff factor must be < 1.0 (and > 0)")
        if int(growth_interval) <= 0:
            raise ValueError("GradScaler: growth_interval must be a positive int")
        self._enabled = bool(enabled)
        self._scale = float(np.float32(init_scale))
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._states: dict[int, dict[str, Any]] = {}

    def _state(self, optimizer: Any) -> dict[str, Any]:
        return self._states.setdefault(id(optimizer), {"stage": _READY, "found_inf": None})

    def scale(self, outputs: Any) -> Any:
        """``outputs`` (a tensor, or lists and tuples of them) times the current scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        if isinstance(outputs, Iterable) and not isinstance(outputs, (str, bytes, dict)):
            return map(self.scale, outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer: Any) -> None:
        """Divide ``optimizer``'s gradients by the scale, in place, and note whether one of them
        is not finite (then ``step`` skips the update)."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv = np.float32(1.0 / np.float64(self._scale))
        found, seen = False, False
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad
                    if g.dtype == np.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    xp = backend.xp_of(g.data)
                    g.data *= inv.astype(g.data.dtype)
                    g._version[0] += 1
                    seen = True
                    found = found or not bool(xp.isfinite(g.data).all())
        state["found_inf"] = found if seen else None
        state["stage"] = _UNSCALED

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """``optimizer.step()`` on the unscaled gradients, skipped when one is not finite (the
        step's return value, or None when skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is "
                               "enabled.")
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        if state["found_inf"] is None:
            raise RuntimeError("GradScaler.step: none of the optimizer's parameters has a "
                               "gradient (no inf checks were recorded for this optimizer)")
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale: Any = None) -> None:
        """Back the scale off after a skipped step, grow it after ``growth_interval`` clean
        ones (or set ``new_scale``); then a new iteration starts for every optimizer."""
        if not self._enabled:
            return
        if new_scale is not None:
            value = new_scale.item() if isinstance(new_scale, Tensor) else new_scale
            self._scale = float(np.float32(value))
        else:
            found = [s["found_inf"] for s in self._states.values() if s["found_inf"] is not None]
            if not found:
                raise RuntimeError("GradScaler.update: no inf checks were recorded prior to "
                                   "update() (call step() first)")
            if any(found):
                self._scale = float(np.float32(self._scale) * np.float32(self._backoff_factor))
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale = float(np.float32(self._scale)
                                        * np.float32(self._growth_factor))
                    self._growth_tracker = 0
        self._states = {}

    def get_scale(self) -> float:
        """The current scale (1.0 when disabled)."""
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        """The factor the scale grows by."""
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        """Set the factor the scale grows by."""
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        """The factor the scale backs off by."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        """Set the factor the scale backs off by."""
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        """How many clean steps in a row grow the scale."""
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        """Set how many clean steps in a row grow the scale."""
        self._growth_interval = int(new_interval)

    def _get_growth_tracker(self) -> int:
        return self._growth_tracker if self._enabled else 0

    def is_enabled(self) -> bool:
        """Whether the scaler scales (False when disabled, or for 'cuda' without a GPU)."""
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """Plain numbers (empty when disabled), as torch's."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict``."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._scale = float(np.float32(state_dict["scale"]))
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
