"""Schedules given as a factor of the initial lr: ``LambdaLR``, ``MultiplicativeLR``,
``ConstantLR``, ``PolynomialLR`` (torch's names, arguments and sequences)."""

from __future__ import annotations

from collections.abc import Callable

from ..optimizer import Optimizer
from .base import LRScheduler

Lambda = Callable[[int], float]


def _lambdas(optimizer: Optimizer, lr_lambda: Lambda | list[Lambda], name: str) -> list[Lambda]:
    n = len(optimizer.param_groups)
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != n:
            raise ValueError(f"{name}: expected {n} lr_lambdas (one per parameter group), got "
                             f"{len(lr_lambda)}")
        fns = list(lr_lambda)
    else:
        fns = [lr_lambda] * n
    for f in fns:
        if not callable(f):
            raise TypeError(f"{name}: lr_lambda must be a function of the epoch, got "
                            f"{type(f).__name__}")
    return fns


class LambdaLR(LRScheduler):
    """``lr_t = initial_lr * lr_lambda(t)``: one function of the step for all groups, or a
    list with one per group.

    >>> import tinygrad_gd as tg
    >>> opt = tg.optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = tg.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 ** t)
    >>> lrs = []
    >>> for _ in range(3):
    ...     opt.step()
    ...     sched.step()
    ...     lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.5, 0.25, 0.125]
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Lambda | list[Lambda],
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _lambdas(optimizer, lr_lambda, type(self).__name__)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [b * f(self.last_epoch) for b, f in zip(self.base_lrs, self.lr_lambdas)]


class MultiplicativeLR(LRScheduler):
    """``lr_t = lr_{t-1} * lr_lambda(t)`` for ``t >= 1`` (``lr_0 = initial_lr``), kept as the
    running product of the factors (so the lr does not drift if something else writes it)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Lambda | list[Lambda],
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _lambdas(optimizer, lr_lambda, type(self).__name__)
        self._products: tuple[int, list[float]] = (0, [1.0] * len(self.lr_lambdas))
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        epoch, products = self._products
        t = self.last_epoch
        if t < epoch:  # a jump back (step(epoch)): start the product again
            epoch, products = 0, [1.0] * len(self.lr_lambdas)
        for k in range(epoch + 1, t + 1):
            products = [p * f(k) for p, f in zip(products, self.lr_lambdas)]
        self._products = (max(t, 0), products)
        return [b * p for b, p in zip(self.base_lrs, products)]


class ConstantLR(LRScheduler):
    """``lr_t = initial_lr * factor`` for ``t < total_iters``, then ``initial_lr``."""

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        if not 0 <= factor <= 1:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor!r}")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        f = self.factor if self.last_epoch < self.total_iters else 1.0
        return [b * f for b in self.base_lrs]


class PolynomialLR(LRScheduler):
    """``lr_t = initial_lr * (1 - min(t, total_iters) / total_iters) ** power``: polynomial
    decay to 0 over ``total_iters`` steps."""

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        if not isinstance(total_iters, int) or total_iters <= 0:
            raise ValueError(f"PolynomialLR: total_iters must be a positive int, got "
                             f"{total_iters!r}")
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        f = (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
        return [b * f for b in self.base_lrs]
