"""Schedulers made of other schedulers: ``SequentialLR`` (one after another) and
``ChainedScheduler`` (all at once, their factors multiplied)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from ..optimizer import Optimizer
from .base import LRScheduler
from .plateau import ReduceLROnPlateau


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` (restarted from its
    step 0) until ``milestones[1]``, and so on: e.g. a ``LinearLR`` warm-up, then cosine decay."""

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int], last_epoch: int = -1) -> None:
        if not schedulers:
            raise ValueError("SequentialLR needs at least one scheduler")
        for i, s in enumerate(schedulers):
            if getattr(s, "optimizer", None) is not optimizer:
                raise ValueError(f"SequentialLR: scheduler {i} ({type(s).__name__}) drives a "
                                 "different optimizer")
            if isinstance(s, ReduceLROnPlateau):
                raise ValueError("SequentialLR cannot run ReduceLROnPlateau (it steps on a "
                                 "metric)")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR needs one milestone fewer than schedulers: got "
                             f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        self.optimizer = optimizer
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for s in self._schedulers:  # undo the step 0 each scheduler took when it was made
            s.last_epoch -= 1
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:  # type: ignore[override]
        """Advance the active scheduler (restarting the next one at its milestone)."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        s = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            s._set_epoch(0)  # the next schedule starts from its own beginning
        else:
            s.step()
        self._last_lr = s.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """Own counters plus each inner scheduler's state_dict."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict()``, inner schedulers included."""
        state = dict(state_dict)
        inner = state.pop("_schedulers")
        self.__dict__.update(state)
        for s, sd in zip(self._schedulers, inner):
            s.load_state_dict(sd)
        self._restore_lrs()  # the inner ones restored their own, maybe stale, lrs


class ChainedScheduler(LRScheduler):
    """Step several schedulers at once; their effects multiply, as torch's chain of its
    chainable (recursive) schedulers::

        lr_t = initial_lr * prod_i (lr_i(t) / initial_lr)

    where ``lr_i(t)`` is scheduler ``i``'s own closed-form value. This equals torch's sequence
    for the multiplicative schedules (``StepLR``, ``MultiStepLR``, ``ExponentialLR``,
    ``LinearLR``, ``ConstantLR``, ``PolynomialLR``, ``MultiplicativeLR``, ``CosineAnnealingLR``
    with ``eta_min=0``). It differs where torch's recursion is not a product of factors: a
    ``CosineAnnealingLR`` with ``eta_min > 0``, and torch's non-chainable closed forms
    (``LambdaLR``, the cyclic ones), which there overwrite the lr at each step and so discard
    the other schedulers' accumulated effect; here their factor multiplies like the others'.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd.optim import lr_scheduler as S
    >>> opt = tg.optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    >>> chain = S.ChainedScheduler([S.ConstantLR(opt, factor=0.1, total_iters=2),
    ...                             S.ExponentialLR(opt, gamma=0.5)])
    >>> lrs = [chain.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     opt.step()
    ...     chain.step()
    ...     lrs.append(chain.get_last_lr()[0])
    >>> lrs
    [0.1, 0.05, 0.25, 0.125]
    """

    def __init__(self, schedulers: Sequence[LRScheduler],
                 optimizer: Optimizer | None = None) -> None:
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError("ChainedScheduler expects at least one scheduler")
        optimizer = optimizer or schedulers[0].optimizer
        for i, s in enumerate(schedulers):
            if isinstance(s, ReduceLROnPlateau):
                raise ValueError("ChainedScheduler cannot chain ReduceLROnPlateau (it steps on "
                                 "a metric)")
            if getattr(s, "optimizer", None) is not optimizer:
                raise ValueError(f"ChainedScheduler: scheduler {i} ({type(s).__name__}) drives "
                                 "a different optimizer")
        self.optimizer = optimizer
        self._schedulers = schedulers
        self._combine()

    def _combine(self) -> None:
        """Write the product of every scheduler's factor into the groups."""
        groups = self.optimizer.param_groups
        lrs = [g["initial_lr"] for g in groups]
        for s in self._schedulers:
            own = s.get_last_lr()
            lrs = [lr * (o / b) if b else o for lr, o, b in zip(lrs, own, s.base_lrs)]
            s._last_lr = list(lrs)  # as torch's: each sees the lr after its own step
        for g, lr in zip(groups, lrs):
            g["lr"] = lr
        self._last_lr = list(lrs)

    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler, then set the product of their factors."""
        for s in self._schedulers:
            s.step()
        self._combine()

    @property
    def last_epoch(self) -> int:  # type: ignore[override]
        """The first scheduler's ``last_epoch``."""
        return self._schedulers[0].last_epoch

    def state_dict(self) -> dict[str, Any]:
        """Own state plus each inner scheduler's state_dict."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict()``, inner schedulers included."""
        state = dict(state_dict)
        inner = state.pop("_schedulers")
        self.__dict__.update(state)
        for s, sd in zip(self._schedulers, inner):
            s.load_state_dict(sd)
        self._combine()
