"""Weight averaging: ``AveragedModel`` (SWA and EMA), ``SWALR``, ``update_bn``, and
``SnapshotEnsemble`` (the cyclic-restart ensemble of Huang et al., 2017).

SWA (Izmailov et al., 2018) averages the weights visited late in training, with a constant or
cyclic lr, which lands in a wider, flatter region than the last iterate. Averaged weights need
fresh BatchNorm statistics: ``update_bn`` recomputes them with one pass over the data.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from typing import Any

from .. import backend
from ..autograd import no_grad
from ..nn import Module
from ..tensor import Tensor
from .lr_scheduler import CosineAnnealingWarmRestarts, LRScheduler, _per_group
from .optimizer import Optimizer

AvgFn = Callable[[Tensor, Tensor, int], Tensor]


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """``avg_fn`` for an exponential moving average: ``avg <- decay * avg + (1 - decay) * new``."""
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay must be in [0, 1], got {decay!r}")

    def ema(averaged: Tensor, current: Tensor, num_averaged: int) -> Tensor:
        return averaged * decay + current * (1.0 - decay)

    return ema


def get_swa_avg_fn() -> AvgFn:
    """``avg_fn`` for the equal average: ``avg <- avg + (new - avg) / (n + 1)``."""

    def swa(averaged: Tensor, current: Tensor, num_averaged: int) -> Tensor:
        return averaged + (current - averaged) / (num_averaged + 1)

    return swa


def _is_batchnorm(m: Module) -> bool:
    """Modules with running statistics (BatchNorm1d/2d): what ``update_bn`` recomputes."""
    return (getattr(m, "running_mean", None) is not None
            and getattr(m, "running_var", None) is not None and hasattr(m, "momentum"))


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are the running average of ``model``'s.

    ``update_parameters(model)`` folds in the current weights: the first call copies them, the
    n-th (n >= 1 already averaged) sets ``avg <- avg + (w - avg) / (n + 1)``, the equal average
    of all the snapshots; ``avg_fn(avg, w, n)`` replaces that rule (``get_ema_avg_fn(decay)``:
    ``decay * avg + (1 - decay) * w``). With ``use_buffers=False`` (default) buffers are copied
    from ``model`` (recompute BatchNorm statistics with ``update_bn``); with ``True`` they are
    averaged too. Calling the averaged model runs the copy's ``forward``.

    >>> import tinygrad_gd as tg
    >>> from tinygrad_gd import nn
    >>> net = nn.Linear(2, 1)
    >>> swa = tg.optim.swa_utils.AveragedModel(net)
    >>> for value in (1.0, 2.0, 6.0):
    ...     with tg.no_grad():
    ...         _ = net.weight.fill_(value)
    ...     swa.update_parameters(net)
    >>> swa.module.weight.tolist()
    [[3.0, 3.0]]
    """

    def __init__(self, model: Module, device: Any = None, avg_fn: AvgFn | None = None,
                 use_buffers: bool = False) -> None:
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel needs an nn.Module, got {type(model).__name__}")
        module = copy.deepcopy(model)
        self.module = module.to(device) if device is not None else module
        self.avg_fn = avg_fn
        self.use_buffers = use_buffers
        first = next(iter(self.module.parameters()), None)
        dev = first.device if first is not None else "cpu"
        self.register_buffer("n_averaged", Tensor(backend.get_xp(dev).zeros((), dtype="int64"),
                                                  device=dev))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the averaged copy."""
        return self.module(*args, **kwargs)

    def _averaged(self, module: Module) -> list[Tensor]:
        tensors = list(module.parameters())
        if self.use_buffers:
            tensors += [b for b in module.buffers() if backend.is_floating(b.dtype)]
        return tensors

    @no_grad()
    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average."""
        mine, theirs = self._averaged(self.module), self._averaged(model)
        if len(mine) != len(theirs):
            raise ValueError(f"AveragedModel averages {len(mine)} tensors but the model given "
                             f"has {len(theirs)}: is it the model it was built from?")
        n = int(self.n_averaged.item())
        for avg, cur in zip(mine, theirs):
            if avg.shape != cur.shape:
                raise ValueError(f"AveragedModel: shape {cur.shape} where {avg.shape} was "
                                 "averaged")
            new = backend.to_device(cur.data, avg.device)
            if n == 0:
                avg.data[...] = new
            elif self.avg_fn is None:
                xp = backend.xp_of(avg.data)
                avg.data += (xp.asarray(new, dtype=avg.dtype) - avg.data) / (n + 1)
            else:
                out = self.avg_fn(avg.detach(), Tensor._make(new, avg.device), n)
                avg.data[...] = out.data
            avg._version[0] += 1
        buffers_mine = [b for b in self.module.buffers()
                        if not (self.use_buffers and backend.is_floating(b.dtype))]
        buffers_theirs = [b for b in model.buffers()
                          if not (self.use_buffers and backend.is_floating(b.dtype))]
        for b_avg, b_cur in zip(buffers_mine, buffers_theirs):  # kept in sync, not averaged
            b_avg.data[...] = backend.to_device(b_cur.data, b_avg.device)
            b_avg._version[0] += 1
        self.n_averaged.data[...] = n + 1


class SWALR(LRScheduler):
    """Anneal each group's lr from its current value to ``swa_lr`` over ``anneal_epochs`` steps
    (``cos``: weight ``(1 - cos(pi * t)) / 2`` on ``swa_lr``; ``linear``: ``t``), then hold it,
    as torch's ``SWALR``. It starts from whatever lr the groups have when it first steps, so it can
    take over from another schedule at ``swa_start``::

        lr_k = swa_lr * a(k / anneal_epochs) + lr_start * (1 - a(k / anneal_epochs))
    """

    def __init__(self, optimizer: Optimizer, swa_lr: float | list[float], anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        for lr, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            if not lr >= 0:
                raise ValueError(f"swa_lr must be >= 0, got {lr!r}")
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be an int >= 0, got {anneal_epochs!r}")
        self.anneal_strategy, self.anneal_epochs = anneal_strategy, anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _anneal(self, t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2 if self.anneal_strategy == "cos" else t

    def get_lr(self) -> list[float]:
        # Recover the lr the annealing started from out of the current lr and the previous
        # weight, then apply this step's weight: the schedule picks up from any lr.
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self._anneal(max(0.0, min(1.0, (step - 1) / span)))
        alpha = self._anneal(max(0.0, min(1.0, step / span)))
        lrs = []
        for group in self.optimizer.param_groups:
            swa_lr = group["swa_lr"]
            start = swa_lr if prev_alpha == 1 else (group["lr"] - prev_alpha * swa_lr) / (
                1 - prev_alpha)
            lrs.append(swa_lr * alpha + start * (1 - alpha))
        return lrs


@no_grad()
def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the running statistics of every BatchNorm in ``model`` with one pass over
    ``loader``: the statistics are reset and accumulated as a cumulative average
    (``momentum=None``), which weighs every batch equally; afterwards each layer's momentum and
    the model's train/eval mode are as before. A batch may be a Tensor or a tuple/list whose first
    item is the input (``(x, y)`` from a DataLoader).
    """
    bns = [m for m in model.modules() if _is_batchnorm(m)]
    if not bns:
        return
    momenta = {id(m): m.momentum for m in bns}
    for m in bns:
        m.running_mean.data[...] = 0
        m.running_var.data[...] = 1
        m.running_mean._version[0] += 1
        m.running_var._version[0] += 1
        if getattr(m, "num_batches_tracked", None) is not None:
            m.num_batches_tracked.data[...] = 0
        m.momentum = None
    was_training = model.training
    model.train()
    try:
        for batch in loader:
            x = batch[0] if isinstance(batch, (list, tuple)) else batch
            if device is not None:
                x = x.to(device)
            model(x)
    finally:
        for m in bns:
            m.momentum = momenta[id(m)]
        model.train(was_training)


class SnapshotEnsemble:
    """Snapshot ensembles (Huang et al., 2017): train with warm restarts, cache the weights at
    the end of each cycle (where the lr is lowest), and average the snapshots' predictions.

    Call ``step()`` after each ``scheduler.step()``. With a ``CosineAnnealingWarmRestarts``
    ``scheduler`` a snapshot is taken whenever it restarts; otherwise every ``cycle_length``
    steps. ``snapshot()`` takes one by hand. ``ens(x)`` (or ``predict``) runs every snapshot in
    eval mode and returns the mean of ``transform(output)`` (e.g. ``lambda z: z.softmax(-1)`` to
    average probabilities, as the paper does); ``max_snapshots`` keeps only the latest ones.
    The training model is never modified: predictions run on a private copy.
    """

    def __init__(self, model: Module, scheduler: LRScheduler | None = None,
                 cycle_length: int | None = None, max_snapshots: int | None = None,
                 transform: Callable[[Tensor], Tensor] | None = None) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"SnapshotEnsemble needs an nn.Module, got {type(model).__name__}")
        if scheduler is None and cycle_length is None:
            raise ValueError("SnapshotEnsemble needs a CosineAnnealingWarmRestarts scheduler or "
                             "a cycle_length to know when a cycle ends")
        if scheduler is not None and not isinstance(scheduler, CosineAnnealingWarmRestarts):
            raise TypeError("SnapshotEnsemble's scheduler must be CosineAnnealingWarmRestarts "
                            f"(got {type(scheduler).__name__}); pass cycle_length= instead")
        if cycle_length is not None and (not isinstance(cycle_length, int) or cycle_length < 1):
            raise ValueError(f"cycle_length must be a positive int, got {cycle_length!r}")
        if max_snapshots is not None and (not isinstance(max_snapshots, int) or max_snapshots < 1):
            raise ValueError(f"max_snapshots must be a positive int, got {max_snapshots!r}")
        self.model, self.scheduler, self.cycle_length = model, scheduler, cycle_length
        self.max_snapshots, self.transform = max_snapshots, transform
        self.snapshots: list[dict[str, Tensor]] = []
        self.steps = 0
        self._work: Module | None = None

    def __len__(self) -> int:
        return len(self.snapshots)

    def step(self) -> bool:
        """Count one step; take a snapshot if a cycle just ended. Returns whether it did."""
        self.steps += 1
        ended = (self.scheduler.cycle_ended if self.scheduler is not None
                 else self.steps % self.cycle_length == 0)
        if ended:
            self.snapshot()
        return ended

    def snapshot(self) -> None:
        """Cache a copy of the model's current weights and buffers."""
        self.snapshots.append({k: Tensor._make(v.data.copy(), v.device)
                               for k, v in self.model.state_dict().items()})
        if self.max_snapshots is not None and len(self.snapshots) > self.max_snapshots:
            self.snapshots.pop(0)

    @no_grad()
    def predict(self, *args: Any, **kwargs: Any) -> Tensor:
        """The mean over snapshots of ``transform(model(*args))``, in eval mode."""
        if not self.snapshots:
            raise RuntimeError("SnapshotEnsemble has no snapshots yet: step() through a cycle "
                               "or call snapshot()")
        if self._work is None:
            self._work = copy.deepcopy(self.model)
        self._work.eval()
        total = None
        for weights in self.snapshots:
            self._work.load_state_dict(weights)
            out = self._work(*args, **kwargs)
            out = self.transform(out) if self.transform is not None else out
            total = out if total is None else total + out
        return total / len(self.snapshots)

    __call__ = predict

    def state_dict(self) -> dict[str, Any]:
        """The snapshots and the step count."""
        return {"snapshots": self.snapshots, "steps": self.steps}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict()``."""
        self.snapshots = [dict(s) for s in state_dict["snapshots"]]
        self.steps = int(state_dict["steps"])
