"""Gradient descent stuck at a saddle point while stochastic gradient descent escapes.

The loss is an average over a small data set of pairs (a_i, b_i), each in {-1, +1}::

    L(x, y) = mean_i [ (x - a_i)^2 / 2 + y^4 / 4 - y^2 / 2 + b_i * y ]
            = x^2 / 2 + y^4 / 4 - y^2 / 2 + 1/2                      (the a_i and b_i average to 0)

(0, 0) is a saddle (Hessian eigenvalues 1 and -1) and (0, +-1) are the minima. From (2, 0) the
full-batch gradient has no y component, ever, so gradient descent slides into the saddle and stays
there: the gradient vanishes and nothing tells it to leave. A mini-batch gradient has a random y
component (the b_i of the batch no longer cancel), which the negative curvature amplifies: SGD
leaves the saddle and settles in a minimum. The table classifies each end point with the full
loss's gradient and Hessian (``tg.second_derivative_test``).

    python examples/saddle.py
"""

from __future__ import annotations

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import data, optim

N, STEPS, LR = 64, 400, 0.1


def dataset() -> tuple[np.ndarray, np.ndarray]:
    # +-1 in equal numbers: the means are exactly 0 in floating point, so the saddle is exact
    a = np.tile([1.0, -1.0], N // 2)
    b = np.repeat([1.0, -1.0], N // 2)
    return a, b


def loss(w: tg.Tensor, a: tg.Tensor, b: tg.Tensor) -> tg.Tensor:
    x, y = w[0], w[1]
    return (0.5 * (x - a) ** 2 + y ** 4 / 4 - y ** 2 / 2 + b * y).mean()


def run(batch_size: int | None, momentum: float = 0.0, seed: int = 0) -> np.ndarray:
    a, b = dataset()
    w = tg.tensor([2.0, 0.0], dtype="float64", requires_grad=True)
    opt = optim.GD([w], lr=LR) if batch_size is None and momentum == 0 else optim.SGD(
        [w], lr=LR, momentum=momentum)
    loader = data.DataLoader(data.TensorDataset(tg.tensor(a), tg.tensor(b)),
                             batch_size=batch_size, shuffle=True, seed=seed)
    step = 0
    while step < STEPS:
        for ab, bb in loader:
            # the last 100 steps use a smaller step, so SGD's noise settles near its minimum
            for group in opt.param_groups:
                group["lr"] = LR if step < STEPS - 100 else LR / 20
            opt.zero_grad()
            loss(w, ab, bb).backward()
            opt.step()
            step += 1
            if step == STEPS:
                break
    return w.detach().numpy()


def main() -> None:
    """Print where each method ends and what kind of point that is."""
    a, b = dataset()
    at, bt = tg.tensor(a), tg.tensor(b)
    full = lambda w: loss(w, at, bt)  # noqa: E731 - the full-batch loss, for the analysis
    print(f"L(x, y) averaged over {N} points; start (2, 0); {STEPS} steps, lr {LR}")
    print(f"{'method':<28} {'x':>8} {'y':>8} {'L':>8} {'|grad L|':>9} {'eig min':>8}  point")
    runs = [("GD (full batch)", dict(batch_size=None)),
            ("GD + momentum 0.9", dict(batch_size=None, momentum=0.9)),
            ("SGD, batch 1", dict(batch_size=1)),
            ("SGD, batch 8", dict(batch_size=8)),
            ("SGD, batch 8, momentum 0.9", dict(batch_size=8, momentum=0.9))]
    for name, kwargs in runs:
        end = run(**kwargs)
        w = tg.tensor(end, requires_grad=True)
        value = full(w)
        (g,) = tg.grad(value, [w])
        _, eig = tg.second_derivative_test(full, tg.tensor(end))
        kind = "saddle" if eig.min() < -1e-6 else "minimum"
        print(f"{name:<28} {end[0]:>8.4f} {end[1]:>8.4f} {value.item():>8.4f} "
              f"{np.linalg.norm(g.numpy()):>9.1e} {eig.min():>8.3f}  {kind}")


if __name__ == "__main__":
    main()
