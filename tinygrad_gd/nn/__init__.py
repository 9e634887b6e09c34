"""Neural-network modules, layers, losses and initialisation (``torch.nn``'s names)."""

from . import functional, init, utils
from .activation import *
from .container import *
from .layers import *
from .loss import *
from .module import IncompatibleKeys, Module, Parameter
