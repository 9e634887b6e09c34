"""torch's process-wide knobs that training scripts call at start-up: threads, determinism,
matmul precision, the random generator's state (``get_rng_state``/``set_rng_state``, ``seed``)
and ``set_anomaly_enabled``; and ``compile``, which hands its argument back.

Threads and precision are recorded and reported back (NumPy's BLAS picks its own threads;
matmuls here are always in the tensors' own precision); every computation here is already
deterministic, so ``use_deterministic_algorithms`` only records its flag.
"""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

import numpy as np

from . import backend
from .autograd.anomaly_mode import is_anomaly_enabled, set_detect_anomaly

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads",
           "get_num_interop_threads", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
           "set_float32_matmul_precision", "get_float32_matmul_precision", "get_rng_state",
           "set_rng_state", "seed", "set_anomaly_enabled", "is_anomaly_enabled", "compile"]

_STATE: dict[str, Any] = {"threads": os.cpu_count() or 1, "interop": os.cpu_count() or 1,
                          "deterministic": False, "warn_only": False, "precision": "highest"}


def set_num_threads(n: int) -> None:
    """Record the intra-op thread count (NumPy's BLAS keeps its own setting)."""
    if int(n) < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    _STATE["threads"] = int(n)


def get_num_threads() -> int:
    """The thread count last set (the CPU count by default)."""
    return _STATE["threads"]


def set_num_interop_threads(n: int) -> None:
    """Record the inter-op thread count."""
    if int(n) < 1:
        raise ValueError(f"set_num_interop_threads: expected a positive int, got {n!r}")
    _STATE["interop"] = int(n)


def get_num_interop_threads() -> int:
    """The inter-op thread count last set."""
    return _STATE["interop"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted (every operation here is deterministic already); the flag is reported back."""
    _STATE["deterministic"], _STATE["warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """The flag of ``use_deterministic_algorithms``."""
    return _STATE["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """The ``warn_only`` flag of ``use_deterministic_algorithms``."""
    return _STATE["warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    """Accepted: ``"highest"``, ``"high"`` or ``"medium"`` (matmuls keep full precision)."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"set_float32_matmul_precision: expected 'highest', 'high' or "
                           f"'medium', got {precision!r}")
    _STATE["precision"] = precision


def get_float32_matmul_precision() -> str:
    """The precision last set (``"highest"`` by default)."""
    return _STATE["precision"]


def get_rng_state() -> Any:
    """The CPU generator's state as a uint8 tensor (give it to ``set_rng_state``): the bytes of
    the bit generator's state written as JSON, which a checkpoint can hold and give back without
    running anything."""
    from .tensor import Tensor

    state = backend.generators.get("cpu").bit_generator.state
    return Tensor(np.frombuffer(json.dumps(state).encode(), dtype=np.uint8).copy())


def set_rng_state(new_state: Any) -> None:
    """Restore a state from ``get_rng_state``: the CPU draws that follow repeat."""
    data = np.asarray(new_state.numpy() if hasattr(new_state, "numpy") else new_state,
                      dtype=np.uint8)
    try:
        state = json.loads(data.tobytes().decode())
        backend.generators.get("cpu").bit_generator.state = state
    except Exception as exc:
        raise RuntimeError("set_rng_state: expected a tensor returned by get_rng_state") from exc


def seed() -> int:
    """Seed every generator from a non-deterministic source; returns the seed."""
    s = secrets.randbits(63)
    backend.generators.manual_seed(s)
    return s


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """``torch.set_anomaly_enabled``: switch anomaly detection on or off."""
    set_detect_anomaly(enabled, check_nan)


def compile(model: Any = None, *, fullgraph: bool = False, dynamic: Any = None,  # noqa: A001
            backend: Any = "inductor", mode: Any = None, options: Any = None,
            disable: bool = False) -> Any:
    """``torch.compile``, accepted so scripts that call it run: ``model`` (a module or a
    function) comes back unchanged and runs eagerly, with the same results torch's compiled one
    gives. Bare, or called with options, it also works as a decorator. This library's compiler
    for a training step is ``tg.jit`` (trace once, replay), which has rules of its own.

    >>> import tinygrad_gd as tg
    >>> f = tg.compile(lambda x: x * 2)
    >>> f(tg.tensor([1.0])).tolist()
    [2.0]
    """
    if model is None:
        return lambda m: m
    return model
