"""Optimizers: gradient descent in all its forms, Newton, schedules, early stopping, SWA."""

from . import lr_scheduler
from .first_order import GD, SGD, Adam, AdamW, RMSprop
from .optimizer import Optimizer

__all__ = ["Optimizer", "GD", "SGD", "RMSprop", "Adam", "AdamW", "lr_scheduler"]
