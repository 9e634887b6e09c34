"""Grad mode: whether operations are recorded for backward (``no_grad``, ``enable_grad``,
``set_grad_enabled``, ``inference_mode``), usable as context managers and as decorators, as
torch's.

As in torch, the mode belongs to a thread: ``with tg.no_grad()`` in one thread never stops
recording in another, and each new thread starts with grad mode on. The state is a
``threading.local`` whose class attributes are the defaults every thread starts from, so the
engine still reads one attribute (``_GradMode.enabled``) per operation.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any


class _GradModeState(threading.local):
    """Per-thread grad mode (a class attribute is the default a new thread sees)."""

    enabled = True


class _AnomalyState(threading.local):
    """Per-thread anomaly detection switches (``autograd.anomaly_mode`` sets them)."""

    enabled = False
    check_nan = True


_GradMode = _GradModeState()
_AnomalyMode = _AnomalyState()


def is_grad_enabled() -> bool:
    """True when operations are being recorded for backward (in this thread)."""
    return _GradMode.enabled


class _GradModeContext:
    """Base of ``no_grad``/``enable_grad``: a context manager that also works as a decorator.

    The previous mode is kept per thread in a stack, so one instance (a decorator, a shared
    ``no_grad()`` object) may be entered by several threads, or recursively, at once.
    """

    mode = True

    def __new__(cls, *args: Any) -> Any:
        if len(args) == 1 and callable(args[0]):  # bare ``@tg.no_grad``, as torch allows
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self) -> None:
        _PREV.stack.append(_GradMode.enabled)
        _GradMode.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = _PREV.stack.pop()

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class _PrevModes(threading.local):
    def __init__(self) -> None:
        self.stack: list[bool] = []


_PREV = _PrevModes()


class no_grad(_GradModeContext):  # noqa: N801 - torch's name
    """Stop recording operations (inference, optimizer updates) in this thread.

    >>> import tinygrad_gd as tg
    >>> x = tg.ones(2, requires_grad=True)
    >>> with tg.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_GradModeContext):  # noqa: N801 - torch's name
    """Record operations again inside a ``no_grad`` block (or as a decorator)."""

    mode = True


class inference_mode(_GradModeContext):  # noqa: N801 - torch's name
    """``no_grad`` under torch's name for inference; ``inference_mode(False)`` turns grad mode
    back on inside it, as torch's.

    Unlike torch, tensors made inside are ordinary tensors (torch's "inference tensors" refuse
    later use in autograd); here they are simply tensors that do not require grad.

    >>> import tinygrad_gd as tg
    >>> with tg.inference_mode():
    ...     y = tg.ones(2, requires_grad=True) * 2
    >>> y.requires_grad, tg.is_inference_mode_enabled()
    (False, False)
    """

    def __new__(cls, *args: Any) -> Any:
        if len(args) == 1 and callable(args[0]) and not isinstance(args[0], bool):
            return cls()(args[0])
        return object.__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.enabled = bool(mode)

    def __enter__(self) -> None:
        _PREV.stack.append((_GradMode.enabled, _INFERENCE.on))
        # as torch's: inference_mode(False) turns both off, grad mode back on
        _GradMode.enabled, _INFERENCE.on = not self.enabled, self.enabled

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled, _INFERENCE.on = _PREV.stack.pop()

    def __call__(self, func: Callable) -> Callable:
        enabled = self.enabled

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(enabled):
                return func(*args, **kwargs)

        return wrapper


class _InferenceState(threading.local):
    on = False


_INFERENCE = _InferenceState()


def is_inference_mode_enabled() -> bool:
    """True inside an ``inference_mode()`` block (in this thread)."""
    return _INFERENCE.on


class set_grad_enabled(_GradModeContext):  # noqa: N801 - torch's name
    """Set grad mode to ``mode`` in this thread: for the rest of the program when called as a
    function (``tg.set_grad_enabled(False)``), inside the block as a context manager, or inside
    the function as a decorator -- the three uses of torch's."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        # takes effect now, as torch's: a plain call must switch the mode
        self._prev = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __enter__(self) -> None:
        pass  # already set by __init__; __exit__ restores the mode from before it

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self._prev

    def __call__(self, func: Callable) -> Callable:
        _GradMode.enabled = self._prev  # as a decorator it only applies inside ``func``
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper
