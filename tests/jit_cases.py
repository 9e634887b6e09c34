"""Pieces shared by the ``tg.jit`` tests: data, the models, the training step, and a run of
the same steps eagerly and jitted."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F


class Hidden:
    """A callable object that returns its tensor: tg.jit's state search does not look inside
    callable objects, so the tensor is state the search misses."""

    def __init__(self, tensor):
        self.tensor = tensor

    def __call__(self):
        return self.tensor


def data(shape, classes, n=10, seed=0):
    """``n`` float32 batches of ``shape`` and their labels in ``[0, classes)``, as arrays."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n,) + shape).astype(np.float32),
            rng.integers(0, classes, (n, shape[0])))


def mlp():
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                         nn.Linear(32, 5))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Dropout(0.3), nn.Linear(32, 5))


def step_fn(model, opt, clip=None, loss_fn: Callable = F.cross_entropy):
    """The training step of these tests: zero_grad, the loss, backward (gradients clipped to
    norm ``clip`` if given), step."""
    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        return loss
    return step


def eager_and_jitted(make: Callable, batches: list, calls: int, device: str = "cpu",
                     **step_options) -> list:
    """``calls`` steps over ``batches`` (Tensor pairs, in turn), eagerly then under ``tg.jit``,
    each from ``tg.manual_seed(0)`` and ``make() -> (model, optimizer)``: per run, the losses,
    the final parameters and the step function."""
    runs = []
    for use_jit in (False, True):
        tg.manual_seed(0)
        model, opt = make()  # (on ``device`` already)
        step = step_fn(model, opt, **step_options)
        fn = tg.jit(step, modules=[model], optimizers=[opt]) if use_jit else step
        losses = [fn(*(t.to(device) for t in batches[i % len(batches)])).item()
                  for i in range(calls)]
        runs.append((losses, [p.numpy().copy() for p in model.parameters()], fn))
    return runs


def assert_same(runs: list, atol: float = 1e-6) -> None:
    """The jitted run's losses and parameters equal the eager run's."""
    (losses, params, _), (jit_losses, jit_params, _) = runs
    np.testing.assert_allclose(jit_losses, losses, rtol=0, atol=atol)
    for a, b in zip(jit_params, params):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)
