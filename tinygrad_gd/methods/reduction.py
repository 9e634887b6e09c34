"""Reductions, scans, sorting and selection (values and indices)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..tensor import Tensor  # noqa: F401

__all__: list[str] = []  # the tg.X function forms defined here


class ReductionMethods:
    """Mixin of ``Tensor``: Reductions, scans, sorting and selection (values and indices)."""

    __slots__ = ()
