"""``EarlyStopping``: stop when a validation metric stops improving, and keep the best weights."""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor


def _snapshot(model: Any) -> Any:
    """A copy of the weights: a Module's ``state_dict()`` (copied: it shares memory), or the
    arrays of a sequence of Tensors."""
    if hasattr(model, "state_dict") and hasattr(model, "load_state_dict"):
        return {k: Tensor._make(v.data.copy(), v.device) if isinstance(v, Tensor) else v
                for k, v in model.state_dict().items()}
    tensors = list(model)
    if not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("EarlyStopping keeps the weights of an nn.Module (anything with "
                        "state_dict/load_state_dict) or of a list of Tensors, got "
                        f"{type(model).__name__}")
    return [Tensor._make(t.data.copy(), t.device) for t in tensors]


def _restore(model: Any, snapshot: Any) -> None:
    if isinstance(snapshot, dict):
        model.load_state_dict(snapshot)
        return
    tensors = list(model)
    if len(tensors) != len(snapshot):
        raise ValueError(f"EarlyStopping saved {len(snapshot)} tensors but was given "
                         f"{len(tensors)} to restore")
    with no_grad():
        for t, s in zip(tensors, snapshot):
            t.data[...] = backend.to_device(s.data, t.device)
            t._version[0] += 1


class EarlyStopping:
    """Stop training once a metric has gone ``patience`` calls in a row without improving.

    ``step(metric, model)`` once per epoch returns True when it is time to stop. An improvement
    is ``metric < best - min_delta`` (``mode="min"``) or ``metric > best + min_delta``
    (``"max"``); NaN never improves. ``model`` (an ``nn.Module``, or a list of Tensors) is
    optional: when given, its weights are copied at each new best, and with ``restore_best``
    they are put back at the moment ``step`` says stop (or whenever ``restore(model)`` is
    called).

    >>> import tinygrad_gd as tg
    >>> w = tg.zeros(1, requires_grad=True)
    >>> stopper = tg.optim.EarlyStopping(patience=2)
    >>> for epoch, val_loss in enumerate([3.0, 2.0, 2.5, 2.2, 1.0]):
    ...     w.data[0] = epoch                       # "training" changes the weights
    ...     if stopper.step(val_loss, [w]):
    ...         break
    >>> epoch, stopper.best, stopper.best_epoch, w.item()   # stopped at 3; weights of epoch 1
    (3, 2.0, 1, 1.0)
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0, mode: str = "min",
                 restore_best: bool = True) -> None:
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be an int >= 0, got {patience!r}")
        if not (isinstance(min_delta, (int, float)) and min_delta >= 0):
            raise ValueError(f"min_delta must be a number >= 0, got {min_delta!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.patience, self.min_delta, self.mode = patience, float(min_delta), mode
        self.restore_best = restore_best
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = -1
        self.epoch = -1
        self.num_bad_epochs = 0
        self.should_stop = False
        self.best_state: Any = None

    def is_better(self, metric: float) -> bool:
        """Whether ``metric`` beats the best so far by more than ``min_delta``."""
        if math.isnan(metric):
            return False
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric: Any, model: Any = None) -> bool:
        """Record this epoch's ``metric``; return True when training should stop."""
        value = float(metric.item() if isinstance(metric, Tensor) else metric)
        self.epoch += 1
        if self.is_better(value):
            self.best, self.best_epoch, self.num_bad_epochs = value, self.epoch, 0
            if model is not None:
                self.best_state = _snapshot(model)
        else:
            self.num_bad_epochs += 1
        if self.num_bad_epochs and self.num_bad_epochs >= self.patience:
            self.should_stop = True
        # no best_state: the metric never improved (NaN from the start); nothing to restore
        if (self.should_stop and self.restore_best and model is not None
                and self.best_state is not None):
            self.restore(model)
        return self.should_stop

    __call__ = step

    def restore(self, model: Any) -> None:
        """Load the best weights seen into ``model``."""
        if self.best_state is None:
            raise RuntimeError("EarlyStopping has no saved weights: pass the model to step()")
        _restore(model, self.best_state)

    def state_dict(self) -> dict[str, Any]:
        """The counters, the best value and the best weights (plain data and Tensors)."""
        return {k: v for k, v in self.__dict__.items()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict()``."""
        self.__dict__.update(state_dict)
