"""Optimizers: gradient descent in all its forms, Newton, schedules, early stopping, SWA."""

from . import line_search, lr_scheduler, swa_utils
from .adaptive import Adadelta, Adagrad, Adamax, NAdam, RAdam
from .early_stopping import EarlyStopping
from .first_order import GD, SGD, Adam, AdamW, RMSprop
from .lbfgs import LBFGS
from .newton import Newton
from .optimizer import Optimizer
from .search import RandomLocalSearch, RandomSearch

__all__ = ["Optimizer", "GD", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta",
           "Adamax", "NAdam", "RAdam", "LBFGS", "Newton", "RandomSearch",
           "RandomLocalSearch", "EarlyStopping", "line_search", "lr_scheduler", "swa_utils"]
