"""Neural-network modules, layers, losses and initialisation (``torch.nn``'s names)."""

from . import functional, init
from .layers import (
                     GELU,
                     MLP,
                     AvgPool2d,
                     BatchNorm1d,
                     BatchNorm2d,
                     Conv2d,
                     Dropout,
                     Flatten,
                     Identity,
                     LeakyReLU,
                     Linear,
                     MaxPool2d,
                     ModuleList,
                     ReLU,
                     Sequential,
                     Sigmoid,
                     Softmax,
                     Tanh,
)
from .module import IncompatibleKeys, Module, Parameter

__all__ = ["functional", "init", "Module", "Parameter", "IncompatibleKeys", "Linear", "Conv2d",
           "MaxPool2d", "AvgPool2d", "Flatten", "Dropout", "BatchNorm1d", "BatchNorm2d", "ReLU",
           "LeakyReLU", "Tanh", "Sigmoid", "GELU", "Softmax", "Identity", "Sequential",
           "ModuleList", "MLP"]
