"""Random search vs random local search vs gradient descent, on the same loss and budget.

CS231n's three strategies for a linear classifier, on MNIST: the weights W (784 x 10) and bias of
a linear model, the multiclass SVM (hinge) loss on 5,000 training images, and the same budget of
1,000 steps for each:

1. random search: draw W afresh at random, keep the best seen;
2. random local search: perturb the best W by a small random step, keep it if the loss drops;
3. gradient descent: step along the negative gradient (one forward and one backward pass per
   step, which costs about as much as two or three loss evaluations).

In 7,850 dimensions a random direction is almost orthogonal to the gradient, so the searches
improve slowly (local search) or not at all (random search); the gradient gives the best local
direction at once.

    python examples/search_vs_gd.py [--steps 1000]
"""

from __future__ import annotations

import argparse
import time

from common import mnist_arrays

import tinygrad_gd as tg
from tinygrad_gd import optim
from tinygrad_gd.nn import functional as F


def main() -> None:
    """Print the loss and accuracies each strategy reaches."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    (x, y), (xt, yt) = mnist_arrays()
    x, y, xt, yt = tg.tensor(x), tg.tensor(y), tg.tensor(xt), tg.tensor(yt)

    def accuracy(w, b, inputs, labels):
        with tg.no_grad():
            return ((inputs @ w + b).argmax(axis=1) == labels).float().mean().item()

    strategies = [
        ("random search (std 0.01)", lambda p: optim.RandomSearch(p, std=0.01, seed=0)),
        ("random local search (step 1e-3)",
         lambda p: optim.RandomLocalSearch(p, step_size=1e-3, seed=0)),
        ("gradient descent (lr 0.01)", lambda p: optim.GD(p, lr=0.01)),
    ]
    print(f"linear classifier, multiclass SVM loss, {len(y)} training images, "
          f"{args.steps} steps each")
    print(f"{'strategy':<32} {'loss':>8} {'train acc':>9} {'test acc':>9} {'time s':>7}")
    for name, make in strategies:
        tg.manual_seed(0)
        w = (tg.randn(784, 10) * 0.001).requires_grad_()
        b = tg.zeros(10, requires_grad=True)
        opt = make([w, b])

        def loss_fn(w=w, b=b):
            return F.multi_margin_loss(x @ w + b, y)

        start = time.perf_counter()
        for _ in range(args.steps):
            if isinstance(opt, optim.GD):
                opt.zero_grad()
                loss_fn().backward()
                opt.step()
            else:
                opt.step(loss_fn)
        seconds = time.perf_counter() - start
        with tg.no_grad():
            loss = loss_fn().item()
        print(f"{name:<32} {loss:>8.4f} {accuracy(w, b, x, y):>9.4f} "
              f"{accuracy(w, b, xt, yt):>9.4f} {seconds:>7.2f}")


if __name__ == "__main__":
    main()
