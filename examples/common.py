"""Helpers shared by the example scripts: MNIST arrays, the MLP, training and evaluation loops.

Each example runs in a few minutes on two CPU cores: by default they use the first 5,000
training images (the whole bundled subset when the full MNIST is not around) and 1,000 test
images. The full files are used when ``tinygrad_gd.data.MNIST`` finds them.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import data, nn
from tinygrad_gd.nn import functional as F


def positive_int(text: str) -> int:
    """An argparse type for counts that must be at least 1 (epochs, steps)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def mnist_arrays(n_train: int = 5000, n_test: int = 1000):
    """``(x_train, y_train), (x_test, y_test)``: float32 (N, 784) normalised inputs, int64 labels.

    Takes a class-balanced slice (the first ``n / 10`` of each digit) so small runs see every
    class equally, as the bundled subset does.
    """
    out = []
    for split, n in (("train", n_train), ("test", n_test)):
        ds = data.MNIST(split, verbose=split == "train")  # the subset's notice, once
        x, y = ds.as_arrays()
        idx = np.sort(np.concatenate([np.flatnonzero(y == c)[:n // 10] for c in range(10)]))
        out.append((x[idx].reshape(len(idx), -1), y[idx]))
    return out


def mlp(hidden: tuple[int, ...] = (256, 256), seed: int = 0) -> nn.Module:
    """784-hidden-10 with ReLU, initialised from ``seed``."""
    tg.manual_seed(seed)
    sizes = (784, *hidden)
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], 10))


@tg.no_grad()
def evaluate(model: nn.Module, x: Any, y: Any) -> tuple[float, float]:
    """Mean cross-entropy and accuracy on arrays (or Tensors) ``x``, ``y``."""
    model.eval()
    logits = model(tg.tensor(x) if not isinstance(x, tg.Tensor) else x)
    yt = tg.tensor(y) if not isinstance(y, tg.Tensor) else y
    loss = F.cross_entropy(logits, yt).item()
    acc = (logits.argmax(axis=1) == yt).float().mean().item()
    model.train()
    return loss, acc


def train_epochs(model: nn.Module, opt: Any, loader: data.DataLoader, epochs: int,
                 scheduler: Any = None, per_batch: bool = False) -> float:
    """Train with cross-entropy for ``epochs``; return the seconds per epoch (mean)."""
    start = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if scheduler is not None and per_batch:
                scheduler.step()
        if scheduler is not None and not per_batch:
            scheduler.step()
    return (time.perf_counter() - start) / epochs
