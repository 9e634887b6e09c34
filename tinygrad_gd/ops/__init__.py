"""Differentiable primitives, one ``Function`` class each, grouped by kind."""
