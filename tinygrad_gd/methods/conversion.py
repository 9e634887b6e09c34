"""Dtype and device conversions (long, int, half, bool, type_as, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..tensor import Tensor  # noqa: F401

__all__: list[str] = []  # the tg.X function forms defined here


class ConversionMethods:
    """Mixin of ``Tensor``: Dtype and device conversions (long, int, half, bool, type_as, ...)."""

    __slots__ = ()
