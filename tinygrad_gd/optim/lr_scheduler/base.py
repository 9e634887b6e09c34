"""The base class of the learning-rate schedulers (see the package docstring)."""

from __future__ import annotations

import warnings
from functools import wraps
from typing import Any

from ..optimizer import Optimizer


def _track_step_called(optimizer: Optimizer) -> None:
    """Wrap ``optimizer.step`` (on the instance, once) to record that it ran, as torch does,
    so a scheduler stepped first can warn."""
    step = optimizer.step
    if getattr(step, "_wrapped_by_lr_sched", False):
        return

    @wraps(step)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        optimizer._opt_called = True  # type: ignore[attr-defined]
        return step(*args, **kwargs)

    wrapper._wrapped_by_lr_sched = True  # type: ignore[attr-defined]
    optimizer.step = wrapper  # type: ignore[method-assign]


def _check_order(scheduler: Any) -> None:
    """torch's warning for ``scheduler.step()`` before the first ``optimizer.step()``."""
    if not getattr(scheduler.optimizer, "_opt_called", False):
        warnings.warn("Detected call of `lr_scheduler.step()` before `optimizer.step()`. In "
                      "PyTorch 1.1.0 and later, you should call them in the opposite order: "
                      "`optimizer.step()` before `lr_scheduler.step()`. Failure to do this will "
                      "result in PyTorch skipping the first value of the learning rate "
                      "schedule.", UserWarning, stacklevel=3)


def _per_group(name: str, optimizer: Optimizer, value: Any) -> list[float]:
    """One value per parameter group (a scalar is repeated; a list must match the groups)."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"expected {n} values for {name} (one per parameter group), "
                             f"got {len(value)}")
        return list(value)
    return [value] * n


class LRScheduler:
    """Base class: ``step()``, ``get_last_lr()``, ``last_epoch``, ``state_dict()``.

    Subclasses implement ``get_lr()``: the lrs (one per group) at ``self.last_epoch``.

    >>> import tinygrad_gd as tg
    >>> opt = tg.optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = tg.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(sched.get_last_lr()[0])   # train one epoch with this lr, then:
    ...     sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    min_lr: float | list[float] = 0.0

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if not isinstance(last_epoch, int) or last_epoch < -1:
            raise ValueError(f"last_epoch must be an int >= -1, got {last_epoch!r}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                # setdefault: a second scheduler on the same optimizer keeps the first's base
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                                   "when resuming a scheduler with last_epoch >= 0; load the "
                                   "optimizer's state_dict first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        _track_step_called(optimizer)
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self.step()

    def get_lr(self) -> list[float]:  # pragma: no cover - abstract
        """The lr of each group at ``self.last_epoch``."""
        raise NotImplementedError

    def step(self, epoch: int | None = None) -> None:
        """Advance one step (or jump to ``epoch``, torch's deprecated form) and set the lrs."""
        if self._step_count == 1:
            _check_order(self)
        self._step_count += 1
        self._set_epoch(epoch)

    def _set_epoch(self, epoch: int | None) -> None:
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The lrs the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    @property
    def reached_min_lr(self) -> bool:
        """True when every group's lr is at or below its ``min_lr`` (a signal to stop)."""
        mins = _per_group("min_lr", self.optimizer, self.min_lr)
        return all(g["lr"] <= m * (1 + 1e-12) for g, m in zip(self.optimizer.param_groups, mins))

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (load the optimizer's own state separately) and
        functions (``lr_lambda``: they are code, not data)."""
        return {k: v for k, v in self.__dict__.items()
                if k != "optimizer" and not callable(v) and k != "lr_lambdas"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict()``; the next ``step()`` continues the schedule, and the groups
        get back the lr the schedule had reached."""
        self.__dict__.update(state_dict)
        self._restore_lrs()

    def _restore_lrs(self) -> None:
        # A scheduler built after the optimizer's state was loaded wrote its step-0 lr into the
        # groups (the closed forms do not read the current lr, unlike torch's recursive ones):
        # without this the first optimizer step after resuming would run at that lr.
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr
