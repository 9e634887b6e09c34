"""Stochastic weight averaging vs the last iterate.

Trains the MLP with SGD momentum 0.9 at lr 0.05 on 5,000 images; from epoch ``--swa-start`` on,
``SWALR`` holds the learning rate at ``--swa-lr`` and ``AveragedModel`` keeps the running mean
of the weights at the end of each epoch (through ``examples/train_mnist.py --swa``). The average
sits nearer the centre of the flat region the iterates bounce around in, so its test loss (and
often its accuracy) beats the last iterate's. Three seeds, to show the difference is not luck.

    python examples/swa.py [--epochs 20]
"""

from __future__ import annotations

import argparse
import tempfile

import train_mnist


def main() -> None:
    """Print last-iterate vs SWA test loss and accuracy per seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--swa-start", type=int, default=10)
    parser.add_argument("--swa-lr", type=float, default=0.05)
    parser.add_argument("--limit", type=int, default=5000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for seed in range(args.seeds):
        with tempfile.TemporaryDirectory() as tmp:
            result = train_mnist.main(["--swa", "--schedule", "none", "--swa-start",
                                       str(args.swa_start),
                                       "--swa-lr", str(args.swa_lr), "--epochs",
                                       str(args.epochs), "--limit", str(args.limit),
                                       "--seed", str(seed), "--quiet", "--out", tmp])
        last = result["history"][-1]
        rows.append((seed, last["test_loss"], last["test_acc"], result["swa_test_loss"],
                     result["swa_test_acc"]))
    print(f"\nMLP, {args.limit} images, {args.epochs} epochs, SWA over epochs "
          f"{args.swa_start + 1}..{args.epochs} at lr {args.swa_lr}")
    print(f"{'seed':>4} {'last loss':>10} {'last acc':>9} {'SWA loss':>9} {'SWA acc':>8}")
    for seed, loss, acc, swa_loss, swa_acc in rows:
        print(f"{seed:>4} {loss:>10.4f} {acc:>9.4f} {swa_loss:>9.4f} {swa_acc:>8.4f}")


if __name__ == "__main__":
    main()
