"""Reduce-on-plateau with early stopping: halve the rate when validation stalls, stop when it
no longer improves, and keep the best weights.

Trains the MLP on 5,000 images with 500 of them held out for validation (never the test set),
through ``examples/train_mnist.py --schedule plateau --early-stopping``: ``ReduceLROnPlateau``
halves the learning rate after 1 epoch without a better validation loss, and
``EarlyStopping(patience=5)`` stops after 5 and restores the weights of the best epoch. The table
shows each epoch; the last lines compare the restored best weights with the last iterate.

    python examples/plateau_early_stopping.py [--epochs 40]
"""

from __future__ import annotations

import argparse
import tempfile

import train_mnist


def main() -> None:
    """Print the per-epoch history and where it stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--limit", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = train_mnist.main(["--schedule", "plateau", "--early-stopping", "--patience", "5",
                                   "--epochs", str(args.epochs), "--limit", str(args.limit),
                                   "--quiet", "--out", tmp])
    history = result["history"]
    best = min(history, key=lambda h: h["val_loss"])
    print(f"\n{'epoch':>5} {'lr':>8} {'train loss':>11} {'val loss':>9} {'test acc':>9}")
    for h in history:
        note = " <- best" if h is best else (" <- stop" if h.get("early_stop") else "")
        print(f"{h['epoch']:>5} {h['lr']:>8.4f} {h['train_loss']:>11.4f} {h['val_loss']:>9.4f} "
              f"{h['test_acc']:>9.4f}{note}")
    stopped = "stopped early" if history[-1].get("early_stop") else "ran to the last epoch"
    print(f"\n{stopped} after {len(history)} of {args.epochs} epochs; best validation loss at "
          f"epoch {best['epoch']}")
    print(f"test accuracy: last iterate {history[-1]['test_acc']:.4f}, restored best weights "
          f"{result['test_acc']:.4f}")


if __name__ == "__main__":
    main()
