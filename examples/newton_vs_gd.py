"""Newton's method vs gradient descent: iterations to converge on curved functions.

Three functions, each minimised from the same start to ``|x - x*| < 1e-8`` (or the iteration
budget runs out):

- an ill-conditioned quadratic, f(x) = 1/2 sum_i c_i x_i^2 in 50 dimensions with curvatures
  c_i from 1 to 1000 (condition number 1000): GD with its best fixed step 2 / (c_min + c_max)
  needs ~ condition-number iterations; Newton lands on the minimum in one step;
- the Rosenbrock function (1 - x)^2 + 100 (y - x^2)^2 from (-1.2, 1): a curved valley where GD
  crawls; Newton with a backtracking line search takes a few dozen steps;
- an L2-regularised logistic regression on 500 MNIST images (digits 0 vs 1, 49 pooled pixels
  and a bias): GD with step 1/L needs its iterations on the flat directions; Newton converges
  quadratically once close.

Newton's step costs more (``exact``: one Hessian-vector product per parameter; ``cg``: one per CG
iteration) -- the table counts them beside the iterations.

    python examples/newton_vs_gd.py
"""

from __future__ import annotations

import time

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import data, optim

TOL = 1e-8


def quadratic():
    c = tg.tensor(np.geomspace(1.0, 1000.0, 50))
    return (lambda x: 0.5 * (c * x * x).sum()), np.ones(50), np.zeros(50), 2.0 / (1.0 + 1000.0)


def rosenbrock():
    def f(p):
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
    return f, np.array([-1.2, 1.0]), np.array([1.0, 1.0]), 1.5e-3


def logistic():
    ds = data.MNIST("train", verbose=False)
    keep = np.flatnonzero(ds.labels < 2)[:500]
    images = ds.images[keep].astype(np.float64) / 255.0
    x = images.reshape(-1, 7, 4, 7, 4).mean(axis=(2, 4)).reshape(-1, 49)  # 4x4 average pool
    x = np.hstack([x, np.ones((len(x), 1))])
    y = tg.tensor(ds.labels[keep].astype(np.float64))
    xt = tg.tensor(x)

    def f(w):
        z = xt @ w
        # the logistic loss log(1 + e^z) - y z (softplus is its stable form), plus an L2 term
        return (z.softplus() - y * z).mean() + 5e-3 * (w * w).sum()

    w0 = np.zeros(x.shape[1])
    # the minimiser, to full precision, by many Newton steps (pure Newton, lr 1 with no line
    # search, overshoots from 0 here: the backtracking is needed)
    w = tg.tensor(w0.copy(), requires_grad=True)
    opt = optim.Newton([w], solver="exact", line_search="backtracking")
    for _ in range(30):
        opt.step(lambda: f(w))
    # GD's best fixed step is 1 / L, L the largest curvature: 1/4 lambda_max(X^T X / n) + 0.01
    lipschitz = 0.25 * np.linalg.eigvalsh(x.T @ x / len(x)).max() + 1e-2
    return f, w0, w.detach().numpy(), 1.0 / lipschitz


def run(f, x0, x_star, make_opt, budget):
    x = tg.tensor(x0.copy(), dtype="float64", requires_grad=True)
    opt = make_opt(x)
    newton = isinstance(opt, optim.Newton)
    hvps = 0
    start = time.perf_counter()
    it = 0
    while it < budget:
        it += 1
        if newton:
            opt.step(lambda: f(x))
            hvps += opt.stats.get("hvps", 0)
        else:
            opt.zero_grad()
            f(x).backward()
            opt.step()
        err = np.linalg.norm(x.detach().numpy() - x_star)
        if err < TOL or not np.isfinite(err):
            break
    return it, err, hvps, time.perf_counter() - start


def main() -> None:
    """Print iterations, error, Hessian-vector products and time per method and function."""
    print(f"iterations to |x - x*| < {TOL:g}")
    print(f"{'function':<22} {'method':<30} {'iters':>7} {'|x - x*|':>9} {'HVPs':>6} "
          f"{'time s':>7}")
    for name, make in (("quadratic, cond 1000", quadratic), ("Rosenbrock", rosenbrock),
                       ("logistic regression", logistic)):
        f, x0, x_star, gd_lr = make()
        methods = [
            (f"GD, lr {gd_lr:.3g}", lambda p, lr=gd_lr: optim.GD([p], lr=lr), 40000),
            ("Newton (exact), backtracking",
             lambda p: optim.Newton([p], line_search="backtracking"), 200),
            ("Newton-CG, backtracking",
             lambda p: optim.Newton([p], solver="cg", line_search="backtracking"), 200),
        ]
        for label, make_opt, budget in methods:
            iters, err, hvps, seconds = run(f, x0, x_star, make_opt, budget)
            shown = f"{iters}" if err < TOL else f">{iters}"
            print(f"{name:<22} {label:<30} {shown:>7} {err:>9.1e} {hvps:>6} {seconds:>7.2f}")


if __name__ == "__main__":
    main()
