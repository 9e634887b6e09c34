"""Grad mode: whether operations are recorded for backward (``no_grad``, ``enable_grad``,
``set_grad_enabled``), usable as context managers and as decorators, as torch's."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


class _GradMode:
    enabled = True


class _AnomalyMode:
    """Anomaly detection's switches (``autograd.anomaly_mode`` sets them): plain class attributes,
    so the engine reads them as cheaply as grad mode."""

    enabled = False
    check_nan = True


def is_grad_enabled() -> bool:
    """True when operations are being recorded for backward."""
    return _GradMode.enabled


class _GradModeContext:
    """Base of ``no_grad``/``enable_grad``: a context manager that also works as a decorator."""

    mode = True

    def __new__(cls, *args: Any) -> Any:
        if len(args) == 1 and callable(args[0]):  # bare ``@tg.no_grad``, as torch allows
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self) -> None:
        self._prev = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self._prev

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):  # noqa: N801 - torch's name
    """Stop recording operations (inference, optimizer updates).

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


class set_grad_enabled(_GradModeContext):  # noqa: N801 - torch's name
    """Set grad mode to ``mode``: for the rest of the program when called as a function
    (``tg.set_grad_enabled(False)``), inside the block as a context manager, or inside the
    function as a decorator -- the three uses of torch's."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        # takes effect now, as torch's: a plain call must switch the mode
        self._prev = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __enter__(self) -> None:
        pass  # already set by __init__; __exit__ restores the mode from before it

    def __call__(self, func: Callable) -> Callable:
        _GradMode.enabled = self._prev  # as a decorator it only applies inside ``func``
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper
