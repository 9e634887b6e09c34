"""Linear algebra methods (mm, bmm, mv, addmm, einsum, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..tensor import Tensor  # noqa: F401

__all__: list[str] = []  # the tg.X function forms defined here


class LinalgMethods:
    """Mixin of ``Tensor``: Linear algebra methods (mm, bmm, mv, addmm, einsum, ...)."""

    __slots__ = ()
