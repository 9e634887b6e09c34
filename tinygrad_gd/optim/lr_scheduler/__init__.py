"""Learning-rate schedules with ``torch.optim.lr_scheduler``'s semantics.

A scheduler owns the ``"lr"`` of its optimizer's parameter groups. Construction performs step 0
(``last_epoch`` becomes 0 and the lr is the schedule's first value); each ``step()`` advances
``last_epoch`` by one and writes the next value. Call it after ``optimizer.step()``: once per
epoch, or once per batch for ``CyclicLR`` and ``OneCycleLR``.

Each schedule is written as its closed form in ``last_epoch`` and the groups' ``initial_lr``
(the lr when the first scheduler was attached), which gives torch's sequence for the same
arguments. torch computes the chainable ones recursively from the current lr, so that two
schedulers stepping one optimizer multiply their effects. Here two schedulers on one optimizer do
not compose (the last one to step sets the lr); compose them with ``ChainedScheduler`` (their
factors multiply, as torch's chain) or ``SequentialLR`` (one after another). The files: ``base``
(``LRScheduler``), ``closed_form``, ``multiplicative`` (``LambdaLR``, ``MultiplicativeLR``,
``ConstantLR``, ``PolynomialLR``), ``cyclic``, ``composite``, ``plateau``.

``scheduler.step()`` before the optimizer's first ``step()`` warns, as torch (the first value of
the schedule would be skipped).

Every scheduler has a ``min_lr`` (0 unless set; ``ReduceLROnPlateau`` takes it as an argument, as
torch) and a ``reached_min_lr`` flag a training loop can test to stop::

    sched = ReduceLROnPlateau(opt, factor=0.5, patience=3, min_lr=1e-5)
    ...
    sched.step(val_loss)
    if sched.reached_min_lr:
        break
"""

from .base import LRScheduler, _per_group
from .closed_form import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    StepLR,
)
from .composite import ChainedScheduler, SequentialLR
from .cyclic import CyclicLR, OneCycleLR
from .multiplicative import ConstantLR, LambdaLR, MultiplicativeLR, PolynomialLR
from .plateau import ReduceLROnPlateau

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
           "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "SequentialLR",
           "ChainedScheduler", "ReduceLROnPlateau"]
