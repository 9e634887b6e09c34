"""``Function``: torch's extension API for user-defined differentiable operations (to be built)."""

from __future__ import annotations


class FunctionCtx:
    """The ``ctx`` handed to ``forward`` and ``backward`` (to be built)."""


class Function:
    """User-defined differentiable operation with ``forward(ctx, ...)``/``backward(ctx, ...)``
    (to be built)."""
