"""Shape and view methods (expand_as, movedim, unflatten, narrow, unbind, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..tensor import Tensor  # noqa: F401

__all__: list[str] = []  # the tg.X function forms defined here


class ShapingMethods:
    """Mixin of ``Tensor``: shape and view methods."""

    __slots__ = ()
