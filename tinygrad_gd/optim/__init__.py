"""Optimizers: gradient descent in all its forms, Newton, schedules, early stopping, SWA."""

from . import line_search, lr_scheduler, swa_utils
from .early_stopping import EarlyStopping
from .first_order import GD, SGD, Adam, AdamW, RMSprop
from .newton import Newton
from .optimizer import Optimizer
from .search import RandomLocalSearch, RandomSearch

__all__ = ["Optimizer", "GD", "SGD", "RMSprop", "Adam", "AdamW", "Newton", "RandomSearch",
           "RandomLocalSearch", "EarlyStopping", "line_search", "lr_scheduler", "swa_utils"]
