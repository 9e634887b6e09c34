"""The operation methods of ``Tensor``, one mixin per family, with their ``tg.X`` function forms.

``Tensor`` inherits every mixin; a module here holds a family's methods (``x.sinh()``) and, next
to them, the functions torch has at the top level (``tg.sinh(x)``), listed in its ``__all__`` and
re-exported by ``tinygrad_gd``. Each method is a composition of primitives from ``ops/`` (or a
primitive of its own where none can be composed), so every one is differentiable to any order.
"""
