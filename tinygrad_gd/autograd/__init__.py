"""Autodiff, laid out as ``torch.autograd``: the engine, grad mode, the user-facing ``Function``,
``grad``/``backward``, gradient checks and ``autograd.functional``.

- ``engine.py``: ``Primitive`` (the library's own array-level operations) and the backward pass.
- ``grad_mode.py``: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``
  (per thread).
- ``function.py``: ``Function``, torch's extension API (``forward(ctx, ...)``, ``backward``).
- ``functional.py``: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp`` (and the
  ``grad``/``backward`` entry points).
- ``hooks.py``: ``Tensor.register_hook``/``retain_grad`` and the removable handle.
- ``anomaly_mode.py``: ``detect_anomaly``, ``set_detect_anomaly``, ``is_anomaly_enabled``.

The names that need ``Tensor`` are loaded on first use, because ``tensor.py`` itself imports the
engine from here.
"""

from __future__ import annotations

import importlib
from typing import Any

from .anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled,
                           set_detect_anomaly)
from .engine import Primitive, run_backward
from .grad_mode import (_GradMode, enable_grad, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled, no_grad, set_grad_enabled)

# name -> submodule of tinygrad_gd that defines it (imported lazily: see the docstring)
_LAZY = {
    "functional": ".autograd.functional",
    "function": ".autograd.function",
    "grad": ".autograd.functional",
    "backward": ".autograd.functional",
    "Function": ".autograd.function",
    "FunctionCtx": ".autograd.function",
    "once_differentiable": ".autograd.function",
    "gradcheck": ".gradcheck",
    "gradgradcheck": ".gradcheck",
    "Variable": ".legacy",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'tinygrad_gd.autograd' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name], "tinygrad_gd")
    value = module if name in ("functional", "function") else getattr(module, name)
    globals()[name] = value
    return value


__all__ = ["Primitive", "run_backward", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "_GradMode", "inference_mode", "is_inference_mode_enabled",
           "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", "is_anomaly_check_nan_enabled", *_LAZY]
