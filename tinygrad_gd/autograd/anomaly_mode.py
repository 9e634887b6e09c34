"""Anomaly detection, as ``torch.autograd``'s: ``detect_anomaly()``, ``set_detect_anomaly(mode)``,
``is_anomaly_enabled()``.

While it is on, (1) every recorded operation keeps the stack of the code that called it, and
(2) the engine checks every gradient a backward rule returns: a NaN raises a ``RuntimeError`` that
names the operation and shows where its forward pass was called from.

Recording the stack costs time, so it must cost nothing while anomaly mode is off. Rather than test
a flag in ``Primitive.apply`` (the hot path of every operation), turning the mode on swaps in a
``Primitive.apply`` that calls the plain one and then records the stack; turning it off puts the
plain one back. User ``autograd.Function`` nodes record theirs in ``Function.apply``.

The mode belongs to a thread (``_AnomalyMode`` is a ``threading.local``): the traced ``apply``
stays in place while any thread has the mode on, and records a stack only for the threads that
do, so another thread's operations keep running without it.
"""

from __future__ import annotations

import functools
import threading
import traceback
from collections.abc import Callable
from typing import Any

from .engine import Primitive
from .grad_mode import _AnomalyMode

_PLAIN_APPLY = Primitive.__dict__["apply"]


def _traced_apply(cls: type, *inputs: Any, **kwargs: Any) -> Any:
    out = _PLAIN_APPLY.__func__(cls, *inputs, **kwargs)
    fn = out._ctx
    if fn is not None and _AnomalyMode.enabled and "trace" not in fn.__dict__:
        fn.trace = traceback.extract_stack()[:-1]
    return out


# How many threads have the mode on: the traced ``apply`` is in place while this is positive.
_THREADS_ON = [0]
_LOCK = threading.Lock()


def _set(mode: bool, check_nan: bool) -> None:
    mode = bool(mode)
    with _LOCK:
        was = _AnomalyMode.enabled
        _AnomalyMode.enabled = mode
        _AnomalyMode.check_nan = bool(check_nan)
        _THREADS_ON[0] += int(mode) - int(was)
        Primitive.apply = classmethod(_traced_apply) if _THREADS_ON[0] > 0 else _PLAIN_APPLY


def is_anomaly_enabled() -> bool:
    """True while anomaly detection is on (in this thread)."""
    return _AnomalyMode.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """True while anomaly detection checks gradients for NaN."""
    return _AnomalyMode.check_nan


class set_detect_anomaly:  # noqa: N801 - torch's name
    """Turn anomaly detection on or off: for the rest of the program when called as a function,
    inside the block as a context manager (the previous mode comes back on exit)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (_AnomalyMode.enabled, _AnomalyMode.check_nan)
        _set(mode, check_nan)

    def __enter__(self) -> None:
        pass  # already set by __init__

    def __exit__(self, *exc: object) -> None:
        _set(*self._prev)


class detect_anomaly:  # noqa: N801 - torch's name
    """Context manager (and decorator) that turns anomaly detection on inside it.

    >>> import tinygrad_gd as tg
    >>> x = tg.tensor([0.0, 1.0], requires_grad=True)
    >>> with tg.autograd.detect_anomaly():
    ...     y = (x.sqrt() * 0).sum()   # d sqrt(x)/dx at 0 is inf, and inf * 0 is nan
    ...     try:
    ...         y.backward()
    ...     except RuntimeError as e:
    ...         print(str(e).split(":")[0])
    Function 'Sqrt' returned nan values in its 0th output
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._prev = (_AnomalyMode.enabled, _AnomalyMode.check_nan)
        _set(True, self.check_nan)

    def __exit__(self, *exc: object) -> None:
        _set(*self._prev)

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)

        return wrapper
