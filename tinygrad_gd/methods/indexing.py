"""Gathering and scattering, masks, matrix parts and rearranging."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..tensor import Tensor  # noqa: F401

__all__: list[str] = []  # the tg.X function forms defined here


class IndexingMethods:
    """Mixin of ``Tensor``: Gathering and scattering, masks, matrix parts and rearranging."""

    __slots__ = ()
