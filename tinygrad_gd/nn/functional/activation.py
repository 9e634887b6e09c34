"""Activation functions (``F.relu``, ``F.gelu``, ``F.softmax``, ...)."""

from __future__ import annotations

from ...tensor import Tensor

__all__ = ["relu", "leaky_relu", "tanh", "sigmoid", "gelu", "softmax", "log_softmax"]


def relu(input: Tensor) -> Tensor:  # noqa: A002
    """max(x, 0)."""
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """x for x > 0, ``negative_slope * x`` otherwise."""
    return input.leaky_relu(negative_slope)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """Hyperbolic tangent."""
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """Logistic sigmoid."""
    return input.sigmoid()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """Gaussian error linear unit (exact, or ``approximate="tanh"``)."""
    return input.gelu(approximate)


def softmax(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim``."""
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """x - logsumexp(x) along ``dim``."""
    return input.log_softmax(dim)


