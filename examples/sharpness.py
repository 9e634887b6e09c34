"""Flat vs sharp minima: small batches find flatter minima that generalise better.

The same MLP (784-256-256-10) trained on 5,000 MNIST images with SGD (momentum 0.9, lr 0.02) at
several batch sizes, each until its training loss falls below 0.01 (or the epoch budget ends).
At the end the table gives the sharpness of the minimum -- the largest eigenvalue of the
training loss's Hessian, found by power iteration on Hessian-vector products
(``tg.top_hessian_eigenvalue``; the Hessian, 270,000 x 270,000, is never formed) -- beside the
test accuracy. Keskar et al. (2017) observed large batches converging to sharper minima that
generalise worse; the gradient noise of small batches keeps them out of narrow valleys.

    python examples/sharpness.py [--max-epochs 600]
"""

from __future__ import annotations

import argparse
import time

from common import evaluate, mlp, mnist_arrays, positive_int

import tinygrad_gd as tg
from tinygrad_gd import data, optim
from tinygrad_gd.nn import functional as F

BATCHES = [32, 128, 512, 5000]
LR = 0.02


def top_eigenvalue(model, x, y) -> float:
    """Sharpness: the top Hessian eigenvalue of the loss on (x, y) w.r.t. all the weights."""
    return tg.top_hessian_eigenvalue(lambda: F.cross_entropy(model(x), y),
                                     list(model.parameters()), iters=50, tol=1e-4)


def main() -> None:
    """Train per batch size; print epochs, train loss, sharpness and test accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-epochs", type=positive_int, default=600)
    args = parser.parse_args()
    (x, y), (xt, yt) = mnist_arrays()
    xh, yh = tg.tensor(x[:2000]), tg.tensor(y[:2000])  # the Hessian is taken on 2,000 images
    print(f"MLP, {len(y)} training images, SGD momentum 0.9 lr {LR}, until train loss < 0.01")
    print(f"{'batch':>6} {'epochs':>7} {'train loss':>11} {'top eig(H)':>11} {'test acc':>9} "
          f"{'time s':>7}")
    for batch in BATCHES:
        model = mlp(seed=0)
        opt = optim.SGD(model.parameters(), lr=LR, momentum=0.9)
        loader = data.DataLoader(data.TensorDataset(x, y), batch_size=batch, shuffle=True,
                                 seed=0)
        start = time.perf_counter()
        train_loss = float("inf")
        epoch = 0
        while epoch < args.max_epochs:
            epoch += 1
            for xb, yb in loader:
                loss = F.cross_entropy(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
            train_loss, _ = evaluate(model, x, y)
            if train_loss < 0.01:
                break
        seconds = time.perf_counter() - start
        sharpness = top_eigenvalue(model, xh, yh)
        _, test_acc = evaluate(model, xt, yt)
        print(f"{batch:>6} {epoch:>7} {train_loss:>11.4f} {sharpness:>11.2f} {test_acc:>9.4f} "
              f"{seconds:>7.1f}")


if __name__ == "__main__":
    main()
