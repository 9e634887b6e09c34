"""A gradient-descent optimizer written by hand vs the built-in ``optim.SGD``, on MNIST.

The whole of gradient descent with momentum is a few lines once autodiff gives ``p.grad``::

    v <- momentum * v + grad          (v = grad at the first step)
    p <- p - lr * v

``HandSGD`` below is exactly that, with in-place Tensor ops under ``no_grad``. Trained from the
same initial weights on the same batches, it ends with the built-in optimizer's weights (to
float32 rounding) and the same test accuracy.

    python examples/custom_optimizer.py [--epochs 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import evaluate, mlp, mnist_arrays, positive_int, train_epochs

import tinygrad_gd as tg
from tinygrad_gd import data, optim


class HandSGD:
    """Gradient descent with (heavy-ball) momentum, from scratch: ``zero_grad`` and ``step``."""

    def __init__(self, params, lr: float, momentum: float = 0.0) -> None:
        self.params, self.lr, self.momentum = list(params), lr, momentum
        self.velocity: list[tg.Tensor | None] = [None] * len(self.params)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @tg.no_grad()
    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            v = self.velocity[i]
            if self.momentum == 0:
                v = p.grad
            elif v is None:
                v = p.grad.clone()
            else:
                v.mul_(self.momentum).add_(p.grad)
            self.velocity[i] = v
            p.sub_(v * self.lr)


def main() -> None:
    """Train the same MLP with both optimizers and compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=positive_int, default=3)
    args = parser.parse_args()
    (x, y), (xt, yt) = mnist_arrays()
    print(f"MLP 784-256-256-10, {len(y)} training images, batch 64, {args.epochs} epochs")
    print(f"{'optimizer':<44} {'s/epoch':>8} {'test acc':>9} {'max |w - w_builtin|':>20}")
    for lr, momentum in ((0.1, 0.0), (0.05, 0.9)):
        results = {}
        makers = {"built-in optim.SGD": lambda p, lr=lr, m=momentum: optim.SGD(p, lr=lr,
                                                                              momentum=m),
                  "hand-written HandSGD": lambda p, lr=lr, m=momentum: HandSGD(p, lr, m)}
        for name, make in makers.items():
            model = mlp(seed=0)
            loader = data.DataLoader(data.TensorDataset(x, y), batch_size=64, shuffle=True,
                                     seed=0)
            start = time.perf_counter()
            train_epochs(model, make(model.parameters()), loader, args.epochs)
            seconds = (time.perf_counter() - start) / args.epochs
            weights = np.concatenate([p.numpy().ravel() for p in model.parameters()])
            results[name] = (seconds, evaluate(model, xt, yt)[1], weights)
        reference = results["built-in optim.SGD"][2]
        for name, (seconds, acc, weights) in results.items():
            label = f"{name}, lr {lr}, momentum {momentum}"
            print(f"{label:<44} {seconds:>8.2f} {acc:>9.4f} "
                  f"{np.abs(weights - reference).max():>20.2e}")


if __name__ == "__main__":
    main()
