"""Batch gradient descent vs stochastic vs mini-batch: time per epoch and accuracy.

The same MLP (784-256-256-10), the same 5,000 training images and the same number of epochs,
trained with plain SGD (no momentum) at batch sizes 1 (stochastic gradient descent), 16, 32, 128
and 5,000 (batch gradient descent: one update per epoch). Learning rates grow with the batch, as
the gradient's noise shrinks (values set by hand, not tuned per batch size).

Small batches make many cheap, noisy updates per epoch and reach a good accuracy in few epochs,
but each epoch costs more wall time (per-step overhead, small matrix products). Batch gradient
descent has the cheapest epoch and the most accurate gradient, yet with one update per epoch it is
still far from the others after the same number of epochs.

    python examples/batch_sizes.py [--epochs 3]
"""

from __future__ import annotations

import argparse

from common import evaluate, mlp, mnist_arrays, positive_int, train_epochs

from tinygrad_gd import data, optim

SETTINGS = [(1, 0.01), (16, 0.05), (32, 0.1), (128, 0.2), (None, 0.5)]


def main() -> None:
    """Print one row per batch size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=positive_int, default=3)
    args = parser.parse_args()
    (x, y), (xt, yt) = mnist_arrays()
    print(f"MLP 784-256-256-10, {len(y)} training images, {args.epochs} epochs of plain SGD; "
          f"accuracy on {len(yt)} test images")
    print(f"{'batch':>6} {'lr':>6} {'updates/epoch':>14} {'s/epoch':>8} {'train loss':>11} "
          f"{'test acc':>9}")
    for batch, lr in SETTINGS:
        model = mlp(seed=0)
        loader = data.DataLoader(data.TensorDataset(x, y), batch_size=batch, shuffle=True, seed=0)
        opt = optim.SGD(model.parameters(), lr=lr)
        seconds = train_epochs(model, opt, loader, args.epochs)
        train_loss, _ = evaluate(model, x, y)
        _, test_acc = evaluate(model, xt, yt)
        name = "full" if batch is None else str(batch)
        print(f"{name:>6} {lr:>6} {len(loader):>14} {seconds:>8.2f} {train_loss:>11.4f} "
              f"{test_acc:>9.4f}")


if __name__ == "__main__":
    main()
