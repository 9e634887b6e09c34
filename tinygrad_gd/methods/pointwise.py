"""Elementwise math, rounding, division, activations, tests and logic."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..tensor import Tensor  # noqa: F401

__all__: list[str] = []  # the tg.X function forms defined here


class PointwiseMethods:
    """Mixin of ``Tensor``: Elementwise math, rounding, division, activations, tests and logic."""

    __slots__ = ()
