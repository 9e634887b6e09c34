"""What kind of point is this? Second-derivative tests and the curvature of a loss.

- ``second_derivative_test(func, x)`` classifies a point of a scalar function of a few variables
  from its gradient and the eigenvalues of its (explicit) Hessian.
- ``top_hessian_eigenvalue(loss_fn, params)`` estimates the sharpness of a loss at a model's
  parameters by power iteration on Hessian-vector products: the Hessian is never formed, so it
  works for millions of parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from . import backend
from .autograd.functional import grad, hessian
from .linalg import eigvalsh
from .tensor import Tensor, float64

__all__ = ["second_derivative_test", "top_hessian_eigenvalue"]


def second_derivative_test(func: Callable[[Tensor], Tensor], x: Any,
                           tol: float = 1e-8) -> tuple[str, np.ndarray]:
    """Classify the point ``x`` of a scalar function: ``(kind, eigenvalues)``.

    ``func`` maps a Tensor of ``x``'s shape (any shape; it is treated as a vector of ``x.numel()``
    variables) to a one-element Tensor. The test runs in float64 on a copy of ``x``. ``kind`` is:

    - ``"inconclusive"`` when ``x`` is not a critical point, i.e. the gradient's Euclidean norm
      exceeds ``tol`` (the test says nothing there), or when the Hessian is only semi-definite
      (some eigenvalue within the tolerance of 0 and none of the opposite sign);
    - ``"minimum"`` when every eigenvalue of the Hessian is above ``tol * max(1, max|eig|)``;
    - ``"maximum"`` when every eigenvalue is below ``-tol * max(1, max|eig|)``;
    - ``"saddle"`` when there are eigenvalues of both signs beyond that tolerance (a zero
      eigenvalue beside them does not change that).

    ``eigenvalues`` is a host ``numpy.ndarray`` (float64, ascending) of the symmetrised Hessian's
    eigenvalues, returned in every case, even when ``kind`` is ``"inconclusive"``.

    >>> import tinygrad_gd as tg
    >>> kind, eig = tg.second_derivative_test(lambda p: p[0] ** 2 - p[1] ** 2, tg.zeros(2))
    >>> kind, eig.tolist()
    ('saddle', [-2.0, 2.0])
    """
    if not isinstance(x, Tensor):
        x = Tensor(np.asarray(x, dtype=np.float64))
    if not backend.is_floating(x.dtype):
        raise TypeError(f"second_derivative_test: x must be floating point, got {x.dtype}")
    point = x.detach().to(float64)
    n = point.numel()

    def scalar(p: Tensor) -> Tensor:
        out = func(p)
        if not isinstance(out, Tensor) or out.numel() != 1:
            shape = getattr(out, "shape", type(out).__name__)
            raise ValueError(f"second_derivative_test: func must return a one-element Tensor, "
                             f"got {shape}")
        return out.reshape(())

    leaf = point.clone().requires_grad_()
    out = scalar(leaf)
    if out.requires_grad:
        (g,) = grad(out, leaf, allow_unused=True)
        grad_norm = 0.0 if g is None else float(np.linalg.norm(g.numpy()))
    else:
        grad_norm = 0.0
    h = hessian(scalar, point).numpy().reshape(n, n).astype(np.float64)
    # tg.linalg.eigvalsh (LAPACK's eigh): a NaN in the Hessian comes out as a NaN eigenvalue,
    # so the point is "inconclusive" (NumPy's eigvalsh turned [[nan, 0], [0, 1]] into [0, -0])
    eig = eigvalsh(Tensor(0.5 * (h + h.T))).numpy()
    if not np.isfinite(grad_norm) or not np.all(np.isfinite(eig)):
        return "inconclusive", eig
    if grad_norm > tol:
        return "inconclusive", eig
    zero = tol * max(1.0, float(np.max(np.abs(eig))) if n else 1.0)
    pos, neg = bool(np.any(eig > zero)), bool(np.any(eig < -zero))
    if pos and neg:
        return "saddle", eig
    if n and np.all(eig > zero):
        return "minimum", eig
    if n and np.all(eig < -zero):
        return "maximum", eig
    return "inconclusive", eig


def top_hessian_eigenvalue(loss_fn: Callable[[], Tensor], params: Iterable[Tensor],
                           iters: int = 100, tol: float = 1e-6, seed: int = 0) -> float:
    """The Hessian eigenvalue of largest magnitude, by power iteration on HVPs.

    ``loss_fn()`` takes no arguments and returns the scalar loss computed from ``params`` (a
    closure, as optimizers' closures are), e.g. ``lambda: F.cross_entropy(model(x), y)`` with
    ``params = model.parameters()``; every parameter must require grad. The loss and its gradient
    are built once; each iteration is one more backward pass through the gradient's graph (a
    Hessian-vector product, reverse over reverse), so the Hessian is never formed.

    Starting from a random unit direction drawn with ``seed``, it iterates ``v <- Hv / |Hv|`` and
    stops after ``iters`` products or when the Rayleigh quotient ``v . Hv`` changes by less than
    ``tol * max(1, |value|)``. The result is that signed Rayleigh quotient, as a Python float: the
    largest eigenvalue in magnitude, which at a minimum (a positive semi-definite Hessian) is the
    largest eigenvalue, the usual measure of a minimum's sharpness.

    >>> import tinygrad_gd as tg
    >>> w = tg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    >>> loss = lambda: 3.0 * w[0] ** 2 + 0.5 * w[1] ** 2   # Hessian diag(6, 1)
    >>> round(tg.top_hessian_eigenvalue(loss, [w]), 6)
    6.0
    """
    params = list(params)
    if not params:
        raise ValueError("top_hessian_eigenvalue: params is empty")
    for i, p in enumerate(params):
        if not isinstance(p, Tensor) or not p.requires_grad:
            raise ValueError(f"top_hessian_eigenvalue: parameter {i} must be a Tensor that "
                             "requires grad")
    if iters < 1:
        raise ValueError(f"top_hessian_eigenvalue: iters must be at least 1, got {iters}")
    loss = loss_fn()
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        raise ValueError("top_hessian_eigenvalue: loss_fn must return a one-element Tensor")
    # The gradient's graph is built once and each product is one more backward pass through
    # it: measured faster per product than a fresh forward-over-reverse tg.hvp (1.0 vs 1.9 ms,
    # softmax regression 784-10; examples/forward_vs_reverse.py), as optim.Newton does.
    grads = grad(loss.reshape(()), params, create_graph=True, allow_unused=True)
    live = [(p, g) for p, g in zip(params, grads) if g is not None and g.requires_grad]
    if not live:
        return 0.0  # the loss is at most linear in the parameters: the Hessian is zero
    rng = np.random.default_rng(seed)
    vs = [rng.standard_normal(p.shape) for p, _ in live]
    value = 0.0
    for k in range(iters):
        norm = np.sqrt(sum(float(np.sum(v * v)) for v in vs))
        if norm == 0.0:
            return 0.0
        vs = [v / norm for v in vs]
        dot = None
        for (_, g), v in zip(live, vs):
            term = (g * Tensor(v, dtype=g.dtype, device=g.device)).sum()
            dot = term if dot is None else dot + term
        hvs = grad(dot, [p for p, _ in live], retain_graph=True, allow_unused=True)
        hvs = [np.zeros(p.shape) if h is None else h.numpy().astype(np.float64)
               for (p, _), h in zip(live, hvs)]
        new = sum(float(np.sum(v * h)) for v, h in zip(vs, hvs))
        if k > 0 and abs(new - value) <= tol * max(1.0, abs(new)):
            return new
        value, vs = new, hvs
    return value
