"""Composable function transforms with ``torch.func``'s signatures: ``grad``,
``grad_and_value``, ``vjp``, ``jvp`` (true forward mode), ``jacrev``, ``jacfwd``, ``hessian``
(``jacfwd(jacrev(f))``) and ``functional_call``.

Each transform returns a function of the same arguments. They compose because they never cut the
graph of their arguments: reverse-mode transforms differentiate with respect to the arguments as
given (making them differentiable only when they are not already), and forward-mode ones attach
tangents to views of them. So ``jvp(grad(f), ...)`` runs a backward pass in which tangents flow
(forward-over-reverse), and ``jacrev(jacfwd(f))`` differentiates tangents in reverse mode.

One dual level at a time, as ``torch.autograd.forward_ad``: ``jacfwd(jacfwd(f))`` raises.
There is no ``vmap``: ``jacrev`` runs one backward pass per output element, ``jacfwd`` one forward
pass per input element.
"""

from __future__ import annotations

from .transforms import (functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, jvp,
                         vjp)

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian",
           "functional_call"]
