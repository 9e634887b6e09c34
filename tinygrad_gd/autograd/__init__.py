"""Autodiff, laid out as ``torch.autograd``: the engine, grad mode, the user-facing ``Function``,
``grad``/``backward``, gradient checks and ``autograd.functional``.

- ``engine.py``: ``Primitive`` (the library's own array-level operations) and the backward pass.
- ``grad_mode.py``: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.
- ``function.py``: ``Function``, torch's extension API (``forward(ctx, ...)``, ``backward``).
- ``functional.py``: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``.

The names that need ``Tensor`` are loaded on first use, because ``tensor.py`` itself imports the
engine from here.
"""

from __future__ import annotations

import importlib
from typing import Any

from .engine import Primitive, run_backward
from .grad_mode import _GradMode, enable_grad, is_grad_enabled, no_grad, set_grad_enabled

# name -> submodule of tinygrad_gd that defines it (imported lazily: see the docstring)
_LAZY = {
    "functional": ".autograd.functional",
    "grad": ".autograd.functional",
    "Function": ".autograd.function",
    "FunctionCtx": ".autograd.function",
    "gradcheck": ".gradcheck",
    "gradgradcheck": ".gradcheck",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'tinygrad_gd.autograd' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name], "tinygrad_gd")
    value = module if name == "functional" else getattr(module, name)
    globals()[name] = value
    return value


__all__ = ["Primitive", "run_backward", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "_GradMode", *_LAZY]
