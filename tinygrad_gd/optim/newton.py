"""Newton's method: exact (Hessian from HVPs) or Hessian-free (conjugate gradient on HVPs)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .. import backend
from ..autograd import enable_grad, engine, no_grad
from ..autograd.functional import grad as autograd_grad
from ..tensor import Tensor
from . import line_search as ls
from .optimizer import Optimizer, Params, _check_range

#: The largest parameter count ``solver="exact"`` accepts by default: it runs one HVP per
#: parameter and stores an n x n Hessian (1000 parameters: 1000 HVPs and 8 MB in float64).
MAX_EXACT_PARAMS = 1000


class Newton(Optimizer):
    """Damped Newton's method with an optional line search; ``step`` needs a ``closure``.

    Each step solves for the direction ``d`` and moves ``x <- x + t * d``::

        (H + lam * I) d = -g,      g = grad f(x),  H = Hessian of f at x

    - ``solver="exact"`` forms ``H`` column by column from Hessian-vector products (one per
      parameter; at most ``max_exact_params``, default ``MAX_EXACT_PARAMS`` = 1000) and solves
      through its eigendecomposition. ``lam = damping`` (Levenberg), raised to
      ``-lambda_min(H) + max(damping, 1e-3 * |lambda|_max)`` when ``H + damping * I`` is not
      positive definite, so ``d`` is always a descent direction, even at a saddle.
    - ``solver="cg"`` never forms ``H``: conjugate gradient on ``v -> H v + lam * v`` (HVPs by
      reverse-over-reverse), stopping when the residual falls below ``cg_tol * |g|``, after
      ``cg_max_iter`` iterations (default ``min(2 n, 1000)``), or at the first direction of
      negative curvature (then ``d`` is the last iterate, or ``-g`` if that was the first).

    The step size ``t`` is ``lr`` (``line_search=None``), the Armijo backtracking step from
    ``lr`` (``"backtracking"``, see ``line_search.backtracking``), or the best of
    ``lr * line_search.DEFAULT_GRID`` (``"grid"``).

    The closure re-evaluates the loss and returns it. It may be torch's ``LBFGS`` closure
    (``opt.zero_grad(); loss = f(); loss.backward(); return loss``) or return the loss without
    calling ``backward()``: Newton differentiates the loss itself, twice, so while it runs a
    closure every backward pass keeps its graph (the closure's own ``backward()`` would free
    it), and the line search evaluates a closure that calls ``backward()`` with gradients on
    (a loss-only closure runs under ``no_grad`` there). ``stats`` holds the last
    step's figures: ``loss``, ``grad_norm``, ``hvps``, ``cg_iters``, ``damping``, ``step`` (the
    step size taken) and ``evaluations`` (calls of the closure).

    >>> import tinygrad_gd as tg
    >>> x = tg.tensor([3.0, -1.0], dtype="float64", requires_grad=True)
    >>> opt = tg.optim.Newton([x])
    >>> loss = opt.step(lambda: ((x - 1) ** 2).sum() + (x[0] * 2) ** 2)
    >>> [round(v, 12) for v in x.tolist()]       # a quadratic: one step lands on the minimum
    [0.2, 1.0]
    """

    def __init__(self, params: Params, lr: float = 1.0, damping: float = 0.0,
                 solver: str = "exact", line_search: str | None = None, cg_tol: float = 1e-10,
                 cg_max_iter: int | None = None, max_exact_params: int = MAX_EXACT_PARAMS,
                 c: float = 1e-4, rho: float = 0.5) -> None:
        if solver not in ("exact", "cg"):
            raise ValueError(f"solver must be 'exact' or 'cg', got {solver!r}")
        if line_search not in (None, "backtracking", "grid"):
            raise ValueError(f"line_search must be None, 'backtracking' or 'grid', got "
                             f"{line_search!r}")
        if cg_max_iter is not None and (not isinstance(cg_max_iter, int) or cg_max_iter < 1):
            raise ValueError(f"cg_max_iter must be a positive int or None, got {cg_max_iter!r}")
        _check_range("cg_tol", cg_tol, 0.0)
        super().__init__(params, {"lr": lr, "damping": damping})
        if len(self.param_groups) != 1:
            raise ValueError("Newton supports a single parameter group (it solves one linear "
                             "system over all parameters)")
        self.solver, self.line_search = solver, line_search
        self.cg_tol, self.cg_max_iter = cg_tol, cg_max_iter
        self.max_exact_params, self.c, self.rho = max_exact_params, c, rho
        params_ = self.param_groups[0]["params"]
        if solver == "exact":
            n = sum(p.numel() for p in params_)
            if n > max_exact_params:
                raise ValueError(f"Newton(solver='exact') forms the {n} x {n} Hessian; that is "
                                 f"more than max_exact_params={max_exact_params} parameters. "
                                 "Use solver='cg' (Hessian-free) or raise max_exact_params")
        self.stats: dict[str, Any] = {}

    def _validate(self, group):
        super()._validate(group)
        _check_range("damping", group["damping"], 0.0)
        if not group["lr"] > 0:
            raise ValueError(f"invalid learning rate: {group['lr']!r} (Newton needs lr > 0)")

    # ---------------------------------------------------------------------- flat vectors
    @staticmethod
    def _flat(arrays: Sequence[Any], xp: Any) -> Any:
        return xp.concatenate([a.reshape(-1) for a in arrays])

    def _split(self, flat: Any, params: Sequence[Tensor]) -> list[Any]:
        out, i = [], 0
        for p in params:
            out.append(flat[i:i + p.numel()].reshape(p.shape))
            i += p.numel()
        return out

    def _write(self, params: Sequence[Tensor], flat: Any) -> None:
        for p, v in zip(params, self._split(flat, params)):
            p.data[...] = v
            p._version[0] += 1

    # -------------------------------------------------------------------------- the step
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor:
        """One Newton step; returns the loss at the starting point."""
        if closure is None:
            raise RuntimeError("Newton.step() needs a closure that re-evaluates the loss and "
                               "returns it: opt.step(lambda: loss_fn(model(x), y)), or torch's "
                               "closure (zero_grad(); loss.backward(); return loss)")
        group = self.param_groups[0]
        params = group["params"]
        xp = backend.xp_of(params[0].data)
        for p in params:  # a grad after the closure tells that it called backward()
            p.grad = None
        with enable_grad():
            loss = self._evaluate(closure)
            self._check_loss(loss)
            self._calls_backward = any(p.grad is not None for p in params)
            grads = autograd_grad(loss, params, create_graph=True, allow_unused=True)
        g_list = [g.data if g is not None else xp.zeros_like(p.data)
                  for g, p in zip(grads, params)]
        g = self._flat(g_list, xp)
        counter = [0]

        def hvp(v: Any) -> Any:
            """H v through the graph of the gradient (kept alive by retain_graph)."""
            counter[0] += 1
            vs = self._split(v, params)
            with enable_grad():
                terms = [(gr * Tensor._make(vv, p.device)).sum()
                         for gr, vv, p in zip(grads, vs, params)
                         if gr is not None and gr.requires_grad]
                if not terms:  # the gradient does not depend on the parameters: H = 0
                    return xp.zeros_like(v)
                total = terms[0]
                for t in terms[1:]:
                    total = total + t
                hv = autograd_grad(total, params, retain_graph=True, allow_unused=True)
            return self._flat([h.data if h is not None else xp.zeros_like(p.data)
                               for h, p in zip(hv, params)], xp)

        if self.solver == "exact":
            d, lam, iters = self._exact_direction(hvp, g, group["damping"], xp)
        else:
            d, lam, iters = self._cg_direction(hvp, g, group["damping"], xp)
        slope = float(g @ d)
        if not slope < 0:  # only when g = 0 or CG stopped at once: fall back to steepest descent
            d, slope = -g, -float(g @ g)
        loss0 = float(loss.item())
        x0 = self._flat([p.data for p in params], xp).copy()
        t, evals = self._step_size(closure, params, x0, d, loss0, slope, group["lr"], xp)
        for p, gp in zip(params, g_list):  # the gradient at the start (a line search's closure
            p.grad = Tensor._make(gp.copy(), p.device)  # may have left another)
        self._write(params, x0 + t * d)
        self.stats = {"loss": loss0, "grad_norm": math.sqrt(float(g @ g)), "hvps": counter[0],
                      "cg_iters": iters, "damping": lam, "step": t, "evaluations": 1 + evals}
        return loss.detach()

    @staticmethod
    def _evaluate(closure: Callable[[], Any]) -> Any:
        """``closure()`` with every backward pass keeping its graph (see the class docstring)."""
        before = engine.KEEP_GRAPHS[0]
        engine.KEEP_GRAPHS[0] = True
        try:
            return closure()
        finally:
            engine.KEEP_GRAPHS[0] = before

    @staticmethod
    def _check_loss(loss: Any) -> None:
        if not isinstance(loss, Tensor) or loss.numel() != 1:
            raise TypeError("Newton's closure must return the loss as a one-element Tensor, got "
                            f"{type(loss).__name__}"
                            + (f" of shape {loss.shape}" if isinstance(loss, Tensor) else ""))
        if loss.grad_fn is not None and getattr(loss.grad_fn, "freed", False):
            raise RuntimeError("Newton's closure called backward() on the loss, which freed its "
                               "graph; return the loss without calling backward()")
        if not loss.requires_grad:
            raise RuntimeError("Newton's closure returned a loss that does not depend on the "
                               "parameters (or was computed under no_grad)")

    def _exact_direction(self, hvp, g, damping, xp):
        n = g.shape[0]
        eye = xp.eye(n, dtype=g.dtype)
        hess = xp.stack([hvp(eye[i]) for i in range(n)], axis=1)
        hess = (hess + hess.T) / 2  # symmetric in exact arithmetic; make it so in floating point
        w, vecs = xp.linalg.eigh(hess)
        scale = max(float(xp.abs(w).max()), 1e-300)
        lam = damping
        w_min = float(w.min())
        if w_min + lam <= 1e-12 * scale:  # not positive definite: shift past the lowest mode
            lam = -w_min + max(damping, 1e-3 * scale)
        d = -(vecs @ ((vecs.T @ g) / (w + lam)))
        return d, lam, 0

    def _cg_direction(self, hvp, g, damping, xp):
        n = g.shape[0]
        max_iter = self.cg_max_iter or min(2 * n, 1000)
        d = xp.zeros_like(g)
        r = -g  # residual of (H + lam I) d = -g at d = 0
        p = r.copy()
        rr = float(r @ r)
        tol = self.cg_tol * math.sqrt(float(g @ g))
        iters = 0
        for iters in range(1, max_iter + 1):
            if math.sqrt(rr) <= tol:
                iters -= 1
                break
            hp = hvp(p) + damping * p
            curvature = float(p @ hp)
            if curvature <= 0:  # negative curvature along p: the quadratic model has no minimum
                if iters == 1:
                    d = p  # = -g: steepest descent
                break
            alpha = rr / curvature
            d = d + alpha * p
            r = r - alpha * hp
            rr_new = float(r @ r)
            p = r + (rr_new / rr) * p
            rr = rr_new
        return d, damping, iters

    def _step_size(self, closure, params, x0, d, loss0, slope, lr, xp) -> tuple[float, int]:
        """The step size and how many extra evaluations of the loss it took."""
        if self.line_search is None:
            return lr, 0

        def phi(t: float) -> float:
            self._write(params, x0 + t * d)
            # a closure that calls backward() needs a graph; a loss-only one needs none
            with enable_grad() if self._calls_backward else no_grad():
                value = closure()
            return float(value.item()) if isinstance(value, Tensor) else float(value)

        if self.line_search == "backtracking":
            result = ls.backtracking(phi, loss0, slope, t0=lr, c=self.c, rho=self.rho)
        else:
            result = ls.grid(phi, [lr * s for s in ls.DEFAULT_GRID], phi0=loss0)
        return result.step, result.evaluations
