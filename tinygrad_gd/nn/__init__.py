"""Neural-network modules, layers, losses and initialisation (``torch.nn``'s names)."""

from . import functional, init, utils
from .activation import *
from .attention import *
from .container import *
from .conv import *
from .layers import *
from .loss import *
from .normalization import *
from .padding import *
from .pooling import *
from .rnn import *
from .sparse import *
from .transformer import *
from .upsampling import *
from .extras import *
from .module import IncompatibleKeys, Module, Parameter
from . import parallel  # torch.nn.parallel.DistributedDataParallel (resolved lazily)
