"""Differentiable primitives, one ``Primitive`` class each, grouped by kind."""
